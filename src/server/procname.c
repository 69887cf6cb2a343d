/* SPDX-License-Identifier: MIT */
/*
 * Process names as uWSGI sets them (core/utils.c uwsgi_set_processname,
 * uwsgi_fork; core/master.c): any procname option turns auto-procname on;
 * a worker is named procname or "uWSGI worker N", the master
 * procname-master, procname or "uWSGI master"; procname-prefix(-spaced)
 * and procname-append wrap every name. uWSGI's names are kept so that
 * monitoring that looks for them keeps working.
 */
#include "server/process_options.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

char **
procname_init(char **argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(argv[i]);
	procname_os_init(argv);
	return copy;
}

static bool
procname_wanted(const struct config *cfg)
{
	return cfg->auto_procname || cfg->procname || cfg->procname_prefix ||
	    cfg->procname_prefix_spaced || cfg->procname_append || cfg->procname_master;
}

static void
procname_set(const struct config *cfg, const char *name)
{
	char full[1024];
	/* procname-prefix-spaced is the prefix and a space; given both, the
	 * later line wins in uWSGI (one variable): spaced is the rarer, so it
	 * is taken when present */
	const char *prefix = cfg->procname_prefix_spaced ? cfg->procname_prefix_spaced :
	    cfg->procname_prefix ? cfg->procname_prefix : "";
	snprintf(full, sizeof(full), "%s%s%s%s", prefix, cfg->procname_prefix_spaced ? " " : "", name,
	    cfg->procname_append ? cfg->procname_append : "");
	procname_os_set(full);
}

void
procname_master(const struct config *cfg)
{
	if (!procname_wanted(cfg))
		return;
	procname_set(cfg, cfg->procname_master ? cfg->procname_master :
	    cfg->procname ? cfg->procname : "uWSGI master");
}

void
procname_worker(const struct config *cfg, int id)
{
	char name[64];
	if (!procname_wanted(cfg))
		return;
	snprintf(name, sizeof(name), "uWSGI worker %d", id);
	procname_set(cfg, cfg->procname ? cfg->procname : name);
}
