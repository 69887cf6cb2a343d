/* SPDX-License-Identifier: MIT */
/*
 * The hook command runner: `<shell> -c "<cmd>"` in a child with a clean
 * environment, stdin from /dev/null, stdout/stderr inherited (they are the
 * log) and no other descriptor, so listening sockets never leak into hooks.
 * It must not run anything itself: it only starts the shell and waits.
 */
#include "base/platform.h"
#include "hooks/hooks.h"
#include "config/config.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define HOOK_ENV_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Upper bound for the close() loop when close_range() is missing. */
#define HOOK_FD_LOOP_MAX (1 << 20)

/* The first `binsh` entry that is an executable regular file, else /bin/sh. */
const char *
hooks_binsh(const struct config *cfg)
{
	struct stat st;

	for (size_t i = 0; i < cfg->binsh.n; i++) {
		const char *p = cfg->binsh.v[i];
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			return p;
	}
	return "/bin/sh";
}

static void
child_fail(const char *what)
{
	static const char pre[] = "stockade: hook child: ";
	ssize_t rc;

	rc = write(2, pre, sizeof(pre) - 1);
	rc = write(2, what, strlen(what));
	rc = write(2, "\n", 1);
	(void)rc;
	_exit(127);
}

/*
 * Child between fork and exec: async-signal-safe calls only (the parent may
 * have threads). Everything it needs was prepared before the fork.
 */
static void
hook_child(const char *sh, char *const argv[], char *const envp[], int nullfd,
                       pid_t parent, int maxfd, const struct sigaction *dfl)
{
	sigset_t none;

	/* Die with the parent; if it is already gone, don't run at all. */
	if (platform_parent_death_signal(SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	/* Ignored signals and the mask survive exec: give the shell defaults.
	 * sigaction() fails for SIGKILL/SIGSTOP and reserved ones: harmless. */
	for (int s = 1; s < NSIG; s++)
		sigaction(s, dfl, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail("sigprocmask failed");

	if (nullfd == 0) {
		if (fcntl(0, F_SETFD, 0) < 0)
			child_fail("cannot set up stdin");
	} else if (dup2(nullfd, 0) < 0) {
		child_fail("cannot set up stdin");
	}
	/* Everything above 2 goes, including the listening sockets. */
	if (close_range(3, ~0U, 0) < 0)
		for (int fd = 3; fd < maxfd; fd++)
			close(fd);
	execve(sh, argv, envp);
	child_fail("cannot execute the shell");
}

static int
hook_wait_status(int st, char *why, size_t len)
{
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) == 0)
			return 0;
		errbuf_set(why, len, "exited with status %d", WEXITSTATUS(st));
	} else if (WIFSIGNALED(st)) {
		errbuf_set(why, len, "killed by signal %d", WTERMSIG(st));
	} else {
		errbuf_set(why, len, "ended with wait status %d", st);
	}
	return -1;
}

int
hook_shell(const struct config *cfg, const char *cmd, char *why, size_t len)
{
	const char *sh = hooks_binsh(cfg);
	const char *reloads = getenv("UWSGI_RELOADS");
	char *reloads_env = reloads ? xasprintf("UWSGI_RELOADS=%s", reloads) : NULL;
	char *argv[] = { (char *)sh, "-c", (char *)cmd, NULL };
	/* the as-emperor phase describes its vassal in UWSGI_VASSAL_* variables */
	size_t nenv = 0, k = 0;
	for (char **e = environ; *e; e++)
		nenv += strncmp(*e, "UWSGI_VASSAL_", 13) == 0;
	char **envp = xcalloc(nenv + 3, sizeof(char *));
	envp[k++] = HOOK_ENV_PATH;
	if (reloads_env)
		envp[k++] = reloads_env;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "UWSGI_VASSAL_", 13) == 0)
			envp[k++] = *e;
	struct sigaction dfl;
	sigset_t all, saved;
	struct rlimit rl;
	int maxfd = HOOK_FD_LOOP_MAX, nullfd, st, err, rc = -1;
	pid_t parent = getpid(), pid;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)maxfd)
		maxfd = (int)rl.rlim_cur;

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0) {
		errbuf_set(why, len, "could not be run: /dev/null: %s", strerror(errno));
		goto out;
	}
	/* Block signals across fork so no parent handler runs in the child
	 * before hook_child() has reset them. */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &saved) < 0) {
		errbuf_set(why, len, "could not be run: sigprocmask: %s", strerror(errno));
		close(nullfd);
		goto out;
	}
	pid = fork();
	if (pid == 0)
		hook_child(sh, argv, envp, nullfd, parent, maxfd, &dfl);
	err = errno;
	close(nullfd);
	if (sigprocmask(SIG_SETMASK, &saved, NULL) < 0)
		abort(); /* cannot fail with a valid set; never run with signals blocked */
	if (pid < 0) {
		errbuf_set(why, len, "could not be run: fork: %s", strerror(err));
		goto out;
	}

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			errbuf_set(why, len, "could not be waited for: %s", strerror(errno));
			goto out;
		}
	}
	rc = hook_wait_status(st, why, len);
out:
	free(envp);
	free(reloads_env);
	return rc;
}
