/* SPDX-License-Identifier: MIT */
/*
 * Event loop, the portable core: the fd table, the timer heap and dispatch.
 * The kernel side is one backend (event_backend.h) that the Makefile picks:
 * event_epoll.c or event_kqueue.c. Never logs.
 */
#include "net/event.h"
#include "net/event_backend.h"
#include "base/clock.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

/* At most this many ready fds are taken from the kernel per round. */
#define EV_BATCH 1024

struct ev_fd {
	int		 mask;		/* registered EV_READ|EV_WRITE */
	bool		 exclusive;
	unsigned	 gen;		/* bumped whenever the fd is forgotten */
	event_fd_fn	*cb;
	void		*data;
};

struct ev_timer {
	long long	 when;		/* monotonic microseconds */
	unsigned long long seq;	/* orders equal deadlines by creation */
	event_timer_fn	*cb;
	void		*data;
	long long	*owner;		/* event_timer_arm: zeroed when it fires */
	unsigned	 gen;		/* bumped when the slot is freed */
	int		 pos;		/* index in the heap, -1 if free */
	int		 next_free;
};

struct event_loop {
	int		 max_fds;
	int		 nfds;		/* fds with a non-empty mask */
	struct ev_fd	*fds;
	struct ev_fired	*fired;
	int		 batch;
	struct ev_timer	*timers;	/* slots, indexed by id */
	int		*heap;		/* slot numbers, earliest first */
	int		 ntimers;
	int		 timer_cap;
	int		 free_slot;
	unsigned long long timer_seq;
	volatile sig_atomic_t stop;
	struct ev_api	*api;
	signal_pipe_handler_fn *on_signal;	/* event_add_signal_pipe */
};

struct event_loop *
event_loop_new(int max_fds)
{
	struct event_loop *loop;
	int saved;

	if (max_fds <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((loop = calloc(1, sizeof(*loop))) == NULL)
		return NULL;
	loop->max_fds = max_fds;
	loop->batch = max_fds < EV_BATCH ? max_fds : EV_BATCH;
	loop->free_slot = -1;
	loop->fds = calloc(max_fds, sizeof(*loop->fds));
	loop->fired = calloc(loop->batch, sizeof(*loop->fired));
	if (loop->fds == NULL || loop->fired == NULL ||
	    (loop->api = ev_api_create(max_fds, loop->batch)) == NULL) {
		saved = errno;
		free(loop->fds);
		free(loop->fired);
		free(loop);
		errno = saved;
		return NULL;
	}
	return loop;
}

void
event_loop_free(struct event_loop *loop)
{
	if (loop == NULL)
		return;
	ev_api_free(loop->api);
	free(loop->fds);
	free(loop->fired);
	free(loop->timers);
	free(loop->heap);
	free(loop);
}

static struct ev_fd *
fd_entry(struct event_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->max_fds) {
		errno = ERANGE;
		return NULL;
	}
	return &loop->fds[fd];
}

int
event_add(struct event_loop *loop, int fd, int mask, event_fd_fn *cb, void *data)
{
	struct ev_fd *fe;
	int add;

	if ((fe = fd_entry(loop, fd)) == NULL)
		return -1;
	mask &= EV_READ | EV_WRITE;
	if (mask == EV_NONE || cb == NULL || fe->exclusive) {
		errno = EINVAL;
		return -1;
	}
	add = mask & ~fe->mask;
	if (add != EV_NONE &&
	    ev_api_add(loop->api, fd, fe->mask, add, false) == -1)
		return -1;
	if (fe->mask == EV_NONE)
		loop->nfds++;
	fe->mask |= mask;
	fe->cb = cb;
	fe->data = data;
	return 0;
}

