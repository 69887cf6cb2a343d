/* SPDX-License-Identifier: MIT */
/*
 * Event loop: fd readiness, deletion during dispatch, timers, stop, and an
 * exclusive listening socket. Only pipes, socketpairs and 127.0.0.1.
 */
#include "net/event.h"

#include <criterion/criterion.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
now_us(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
make_pipe(int p[2])
{
	cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
put_byte(int fd)
{
	cr_assert_eq(write(fd, "x", 1), 1);
}

/* ---- fd events ---------------------------------------------------------- */

struct hits {
	int calls;
	int last_fd;
	int last_mask;
};

static void
count_cb(struct event_loop *loop, int fd, void *data, int mask)
{
	struct hits *h = data;

	(void)loop;
	h->calls++;
	h->last_fd = fd;
	h->last_mask = mask;
}

Test(event, new_rejects_bad_size)
{
	errno = 0;
	cr_assert_null(event_loop_new(0));
	cr_assert_eq(errno, EINVAL);
	cr_assert_not_null(event_backend_name());
}

Test(event, pipe_read_readiness)
{
	struct event_loop *loop = event_loop_new(1024);
	struct hits h = { 0 };
	int p[2];

	make_pipe(p);
	cr_assert_eq(event_add(loop, p[0], EV_READ, count_cb, &h), 0);
	cr_assert_eq(event_mask(loop, p[0]), EV_READ);
	cr_assert_eq(event_loop_run_once(loop, 0), 0, "nothing to read yet");
	cr_assert_eq(h.calls, 0);
	put_byte(p[1]);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(h.calls, 1);
	cr_assert_eq(h.last_fd, p[0]);
	cr_assert_eq(h.last_mask, EV_READ);
	event_loop_free(loop);
}

Test(event, forget_then_close_needs_no_del)
{
	struct event_loop *loop = event_loop_new(1024);
	struct hits h = { 0 };
	int p[2], q[2];

	make_pipe(p);
	cr_assert_eq(event_add(loop, p[0], EV_READ, count_cb, &h), 0);
	put_byte(p[1]);
	event_forget(loop, p[0]);
	cr_assert_eq(event_mask(loop, p[0]), EV_NONE);
	/* still in the kernel's set until closed: the loop must not call back */
	event_loop_run_once(loop, 0);
	cr_assert_eq(h.calls, 0);
	close(p[0]);
	/* the number reused by a new fd is added afresh */
	make_pipe(q);
	cr_assert_eq(event_add(loop, q[0], EV_READ, count_cb, &h), 0);
	put_byte(q[1]);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(h.calls, 1);
	cr_assert_eq(h.last_fd, q[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	event_loop_free(loop);
}

Test(event, pipe_write_readiness)
{
	struct event_loop *loop = event_loop_new(1024);
	struct hits h = { 0 };
	int p[2];

	make_pipe(p);
	cr_assert_eq(event_add(loop, p[1], EV_WRITE, count_cb, &h), 0);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(h.last_fd, p[1]);
	cr_assert_eq(h.last_mask, EV_WRITE);
	event_loop_free(loop);
}

Test(event, mask_add_and_del)
{
	struct event_loop *loop = event_loop_new(1024);
	struct hits h = { 0 };
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	cr_assert_eq(event_add(loop, sv[0], EV_READ, count_cb, &h), 0);
	cr_assert_eq(event_add(loop, sv[0], EV_WRITE, count_cb, &h), 0);
	cr_assert_eq(event_mask(loop, sv[0]), EV_READ | EV_WRITE);
	put_byte(sv[1]);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1, "one call per fd and round");
	cr_assert_eq(h.last_mask, EV_READ | EV_WRITE);

	cr_assert_eq(event_del(loop, sv[0], EV_WRITE), 0);
	cr_assert_eq(event_mask(loop, sv[0]), EV_READ);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(h.last_mask, EV_READ, "write interest is gone");
	cr_assert_eq(event_del(loop, sv[0], EV_READ), 0);
	cr_assert_eq(event_mask(loop, sv[0]), EV_NONE);
	cr_assert_eq(event_loop_run_once(loop, 0), 0);
	event_loop_free(loop);
}

Test(event, bad_arguments)
{
	struct event_loop *loop = event_loop_new(16);
	struct hits h = { 0 };
	int p[2];

	make_pipe(p);
	errno = 0;
	cr_assert_eq(event_add(loop, 16, EV_READ, count_cb, &h), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(event_add(loop, -1, EV_READ, count_cb, &h), -1);
	cr_assert_eq(event_add(loop, p[0], EV_NONE, count_cb, &h), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(event_add(loop, p[0], EV_READ, NULL, &h), -1);
	cr_assert_eq(event_mask(loop, 99), EV_NONE);
	cr_assert_eq(event_timer_add(loop, -1, NULL, NULL), -1);
	cr_assert_eq(event_del(loop, p[0], EV_READ), 0, "deleting an unknown fd is a no-op");
	event_loop_free(loop);
}

Test(event, hangup_reported_as_readable)
{
	struct event_loop *loop = event_loop_new(1024);
	struct hits h = { 0 };
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	cr_assert_eq(event_add(loop, sv[0], EV_READ, count_cb, &h), 0);
	close(sv[1]);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert(h.last_mask & EV_READ);
	event_loop_free(loop);
}

Test(event, delete_closed_fd)
{
	struct event_loop *loop = event_loop_new(1024);
	struct hits h = { 0 };
	int p[2];

	make_pipe(p);
	cr_assert_eq(event_add(loop, p[0], EV_READ, count_cb, &h), 0);
	close(p[0]);
	cr_assert_eq(event_del(loop, p[0], EV_READ), 0);
	cr_assert_eq(event_mask(loop, p[0]), EV_NONE);
	event_loop_free(loop);
}

/* Two readable pipes; whichever callback runs first deletes both fds. */
struct pair {
	int fds[2];
	int calls;
	struct hits late;
};

static void
delete_both_cb(struct event_loop *loop, int fd, void *data, int mask)
{
	struct pair *pp = data;

	(void)fd;
	(void)mask;
	pp->calls++;
	cr_assert_eq(event_del(loop, pp->fds[0], EV_READ), 0);
	cr_assert_eq(event_del(loop, pp->fds[1], EV_READ), 0);
}

Test(event, delete_inside_callback)
{
	struct event_loop *loop = event_loop_new(1024);
	struct pair pp = { .calls = 0 };
	int a[2], b[2];

	make_pipe(a);
	make_pipe(b);
	pp.fds[0] = a[0];
	pp.fds[1] = b[0];
	put_byte(a[1]);
	put_byte(b[1]);
	cr_assert_eq(event_add(loop, a[0], EV_READ, delete_both_cb, &pp), 0);
	cr_assert_eq(event_add(loop, b[0], EV_READ, delete_both_cb, &pp), 0);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(pp.calls, 1, "a deleted fd must not be called in the same round");
	cr_assert_eq(event_loop_run_once(loop, 0), 0);
	event_loop_free(loop);
}

/* The first callback deletes the other fd and registers it again. */
static void
readd_other_cb(struct event_loop *loop, int fd, void *data, int mask)
{
	struct pair *pp = data;
	int other = fd == pp->fds[0] ? pp->fds[1] : pp->fds[0];

	(void)mask;
	pp->calls++;
	cr_assert_eq(event_del(loop, fd, EV_READ), 0);
	cr_assert_eq(event_del(loop, other, EV_READ), 0);
	cr_assert_eq(event_add(loop, other, EV_READ, count_cb, &pp->late), 0);
}

Test(event, readd_inside_callback_waits_for_next_round)
{
	struct event_loop *loop = event_loop_new(1024);
	struct pair pp = { .calls = 0 };
	int a[2], b[2];

	make_pipe(a);
	make_pipe(b);
	pp.fds[0] = a[0];
	pp.fds[1] = b[0];
	put_byte(a[1]);
	put_byte(b[1]);
	cr_assert_eq(event_add(loop, a[0], EV_READ, readd_other_cb, &pp), 0);
	cr_assert_eq(event_add(loop, b[0], EV_READ, readd_other_cb, &pp), 0);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(pp.calls, 1);
	cr_assert_eq(pp.late.calls, 0, "stale readiness reached the new registration");
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(pp.late.calls, 1);
	event_loop_free(loop);
}

/* ---- timers ----------------------------------------------------------- */

struct trace {
	char order[64];
	int n;
	long long ids[8];
};

struct mark {
	struct trace *t;
	char c;
	long long due;		/* earliest allowed firing time, microseconds */
};

static void
mark_cb(struct event_loop *loop, long long id, void *data)
{
	struct mark *m = data;

	(void)loop;
	(void)id;
	cr_assert_geq(now_us(), m->due, "timer '%c' fired early", m->c);
	m->t->order[m->t->n++] = m->c;
}

static long long
add_mark(struct event_loop *loop, struct mark *m, struct trace *t, char c, long long ms)
{
	long long id;

	m->t = t;
	m->c = c;
	m->due = now_us() + ms * 1000;
	id = event_timer_add(loop, ms, mark_cb, m);
	cr_assert_gt(id, 0);
	return id;
}

Test(event, timers_fire_in_deadline_order)
{
	struct event_loop *loop = event_loop_new(64);
	struct trace t = { .n = 0 };
	struct mark m[5];

	add_mark(loop, &m[0], &t, 'c', 30);
	add_mark(loop, &m[1], &t, 'a', 5);
	add_mark(loop, &m[2], &t, 'd', 40);
	add_mark(loop, &m[3], &t, 'b', 15);
	add_mark(loop, &m[4], &t, 'e', 0);
	cr_assert_eq(event_loop_run(loop), 0, "returns once no timer is left");
	cr_assert_str_eq(t.order, "eabcd");
	event_loop_free(loop);
}

Test(event, equal_deadlines_keep_creation_order)
{
	struct event_loop *loop = event_loop_new(64);
	struct trace t = { .n = 0 };
	struct mark m[6];
	int i;

	for (i = 0; i < 6; i++)
		add_mark(loop, &m[i], &t, (char)('a' + i), 0);
	cr_assert_eq(event_loop_run_once(loop, -1), 6);
	cr_assert_str_eq(t.order, "abcdef");
	event_loop_free(loop);
}

Test(event, timer_cancel)
{
	struct event_loop *loop = event_loop_new(64);
	struct trace t = { .n = 0 };
	struct mark m[4];
	long long a, b, c, d;

	a = add_mark(loop, &m[0], &t, 'a', 5);
	b = add_mark(loop, &m[1], &t, 'b', 10);
	c = add_mark(loop, &m[2], &t, 'c', 15);
	cr_assert_eq(event_timer_del(loop, b), 0);
	errno = 0;
	cr_assert_eq(event_timer_del(loop, b), -1, "deleted twice");
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_str_eq(t.order, "ac");
	cr_assert_eq(event_timer_del(loop, a), -1, "already fired");
	cr_assert_eq(event_timer_del(loop, c), -1);

	/* A stale id must not cancel the timer that reuses its slot. */
	d = add_mark(loop, &m[3], &t, 'd', 0);
	cr_assert_neq(d, a);
	cr_assert_neq(d, b);
	cr_assert_neq(d, c);
	cr_assert_eq(event_timer_del(loop, a), -1);
	cr_assert_eq(event_timer_del(loop, b), -1);
	cr_assert_eq(event_timer_del(loop, d), 0);
	cr_assert_eq(event_timer_del(loop, 0), -1);
	cr_assert_eq(event_timer_del(loop, -5), -1);
	event_loop_free(loop);
}

/*
 * Many timers with random deadlines, a third cancelled: fired in deadline
 * order. A timer's deadline is its add time plus its ms, and the add time is
 * only known between the clock reads before and after event_timer_add: a
 * busy machine can stall the adding loop for milliseconds, so the order is
 * checked against those bounds, never against ms alone.
 */
struct many {
	int ms[1000];
	int fired[1000];
	int nfired;
	long long added[1000];		/* clock before the add */
	long long added_end[1000];	/* clock after it */
};

struct many_ref {
	struct many *m;
	int i;
};

static void
many_cb(struct event_loop *loop, long long id, void *data)
{
	struct many_ref *r = data;

	(void)loop;
	(void)id;
	cr_assert_geq(now_us(), r->m->added[r->i] + r->m->ms[r->i] * 1000LL);
	r->m->fired[r->m->nfired++] = r->i;
}

Test(event, thousand_timers)
{
	struct event_loop *loop = event_loop_new(64);
	static struct many m;
	static struct many_ref refs[1000];
	static long long ids[1000];
	int i, kept = 0;

	srand(42);
	for (i = 0; i < 1000; i++) {
		m.ms[i] = rand() % 60;
		refs[i].m = &m;
		refs[i].i = i;
		m.added[i] = now_us();
		ids[i] = event_timer_add(loop, m.ms[i], many_cb, &refs[i]);
		m.added_end[i] = now_us();
		cr_assert_gt(ids[i], 0);
	}
	for (i = 0; i < 1000; i++) {
		if (i % 3 == 0)
			cr_assert_eq(event_timer_del(loop, ids[i]), 0);
		else
			kept++;
	}
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_eq(m.nfired, kept);
	for (i = 0; i < m.nfired; i++) {
		int a, b;

		cr_assert_neq(m.fired[i] % 3, 0, "cancelled timer %d fired", m.fired[i]);
		if (i == 0)
			continue;
		/* earliest deadline of the one before <= latest of this one */
		a = m.fired[i - 1];
		b = m.fired[i];
		cr_assert_leq(m.added[a] + m.ms[a] * 1000LL, m.added_end[b] + m.ms[b] * 1000LL,
		    "timer %d (%d ms) fired before timer %d (%d ms)", a, m.ms[a], b, m.ms[b]);
	}
	event_loop_free(loop);
}

static void
rearm_cb(struct event_loop *loop, long long id, void *data)
{
	int *n = data;

	(void)id;
	if (++*n < 5)
		cr_assert_gt(event_timer_add(loop, 0, rearm_cb, n), 0);
}

Test(event, rearmed_timer_waits_for_next_round)
{
	struct event_loop *loop = event_loop_new(64);
	int n = 0;

	cr_assert_gt(event_timer_add(loop, 0, rearm_cb, &n), 0);
	cr_assert_eq(event_loop_run_once(loop, 0), 1);
	cr_assert_eq(n, 1, "a timer added by a timer ran in the same round");
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_eq(n, 5);
	event_loop_free(loop);
}

Test(event, timer_ends_a_blocking_wait)
{
	struct event_loop *loop = event_loop_new(64);
	struct trace t = { .n = 0 };
	struct hits h = { 0 };
	struct mark m;
	long long start;
	int p[2];

	make_pipe(p);
	cr_assert_eq(event_add(loop, p[0], EV_READ, count_cb, &h), 0);
	start = now_us();
	add_mark(loop, &m, &t, 'a', 30);
	cr_assert_eq(event_loop_run_once(loop, -1), 1);
	cr_assert_str_eq(t.order, "a");
	cr_assert_geq(now_us() - start, 30000);
	event_loop_free(loop);
}

Test(event, run_once_timeout)
{
	struct event_loop *loop = event_loop_new(64);
	struct hits h = { 0 };
	long long start;
	int p[2];

	make_pipe(p);
	cr_assert_eq(event_add(loop, p[0], EV_READ, count_cb, &h), 0);
	start = now_us();
	cr_assert_eq(event_loop_run_once(loop, 20), 0);
	cr_assert_geq(now_us() - start, 19000);
	event_loop_free(loop);
}

/* ---- run / stop ------------------------------------------------------- */

static void
stop_cb(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(*(int *)data)++;
	event_loop_stop(loop);
}

Test(event, stop_from_a_timer)
{
	struct event_loop *loop = event_loop_new(64);
	struct hits h = { 0 };
	int p[2], stopped = 0;

	make_pipe(p);
	/* A never-readable fd keeps run() going until stop. */
	cr_assert_eq(event_add(loop, p[0], EV_READ, count_cb, &h), 0);
	cr_assert_gt(event_timer_add(loop, 10, stop_cb, &stopped), 0);
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_eq(stopped, 1);

	/* Stop before run: returns at once; afterwards the loop runs again. */
	event_loop_stop(loop);
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_gt(event_timer_add(loop, 0, stop_cb, &stopped), 0);
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_eq(stopped, 2);
	event_loop_free(loop);
}

Test(event, empty_loop_returns)
{
	struct event_loop *loop = event_loop_new(8);

	cr_assert_eq(event_loop_run_once(loop, -1), 0);
	cr_assert_eq(event_loop_run(loop), 0);
	event_loop_free(loop);
	event_loop_free(NULL);
}

/* ---- exclusive listening socket ---------------------------------------- */

Test(event, exclusive_listen_socket)
{
	struct event_loop *loop = event_loop_new(1024);
	struct sockaddr_in sin = { 0 };
	socklen_t sl = sizeof(sin);
	struct hits h = { 0 };
	int lfd, cfd, afd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(lfd, 16), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);

	cr_assert_eq(event_add_exclusive(loop, lfd, count_cb, &h), 0);
	cr_assert_eq(event_mask(loop, lfd), EV_READ);
	errno = 0;
	cr_assert_eq(event_add_exclusive(loop, lfd, count_cb, &h), -1);
	cr_assert_eq(errno, EEXIST);
	cr_assert_eq(event_add(loop, lfd, EV_WRITE, count_cb, &h), -1,
	    "an exclusive registration cannot be modified");
	cr_assert_eq(event_loop_run_once(loop, 0), 0);

	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(cfd, 0);
	cr_assert_eq(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(event_loop_run_once(loop, 1000), 1);
	cr_assert_eq(h.last_fd, lfd);
	cr_assert_eq(h.last_mask, EV_READ);
	afd = accept(lfd, NULL, NULL);
	cr_assert_geq(afd, 0);

	cr_assert_eq(event_del(loop, lfd, EV_READ), 0);
	cr_assert_eq(event_mask(loop, lfd), EV_NONE);
	cr_assert_eq(event_add_exclusive(loop, lfd, count_cb, &h), 0, "re-add after delete");
	close(afd);
	close(cfd);
	close(lfd);
	event_loop_free(loop);
}

/* ---- the two backends share one portable core ------------------------- */



/* ---- timers with an owner (event_timer_arm) ------------------------------ */

struct armed {
	long long timer;
	long long seen;		/* the owner's copy while the callback runs */
};

static void
armed_cb(struct event_loop *loop, long long id, void *data)
{
	struct armed *a = data;

	(void)loop;
	(void)id;
	a->seen = a->timer;
}

Test(event, arm_stores_id_and_zeroes_it_on_fire)
{
	struct event_loop *loop = event_loop_new(64);
	struct armed a = { .timer = 0, .seen = -2 }, b = { .timer = 0, .seen = -2 };
	long long id = event_timer_arm(loop, 0, armed_cb, &a, &a.timer);

	cr_assert_gt(id, 0);
	cr_assert_eq(a.timer, id);
	/* a cancelled one leaves its owner alone */
	cr_assert_gt(event_timer_arm(loop, 1000, armed_cb, &b, &b.timer), 0);
	cr_assert_eq(event_timer_del(loop, b.timer), 0);
	cr_assert_eq(event_loop_run(loop), 0);
	cr_assert_eq(a.seen, 0, "zeroed before the callback");
	cr_assert_eq(a.timer, 0);
	cr_assert_eq(b.seen, -2);
	cr_assert_neq(b.timer, 0);
	event_loop_free(loop);
}
