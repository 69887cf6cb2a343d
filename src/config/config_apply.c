/* SPDX-License-Identifier: MIT */
/*
 * The typed config: resolved entries applied to struct config fields
 * (defaults first), where an option was set, freeing it again, and
 * --show-config.
 */
#include "config/config.h"
#include "config/options.h"
#include "config/config_values.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
strlist_push(struct strlist *l, const char *s, struct origin o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
		l->origin = xrealloc(l->origin, l->cap * sizeof(*l->origin));
	}
	l->v[l->n] = xstrdup(s);
	l->origin[l->n] = o;
	l->n++;
}

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->origin);
	memset(l, 0, sizeof(*l));
}

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->processes = 1;
	/* uWSGI's 100 overflows behind a proxy that opens a connection per request
	 * (nginx uwsgi_pass): dropped SYNs cost a 200 ms+ retransmit each */
	cfg->listen_backlog = 1024;
	cfg->socket_timeout = 4;
	cfg->buffer_size = 4096;
	cfg->request_body_timeout = 60;
	cfg->request_body_min_rate = 500;
	cfg->worker_reload_mercy = 60;
	cfg->reload_mercy = 30;
}

const struct origin *
config_origin(const struct config *cfg, const char *option)
{
	const struct option_def *o = option_find(option);
	if (!o || !cfg->origins)
		return NULL;
	const struct origin *r = &cfg->origins[o - option_table];
	return r->file ? r : NULL;
}

int
config_apply(struct loader *L, struct config *cfg)
{
	config_defaults(cfg);
	cfg->origins = xcalloc(option_count, sizeof(*cfg->origins));
	struct value_note note;
	for (size_t i = 0; i < L->list.n; i++) {
		struct config_entry *e = &L->list.v[i];
		if (!e->opt)
			continue;
		cfg->origins[e->opt - option_table] = e->origin;
		if (e->opt->field == NO_FIELD)
			continue;
		void *field = (char *)cfg + e->opt->field;
		switch (e->opt->type) {
		case T_STRING:
			free(*(char **)field);
			*(char **)field = xstrdup(e->value);
			break;
		case T_LIST:
			if (e->opt->flags & OPT_KEYED) {
				char *kv = xasprintf("%s %s", e->opt->name, e->value);
				strlist_push(field, kv, e->origin);
				free(kv);
			} else {
				strlist_push(field, e->value, e->origin);
			}
			break;
		case T_BOOL:
			/* refusals stopped config_resolve(): this only reads */
			value_read_bool(e->value, (bool *)field, &note);
			break;
		case T_UINT:
			value_read_uint(e->value, 1ULL << 53, (unsigned long long *)field, &note);
			break;
		}
	}
	if (!cfg->callable)
		cfg->callable = xstrdup("application");
	/* issue 21: an HTTP router without http-to forwards to the first
	 * uwsgi socket; without one the workers get an internal socket */
	if (cfg->http.n && !cfg->http_to.n && !cfg->http_subscription_server.n && !cfg->uwsgi_socket.n)
		strlist_push(&cfg->uwsgi_socket, "127.0.0.1:0", cfg->http.origin[0]);
	config_export_opts(L, cfg);
	return 0;
}

