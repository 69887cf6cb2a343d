/*
 * Imperial monitors: where vassal files come from. `emperor = <arg>` is a
 * `dir` monitor when arg is a directory (vassal names are bare file names,
 * vassals start in that directory), else a `glob` monitor (names are the
 * matched paths, vassals start in the Emperor's directory). A scan lists
 * the valid vassal files with what the Emperor compares between scans.
 * Library code: nothing here logs.
 */
#ifndef STOCKADE_EMPEROR_MONITOR_H
#define STOCKADE_EMPEROR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define VASSAL_NAME_MAX 255       /* as uWSGI: names are shorter than 0xff */

enum monitor_kind { MON_DIR, MON_GLOB };

struct monitor {
	enum monitor_kind kind;
	char *arg;          /* as configured (stats, logs) */
	char *path;         /* MON_DIR: absolute directory; MON_GLOB: the pattern */
	char *watch_dir;    /* directory whose changes trigger a rescan, or NULL */
	int wd;             /* change-notification watch, -1: none (yet) */
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
};

struct scan_result {
	struct scan_entry *v;
	size_t n, cap;
};

/* Builds a monitor from an `emperor` value; 0, or -1 with err (unknown
 * scheme, a `dir/` that is not a directory). */
int monitor_init(struct monitor *m, const char *arg, char *err, size_t errlen);
void monitor_free(struct monitor *m);

/* The command-line flag that loads a vassal file ("--ini", "--json"), or
 * NULL when name is not a vassal (extension, length, a leading dot).
 * Extra extensions are read as ini. */
const char *vassal_flag(const char *name, const struct monitor_opts *o);

/* Lists the valid vassal files of m, sorted by name (regular files only,
 * symlinks followed). 0, or -1 with errno when the directory cannot be
 * read (out is then empty). */
int monitor_scan(const struct monitor *m, const struct monitor_opts *o, struct scan_result *out);
void scan_result_free(struct scan_result *r);

/* Stats one vassal file as a scan would: 0, or -1 (gone, not regular). */
int vassal_stat(const char *path, const struct monitor_opts *o, struct timespec *mtime, uid_t *uid, gid_t *gid);

#endif
