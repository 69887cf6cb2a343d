/* SPDX-License-Identifier: MIT */
/* The grammar of uWSGI's cgroup options, shared by the Linux and FreeBSD sides. */
#include "server/cgroup_opts.h"

#include <string.h>

static struct origin
where(const struct config *cfg, const char *option)
{
	const struct origin *o = config_origin(cfg, option);
	return o ? *o : (struct origin){ option, 0 };
}

/* Absolute, without a ".." component. */
static bool
path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; (c = strstr(c, "..")) != NULL; c += 2)
		if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
			return false;
	return true;
}

bool
cgroup_opt_split(const char *opt, size_t *keylen, const char **value)
{
	/* uWSGI: the first '=', else the first ':' */
	const char *sep = strchr(opt, '=');

	if (sep == NULL)
		sep = strchr(opt, ':');
	if (sep == NULL || sep == opt)
		return false;
	*keylen = (size_t)(sep - opt);
	*value = sep + 1;
	return true;
}

int
cgroup_opts_syntax(const struct config *cfg, mode_t *mode)
{
	const char *m = cfg->cgroup_dir_mode ? cfg->cgroup_dir_mode : "0700";
	unsigned v = 0;

	for (const char *p = m; *p; p++) {
		if (*p < '0' || *p > '7' || v > 07777 / 8) {
			config_error(where(cfg, "cgroup-dir-mode"), "cgroup-dir-mode: '%s' is not an "
			    "octal mode (e.g. 0755)", m);
			return -1;
		}
		v = v * 8 + (unsigned)(*p - '0');
	}
	if (*m == '\0') {
		config_error(where(cfg, "cgroup-dir-mode"), "cgroup-dir-mode: empty value");
		return -1;
	}
	*mode = (mode_t)v;
	for (size_t i = 0; i < cfg->cgroup.n; i++) {
		const char *path = cfg->cgroup.v[i];
		if (!path_ok(path)) {
			config_error(cfg->cgroup.origin[i], "cgroup: '%s' is not an absolute cgroup "
			    "directory (e.g. /sys/fs/cgroup/memory/myapp)", path);
			return -1;
		}
	}
	for (size_t i = 0; i < cfg->cgroup_opt.n; i++) {
		const char *o = cfg->cgroup_opt.v[i], *val;
		size_t kl;
		if (!cgroup_opt_split(o, &kl, &val) || memchr(o, '/', kl) != NULL ||
		    (o[0] == '.' && (kl == 1 || (kl == 2 && o[1] == '.')))) {
			config_error(cfg->cgroup_opt.origin[i], "cgroup-opt: '%s' is not key=value with a "
			    "cgroup file name as the key (e.g. memory.limit_in_bytes=64M)", o);
			return -1;
		}
	}
	if (cfg->cgroup_opt.n > 0 && cfg->cgroup.n == 0) {
		config_error(cfg->cgroup_opt.origin[0], "cgroup-opt needs cgroup (the directory the "
		    "value is written to)");
		return -1;
	}
	return 0;
}
