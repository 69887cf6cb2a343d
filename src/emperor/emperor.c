/*
 * The Emperor: one event loop watching the monitors (change notification,
 * a periodic rescan), the vassals' sockets, a self-pipe for signals, the
 * stats socket and a few timers. Nothing here sleeps: throttled spawns
 * wait on a timer (throttle.h), so an Emperor busy throttling a crash loop
 * still reloads, stops and reports everything else at once.
 */
#include "emperor/emperor.h"
#include "emperor/emperor_os.h"
#include "emperor/monitor.h"
#include "emperor/monitor_pg.h"
#include "emperor/throttle.h"
#include "server/vassal.h"
#include "emperor/vassal_exec.h"
#include "emperor/vassal_table.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/signal_pipe.h"
#include "server/notify.h"
#include "base/platform.h"
#include "server/privileges.h"
#include "server/stats.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "net/event.h"
#include "net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_FREQ_S 3
#define DEFAULT_THROTTLE_MS 1000
#define DEFAULT_MAX_THROTTLE_MS 180000
#define DEFAULT_CURSE_S 30
#define DEFAULT_HEARTBEAT_S 30
#define DEFAULT_MERCY_S 30
#define DEBOUNCE_MS 20          /* coalesces a burst of change events into one rescan */
#define RETRY_MS 1000           /* after a failed fork/socketpair */
#define MAX_LOOP_FDS 65536

static struct emperor {
	const struct config *cfg;
	char binary[PATH_MAX];
	char cwd[PATH_MAX];
	struct monitor *mon;
	size_t nmon;
	bool *dirty;
	bool *scan_failed;
	bool *pg_waiting;           /* a pg monitor's first scan (or failure) is still to come */
	size_t npg_waiting;
	struct monitor_opts mopts;
	struct notify *notify;
	struct event_loop *loop;
	struct vassal_table vt;
	struct throttle thr;
	struct blacklist bl;
	unsigned long long seq, warm_seq;
	bool initial_done;
	unsigned gen;
	long long sched_timer, sched_at;
	long long debounce_timer;
	int sigpipe;                /* read end of the signal pipe; -1 */
	int stats_fd;
	bool ragnarok;
	long long ragnarok_at;
	long long mercy_s, curse_ms, freq_ms, heartbeat_s;
} emperor;

static int64_t now_unix(void) { return (int64_t)time(NULL); }

/* uWSGI's log_verbose: the date first (with milliseconds, for throttling). */
static void __attribute__((format(printf, 1, 2))) vlog(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char stamp[64], year[8], msg[3072];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S", &tm);
	strftime(year, sizeof(year), "%Y", &tm);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg("%s.%03ld %s - %s", stamp, ts.tv_nsec / 1000000, year, msg);
}

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

static void describe_status(int st, char *buf, size_t len)
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

static void on_sched(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	emperor.sched_timer = 0;
	schedule();
}

/* The scheduler runs at `at` (monotonic ms) at the latest. */
static void arm_sched(long long at)
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
	emperor.sched_timer = event_timer_add(emperor.loop, delay > 0 ? delay : 0, on_sched, NULL);
}

static void request_spawn(struct vassal *v)
{
	v->state = V_PENDING;
	v->seq = ++emperor.seq;
	if (!emperor.cfg->emperor_no_blacklist) {
		long long wait = blacklist_wait(&emperor.bl, v->name, clock_ms());
		if (wait > 0)
			vlog("[emperor] vassal %s is throttled: next spawn in %lld ms", v->name, wait);
	}
	arm_sched(clock_ms());
}

static void stop_watching_file(struct vassal *v)
{
	if (emperor.notify && v->file_wd >= 0)
		notify_unwatch(emperor.notify, v->file_wd);
	v->file_wd = -1;
}

static void watch_file(struct vassal *v)
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

static void close_pipe(struct vassal *v)
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

static void cancel_curse(struct vassal *v)
{
	if (v->curse_timer > 0)
		event_timer_del(emperor.loop, v->curse_timer);
	v->curse_timer = 0;
}

