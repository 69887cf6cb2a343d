/* SPDX-License-Identifier: MIT */
/*
 * Process set-up for the master and its workers (core/uwsgi.c): limit-as
 * sets RLIMIT_AS to N MiB (soft and hard), max-fd sets RLIMIT_NOFILE,
 * umask, stdin (honour-stdin), and chdir2 (in each worker once the app
 * is loaded).
 */
#include "server/process_options.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/resource.h>

int
process_limits_apply(const struct config *cfg)
{
	struct rlimit rl;
	if (cfg->limit_as) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)(cfg->limit_as * 1024 * 1024);
		if (setrlimit(RLIMIT_AS, &rl) < 0) {
			struct rlimit now;
			/* a hard limit already lower than asked is stricter: fine */
			if (getrlimit(RLIMIT_AS, &now) < 0 || now.rlim_max == RLIM_INFINITY ||
			    now.rlim_max > rl.rlim_max) {
				log_errno("limit-as %llu: setrlimit(RLIMIT_AS)", cfg->limit_as);
				return -1;
			}
		}
		log_msg("limiting address space of processes to %llu MiB", cfg->limit_as);
	}
	if (cfg->max_fd) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)cfg->max_fd;
		/* as uWSGI: raising the limit needs privileges; without them
		 * the start goes on with the limit there is */
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_errno("max-fd %llu: setrlimit(RLIMIT_NOFILE)", cfg->max_fd);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_msg("detected max file descriptor number: %llu", (unsigned long long)rl.rlim_cur);
	}
	return 0;
}

int
process_umask_apply(const struct config *cfg)
{
	mode_t m;
	if (!cfg->umask)
		return 0;
	if (socket_options_umask(cfg, &m) < 0)
		return -1;
	umask(m);
	return 0;
}

int
process_chdir2(const struct config *cfg)
{
	if (!cfg->chdir2)
		return 0;
	log_msg("chdir() to %s", cfg->chdir2);
	if (chdir(cfg->chdir2) < 0) {
		log_errno("chdir2: chdir(%s)", cfg->chdir2);
		return -1;
	}
	return 0;
}

/* As uWSGI: an app must not read the terminal or the pipe the server was
 * started from (pdb, input()) unless honour-stdin says so. */
int
process_stdin_apply(const struct config *cfg)
{
	struct stat st;
	if (cfg->honour_stdin || (fstat(0, &st) == 0 && S_ISSOCK(st.st_mode)))
		return 0;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_errno("open(/dev/null) for stdin");
		return -1;
	}
	if (fd != 0) {
		if (dup2(fd, 0) < 0) {
			log_errno("dup2(/dev/null, stdin)");
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}