int
event_add_exclusive(struct event_loop *loop, int fd, event_fd_fn *cb, void *data)
{
	struct ev_fd *fe;

	if ((fe = fd_entry(loop, fd)) == NULL)
		return -1;
	if (cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (fe->mask != EV_NONE) {
		errno = EEXIST;
		return -1;
	}
	if (ev_api_add(loop->api, fd, EV_NONE, EV_READ, true) == -1)
		return -1;
	loop->nfds++;
	fe->mask = EV_READ;
	fe->exclusive = true;
	fe->cb = cb;
	fe->data = data;
	return 0;
}

int
event_del(struct event_loop *loop, int fd, int mask)
{
	struct ev_fd *fe;
	int del, rc;

	if ((fe = fd_entry(loop, fd)) == NULL)
		return -1;
	del = fe->mask & mask;
	if (del == EV_NONE)
		return 0;
	rc = ev_api_del(loop->api, fd, fe->mask, del, fe->exclusive);
	/* Forget the events even if the kernel refused; dispatch filters them. */
	fe->mask &= ~del;
	if (fe->mask == EV_NONE) {
		fe->gen++;
		fe->exclusive = false;
		fe->cb = NULL;
		fe->data = NULL;
		loop->nfds--;
	}
	return rc;
}

void
event_forget(struct event_loop *loop, int fd)
{
	struct ev_fd *fe;

	if ((fe = fd_entry(loop, fd)) == NULL || fe->mask == EV_NONE)
		return;
	fe->mask = EV_NONE;
	fe->gen++;
	fe->exclusive = false;
	fe->cb = NULL;
	fe->data = NULL;
	loop->nfds--;
}

static void
on_signal_pipe(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)data;
	(void)mask;
	signal_pipe_dispatch(fd, loop->on_signal);
}

int
event_add_signal_pipe(struct event_loop *loop, int fd, signal_pipe_handler_fn *fn)
{
	loop->on_signal = fn;
	return event_add(loop, fd, EV_READ, on_signal_pipe, NULL);
}

int
event_mask(const struct event_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->max_fds)
		return EV_NONE;
	return loop->fds[fd].mask;
}

/* ---- Timers: a binary min-heap of slot numbers ordered by (when, seq) ---- */

static bool
timer_before(const struct event_loop *loop, int a, int b)
{
	const struct ev_timer *ta = &loop->timers[a], *tb = &loop->timers[b];

	if (ta->when != tb->when)
		return ta->when < tb->when;
	return ta->seq < tb->seq;
}

static void
heap_set(struct event_loop *loop, int pos, int slot)
{
	loop->heap[pos] = slot;
	loop->timers[slot].pos = pos;
}

static void
heap_up(struct event_loop *loop, int pos)
{
	int slot = loop->heap[pos], parent;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (!timer_before(loop, slot, loop->heap[parent]))
			break;
		heap_set(loop, pos, loop->heap[parent]);
		pos = parent;
	}
	heap_set(loop, pos, slot);
}

