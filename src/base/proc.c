/* SPDX-License-Identifier: MIT */
/* fork() with every signal blocked: see proc.h. */
#include "base/proc.h"
#include "base/log.h"

#include <errno.h>
#include <unistd.h>

void
signals_block_all(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}

void
signals_restore(const sigset_t *old)
{
	int saved = errno;

	sigprocmask(SIG_SETMASK, old, NULL);
	errno = saved;
}

pid_t
fork_signals_blocked(sigset_t *old)
{
	pid_t pid;

	signals_block_all(old);
	pid = fork();
	if (pid < 0)
		signals_restore(old);
	return pid;
}

int
daemon_fork(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_errno("fork (daemonize)");
		return -1;
	}
	if (pid > 0)
		_exit(0);
	return 0;
}
