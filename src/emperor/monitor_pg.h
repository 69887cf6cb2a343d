/* SPDX-License-Identifier: MIT */
/*
 * The `pg://` imperial monitor (uWSGI's emperor_pg, reference §5.1): vassal
 * configs are rows of a PostgreSQL table. `emperor = pg://<libpq conninfo>
 * [;<query>]`; the query returns name, config text, modification time as
 * epoch seconds (fraction allowed) and, for tyrant mode, uid and gid; a `$1`
 * in it is this Emperor's node name (emperor-pg-node), so that machines
 * sharing one table each take their own rows. docs/emperor.md has the
 * schema.
 *
 * The connection lives in the Emperor's event loop (libpq's non-blocking
 * API): LISTEN on a channel makes a NOTIFY trigger a rescan at once, the
 * Emperor's periodic tick rescans as a fallback. A lost database is
 * retried with a growing delay (1 s doubling to 30 s) and logged once per
 * outage; nothing is reported while it is down, so running vassals stay.
 */
#ifndef STOCKADE_EMPEROR_MONITOR_PG_H
#define STOCKADE_EMPEROR_MONITOR_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct event_loop;
struct scan_result;
struct pg_monitor;

#define PG_DEFAULT_CHANNEL "stockade_vassals"
#define PG_DEFAULT_QUERY \
	"SELECT name, config, extract(epoch FROM ts), uid, gid FROM vassals WHERE node = $1"
#define PG_CONFIG_MAX 65535        /* one uwsgi packet carries a vassal's config */
#define PG_BACKOFF_MIN_MS 1000
#define PG_BACKOFF_MAX_MS 30000
#define PG_CONNECT_TIMEOUT_MS 10000

struct pg_opts {
	const char *node;       /* NULL: the host name */
	const char *channel;    /* NULL: PG_DEFAULT_CHANNEL; "" : no LISTEN */
	bool tyrant;            /* rows need uid and gid (neither 0) */
};

/* A new scan of the table, in name order (the callee owns nothing), or
 * NULL after a failed connection attempt. */
typedef void pg_scan_fn(void *ctx, struct scan_result *r);

/* Parses "pg://conninfo[;query]" (after "pg://"): conninfo and query are
 * new strings (query NULL when absent). 0, or -1 with err. */
int pg_split_arg(const char *arg, char **conninfo, char **query, char *err, size_t errlen);

/* arg with any password in the conninfo (password=..., user:pass@ in a
 * URI) replaced by "***": what logs and stats show. A new string. */
char *pg_mask_arg(const char *arg);

/* A vassal name a row may carry: [A-Za-z0-9_.-], not starting with '.',
 * 1..VASSAL_NAME_MAX-1 bytes. */
bool pg_name_ok(const char *name);

/* "1700000000" or "1700000000.25" (as extract(epoch ...) prints) → ts.
 * 0, or -1 when not a non-negative decimal number. */
int pg_parse_epoch(const char *s, struct timespec *ts);

/* Checks one row (columns as text, NULL for SQL NULL; ncol columns) and
 * fills e (name, flag, mtime, uid, gid, config: new strings). 0, or -1 with
 * the reason in err. */
struct scan_entry;
int pg_row_entry(char *const *col, int ncol, bool tyrant, struct scan_entry *e, char *err, size_t errlen);

/* A monitor for "pg://..." (arg after the scheme included); NULL with err
 * when the argument is malformed. Connects only in pg_monitor_start(). */
struct pg_monitor *pg_monitor_new(const char *arg, const struct pg_opts *o, char *err, size_t errlen);
/* Starts connecting in loop; each completed scan goes to fn(ctx, r). */
void pg_monitor_start(struct pg_monitor *pm, struct event_loop *loop, pg_scan_fn *fn, void *ctx);
/* Asks for a scan (soon; at once when idle). Nothing while disconnected:
 * a reconnection scans anyway. */
void pg_monitor_rescan(struct pg_monitor *pm);
void pg_monitor_free(struct pg_monitor *pm);

#endif
