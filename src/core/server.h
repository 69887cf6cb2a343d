/* Running an instance: sockets, app, master and workers. */
#ifndef STOCKADE_SERVER_H
#define STOCKADE_SERVER_H

#include "core/config.h"

int server_run(const struct config *cfg, int argc, char **argv);

#endif
