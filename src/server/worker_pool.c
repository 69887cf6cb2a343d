/* SPDX-License-Identifier: MIT */
/*
 * issue 20: the connections of a worker with threads, served by whichever
 * thread is free. One pollset (an epoll instance) per worker, connections
 * watched edge-triggered: an event hands a waiting connection to exactly
 * one thread (the lock orders the hand-overs: a connection's state is
 * written by its holder before it lets go, and read by the next holder
 * after it took it), which serves it and lets go of it (pool_conn_wait) or
 * closes it; input arriving while a thread holds it is noted, and the
 * holder reads again before letting go. One thread waits in the pollset at
 * a time and queues what one wait returns; a thread done with a request
 * takes the next queued event itself, without sleeping, and the others
 * park until they are needed (park()). Listening sockets are watched with
 * EPOLLEXCLUSIVE (one worker woken per connection), the wake pipe (stop,
 * reload) level-triggered so that it reaches every thread. Timeouts of
 * waiting connections: a scan of the pool at the earliest deadline.
 */
#include "server/worker.h"
#include "server/conn_internal.h"
#include "server/scoreboard.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "net/pollset.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_PAUSE_MS	250	/* out of descriptors: wait for connections to end */
#define SCAN_MAX_MS	1000	/* timeouts are looked at least this often */
#define EXPIRE_BATCH	64	/* closed per scan; more: the next scan is due at once */
#define TAG_WAKE	0xffffffffu	/* gen 0 tags: the wake pipe, or listener i */
#define BALANCE_MS	20	/* a worker holding more than its share looks again after */
#define WATCH_MS	1	/* a thread serving alone is looked at this often */
#define WATCH_IDLE	4	/* ticks without an event served (the poller waits): stop watching */
#define EAGER_US	250	/* events served in more than this (on average): hand over at once */
#define POLL_BATCH	32	/* events taken per wait, queued for whichever thread is free */

struct conn_pool {
	pthread_mutex_t m;
	pthread_cond_t park;	/* threads not needed: one polls, the rest wait here */
	bool polling;		/* a thread waits in the pollset (or is about to) */
	bool watching;		/* a parked thread watches the serving ones */
	int parked;
	unsigned long progress;	/* events served */
	int64_t avg_us;		/* moving average of an event's service time */
	uint64_t q[POLL_BATCH];	/* events taken from the pollset, not served yet */
	int qhead, qlen;
	struct pollset *ps;
	struct worker_ctx *w;
	struct listener *ls;
	size_t nls;
	int64_t *paused_until;	/* per listener: accept() ran out of fds; 0 = watched */
	bool over_share;	/* the listeners are not watched: other workers accept */
	int nopen;
	int wake_rd;
	struct conn **byfd;	/* the open connections by fd */
	size_t nfd;
	uint32_t gen;
	struct conn *conns;	/* all open ones: timeouts, graceful stop */
	int64_t next_scan_ms;	/* monotonic; atomic (read without the lock) */
};

static uint64_t
conn_tag(const struct conn *c)
{
	return (uint64_t)c->pool_gen << 32 | (uint32_t)c->fd;
}

struct conn_pool *
pool_new(struct worker_ctx *w, struct listener *ls, size_t nls, int wake_rd)
{
	struct conn_pool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->m, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->park, &ca);
	pthread_condattr_destroy(&ca);
	p->w = w;
	p->ls = ls;
	p->nls = nls;
	p->wake_rd = wake_rd;
	p->paused_until = xcalloc(nls ? nls : 1, sizeof(*p->paused_until));
	p->next_scan_ms = clock_ms() + SCAN_MAX_MS;
	if (w->score)
		__atomic_store_n(&w->score->open_conns, 0, __ATOMIC_RELAXED);
	if (!(p->ps = pollset_new())) {
		log_errno("worker %d: epoll", w->id);
		goto fail;
	}
	for (size_t i = 0; i < nls; i++) {
		if (pollset_add(p->ps, ls[i].fd, i, PS_SHARED) < 0) {
			log_errno("worker %d: cannot watch %s", w->id, ls[i].name);
			goto fail;
		}
	}
	if (pollset_add(p->ps, wake_rd, TAG_WAKE, PS_LEVEL) < 0) {
		log_errno("worker %d: cannot watch its wake pipe", w->id);
		goto fail;
	}
	w->pool = p;
	return p;
fail:
	pollset_free(p->ps);
	pthread_cond_destroy(&p->park);
	pthread_mutex_destroy(&p->m);
	free(p->paused_until);
	free(p);
	return NULL;
}

/* ---- a connection's hand-overs (conn.c) ------------------------------------------ */

