/* SPDX-License-Identifier: MIT */
/*
 * Event loop, kqueue backend (FreeBSD, macOS; event_backend.h); the fd
 * table, timers and dispatch are in event.c. Never logs.
 */
#include "net/event.h"
#include "net/event_backend.h"

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct ev_api {
	int		 kq;
	int		 max_fds;
	int		 batch;
	struct kevent	*events;
	int		*slot;	/* fd -> its index in fired during a poll, or -1 */
};

struct ev_api *
ev_api_create(int max_fds, int batch)
{
	struct ev_api *api;
	int i;

	if ((api = calloc(1, sizeof(*api))) == NULL)
		return NULL;
	api->max_fds = max_fds;
	api->batch = batch;
	api->events = calloc(batch, sizeof(*api->events));
	api->slot = calloc(max_fds, sizeof(*api->slot));
	if (api->events == NULL || api->slot == NULL)
		goto fail;
	for (i = 0; i < max_fds; i++)
		api->slot[i] = -1;
	if ((api->kq = kqueue()) == -1)
		goto fail;
	if (fcntl(api->kq, F_SETFD, FD_CLOEXEC) == -1) {
		close(api->kq);
		goto fail;
	}
	return api;
fail:
	free(api->events);
	free(api->slot);
	free(api);
	return NULL;
}

void
ev_api_free(struct ev_api *api)
{
	close(api->kq);
	free(api->events);
	free(api->slot);
	free(api);
}

static int
api_change(struct ev_api *api, int fd, short filter, unsigned short flags)
{
	struct kevent ke;

	EV_SET(&ke, fd, filter, flags, 0, 0, NULL);
	return kevent(api->kq, &ke, 1, NULL, 0, NULL);
}

/*
 * One filter per direction. A read filter added here is taken back if the
 * write one fails, so a failed add changes nothing.
 */
int
ev_api_add(struct ev_api *api, int fd, int mask, int add, bool exclusive)
{
	int saved;

	(void)mask;
	(void)exclusive;	/* kqueue has no such flag: a plain add */
	if ((add & EV_READ) && api_change(api, fd, EVFILT_READ, EV_ADD) == -1)
		return -1;
	if ((add & EV_WRITE) && api_change(api, fd, EVFILT_WRITE, EV_ADD) == -1) {
		saved = errno;
		if (add & EV_READ)
			(void)api_change(api, fd, EVFILT_READ, EV_DELETE);
		errno = saved;
		return -1;
	}
	return 0;
}

/* A closed fd already lost its filters: EBADF and ENOENT are no errors. */
int
ev_api_del(struct ev_api *api, int fd, int mask, int del, bool exclusive)
{
	(void)mask;
	(void)exclusive;
	if ((del & EV_READ) && api_change(api, fd, EVFILT_READ, EV_DELETE) == -1 &&
	    errno != EBADF && errno != ENOENT)
		return -1;
	if ((del & EV_WRITE) && api_change(api, fd, EVFILT_WRITE, EV_DELETE) == -1 &&
	    errno != EBADF && errno != ENOENT)
		return -1;
	return 0;
}

/*
 * kqueue reports read and write of one fd as two events: merge them, so a
 * callback runs once per fd and round as with epoll.
 */
int
ev_api_poll(struct ev_api *api, struct ev_fired *fired, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	struct ev_fired *f;
	int i, n, fd, mask, nfired = 0;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	n = kevent(api->kq, NULL, 0, api->events, api->batch, tsp);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		fd = (int)api->events[i].ident;
		if (api->events[i].filter == EVFILT_READ)
			mask = EV_READ;
		else if (api->events[i].filter == EVFILT_WRITE)
			mask = EV_WRITE;
		else
			continue;
		if (fd < 0 || fd >= api->max_fds ||
		    (api->events[i].flags & EV_ERROR))
			continue;
		if (api->slot[fd] >= 0) {
			fired[api->slot[fd]].mask |= mask;
			continue;
		}
		api->slot[fd] = nfired;
		f = &fired[nfired++];
		f->fd = fd;
		f->mask = mask;
	}
	for (i = 0; i < nfired; i++)
		api->slot[fired[i].fd] = -1;
	return nfired;
}

const char *
event_backend_name(void)
{
	return "kqueue";
}

int
event_backend_caps(void)
{
	return 0;
}
