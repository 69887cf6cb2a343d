/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's process options (issue 19): process names (procname.c and
 * procname_<os>.c), resource limits (limits.c), recycling workers by age
 * and memory (recycle.c).
 */
#ifndef STOCKADE_PROCESS_OPTIONS_H
#define STOCKADE_PROCESS_OPTIONS_H

#include "config/config.h"

#include <stddef.h>

/* Takes note of the argv area that names the process and returns a copy
 * of argv (the area is overwritten by the names; a reload execs the copy). */
char	**procname_init(char **argv);
/* Name the master, or worker id, as uWSGI does (auto-procname, procname*). */
void	procname_master(const struct config *cfg);
void	procname_worker(const struct config *cfg, int id);

/* The OS part: set the name the process list shows (procname_<os>.c). */
void	procname_os_init(char **argv);
void	procname_os_set(const char *name);

/* limit-as, max-fd: 0, or -1 after a one-line error. */
int	process_limits_apply(const struct config *cfg);

/* From the master's tick, after the memory figures were refreshed:
 * max-worker-lifetime, reload-on-as, evil-reload-on-rss/-as. */
void	recycle_check(void);

#endif
