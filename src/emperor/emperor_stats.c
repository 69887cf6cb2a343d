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

static const char *state_name(enum vassal_state s)
{
	switch (s) {
	case V_PENDING: return "pending";
	case V_RUNNING: return "running";
	case V_STOPPING: return "stopping";
	case V_IDLE: return "idle";
	}
	return "?";
}

static json_t *jint(long long v) { return json_integer((json_int_t)v); }

static void find_jail(struct vassal *v)
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

static char *stats_doc(size_t *len)
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
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(v->name));
		json_object_set_new(o, "pid", jint(v->pid));
		json_object_set_new(o, "born", jint(v->born));
		json_object_set_new(o, "last_mod", jint(v->last_mod));
		json_object_set_new(o, "last_heartbeat", jint(v->last_heartbeat));
		json_object_set_new(o, "loyal", jint(v->loyal));
		json_object_set_new(o, "ready", jint(v->ready));
		json_object_set_new(o, "accepting", jint(v->accepting));
		json_object_set_new(o, "last_loyal", jint(v->last_loyal));
		json_object_set_new(o, "last_ready", jint(v->last_ready));
		json_object_set_new(o, "last_accepting", jint(v->last_accepting));
		json_object_set_new(o, "first_run", jint(v->first_run));
		json_object_set_new(o, "last_run", jint(v->last_run));
		json_object_set_new(o, "cursed", jint(v->state == V_STOPPING ? v->cursed_at : 0));
		json_object_set_new(o, "zerg", jint(0));
		json_object_set_new(o, "on_demand", jint(0));
		json_object_set_new(o, "suspended", jint(0));
		json_object_set_new(o, "adopted", jint(0));
		json_object_set_new(o, "uid", jint(v->uid));
		json_object_set_new(o, "gid", jint(v->gid));
		json_object_set_new(o, "monitor", json_string(emperor.mon[v->monitor].arg));
		json_object_set_new(o, "attrs", json_object());
		json_object_set_new(o, "respawns", jint(v->respawns));
		json_object_set_new(o, "jid", jint(v->jid));
		json_object_set_new(o, "jail", json_string(v->jail));
		json_object_set_new(o, "status", json_string(state_name(v->state)));
		json_array_append_new(vs, o);
	}
	json_object_set_new(root, "vassals", vs);
	json_t *bl = json_array();
	for (size_t i = 0; i < emperor.bl.n; i++) {
		const struct blacklist_item *it = &emperor.bl.v[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(it->id));
		json_object_set_new(o, "throttle_level", jint(it->level_ms));
		json_object_set_new(o, "attempt", jint(it->attempt));
		json_object_set_new(o, "first_attempt", jint(it->first_unix));
		json_object_set_new(o, "last_attempt", jint(it->last_unix));
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

static void on_stats_client(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	int c = sock_accept(fd, NULL);
	if (c < 0)
		return;
	size_t len;
	char *doc = stats_doc(&len);
	stats_send(c, doc, len, emperor.cfg->stats_http);
	free(doc);
}

int emperor_stats_setup(void)
{
	emperor.stats_fd = -1;
	if (!emperor.cfg->emperor_stats)
		return 0;
	emperor.stats_fd = stats_serve(emperor.loop, "emperor-stats", emperor.cfg->emperor_stats, emperor.cfg->chmod_socket,
	                         "Emperor stats server", on_stats_client);
	return emperor.stats_fd < 0 ? -1 : 0;
}

void emperor_log_table(void)
{
	log_msg("[emperor] %zu vassals, throttle level %lld ms, %zu blacklisted", emperor.vt.n, emperor.thr.level_ms,
	        emperor.bl.n);
	for (size_t i = 0; i < emperor.vt.n; i++) {
		const struct vassal *v = emperor.vt.v[i];
		log_msg("vassal instance %s (last modified %lld) status %s loyal %d zerg 0 pid %d respawns %u", v->name,
		        (long long)v->last_mod, state_name(v->state), v->loyal, (int)v->pid, v->respawns);
	}
}
