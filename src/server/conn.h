/* SPDX-License-Identifier: MIT */
/*
 * One client connection in a worker: reading request heads through the event
 * loop, then serving each request synchronously (the app is blocking WSGI):
 * body reads and response writes wait with poll() bounded by socket-timeout.
 */
#ifndef STOCKADE_CONN_H
#define STOCKADE_CONN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/socket.h"

enum proto { PROTO_HTTP, PROTO_UWSGI };

struct listener {
	int fd;
	enum proto proto;
	char *name;               /* as configured */
	char port[8];             /* SERVER_PORT */
	struct sock_addr addr;
};

struct worker_ctx {
	int id;                   /* 1..N */
	const struct config *cfg;
	unsigned long requests;   /* served by this worker */
	unsigned long *total_requests;  /* shared by all workers (mmap) */
	char hostname[256];
	int timeout_ms;
	size_t buffer_size;
	uint64_t limit_post;
	int64_t body_timeout_us;       /* whole body; 0 = per read only */
	uint64_t body_min_rate;        /* B/s that extend it by 1 s */
	uint64_t max_requests;         /* 0 = unlimited */
	struct worker_score *score;    /* this worker's scoreboard entry */
	volatile sig_atomic_t *early_stop;  /* set by the start-up handler (no-master mode) */
	bool stopping;                 /* finish the current request, then exit (worker_stop) */
	/* issue 20: threads */
	int nthreads;                  /* serving threads (1: none) */
	struct conn_pool *pool;        /* threads: the connections all threads serve (worker_pool.c) */
	int wake_fd;                   /* written to wake every thread's loop; -1 none */
	struct core_score *cores;      /* this worker's nthreads cores in the scoreboard */
	struct worker_score *peers;    /* every worker's entry (npeers; NULL: no master) */
	int npeers;
};

/* The worker is stopping (graceful: requests in flight finish). */
static inline bool
worker_stopping(struct worker_ctx *w)
{
	return __atomic_load_n(&w->stopping, __ATOMIC_RELAXED);
}

/* Stops the worker and wakes all its threads: true for the one caller that
 * stopped it (worker_threads.c). */
bool worker_stop(struct worker_ctx *w);

struct conn;
struct worker_score;
struct event_loop;
struct config;

/* Accepted fd → a connection: its first request is served right away if it
 * is there, otherwise the connection waits in the worker's loop. peer is the
 * address accept() returned (NULL: asked with getpeername()). */
void conn_start(struct event_loop *loop, struct worker_ctx *w, struct listener *l, int fd,
                const struct sock_addr *peer);
/* This thread's scoreboard core (NULL: none) and its number, for the
 * counters and the request log. */
struct core_score;
void conn_set_core(struct core_score *cs, int id);
/* A serving thread ends (threads): frees what conn_set_core() and its
 * closed connections kept. */
void conn_thread_end(void);
/* Connections of this thread currently open (for graceful stop). */
size_t conn_open_count(void);
/* Closes idle keep-alive connections (graceful stop): this thread's, or
 * every one of pool (threads, once the other threads ended). */
struct conn_pool;
void conn_close_idle(struct event_loop *loop, struct conn_pool *pool);

#endif
