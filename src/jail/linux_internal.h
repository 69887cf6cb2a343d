/* SPDX-License-Identifier: MIT */
/*
 * What the files of the Linux jail backend share (linux.c: validate and
 * create; linux_init.c: the jail's PID 1; linux_monitor.c: the process
 * that stays on the host; linux_attach.c, linux_jls.c; linux_common.c:
 * the channel between monitor and jail). Not for use outside src/jail.
 */
#ifndef STOCKADE_JAIL_LINUX_INTERNAL_H
#define STOCKADE_JAIL_LINUX_INTERNAL_H

#include "jail/jail.h"
#include "jail/linux_net.h"
#include "jail/linux_rctl.h"
#include "jail/registry.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define CTL '\001'                      /* control messages; log lines never start with it */

/* One jail being created: the monitor's state, inherited by the init. */
struct jail_run {
	const struct jail_spec *spec;
	const char *path;
	struct registry_entry re;
	int lockfd;
	struct jail_net net;
	struct jail_rctl_cg rctl;    /* issue 23: jail-rctl cgroups and rlimits */
	int chan[2];                /* [0] monitor, [1] jail */
	pid_t init_pid;
	int init_pidfd;
	int master_pidfd;
	bool late_cgroup;           /* clone() fallback: joined the cgroup after birth */
	sigset_t oldmask;
	char jidfile[PATH_MAX];
	bool jidfile_written;
	bool ready, got_master;
};

static inline int
jail_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int
jail_pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* linux_common.c */
int	jail_exit_code(int status);	/* a wait status as a shell exit code */
void	jail_signal_set(sigset_t *set, bool with_chld);	/* the forwarded signals */
int	jail_chan_send(int fd, const char *text, int passfd);
ssize_t	jail_chan_recv(int fd, char *buf, size_t len, int *passfd);
int	jail_stdin_off_the_terminal(void);

/* linux_init.c: the child of clone(); returns 0 in the master only */
int	jail_init_run(struct jail_run *r);

/* linux_monitor.c */
pid_t	jail_monitor_clone(struct jail_run *r, uint64_t flags);
void	jail_monitor_undo(struct jail_run *r);
int	jail_monitor_wait_ready(struct jail_run *r);
int	jail_monitor_write_jidfile(struct jail_run *r);
void	jail_monitor_loop(struct jail_run *r) __attribute__((noreturn));

/* linux_attach.c */
int	jail_open_running(const char *what, const char *doing, const char *id,
	    struct registry_entry *e);
int	jail_linux_attach(const struct jail_spec *spec, struct jail_result *res);

/* linux_jls.c */
int	jail_linux_list(int fd, unsigned flags);
int	jail_linux_remove(const char *id);

#endif
