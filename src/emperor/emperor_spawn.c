/* SPDX-License-Identifier: MIT */
/*
 * The vassals' lifecycle: spawn requests, the scheduler that spawns them
 * as the throttle and blacklist allow, and the reaping of the dead.
 */
#include "emperor/emperor.h"
#include "emperor/emperor_internal.h"
#include "emperor/emperor_os.h"
#include "emperor/ondemand.h"
#include "emperor/vassal_exec.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "server/vassal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void
describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "ended (wait status %d)", st);
}

/* ---- scheduling ------------------------------------------------------------------- */

static void schedule(void);

static void
on_sched(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	schedule();
}

/* The scheduler runs at `at` (monotonic ms) at the latest. */
void
emperor_arm_sched(long long at)
{
	if (emperor.ragnarok)
		return;
	if (emperor.sched_timer > 0) {
		if (emperor.sched_at <= at)
			return;
		event_timer_del(emperor.loop, emperor.sched_timer);
	}
	long long delay = at - clock_ms();
	emperor.sched_at = at;
	event_timer_arm(emperor.loop, delay > 0 ? delay : 0, on_sched, NULL, &emperor.sched_timer);
}

void
emperor_request_spawn(struct vassal *v)
{
	v->state = V_PENDING;
	v->seq = ++emperor.seq;
	if (!emperor.cfg->emperor_no_blacklist) {
		long long wait = blacklist_wait(&emperor.bl, v->name, clock_ms());
		if (wait > 0)
			emperor_log("[emperor] vassal %s is throttled: next spawn in %lld ms", v->name, wait);
	}
	emperor_arm_sched(clock_ms());
}

static void
stop_watching_file(struct vassal *v)
{
	if (emperor.notify && v->file_wd >= 0)
		notify_unwatch(emperor.notify, v->file_wd);
	v->file_wd = -1;
}

void
emperor_watch_file(struct vassal *v)
{
	if (!emperor.notify || !notify_wants_file_watches() || emperor.mon[v->monitor].kind == MON_PG)
		return;
	stop_watching_file(v);
	const struct monitor *m = &emperor.mon[v->monitor];
	char path[PATH_MAX];
	if (m->kind == MON_DIR)
		snprintf(path, sizeof(path), "%s/%s", m->path, v->name);
	else
		snprintf(path, sizeof(path), "%s", v->name);
	v->file_wd = notify_watch_file(emperor.notify, path);
}

void
emperor_close_pipe(struct vassal *v)
{
	if (v->cfg_fd >= 0)
		close(v->cfg_fd);
	v->cfg_fd = -1;
	if (v->fd < 0)
		return;
	event_del(emperor.loop, v->fd, EV_READ);
	close(v->fd);
	v->fd = -1;
}

static void
cancel_curse(struct vassal *v)
{
	if (v->curse_timer > 0)
		event_timer_del(emperor.loop, v->curse_timer);
	v->curse_timer = 0;
}

/* Drops the record (no process left). */
void
emperor_forget(struct vassal *v)
{
	cancel_curse(v);
	emperor_close_pipe(v);
	stop_watching_file(v);
	ondemand_release(v);
	vt_remove(&emperor.vt, v);
}


/* ---- spawning ----------------------------------------------------------------------- */

/* as-emperor: the Emperor's own hooks, told about the new vassal. */
static void
run_as_emperor(const struct vassal *v)
{
	if (!hooks_any(emperor.cfg, PH_AS_EMPEROR))
		return;
	char num[32];
	setenv("UWSGI_VASSAL_CONFIG", v->name, 1);
	snprintf(num, sizeof(num), "%d", (int)v->pid);
	setenv("UWSGI_VASSAL_PID", num, 1);
	snprintf(num, sizeof(num), "%u", (unsigned)v->uid);
	setenv("UWSGI_VASSAL_UID", num, 1);
	snprintf(num, sizeof(num), "%u", (unsigned)v->gid);
	setenv("UWSGI_VASSAL_GID", num, 1);
	hooks_run(emperor.cfg, PH_AS_EMPEROR);
	unsetenv("UWSGI_VASSAL_CONFIG");
	unsetenv("UWSGI_VASSAL_PID");
	unsetenv("UWSGI_VASSAL_UID");
	unsetenv("UWSGI_VASSAL_GID");
}

