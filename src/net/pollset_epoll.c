/* SPDX-License-Identifier: MIT */
/* pollset.h on Linux: one epoll instance shared by threads. Threads waiting
 * in epoll_wait() on one instance are woken one per event. */
#include "net/pollset.h"

#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1u << 28)	/* Linux 4.5; older glibc lacks the name */
#endif

#define PS_MAX_EVENTS 64

struct pollset {
	int epfd;
};

struct pollset *
pollset_new(void)
{
	struct pollset *ps;

	if ((ps = malloc(sizeof(*ps))) == NULL)
		return NULL;
	if ((ps->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
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
	close(ps->epfd);
	free(ps);
}

int
pollset_add(struct pollset *ps, int fd, uint64_t tag, enum pollset_how how)
{
	struct epoll_event ee = { 0 };

	ee.data.u64 = tag;
	ee.events = EPOLLIN;
	if (how == PS_EDGE)
		ee.events |= EPOLLET | EPOLLRDHUP;
	else if (how == PS_SHARED)
		ee.events |= EPOLLEXCLUSIVE;
	return epoll_ctl(ps->epfd, EPOLL_CTL_ADD, fd, &ee);
}

int
pollset_del(struct pollset *ps, int fd)
{
	struct epoll_event ee = { 0 };	/* kernels before 2.6.9 want one */

	if (epoll_ctl(ps->epfd, EPOLL_CTL_DEL, fd, &ee) == -1 &&
	    errno != EBADF && errno != ENOENT)
		return -1;
	return 0;
}

int
pollset_wait(struct pollset *ps, uint64_t *tags, int max, int timeout_ms)
{
	struct epoll_event ev[PS_MAX_EVENTS];
	int i, n;

	if (max > PS_MAX_EVENTS)
		max = PS_MAX_EVENTS;
	n = epoll_wait(ps->epfd, ev, max, timeout_ms);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++)
		tags[i] = ev[i].data.u64;
	return n;
}
