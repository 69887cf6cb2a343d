/* SPDX-License-Identifier: MIT */
/*
 * From monitors to vassals: scans (periodic, debounced change events, a pg
 * monitor's rows) spawn what is listed, reload what changed and stop what
 * went; the periodic tick also checks the heartbeats.
 */
#include "emperor/emperor_internal.h"
#include "emperor/emperor_os.h"
#include "emperor/ondemand.h"
#include "emperor/monitor_pg.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static bool
ts_changed(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec || a.tv_nsec != b.tv_nsec;
}

static void
file_seen(size_t mi, const struct scan_entry *e, unsigned gen)
{
	struct vassal *v = vt_find(&emperor.vt, (int)mi, e->name);
	if (!v) {
		v = vt_add(&emperor.vt, (int)mi, e->name);
		v->flag = e->flag;
		v->mtime = e->mtime;
		v->last_mod = (int64_t)e->mtime.tv_sec;
		v->uid = e->uid;
		v->gid = e->gid;
		v->gen = gen;
		v->config = e->config ? xstrdup(e->config) : NULL;
		v->od_name = e->socket ? xstrdup(e->socket) : NULL;
		if ((!ondemand_enabled(emperor.cfg) && !v->od_name) || ondemand_arm(v) > 0)
			emperor_request_spawn(v);
		return;
	}
	v->gen = gen;
	v->flag = e->flag;
	bool owner_changed = v->uid != e->uid || v->gid != e->gid;
	/* a pg row whose text changed but not its timestamp is changed too */
	bool config_changed = e->config && (!v->config || strcmp(v->config, e->config) != 0);
	bool changed = ts_changed(v->mtime, e->mtime) || config_changed;
	if (config_changed) {
		free(v->config);
		v->config = xstrdup(e->config);
	}
	v->uid = e->uid;
	v->gid = e->gid;
	if (changed) {
		v->mtime = e->mtime;
		v->last_mod = (int64_t)e->mtime.tv_sec;
		emperor_watch_file(v);
	}
	switch (v->state) {
	case V_RUNNING:
		if (emperor.cfg->emperor_tyrant && owner_changed) {
			log_msg("[emperor-tyrant] !!! permissions of file %s changed. stopping the instance... !!!", v->name);
			emperor_stop(v, AFTER_RESPAWN);
		} else if (changed) {
			emperor_reload(v);
		}
		break;
	case V_STOPPING:
		/* the file came back, or changed after a voluntary stop */
		if (v->after == AFTER_FORGET || (changed && v->after == AFTER_IDLE))
			v->after = AFTER_RESPAWN;
		break;
	case V_PENDING:
		if (changed || owner_changed) {
			/* a fixed file gets its chance at once */
			blacklist_remove(&emperor.bl, v->name);
			emperor_arm_sched(clock_ms());
		}
		break;
	case V_IDLE:
		if (changed || owner_changed) {
			blacklist_remove(&emperor.bl, v->name);
			if (e->socket && v->od_fd < 0) {
				free(v->od_name);
				v->od_name = xstrdup(e->socket);
			}
			if ((!ondemand_enabled(emperor.cfg) && !v->od_name) || ondemand_arm(v) > 0)
				emperor_request_spawn(v);
		}
		break;
	case V_ONDEMAND:    /* the next spawn reads the new file */
		break;
	}
}

static void apply_scan(size_t mi, const struct scan_result *r);

static void
scan_monitor(size_t mi)
{
	struct monitor *m = &emperor.mon[mi];
	struct scan_result r;
	if (m->kind == MON_PG) {
		pg_monitor_rescan(m->pg);   /* the rows arrive in emperor_on_pg_scan */
		return;
	}
	if (monitor_scan(m, &emperor.mopts, &r) < 0) {
		if (!emperor.scan_failed[mi])
			log_errno("[emperor] cannot scan %s", m->arg);
		emperor.scan_failed[mi] = true;
		if (emperor.notify && m->wd >= 0)
			notify_unwatch(emperor.notify, m->wd);
		m->wd = -1;
		return;     /* an unreadable directory stops nobody */
	}
	if (emperor.scan_failed[mi])
		log_msg("[emperor] %s can be scanned again", m->arg);
	emperor.scan_failed[mi] = false;
	apply_scan(mi, &r);
	scan_result_free(&r);
}

