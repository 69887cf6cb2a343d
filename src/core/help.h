#ifndef STOCKADE_HELP_H
#define STOCKADE_HELP_H
void print_help(int fd);
#endif