void
pool_conn_add(struct conn_pool *p, struct conn *c)
{
	pthread_mutex_lock(&p->m);
	if ((size_t)c->fd >= p->nfd) {
		size_t n = p->nfd ? p->nfd : 1024;
		while (n <= (size_t)c->fd)
			n *= 2;
		p->byfd = xrealloc(p->byfd, n * sizeof(*p->byfd));
		memset(p->byfd + p->nfd, 0, (n - p->nfd) * sizeof(*p->byfd));
		p->nfd = n;
	}
	if (++p->gen == 0)   /* 0 tags the listeners and the wake pipe */
		p->gen = 1;
	c->pool_gen = p->gen;
	c->pool_state = POOL_HELD;
	p->byfd[c->fd] = c;
	if (p->w->score)
		__atomic_store_n(&p->w->score->open_conns, ++p->nopen, __ATOMIC_RELAXED);
	c->prev = NULL;
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	pthread_mutex_unlock(&p->m);
}

int
pool_conn_wait(struct conn_pool *p, struct conn *c, bool restart_clock)
{
	/* the lines of this connection leave before another thread can serve
	 * (and log) its next request */
	log_request_flush();
	int64_t now = clock_ms();
	pthread_mutex_lock(&p->m);
	if (restart_clock || !c->deadline_ms)
		c->deadline_ms = now + p->w->timeout_ms;
	/* edge-triggered: input that arrived while it was held was reported
	 * (and noted) then, and will not be again; nor the rest of a read
	 * that filled the buffer */
	if (c->pool_pending || c->read_full) {
		c->pool_pending = c->read_full = false;
		pthread_mutex_unlock(&p->m);
		return 1;
	}
	/* added under the lock: the thread it reports to takes the lock before
	 * it looks at the connection, and finds it let go */
	int rc = 0;
	if (!c->watched && (rc = pollset_add(p->ps, c->fd, conn_tag(c), PS_EDGE)) == 0)
		c->watched = true;
	if (rc == 0)
		c->pool_state = POOL_WAITING;
	pthread_mutex_unlock(&p->m);
	return rc;
}

void
pool_conn_del(struct conn_pool *p, struct conn *c)
{
	/* closing the fd takes it out of the epoll set; an event already
	 * reported for it names an old gen, or a connection not waiting */
	pthread_mutex_lock(&p->m);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if ((size_t)c->fd < p->nfd && p->byfd[c->fd] == c)
		p->byfd[c->fd] = NULL;
	if (p->w->score)
		__atomic_store_n(&p->w->score->open_conns, --p->nopen, __ATOMIC_RELAXED);
	c->pool_state = POOL_CLOSED;
	pthread_mutex_unlock(&p->m);
}

struct conn *
pool_conn_first(struct conn_pool *p)
{
	pthread_mutex_lock(&p->m);
	struct conn *c = p->conns;
	pthread_mutex_unlock(&p->m);
	return c;
}

/* ---- the threads' loop ------------------------------------------------------- */

/* Keep-alive clients stay with the worker that accepted them, and a worker
 * wakes for a new connection while it has a thread waiting: a burst of
 * connections (a client pool starting) lands mostly on one worker, whose
 * clients then wait for its threads while another worker's are idle. A
 * worker holding two connections more than another one that has a free
 * thread stops watching the listeners for a while (the kernel then wakes
 * the other); one whose threads are all busy (stuck) does not count. */
static bool
over_share(const struct worker_ctx *w)
{
	if (!w->peers || w->npeers < 2 || !w->score)
		return false;
	int mine = __atomic_load_n(&w->score->open_conns, __ATOMIC_RELAXED);
	for (int i = 0; i < w->npeers; i++) {
		const struct worker_score *s = &w->peers[i];
		if (s == w->score || !__atomic_load_n(&s->pid, __ATOMIC_RELAXED) ||
		    !__atomic_load_n(&s->accepting, __ATOMIC_RELAXED) ||
		    mine < __atomic_load_n(&s->open_conns, __ATOMIC_RELAXED) + 2)
			continue;
		const struct core_score *cores = w->cores + (ptrdiff_t)(i - (w->id - 1)) * w->nthreads;
		for (int c = 0; c < w->nthreads; c++)
			if (!__atomic_load_n(&cores[c].request_start_ms, __ATOMIC_RELAXED))
				return true;
	}
	return false;
}

/* Watches the listeners (on) or not, under the lock. */
static void
watch_listeners(struct conn_pool *p, bool on)
{
	for (size_t i = 0; i < p->nls; i++) {
		if (p->paused_until[i])
			continue;   /* out of fds: the scan adds it back */
		if (!on)
			pollset_del(p->ps, p->ls[i].fd);
		else if (pollset_add(p->ps, p->ls[i].fd, i, PS_SHARED) < 0)
			log_errno("worker %d: cannot watch %s", p->w->id, p->ls[i].name);
	}
	p->over_share = !on;
}