/* What is listed runs (spawn, reload); what is not stops. */
static void
apply_scan(size_t mi, const struct scan_result *r)
{
	if (emperor.ragnarok)
		return;
	unsigned gen = ++emperor.gen;
	for (size_t i = 0; i < r->n; i++)
		file_seen(mi, &r->v[i], gen);
	for (size_t i = 0; i < emperor.vt.n;) {
		struct vassal *v = emperor.vt.v[i];
		if (v->monitor != (int)mi || v->gen == gen) {
			i++;
			continue;
		}
		if (v->state == V_PENDING || v->state == V_IDLE || v->state == V_ONDEMAND) {
			emperor_forget(v);
			continue;
		}
		emperor_stop(v, AFTER_FORGET);
		i++;
	}
}

/* A pg monitor's rows, or NULL: the database is unreachable. Its first
 * rows belong to the warm-up, as a directory's first scan does. */
void
emperor_on_pg_scan(void *ctx, struct scan_result *r)
{
	size_t mi = (size_t)(uintptr_t)ctx;
	if (r)
		apply_scan(mi, r);
	if (emperor.pg_waiting[mi]) {
		emperor.pg_waiting[mi] = false;
		emperor.npg_waiting--;
		emperor.warm_seq = emperor.seq;
		emperor_arm_sched(clock_ms());
	}
}

static void
watch_monitors(void)
{
	if (!emperor.notify)
		return;
	for (size_t i = 0; i < emperor.nmon; i++) {
		struct monitor *m = &emperor.mon[i];
		if (m->watch_dir && m->wd < 0)
			m->wd = notify_watch_dir(emperor.notify, m->watch_dir);
	}
}

void
emperor_scan_all(void)
{
	if (emperor.ragnarok)
		return;
	watch_monitors();
	for (size_t i = 0; i < emperor.nmon; i++)
		scan_monitor(i);
}

static void
on_debounce(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	if (emperor.ragnarok)
		return;
	watch_monitors();
	for (size_t i = 0; i < emperor.nmon; i++) {
		if (emperor.dirty[i]) {
			emperor.dirty[i] = false;
			scan_monitor(i);
		}
	}
}

static void
on_watch_event(int wd, const char *name, void *data)
{
	(void)data;
	bool any = false;
	/* sockets, logs and pidfiles living next to the vassal files are no news */
	if (wd >= 0 && name && !vassal_flag(name, &emperor.mopts))
		return;
	for (size_t i = 0; i < emperor.nmon; i++) {
		if (wd < 0 || emperor.mon[i].wd == wd) {
			emperor.dirty[i] = true;
			any = true;
		}
	}
	if (!any) {
		for (size_t i = 0; i < emperor.vt.n; i++) {
			if (emperor.vt.v[i]->file_wd == wd) {
				emperor.dirty[emperor.vt.v[i]->monitor] = true;
				any = true;
			}
		}
	}
	if (any && emperor.debounce_timer <= 0)
		event_timer_arm(emperor.loop, DEBOUNCE_MS, on_debounce, NULL, &emperor.debounce_timer);
}

void
emperor_on_notify(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	(void)data;
	(void)mask;
	notify_drain(emperor.notify, on_watch_event, NULL);
}

static void
check_heartbeats(void)
{
	int64_t now = now_unix();
	for (size_t i = 0; i < emperor.vt.n; i++) {
		struct vassal *v = emperor.vt.v[i];
		if (v->state != V_RUNNING || v->last_heartbeat <= 0 || v->pid <= 0)
			continue;
		if (now - v->last_heartbeat > emperor.heartbeat_s) {
			emperor_log("[emperor] vassal %s sent no heartbeat in last %lld seconds, brutally respawning it...",
			            v->name, emperor.heartbeat_s);
			v->last_heartbeat = 0;
			kill(v->pid, SIGKILL);
		}
	}
}

void
emperor_on_tick(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	if (emperor.ragnarok)
		return;
	emperor_scan_all();
	check_heartbeats();
	event_timer_add(loop, emperor.freq_ms, emperor_on_tick, NULL);
}
