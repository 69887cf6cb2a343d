/* SPDX-License-Identifier: MIT */
/* The Emperor on Linux: inotify, and jails found through the registry. */
#include "emperor/emperor_os.h"
#include "base/clock.h"
#include "base/util.h"
#include "jail/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
                    IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct notify *
notify_open(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return NULL;
	return notify_from_fd(fd);
}

int
notify_watch_dir(struct notify *n, const char *dir)
{
	return inotify_add_watch(notify_fd(n), dir, WATCH_MASK);
}

bool
notify_wants_file_watches(void)
{
	return false;
}

int
notify_watch_file(struct notify *n, const char *path)
{
	(void)n;
	(void)path;
	errno = ENOTSUP;
	return -1;
}

void
notify_unwatch(struct notify *n, int wd)
{
	if (wd >= 0)
		inotify_rm_watch(notify_fd(n), wd);
}

void
notify_drain(struct notify *n, void (*cb)(int wd, const char *name, void *data), void *data)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t len = read(notify_fd(n), buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return;
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				cb(-1, NULL, data);
			else
				cb(ev->wd, ev->len ? ev->name : NULL, data);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* ---- jails ------------------------------------------------------------------- */

static int
pidns_of(pid_t pid, struct stat *st)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
	return stat(p, st);
}

/* The registry with each jail's pid namespace, listed at most every
 * JAIL_CACHE_MS: a stats document asks for every vassal's jail, and
 * listing the registry once per vassal made 200 jailed vassals block the
 * Emperor's loop for seconds. A miss in an older listing lists again, so a
 * jail created since is still found. */
#define JAIL_CACHE_MS 200

static struct {
	struct registry_entry *v;
	struct stat *ns;
	size_t n;
	long long at_ms;
	bool valid;
} jail_cache;

static void
jail_cache_refresh(void)
{
	free(jail_cache.v);
	free(jail_cache.ns);
	memset(&jail_cache, 0, sizeof(jail_cache));
	if (registry_list(&jail_cache.v, &jail_cache.n) < 0) {
		jail_cache.v = NULL;
		jail_cache.n = 0;
		return;
	}
	jail_cache.ns = xcalloc(jail_cache.n ? jail_cache.n : 1, sizeof(*jail_cache.ns));
	for (size_t i = 0; i < jail_cache.n; i++)
		if (pidns_of(jail_cache.v[i].pid, &jail_cache.ns[i]) < 0)
			jail_cache.ns[i].st_ino = 0;
	jail_cache.at_ms = clock_ms();
	jail_cache.valid = true;
}

static int
jail_cache_find(const struct stat *child_ns, size_t nchild, long *jid, char *name, size_t len)
{
	for (size_t c = 0; c < nchild; c++)
		for (size_t i = 0; i < jail_cache.n; i++)
			if (jail_cache.ns[i].st_ino && jail_cache.ns[i].st_ino == child_ns[c].st_ino &&
			    jail_cache.ns[i].st_dev == child_ns[c].st_dev) {
				*jid = jail_cache.v[i].jid;
				snprintf(name, len, "%s", jail_cache.v[i].name);
				return 0;
			}
	return -1;
}

int
emperor_jail_of(pid_t pid, long *jid, char *name, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	size_t n;
	char *children = read_file(path, &n);
	if (!children)
		return -1;
	/* the pid namespaces of the vassal's children (a jail's init is one) */
	size_t nchild = 0, cap = 4;
	struct stat *child_ns = xcalloc(cap, sizeof(*child_ns));
	char *save = NULL;
	for (char *tok = strtok_r(children, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (nchild == cap) {
			cap *= 2;
			child_ns = xrealloc(child_ns, cap * sizeof(*child_ns));
		}
		if (pidns_of((pid_t)atoi(tok), &child_ns[nchild]) == 0)
			nchild++;
	}
	free(children);
	int rc = -1;
	if (nchild > 0) {
		bool fresh = false;
		if (!jail_cache.valid || clock_ms() - jail_cache.at_ms > JAIL_CACHE_MS) {
			jail_cache_refresh();
			fresh = true;
		}
		rc = jail_cache_find(child_ns, nchild, jid, name, len);
		if (rc < 0 && !fresh) {
			jail_cache_refresh();
			rc = jail_cache_find(child_ns, nchild, jid, name, len);
		}
	}
	free(child_ns);
	return rc;
}