/* Drops the record (no process left). */
static void forget(struct vassal *v)
{
	cancel_curse(v);
	close_pipe(v);
	stop_watching_file(v);
	vt_remove(&emperor.vt, v);
}

/* ---- spawning ----------------------------------------------------------------------- */

static void on_vassal_msg(struct event_loop *loop, int fd, void *data, int mask);

/* as-emperor: the Emperor's own hooks, told about the new vassal. */
static void run_as_emperor(const struct vassal *v)
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

static void spawn(struct vassal *v)
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
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		vassal_exec(cfg, v, sp[1], cp[1], argv, dir, &old);
	int err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
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
	if (event_add(emperor.loop, v->fd, EV_READ, on_vassal_msg, v) < 0) {
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
	vlog("[emperor] spawned vassal %s (pid: %d)", v->name, (int)pid);
	watch_file(v);
	run_as_emperor(v);
}

/* Picks the next vassal to spawn: the oldest request the blacklist lets
 * through, when the global throttle allows; else arms a timer. */
static void schedule(void)
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
				arm_sched(earliest);
			return;
		}
		long long next = throttle_next(&emperor.thr);
		if (next > now) {
			arm_sched(next);
			return;
		}
		spawn(best);
	}
}

/* ---- talking to vassals ------------------------------------------------------------- */

static void on_curse(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct vassal *v = data;
	v->curse_timer = 0;
	if (v->pid <= 0)
		return;
	vlog("[emperor] curse the uwsgi instance %s (pid: %d): no sign of life within %lld s, SIGKILL", v->name,
	     (int)v->pid, emperor.curse_ms / 1000);
	kill(v->pid, SIGKILL);
}

static void arm_curse(struct vassal *v)
{
	if (v->curse_timer > 0)
		return;
	v->curse_timer = event_timer_add(emperor.loop, emperor.curse_ms, on_curse, v);
}

