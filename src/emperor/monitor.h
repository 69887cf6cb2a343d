/* SPDX-License-Identifier: MIT */
/*
 * Imperial monitors: where vassal files come from. `emperor = <arg>` is a
 * `dir` monitor when arg is a directory (vassal names are bare file names,
 * vassals start in that directory), else a `glob` monitor (names are the
 * matched paths, vassals start in the Emperor's directory), or a `pg`
 * monitor for `pg://...` (rows of a PostgreSQL table, monitor_pg.h: its
 * scans arrive asynchronously). A scan lists the valid vassal files with
 * what the Emperor compares between scans. Library code: nothing here logs
 * (but the pg monitor, which runs on its own in the event loop).
 */
#ifndef STOCKADE_EMPEROR_MONITOR_H
#define STOCKADE_EMPEROR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define VASSAL_NAME_MAX 255       /* as uWSGI: names are shorter than 0xff */

enum monitor_kind { MON_DIR, MON_GLOB, MON_PG };

struct pg_monitor;

struct monitor {
	enum monitor_kind kind;
	char *arg;          /* as configured (stats, logs; a pg password masked) */
	char *path;         /* MON_DIR: absolute directory; MON_GLOB: the pattern; MON_PG: the argument */
	char *watch_dir;    /* directory whose changes trigger a rescan, or NULL */
	int wd;             /* change-notification watch, -1: none (yet) */
	struct pg_monitor *pg;  /* MON_PG: created by the Emperor, freed by monitor_free */
};

struct monitor_opts {
	char *const *extra_ext;   /* emperor-extra-extension values */
	size_t nextra;
	bool nofollow;            /* mtime of a symlink itself */
	bool tyrant_nofollow;     /* owner of a symlink itself */
};

struct scan_entry {
	char *name;
	const char *flag;         /* "--ini" or "--json" */
	struct timespec mtime;
	uid_t uid;
	gid_t gid;
	char *config;             /* MON_PG: the config text (pushed to the vassal); NULL for files */
	char *socket;             /* MON_PG: the 6th column, an on-demand socket address; NULL */
};

struct scan_result {
	struct scan_entry *v;
	size_t n, cap;
};

/* Builds a monitor from an `emperor` value; 0, or -1 with err (unknown
 * scheme, a `dir/` that is not a directory). A pg:// monitor is only
 * described here (kind, masked arg): the Emperor creates its connection. */
int monitor_init(struct monitor *m, const char *arg, char *err, size_t errlen);
void monitor_free(struct monitor *m);

/* The command-line flag that loads a vassal file ("--ini", "--json"), or
 * NULL when name is not a vassal (extension, length, a leading dot).
 * Extra extensions are read as ini. */
const char *vassal_flag(const char *name, const struct monitor_opts *o);

/* Lists the valid vassal files of m, sorted by name (regular files only,
 * symlinks followed). 0, or -1 with errno when the directory cannot be
 * read (out is then empty). Not for MON_PG (pg_monitor_rescan). */
int monitor_scan(const struct monitor *m, const struct monitor_opts *o, struct scan_result *out);
void scan_result_free(struct scan_result *r);

/* Stats one vassal file as a scan would: 0, or -1 (gone, not regular). */
int vassal_stat(const char *path, const struct monitor_opts *o, struct timespec *mtime, uid_t *uid, gid_t *gid);

#endif
