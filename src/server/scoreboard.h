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
};


struct scoreboard {
	uint64_t total_requests;
	int nworkers;
	struct worker_score workers[];   /* nworkers entries */
};

#endif
