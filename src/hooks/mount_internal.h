/* SPDX-License-Identifier: MIT */
/*
 * Inside hooks/: the mount and umount flags the actions parse (actions.c)
 * and the OS calls behind them, one file per OS: mount(2) and umount2(2) in
 * actions_linux.c, nmount(2) and unmount(2) in actions_freebsd.c.
 */
#ifndef STOCKADE_HOOKS_MOUNT_INTERNAL_H
#define STOCKADE_HOOKS_MOUNT_INTERNAL_H

#include <stddef.h>

enum {
	MF_BIND = 1 << 0, MF_REC = 1 << 1, MF_RDONLY = 1 << 2, MF_NOSUID = 1 << 3,
	MF_NODEV = 1 << 4, MF_NOEXEC = 1 << 5, MF_NOATIME = 1 << 6, MF_REMOUNT = 1 << 7,
	/* propagation: one of these at most */
	MF_PRIVATE = 1 << 8, MF_SLAVE = 1 << 9, MF_SHARED = 1 << 10, MF_UNBINDABLE = 1 << 11,
	MF_PROPAGATION = MF_PRIVATE | MF_SLAVE | MF_SHARED | MF_UNBINDABLE,
	/* umount */
	UF_DETACH = 1 << 0, UF_FORCE = 1 << 1,
};

struct mount_spec {
	const char *fstype;  /* NULL for "none" */
	const char *src, *dst;
	unsigned flags;
};

/* The MF_ and UF_ bits this system's mount code can do; others are
 * refused at config time. */
unsigned	hook_mount_supported(void);
unsigned	hook_umount_supported(void);

/* 0, or -1 with a reason in why. Only supported flags get here. */
int	hook_sys_mount(const struct mount_spec *m, char *why, size_t len);
int	hook_sys_umount(const char *dst, unsigned flags, char *why, size_t len);

/* "<what>: <strerror(errno)>" into why; returns -1. */
int	hook_fail_errno(char *why, size_t len, const char *what);

#endif