static bool send_byte(struct vassal *v, unsigned char b)
{
	if (v->fd < 0)
		return false;
	ssize_t n;
	do
		n = send(v->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

static void emperor_stop(struct vassal *v, enum vassal_after_stop after)
{
	switch (v->state) {
	case V_STOPPING:
		v->after = after;
		return;
	case V_PENDING:
	case V_IDLE:
		if (after == AFTER_FORGET)
			forget(v);
		else if (after == AFTER_IDLE)
			v->state = V_IDLE;
		return;
	case V_RUNNING:
		break;
	}
	v->state = V_STOPPING;
	v->after = after;
	v->cursed_at = now_unix();
	unsigned char msg = emperor.cfg->emperor_graceful_shutdown ? EMPEROR_MSG_GRACEFUL_STOP : EMPEROR_MSG_STOP;
	if (!send_byte(v, msg) && v->pid > 0)
		kill(v->pid, SIGTERM);      /* no pipe: the master stops on SIGTERM too */
	vlog("[emperor] stop the uwsgi instance %s", v->name);
	arm_curse(v);
}

static void emperor_reload(struct vassal *v)
{
	if (v->state != V_RUNNING)
		return;
	if (!send_byte(v, EMPEROR_MSG_RELOAD)) {
		vlog("[emperor] cannot tell vassal %s to reload: stopping it", v->name);
		emperor_stop(v, AFTER_RESPAWN);
		return;
	}
	v->respawns++;
	v->last_run = now_unix();
	v->ready = v->accepting = false;
	vlog("[emperor] reload the uwsgi instance %s", v->name);
}

/* Answers "push my config" (byte 2) on the config socket: one uwsgi
 * packet, modifier1 115, the row's text as body (at most 64 KiB - 1). */
static void push_config(struct vassal *v)
{
	size_t len = strlen(v->config);
	unsigned char hdr[4] = { 115, (unsigned char)(len & 0xff), (unsigned char)(len >> 8), 0 };
	struct iovec iov[2] = { { hdr, 4 }, { v->config, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = v->cfg_fd >= 0 && len <= PG_CONFIG_MAX ? sendmsg(v->cfg_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) : -1;
	if (n != (ssize_t)(len + 4))
		vlog("[emperor] cannot push the config of vassal %s", v->name);
}

static void vassal_message(struct vassal *v, unsigned char b)
{
	int64_t now = now_unix();
	switch (b) {
	case VASSAL_MSG_READY:
		v->ready = true;
		v->last_ready = now;
		vlog("[emperor] vassal %s has been spawned", v->name);
		break;
	case VASSAL_MSG_ACCEPTING:
		v->accepting = true;
		v->last_accepting = now;
		vlog("[emperor] vassal %s is ready to accept requests", v->name);
		break;
	case VASSAL_MSG_LOYAL:
		v->loyal = true;
		v->last_loyal = now;
		vlog("[emperor] vassal %s is now loyal", v->name);
		if (blacklist_remove(&emperor.bl, v->name))
			vlog("[emperor] vassal %s removed from the blacklist", v->name);
		break;
	case VASSAL_MSG_HEARTBEAT:
		v->last_heartbeat = now;
		break;
	case VASSAL_MSG_VOLUNTARY_STOP:
		vlog("[emperor] vassal %s asked to be stopped", v->name);
		emperor_stop(v, AFTER_IDLE);
		break;
	case VASSAL_MSG_CONFIG:
		if (v->config)
			push_config(v);
		else      /* a file vassal reads its file */
			vlog("[emperor] vassal %s asked for its config, which only pg:// vassals get", v->name);
		break;
	case VASSAL_MSG_SOS:
		vlog("[emperor] vassal %s sent message %d, which this Emperor does not support", v->name, b);
		break;
	default:
		vlog("[emperor] unknown message %d from vassal %s", b, v->name);
		break;
	}
}

static void on_vassal_msg(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)mask;
	struct vassal *v = data;
	unsigned char buf[64];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* the vassal closed its end: it is going; if it lingers, it
			 * has no way to hear us any more */
			close_pipe(v);
			if (v->pid > 0)
				arm_curse(v);
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			vassal_message(v, buf[i]);
	}
}

/* ---- deaths ------------------------------------------------------------------------- */

static void blacklist_failure(const struct vassal *v)
{
	if (v->loyal || emperor.cfg->emperor_no_blacklist || emperor.ragnarok)
		return;
	switch (blacklist_add(&emperor.bl, v->name, clock_ms(), now_unix(), emperor.thr.base_ms, emperor.thr.max_ms)) {
	case BL_THROTTLING:
		vlog("[emperor] unloyal bad behaving vassal found: %s throttling it...", v->name);
		break;
	case BL_MAX_REACHED:
		vlog("[emperor] maximum throttle level for vassal %s reached !!!", v->name);
		break;
	default:
		break;
	}
}

static void vassal_died(struct vassal *v, int st)
{
	char how[64];
	pid_t pid = v->pid;
	describe_status(st, how, sizeof(how));
	cancel_curse(v);
	close_pipe(v);
	v->pid = 0;
	v->ready = v->accepting = false;
	blacklist_failure(v);
	if (emperor.ragnarok) {
		vlog("[emperor] removed uwsgi instance %s (pid: %d %s)", v->name, (int)pid, how);
		forget(v);
		return;
	}
	switch (v->state) {
	case V_STOPPING:
		vlog("[emperor] removed uwsgi instance %s (pid: %d %s)", v->name, (int)pid, how);
		if (v->after == AFTER_FORGET)
			forget(v);
		else if (v->after == AFTER_RESPAWN)
			request_spawn(v);
		else
			v->state = V_IDLE;
		break;
	case V_RUNNING:
		if (WIFEXITED(st) && WEXITSTATUS(st) == VASSAL_EXILE_CODE) {
			vlog("[emperor] vassal %s (pid: %d) is exiled (status %d): not respawned until its file changes",
			     v->name, (int)pid, VASSAL_EXILE_CODE);
			v->state = V_IDLE;
		} else {
			vlog("[emperor] vassal %s (pid: %d) %s, respawning", v->name, (int)pid, how);
			request_spawn(v);
		}
		break;
	default:
		break;
	}
}

static void reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct vassal *v = vt_by_pid(&emperor.vt, pid);
		if (v)
			vassal_died(v, st);
	}
}

