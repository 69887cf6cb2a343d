/* SPDX-License-Identifier: MIT */
/*
 * A kernel wait set shared by the threads of one process (issue 20: a
 * worker's threads take the next ready connection, whichever thread is
 * free). Unlike event.h's loop it keeps no table and no callbacks: each
 * fd carries a 64-bit tag that pollset_wait() hands back, and every call
 * is safe from any thread. One backend per OS (pollset_epoll.c,
 * pollset_kqueue.c). Library code: never logs; errors are -1 with errno.
 */
#ifndef STOCKADE_POLLSET_H
#define STOCKADE_POLLSET_H

#include <stdint.h>

struct pollset;

/* Ways to watch an fd for input (pollset_add). */
enum pollset_how {
	PS_EDGE,	/* reported to one waiter each time input arrives (edge-triggered) */
	PS_LEVEL,	/* reported while readable (a wake-up pipe) */
	PS_SHARED,	/* a listening socket shared by processes: one process woken per connection where the kernel can */
};

struct pollset *pollset_new(void);
void pollset_free(struct pollset *ps);
int pollset_add(struct pollset *ps, int fd, uint64_t tag, enum pollset_how how);
int pollset_del(struct pollset *ps, int fd);
/* Waits up to timeout_ms (< 0: no limit) for at most max tags. Returns how
 * many, 0 on timeout or EINTR, -1 with errno. */
int pollset_wait(struct pollset *ps, uint64_t *tags, int max, int timeout_ms);

#endif