/* Closes the connections that waited past socket-timeout, watches the
 * listeners again after a pause, and sets when to look again. */
static void
pool_scan(struct conn_pool *p, int64_t now)
{
	struct conn *expired[EXPIRE_BATCH];
	size_t n = 0;

	pthread_mutex_lock(&p->m);
	int64_t next = now + SCAN_MAX_MS;
	for (struct conn *c = p->conns; c; c = c->next) {
		if (c->pool_state != POOL_WAITING)
			continue;
		if (c->deadline_ms <= now && n < EXPIRE_BATCH) {
			c->pool_state = POOL_HELD;   /* ours: an event for it is dropped */
			expired[n++] = c;
		} else if (c->deadline_ms < next) {
			next = c->deadline_ms;
		}
	}
	if (p->over_share) {
		if (worker_stopping(p->w) || !over_share(p->w))
			watch_listeners(p, true);
		else if (now + BALANCE_MS < next)
			next = now + BALANCE_MS;
	}
	for (size_t i = 0; i < p->nls; i++) {
		if (p->paused_until[i] && p->paused_until[i] <= now) {
			if (p->over_share) {
				p->paused_until[i] = 0;   /* watched again with the others */
				continue;
			}
			if (pollset_add(p->ps, p->ls[i].fd, i, PS_SHARED) == 0) {
				p->paused_until[i] = 0;
			} else {
				log_errno("worker %d: cannot watch %s", p->w->id, p->ls[i].name);
				p->paused_until[i] = now + ACCEPT_PAUSE_MS;
			}
		}
		if (p->paused_until[i] && p->paused_until[i] < next)
			next = p->paused_until[i];
	}
	__atomic_store_n(&p->next_scan_ms, next, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->m);
	for (size_t i = 0; i < n; i++)
		conn_expire(expired[i]);
}

/* One connection per event: this thread serves its first request, the
 * next waiting thread takes the next connection. */
static void
pool_accept(struct conn_pool *p, size_t i)
{
	struct listener *l = &p->ls[i];
	struct sock_addr peer;
	int fd = sock_accept(l->fd, &peer);
	if (fd >= 0) {
		conn_start(NULL, p->w, l, fd, &peer);
		if (over_share(p->w)) {
			pthread_mutex_lock(&p->m);
			if (!p->over_share) {
				watch_listeners(p, false);
				int64_t due = clock_ms() + BALANCE_MS;
				if (due < p->next_scan_ms)
					__atomic_store_n(&p->next_scan_ms, due, __ATOMIC_RELAXED);
			}
			pthread_mutex_unlock(&p->m);
		}
		return;
	}
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
		/* the listener stays readable: without a pause every thread
		 * spins (and logs) until a descriptor is freed */
		log_errno("accept(%s): pausing %d ms", l->name, ACCEPT_PAUSE_MS);
		pthread_mutex_lock(&p->m);
		if (!p->paused_until[i]) {
			pollset_del(p->ps, l->fd);
			p->paused_until[i] = clock_ms() + ACCEPT_PAUSE_MS;
			if (p->paused_until[i] < p->next_scan_ms)
				__atomic_store_n(&p->next_scan_ms, p->paused_until[i], __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&p->m);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
		log_errno("accept(%s)", l->name);
	}
}

static void
pool_dispatch(struct conn_pool *p, uint64_t tag)
{
	uint32_t gen = (uint32_t)(tag >> 32), low = (uint32_t)tag;
	if (gen == 0) {
		/* the wake pipe: the loop looks at the stop flags */
		if (low != TAG_WAKE && low < p->nls && !worker_stopping(p->w))
			pool_accept(p, low);
		return;
	}
	pthread_mutex_lock(&p->m);
	struct conn *c = low < p->nfd ? p->byfd[low] : NULL;
	if (c && c->pool_gen == gen && c->pool_state == POOL_HELD)
		c->pool_pending = true;   /* its holder reads again before it lets go */
	if (c && (c->pool_gen != gen || c->pool_state != POOL_WAITING))
		c = NULL;
	if (c)
		c->pool_state = POOL_HELD;
	pthread_mutex_unlock(&p->m);
	if (c)
		conn_ready(c);
}

static bool
pool_stopping(struct conn_pool *p)
{
	return worker_stop_requested() || worker_stopping(p->w);
}

