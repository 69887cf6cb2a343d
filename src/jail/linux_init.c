/* SPDX-License-Identifier: MIT */
/*
 * The jail's init, PID 1 of its PID namespace: builds the jail around
 * itself (rootfs, hostname, network inside), forks the master, then reaps
 * and holds the registry lock until the jail is empty (or forever when
 * persist). See linux.c for the whole process shape.
 */
#include "jail/linux_internal.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/error.h"
#include "jail/fds.h"
#include "jail/linux_restrict.h"
#include "jail/linux_rootfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#define INIT_COMM "stockade-init"

/* Closes every fd >= 3 except the listed ones (init keeps no socket or
 * file of the server's: a persistent jail must not hold a listener). */
static void
close_all_but(const int *keep, size_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *de;
	int fds[1024];
	size_t n = 0;
	while ((de = readdir(d)) != NULL && n < sizeof(fds) / sizeof(fds[0])) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int fd = atoi(de->d_name);
		bool k = fd < 3 || fd == dfd;
		for (size_t i = 0; i < nkeep; i++)
			k |= fd == keep[i];
		if (!k)
			fds[n++] = fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static bool
is_zombie(pid_t pid)
{
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;    /* gone */
	ssize_t n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	char *c = strrchr(buf, ')');
	return c && c[1] == ' ' && (c[2] == 'Z' || c[2] == 'X');
}

/* Waits for processes of the jail that are not init's children (attached
 * ones, whose parent is the attach monitor outside). Returns true if there
 * were any (the caller reaps and looks again), false if the jail is empty. */
static bool
wait_others(int sfd)
{
	struct pollfd p[65];
	int n = 1;
	p[0] = (struct pollfd){ sfd, POLLIN, 0 };
	DIR *d = opendir("/proc");
	if (!d)
		return false;
	struct dirent *de;
	bool any = false;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid == 1 || is_zombie(pid))
			continue;       /* a zombie is its (outside) parent's to reap */
		any = true;
		if (n < 65) {
			int fd = jail_pidfd_open(pid);
			if (fd >= 0)
				p[n++] = (struct pollfd){ fd, POLLIN, 0 };
		}
	}
	closedir(d);
	if (any)
		poll(p, (nfds_t)n, n < 65 ? 1000 : 100);
	for (int i = 1; i < n; i++)
		close(p[i].fd);
	return any;
}

/* PID 1 of the jail: reaps; reports the master's exit status to the
 * monitor; exits when the jail is empty (with that status), or never when
 * persist (the jail is removed by SIGKILL). */
static void __attribute__((noreturn))
init_loop(const struct jail_spec *spec, int ch, int sfd, pid_t master)
{
	int code = 0;
	for (;;) {
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p == master) {
				char msg[32];
				code = jail_exit_code(st);
				master = 0;
				snprintf(msg, sizeof(msg), "%cexit %d", CTL, code);
				jail_chan_send(ch, msg, -1);
			}
		}
		if (p < 0 && errno == ECHILD && !spec->persist) {
			if (!wait_others(sfd))
				_exit(code);
			continue;
		}
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) < 0 && errno != EINTR && errno != EAGAIN)
			_exit(code);
	}
}

/* Everything the monitor held came along through clone() and fork():
 * only the start pipeline's own descriptors (and the channel and log this
 * file still needs) may enter the jail. */
static int
drop_inherited(const struct jail_run *r, int ch, int logfd)
{
	const struct jail_spec *spec = r->spec;
	size_t n = spec->nkeep_fds;
	int *keep = xcalloc(n + 2 + RCTL_LINUX_MAX, sizeof(int));
	for (size_t i = 0; i < n; i++)
		keep[i] = spec->keep_fds[i];
	keep[n++] = ch;
	keep[n++] = logfd;
	/* jail-rctl: read-only use files for the stats (issue 23) */
	n += jail_rctl_keep_fds(&r->rctl, keep + n, RCTL_LINUX_MAX);
	int rc = jail_close_fds(keep, n);
	free(keep);
	return rc < 0 ? -1 : jail_stdin_off_the_terminal();
}

/* "go" from the monitor: it has placed the init (cgroup, limits, network)
 * and recorded it; anything else (the monitor failed or is gone) ends the
 * init quietly, the monitor undoes the rest. */
static void
wait_go(int ch)
{
	char go[8];
	int nofd;
	if (jail_chan_recv(ch, go, sizeof(go), &nofd) != 2 || memcmp(go, "go", 2) != 0)
		_exit(1);
}

