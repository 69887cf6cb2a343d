/* SPDX-License-Identifier: MIT */
/*
 * The Emperor: one event loop watching the monitors (change notification,
 * a periodic rescan), the vassals' sockets, a self-pipe for signals, the
 * stats socket and a few timers. Nothing here sleeps: throttled spawns
 * wait on a timer (throttle.h), so an Emperor busy throttling a crash loop
 * still reloads, stops and reports everything else at once. This file
 * starts it, handles its signals and ends it; emperor_internal.h says
 * where the rest lives.
 */
#include "emperor/emperor.h"
#include "emperor/emperor_internal.h"
#include "emperor/emperor_os.h"
#include "emperor/monitor_pg.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/proc.h"
#include "base/signal_pipe.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "server/notify.h"
#include "server/privileges.h"
#include "server/vassal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct emperor emperor;

/* uWSGI's log_verbose: the date first (with milliseconds, for throttling). */
void
emperor_log(const char *fmt, ...)
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

/* ---- signals and the end ------------------------------------------------------------------ */

static void
on_mercy(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	for (size_t i = 0; i < emperor.vt.n; i++) {
		struct vassal *v = emperor.vt.v[i];
		if (v->pid > 0) {
			emperor_log("[emperor] NO MERCY for vassal %s !!!", v->name);
			kill(v->pid, SIGKILL);
		}
	}
}

static void
ragnarok(void)
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
			emperor_forget(v);
			continue;
		}
		emperor_stop(v, AFTER_FORGET);
		v->after = AFTER_FORGET;
		i++;
	}
	event_timer_add(emperor.loop, emperor.mercy_s * 1000, on_mercy, NULL);
}

static void
reload_all(void)
{
	for (size_t i = 0; i < emperor.vt.n; i++)
		emperor_reload(emperor.vt.v[i]);
}

/* The signals the loop handles (handle_signal); SIGPIPE is ignored. */
static const int emperor_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGURG, SIGWINCH };
#define NSIGNALS (sizeof(emperor_signals) / sizeof(emperor_signals[0]))

static void
handle_signal(int sig)
{
	switch (sig) {
	case SIGCHLD: emperor_reap(); break;
	case SIGTERM:
	case SIGINT:
	case SIGQUIT: ragnarok(); break;
	case SIGHUP: reload_all(); break;
	case SIGUSR1: emperor_log_table(); break;
	case SIGURG:
		log_msg("[emperor] cleaning up blacklist ...");
		blacklist_clear(&emperor.bl);
		emperor_arm_sched(clock_ms());
		break;
	case SIGWINCH: emperor_scan_all(); break;
	}
}

static int
setup_signals(void)
{
	emperor.sigpipe = signal_pipe_open(emperor_signals, NSIGNALS, true, NULL, NULL);
	if (emperor.sigpipe < 0) {
		log_errno("pipe");
		return -1;
	}
	return event_add_signal_pipe(emperor.loop, emperor.sigpipe, handle_signal);
}

/* A sub-Emperor obeys its own Emperor. */
static void
on_emperor_cmd(enum vassal_cmd cmd)
{
	if (cmd == VASSAL_CMD_RELOAD)
		reload_all();
	else
		ragnarok();
}

/* ---- start ------------------------------------------------------------------------------- */

static int
setup_logging(void)
{
	const struct config *cfg = emperor.cfg;
	if (cfg->daemonize) {
		if (daemon_fork() < 0)
			return -1;
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
	int fd = log_file_open(file, "logto");
	if (fd < 0)
		return -1;
	if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		log_errno("logto %s", file);
		return -1;
	}
	close(fd);
	log_set_file(2);
	return 0;
}

static int
check_config(void)
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
	if (cfg->http_socket.n || cfg->uwsgi_socket.n || cfg->uwsgi_socket_forced.n || cfg->wsgi_file || cfg->module)
		log_msg("emperor: sockets and apps of this config are ignored (an Emperor serves nothing itself)");
	return hooks_check(cfg);
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
loop_size(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_LOOP_FDS)
		return MAX_LOOP_FDS;
	return rl.rlim_cur < 1024 ? 1024 : (int)rl.rlim_cur;
}

static int
setup(void)
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
	emperor.heartbeat_s = (long long)(cfg->emperor_required_heartbeat ? cfg->emperor_required_heartbeat
	                                                                  : DEFAULT_HEARTBEAT_S);
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
	if (setup_signals() < 0 || emperor_stats_setup() < 0)
		return -1;
	emperor.notify = notify_open();
	if (emperor.notify && event_add(emperor.loop, notify_fd(emperor.notify), EV_READ, emperor_on_notify, NULL) < 0) {
		notify_close(emperor.notify);
		emperor.notify = NULL;
	}
	if (!emperor.notify)
		log_msg("[emperor] no change notification here: rescanning every %lld s", emperor.freq_ms / 1000);
	for (size_t i = 0; i < emperor.nmon; i++)
		if (emperor.mon[i].pg)
			pg_monitor_start(emperor.mon[i].pg, emperor.loop, emperor_on_pg_scan, (void *)(uintptr_t)i);
	if (vassal_active()) {
		if (vassal_attach(emperor.loop, cfg, on_emperor_cmd) < 0)
			return -1;
		log_msg("announcing my loyalty to the Emperor...");
		vassal_notify(VASSAL_MSG_READY);
		vassal_notify(VASSAL_MSG_LOYAL);
	}
	return 0;
}

static void
teardown(void)
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

int
emperor_run(const struct config *cfg, char **argv)
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
	if (setup() < 0 || pidfile_write(cfg->emperor_pidfile, "emperor-pidfile") < 0 ||
	    hooks_run(cfg, PH_EMPEROR_START) < 0) {
		teardown();
		return 1;
	}
	/* the first scan "warms up": its vassals are spawned 10 ms apart */
	emperor_scan_all();
	emperor.warm_seq = emperor.seq;
	emperor.initial_done = true;
	notify_send("READY=1\nSTATUS=%zu vassals", emperor.vt.n);
	emperor_arm_sched(clock_ms());
	event_timer_add(emperor.loop, emperor.freq_ms, emperor_on_tick, NULL);
	while (!emperor.ragnarok || emperor.vt.n > 0) {
		if (event_loop_run_once(emperor.loop, -1) < 0 && errno != EINTR) {
			log_errno("[emperor] event loop");
			break;
		}
	}
	if (cfg->emperor_pidfile && cfg->vacuum)
		unlink(cfg->emperor_pidfile);
	teardown();
	emperor_log("The Emperor is buried.");
	return 0;
}
