/* SPDX-License-Identifier: MIT */
/* --help, --help-option and the option reference generated from the table. */
#ifndef STOCKADE_HELP_H
#define STOCKADE_HELP_H
void print_help(int fd);
/* -1 when there is no such option. */
int print_option_help(int fd, const char *name);
void print_options_markdown(int fd);
void print_options_man(int fd);
#endif
