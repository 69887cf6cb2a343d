/* SPDX-License-Identifier: MIT */
/*
 * The few OS primitives the core needs that Linux and FreeBSD spell
 * differently. One implementation per OS, picked by the Makefile:
 * platform_linux.c or platform_freebsd.c. No #ifdef in the callers.
 */
#ifndef STOCKADE_PLATFORM_H
#define STOCKADE_PLATFORM_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The absolute path of the running executable into buf (NUL-terminated).
 * Linux: /proc/self/exe; FreeBSD: sysctl kern.proc.pathname (no procfs
 * needed). 0, or -1 with errno set (ERANGE when it does not fit).
 */
int platform_binary_path(char *buf, size_t size);

/*
 * Ask the kernel to send sig to the calling process when its parent exits
 * (Linux prctl PR_SET_PDEATHSIG, FreeBSD procctl PROC_PDEATHSIG_CTL).
 * Async-signal-safe: callable between fork and exec. Callers still compare
 * getppid() with the expected parent afterwards, as the parent may already
 * be gone. 0, or -1 with errno set.
 */
int platform_parent_death_signal(int sig);

/*
 * Linux sendfile(2) semantics on every OS: copies up to count bytes of
 * in_fd from *offset to the stream socket out_fd, advances *offset by what
 * was sent and returns that (> 0), 0 at end of file, or -1 with errno
 * (EAGAIN when the non-blocking socket is full and nothing was sent).
 */
ssize_t platform_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);

/*
 * Capability sets around a drop from root to an unprivileged uid. Linux:
 * platform_caps_bound_clear() empties the bounding set (needs CAP_SETPCAP,
 * so it runs while still root); platform_caps_clear() empties effective,
 * permitted, inheritable and ambient (after the uid change, which leaves
 * the inheritable set alone); platform_caps_empty() says whether all five
 * sets of /proc/self/status are empty. FreeBSD has no capability sets of
 * this kind: no-ops, and "empty". 0, or -1 with errno set.
 */
int platform_caps_bound_clear(void);
int platform_caps_clear(void);
int platform_caps_empty(void);	/* 1 empty, 0 not, -1 unreadable */

/* issue 22: the calling process' name as ps/top show it (uwsgi.setprocname):
 * Linux prctl(PR_SET_NAME), 15 bytes kept; FreeBSD setproctitle. 0, or -1
 * with errno set. */
int platform_set_procname(const char *name);

/* The system's name as config logic compares it: "linux" or "freebsd". */
const char *platform_os_name(void);

#endif
