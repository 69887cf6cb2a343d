/* SPDX-License-Identifier: MIT */
/*
 * The resolved options as the `uwsgi` Python module's uwsgi.opt shows them
 * (issue 22): every entry in order, key as written, with the value uWSGI
 * would give (a flag given on the command line without a value is True).
 */
#include "config/config.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void
config_export_opts(const struct loader *L, struct config *cfg)
{
	cfg->opt_keys = xcalloc(L->list.n + 1, sizeof(char *));
	cfg->opt_values = xcalloc(L->list.n + 1, sizeof(char *));
	cfg->nopt = 0;
	for (size_t i = 0; i < L->list.n; i++) {
		const struct config_entry *e = &L->list.v[i];
		bool flag = e->opt && e->opt->type == T_BOOL && e->opt->arg == ARG_NONE &&
		            e->origin.file && strcmp(e->origin.file, "command line") == 0 &&
		            strcmp(e->value, "true") == 0;

		cfg->opt_keys[cfg->nopt] = xstrdup(e->key);
		cfg->opt_values[cfg->nopt] = flag ? NULL : xstrdup(e->value);
		cfg->nopt++;
	}
}

void
config_export_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nopt; i++) {
		free(cfg->opt_keys[i]);
		free(cfg->opt_values[i]);
	}
	free(cfg->opt_keys);
	free(cfg->opt_values);
	cfg->opt_keys = cfg->opt_values = NULL;
	cfg->nopt = 0;
	free(cfg->pyargv);
	free(cfg->cache_store);
	cfg->pyargv = cfg->cache_store = NULL;
}
