/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's cgroup options on Linux (core/utils.c uwsgi_set_cgroup): as root,
 * each `cgroup` directory is made with cgroup-dir-mode (or chmod'ed to it
 * when it exists), the instance joins it, and every cgroup-opt is written
 * into it. Runs on the host before any jail, so a jailed instance sits in
 * these cgroups too. Unlike uWSGI, a cgroup-opt no given cgroup has is an
 * error (uWSGI skips it silently; a typo then limits nothing).
 */
#include "server/cgroup_opts.h"

#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
cgroup_opts_check(const struct config *cfg)
{
	mode_t mode;

	return cgroup_opts_syntax(cfg, &mode);
}

/* Writes text to dir/file: 0, -1 (errno), or -2 when the file is missing. */
static int
put(const char *dir, const char *file, size_t filelen, const char *text)
{
	char *path = xasprintf("%s/%.*s", dir, (int)filelen, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	free(path);
	if (fd < 0)
		return errno == ENOENT ? -2 : -1;
	if (write_full(fd, text, strlen(text)) < 0)
		rc = -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int
join(const char *dir, const struct origin *o)
{
	char pid[32];
	int rc;

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	/* cgroup.procs moves the whole process (v1 and v2); uWSGI's "tasks" is v1 only */
	rc = put(dir, "cgroup.procs", strlen("cgroup.procs"), pid);
	if (rc == -2)
		rc = put(dir, "tasks", strlen("tasks"), pid);
	if (rc < 0) {
		config_error(*o, "cgroup: cannot move process %d into %s: %s", (int)getpid(), dir,
		    rc == -2 ? "not a cgroup directory (no cgroup.procs or tasks)" : strerror(errno));
		return -1;
	}
	log_msg("assigned process %d to cgroup %s", (int)getpid(), dir);
	return 0;
}

int
cgroup_opts_apply(const struct config *cfg)
{
	bool *written;
	mode_t mode;
	int rc = -1;

	if (cfg->cgroup.n == 0)
		return 0;
	if (cgroup_opts_syntax(cfg, &mode) < 0)
		return -1;
	if (getuid() != 0) {
		log_msg("cgroup: not running as root: cgroup and cgroup-opt ignored (as uWSGI does)");
		return 0;
	}
	written = xcalloc(cfg->cgroup_opt.n + 1, sizeof(*written));
	for (size_t i = 0; i < cfg->cgroup.n; i++) {
		const char *dir = cfg->cgroup.v[i];
		const struct origin *o = &cfg->cgroup.origin[i];
		if (mkdir(dir, mode) == 0) {
			log_msg("created Linux cgroup %s with mode %o", dir, (unsigned)mode);
		} else if (errno == EEXIST && chmod(dir, mode) == 0) {
			log_msg("using Linux cgroup %s with mode %o", dir, (unsigned)mode);
		} else {
			config_error(*o, "cgroup: %s: %s", dir, strerror(errno));
			goto out;
		}
		if (join(dir, o) < 0)
			goto out;
		for (size_t j = 0; j < cfg->cgroup_opt.n; j++) {
			const char *opt = cfg->cgroup_opt.v[j], *val;
			size_t kl;
			char *text;
			int w;
			cgroup_opt_split(opt, &kl, &val);
			text = xasprintf("%s\n", val);
			w = put(dir, opt, kl, text);
			free(text);
			if (w == -1) {
				config_error(cfg->cgroup_opt.origin[j], "cgroup-opt: cannot set %.*s to '%s' "
				    "in %s: %s", (int)kl, opt, val, dir, strerror(errno));
				goto out;
			}
			if (w == 0) {
				written[j] = true;
				log_msg("cgroup %s: set %.*s to %s", dir, (int)kl, opt, val);
			}
		}
	}
	for (size_t j = 0; j < cfg->cgroup_opt.n; j++) {
		if (!written[j]) {
			size_t kl;
			const char *val;
			cgroup_opt_split(cfg->cgroup_opt.v[j], &kl, &val);
			config_error(cfg->cgroup_opt.origin[j], "cgroup-opt: no cgroup given has a file "
			    "'%.*s' (is the controller mounted there?)", (int)kl, cfg->cgroup_opt.v[j]);
			goto out;
		}
	}
	rc = 0;
out:
	free(written);
	return rc;
}