static void
heap_down(struct event_loop *loop, int pos)
{
	int slot = loop->heap[pos], child;

	for (;;) {
		child = 2 * pos + 1;
		if (child >= loop->ntimers)
			break;
		if (child + 1 < loop->ntimers &&
		    timer_before(loop, loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!timer_before(loop, loop->heap[child], slot))
			break;
		heap_set(loop, pos, loop->heap[child]);
		pos = child;
	}
	heap_set(loop, pos, slot);
}

/* Doubles the slot table; new slots go on the free list. */
static int
timer_grow(struct event_loop *loop)
{
	struct ev_timer *timers;
	int *heap, cap, i;

	if (loop->timer_cap > INT_MAX / 2) {
		errno = ENOMEM;
		return -1;
	}
	cap = loop->timer_cap ? loop->timer_cap * 2 : 16;
	if ((timers = realloc(loop->timers, cap * sizeof(*timers))) == NULL)
		return -1;
	loop->timers = timers;
	if ((heap = realloc(loop->heap, cap * sizeof(*heap))) == NULL)
		return -1;
	loop->heap = heap;
	for (i = cap - 1; i >= loop->timer_cap; i--) {
		timers[i].gen = 1;
		timers[i].pos = -1;
		timers[i].next_free = loop->free_slot;
		loop->free_slot = i;
	}
	loop->timer_cap = cap;
	return 0;
}

/* An id names a slot and its generation, so a stale id never hits a reused slot. */
static long long
timer_id(const struct event_loop *loop, int slot)
{
	return (long long)(loop->timers[slot].gen & 0x7fffffff) << 32 | (slot + 1);
}

static int
timer_slot(const struct event_loop *loop, long long id)
{
	long long slot = (id & 0xffffffff) - 1;

	if (id <= 0 || slot < 0 || slot >= loop->timer_cap ||
	    loop->timers[slot].pos < 0 ||
	    (loop->timers[slot].gen & 0x7fffffff) != (unsigned)(id >> 32))
		return -1;
	return (int)slot;
}

/* Takes slot out of the heap and returns it to the free list. */
static void
timer_remove(struct event_loop *loop, int slot)
{
	struct ev_timer *t = &loop->timers[slot];
	int pos = t->pos, last;

	last = loop->heap[--loop->ntimers];
	if (pos != loop->ntimers) {
		heap_set(loop, pos, last);
		if (pos > 0 && timer_before(loop, last, loop->heap[(pos - 1) / 2]))
			heap_up(loop, pos);
		else
			heap_down(loop, pos);
	}
	t->pos = -1;
	t->gen++;
	t->cb = NULL;
	t->data = NULL;
	t->owner = NULL;
	t->next_free = loop->free_slot;
	loop->free_slot = slot;
}

long long
event_timer_add(struct event_loop *loop, long long ms, event_timer_fn *cb, void *data)
{
	struct ev_timer *t;
	int slot;

	if (ms < 0 || cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (loop->free_slot == -1 && timer_grow(loop) == -1)
		return -1;
	if (ms > LLONG_MAX / 4000)	/* centuries: keep the sum from overflowing */
		ms = LLONG_MAX / 4000;
	slot = loop->free_slot;
	t = &loop->timers[slot];
	loop->free_slot = t->next_free;
	t->when = clock_us() + ms * 1000;
	t->seq = loop->timer_seq++;
	t->cb = cb;
	t->data = data;
	t->owner = NULL;
	loop->heap[loop->ntimers] = slot;
	t->pos = loop->ntimers++;
	heap_up(loop, t->pos);
	return timer_id(loop, slot);
}

long long
event_timer_arm(struct event_loop *loop, long long ms, event_timer_fn *cb, void *data, long long *owner)
{
	long long id = event_timer_add(loop, ms, cb, data);

	if (id > 0)
		loop->timers[timer_slot(loop, id)].owner = owner;
	*owner = id;
	return id;
}

int
event_timer_del(struct event_loop *loop, long long id)
{
	int slot;

	if ((slot = timer_slot(loop, id)) == -1) {
		errno = ENOENT;
		return -1;
	}
	timer_remove(loop, slot);
	return 0;
}

/* Milliseconds (rounded up) until the first timer, or -1 if none. */
static int
timer_wait_ms(struct event_loop *loop)
{
	long long us;

	if (loop->ntimers == 0)
		return -1;
	us = loop->timers[loop->heap[0]].when - clock_us();
	if (us <= 0)
		return 0;
	if (us / 1000 >= INT_MAX)
		return INT_MAX;
	return (int)((us + 999) / 1000);
}

/*
 * Runs the timers due now. Timers created from here on wait for the next
 * round, so a callback re-arming a 0 ms timer cannot starve the fds.
 */
static int
timer_run(struct event_loop *loop)
{
	unsigned long long seq_end = loop->timer_seq;
	long long now = clock_us(), id;
	struct ev_timer *t;
	event_timer_fn *cb;
	void *data;
	long long *owner;
	int slot, n = 0;

	while (loop->ntimers > 0) {
		slot = loop->heap[0];
		t = &loop->timers[slot];
		if (t->when > now || t->seq >= seq_end)
			break;
		cb = t->cb;
		data = t->data;
		owner = t->owner;
		id = timer_id(loop, slot);
		timer_remove(loop, slot);
		if (owner != NULL)
			*owner = 0;
		cb(loop, id, data);
		n++;
	}
	return n;
}

/* ---- Dispatch --------------------------------------------------------- */

int
event_loop_run_once(struct event_loop *loop, int max_wait_ms)
{
	struct ev_fired *f;
	struct ev_fd *fe;
	int i, n, mask, timeout, processed = 0;

	if (loop->nfds == 0 && loop->ntimers == 0 && max_wait_ms < 0)
		return 0;
	timeout = timer_wait_ms(loop);
	if (timeout < 0 || (max_wait_ms >= 0 && max_wait_ms < timeout))
		timeout = max_wait_ms;
	if ((n = ev_api_poll(loop->api, loop->fired, timeout)) == -1)
		return -1;

	/* Remember who each event was for: a callback may delete and re-add. */
	for (i = 0; i < n; i++)
		loop->fired[i].gen = loop->fds[loop->fired[i].fd].gen;
	for (i = 0; i < n; i++) {
		f = &loop->fired[i];
		fe = &loop->fds[f->fd];
		if (fe->gen != f->gen || (mask = f->mask & fe->mask) == EV_NONE)
			continue;
		fe->cb(loop, f->fd, fe->data, mask);
		processed++;
	}
	return processed + timer_run(loop);
}

int
event_loop_run(struct event_loop *loop)
{
	int rc = 0;

	while (!loop->stop && (loop->nfds > 0 || loop->ntimers > 0)) {
		if (event_loop_run_once(loop, -1) == -1) {
			rc = -1;
			break;
		}
	}
	loop->stop = 0;
	return rc;
}

void
event_loop_stop(struct event_loop *loop)
{
	loop->stop = 1;
}
