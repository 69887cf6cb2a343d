/* SPDX-License-Identifier: MIT */
/*
 * A small event loop in the spirit of redis ae.c: file descriptors with a
 * read/write interest mask, one-shot millisecond timers on the monotonic
 * clock, and a dispatch round. One backend per OS (event_epoll.c,
 * event_kqueue.c) is picked by the Makefile; callers never name it.
 * Library code: it neither logs nor exits; errors are -1 with errno set.
 * One loop per thread or process; nothing here locks.
 */
#ifndef STOCKADE_EVENT_H
#define STOCKADE_EVENT_H

#include "base/signal_pipe.h"

#define EV_NONE		0
#define EV_READ		1
#define EV_WRITE	2

/* Backend capabilities, from event_backend_caps(). */
#define EV_CAP_EXCLUSIVE 1	/* event_add_exclusive() wakes one waiter only */

struct event_loop;

/*
 * Called with the subset of the registered mask that is ready. An error or
 * hang-up on the fd is reported as readiness of what is registered, so the
 * callback finds it out from read() or write().
 */
typedef void event_fd_fn(struct event_loop *loop, int fd, void *data, int mask);

/* Called once when a timer expires; its id is already invalid by then. */
typedef void event_timer_fn(struct event_loop *loop, long long id, void *data);

/*
 * Creates a loop for fds 0 .. max_fds-1. Create it in the process that will
 * run it (after fork): kernel queues are not meant to be shared by processes.
 * Returns NULL with errno set on failure.
 */
struct event_loop *event_loop_new(int max_fds);
/* Frees the loop; registered fds are not closed. Not from inside a callback. */
void event_loop_free(struct event_loop *loop);

/*
 * Adds mask to the interest set of fd and sets its callback and data (one
 * callback per fd; it gets the ready mask). Returns 0, or -1 with errno
 * (ERANGE when fd >= max_fds, EINVAL for an exclusive fd).
 */
int event_add(struct event_loop *loop, int fd, int mask, event_fd_fn *cb, void *data);
/*
 * Registers a listening socket shared by several worker processes for
 * EV_READ such that one connection wakes one process, not all (EPOLLEXCLUSIVE).
 * Where the backend cannot (see EV_CAP_EXCLUSIVE) this is a plain add. The
 * fd must not be registered yet and can only be deleted afterwards, not
 * modified. Returns 0 or -1 with errno.
 */
int event_add_exclusive(struct event_loop *loop, int fd, event_fd_fn *cb, void *data);
/*
 * Removes mask from fd's interest set; when nothing is left the fd is
 * forgotten. Safe inside a callback: an fd deleted during a dispatch round
 * gets no further call in that round, even if it is added again meanwhile.
 * Delete an fd before closing it, as the loop cannot see a close and a new
 * fd may get the same number; deleting one already closed is harmless.
 * Returns 0, or -1 with errno if the kernel refused to narrow the mask (the
 * loop still ignores the removed events).
 */
int event_del(struct event_loop *loop, int fd, int mask);
/*
 * Drops fd's registration without a system call, for an fd about to be
 * closed that no other process or descriptor shares: closing it takes it out
 * of the kernel's set (epoll and kqueue alike). Saves a system call per
 * connection on hot paths; use event_del when in doubt.
 */
void event_forget(struct event_loop *loop, int fd);
/*
 * Watches the read end of this process's signal pipe (base/signal_pipe.h):
 * fn runs from the loop with each signal number read. One per loop.
 * Returns 0 or -1 with errno, as event_add.
 */
int event_add_signal_pipe(struct event_loop *loop, int fd, signal_pipe_handler_fn *fn);
/* The registered mask of fd (EV_NONE if none or out of range). */
int event_mask(const struct event_loop *loop, int fd);

/*
 * Arms a one-shot timer that fires after at least ms milliseconds. Returns
 * a positive id, or -1 with errno (EINVAL for ms < 0). Adding timers from a
 * timer callback is fine; one due already runs in the next round.
 */
long long event_timer_add(struct event_loop *loop, long long ms, event_timer_fn *cb, void *data);
/*
 * event_timer_add for a timer whose owner keeps its id in *owner: stores
 * the id (or -1) there, and the loop sets *owner to 0 just before the
 * callback runs, so that 0 always means "not pending". Cancel it with
 * event_timer_del and clear *owner yourself.
 */
long long event_timer_arm(struct event_loop *loop, long long ms, event_timer_fn *cb, void *data,
    long long *owner);
/* Cancels a pending timer. Returns 0, or -1 (ENOENT) if it fired or is unknown. */
int event_timer_del(struct event_loop *loop, long long id);

/*
 * Waits up to max_wait_ms (< 0: until something happens; 0: poll) or until
 * the next timer, then runs the ready fd callbacks and the due timers.
 * Returns the number of callbacks (fd and timer) run, 0 when nothing was
 * ready or a signal interrupted the wait, or -1 with errno if the kernel
 * wait failed. Returns 0 at once when nothing is registered and
 * max_wait_ms < 0.
 */
int event_loop_run_once(struct event_loop *loop, int max_wait_ms);
/*
 * Runs rounds until event_loop_stop() or until no fd and no timer is left.
 * Returns 0, or -1 with errno if waiting failed.
 */
int event_loop_run(struct event_loop *loop);
/* Makes event_loop_run() return after the current round. */
void event_loop_stop(struct event_loop *loop);

/* "epoll" or "kqueue", for logs. */
const char *event_backend_name(void);
/* EV_CAP_* flags of the compiled-in backend. */
int event_backend_caps(void);

#endif