/* ---- scanning ------------------------------------------------------------------------- */

static bool ts_changed(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec || a.tv_nsec != b.tv_nsec;
}

static void file_seen(size_t mi, const struct scan_entry *e, unsigned gen)
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
		request_spawn(v);
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
		watch_file(v);
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
			arm_sched(clock_ms());
		}
		break;
	case V_IDLE:
		if (changed || owner_changed) {
			blacklist_remove(&emperor.bl, v->name);
			request_spawn(v);
		}
		break;
	}
}

static void apply_scan(size_t mi, const struct scan_result *r);

static void scan_monitor(size_t mi)
{
	struct monitor *m = &emperor.mon[mi];
	struct scan_result r;
	if (m->kind == MON_PG) {
		pg_monitor_rescan(m->pg);   /* the rows arrive in on_pg_scan */
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
static void apply_scan(size_t mi, const struct scan_result *r)
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
		if (v->state == V_PENDING || v->state == V_IDLE) {
			forget(v);
			continue;
		}
		emperor_stop(v, AFTER_FORGET);
		i++;
	}
}

/* A pg monitor's rows, or NULL: the database is unreachable. Its first
 * rows belong to the warm-up, as a directory's first scan does. */
static void on_pg_scan(void *ctx, struct scan_result *r)
{
	size_t mi = (size_t)(uintptr_t)ctx;
	if (r)
		apply_scan(mi, r);
	if (emperor.pg_waiting[mi]) {
		emperor.pg_waiting[mi] = false;
		emperor.npg_waiting--;
		emperor.warm_seq = emperor.seq;
		arm_sched(clock_ms());
	}
}

static void watch_monitors(void)
{
	if (!emperor.notify)
		return;
	for (size_t i = 0; i < emperor.nmon; i++) {
		struct monitor *m = &emperor.mon[i];
		if (m->watch_dir && m->wd < 0)
			m->wd = notify_watch_dir(emperor.notify, m->watch_dir);
	}
}

static void scan_all(void)
{
	if (emperor.ragnarok)
		return;
	watch_monitors();
	for (size_t i = 0; i < emperor.nmon; i++)
		scan_monitor(i);
}

static void on_debounce(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	emperor.debounce_timer = 0;
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

static void on_watch_event(int wd, const char *name, void *data)
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
		emperor.debounce_timer = event_timer_add(emperor.loop, DEBOUNCE_MS, on_debounce, NULL);
}

static void on_notify(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	(void)data;
	(void)mask;
	notify_drain(emperor.notify, on_watch_event, NULL);
}

static void check_heartbeats(void)
{
	int64_t now = now_unix();
	for (size_t i = 0; i < emperor.vt.n; i++) {
		struct vassal *v = emperor.vt.v[i];
		if (v->state != V_RUNNING || v->last_heartbeat <= 0 || v->pid <= 0)
			continue;
		if (now - v->last_heartbeat > emperor.heartbeat_s) {
			vlog("[emperor] vassal %s sent no heartbeat in last %lld seconds, brutally respawning it...", v->name,
			     emperor.heartbeat_s);
			v->last_heartbeat = 0;
			kill(v->pid, SIGKILL);
		}
	}
}

static void on_tick(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	if (emperor.ragnarok)
		return;
	scan_all();
	check_heartbeats();
	event_timer_add(loop, emperor.freq_ms, on_tick, NULL);
}

/* ---- stats ------------------------------------------------------------------------------ */

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

static int setup_stats(void)
{
	emperor.stats_fd = -1;
	if (!emperor.cfg->emperor_stats)
		return 0;
	emperor.stats_fd = stats_serve(emperor.loop, "emperor-stats", emperor.cfg->emperor_stats, emperor.cfg->chmod_socket,
	                         "Emperor stats server", on_stats_client);
	return emperor.stats_fd < 0 ? -1 : 0;
}

