/* SPDX-License-Identifier: MIT */
/*
 * offload-threads: per-worker threads, each with its own event loop, that
 * finish sendfile transfers to slow clients so the worker serves on.
 * A job travels over the thread's pipe (one write, under PIPE_BUF: atomic
 * from any serving thread); the thread owns both fds from then on.
 */
#include "request_features/offload.h"
#include "net/event.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define OFFLOAD_MAX_FDS 65536

struct job {
	int sock, file;
	off_t offset;
	size_t left;
	int timeout_ms;
	long long timer;
	struct event_loop *loop;
};

struct othread {
	int rd, wr;
	struct event_loop *loop;
};

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static struct othread *threads;
static int nstarted;
static bool ready;            /* start_threads() ran: nstarted is final */
static unsigned next_thread;
static int in_flight;

static void on_writable(struct event_loop *loop, int fd, void *data, int mask);

static void
job_end(struct job *j)
{
	event_del(j->loop, j->sock, EV_WRITE);
	if (j->timer > 0)
		event_timer_del(j->loop, j->timer);
	close(j->sock);
	close(j->file);
	free(j);
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELEASE);
}

/* socket-timeout without progress: the client stalled, give up (uWSGI too) */
static void
on_stall(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct job *j = data;
	j->timer = 0;
	log_msg("offload: a client took no data for %d ms (socket-timeout): %zu bytes unsent, "
	    "connection closed", j->timeout_ms, j->left);
	job_end(j);
}

/* Sends what the socket takes now; 1 done or failed (the job is gone), 0 wait. */
static int
job_push(struct job *j)
{
	while (j->left > 0) {
		ssize_t s = platform_sendfile(j->sock, j->file, &j->offset, j->left);
		if (s < 0 && errno == EINTR)
			continue;
		if (s < 0 && errno == EAGAIN)
			return 0;
		if (s <= 0)
			break;   /* error, or the file shrank: the client sees EOF */
		j->left -= (size_t)s;
	}
	job_end(j);
	return 1;
}

static void
job_wait(struct job *j)
{
	if (j->timer > 0)
		event_timer_del(j->loop, j->timer);
	j->timer = 0;
	if (event_add(j->loop, j->sock, EV_WRITE, on_writable, j) < 0 ||
	    (j->timeout_ms > 0 &&
	     event_timer_arm(j->loop, j->timeout_ms, on_stall, j, &j->timer) < 0)) {
		log_errno("offload: cannot watch a client socket");
		job_end(j);
	}
}

static void
on_writable(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	(void)mask;
	struct job *j = data;
	if (job_push(j) == 0)
		job_wait(j);   /* progress made: the stall timer starts again */
}

static void
on_job(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)data;
	(void)mask;
	struct job *j;
	ssize_t n = read(fd, &j, sizeof(j));
	if (n != (ssize_t)sizeof(j))
		return;   /* EAGAIN, or a spurious wake-up */
	j->loop = loop;
	if (job_push(j) == 0)
		job_wait(j);
}

static void *
othread_main(void *arg)
{
	struct othread *t = arg;
	if (event_loop_run(t->loop) < 0)
		log_errno("offload thread: event loop");
	return NULL;
}

/* Starts the threads once per worker process; false if none could start. */
static bool
start_threads(int n)
{
	pthread_mutex_lock(&start_lock);
	if (!ready) {
		/* signals stay with the serving threads (the loops there wake on them) */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		threads = calloc((size_t)n, sizeof(*threads));
		for (int i = 0; threads && i < n; i++) {
			struct othread *t = &threads[i];
			int p[2];
			pthread_t tid;
			if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
				log_errno("offload: pipe");
				break;
			}
			t->rd = p[0];
			t->wr = p[1];
			t->loop = event_loop_new(OFFLOAD_MAX_FDS);
			if (!t->loop || event_add(t->loop, t->rd, EV_READ, on_job, t) < 0 ||
			    pthread_create(&tid, NULL, othread_main, t) != 0) {
				log_errno("offload: cannot start an offload thread");
				close(p[0]);
				close(p[1]);
				if (t->loop)
					event_loop_free(t->loop);
				break;
			}
			pthread_detach(tid);
			nstarted++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	}
	bool ok = nstarted > 0;
	pthread_mutex_unlock(&start_lock);
	return ok;
}

bool
offload_sendfile(int nthreads, int sock, int file_fd, off_t offset, size_t len, int timeout_ms)
{
	if (nthreads <= 0 || len == 0)
		return false;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE) && !start_threads(nthreads))
		return false;
	if (nstarted == 0)
		return false;   /* none could start (logged once) */
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return false;
	j->sock = fcntl(sock, F_DUPFD_CLOEXEC, 0);
	j->file = fcntl(file_fd, F_DUPFD_CLOEXEC, 0);
	j->offset = offset;
	j->left = len;
	j->timeout_ms = timeout_ms;
	if (j->sock < 0 || j->file < 0 || j->sock >= OFFLOAD_MAX_FDS) {
		if (j->sock >= 0)
			close(j->sock);
		if (j->file >= 0)
			close(j->file);
		free(j);
		return false;
	}
	/* the socket's file status is shared by the dup: it must not block */
	int fl = fcntl(j->sock, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(j->sock, F_SETFL, fl | O_NONBLOCK);
	struct othread *t = &threads[__atomic_fetch_add(&next_thread, 1, __ATOMIC_RELAXED) % (unsigned)nstarted];
	__atomic_add_fetch(&in_flight, 1, __ATOMIC_ACQ_REL);
	if (write(t->wr, &j, sizeof(j)) != (ssize_t)sizeof(j)) {
		__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELEASE);
		close(j->sock);
		close(j->file);
		free(j);
		return false;   /* the pipe is full: the worker sends it itself */
	}
	return true;
}

void
offload_drain(long long mercy_ms)
{
	long long deadline = clock_ms() + mercy_ms;
	while (__atomic_load_n(&in_flight, __ATOMIC_ACQUIRE) > 0 && clock_ms() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}
