/* SPDX-License-Identifier: MIT */
/* The mount and umount hook actions on FreeBSD: nmount(2) and unmount(2). */
#include "hooks/mount_internal.h"
#include "base/util.h"

#include <sys/param.h>
#include <sys/mount.h>
#include <sys/uio.h>

#include <string.h>

unsigned
hook_mount_supported(void)
{
	return MF_BIND | MF_RDONLY | MF_NOSUID | MF_NOEXEC | MF_NOATIME | MF_REMOUNT;
}

unsigned
hook_umount_supported(void)
{
	return UF_FORCE;
}

/* "bind" is a nullfs mount of src on dst. */
int
hook_sys_mount(const struct mount_spec *m, char *why, size_t len)
{
	const char *fstype = (m->flags & MF_BIND) ? "nullfs" : m->fstype;
	struct iovec iov[6];
	int fl = 0;

	if (!fstype) {
		errbuf_set(why, len, "mount: a filesystem type is needed");
		return -1;
	}
	iov[0].iov_base = (void *)"fstype";
	iov[0].iov_len = sizeof("fstype");
	iov[1].iov_base = (void *)fstype;
	iov[1].iov_len = strlen(fstype) + 1;
	iov[2].iov_base = (void *)"fspath";
	iov[2].iov_len = sizeof("fspath");
	iov[3].iov_base = (void *)m->dst;
	iov[3].iov_len = strlen(m->dst) + 1;
	iov[4].iov_base = (void *)((m->flags & MF_BIND) ? "target" : "from");
	iov[4].iov_len = (m->flags & MF_BIND) ? sizeof("target") : sizeof("from");
	iov[5].iov_base = (void *)m->src;
	iov[5].iov_len = strlen(m->src) + 1;
	if (m->flags & MF_RDONLY)
		fl |= MNT_RDONLY;
	if (m->flags & MF_NOSUID)
		fl |= MNT_NOSUID;
	if (m->flags & MF_NOEXEC)
		fl |= MNT_NOEXEC;
	if (m->flags & MF_NOATIME)
		fl |= MNT_NOATIME;
	if (m->flags & MF_REMOUNT)
		fl |= MNT_UPDATE;
	return nmount(iov, 6, fl) < 0 ? hook_fail_errno(why, len, "nmount") : 0;
}

int
hook_sys_umount(const char *dst, unsigned flags, char *why, size_t len)
{
	return unmount(dst, (flags & UF_FORCE) ? MNT_FORCE : 0) < 0 ?
	    hook_fail_errno(why, len, "unmount") : 0;
}
