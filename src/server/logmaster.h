/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's log-master (server/logmaster.c): the workers and auxiliary
 * processes write their log (and request) lines to datagram sockets the
 * master reads; the master alone writes the files, so that it can route
 * lines to loggers (logger, log-route, req-logger) and rotate the log by
 * size (log-maxsize) without losing or splitting a line.
 */
#ifndef STOCKADE_SERVER_LOGMASTER_H
#define STOCKADE_SERVER_LOGMASTER_H

#include <stdbool.h>

struct config;
struct event_loop;

/* log-master, logger, log-route, log-maxsize or a request logger only the
 * master can feed: the instance needs a master. */
bool	logmaster_wanted(const struct config *cfg);
/* Parses the loggers and routes, opens the logger files (before the jail,
 * as logto is) and applies logfile-chown. 0, or -1 after a file:line error. */
int	logmaster_setup(const struct config *cfg);
/* In the master, before the first fork: the sockets and their reader. */
int	logmaster_start(struct event_loop *loop);
/* In every child of the master, right after fork. */
void	logmaster_child(void);
/* Rotation by size (after each batch of lines). */
void	logmaster_check(void);
/* The children are gone: write what they left in the sockets. */
void	logmaster_drain(void);

#endif
