/* SPDX-License-Identifier: MIT */
#ifndef STOCKADE_WORKER_H
#define STOCKADE_WORKER_H

#include "server/conn.h"

/* Serves until told to stop; returns the process exit status. */
int worker_run(struct worker_ctx *w, struct listener *ls, size_t nls);

/* issue 20: threads (worker_threads.c). */
struct config;
/* Serving threads per worker the config asks for (1: none). */
size_t worker_threads_count(const struct config *cfg);
/* threads out of range: -1 after one line naming where it was set. */
int worker_threads_check(const struct config *cfg);
/* The worker with w->nthreads threads, each in worker_serve(). */
int worker_threads_run(struct worker_ctx *w, struct listener *ls, size_t nls);
/* One serving loop (a thread's, core 0..nthreads-1) until the worker stops;
 * wake_rd: readable when every loop must look at the stop flags (-1 none). */
int worker_serve(struct worker_ctx *w, struct listener *ls, size_t nls, int core, int wake_rd);
/* The stop signal handler also writes to fd (threads: wakes them all). */
void worker_signal_wake(int fd);
/* A stop signal arrived. */
bool worker_stop_requested(void);
/* issue 20: the threads' shared connections (worker_pool.c): made before
 * the threads start, each thread serves in pool_serve() as core, the last
 * one closes what is left (graceful stop) and frees it. */
struct conn_pool *pool_new(struct worker_ctx *w, struct listener *ls, size_t nls, int wake_rd);
int pool_serve(struct conn_pool *p, int core);
void pool_finish(struct conn_pool *p);

#endif