/* ---- signals and the end ------------------------------------------------------------------ */

static void on_mercy(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	for (size_t i = 0; i < emperor.vt.n; i++) {
		struct vassal *v = emperor.vt.v[i];
		if (v->pid > 0) {
			vlog("[emperor] NO MERCY for vassal %s !!!", v->name);
			kill(v->pid, SIGKILL);
		}
	}
}

static void ragnarok(void)
{
	if (emperor.ragnarok) {
		long long left = emperor.mercy_s - (clock_ms() - emperor.ragnarok_at) / 1000;
		log_msg("[emperor] *** RAGNAROK ALREADY EVOKED (mercyless in %lld seconds)***", left > 0 ? left : 0);
		return;
	}
	log_msg("[emperor] *** RAGNAROK EVOKED ***");
	notify_send("STOPPING=1");
	emperor.ragnarok = true;
	emperor.ragnarok_at = clock_ms();
	if (emperor.sched_timer > 0)
		event_timer_del(emperor.loop, emperor.sched_timer);
	emperor.sched_timer = 0;
	for (size_t i = 0; i < emperor.vt.n;) {
		struct vassal *v = emperor.vt.v[i];
		if (v->pid <= 0) {
			forget(v);
			continue;
		}
		emperor_stop(v, AFTER_FORGET);
		v->after = AFTER_FORGET;
		i++;
	}
	event_timer_add(emperor.loop, emperor.mercy_s * 1000, on_mercy, NULL);
}

static void reload_all(void)
{
	for (size_t i = 0; i < emperor.vt.n; i++)
		emperor_reload(emperor.vt.v[i]);
}

static void log_table(void)
{
	log_msg("[emperor] %zu vassals, throttle level %lld ms, %zu blacklisted", emperor.vt.n, emperor.thr.level_ms, emperor.bl.n);
	for (size_t i = 0; i < emperor.vt.n; i++) {
		const struct vassal *v = emperor.vt.v[i];
		log_msg("vassal instance %s (last modified %lld) status %s loyal %d zerg 0 pid %d respawns %u", v->name,
		        (long long)v->last_mod, state_name(v->state), v->loyal, (int)v->pid, v->respawns);
	}
}

/* The signals the loop handles (on_sigpipe); SIGPIPE is ignored. */
static const int emperor_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGURG, SIGWINCH };
#define NSIGNALS (sizeof(emperor_signals) / sizeof(emperor_signals[0]))

static void on_sigpipe(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	int sigs[64];
	size_t n = signal_pipe_read(fd, sigs, 64);
	for (size_t i = 0; i < n; i++) {
		switch (sigs[i]) {
		case SIGCHLD: reap(); break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT: ragnarok(); break;
		case SIGHUP: reload_all(); break;
		case SIGUSR1: log_table(); break;
		case SIGURG:
			log_msg("[emperor] cleaning up blacklist ...");
			blacklist_clear(&emperor.bl);
			arm_sched(clock_ms());
			break;
		case SIGWINCH: scan_all(); break;
		}
	}
}

static int setup_signals(void)
{
	emperor.sigpipe = signal_pipe_open(emperor_signals, NSIGNALS, true, NULL, NULL);
	if (emperor.sigpipe < 0) {
		log_errno("pipe");
		return -1;
	}
	return event_add(emperor.loop, emperor.sigpipe, EV_READ, on_sigpipe, NULL);
}

/* A sub-Emperor obeys its own Emperor. */
static void on_emperor_cmd(enum vassal_cmd cmd)
{
	if (cmd == VASSAL_CMD_RELOAD)
		reload_all();
	else
		ragnarok();
}

/* ---- start ------------------------------------------------------------------------------- */

static int setup_logging(void)
{
	const struct config *cfg = emperor.cfg;
	if (cfg->daemonize) {
		pid_t pid = fork();
		if (pid < 0) {
			log_errno("fork (daemonize)");
			return -1;
		}
		if (pid > 0)
			_exit(0);
		setsid();
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			close(null);
		}
	}
	const char *file = cfg->logto ? cfg->logto : cfg->daemonize;
	if (!file)
		return 0;
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		log_errno("logto %s", file);
		return -1;
	}
	close(fd);
	log_set_file(2);
	return 0;
}

