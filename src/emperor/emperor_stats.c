/* SPDX-License-Identifier: MIT */
/*
 * The Emperor's reports: the emperor-stats document (uWSGI's layout) and
 * the vassal table logged on SIGUSR1.
 */
#include "emperor/emperor_internal.h"
#include "emperor/emperor_os.h"
#include "base/log.h"
#include "net/socket.h"
#include "server/stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
state_name(enum vassal_state s)
{
	switch (s) {
	case V_PENDING: return "pending";
	case V_RUNNING: return "running";
	case V_STOPPING: return "stopping";
	case V_IDLE: return "idle";
	case V_ONDEMAND: return "on-demand";
	}
	return "?";
}

static json_t *
jint(long long v)
{
	return json_integer((json_int_t)v);
}

static void
find_jail(struct vassal *v)
{
	if (v->jail_checked || v->pid <= 0)
		return;
	long jid;
	char name[64];
	if (emperor_jail_of(v->pid, &jid, name, sizeof(name)) == 0) {
		v->jid = jid;
		snprintf(v->jail, sizeof(v->jail), "%s", name);
		v->jail_checked = true;
	} else if (v->ready) {
		v->jail_checked = true;     /* a running master without a jail: none */
	}
}

/* The integer members of a stats object, set in the order listed. */
struct int_field {
	const char	*key;
	long long	 val;
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static void
set_ints(json_t *o, const struct int_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, f[i].key, jint(f[i].val));
}

/* One vassal in uWSGI's member order. */
static json_t *
vassal_doc(const struct vassal *v)
{
	const struct int_field head[] = {
		{ "pid", v->pid }, { "born", v->born }, { "last_mod", v->last_mod },
		{ "last_heartbeat", v->last_heartbeat }, { "loyal", v->loyal }, { "ready", v->ready },
		{ "accepting", v->accepting }, { "last_loyal", v->last_loyal }, { "last_ready", v->last_ready },
		{ "last_accepting", v->last_accepting }, { "first_run", v->first_run }, { "last_run", v->last_run },
		{ "cursed", v->state == V_STOPPING ? v->cursed_at : 0 },
		/* uWSGI features this Emperor does not have */
		{ "zerg", 0 }, { "on_demand", 0 /* a string, set below */ }, { "suspended", 0 }, { "adopted", 0 },
		{ "uid", v->uid }, { "gid", v->gid },
	};
	const struct int_field tail[] = { { "respawns", v->respawns }, { "jid", v->jid } };
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(v->name));
	set_ints(o, head, NFIELDS(head));
	/* as uWSGI: the on-demand socket's address, "" for other vassals */
	json_object_set_new(o, "on_demand", json_string(v->od_name ? v->od_name : ""));
	json_object_set_new(o, "monitor", json_string(emperor.mon[v->monitor].arg));
	json_object_set_new(o, "attrs", json_object());
	set_ints(o, tail, NFIELDS(tail));
	json_object_set_new(o, "jail", json_string(v->jail));
	json_object_set_new(o, "status", json_string(state_name(v->state)));
	return o;
}

static char *
stats_doc(size_t *len)
{
	const struct config *cfg = emperor.cfg;
	json_t *root = json_object();
	char cwd[PATH_MAX];
	json_object_set_new(root, "version", json_string(STOCKADE_VERSION));
	json_object_set_new(root, "pid", jint(getpid()));
	json_object_set_new(root, "uid", jint(getuid()));
	json_object_set_new(root, "gid", jint(getgid()));
	json_object_set_new(root, "cwd", json_string(getcwd(cwd, sizeof(cwd)) ? cwd : ""));
	json_t *mons = json_array();
	for (size_t i = 0; i < emperor.nmon; i++)
		json_array_append_new(mons, json_string(emperor.mon[i].arg));
	json_object_set_new(root, "emperor", mons);
	json_object_set_new(root, "emperor_tyrant", jint(cfg->emperor_tyrant));
	json_object_set_new(root, "throttle_level", jint(emperor.thr.level_ms));
	json_t *vs = json_array();
	for (size_t i = 0; i < emperor.vt.n; i++) {
		struct vassal *v = emperor.vt.v[i];
		find_jail(v);
		json_array_append_new(vs, vassal_doc(v));
	}
	json_object_set_new(root, "vassals", vs);
	json_t *bl = json_array();
	for (size_t i = 0; i < emperor.bl.n; i++) {
		const struct blacklist_item *it = &emperor.bl.v[i];
		const struct int_field ints[] = {
			{ "throttle_level", it->level_ms }, { "attempt", it->attempt },
			{ "first_attempt", it->first_unix }, { "last_attempt", it->last_unix },
		};
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(it->id));
		set_ints(o, ints, NFIELDS(ints));
		json_array_append_new(bl, o);
	}
	json_object_set_new(root, "blacklist", bl);
	char *doc = json_dumps(root, JSON_PRESERVE_ORDER | (cfg->stats_minified ? JSON_COMPACT : JSON_INDENT(1)));
	json_decref(root);
	if (!doc)
		fatal("out of memory (stats)");
	*len = strlen(doc);
	return doc;
}

static void
send_stats(int c)
{
	size_t len;
	char *doc = stats_doc(&len);
	stats_send(c, doc, len, emperor.cfg->stats_http);
	free(doc);
}

int
emperor_stats_setup(void)
{
	emperor.stats_fd = -1;
	if (!emperor.cfg->emperor_stats)
		return 0;
	emperor.stats_fd = stats_serve(emperor.loop, "emperor-stats", emperor.cfg->emperor_stats, emperor.cfg->chmod_socket,
	                         "Emperor stats server", send_stats);
	return emperor.stats_fd < 0 ? -1 : 0;
}

void
emperor_log_table(void)
{
	log_msg("[emperor] %zu vassals, throttle level %lld ms, %zu blacklisted", emperor.vt.n, emperor.thr.level_ms,
	        emperor.bl.n);
	for (size_t i = 0; i < emperor.vt.n; i++) {
		const struct vassal *v = emperor.vt.v[i];
		log_msg("vassal instance %s (last modified %lld) status %s loyal %d zerg 0 pid %d respawns %u", v->name,
		        (long long)v->last_mod, state_name(v->state), v->loyal, (int)v->pid, v->respawns);
	}
}
