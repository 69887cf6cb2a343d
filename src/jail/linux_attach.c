/* SPDX-License-Identifier: MIT */
/*
 * jail-attach on Linux: join a running jail's cgroup and namespaces, apply
 * its restrictions (read back from the registry) and run under a small
 * monitor outside; and the lookup of a running jail that jail-remove
 * shares.
 */
#include "jail/linux_internal.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/fds.h"
#include "jail/linux_restrict.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The spec of a running jail from its params file, through the parser. */
static int
spec_from_registry(const struct registry_entry *re, struct jail_spec *spec)
{
	char *text = registry_get(re, "params");
	if (!text) {
		log_errno("jail-attach: jail '%s': cannot read its parameters", re->name);
		return -1;
	}
	static char file[PATH_MAX + 32];       /* origins must outlive the spec */
	snprintf(file, sizeof(file), "%s/jails/%s/params", registry_root(), re->name);
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	size_t cap = 8;
	cfg.jail2.v = xcalloc(cap, sizeof(char *));
	cfg.jail2.origin = xcalloc(cap, sizeof(struct origin));
	int line = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		if (cfg.jail2.n == cap) {
			cap *= 2;
			cfg.jail2.v = xrealloc(cfg.jail2.v, cap * sizeof(char *));
			cfg.jail2.origin = xrealloc(cfg.jail2.origin, cap * sizeof(struct origin));
		}
		cfg.jail2.v[cfg.jail2.n] = l;
		cfg.jail2.origin[cfg.jail2.n++] = (struct origin){ file, line };
	}
	int rc = jail_spec_build(&cfg, spec);
	free(cfg.jail2.v);
	free(cfg.jail2.origin);
	free(text);
	return rc;
}

/* ---- attach ------------------------------------------------------------------------------ */

static const struct {
	const char *name;
	int flag;
} ns_types[] = {
	/* the /proc/<pid>/ns fallback joins in this order: mnt last */
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
	{ "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
};
#define NNS (sizeof(ns_types) / sizeof(ns_types[0]))

/* The namespaces of pid that differ from ours. */
static int
differing_ns(pid_t pid)
{
	int flags = 0;
	for (size_t i = 0; i < NNS; i++) {
		char a[64], b[64];
		struct stat sa, sb;
		snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, ns_types[i].name);
		snprintf(b, sizeof(b), "/proc/self/ns/%s", ns_types[i].name);
		if (stat(a, &sa) < 0 || stat(b, &sb) < 0 || sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
			flags |= ns_types[i].flag;
	}
	return flags;
}

static int
join_ns(int pidfd, pid_t pid, int flags, const char *id)
{
	if (setns(pidfd, flags) == 0)
		return 0;
	if (errno != EINVAL) {
		log_errno("jail-attach %s: setns", id);
		return -1;
	}
	/* before 5.8: one fd per namespace, all opened before the first
	 * setns (after setns(mnt) /proc would be the jail's) */
	int fds[NNS];
	for (size_t i = 0; i < NNS; i++) {
		char p[64];
		fds[i] = -1;
		if (!(flags & ns_types[i].flag))
			continue;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns_types[i].name);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			log_errno("jail-attach %s: %s", id, p);
			for (size_t k = 0; k < i; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			return -1;
		}
	}
	int rc = 0;
	for (size_t i = 0; i < NNS; i++) {
		if (fds[i] < 0)
			continue;
		if (rc == 0 && setns(fds[i], ns_types[i].flag) < 0) {
			log_errno("jail-attach %s: setns(%s)", id, ns_types[i].name);
			rc = -1;
		}
		close(fds[i]);
	}
	return rc;
}

/* An fd of our own cgroup's cgroup.procs, to leave the jail's cgroup after
 * the fork (best effort), or -1. */
static int
own_cgroup_procs(void)
{
	char mnt[PATH_MAX], *text, *p;
	size_t len;
	if (cgroup2_mountpoint(mnt, sizeof(mnt)) < 0 || !(text = read_file("/proc/self/cgroup", &len)))
		return -1;
	int fd = -1;
	if ((p = strstr(text, "0::")) && (p == text || p[-1] == '\n')) {
		p += 3;
		p[strcspn(p, "\n")] = '\0';
		char *path = xasprintf("%s%s/cgroup.procs", mnt, p);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		free(path);
	}
	free(text);
	return fd;
}

