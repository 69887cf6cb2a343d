/* SPDX-License-Identifier: MIT */
/*
 * The master's loop: signals through a self-pipe, graceful and brutal
 * shutdown and reload (by re-exec with the listening sockets kept open),
 * the periodic checks (harakiri, reload-on-rss, touch files), the master
 * fifo, the stats server and the Emperor's commands.
 */
#include "server/server_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/signal_pipe.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "net/event.h"
#include "net/socket.h"
#include "pty/router.h"
#include "server/daemons.h"
#include "server/chain_reload.h"
#include "server/http_router.h"
#include "server/subscribe.h"
#include "server/logformat.h"
#include "server/logmaster.h"
#include "server/notify.h"
#include "server/process_options.h"
#include "server/stats.h"
#include "server/vassal.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t early_stop;

static void
on_mercy_timeout(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	log_msg("workers did not stop within %llu s: NO MERCY", master.cfg->worker_reload_mercy);
	signal_workers(SIGKILL);
	aux_signal_all(true);
}

static void
cancel_respawns(void)
{
	for (size_t i = 0; i < master.nslots; i++)
		if (master.slots[i].respawn_timer > 0) {
			event_timer_del(master.loop, master.slots[i].respawn_timer);
			master.slots[i].respawn_timer = 0;
		}
	aux_cancel_respawns();
}

static void
stop_workers(enum master_state next, bool brutal)
{
	if (master.state != RUNNING)
		return;
	master.state = next;
	master.brutal = brutal;
	cancel_respawns();
	notify_send(next == RELOADING ? "RELOADING=1\nSTATUS=reloading" : "STOPPING=1\nSTATUS=stopping");
	signal_workers(brutal ? SIGKILL : (next == RELOADING ? SIGHUP : SIGTERM));
	aux_signal_all(brutal);
	subscribe_stop(next == RELOADING);
	event_timer_arm(master.loop, (long long)master.cfg->worker_reload_mercy * 1000, on_mercy_timeout, NULL, &master.mercy_timer);
}

static void
begin_shutdown(bool brutal)
{
	if (master.state == RUNNING)
		log_msg(brutal ? "brutally killing workers..." : "SIGINT/SIGTERM received...killing workers...");
	stop_workers(SHUTTING_DOWN, brutal);
}

void
master_shutdown(bool brutal)
{
	begin_shutdown(brutal);
}

static void
begin_reload(bool brutal)
{
	if (master.state != RUNNING)
		return;
	if (master.cfg->lazy && !brutal) {
		log_msg("lazy mode: recycling workers gracefully");
		recycle_workers(SIGHUP);
		return;
	}
	log_msg(brutal ? "...brutally reloading..." : "...gracefully reloading...");
	stop_workers(RELOADING, brutal);
}

/* All workers are gone: re-exec the binary with the original argv, keeping
 * the listening sockets, so that no connection is refused meanwhile. */
static void
do_reload(void)
{
	hooks_run(master.cfg, PH_AS_USER_ATEXIT);
	if (master.cfg->exit_on_reload) {
		log_msg("exit-on-reload: goodbye to stockade.");
		vacuum();
		exit(0);
	}
	size_t n = 0;
	int *fds = xcalloc(master.nshared + master.nls + master.npty + master.nrouter + 1, sizeof(int));
	const char **names = xcalloc(master.nshared + master.nls + master.npty + master.nrouter + 1, sizeof(char *));
	for (size_t i = 0; i < master.nshared; i++) {
		fds[n] = master.shared[i];
		names[n++] = master.cfg->shared_socket.v[i];
	}
	for (size_t i = 0; i < master.nls; i++) {
		if (master.ls[i].name[0] == '=' || master.ls[i].fd == 0)
			continue;   /* a dup of a shared socket; fd 0 stays as it is */
		fds[n] = master.ls[i].fd;
		names[n++] = master.ls[i].name;
	}
	for (size_t i = 0; i < master.npty; i++) {
		fds[n] = master.pty_fds[i];
		names[n++] = pty_router_addr(master.cfg, i, NULL);
	}
	for (size_t i = 0; i < master.nrouter; i++) {
		fds[n] = master.router_fds[i];
		names[n++] = master.cfg->http.v[i];
	}
	char count[32];
	snprintf(count, sizeof(count), "%lu", master.reloads);
	if (sock_export_env(fds, names, n) < 0 || setenv("UWSGI_RELOADS", count, 1) < 0) {
		log_errno("reload: cannot hand the sockets over");
		exit(1);
	}
	log_msg("running %s (reload %lu)", master.binary_path, master.reloads + 1);
	master.argv[0] = master.binary_path;
	vassal_before_exec();
	notify_before_exec();   /* the new image sends READY=1 */
	execv(master.binary_path, master.argv);
	/* the old image keeps nothing useful: stop cleanly so a supervisor restarts us */
	log_errno("execv(%s)", master.binary_path);
	vacuum();
	exit(1);
}

