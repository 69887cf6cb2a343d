/* The Emperor on Linux: inotify, and jails found through the registry. */
#include "emperor/emperor_os.h"
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
#include <time.h>
#include <unistd.h>

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
                    IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct notify {
	int fd;
};

struct notify *notify_open(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct notify *n = xcalloc(1, sizeof(*n));
	n->fd = fd;
	return n;
}

void notify_close(struct notify *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n);
}

int notify_fd(const struct notify *n) { return n->fd; }

int notify_watch_dir(struct notify *n, const char *dir)
{
	return inotify_add_watch(n->fd, dir, WATCH_MASK);
}

bool notify_wants_file_watches(void) { return false; }

int notify_watch_file(struct notify *n, const char *path)
{
	(void)n;
	(void)path;
	errno = ENOTSUP;
	return -1;
}

void notify_unwatch(struct notify *n, int wd)
{
	if (wd >= 0)
		inotify_rm_watch(n->fd, wd);
}

void notify_drain(struct notify *n, void (*cb)(int wd, const char *name, void *data), void *data)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t len = read(n->fd, buf, sizeof(buf));
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

static int pidns_of(pid_t pid, struct stat *st)
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
} jc;

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void jail_cache_refresh(void)
{
	free(jc.v);
	free(jc.ns);
	memset(&jc, 0, sizeof(jc));
	if (registry_list(&jc.v, &jc.n) < 0) {
		jc.v = NULL;
		jc.n = 0;
		return;
	}
	jc.ns = xcalloc(jc.n ? jc.n : 1, sizeof(*jc.ns));
	for (size_t i = 0; i < jc.n; i++)
		if (pidns_of(jc.v[i].pid, &jc.ns[i]) < 0)
			jc.ns[i].st_ino = 0;
	jc.at_ms = mono_ms();
	jc.valid = true;
}

static int jail_cache_find(const struct stat *child_ns, size_t nchild, long *jid, char *name, size_t len)
{
	for (size_t c = 0; c < nchild; c++)
		for (size_t i = 0; i < jc.n; i++)
			if (jc.ns[i].st_ino && jc.ns[i].st_ino == child_ns[c].st_ino && jc.ns[i].st_dev == child_ns[c].st_dev) {
				*jid = jc.v[i].jid;
				snprintf(name, len, "%s", jc.v[i].name);
				return 0;
			}
	return -1;
}

int emperor_jail_of(pid_t pid, long *jid, char *name, size_t len)
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
		if (!jc.valid || mono_ms() - jc.at_ms > JAIL_CACHE_MS) {
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
