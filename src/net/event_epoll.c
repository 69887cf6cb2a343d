/* SPDX-License-Identifier: MIT */
/*
 * Event loop, Linux epoll backend (event_backend.h); the fd table, timers
 * and dispatch are in event.c. Level-triggered; never logs.
 */
#include "net/event.h"
#include "net/event_backend.h"

#include <sys/epoll.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1u << 28)	/* Linux 4.5; older glibc lacks the name */
#endif

struct ev_api {
	int			 epfd;
	int			 batch;
	struct epoll_event	*events;
};

struct ev_api *
ev_api_create(int max_fds, int batch)
{
	struct ev_api *api;

	(void)max_fds;
	if ((api = calloc(1, sizeof(*api))) == NULL)
		return NULL;
	api->batch = batch;
	if ((api->events = calloc(batch, sizeof(*api->events))) == NULL) {
		free(api);
		return NULL;
	}
	if ((api->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(api->events);
		free(api);
		return NULL;
	}
	return api;
}

void
ev_api_free(struct ev_api *api)
{
	close(api->epfd);
	free(api->events);
	free(api);
}

/* Registers fd for mask (non-empty) with op, ADD or MOD. */
static int
api_ctl(struct ev_api *api, int op, int fd, int mask, bool exclusive)
{
	struct epoll_event ee = { 0 };

	ee.data.fd = fd;
	if (mask & EV_READ)
		ee.events |= EPOLLIN;
	if (mask & EV_WRITE)
		ee.events |= EPOLLOUT;
	if (exclusive)
		ee.events |= EPOLLEXCLUSIVE;
	if (epoll_ctl(api->epfd, op, fd, &ee) == 0)
		return 0;
	/* The fd was closed and its number reused behind our back. */
	if (op == EPOLL_CTL_MOD && errno == ENOENT)
		return epoll_ctl(api->epfd, EPOLL_CTL_ADD, fd, &ee);
	return -1;
}

int
ev_api_add(struct ev_api *api, int fd, int mask, int add, bool exclusive)
{
	return api_ctl(api, mask == EV_NONE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    fd, mask | add, exclusive);
}

int
ev_api_del(struct ev_api *api, int fd, int mask, int del, bool exclusive)
{
	struct epoll_event ee = { 0 };	/* kernels before 2.6.9 want one */

	if ((mask & ~del) != EV_NONE)
		return api_ctl(api, EPOLL_CTL_MOD, fd, mask & ~del, exclusive);
	if (epoll_ctl(api->epfd, EPOLL_CTL_DEL, fd, &ee) == -1 &&
	    errno != EBADF && errno != ENOENT)
		return -1;	/* a closed fd left the set by itself */
	return 0;
}

int
ev_api_poll(struct ev_api *api, struct ev_fired *fired, int timeout_ms)
{
	uint32_t e;
	int i, n, mask;

	n = epoll_wait(api->epfd, api->events, api->batch, timeout_ms);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		e = api->events[i].events;
		mask = EV_NONE;
		if (e & EPOLLIN)
			mask |= EV_READ;
		if (e & EPOLLOUT)
			mask |= EV_WRITE;
		if (e & (EPOLLERR | EPOLLHUP))
			mask |= EV_READ | EV_WRITE;
		fired[i].fd = api->events[i].data.fd;
		fired[i].mask = mask;
	}
	return n;
}

const char *
event_backend_name(void)
{
	return "epoll";
}

int
event_backend_caps(void)
{
	return EV_CAP_EXCLUSIVE;
}
