/* SPDX-License-Identifier: MIT */
/*
 * The monitor of a Linux jail: the process that stays on the host. It
 * clone()s the init, relays the jail's log lines until "ready", forwards
 * signals to the master afterwards and undoes everything on the host when
 * the jail fails or ends.
 */
#include "jail/linux_internal.h"

#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

/* struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2), spelled out so
 * that <linux/sched.h> and glibc's <sched.h> never meet. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* ---- the monitor ------------------------------------------------------------------------ */

pid_t
jail_monitor_clone(struct jail_run *r, uint64_t flags)
{
	struct clone3_args a;
	int pidfd = -1;
	memset(&a, 0, sizeof(a));
	a.flags = flags | CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	a.exit_signal = SIGCHLD;
	if (r->net.cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)r->net.cgroup_fd;
	}
	pid_t pid = getenv("STOCKADE_NO_CLONE3") ? (errno = ENOSYS, -1) : (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && (errno == ENOSYS || (errno == EINVAL && (a.flags & CLONE_INTO_CGROUP)))) {
		/* no clone3 (old kernel, or filtered) or no CLONE_INTO_CGROUP:
		 * the child waits for "go" while the monitor moves it into the
		 * cgroup, then unshares its cgroup namespace itself */
		uint64_t f = flags;
		if (r->net.cgroup_fd >= 0) {
			f &= ~(uint64_t)CLONE_NEWCGROUP;
			r->late_cgroup = true;
		}
#if defined(__s390__) || defined(__CRIS__)
		pid = (pid_t)syscall(SYS_clone, NULL, (unsigned long)f | SIGCHLD, NULL, NULL, NULL);
#else
		pid = (pid_t)syscall(SYS_clone, (unsigned long)f | SIGCHLD, NULL, NULL, NULL, NULL);
#endif
		if (pid > 0)
			pidfd = jail_pidfd_open(pid);
	}
	if (pid > 0)
		r->init_pidfd = pidfd;
	return pid;
}

/* Kills what there is of the jail and removes every trace on the host. */
void
jail_monitor_undo(struct jail_run *r)
{
	if (r->init_pid > 0) {
		if (r->init_pidfd >= 0)
			jail_pidfd_signal(r->init_pidfd, SIGKILL);
		else
			kill(r->init_pid, SIGKILL);
		while (waitpid(r->init_pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->init_pid = 0;
	}
	jail_net_teardown(&r->net);
	jail_rctl_teardown(&r->rctl);
	if (r->jidfile_written)
		unlink(r->jidfile);
	registry_release(&r->re);
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->lockfd = -1;
	for (int i = 0; i < 2; i++)
		if (r->chan[i] >= 0)
			close(r->chan[i]);
	r->chan[0] = r->chan[1] = -1;
	if (r->init_pidfd >= 0)
		close(r->init_pidfd);
	if (r->master_pidfd >= 0)
		close(r->master_pidfd);
	r->init_pidfd = r->master_pidfd = -1;
	sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
}

/* One message from the jail: log lines are printed; "master" brings the
 * master's pidfd; "ready", "fail" and "exit N" are returned as MSG_*. */
enum { MSG_OTHER, MSG_READY, MSG_FAIL, MSG_EXIT };

static int
handle_msg(struct jail_run *r, const char *buf, ssize_t n, int fd, int *code)
{
	int kind = MSG_OTHER;
	if (buf[0] != CTL) {
		log_write(buf, (unsigned long)n);
	} else if (strcmp(buf + 1, "master") == 0) {
		r->got_master = true;
		if (fd >= 0 && r->master_pidfd < 0) {
			r->master_pidfd = fd;
			fd = -1;
		}
	} else if (strcmp(buf + 1, "ready") == 0) {
		r->ready = true;
		kind = MSG_READY;
	} else if (strcmp(buf + 1, "fail") == 0) {
		kind = MSG_FAIL;
	} else if (strncmp(buf + 1, "exit ", 5) == 0) {
		*code = atoi(buf + 6);
		kind = MSG_EXIT;
	}
	if (fd >= 0)
		close(fd);
	return kind;
}

/* One message from the jail, handled: its MSG_* kind, or -1 at the end of
 * the channel (or on an error). */
static int
recv_msg(struct jail_run *r, int *code)
{
	char buf[4200];
	int fd;
	ssize_t n;

	n = jail_chan_recv(r->chan[0], buf, sizeof(buf), &fd);
	if (n <= 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return handle_msg(r, buf, n, fd, code);
}

/* Forwards the jail's log lines until the master is ready and init has
 * passed its pidfd (0), the jail failed after saying why (-1), or it ended
 * without a word (-2). */
int
jail_monitor_wait_ready(struct jail_run *r)
{
	int code, m;

	while (!r->ready || !r->got_master) {
		if ((m = recv_msg(r, &code)) < 0)
			return -2;
		if (m == MSG_FAIL || m == MSG_EXIT)
			return -1;
	}
	return 0;
}

int
jail_monitor_write_jidfile(struct jail_run *r)
{
	char num[32];
	int len = snprintf(num, sizeof(num), "%ld\n", r->re.jid);
	/* atomic: a reader never sees an empty jidfile; a failure leaves none */
	if (write_file_atomic(r->jidfile, num, (size_t)len, 0644) < 0) {
		log_errno("jidfile %s", r->jidfile);
		return -1;
	}
	r->jidfile_written = true;
	return 0;
}

/* The monitor's life after "ready": signals in, exit status out. */
void __attribute__((noreturn))
jail_monitor_loop(struct jail_run *r)
{
	sigset_t set;
	jail_signal_set(&set, true);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int master_code = -1;
	bool persist = r->spec->persist;
	for (;;) {
		short oom_ev = 0;
		int oom_fd = jail_rctl_oom_fd(&r->rctl, &oom_ev);
		struct pollfd p[4] = {	/* poll skips the negative fds */
			{ sfd, POLLIN, 0 }, { r->init_pidfd, POLLIN, 0 }, { r->chan[0], POLLIN, 0 },
			{ oom_fd, oom_ev, 0 },
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_errno("jail monitor: poll");
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGCHLD &&
			    r->master_pidfd >= 0)
				jail_pidfd_signal(r->master_pidfd, (int)si.ssi_signo);
		}
		if (r->chan[0] >= 0 && p[2].revents) {
			int m = recv_msg(r, &master_code);
			if (m < 0) {
				close(r->chan[0]);
				r->chan[0] = -1;
			} else if (m == MSG_EXIT && persist) {
				/* the jail stays, as on FreeBSD; --jail-remove ends it */
				log_msg("jail %ld (%s) persists without its master", r->re.jid, r->re.name);
				exit(master_code);
			}
		}
		if (p[3].revents & oom_ev)
			jail_rctl_oom_report(&r->rctl, r->re.jid, r->re.name);
		if (p[1].revents & (POLLIN | POLLHUP))
			break;
	}
	/* what the jail said last */
	if (r->chan[0] >= 0)
		fcntl(r->chan[0], F_SETFL, O_NONBLOCK);
	while (r->chan[0] >= 0 && recv_msg(r, &master_code) >= 0)
		;
	int st = 0;
	while (waitpid(r->init_pid, &st, 0) < 0 && errno == EINTR)
		;
	r->init_pid = 0;
	int code = master_code >= 0 ? master_code : jail_exit_code(st);
	jail_monitor_undo(r);
	exit(code);
}
