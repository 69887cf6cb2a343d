/* SPDX-License-Identifier: MIT */
/* The mount namespace of a Linux jail: rootfs, /proc, /dev, pivot_root.
 * Runs in the jail's init before the jail has any other process; every
 * mount is private to the jail's mount namespace. */
#include "jail/linux_rootfs.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
jail_rootfs_check(const char *path, char *err, size_t len)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errbuf_errno(err, len, "rootfs %s", path);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return errbuf_errno(err, len, "rootfs %s", path);
	}
	return 0;
}

/* A directory under the current one to mount on: created if missing, a
 * symbolic link (it could point anywhere) refused. */
static int
mount_point_dir(const char *rel, const char *root, char *err, size_t len)
{
	struct stat st;
	if (lstat(rel, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
		return errbuf_errno(err, len, "rootfs %s: /%s", root, rel);
	}
	if (errno != ENOENT || mkdir(rel, 0755) < 0)
		return errbuf_errno(err, len, "rootfs %s: cannot create /%s", root, rel);
	return 0;
}

static bool
exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* ---- /proc ------------------------------------------------------------------ */

/* Like docker: these stay visible but read-only ... */
static const char *const proc_readonly[] = { "proc/sysrq-trigger", "proc/irq", "proc/bus", "proc/fs" };
/* ... and these are hidden (kernel memory, keys, timers). */
static const char *const proc_masked[] = { "proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug",
	"proc/latency_stats", "proc/acpi", "proc/scsi" };

static int
bind_readonly(const char *p, char *err, size_t len)
{
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return errbuf_errno(err, len, "read-only /%s", p);
	return 0;
}

static int
setup_proc(const char *root, bool vnet, char *err, size_t len)
{
	if (mount_point_dir("proc", root, err, len) < 0)
		return -1;
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return errbuf_errno(err, len, "mount /proc");
	/* /proc/sys read-only; with its own network stack the jail keeps
	 * /proc/sys/net (bound before the remount, which would else be copied) */
	if (mount("proc/sys", "proc/sys", NULL, MS_BIND | MS_REC, NULL) < 0)
		return errbuf_errno(err, len, "bind /proc/sys");
	if (vnet && mount("proc/sys/net", "proc/sys/net", NULL, MS_BIND | MS_REC, NULL) < 0)
		return errbuf_errno(err, len, "bind /proc/sys/net");
	if (mount(NULL, "proc/sys", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return errbuf_errno(err, len, "read-only /proc/sys");
	for (size_t i = 0; i < sizeof(proc_readonly) / sizeof(proc_readonly[0]); i++)
		if (exists(proc_readonly[i]) && bind_readonly(proc_readonly[i], err, len) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(proc_masked) / sizeof(proc_masked[0]); i++) {
		const char *p = proc_masked[i];
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		int rc = S_ISDIR(st.st_mode)
			? mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555")
			: mount("/dev/null", p, NULL, MS_BIND, NULL);
		if (rc < 0)
			return errbuf_errno(err, len, "mask /%s", p);
	}
	return 0;
}

/* ---- /dev ------------------------------------------------------------------- */

/* devfs ruleset 4 (devfsrules_jail), bound from the host's nodes: mknod
 * would need CAP_MKNOD and fails in user namespaces. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
static const char *const dev_links[][2] = {
	{ "dev/ptmx", "pts/ptmx" },
	{ "dev/fd", "/proc/self/fd" },
	{ "dev/stdin", "/proc/self/fd/0" },
	{ "dev/stdout", "/proc/self/fd/1" },
	{ "dev/stderr", "/proc/self/fd/2" },
};

static int
setup_dev(const char *root, char *err, size_t len)
{
	char src[64], dst[64];
	if (mount_point_dir("dev", root, err, len) < 0)
		return -1;
	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=1m,nr_inodes=256") < 0)
		return errbuf_errno(err, len, "mount /dev");
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		snprintf(dst, sizeof(dst), "dev/%s", dev_nodes[i]);
		int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd < 0)
			return errbuf_errno(err, len, "create /%s", dst);
		close(fd);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return errbuf_errno(err, len, "bind %s", src);
	}
	if (mkdir("dev/pts", 0755) < 0 ||
	    mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		return errbuf_errno(err, len, "mount /dev/pts");
	if (mkdir("dev/shm", 01777) < 0 ||
	    mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return errbuf_errno(err, len, "mount /dev/shm");
	if (mkdir("dev/mqueue", 0755) < 0 ||
	    mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return errbuf_errno(err, len, "mount /dev/mqueue");
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlink(dev_links[i][1], dev_links[i][0]) < 0)
			return errbuf_errno(err, len, "symlink /%s", dev_links[i][0]);
	return 0;
}

/* ---- the whole tree ------------------------------------------------------------ */

int
jail_rootfs_prepare(const char *path, bool vnet, char *err, size_t len)
{
	/* host mounts may still propagate in (FreeBSD jails see later mounts
	 * under their path), nothing propagates out */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return errbuf_errno(err, len, "mount namespace: make / a slave");
	if (jail_rootfs_check(path, err, len) < 0)
		return -1;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errbuf_errno(err, len, "rootfs %s: bind", path);
	if (chdir(path) < 0)
		return errbuf_errno(err, len, "rootfs %s", path);
	mode_t old = umask(022);
	int rc = setup_proc(path, vnet, err, len) < 0 || setup_dev(path, err, len) < 0 ? -1 : 0;
	umask(old);
	return rc;
}

int
jail_rootfs_enter(const char *path, char *err, size_t len)
{
	if (chdir(path) < 0)
		return errbuf_errno(err, len, "rootfs %s", path);
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		/* the old root is now stacked on "/": detach it */
		if (umount2(".", MNT_DETACH) < 0)
			return errbuf_errno(err, len, "rootfs %s: detach the old root", path);
	} else if (errno == EINVAL) {
		/* an initramfs root can't be pivoted (LXC, nspawn do the same) */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return errbuf_errno(err, len, "rootfs %s: move to /", path);
	} else {
		return errbuf_errno(err, len, "rootfs %s: pivot_root", path);
	}
	if (chdir("/") < 0)
		return errbuf_errno(err, len, "chdir /");
	return 0;
}