/* ---- periodic checks: harakiri, reload-on-rss, touch-reload ----------------------- */

static void
check_harakiri(long long now)
{
	unsigned long long limit = master.cfg->harakiri * 1000ULL;
	for (size_t i = 0; i < master.nslots && limit; i++) {
		struct worker_score *sc = &master.sb->workers[i];
		/* any thread (core) stuck kills the whole worker, as uWSGI */
		int core = worker_core_stuck(master.sb, (int)i + 1, now, (long long)limit);
		if (master.slots[i].pid <= 0 || core < 0 || master.slots[i].harakiri)
			continue;
		log_msg("HARAKIRI triggered by worker %zu core %d !!!", i + 1, core);
		log_msg("*** HARAKIRI ON WORKER %zu (pid: %d, try: 1, graceful: no) ***", i + 1, (int)master.slots[i].pid);
		if (master.cfg->harakiri_verbose)
			harakiri_verbose(master.slots[i].pid);
		master.slots[i].harakiri = true;
		sc->harakiri_count++;
		kill(master.slots[i].pid, SIGKILL);
	}
}

static void
check_memory(void)
{
	for (size_t i = 0; i < master.nslots; i++) {
		struct worker_score *sc = &master.sb->workers[i];
		if (master.slots[i].pid <= 0)
			continue;
		uint64_t rss, vsz;
		if (stats_proc_mem(master.slots[i].pid, &rss, &vsz) == 0) {
			sc->rss = rss;
			sc->vsz = vsz;
		}
		if (master.cfg->reload_on_rss && sc->rss > master.cfg->reload_on_rss * 1024 * 1024 && !master.slots[i].expected_exit) {
			log_msg("worker %zu (pid: %d) uses %llu MiB (reload-on-rss %llu): recycling", i + 1,
			        (int)master.slots[i].pid, (unsigned long long)(sc->rss >> 20), master.cfg->reload_on_rss);
			master.slots[i].expected_exit = true;
			kill(master.slots[i].pid, SIGHUP);
		}
	}
}

static bool
mtime_changed(size_t i)
{
	return file_touched(master.cfg->touch_reload.v[i], &master.touch_mtime[i]);
}

static void
check_touch_reload(void)
{
	for (size_t i = 0; i < master.cfg->touch_reload.n; i++) {
		if (mtime_changed(i) && master.state == RUNNING) {
			log_msg("*** %s has been touched... grace them all !!! ***", master.cfg->touch_reload.v[i]);
			begin_reload(false);
		}
	}
}

static void
check_touch_logreopen(void)
{
	for (size_t i = 0; i < master.cfg->touch_logreopen.n; i++) {
		if (file_touched(master.cfg->touch_logreopen.v[i], &master.logreopen_mtime[i])) {
			log_msg("*** %s has been touched... reopening the log ***", master.cfg->touch_logreopen.v[i]);
			log_request_reopen();
		}
	}
	log_reopen_pending(true);
}

static void
on_tick(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	check_harakiri(clock_ms());
	check_memory();
	recycle_check();
	cheaper_tick();
	check_touch_reload();
	chain_reload_check_touch();
	check_touch_logreopen();
	vassal_tick(master.cfg, master.sb);
	event_timer_add(loop, TICK_MS, on_tick, NULL);
}

