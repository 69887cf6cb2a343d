/* SPDX-License-Identifier: MIT */
/*
 * Private interface between the portable event loop core (event.c: fd
 * table, timer heap, dispatch) and the one kernel backend the Makefile
 * compiles in (event_epoll.c or event_kqueue.c). Not for other callers.
 *
 * A backend keeps only kernel state; the core does all bookkeeping and
 * calls the backend only for real changes (an add never re-adds an event
 * the fd has, a delete never removes one it lacks). Backends never log;
 * errors are -1 with errno set. event_backend_name() and
 * event_backend_caps() from event.h are defined by the backend too.
 */
#ifndef STOCKADE_EVENT_BACKEND_H
#define STOCKADE_EVENT_BACKEND_H

#include <stdbool.h>

/* Backend state, defined by each backend. */
struct ev_api;

/* One ready fd of a round. The backend fills fd and mask; the core, gen. */
struct ev_fired {
	int		 fd;
	int		 mask;		/* EV_READ|EV_WRITE that are ready */
	unsigned	 gen;		/* fd's gen when the round started */
};

/*
 * A kernel queue for fds 0 .. max_fds-1 that reports at most batch ready
 * fds per poll. Returns NULL with errno set on failure.
 */
struct ev_api *ev_api_create(int max_fds, int batch);
void ev_api_free(struct ev_api *api);

/*
 * fd, registered for mask (EV_NONE: not at all), gains the events in add
 * (non-empty, disjoint from mask). exclusive only ever comes with
 * mask == EV_NONE and add == EV_READ (event_add_exclusive()); a backend
 * without EV_CAP_EXCLUSIVE makes it a plain add.
 */
int ev_api_add(struct ev_api *api, int fd, int mask, int add, bool exclusive);
/*
 * fd, registered for mask, loses the events in del (non-empty, within
 * mask); exclusive says how it was added. An fd already closed is no error.
 */
int ev_api_del(struct ev_api *api, int fd, int mask, int del, bool exclusive);

/*
 * Waits up to timeout_ms (< 0: without limit) and stores the ready fds in
 * fired[0 .. batch-1], one entry per fd, an error or hang-up counting as
 * readiness. Returns how many, 0 on EINTR, or -1 on error.
 */
int ev_api_poll(struct ev_api *api, struct ev_fired *fired, int timeout_ms);

#endif
