/* SPDX-License-Identifier: MIT */
/* The mount and umount hook actions on Linux: mount(2) and umount2(2). */
#include "hooks/mount_internal.h"
#include "base/util.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

unsigned
hook_mount_supported(void)
{
	return ~0u;
}

unsigned
hook_umount_supported(void)
{
	return UF_DETACH | UF_FORCE;
}

static unsigned long
linux_mount_flags(unsigned f)
{
	static const struct { unsigned bit; unsigned long ms; } map[] = {
		{ MF_BIND, MS_BIND }, { MF_REC, MS_REC }, { MF_RDONLY, MS_RDONLY },
		{ MF_NOSUID, MS_NOSUID }, { MF_NODEV, MS_NODEV }, { MF_NOEXEC, MS_NOEXEC },
		{ MF_NOATIME, MS_NOATIME }, { MF_REMOUNT, MS_REMOUNT }, { MF_PRIVATE, MS_PRIVATE },
		{ MF_SLAVE, MS_SLAVE }, { MF_SHARED, MS_SHARED }, { MF_UNBINDABLE, MS_UNBINDABLE },
	};
	unsigned long ms = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (f & map[i].bit)
			ms |= map[i].ms;
	return ms;
}

/*
 * As root, in whatever namespace the phase runs in. Up to three calls:
 * the mount; for a bind mount with ro/nosuid/nodev/noexec/noatime a bind
 * remount (the kernel ignores those flags on the first bind); the
 * propagation change. "none none <dst> [rec,]private" changes propagation only.
 */
int
hook_sys_mount(const struct mount_spec *m, char *why, size_t len)
{
	unsigned prop = m->flags & MF_PROPAGATION;
	unsigned base = m->flags & ~MF_PROPAGATION;
	unsigned attrs = base & (MF_RDONLY | MF_NOSUID | MF_NODEV | MF_NOEXEC | MF_NOATIME);

	if (!(prop && !m->fstype && !(base & ~MF_REC))) {
		if (mount(m->src, m->dst, m->fstype, linux_mount_flags(base), NULL) < 0) {
			if (errno == ENODEV)
				errbuf_set(why, len, "mount: unknown filesystem type (%s)", strerror(errno));
			else
				hook_fail_errno(why, len, "mount");
			return -1;
		}
		if ((base & MF_BIND) && !(base & MF_REMOUNT) && attrs &&
		    mount(NULL, m->dst, NULL, MS_REMOUNT | MS_BIND | linux_mount_flags(attrs), NULL) < 0)
			return hook_fail_errno(why, len, "bind remount");
	}
	if (prop && mount(NULL, m->dst, NULL, linux_mount_flags(prop | (base & MF_REC)), NULL) < 0)
		return hook_fail_errno(why, len, "mount propagation");
	return 0;
}

int
hook_sys_umount(const char *dst, unsigned flags, char *why, size_t len)
{
	int f = ((flags & UF_DETACH) ? MNT_DETACH : 0) | ((flags & UF_FORCE) ? MNT_FORCE : 0);

	return umount2(dst, f) < 0 ? hook_fail_errno(why, len, "umount") : 0;
}