/* ---- stats server ----------------------------------------------------------------- */

static void
send_stats(int fd)
{
	struct stats_socket *ss = xcalloc(master.nls + 1, sizeof(*ss));
	for (size_t i = 0; i < master.nls; i++)
		ss[i] = (struct stats_socket){ master.ls[i].name, master.ls[i].proto == PROTO_HTTP ? "http" : "uwsgi",
		                               master.ls[i].fd, master.ls[i].name[0] == '=' };
	char cwd[PATH_MAX];
	struct stats_input in = { master.sb, ss, master.nls, getpid(), getuid(), getgid(),
		getcwd(cwd, sizeof(cwd)) ? cwd : "", STOCKADE_VERSION, (int64_t)time(NULL), clock_ms(), NULL };
	size_t len;
	const struct jail_backend *jb = master.jail.create ? jail_backend() : NULL;
	char *rctl = jb && jb->rctl_status ? jb->rctl_status(&master.jail) : NULL;	/* issue 23 */
	in.rctl = rctl;
	char *doc = stats_json(&in, master.cfg->stats_minified, &len);
	free(rctl);
	for (size_t i = 0; i < master.nslots; i++)
		master.sb->workers[i].delta_requests = 0;
	if (fd >= 0)
		stats_send(fd, doc, len, master.cfg->stats_http);
	else
		log_write(doc, len);
	free(doc);
	free(ss);
}

static int
setup_stats(void)
{
	master.stats_fd = -1;
	if (!master.cfg->stats)
		return 0;
	master.stats_fd = stats_serve(master.loop, "stats", master.cfg->stats, master.cfg->chmod_socket, "stats server", send_stats);
	return master.stats_fd < 0 ? -1 : 0;
}

/* ---- master fifo ------------------------------------------------------------------- */

static void
fifo_command(char c)
{
	switch (c) {
	case 'r': begin_reload(false); break;
	case 'R': begin_reload(true); break;
	case 'q': begin_shutdown(false); break;
	case 'Q': begin_shutdown(true); break;
	case 'c': chain_reload_start("fifo"); break;
	case 'w': log_msg("fifo: recycling workers gracefully"); recycle_workers(SIGHUP); break;
	case 'W': log_msg("fifo: recycling workers brutally"); recycle_workers(SIGKILL); break;
	case 's': send_stats(-1); break;
	case 'l': log_request_reopen(); log_reopen_pending(true); break;
	case 'L': log_rotate(master.cfg->log_backupname); break;
	case '\n': case '\r': case ' ': break;
	default: log_msg("master fifo: unknown command '%c'", c); break;
	}
}

static void
on_fifo(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	for (ssize_t i = 0; i < n; i++)
		fifo_command(buf[i]);
}

static int
setup_fifo(void)
{
	master.fifo_fd = master.fifo_keep_fd = -1;
	if (!master.cfg->master_fifo.n)
		return 0;
	const char *path = master.cfg->master_fifo.v[0];
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISFIFO(st.st_mode)) {
		log_msg("master-fifo %s exists and is not a fifo", path);
		return -1;
	}
	if (stat(path, &st) < 0 && mkfifo(path, 0600) < 0) {
		log_errno("mkfifo(%s)", path);
		return -1;
	}
	master.fifo_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* a writer of our own keeps the fifo from reporting EOF forever */
	master.fifo_keep_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (master.fifo_fd < 0 || master.fifo_keep_fd < 0) {
		log_errno("open(%s)", path);
		return -1;
	}
	return event_add(master.loop, master.fifo_fd, EV_READ, on_fifo, NULL);
}

/* ---- master signals: a self-pipe read by the event loop ---------------------------- */

static const int master_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };

/* In the handler: what cannot wait for the loop. */
static void
on_signal(int sig)
{
	if (master.single && (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP))
		early_stop = 1;
	if (sig == SIGUSR2)
		log_request_reopen();
}