/*
 * One thread waits in the pollset at a time; the others park. Handing the
 * wait to a parked thread costs a wake-up (a context switch, several µs),
 * which short requests cannot afford: one thread would serve a stream of
 * them alone, taking the next ready connection after each, while the other
 * threads sleep. So a thread leaving the wait to serve hands it over at
 * once only when events take long on average (a request that waits on a
 * database); otherwise a parked thread watches and takes the wait over
 * when no event got served for WATCH_MS (the serving threads are stuck in
 * slow requests). Called with the lock held while another thread polls;
 * returns to let the caller look again.
 */
static void
park(struct conn_pool *p)
{
	p->parked++;
	pthread_cond_wait(&p->park, &p->m);
	p->parked--;
	if ((p->polling && !p->qlen) || p->watching || p->avg_us > EAGER_US || pool_stopping(p))
		return;
	/* the poller left to serve: watch */
	p->watching = true;
	unsigned long stamp = p->progress;
	int idle_ticks = 0;
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		p->parked++;
		int rc = pthread_cond_timedwait(&p->park, &p->m, &ts);
		p->parked--;
		if (pool_stopping(p) || p->avg_us > EAGER_US)
			break;
		bool idle = p->progress == stamp;
		idle_ticks = idle ? idle_ticks + 1 : 0;
		if (p->polling && !p->qlen && idle_ticks >= WATCH_IDLE)
			break;   /* nothing to watch: park until the next hand-over
			          * (not at once: a poller between two bursts of
			          * requests would hand over at each) */
		if ((!p->polling || p->qlen) && idle && rc == ETIMEDOUT)
			break;   /* stuck: take the queue or the wait over */
		stamp = p->progress;
	}
	p->watching = false;
}

int
pool_serve(struct conn_pool *p, int core)
{
	struct worker_ctx *w = p->w;
	int rc = 0;
	if (w->score && core == 0)
		w->score->accepting = 1;
	conn_set_core(w->cores ? &w->cores[core] : NULL, core);
	log_request_batching(true, (size_t)(w->id - 1) * (size_t)w->nthreads + (size_t)core);
	pthread_mutex_lock(&p->m);
	while (!pool_stopping(p)) {
		if (!p->qlen && p->polling) {
			park(p);
			continue;
		}
		if (!p->qlen) {
			/* the events of one wait are queued: a thread serving a
			 * stream of short requests takes one wait per batch */
			uint64_t tags[POLL_BATCH];
			p->polling = true;
			pthread_mutex_unlock(&p->m);
			int64_t now = clock_ms();
			int64_t due = __atomic_load_n(&p->next_scan_ms, __ATOMIC_RELAXED);
			int n = 0;
			if (now >= due)
				pool_scan(p, now);
			else
				n = pollset_wait(p->ps, tags, POLL_BATCH,
				                 (int)(due - now < SCAN_MAX_MS ? due - now : SCAN_MAX_MS));
			pthread_mutex_lock(&p->m);
			p->polling = false;
			if (n < 0) {
				log_errno("worker %d: epoll_wait", w->id);
				rc = 1;
				break;
			}
			for (int i = 0; i < n; i++)   /* (only the poller fills it, when empty) */
				p->q[(p->qhead + p->qlen++) % POLL_BATCH] = tags[i];
			continue;
		}
		uint64_t tag = p->q[p->qhead];
		p->qhead = (p->qhead + 1) % POLL_BATCH;
		p->qlen--;
		/* leaving to serve: queued events or the wait are left to others */
		if (p->parked > 0 && (p->avg_us > EAGER_US || !p->watching))
			pthread_cond_signal(&p->park);
		pthread_mutex_unlock(&p->m);
		int64_t t0 = clock_us();
		pool_dispatch(p, tag);
		int64_t us = clock_us() - t0;
		log_request_flush();    /* (lines of a connection it closed) */
		/* an idle worker lets go of a rotated log file too */
		log_reopen_pending(false);
		pthread_mutex_lock(&p->m);
		/* capped: a thread preempted while serving (a busy machine) makes
		 * one event look long; only a run of long ones is */
		p->avg_us = (p->avg_us * 7 + (us < 2 * EAGER_US ? us : 2 * EAGER_US)) / 8;
		p->progress++;
	}
	pthread_cond_broadcast(&p->park);   /* every parked thread sees the stop */
	pthread_mutex_unlock(&p->m);
	/* graceful: this thread's request in flight has completed; the others
	 * finish theirs, then pool_finish() serves what already arrived */
	worker_stop(w);
	log_request_batching(false, 0);
	return rc;
}

void
pool_finish(struct conn_pool *p)
{
	if (!p)
		return;
	conn_close_idle(NULL, p);
	p->w->pool = NULL;
	pollset_free(p->ps);
	pthread_cond_destroy(&p->park);
	pthread_mutex_destroy(&p->m);
	free(p->byfd);
	free(p->paused_until);
	free(p);
}
