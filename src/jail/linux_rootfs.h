/* SPDX-License-Identifier: MIT */
/*
 * The jail's file system view on Linux, built by the jail's init inside its
 * fresh mount namespace (nothing here is visible on the host, so nothing
 * needs undoing there): the rootfs bound onto itself, /proc with /proc/sys
 * read-only, a minimal /dev (devfs ruleset 4), then pivot_root.
 */
#ifndef STOCKADE_JAIL_LINUX_ROOTFS_H
#define STOCKADE_JAIL_LINUX_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

/* Checks that path is an existing directory (host side, before anything is
 * created). 0, or -1 with err = "rootfs /x: No such file or directory". */
int jail_rootfs_check(const char *path, char *err, size_t len);

/*
 * In a new mount namespace (and, for /proc, a new PID namespace): makes
 * every mount a slave of the host's, binds path onto itself (recursively),
 * mounts /proc (nosuid,nodev,noexec; /proc/sys and friends read-only,
 * /proc/sys/net writable when vnet) and a minimal /dev, and leaves the
 * working directory at path. Missing /proc and /dev directories are
 * created; symbolic links there are refused. 0, or -1 with err filled.
 */
int jail_rootfs_prepare(const char *path, bool vnet, char *err, size_t len);

/* pivot_root(".", ".") + detach of the old root (MS_MOVE + chroot when the
 * root can't be pivoted, e.g. an initramfs), then chdir("/"). 0 or -1. */
int jail_rootfs_enter(const char *path, char *err, size_t len);

#endif
