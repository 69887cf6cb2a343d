/* SPDX-License-Identifier: MIT */
/* Running an instance: the start pipeline, then master and workers. */
#ifndef STOCKADE_SERVER_H
#define STOCKADE_SERVER_H

#include <stdbool.h>

#include "config/config.h"

struct server_args {
	char **argv;             /* original argv, re-exec'ed on reload (NULL-terminated) */
	unsigned long reloads;   /* 0 on a first start */
	bool is_reload;
};

int server_run(const struct config *cfg, const struct server_args *args);

#endif