void
config_free(struct config *cfg)
{
	char **strings[] = { &cfg->binary_path, &cfg->chmod_socket, &cfg->chown_socket, &cfg->pidfile,
		&cfg->wsgi_file, &cfg->module, &cfg->callable, &cfg->home, &cfg->chdir_path,
		&cfg->logto, &cfg->uid, &cfg->gid, &cfg->jail, &cfg->jidfile, &cfg->jail_attach,
		&cfg->chroot_dir, &cfg->pidfile2, &cfg->safe_pidfile, &cfg->safe_pidfile2, &cfg->daemonize,
		&cfg->stats, &cfg->jail_remove, &cfg->help_option, &cfg->mimefile,
		/* forkpty router */
		&cfg->forkpty_command, &cfg->pty_connect, &cfg->pty_uconnect,
		&cfg->http_manage_expect, &cfg->http_stats, &cfg->fastrouter_stats,   /* issue 21 */
		/* emperor */
		&cfg->emperor_stats, &cfg->emperor_pidfile, &cfg->emperor_pg_node,
		&cfg->emperor_pg_channel,
		/* logging */
		&cfg->log_format, &cfg->log_date, &cfg->log_backupname,
		/* issue 23 */
		&cfg->cgroup_dir_mode,
		/* issue 19: process and socket options */
		&cfg->procname, &cfg->procname_prefix, &cfg->procname_prefix_spaced,
		&cfg->procname_append, &cfg->procname_master, &cfg->protocol, &cfg->umask, &cfg->chdir2 };
	struct strlist *lists[] = { &cfg->http_socket, &cfg->uwsgi_socket, &cfg->shared_socket,
		&cfg->pythonpath, &cfg->env, &cfg->jail_ip4, &cfg->jail_ip6, &cfg->jail2,
		&cfg->binsh, &cfg->add_gid, &cfg->touch_reload, &cfg->master_fifo,
		&cfg->static_map, &cfg->static_map2, &cfg->static_index, &cfg->static_skip_ext, &cfg->route_rules,
		&cfg->static_safe, &cfg->static_expires, &cfg->static_expires_uri,
		&cfg->static_expires_path_info,
		/* forkpty router */
		&cfg->forkpty_router, &cfg->forkpty_urouter,
		&cfg->http, &cfg->http_to, &cfg->http_var,   /* issue 21 */
		&cfg->http_subscription_server, &cfg->subscribe_to, &cfg->subscribe2,
		&cfg->fastrouter, &cfg->fastrouter_to, &cfg->fastrouter_subscription_server,
		/* emperor */
		&cfg->emperor, &cfg->emperor_extra_extension, &cfg->vassals_inherit,
		&cfg->vassals_include, &cfg->vassals_inherit_before, &cfg->vassals_include_before,
		&cfg->vassals_set,
		/* logging */
		&cfg->log_req_encoder, &cfg->req_logger, &cfg->touch_logreopen,
		/* issue 23 */
		&cfg->jail_rctl, &cfg->cgroup, &cfg->cgroup_opt,
		/* issue 19: process and socket options */
		&cfg->touch_chain_reload, &cfg->uwsgi_socket_forced,
		/* issue 22 */
		&cfg->py_import, &cfg->cache2, &cfg->spooler, &cfg->spooler_import,
		&cfg->mule, &cfg->mount, &cfg->py_autoreload_ignore };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		strlist_free(lists[i]);
	for (int p = 0; p < PH_COUNT; p++)
		for (int f = 0; f < HF_COUNT; f++)
			strlist_free(&cfg->hooks[p][f]);
	/* every string and list an option row fills, including rows added
	 * after the lists above were written (freed ones are NULL/empty now) */
	for (size_t i = 0; i < option_count; i++) {
		const struct option_def *o = &option_table[i];
		if (o->field == NO_FIELD)
			continue;
		if (o->type == T_STRING) {
			free(*(char **)((char *)cfg + o->field));
			*(char **)((char *)cfg + o->field) = NULL;
		} else if (o->type == T_LIST) {
			strlist_free((struct strlist *)((char *)cfg + o->field));
		}
	}
	free(cfg->origins);
	cfg->origins = NULL;
	config_export_free(cfg);
}

void
config_show(const struct loader *L, int fd)
{
	struct strbuf sb;
	sb_init(&sb);
	for (size_t i = 0; i < L->list.n; i++) {
		const struct config_entry *e = &L->list.v[i];
		if (!e->opt || (e->opt->flags & (OPT_IMMEDIATE | OPT_ACTION)))
			continue;
		const char *v = e->value;
		char num[32];
		bool b;
		unsigned long long u;
		struct value_note note;
		/* the value as it is read (uWSGI's way), not as written */
		if (e->opt->type == T_BOOL && value_read_bool(v, &b, &note) == 0)
			v = b ? "true" : "false";
		if (e->opt->type == T_UINT && value_read_uint(v, 1ULL << 53, &u, &note) == 0) {
			snprintf(num, sizeof(num), "%llu", u);
			v = num;
		}
		sb_addf(&sb, "%s = %s\n", e->opt->name, v);
	}
	if (sb.len && write_full(fd, sb.buf, sb.len) < 0) { /* stdout gone: nothing to do */ }
	sb_free(&sb);
}
