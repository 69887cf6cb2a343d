/* SPDX-License-Identifier: MIT */
/* The Emperor on FreeBSD: kqueue EVFILT_VNODE, and jail ids from kinfo_proc. */
#include "emperor/emperor_os.h"

#include <sys/types.h>
#include <sys/event.h>
#include <sys/sysctl.h>
#include <sys/user.h>

#include <errno.h>
#include <fcntl.h>
#include <jail.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VNODE_MASK (NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME | NOTE_REVOKE)

struct notify *
notify_open(void)
{
	int kq = kqueue();
	if (kq < 0)
		return NULL;
	if (fcntl(kq, F_SETFD, FD_CLOEXEC) < 0) {
		close(kq);
		return NULL;
	}
	return notify_from_fd(kq);
}

/* The watch id is the descriptor kept open on the vnode. */
static int
watch(struct notify *n, const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -1;
	struct kevent kev;
	EV_SET(&kev, (uintptr_t)fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, VNODE_MASK, 0, NULL);
	if (kevent(notify_fd(n), &kev, 1, NULL, 0, NULL) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
notify_watch_dir(struct notify *n, const char *dir)
{
	return watch(n, dir, O_DIRECTORY);
}

bool
notify_wants_file_watches(void)
{
	return true;
}

int
notify_watch_file(struct notify *n, const char *path)
{
	return watch(n, path, 0);
}

void
notify_unwatch(struct notify *n, int wd)
{
	(void)n;
	if (wd >= 0)
		close(wd);      /* closing the vnode descriptor removes its knote */
}

void
notify_drain(struct notify *n, void (*cb)(int wd, const char *name, void *data), void *data)
{
	struct kevent ev[64];
	struct timespec zero = { 0, 0 };
	int got;
	while ((got = kevent(notify_fd(n), NULL, 0, ev, 64, &zero)) > 0) {
		for (int i = 0; i < got; i++)
			cb((int)ev[i].ident, NULL, data);
		if (got < 64)
			break;
	}
}

int
emperor_jail_of(pid_t pid, long *jid, char *name, size_t len)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid };
	struct kinfo_proc kp;
	size_t sz = sizeof(kp);
	if (sysctl(mib, 4, &kp, &sz, NULL, 0) < 0 || sz != sizeof(kp) || kp.ki_jid <= 0)
		return -1;
	*jid = kp.ki_jid;
	char *n = jail_getname(kp.ki_jid);
	snprintf(name, len, "%s", n ? n : "");
	free(n);
	return 0;
}
