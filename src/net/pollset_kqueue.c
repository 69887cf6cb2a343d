/* SPDX-License-Identifier: MIT */
/* pollset.h on FreeBSD: one kqueue shared by threads. An edge-triggered
 * fd is EV_CLEAR: reported again only when more input arrives. kqueue cannot wake one process per connection: PS_SHARED is a plain
 * level-triggered filter there (accept() sorts out who gets it). */
#include "net/pollset.h"

#include <sys/types.h>
#include <sys/event.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PS_MAX_EVENTS 64

struct pollset {
	int kq;
};

struct pollset *
pollset_new(void)
{
	struct pollset *ps;

	if ((ps = malloc(sizeof(*ps))) == NULL)
		return NULL;
	if ((ps->kq = kqueue()) == -1) {
		free(ps);
		return NULL;
	}
	return ps;
}

void
pollset_free(struct pollset *ps)
{
	if (ps == NULL)
		return;
	close(ps->kq);
	free(ps);
}

static int
ps_change(struct pollset *ps, int fd, uint64_t tag, unsigned short flags)
{
	struct kevent ke;

	EV_SET(&ke, fd, EVFILT_READ, flags, 0, 0, (void *)(uintptr_t)tag);
	return kevent(ps->kq, &ke, 1, NULL, 0, NULL);
}

int
pollset_add(struct pollset *ps, int fd, uint64_t tag, enum pollset_how how)
{
	return ps_change(ps, fd, tag, how == PS_EDGE ? EV_ADD | EV_CLEAR : EV_ADD);
}

int
pollset_del(struct pollset *ps, int fd)
{
	if (ps_change(ps, fd, 0, EV_DELETE) == -1 && errno != EBADF && errno != ENOENT)
		return -1;
	return 0;
}

int
pollset_wait(struct pollset *ps, uint64_t *tags, int max, int timeout_ms)
{
	struct kevent ev[PS_MAX_EVENTS];
	struct timespec ts, *tsp = NULL;
	int i, n;

	if (max > PS_MAX_EVENTS)
		max = PS_MAX_EVENTS;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	n = kevent(ps->kq, NULL, 0, ev, max, tsp);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++)
		tags[i] = (uint64_t)(uintptr_t)ev[i].udata;
	return n;
}
