/* SPDX-License-Identifier: MIT */
/*
 * The scoreboard: per-worker counters in shared memory (mmap before the
 * first fork), written by each worker, read by the master for harakiri,
 * reload-on-rss and the stats server. Fields a worker writes are only read
 * by others, so plain loads/stores with relaxed atomics are enough.
 */
#ifndef STOCKADE_SCOREBOARD_H
#define STOCKADE_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

enum worker_status { WS_IDLE, WS_BUSY, WS_CHEAP, WS_PAUSE, WS_SIG };

struct worker_score {
	pid_t pid;                  /* 0 when not running */
	int accepting;              /* 1 once the worker entered its accept loop */
	int status;                 /* enum worker_status */
	uint64_t requests;          /* since this worker slot was first spawned */
	uint64_t delta_requests;    /* since the last stats read (reset by the reader) */
	uint64_t exceptions;        /* requests that ended in an app exception (500) */
	uint64_t harakiri_count;
	uint64_t tx;                /* response bytes sent */
	uint64_t running_time_us;   /* total time spent in requests */
	uint64_t avg_rt_us;         /* moving average request time */
	uint64_t rss;               /* bytes, refreshed by the master */
	uint64_t vsz;               /* bytes, refreshed by the master */
	int64_t last_spawn;         /* unix time of the current process' spawn */
	uint64_t respawn_count;
	int64_t request_start_ms;   /* monotonic ms when the current request began; 0 = idle */
	/* issue 20: threads */
	int open_conns;             /* its connections, for the workers' balance (worker_pool.c) */
};


/* issue 20: threads. One per thread of a worker (uWSGI's "cores"),
 * written only by its thread, read by the master (harakiri, stats). */
struct core_score {
	uint64_t requests;
	uint64_t static_requests;
	uint64_t routed_requests;
	uint64_t offloaded_requests;
	uint64_t write_errors;
	uint64_t read_errors;
	int64_t request_start_ms;   /* monotonic ms when its request began; 0 = idle */
};

struct scoreboard {
	uint64_t total_requests;
	int nworkers;
	int ncores;                      /* per worker: threads (1 without) */
	struct core_score *cores;        /* nworkers * ncores, same mapping */
	struct worker_score workers[];   /* nworkers entries */
};

static inline struct core_score *
sb_core(const struct scoreboard *sb, int wid, int core)
{
	return &sb->cores[(size_t)(wid - 1) * (size_t)sb->ncores + (size_t)core];
}

/* The first core of worker wid in one request for limit_ms or more at
 * now_ms (monotonic), or -1. */
static inline int
worker_core_stuck(const struct scoreboard *sb, int wid, long long now_ms, long long limit_ms)
{
	for (int c = 0; c < sb->ncores; c++) {
		long long start = __atomic_load_n(&sb_core(sb, wid, c)->request_start_ms, __ATOMIC_ACQUIRE);
		if (start && now_ms - start >= limit_ms)
			return c;
	}
	return -1;
}

#endif