/* A failure inside before "ready": the reason is already logged (through
 * the monitor); "fail" tells the monitor it was expected. Before "go" the
 * monitor is not reading yet: "go" is awaited first, so that its send
 * finds the init alive and it reads the reason. */
static void __attribute__((noreturn))
init_fail(int ch, bool before_go)
{
	if (before_go)
		wait_go(ch);
	jail_chan_send(ch, "\001fail", -1);
	_exit(1);
}

/* The child of clone(): builds the jail around itself, then forks the
 * master. Returns 0 in the master only; init and failures never return. */
int
jail_init_run(struct jail_run *r)
{
	const struct jail_spec *spec = r->spec;
	int ch = r->chan[1];
	char err[1024], comm[17] = "";
	close(r->chan[0]);
	if (r->net.cgroup_fd >= 0)
		close(r->net.cgroup_fd);
	if (r->rctl.oom_fd >= 0)	/* the monitor's OOM watch: host cgroupfs */
		close(r->rctl.oom_fd);
	if (r->rctl.oom_ctl_fd >= 0)
		close(r->rctl.oom_ctl_fd);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	prctl(PR_SET_NAME, INIT_COMM, 0, 0, 0);
	/* a non-persistent jail goes with its monitor */
	if (!spec->persist)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int logfd = log_fd();
	log_set_file(ch);           /* until "ready", the monitor prints for us */

	/*
	 * The rootfs, the hostname and pivot_root touch nothing outside the
	 * jail's own namespaces, so they overlap with the monitor's work after
	 * clone (cgroup, limits, registry): "go" is awaited after them, off
	 * the start's critical path. Not with a late cgroup (the cgroup
	 * namespace follows the move) nor vnet (the interface arrives with "go").
	 */
	bool early = !r->late_cgroup && !spec->vnet;
	if (!early)
		wait_go(ch);
	if (r->late_cgroup && unshare(CLONE_NEWCGROUP) < 0) {
		jail_config_error(&spec->origin, "jail: unshare(CLONE_NEWCGROUP): %s", strerror(errno));
		init_fail(ch, early);
	}
	/* a session of the jail's own, without a controlling terminal: the
	 * host's would take TIOCSTI input from the jail (typed into the shell
	 * that started stockade) */
	if (setsid() < 0) {
		jail_config_error(&spec->origin, "jail: setsid: %s", strerror(errno));
		init_fail(ch, early);
	}
	if (jail_rootfs_prepare(r->path, spec->vnet, err, sizeof(err)) < 0) {
		jail_config_error(&spec->origin, "jail: %s", err);
		init_fail(ch, early);
	}
	if (!spec->host_inherit) {
		if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
			jail_config_error(&spec->origin, "jail: sethostname(%s): %s", spec->hostname, strerror(errno));
			init_fail(ch, early);
		}
		if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
			jail_config_error(&spec->origin, "jail: setdomainname(%s): %s", spec->domainname, strerror(errno));
			init_fail(ch, early);
		}
	}
	if (jail_rootfs_enter(r->path, err, sizeof(err)) < 0) {
		jail_config_error(&spec->origin, "jail: %s", err);
		init_fail(ch, early);
	}
	if (early)
		wait_go(ch);
	if (jail_net_inside(spec) < 0)
		init_fail(ch, false);

	sigset_t all, chld;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sfd < 0) {
		jail_config_error(&spec->origin, "jail: signalfd: %s", strerror(errno));
		init_fail(ch, false);
	}
	pid_t master = fork();
	if (master < 0) {
		jail_config_error(&spec->origin, "jail: fork: %s", strerror(errno));
		init_fail(ch, false);
	}
	if (master == 0) {
		close(sfd);
		close(r->lockfd);
		prctl(PR_SET_NAME, comm, 0, 0, 0);
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
		if (drop_inherited(r, ch, logfd) < 0 || jail_linux_restrict(spec) < 0)
			init_fail(ch, false);
		jail_rctl_entered(&r->rctl);
		jail_chan_send(ch, "\001ready", -1);
		log_set_file(logfd);
		close(ch);
		return 0;
	}
	int pfd = jail_pidfd_open(master);
	jail_chan_send(ch, "\001master", pfd);
	if (pfd >= 0)
		close(pfd);
	/* init keeps the channel, the registry lock and its signalfd: nothing
	 * else of the server's (sockets, log files), and no terminal */
	int keep[] = { ch, r->lockfd, sfd };
	close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	init_loop(spec, ch, sfd, master);
}