static void
handle_signal(int sig)
{
	switch (sig) {
	case SIGCHLD: reap(); break;
	case SIGTERM:
	case SIGINT: begin_shutdown(false); break;
	case SIGQUIT: begin_reload(true); break;
	case SIGHUP: begin_reload(false); break;
	case SIGUSR1: send_stats(-1); break;
	case SIGUSR2: log_reopen_pending(true); break;
	}
}

/* Installed at the very start, so that a signal arriving while the app
 * loads is queued in the pipe instead of killing the half-started master. */
int
setup_master_signals(void)
{
	master.sigpipe = signal_pipe_open(master_signals, sizeof(master_signals) / sizeof(master_signals[0]),
	                                  true, on_signal, NULL);
	if (master.sigpipe < 0) {
		log_errno("pipe");
		return -1;
	}
	return 0;
}

/* Messages from the Emperor (this instance is a vassal). */
static void
on_emperor(enum vassal_cmd cmd)
{
	switch (cmd) {
	case VASSAL_CMD_RELOAD:   /* a real re-exec, even with lazy */
		if (master.state == RUNNING) {
			log_msg("...gracefully reloading...");
			stop_workers(RELOADING, false);
		}
		break;
	case VASSAL_CMD_STOP:
	case VASSAL_CMD_GRACEFUL_STOP:
	case VASSAL_CMD_LOST:
		begin_shutdown(false);
		break;
	}
}

static pid_t
spawn_pty_router(void *data)
{
	(void)data;
	return pty_router_spawn(master.cfg, master.pty_fds);
}

static const struct aux_spec pty_router_aux = { .name = "forkpty router", .spawn = spawn_pty_router };

int
run_master(void)
{
	master.loop = event_loop_new(1024);
	if (!master.loop || event_add_signal_pipe(master.loop, master.sigpipe, handle_signal) < 0 ||
	    setup_stats() < 0 || setup_fifo() < 0 || subscribe_prepare(NULL, NULL) < 0 ||
	    vassal_attach(master.loop, master.cfg, on_emperor) < 0 || logmaster_start(master.loop) < 0)
		return 1;
	master.touch_mtime = xcalloc(master.cfg->touch_reload.n + 1, sizeof(*master.touch_mtime));
	for (size_t i = 0; i < master.cfg->touch_reload.n; i++)
		mtime_changed(i);
	master.logreopen_mtime = xcalloc(master.cfg->touch_logreopen.n + 1, sizeof(*master.logreopen_mtime));
	for (size_t i = 0; i < master.cfg->touch_logreopen.n; i++)
		file_touched(master.cfg->touch_logreopen.v[i], &master.logreopen_mtime[i]);
	chain_reload_init();
	procname_master(master.cfg);
	if (hooks_run(master.cfg, PH_MASTER_START) < 0)
		return 1;
	master.slots = xcalloc(master.nslots, sizeof(*master.slots));
	if (cheaper_init() < 0)
		return 1;
	if (master.npty)
		aux_add(&pty_router_aux);
	http_router_register();
	log_msg("spawned stockade master process (pid: %d)", (int)getpid());
	cheaper_start();
	daemons_register(master.cfg, master.loop);
	cron_register(master.cfg, master.loop);
	signal_timers_register(master.loop);	/* issue 22 */
	aux_start_all();
	subscribe_start();
	vassal_notify(VASSAL_MSG_READY);
	notify_send("READY=1\nSTATUS=%zu workers spawned (reload %lu)", master.nslots, master.reloads);
	event_timer_add(master.loop, TICK_MS, on_tick, NULL);
	while (master.state == RUNNING || live_workers() > 0 || aux_live() > 0)
		event_loop_run_once(master.loop, TICK_MS);
	logmaster_drain();
	if (master.mercy_timer > 0)
		event_timer_del(master.loop, master.mercy_timer);
	if (master.state == RELOADING)
		do_reload();
	hooks_run(master.cfg, PH_AS_USER_ATEXIT);
	vacuum();
	log_msg("goodbye to stockade.");
	return 0;
}

