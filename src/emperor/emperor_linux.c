/* The Emperor on Linux: inotify, and jails found through the registry. */
#include "emperor/emperor_os.h"
#include "core/util.h"
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

int emperor_jail_of(pid_t pid, long *jid, char *name, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	size_t n;
	char *children = read_file(path, &n);
	if (!children)
		return -1;
	struct registry_entry *v = NULL;
	size_t nv = 0;
	int rc = -1;
	if (children[0] && registry_list(&v, &nv) == 0 && nv > 0) {
		struct stat *ns = xcalloc(nv, sizeof(*ns));
		for (size_t i = 0; i < nv; i++)
			if (pidns_of(v[i].pid, &ns[i]) < 0)
				ns[i].st_ino = 0;
		char *save = NULL;
		for (char *tok = strtok_r(children, " \n", &save); tok && rc < 0; tok = strtok_r(NULL, " \n", &save)) {
			struct stat cs;
			if (pidns_of((pid_t)atoi(tok), &cs) < 0)
				continue;
			for (size_t i = 0; i < nv && rc < 0; i++) {
				if (ns[i].st_ino && ns[i].st_ino == cs.st_ino && ns[i].st_dev == cs.st_dev) {
					*jid = v[i].jid;
					snprintf(name, len, "%s", v[i].name);
					rc = 0;
				}
			}
		}
		free(ns);
	}
	free(v);
	free(children);
	return rc;
}