static int write_pidfile(const char *path)
{
	char num[32];
	int len = snprintf(num, sizeof(num), "%d\n", (int)getpid());
	if (write_file_atomic(path, num, (size_t)len, 0644) < 0) {
		log_errno("emperor-pidfile %s", path);
		return -1;
	}
	return 0;
}

static int check_config(void)
{
	const struct config *cfg = emperor.cfg;
	if (cfg->jail || cfg->jail2.n || cfg->jail_ip4.n || cfg->jail_ip6.n || cfg->jail_attach) {
		log_msg("the Emperor itself is never jailed: give the jail options to its vassals");
		return -1;
	}
	if (cfg->emperor_tyrant && geteuid() != 0) {
		log_msg("emperor-tyrant needs root");
		return -1;
	}
	if (cfg->emperor_tyrant && (cfg->uid || cfg->gid)) {
		log_msg("emperor-tyrant needs the Emperor to stay root (no uid/gid)");
		return -1;
	}
	if (cfg->http_socket.n || cfg->uwsgi_socket.n || cfg->wsgi_file || cfg->module)
		log_msg("emperor: sockets and apps of this config are ignored (an Emperor serves nothing itself)");
	return hooks_check(cfg);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int loop_size(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_LOOP_FDS)
		return MAX_LOOP_FDS;
	return rl.rlim_cur < 1024 ? 1024 : (int)rl.rlim_cur;
}

static int setup(void)
{
	const struct config *cfg = emperor.cfg;
	if (cfg->binary_path)
		snprintf(emperor.binary, sizeof(emperor.binary), "%s", cfg->binary_path);
	else if (platform_binary_path(emperor.binary, sizeof(emperor.binary)) < 0) {
		log_errno("cannot find my own binary (set binary-path)");
		return -1;
	}
	if (!getcwd(emperor.cwd, sizeof(emperor.cwd))) {
		log_errno("getcwd");
		return -1;
	}
	emperor.mon = xcalloc(cfg->emperor.n, sizeof(*emperor.mon));
	emperor.dirty = xcalloc(cfg->emperor.n, sizeof(bool));
	emperor.scan_failed = xcalloc(cfg->emperor.n, sizeof(bool));
	emperor.pg_waiting = xcalloc(cfg->emperor.n, sizeof(bool));
	for (size_t i = 0; i < cfg->emperor.n; i++) {
		char err[512];
		if (monitor_init(&emperor.mon[i], cfg->emperor.v[i], err, sizeof(err)) < 0) {
			config_error(cfg->emperor.origin[i], "emperor: %s", err);
			return -1;
		}
		emperor.nmon++;
	}
	struct pg_opts pgo = { cfg->emperor_pg_node, cfg->emperor_pg_channel, cfg->emperor_tyrant };
	for (size_t i = 0; i < emperor.nmon; i++) {
		char err[512];
		if (emperor.mon[i].kind != MON_PG)
			continue;
		if (!(emperor.mon[i].pg = pg_monitor_new(emperor.mon[i].path, &pgo, err, sizeof(err)))) {
			config_error(cfg->emperor.origin[i], "emperor: %s", err);
			return -1;
		}
		emperor.pg_waiting[i] = true;
		emperor.npg_waiting++;
	}
	emperor.mopts = (struct monitor_opts){ cfg->emperor_extra_extension.v, cfg->emperor_extra_extension.n,
		cfg->emperor_nofollow, cfg->emperor_tyrant_nofollow };
	emperor.freq_ms = (long long)(cfg->emperor_freq ? cfg->emperor_freq : DEFAULT_FREQ_S) * 1000;
	emperor.curse_ms = (long long)(cfg->emperor_curse_tolerance ? cfg->emperor_curse_tolerance : DEFAULT_CURSE_S) * 1000;
	emperor.heartbeat_s = (long long)(cfg->emperor_required_heartbeat ? cfg->emperor_required_heartbeat : DEFAULT_HEARTBEAT_S);
	emperor.mercy_s = (long long)(cfg->reload_mercy ? cfg->reload_mercy : DEFAULT_MERCY_S);
	throttle_init(&emperor.thr, (long long)(cfg->emperor_throttle ? cfg->emperor_throttle : DEFAULT_THROTTLE_MS),
	              (long long)(cfg->emperor_max_throttle ? cfg->emperor_max_throttle : DEFAULT_MAX_THROTTLE_MS));
	vt_init(&emperor.vt);
	raise_fd_limit();
	emperor.loop = event_loop_new(loop_size());
	if (!emperor.loop) {
		log_errno("event loop");
		return -1;
	}
	if (setup_signals() < 0 || setup_stats() < 0)
		return -1;
	emperor.notify = notify_open();
	if (emperor.notify && event_add(emperor.loop, notify_fd(emperor.notify), EV_READ, on_notify, NULL) < 0) {
		notify_close(emperor.notify);
		emperor.notify = NULL;
	}
	if (!emperor.notify)
		log_msg("[emperor] no change notification here: rescanning every %lld s", emperor.freq_ms / 1000);
	for (size_t i = 0; i < emperor.nmon; i++)
		if (emperor.mon[i].pg)
			pg_monitor_start(emperor.mon[i].pg, emperor.loop, on_pg_scan, (void *)(uintptr_t)i);
	if (vassal_active()) {
		if (vassal_attach(emperor.loop, cfg, on_emperor_cmd) < 0)
			return -1;
		log_msg("announcing my loyalty to the Emperor...");
		vassal_notify(VASSAL_MSG_READY);
		vassal_notify(VASSAL_MSG_LOYAL);
	}
	return 0;
}

