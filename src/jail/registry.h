/* SPDX-License-Identifier: MIT */
/*
 * The Linux jail registry: FreeBSD-style names and small integer jids for
 * jails made of namespaces. One root-only directory per running jail:
 *
 *   <root>/jails/<name>/jid        small int (lowest free >= 1, or jid=N)
 *                      /pid        host pid of the jail's stub init
 *                      /starttime  /proc/<pid>/stat field 22 (pid reuse guard)
 *                      /lock       flock(LOCK_EX) held by init for its life
 *                      /params     effective key=value lines (jls, attach)
 *                      /cgroup /hostname /path /jidfile
 *   <root>/jid/<n> -> ../jails/<name>
 *
 * <root> is /run/stockade. An entry whose lock is free, or whose init is
 * gone (starttime mismatch), is stale: it is collected by the next lookup
 * or list, by a create's sweep (at most once a second: <root>/swept), or
 * by a create that wants its name or a jid up to its own. Every change
 * happens under <root>/registry.lock.
 */
#ifndef STOCKADE_JAIL_REGISTRY_H
#define STOCKADE_JAIL_REGISTRY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define REGISTRY_NAME_MAX 64    /* with the NUL, as struct jail_result.name */

struct registry_entry {
	long jid;
	char name[REGISTRY_NAME_MAX];
	pid_t pid;                      /* 0 while the jail is being created */
	unsigned long long starttime;
	char hostname[256];
	char path[PATH_MAX];
	char cgroup[PATH_MAX];
	char jidfile[PATH_MAX];
};

/* The registry directory (default /run/stockade; tests use a temp dir). */
void registry_set_root(const char *dir);
const char *registry_root(void);

/* True if `name` can be a registry key: 1-63 bytes, no '/', no leading
 * '.', no '.' at all (FreeBSD uses dots for hierarchy), printable. */
bool registry_name_ok(const char *name);

/*
 * Reserves a name and a jid for a new jail. name NULL or "": the jail is
 * named after its jid. jid -1: the lowest free one. A numeric name must
 * equal the jid (as on FreeBSD). Collects stale entries first. On success
 * fills e (pid 0) and returns the entry's lock fd, flocked LOCK_EX and
 * O_CLOEXEC: the creator hands it to the jail's init. -1 with err filled
 * (e.g. "jail name 'x' is already in use (jid 3)").
 */
int registry_create(const char *name, long jid, struct registry_entry *e, char *err, size_t errlen);

/* Records the jail's init (pid and its starttime) in e and on disk. 0/-1. */
int registry_set_init(struct registry_entry *e, pid_t pid);

/* Writes one small text file of the entry (hostname, path, cgroup,
 * jidfile, params). 0 or -1 (errno). */
int registry_put(const struct registry_entry *e, const char *file, const char *text);
/* Reads one; malloc'd text or NULL (errno). */
char *registry_get(const struct registry_entry *e, const char *file);

/*
 * Finds a live jail by jid (all digits) or name. 0 and e filled; -1 with
 * err filled when there is no such jail (stale entries are collected).
 * A jail still being created (no init yet) is not found.
 */
int registry_lookup(const char *id, struct registry_entry *e, char *err, size_t errlen);

/* Live jails sorted by jid (after collecting stale ones if the registry
 * lock is free: listing never waits for it). *v is malloc'd. 0 or -1. */
int registry_list(struct registry_entry **v, size_t *n);

/* Removes the entry if it still belongs to the same jail (jid, and pid +
 * starttime once recorded). Safe to call twice and from several
 * processes. */
void registry_release(const struct registry_entry *e);

/* True if the entry's jail is alive (lock held, init's starttime matches;
 * or lock held and still being created). */
bool registry_alive(const struct registry_entry *e);

/* Collects every stale entry. Returns how many were removed. */
int registry_gc(void);

/* /proc/<pid>/stat field 22 (clock ticks since boot). 0 or -1. */
int proc_starttime(pid_t pid, unsigned long long *out);

#endif