/* The running jail id (name or jid) for `what` (jail-attach, jail-remove):
 * a pidfd on its init, or -1 with the reason logged. The pidfd is opened
 * before the liveness check, so the pid can't be reused under it; a dead
 * jail's stale entry is collected. */
int
jail_open_running(const char *what, const char *doing, const char *id, struct registry_entry *e)
{
	char err[512];
	if (geteuid() != 0) {
		log_msg("%s: %s a jail needs root", what, doing);
		return -1;
	}
	if (registry_lookup(id, e, err, sizeof(err)) < 0) {
		log_msg("%s: %s", what, err);
		return -1;
	}
	int pidfd = jail_pidfd_open(e->pid);
	if (pidfd < 0 || !registry_alive(e)) {
		log_msg("%s: jail '%s' is not running", what, id);
		if (pidfd >= 0)
			close(pidfd);
		registry_gc();
		return -1;
	}
	return pidfd;
}

int
jail_linux_attach(const struct jail_spec *spec, struct jail_result *res)
{
	const char *id = spec->attach;
	struct registry_entry e;
	int pidfd = jail_open_running("jail-attach", "joining", id, &e);
	if (pidfd < 0)
		return -1;
	struct jail_spec js;
	if (spec_from_registry(&e, &js) < 0) {
		close(pidfd);
		return -1;
	}
	/* issue 23: the jail's v1 cgroups (jail-rctl), joined by the child */
	char *rctl = registry_get(&e, "rctl");
	int rfd[RC_NCTL];
	int nrfd = jail_rctl_attach_open(rctl, rfd, RC_NCTL);
	if (nrfd < 0) {
		free(rctl);
		close(pidfd);
		jail_spec_free(&js);
		return -1;
	}
	int flags = differing_ns(e.pid);
	int back = e.cgroup[0] ? own_cgroup_procs() : -1;
	/* the cgroup first: the jail's BPF programs apply from the first
	 * instruction run inside */
	if ((e.cgroup[0] && jail_cgroup_join(e.cgroup, getpid()) < 0) ||
	    (flags && join_ns(pidfd, e.pid, flags, id) < 0) || chdir("/") < 0) {
		if (back >= 0 && write(back, "0", 1) < 0) { /* stays in the jail cgroup */ }
		log_msg("jail-attach: cannot join jail '%s'", id);
		close(pidfd);
		jail_spec_free(&js);
		jail_rctl_attach_enter(NULL, rfd, (size_t)nrfd);	/* closes them */
		free(rctl);
		return -1;
	}
	close(pidfd);
	sigset_t set, old;
	jail_signal_set(&set, true);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t child = fork();
	if (child < 0) {
		log_errno("jail-attach: fork");
		sigprocmask(SIG_SETMASK, &old, NULL);
		jail_spec_free(&js);
		for (int i = 0; i < nrfd; i++)
			close(rfd[i]);
		free(rctl);
		return -1;
	}
	if (child == 0) {
		if (back >= 0)
			close(back);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (jail_rctl_attach_enter(rctl, rfd, (size_t)nrfd) < 0)
			_exit(1);
		free(rctl);
		/* what init and the master did for the jail: a session of its
		 * own, host descriptors closed, Landlock scope (shared stack),
		 * then capabilities, no_new_privs, seccomp */
		if (setsid() < 0) {
			log_errno("jail-attach: setsid");
			_exit(1);
		}
		if (jail_close_fds(spec->keep_fds, spec->nkeep_fds) < 0 || jail_stdin_off_the_terminal() < 0 ||
		    (!js.vnet && jail_net_inside(&js) < 0) || jail_linux_restrict(&js) < 0)
			_exit(1);
		jail_spec_free(&js);
		res->jid = e.jid;
		snprintf(res->name, sizeof(res->name), "%s", e.name);
		return 0;
	}
	for (int i = 0; i < nrfd; i++)
		close(rfd[i]);
	free(rctl);
	/* the monitor of the attached process: outside the jail's cgroup again */
	if (back >= 0) {
		if (write(back, "0", 1) < 0) { /* best effort */ }
		close(back);
	}
	jail_spec_free(&js);
	int cfd = jail_pidfd_open(child);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			if (cfd >= 0)
				jail_pidfd_signal(cfd, (int)si.ssi_signo);
			continue;
		}
		int st;
		pid_t p = waitpid(child, &st, WNOHANG);
		if (p == child)
			exit(jail_exit_code(st));
	}
}
