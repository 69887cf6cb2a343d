/* SPDX-License-Identifier: MIT */
/*
 * What the Emperor's files share: the one module state (the Emperor is one
 * per process), its defaults, and the functions one file calls in another.
 * emperor.c starts, signals and ends; emperor_spawn.c schedules, spawns
 * and reaps vassals; emperor_protocol.c talks to them over their sockets;
 * emperor_scan.c turns monitor scans and change events into spawns, reloads
 * and stops; emperor_stats.c reports.
 */
#ifndef STOCKADE_EMPEROR_INTERNAL_H
#define STOCKADE_EMPEROR_INTERNAL_H

#include "config/config.h"
#include "emperor/monitor.h"
#include "emperor/throttle.h"
#include "emperor/vassal_table.h"
#include "net/event.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DEFAULT_FREQ_S 3
#define DEFAULT_THROTTLE_MS 1000
#define DEFAULT_MAX_THROTTLE_MS 180000
#define DEFAULT_CURSE_S 30
#define DEFAULT_HEARTBEAT_S 30
#define DEFAULT_MERCY_S 30
#define DEBOUNCE_MS 20          /* coalesces a burst of change events into one rescan */
#define RETRY_MS 1000           /* after a failed fork/socketpair */
#define MAX_LOOP_FDS 65536

struct notify;

struct emperor {
	const struct config *cfg;
	char binary[PATH_MAX];
	char cwd[PATH_MAX];
	struct monitor *mon;
	size_t nmon;
	bool *dirty;
	bool *scan_failed;
	bool *pg_waiting;           /* a pg monitor's first scan (or failure) is still to come */
	size_t npg_waiting;
	struct monitor_opts mopts;
	struct notify *notify;
	struct event_loop *loop;
	struct vassal_table vt;
	struct throttle thr;
	struct blacklist bl;
	unsigned long long seq, warm_seq;
	bool initial_done;
	unsigned gen;
	long long sched_timer, sched_at;
	long long debounce_timer;
	int sigpipe;                /* read end of the signal pipe; -1 */
	int stats_fd;
	bool ragnarok;
	long long ragnarok_at;
	long long mercy_s, curse_ms, freq_ms, heartbeat_s;
};
extern struct emperor emperor;

static inline int64_t now_unix(void) { return (int64_t)time(NULL); }

/* emperor.c */
void emperor_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* emperor_spawn.c: the scheduler runs at `at` (monotonic ms) at the latest */
void emperor_arm_sched(long long at);
void emperor_request_spawn(struct vassal *v);
/* At once, past the throttle (an on-demand vassal's first connection waits). */
void emperor_spawn_now(struct vassal *v);
void emperor_watch_file(struct vassal *v);
void emperor_close_pipe(struct vassal *v);
void emperor_forget(struct vassal *v);
void emperor_reap(void);

/* emperor_protocol.c */
void emperor_stop(struct vassal *v, enum vassal_after_stop after);
void emperor_reload(struct vassal *v);
void emperor_on_vassal_msg(struct event_loop *loop, int fd, void *data, int mask);

/* emperor_scan.c */
void emperor_scan_all(void);
void emperor_on_pg_scan(void *ctx, struct scan_result *r);
void emperor_on_notify(struct event_loop *loop, int fd, void *data, int mask);
void emperor_on_tick(struct event_loop *loop, long long id, void *data);

/* emperor_stats.c */
int emperor_stats_setup(void);
void emperor_log_table(void);

#endif
