/* SPDX-License-Identifier: MIT */
/*
 * `threads = N` (issue 20): a worker runs N serving threads, each with its
 * own request (the per-request state in conn.c is thread-local); they
 * share the worker's connections: whichever thread is free serves the
 * next ready one (worker_pool.c). Python: one
 * thread state per thread, made once; the GIL is held only while Python
 * runs (the request I/O lets go of it). Signals go to the first thread,
 * which wakes the others through a pipe every loop watches.
 */
#include "server/worker.h"
#include "config/config.h"
#include "base/log.h"
#include "python/wsgi.h"
#include "server/conn_internal.h"
#include "server/scoreboard.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS_MAX 512

size_t
worker_threads_count(const struct config *cfg)
{
	return cfg->threads > 1 ? (size_t)cfg->threads : 1;
}

bool
worker_stop(struct worker_ctx *w)
{
	if (__atomic_exchange_n(&w->stopping, true, __ATOMIC_ACQ_REL))
		return false;
	if (w->wake_fd >= 0 && write(w->wake_fd, "", 1) < 0 && errno != EAGAIN)
		log_errno("worker %d: waking its threads", w->id);
	return true;
}

void
count_request_shared(struct worker_ctx *w, struct worker_score *sc, uint64_t tx, uint64_t us,
                     bool exception)
{
	__atomic_add_fetch(&w->requests, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(w->total_requests, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sc->requests, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sc->delta_requests, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sc->tx, tx, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sc->running_time_us, us, __ATOMIC_RELAXED);
	/* a moving average: a lost update between two threads is harmless */
	uint64_t avg = __atomic_load_n(&sc->avg_rt_us, __ATOMIC_RELAXED);
	__atomic_store_n(&sc->avg_rt_us, avg ? (avg * 7 + us) / 8 : us, __ATOMIC_RELAXED);
	if (exception)
		__atomic_add_fetch(&sc->exceptions, 1, __ATOMIC_RELAXED);
}

/* ---- starting and joining the threads -------------------------------------------- */

struct serve_thread {
	pthread_t tid;
	struct worker_ctx *w;
	struct conn_pool *pool;
	int core;
};

static void *
thread_main(void *arg)
{
	struct serve_thread *t = arg;
	if (wsgi_thread_attach() < 0) {
		worker_stop(t->w);
		return NULL;
	}
	if (pool_serve(t->pool, t->core) != 0)
		worker_stop(t->w);
	conn_thread_end();
	wsgi_thread_detach();
	return NULL;
}

static int
add_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS)
			*(size_t *)data += info->dlpi_phdr[i].p_memsz + info->dlpi_phdr[i].p_align;
	return 0;
}

/* threads-stacksize is what the thread's code gets, as in uWSGI: the C
 * library takes the static thread-local blocks (our per-thread request
 * buffers) from the same allocation, so they are added on top. */
static void
set_stack_size(pthread_attr_t *attr, unsigned long long kb, bool verbose)
{
	size_t tls = 0;
	dl_iterate_phdr(add_tls, &tls);
	int rc = pthread_attr_setstacksize(attr, (size_t)kb * 1024 + tls);
	if (!verbose)
		return;
	if (rc == 0)
		log_msg("threads stack size set to %lluk", kb);
	else
		log_msg("!!! unable to set requested threads stacksize (%lluk): %s !!!", kb, strerror(rc));
}

int
worker_threads_run(struct worker_ctx *w, struct listener *ls, size_t nls)
{
	const struct config *cfg = w->cfg;
	int p[2], rc;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_errno("worker %d: pipe", w->id);
		return 1;
	}
	w->wake_fd = p[1];
	worker_signal_wake(p[1]);
	struct serve_thread *t = calloc((size_t)w->nthreads, sizeof(*t));
	if (!t) {
		log_errno("worker %d: threads", w->id);
		return 1;
	}
	struct conn_pool *pool = pool_new(w, ls, nls, p[0]);
	if (!pool)
		return 1;
	for (int i = 0; i < w->nthreads; i++)
		t[i] = (struct serve_thread){ 0, w, pool, i };
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (cfg->threads_stacksize)   /* said once, by the first worker */
		set_stack_size(&attr, cfg->threads_stacksize, w->id == 1 && w->score->respawn_count == 0);
	/* the other threads get no signals: the first one handles them all */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	wsgi_release();   /* the GIL was ours since the app was loaded or forked */
	int started = 1;
	for (int i = 1; i < w->nthreads; i++, started++) {
		if ((rc = pthread_create(&t[i].tid, &attr, thread_main, &t[i])) != 0) {
			log_msg("worker %d: cannot start thread %d of %d: %s", w->id, i + 1, w->nthreads,
			        strerror(rc));
			worker_stop(w);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	rc = started == w->nthreads ? pool_serve(pool, 0) : 1;
	worker_stop(w);
	for (int i = 1; i < started; i++)
		pthread_join(t[i].tid, NULL);
	pool_finish(pool);   /* what already arrived on kept-alive connections */
	conn_thread_end();
	worker_signal_wake(-1);
	w->wake_fd = -1;
	close(p[0]);
	close(p[1]);
	free(t);
	return rc;
}

/* A threads value out of range: one line naming where it was set. */
int
worker_threads_check(const struct config *cfg)
{
	if (cfg->threads <= THREADS_MAX)
		return 0;
	const struct origin *o = config_origin(cfg, "threads");
	config_error(o ? *o : (struct origin){ "config", 0 }, "threads = %llu: at most %d per worker",
	             cfg->threads, THREADS_MAX);
	return -1;
}
