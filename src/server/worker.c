/* SPDX-License-Identifier: MIT */
/* A worker: accept on the shared listening sockets, serve connections. */
#include "server/worker.h"
#include "config/config.h"
#include "base/log.h"
#include "server/scoreboard.h"
#include "request_features/offload.h"
#include "net/event.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define ACCEPT_BATCH 16   /* per wake-up, so that other workers get their share */
#define ACCEPT_PAUSE_MS 250 /* out of descriptors: wait for connections to end */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t wake_fd = -1;   /* threads: wakes every thread's loop */

static void
on_stop_signal(int sig)
{
	(void)sig;
	int saved = errno;
	/* atomic: the other threads read it (a plain store is a data race) */
	__atomic_store_n(&stop_requested, 1, __ATOMIC_RELAXED);
	if (wake_fd >= 0 && write(wake_fd, "", 1) < 0) {
		/* full pipe: the threads are awake already */
	}
	errno = saved;
}

void
worker_signal_wake(int fd)
{
	wake_fd = fd;
}

bool
worker_stop_requested(void)
{
	return __atomic_load_n(&stop_requested, __ATOMIC_RELAXED);
}

struct accept_ctx {
	struct worker_ctx *w;
	struct listener *l;
	long long pause_timer;
};

static void on_accept(struct event_loop *loop, int fd, void *data, int mask);

static void
resume_accepting(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	struct accept_ctx *a = data;
	if (!worker_stopping(a->w) && event_add_exclusive(loop, a->l->fd, on_accept, a) < 0)
		log_errno("worker %d: cannot watch %s", a->w->id, a->l->name);
}

static void
on_accept(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)mask;
	struct accept_ctx *a = data;
	for (int i = 0; i < ACCEPT_BATCH && !worker_stopping(a->w); i++) {
		struct sock_addr peer;
		int cfd = sock_accept(fd, &peer);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the pending connection stays queued and the listener
				 * readable: without a pause this spins (and logs) at full
				 * speed until a descriptor is freed */
				log_errno("accept(%s): pausing %d ms", a->l->name, ACCEPT_PAUSE_MS);
				event_del(loop, fd, EV_READ);
				if (a->pause_timer <= 0)
					event_timer_arm(loop, ACCEPT_PAUSE_MS, resume_accepting, a, &a->pause_timer);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
				log_errno("accept(%s)", a->l->name);
			}
			return;
		}
		conn_start(loop, a->w, a->l, cfd, &peer);
	}
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void
on_wake(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	(void)data;
	(void)mask;
	/* the loop returns and its owner looks at the stop flags; the pipe is
	 * left readable so that every thread sees it */
}

int
worker_serve(struct worker_ctx *w, struct listener *ls, size_t nls, int core, int wake_rd)
{
	struct event_loop *loop = event_loop_new(65536);
	if (!loop) {
		log_errno("worker %d: event loop", w->id);
		return 1;
	}
	struct accept_ctx *acc = calloc(nls, sizeof(*acc));
	if (!acc)
		return 1;
	for (size_t i = 0; i < nls; i++) {
		acc[i] = (struct accept_ctx){ w, &ls[i], 0 };
		if (event_add_exclusive(loop, ls[i].fd, on_accept, &acc[i]) < 0) {
			log_errno("worker %d: cannot watch %s", w->id, ls[i].name);
			return 1;
		}
	}
	if (wake_rd >= 0 && event_add(loop, wake_rd, EV_READ, on_wake, NULL) < 0) {
		log_errno("worker %d: cannot watch its wake pipe", w->id);
		return 1;
	}
	if (w->score && core == 0)
		w->score->accepting = 1;
	conn_set_core(w->cores ? &w->cores[core] : NULL, core);
	log_request_batching(true, (size_t)(w->id - 1) * (size_t)w->nthreads + (size_t)core);
	while (!__atomic_load_n(&stop_requested, __ATOMIC_RELAXED) && !worker_stopping(w)) {
		log_request_flush();    /* the lines of the last turn, before waiting */
		if (event_loop_run_once(loop, 1000) < 0 && errno != EINTR) {
			log_errno("worker %d: event loop", w->id);
			break;
		}
		/* an idle worker lets go of a rotated log file too */
		log_reopen_pending(false);
	}
	/* graceful: the request in flight (if any) has completed by now */
	worker_stop(w);
	for (size_t i = 0; i < nls; i++)
		event_del(loop, ls[i].fd, EV_READ);
	if (wake_rd >= 0)
		event_del(loop, wake_rd, EV_READ);
	conn_close_idle(loop, NULL);
	log_request_batching(false, 0);
	event_loop_free(loop);
	free(acc);
	return 0;
}

int
worker_run(struct worker_ctx *w, struct listener *ls, size_t nls)
{
	install_signals();
	if (w->early_stop && *w->early_stop)
		__atomic_store_n(&stop_requested, 1, __ATOMIC_RELAXED);
	int rc = w->nthreads > 1 ? worker_threads_run(w, ls, nls) : worker_serve(w, ls, nls, 0, -1);
	/* issue 19: files in flight in offload threads finish (within the mercy) */
	if (w->cfg->offload_threads)
		offload_drain((long long)w->cfg->worker_reload_mercy * 1000);
	return rc;
}