static void teardown(void)
{
	vt_free(&emperor.vt);
	blacklist_clear(&emperor.bl);
	for (size_t i = 0; i < emperor.nmon; i++)
		monitor_free(&emperor.mon[i]);
	free(emperor.mon);
	free(emperor.dirty);
	free(emperor.scan_failed);
	free(emperor.pg_waiting);
	notify_close(emperor.notify);
	if (emperor.stats_fd >= 0)
		close(emperor.stats_fd);
	if (emperor.loop)
		event_loop_free(emperor.loop);
	if (emperor.sigpipe >= 0)
		signal_pipe_close(emperor_signals, NSIGNALS, NULL);
}

int emperor_run(const struct config *cfg, char **argv)
{
	(void)argv;
	memset(&emperor, 0, sizeof(emperor));
	emperor.cfg = cfg;
	emperor.stats_fd = emperor.sigpipe = -1;
	if (check_config() < 0 || setup_logging() < 0)
		return 1;
	log_msg("*** starting stockade Emperor ***");
	notify_init();
	if (!cfg->emperor_tyrant && (cfg->uid || cfg->gid) && privileges_drop(cfg) < 0)
		return 1;
	if (setup() < 0 || (cfg->emperor_pidfile && write_pidfile(cfg->emperor_pidfile) < 0) ||
	    hooks_run(cfg, PH_EMPEROR_START) < 0) {
		teardown();
		return 1;
	}
	/* the first scan "warms up": its vassals are spawned 10 ms apart */
	scan_all();
	emperor.warm_seq = emperor.seq;
	emperor.initial_done = true;
	notify_send("READY=1\nSTATUS=%zu vassals", emperor.vt.n);
	arm_sched(clock_ms());
	event_timer_add(emperor.loop, emperor.freq_ms, on_tick, NULL);
	while (!emperor.ragnarok || emperor.vt.n > 0) {
		if (event_loop_run_once(emperor.loop, -1) < 0 && errno != EINTR) {
			log_errno("[emperor] event loop");
			break;
		}
	}
	if (cfg->emperor_pidfile && cfg->vacuum)
		unlink(cfg->emperor_pidfile);
	teardown();
	vlog("The Emperor is buried.");
	return 0;
}