static void
spawn(struct vassal *v)
{
	const struct config *cfg = emperor.cfg;
	const struct monitor *m = &emperor.mon[v->monitor];
	if (cfg->emperor_tyrant && (v->uid == 0 || v->gid == 0)) {
		log_msg("[emperor-tyrant] invalid permissions for vassal %s", v->name);
		v->state = V_IDLE;
		return;
	}
	int sp[2] = { -1, -1 }, cp[2] = { -1, -1 };
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    (v->config && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0)) {
		log_errno("[emperor] socketpair() for vassal %s", v->name);
		for (int i = 0; i < 2; i++)
			if (sp[i] >= 0)
				close(sp[i]);
		v->not_before_ms = clock_ms() + RETRY_MS;
		return;
	}
	/* an absolute path: a jailed vassal re-reads it inside its jail on
	 * reload; a pg row's config comes through the config socket */
	char *path = m->kind == MON_PG ? xasprintf("emperor://%s", v->name)
	             : m->kind == MON_DIR ? xasprintf("%s/%s", m->path, v->name)
	             : v->name[0] == '/' ? xstrdup(v->name) : xasprintf("%s/%s", emperor.cwd, v->name);
	char **argv = emperor_vassal_argv(cfg, emperor.binary, v->flag, path);
	const char *dir = m->kind == MON_DIR ? m->path : emperor.cwd;
	sigset_t old;
	signals_block_all(&old);
	pid_t pid = fork();
	if (pid == 0)
		vassal_exec(cfg, v, sp[1], cp[1], argv, dir, &old);
	int err = errno;
	signals_restore(&old);
	free(argv);
	free(path);
	close(sp[1]);
	if (cp[1] >= 0)
		close(cp[1]);
	if (pid < 0) {
		close(sp[0]);
		if (cp[0] >= 0)
			close(cp[0]);
		errno = err;
		log_errno("[emperor] fork() for vassal %s", v->name);
		v->not_before_ms = clock_ms() + RETRY_MS;
		return;
	}
	v->not_before_ms = 0;
	v->pid = pid;
	v->fd = sp[0];
	v->cfg_fd = cp[0];
	fcntl(v->fd, F_SETFL, fcntl(v->fd, F_GETFL) | O_NONBLOCK);
	if (event_add(emperor.loop, v->fd, EV_READ, emperor_on_vassal_msg, v) < 0) {
		log_errno("[emperor] cannot watch vassal %s", v->name);
		close(v->fd);
		v->fd = -1;
	}
	int64_t now = now_unix();
	if (v->first_run == 0)
		v->first_run = now;
	else
		v->respawns++;
	v->born = v->last_run = now;
	v->loyal = v->ready = v->accepting = false;
	v->last_heartbeat = v->cursed_at = 0;
	v->jid = 0;
	v->jail[0] = '\0';
	v->jail_checked = false;
	v->state = V_RUNNING;
	v->after = AFTER_FORGET;
	throttle_spawned(&emperor.thr, clock_ms());
	emperor_log("[emperor] spawned vassal %s (pid: %d)", v->name, (int)pid);
	emperor_watch_file(v);
	run_as_emperor(v);
}

void
emperor_spawn_now(struct vassal *v)
{
	spawn(v);
	if (v->state == V_ONDEMAND)     /* fork or socketpair failed: retried */
		emperor_request_spawn(v);
}

/* Picks the next vassal to spawn: the oldest request the blacklist lets
 * through, when the global throttle allows; else arms a timer. */
static void
schedule(void)
{
	if (emperor.ragnarok)
		return;
	for (;;) {
		long long now = clock_ms(), earliest = LLONG_MAX;
		struct vassal *best = NULL;
		bool warm_left = false;
		for (size_t i = 0; i < emperor.vt.n; i++) {
			struct vassal *v = emperor.vt.v[i];
			if (v->state != V_PENDING)
				continue;
			warm_left |= v->seq <= emperor.warm_seq;
			long long at = v->not_before_ms;
			if (!emperor.cfg->emperor_no_blacklist) {
				long long w = blacklist_wait(&emperor.bl, v->name, now);
				if (now + w > at)
					at = now + w;
			}
			if (at <= now) {
				if (!best || v->seq < best->seq)
					best = v;
			} else if (at < earliest) {
				earliest = at;
			}
		}
		if (emperor.thr.warming && emperor.initial_done && !warm_left && emperor.npg_waiting == 0)
			throttle_warm(&emperor.thr);
		if (!best) {
			if (earliest != LLONG_MAX)
				emperor_arm_sched(earliest);
			return;
		}
		long long next = throttle_next(&emperor.thr);
		if (next > now) {
			emperor_arm_sched(next);
			return;
		}
		spawn(best);
	}
}

/* ---- deaths ------------------------------------------------------------------------- */

static void
blacklist_failure(const struct vassal *v)
{
	if (v->loyal || emperor.cfg->emperor_no_blacklist || emperor.ragnarok)
		return;
	switch (blacklist_add(&emperor.bl, v->name, clock_ms(), now_unix(), emperor.thr.base_ms, emperor.thr.max_ms)) {
	case BL_THROTTLING:
		emperor_log("[emperor] unloyal bad behaving vassal found: %s throttling it...", v->name);
		break;
	case BL_MAX_REACHED:
		emperor_log("[emperor] maximum throttle level for vassal %s reached !!!", v->name);
		break;
	default:
		break;
	}
}

static void
vassal_died(struct vassal *v, int st)
{
	char how[64];
	pid_t pid = v->pid;
	describe_status(st, how, sizeof(how));
	cancel_curse(v);
	emperor_close_pipe(v);
	v->pid = 0;
	v->ready = v->accepting = false;
	blacklist_failure(v);
	if (emperor.ragnarok) {
		emperor_log("[emperor] removed uwsgi instance %s (pid: %d %s)", v->name, (int)pid, how);
		emperor_forget(v);
		return;
	}
	switch (v->state) {
	case V_STOPPING:
		emperor_log("[emperor] removed uwsgi instance %s (pid: %d %s)", v->name, (int)pid, how);
		if (v->after == AFTER_FORGET)
			emperor_forget(v);
		else if (v->after == AFTER_ONDEMAND && ondemand_arm(v) == 0)
			break;
		else if (v->after == AFTER_RESPAWN || v->after == AFTER_ONDEMAND)
			emperor_request_spawn(v);
		else
			v->state = V_IDLE;
		break;
	case V_RUNNING:
		if (WIFEXITED(st) && WEXITSTATUS(st) == VASSAL_EXILE_CODE) {
			emperor_log("[emperor] vassal %s (pid: %d) is exiled (status %d): not respawned until its file changes",
			            v->name, (int)pid, VASSAL_EXILE_CODE);
			v->state = V_IDLE;
		} else {
			emperor_log("[emperor] vassal %s (pid: %d) %s, respawning", v->name, (int)pid, how);
			emperor_request_spawn(v);
		}
		break;
	default:
		break;
	}
}

void
emperor_reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct vassal *v = vt_by_pid(&emperor.vt, pid);
		if (v)
			vassal_died(v, st);
	}
}
