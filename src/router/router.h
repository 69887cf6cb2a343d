/* SPDX-License-Identifier: MIT */
/*
 * The HTTP router (uWSGI's `http =` gateway): an event-driven process that
 * accepts HTTP/1.x clients, parses each request with the strict parser of
 * proto/http.h, and forwards it re-serialized as a uwsgi packet to a
 * backend (the instance's workers, or the http-to nodes round-robin). Slow
 * clients are held here: a request head, and a small body, are read in
 * full before a backend is picked; responses are streamed back with
 * back-pressure. A 101 answer turns the session into a raw tunnel
 * (WebSocket).
 *
 * The server folder binds the listening sockets on the host and forks one
 * process per http-processes with router_main() (server/aux.h supervises
 * them).
 */
#ifndef STOCKADE_ROUTER_H
#define STOCKADE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

struct router_setup {
	const struct config *cfg;
	const int *fds;                 /* listening sockets, shared by the processes */
	const char *const *names;       /* their configured addresses (SERVER_PORT) */
	size_t nfds;
	/* backend addresses: the http-to list, or the address the workers'
	 * first uwsgi socket was bound to */
	const char *const *backends;
	size_t nbackends;
	const int *sub_fds;             /* http-subscription-server sockets (datagrams) */
	size_t nsub;
	int stats_fd;                   /* http-stats, -1 none (process 1 only) */
	bool fastrouter;                /* uwsgi-protocol clients (fastrouter =) */
	int index;                      /* 1 .. http-processes, for the log */
	const char *hostname;           /* SERVER_NAME, as uWSGI's router sends it */
};

/* Checks the router options (backend addresses, http-manage-expect, http-var,
 * modifiers); logs a one-line error and returns -1 on a bad one. */
int router_check(const struct config *cfg);

/* The router process: runs until SIGTERM/SIGINT/SIGQUIT/SIGHUP, then
 * finishes the requests in flight (up to a few seconds) and exits 0. */
void router_main(const struct router_setup *rs) __attribute__((noreturn));

#endif
