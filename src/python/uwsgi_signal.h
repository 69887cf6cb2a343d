/* SPDX-License-Identifier: MIT */
/*
 * uWSGI signals for the server folder (issue 22): see uwsgi_module_signal.c.
 */
#ifndef STOCKADE_PYTHON_UWSGI_SIGNAL_H
#define STOCKADE_PYTHON_UWSGI_SIGNAL_H

#include "net/event.h"

#include <stdbool.h>
#include <stddef.h>

/* In the master, after the app loaded: arms the timers the app added. */
void	uwsgi_signal_start_timers(struct event_loop *loop);

/* add_cron() entries: the server's master matches them each minute. */
struct uwsgi_signal_cron {
	int sig;
	int when[5];		/* minute, hour, day, month, weekday */
};
const struct uwsgi_signal_cron	*uwsgi_signal_crons(size_t *n);

/* add_file_monitor() entries: the server's master polls them. */
struct uwsgi_signal_filemon {
	int sig;
	char *path;
};
const struct uwsgi_signal_filemon	*uwsgi_signal_filemons(size_t *n);

/* Delivers signal num to its registered target (no Python, no GIL). */
void	uwsgi_signal_send(int sig);

/* In a worker or a mule after fork: starts its handler thread. */
void	uwsgi_signal_after_fork(int worker, int mule, bool spooler);

#endif
