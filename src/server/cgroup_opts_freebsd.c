/* SPDX-License-Identifier: MIT */
/* uWSGI's cgroup options on FreeBSD: there are no cgroups; refused. */
#include "server/cgroup_opts.h"

int
cgroup_opts_check(const struct config *cfg)
{
	const struct strlist *l = cfg->cgroup.n ? &cfg->cgroup : &cfg->cgroup_opt;
	const struct origin *o = config_origin(cfg, "cgroup-dir-mode");

	if (l->n > 0) {
		config_error(l->origin[0], "%s: Linux cgroups do not exist on FreeBSD (use jail-rctl, "
		    "rctl(8) rules, for a jail's limits)", l == &cfg->cgroup ? "cgroup" : "cgroup-opt");
		return -1;
	}
	if (o != NULL) {
		config_error(*o, "cgroup-dir-mode: Linux cgroups do not exist on FreeBSD");
		return -1;
	}
	return 0;
}

int
cgroup_opts_apply(const struct config *cfg)
{
	(void)cfg;
	return 0;
}
