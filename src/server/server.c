/* The start pipeline and the master: hooks at their phases, sockets, the
 * privilege drop, the app, then forking and supervising workers: respawn
 * with a throttle, harakiri, reload-on-rss, graceful and brutal reload by
 * re-exec with the listening sockets kept open, graceful shutdown. */
#include "server/server.h"
#include "server/notify.h"
#include "server/static_files.h"
#include "server/conn.h"
#include "base/log.h"
#include "server/logformat.h"
#include "base/platform.h"
#include "server/privileges.h"
#include "server/scoreboard.h"
#include "server/stats.h"
#include "base/util.h"
#include "server/worker.h"
#include "server/vassal.h"
#include "hooks/hooks.h"
#include "jail/jail.h"
#include "net/event.h"
#include "net/socket.h"
#include "pty/router.h"
#include "python/wsgi.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_APP_FAILED 22      /* uWSGI's "no app loaded" status */
#define FAST_DEATH_MS 1000      /* a worker that lives less than this died "fast" */
#define MAX_RESPAWN_DELAY_MS 30000
#define TICK_MS 1000

enum master_state { RUNNING, SHUTTING_DOWN, RELOADING };

struct worker_slot {
	pid_t pid;
	long long born_ms;
	int fast_deaths;
	long long respawn_timer;
	bool expected_exit;         /* recycled on purpose: not a crash */
	bool harakiri;
};

static struct {
	const struct config *cfg;
	unsigned long reloads;
	bool is_reload;
	char **argv;
	char binary_path[PATH_MAX];
	struct listener *ls;
	size_t nls;
	int *shared;
	size_t nshared;
	int *inherited;             /* fds from the previous image, by export name */
	const char **inherited_names;
	size_t ninherited;
	struct worker_slot *slots;
	size_t nslots;
	struct scoreboard *sb;
	struct event_loop *loop;
	int sigpipe[2];
	enum master_state state;
	bool brutal;
	long long mercy_timer;
	pid_t master_pid;
	bool single;
	bool app_loaded;
	struct timespec *touch_mtime;
	struct timespec *logreopen_mtime;
	int fifo_fd, fifo_keep_fd;
	int stats_fd;
	struct jail_spec jail;
	int *pty_fds;               /* forkpty router sockets, bound on the host */
	size_t npty;
	pid_t pty_pid;
} M;

/* Without a master the process becomes the worker: a stop signal that
 * arrives before the worker installs its own handlers is remembered here. */
static volatile sig_atomic_t early_stop;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool running_as_root(void) { return geteuid() == 0; }

/* ---- sockets ------------------------------------------------------------------ */

/* An fd inherited across the reload exec under this name, or -1. */
static int take_inherited(const char *name)
{
	for (size_t i = 0; i < M.ninherited; i++) {
		if (M.inherited[i] >= 0 && strcmp(M.inherited_names[i], name) == 0) {
			int fd = M.inherited[i];
			M.inherited[i] = -1;
			return fd;
		}
	}
	return -1;
}

static int open_listener(const char *spec, struct sock_addr *a, struct origin o)
{
	char err[256];
	if (sock_parse_addr(spec, a, err, sizeof(err)) < 0) {
		config_error(o, "%s", err);
		return -1;
	}
	if (a->kind == SOCK_ADDR_SHARED) {
		if ((size_t)a->shared_index >= M.nshared) {
			config_error(o, "'%s': there is no shared-socket number %d", spec, a->shared_index);
			return -1;
		}
		int fd = fcntl(M.shared[a->shared_index], F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			log_errno("dup(shared-socket %d)", a->shared_index);
		return fd;
	}
	int fd = take_inherited(spec);
	if (fd >= 0)
		return fd;
	fd = sock_listen(a, (int)M.cfg->listen_backlog, err, sizeof(err));
	if (fd < 0) {
		config_error(o, "%s", err);
		return -1;
	}
#ifdef TCP_DEFER_ACCEPT
	/* wake a worker only when the request bytes have arrived (as uWSGI) */
	if (a->kind == SOCK_ADDR_INET || a->kind == SOCK_ADDR_INET6) {
		int secs = (int)(M.cfg->socket_timeout ? M.cfg->socket_timeout : 4);
		if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)) < 0)
			log_errno("setsockopt(TCP_DEFER_ACCEPT) on %s", spec);
	}
#endif
	/* accepted connections inherit TCP_NODELAY from the listener (Linux and
	 * FreeBSD), which saves a setsockopt per connection. Without it, Nagle
	 * holds a streamed block or the file after a head for the client's
	 * delayed ACK (40 ms). A failure only costs latency. */
	if (a->kind == SOCK_ADDR_INET || a->kind == SOCK_ADDR_INET6) {
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_errno("setsockopt(TCP_NODELAY) on %s", spec);
	}
	if (a->kind == SOCK_ADDR_UNIX &&
	    ((M.cfg->chmod_socket && sock_chmod(a->u.un.sun_path, M.cfg->chmod_socket, err, sizeof(err)) < 0) ||
	     (M.cfg->chown_socket && sock_chown(a->u.un.sun_path, M.cfg->chown_socket, err, sizeof(err)) < 0))) {
		config_error(o, "%s", err);
		close(fd);
		return -1;
	}
	return fd;
}

static int add_listener(const char *spec, enum proto proto, struct origin o)
{
	struct sock_addr a;
	int fd = open_listener(spec, &a, o);
	if (fd < 0)
		return -1;
	struct listener *l = &M.ls[M.nls++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->proto = proto;
	l->name = xstrdup(spec);
	l->addr = a;
	char name[SOCK_NAME_MAX];
	if (sock_name(fd, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "%s", spec);
	const char *colon = strrchr(name, ':');
	snprintf(l->port, sizeof(l->port), "%s", colon && name[0] != '/' ? colon + 1 : "80");
	log_msg("%s socket %zu bound to %s fd %d", proto == PROTO_HTTP ? "http" : "uwsgi", M.nls - 1, name, fd);
	return 0;
}

/* On a reload, the listening sockets of the previous image are picked up by
 * name (shared sockets and plain listeners; "=N" ones are dups of shared). */
static int import_inherited(void)
{
	const struct config *cfg = M.cfg;
	size_t n = cfg->shared_socket.n + cfg->http_socket.n + cfg->uwsgi_socket.n + pty_router_count(cfg);
	M.inherited_names = xcalloc(n, sizeof(char *));
	M.inherited = xcalloc(n, sizeof(int));
	size_t k = 0;
	for (size_t i = 0; i < cfg->shared_socket.n; i++)
		M.inherited_names[k++] = cfg->shared_socket.v[i];
	for (size_t i = 0; i < cfg->http_socket.n; i++)
		if (cfg->http_socket.v[i][0] != '=')
			M.inherited_names[k++] = cfg->http_socket.v[i];
	for (size_t i = 0; i < cfg->uwsgi_socket.n; i++)
		if (cfg->uwsgi_socket.v[i][0] != '=')
			M.inherited_names[k++] = cfg->uwsgi_socket.v[i];
	for (size_t i = 0; i < pty_router_count(cfg); i++)
		M.inherited_names[k++] = pty_router_addr(cfg, i, NULL);
	M.ninherited = k;
	char err[256];
	int got = sock_import_env(M.inherited_names, k, M.inherited, err, sizeof(err));
	if (got < 0) {
		log_msg("%s", err);
		return -1;
	}
	if (got > 0)
		log_msg("reload: %d listening sockets inherited", got);
	return 0;
}

static int bind_shared_sockets(void)
{
	const struct config *cfg = M.cfg;
	M.nshared = cfg->shared_socket.n;
	M.shared = xcalloc(M.nshared ? M.nshared : 1, sizeof(int));
	for (size_t i = 0; i < M.nshared; i++) {
		struct sock_addr a;
		M.shared[i] = open_listener(cfg->shared_socket.v[i], &a, cfg->shared_socket.origin[i]);
		if (M.shared[i] < 0)
			return -1;
	}
	return 0;
}

static int bind_sockets(void)
{
	const struct config *cfg = M.cfg;
	if (M.ls)
		return 0;
	M.ls = xcalloc(cfg->http_socket.n + cfg->uwsgi_socket.n + 1, sizeof(*M.ls));
	for (size_t i = 0; i < cfg->http_socket.n; i++)
		if (add_listener(cfg->http_socket.v[i], PROTO_HTTP, cfg->http_socket.origin[i]) < 0)
			return -1;
	for (size_t i = 0; i < cfg->uwsgi_socket.n; i++)
		if (add_listener(cfg->uwsgi_socket.v[i], PROTO_UWSGI, cfg->uwsgi_socket.origin[i]) < 0)
			return -1;
	/* inherited sockets no longer configured are closed */
	for (size_t i = 0; i < M.ninherited; i++)
		if (M.inherited[i] >= 0)
			close(M.inherited[i]);
	return 0;
}

static void vacuum(void)
{
	if (!M.cfg->vacuum)
		return;
	for (size_t i = 0; i < M.nls; i++)
		if (M.ls[i].addr.kind == SOCK_ADDR_UNIX)
			unlink(M.ls[i].addr.u.un.sun_path);
	for (size_t i = 0; i < M.npty; i++) {
		const char *a = pty_router_addr(M.cfg, i, NULL);
		if (a[0] == '/' || (a[0] == '.' && strchr(a, '/')))
			unlink(a);
	}
	const char *files[] = { M.cfg->pidfile, M.cfg->pidfile2, M.cfg->safe_pidfile, M.cfg->safe_pidfile2 };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i])
			unlink(files[i]);
}

/* ---- app ---------------------------------------------------------------------- */

static int load_app(void)
{
	const struct config *cfg = M.cfg;
	struct wsgi_config wc = {
		.wsgi_file = cfg->wsgi_file,
		.module = cfg->module,
		.callable = cfg->callable,
		.pythonpath = (const char *const *)cfg->pythonpath.v,
		.npythonpath = cfg->pythonpath.n,
		.home = cfg->home,
		.enable_threads = cfg->enable_threads,
		.multiprocess = cfg->processes > 1,
	};
	if (hooks_run(cfg, PH_PRE_APP) < 0)
		return -1;
	if (!cfg->wsgi_file && !cfg->module) {
		log_msg("no app configured (use wsgi-file or module)");
		return -1;
	}
	if (wsgi_init(&wc) < 0 || wsgi_load_app() < 0) {
		log_msg("*** no app loaded. GAME OVER ***");
		return -1;
	}
	return hooks_run(cfg, PH_POST_APP);
}

/* ---- workers ------------------------------------------------------------------- */

static void worker_main(int id)
{
	const struct config *cfg = M.cfg;
	struct worker_ctx w;
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.cfg = cfg;
	w.total_requests = (unsigned long *)&M.sb->total_requests;
	w.score = &M.sb->workers[id - 1];
	w.timeout_ms = (int)(cfg->socket_timeout ? cfg->socket_timeout * 1000 : 4000);
	w.buffer_size = cfg->buffer_size;
	w.limit_post = cfg->limit_post;
	w.max_requests = cfg->max_requests;
	w.early_stop = &early_stop;
	if (gethostname(w.hostname, sizeof(w.hostname)) < 0)
		strcpy(w.hostname, "localhost");
	w.hostname[sizeof(w.hostname) - 1] = '\0';
	bool first_spawn = w.score->respawn_count == 0;
	if (!M.single && hooks_run(cfg, PH_POST_FORK) < 0)
		exit(1);
	if (M.app_loaded)
		wsgi_after_fork();
	else if (load_app() < 0)
		exit(EXIT_APP_FAILED);
	if (hooks_run(cfg, PH_ACCEPTING) < 0 || (id == 1 && hooks_run(cfg, PH_ACCEPTING1) < 0) ||
	    (first_spawn && hooks_run(cfg, PH_ACCEPTING_ONCE) < 0) ||
	    (first_spawn && id == 1 && hooks_run(cfg, PH_ACCEPTING1_ONCE) < 0))
		exit(1);
	int rc = worker_run(&w, M.ls, M.nls);
	wsgi_finalize();
	if (M.single) {
		hooks_run(cfg, PH_AS_USER_ATEXIT);
		vacuum();
	}
	exit(rc);
}

static void spawn_worker(size_t i)
{
	struct worker_slot *s = &M.slots[i];
	struct worker_score *sc = &M.sb->workers[i];
	s->respawn_timer = 0;
	s->expected_exit = false;
	s->harakiri = false;
	/* the child writes its own fields from the start: set them before it exists */
	if (sc->pid != 0 || sc->last_spawn != 0)
		sc->respawn_count++;
	sc->accepting = 0;
	sc->status = WS_IDLE;
	sc->request_start_ms = 0;
	sc->last_spawn = (int64_t)time(NULL);
	/* Signals are blocked across fork so that the child never runs the
	 * master's handler; it resets them to default before unblocking, so a
	 * stop signal that raced the fork still stops it. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		log_errno("fork(worker %zu)", i + 1);
		return;
	}
	if (pid == 0) {
		int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 };
		for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
			signal(sigs[k], SIG_DFL);
		/* log reopening reaches workers through the shared counter; a
		 * SIGUSR2 sent to the whole process group must not kill them */
		signal(SIGUSR2, SIG_IGN);
		close(M.sigpipe[0]);
		close(M.sigpipe[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* a worker must not outlive its master (it would hold the sockets) */
		if (platform_parent_death_signal(SIGTERM) < 0 || getppid() != M.master_pid)
			_exit(1);
		notify_forget();   /* only the master talks to systemd */
		worker_main((int)i + 1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	s->pid = pid;
	s->born_ms = now_ms();
	sc->pid = pid;
	log_msg("spawned worker %zu (pid: %d)", i + 1, (int)pid);
}

static void on_respawn_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	if (M.state == RUNNING)
		spawn_worker((size_t)(uintptr_t)data);
}

static void worker_died(size_t i, int status)
{
	struct worker_slot *s = &M.slots[i];
	/* request lines a killed worker had not written yet (harakiri, kill -9) */
	log_request_salvage(i);
	s->pid = 0;
	M.sb->workers[i].pid = 0;
	M.sb->workers[i].accepting = 0;
	M.sb->workers[i].request_start_ms = 0;
	if (M.state != RUNNING)
		return;
	if (s->expected_exit || s->harakiri) {
		log_msg("worker %zu (recycled) exited, respawning", i + 1);
		spawn_worker(i);
		return;
	}
	if (WIFSIGNALED(status))
		log_msg("worker %zu died (signal %d), respawning", i + 1, WTERMSIG(status));
	else
		log_msg("worker %zu exited with status %d, respawning", i + 1, WEXITSTATUS(status));
	/* A worker dying right after start backs off exponentially instead of
	 * forking in a tight loop. */
	if (now_ms() - s->born_ms < FAST_DEATH_MS)
		s->fast_deaths++;
	else
		s->fast_deaths = 0;
	if (s->fast_deaths < 3) {
		spawn_worker(i);
		return;
	}
	int shift = s->fast_deaths - 3 > 5 ? 5 : s->fast_deaths - 3;
	long long delay = 1000LL << shift;
	if (delay > MAX_RESPAWN_DELAY_MS)
		delay = MAX_RESPAWN_DELAY_MS;
	log_msg("worker %zu is dying at start-up repeatedly: respawn throttled for %lld ms", i + 1, delay);
	s->respawn_timer = event_timer_add(M.loop, delay, on_respawn_timer, (void *)(uintptr_t)i);
}

static size_t live_workers(void)
{
	size_t n = 0;
	for (size_t i = 0; i < M.nslots; i++)
		n += M.slots[i].pid > 0;
	return n;
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == M.pty_pid) {
			M.pty_pid = 0;
			if (M.state == RUNNING) {
				log_msg("forkpty router died, respawning");
				M.pty_pid = pty_router_spawn(M.cfg, M.pty_fds);
			}
			continue;
		}
		for (size_t i = 0; i < M.nslots; i++)
			if (M.slots[i].pid == pid)
				worker_died(i, status);
	}
}

static void signal_workers(int sig)
{
	for (size_t i = 0; i < M.nslots; i++)
		if (M.slots[i].pid > 0)
			kill(M.slots[i].pid, sig);
}

/* Graceful recycle of every worker (lazy reload, fifo 'w'). */
static void recycle_workers(int sig)
{
	for (size_t i = 0; i < M.nslots; i++) {
		if (M.slots[i].pid > 0) {
			M.slots[i].expected_exit = true;
			kill(M.slots[i].pid, sig);
		}
	}
}

static void on_mercy_timeout(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	M.mercy_timer = 0;
	log_msg("workers did not stop within %llu s: NO MERCY", M.cfg->worker_reload_mercy);
	signal_workers(SIGKILL);
}

static void cancel_respawns(void)
{
	for (size_t i = 0; i < M.nslots; i++)
		if (M.slots[i].respawn_timer > 0) {
			event_timer_del(M.loop, M.slots[i].respawn_timer);
			M.slots[i].respawn_timer = 0;
		}
}

static void stop_workers(enum master_state next, bool brutal)
{
	if (M.state != RUNNING)
		return;
	M.state = next;
	M.brutal = brutal;
	cancel_respawns();
	notify_send(next == RELOADING ? "RELOADING=1\nSTATUS=reloading" : "STOPPING=1\nSTATUS=stopping");
	signal_workers(brutal ? SIGKILL : (next == RELOADING ? SIGHUP : SIGTERM));
	if (M.pty_pid > 0)
		kill(M.pty_pid, brutal ? SIGKILL : SIGTERM);
	M.mercy_timer = event_timer_add(M.loop, (long long)M.cfg->worker_reload_mercy * 1000, on_mercy_timeout, NULL);
}

static void begin_shutdown(bool brutal)
{
	if (M.state == RUNNING)
		log_msg(brutal ? "brutally killing workers..." : "SIGINT/SIGTERM received...killing workers...");
	stop_workers(SHUTTING_DOWN, brutal);
}

static void begin_reload(bool brutal)
{
	if (M.state != RUNNING)
		return;
	if (M.cfg->lazy && !brutal) {
		log_msg("lazy mode: recycling workers gracefully");
		recycle_workers(SIGHUP);
		return;
	}
	log_msg(brutal ? "...brutally reloading..." : "...gracefully reloading...");
	stop_workers(RELOADING, brutal);
}

/* All workers are gone: re-exec the binary with the original argv, keeping
 * the listening sockets, so that no connection is refused meanwhile. */
static void do_reload(void)
{
	hooks_run(M.cfg, PH_AS_USER_ATEXIT);
	if (M.cfg->exit_on_reload) {
		log_msg("exit-on-reload: goodbye to stockade.");
		vacuum();
		exit(0);
	}
	size_t n = 0;
	int *fds = xcalloc(M.nshared + M.nls + M.npty + 1, sizeof(int));
	const char **names = xcalloc(M.nshared + M.nls + M.npty + 1, sizeof(char *));
	for (size_t i = 0; i < M.nshared; i++) {
		fds[n] = M.shared[i];
		names[n++] = M.cfg->shared_socket.v[i];
	}
	for (size_t i = 0; i < M.nls; i++) {
		if (M.ls[i].name[0] == '=')
			continue;
		fds[n] = M.ls[i].fd;
		names[n++] = M.ls[i].name;
	}
	for (size_t i = 0; i < M.npty; i++) {
		fds[n] = M.pty_fds[i];
		names[n++] = pty_router_addr(M.cfg, i, NULL);
	}
	char count[32];
	snprintf(count, sizeof(count), "%lu", M.reloads);
	if (sock_export_env(fds, names, n) < 0 || setenv("UWSGI_RELOADS", count, 1) < 0) {
		log_errno("reload: cannot hand the sockets over");
		exit(1);
	}
	log_msg("running %s (reload %lu)", M.binary_path, M.reloads + 1);
	M.argv[0] = M.binary_path;
	vassal_before_exec();
	notify_before_exec();   /* the new image sends READY=1 */
	execv(M.binary_path, M.argv);
	/* the old image keeps nothing useful: stop cleanly so a supervisor restarts us */
	log_errno("execv(%s)", M.binary_path);
	vacuum();
	exit(1);
}

/* ---- periodic checks: harakiri, reload-on-rss, touch-reload ----------------------- */

static void check_harakiri(long long now)
{
	unsigned long long limit = M.cfg->harakiri * 1000ULL;
	for (size_t i = 0; i < M.nslots && limit; i++) {
		struct worker_score *sc = &M.sb->workers[i];
		long long start = __atomic_load_n(&sc->request_start_ms, __ATOMIC_ACQUIRE);
		if (M.slots[i].pid <= 0 || !start || M.slots[i].harakiri || now - start < (long long)limit)
			continue;
		log_msg("*** HARAKIRI ON WORKER %zu (pid: %d, try: 1, graceful: no) ***", i + 1, (int)M.slots[i].pid);
		M.slots[i].harakiri = true;
		sc->harakiri_count++;
		kill(M.slots[i].pid, SIGKILL);
	}
}

static void check_memory(void)
{
	for (size_t i = 0; i < M.nslots; i++) {
		struct worker_score *sc = &M.sb->workers[i];
		if (M.slots[i].pid <= 0)
			continue;
		uint64_t rss, vsz;
		if (stats_proc_mem(M.slots[i].pid, &rss, &vsz) == 0) {
			sc->rss = rss;
			sc->vsz = vsz;
		}
		if (M.cfg->reload_on_rss && sc->rss > M.cfg->reload_on_rss * 1024 * 1024 && !M.slots[i].expected_exit) {
			log_msg("worker %zu (pid: %d) uses %llu MiB (reload-on-rss %llu): recycling", i + 1,
			        (int)M.slots[i].pid, (unsigned long long)(sc->rss >> 20), M.cfg->reload_on_rss);
			M.slots[i].expected_exit = true;
			kill(M.slots[i].pid, SIGHUP);
		}
	}
}

/* touch-reload, touch-logreopen: the mtime differs from the last one seen */
static bool file_touched(const char *path, struct timespec *last)
{
	struct stat st;
	struct timespec t = { 0, 0 };
	if (stat(path, &st) == 0)
		t = st.st_mtim;
	bool changed = t.tv_sec != last->tv_sec || t.tv_nsec != last->tv_nsec;
	*last = t;
	return changed;
}

static bool mtime_changed(size_t i)
{
	return file_touched(M.cfg->touch_reload.v[i], &M.touch_mtime[i]);
}

static void check_touch_reload(void)
{
	for (size_t i = 0; i < M.cfg->touch_reload.n; i++) {
		if (mtime_changed(i) && M.state == RUNNING) {
			log_msg("*** %s has been touched... grace them all !!! ***", M.cfg->touch_reload.v[i]);
			begin_reload(false);
		}
	}
}

static void check_touch_logreopen(void)
{
	for (size_t i = 0; i < M.cfg->touch_logreopen.n; i++) {
		if (file_touched(M.cfg->touch_logreopen.v[i], &M.logreopen_mtime[i])) {
			log_msg("*** %s has been touched... reopening the log ***", M.cfg->touch_logreopen.v[i]);
			log_request_reopen();
		}
	}
	log_reopen_pending(true);
}

static void on_tick(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	check_harakiri(now_ms());
	check_memory();
	check_touch_reload();
	check_touch_logreopen();
	vassal_tick(M.cfg, M.sb);
	event_timer_add(loop, TICK_MS, on_tick, NULL);
}

/* ---- stats server ----------------------------------------------------------------- */

static void send_stats(int fd)
{
	struct stats_socket *ss = xcalloc(M.nls + 1, sizeof(*ss));
	for (size_t i = 0; i < M.nls; i++)
		ss[i] = (struct stats_socket){ M.ls[i].name, M.ls[i].proto == PROTO_HTTP ? "http" : "uwsgi",
		                               M.ls[i].fd, M.ls[i].name[0] == '=' };
	char cwd[PATH_MAX];
	struct stats_input in = { M.sb, ss, M.nls, getpid(), getuid(), getgid(),
		getcwd(cwd, sizeof(cwd)) ? cwd : "", STOCKADE_VERSION, (int64_t)time(NULL), now_ms() };
	size_t len;
	char *doc = stats_json(&in, M.cfg->stats_minified, &len);
	for (size_t i = 0; i < M.nslots; i++)
		M.sb->workers[i].delta_requests = 0;
	if (fd >= 0)
		stats_send(fd, doc, len, M.cfg->stats_http);
	else
		log_write(doc, len);
	free(doc);
	free(ss);
}

static void on_stats_client(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	int c = sock_accept(fd, NULL);
	if (c >= 0)
		send_stats(c);
}

static int setup_stats(void)
{
	M.stats_fd = -1;
	if (!M.cfg->stats)
		return 0;
	M.stats_fd = stats_serve(M.loop, "stats", M.cfg->stats, M.cfg->chmod_socket, "stats server", on_stats_client);
	return M.stats_fd < 0 ? -1 : 0;
}

/* ---- master fifo ------------------------------------------------------------------- */

static void fifo_command(char c)
{
	switch (c) {
	case 'r': begin_reload(false); break;
	case 'R': begin_reload(true); break;
	case 'q': begin_shutdown(false); break;
	case 'Q': begin_shutdown(true); break;
	case 'w': log_msg("fifo: recycling workers gracefully"); recycle_workers(SIGHUP); break;
	case 'W': log_msg("fifo: recycling workers brutally"); recycle_workers(SIGKILL); break;
	case 's': send_stats(-1); break;
	case 'l': log_request_reopen(); log_reopen_pending(true); break;
	case 'L': log_rotate(M.cfg->log_backupname); break;
	case '\n': case '\r': case ' ': break;
	default: log_msg("master fifo: unknown command '%c'", c); break;
	}
}

static void on_fifo(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	for (ssize_t i = 0; i < n; i++)
		fifo_command(buf[i]);
}

static int setup_fifo(void)
{
	M.fifo_fd = M.fifo_keep_fd = -1;
	if (!M.cfg->master_fifo.n)
		return 0;
	const char *path = M.cfg->master_fifo.v[0];
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISFIFO(st.st_mode)) {
		log_msg("master-fifo %s exists and is not a fifo", path);
		return -1;
	}
	if (stat(path, &st) < 0 && mkfifo(path, 0600) < 0) {
		log_errno("mkfifo(%s)", path);
		return -1;
	}
	M.fifo_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* a writer of our own keeps the fifo from reporting EOF forever */
	M.fifo_keep_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (M.fifo_fd < 0 || M.fifo_keep_fd < 0) {
		log_errno("open(%s)", path);
		return -1;
	}
	return event_add(M.loop, M.fifo_fd, EV_READ, on_fifo, NULL);
}

/* ---- master signals: a self-pipe read by the event loop ---------------------------- */

static int sigpipe_w = -1;

static void on_signal(int sig)
{
	int saved = errno;
	if (M.single && (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP))
		early_stop = 1;
	if (sig == SIGUSR2)
		log_request_reopen();
	unsigned char b = (unsigned char)sig;
	if (write(sigpipe_w, &b, 1) < 0) { /* pipe full: a wake-up is pending anyway */ }
	errno = saved;
}

static void on_sigpipe(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	unsigned char sigs[64];
	ssize_t n = read(fd, sigs, sizeof(sigs));
	for (ssize_t i = 0; i < n; i++) {
		switch (sigs[i]) {
		case SIGCHLD: reap(); break;
		case SIGTERM:
		case SIGINT: begin_shutdown(false); break;
		case SIGQUIT: begin_reload(true); break;
		case SIGHUP: begin_reload(false); break;
		case SIGUSR1: send_stats(-1); break;
		case SIGUSR2: log_reopen_pending(true); break;
		}
	}
}

/* Installed at the very start, so that a signal arriving while the app
 * loads is queued in the pipe instead of killing the half-started master. */
static int setup_master_signals(void)
{
	if (pipe2(M.sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_errno("pipe");
		return -1;
	}
	sigpipe_w = M.sigpipe[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Messages from the Emperor (this instance is a vassal). */
static void on_emperor(enum vassal_cmd cmd)
{
	switch (cmd) {
	case VASSAL_CMD_RELOAD:   /* a real re-exec, even with lazy */
		if (M.state == RUNNING) {
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

static int run_master(void)
{
	M.loop = event_loop_new(1024);
	if (!M.loop || event_add(M.loop, M.sigpipe[0], EV_READ, on_sigpipe, NULL) < 0 ||
	    setup_stats() < 0 || setup_fifo() < 0 || vassal_attach(M.loop, M.cfg, on_emperor) < 0)
		return 1;
	M.touch_mtime = xcalloc(M.cfg->touch_reload.n + 1, sizeof(*M.touch_mtime));
	for (size_t i = 0; i < M.cfg->touch_reload.n; i++)
		mtime_changed(i);
	M.logreopen_mtime = xcalloc(M.cfg->touch_logreopen.n + 1, sizeof(*M.logreopen_mtime));
	for (size_t i = 0; i < M.cfg->touch_logreopen.n; i++)
		file_touched(M.cfg->touch_logreopen.v[i], &M.logreopen_mtime[i]);
	if (hooks_run(M.cfg, PH_MASTER_START) < 0)
		return 1;
	M.slots = xcalloc(M.nslots, sizeof(*M.slots));
	log_msg("spawned stockade master process (pid: %d)", (int)getpid());
	for (size_t i = 0; i < M.nslots; i++)
		spawn_worker(i);
	if (M.npty)
		M.pty_pid = pty_router_spawn(M.cfg, M.pty_fds);
	vassal_notify(VASSAL_MSG_READY);
	notify_send("READY=1\nSTATUS=%zu workers spawned (reload %lu)", M.nslots, M.reloads);
	event_timer_add(M.loop, TICK_MS, on_tick, NULL);
	while (M.state == RUNNING || live_workers() > 0 || M.pty_pid > 0)
		event_loop_run_once(M.loop, TICK_MS);
	if (M.mercy_timer > 0)
		event_timer_del(M.loop, M.mercy_timer);
	if (M.state == RELOADING)
		do_reload();
	hooks_run(M.cfg, PH_AS_USER_ATEXIT);
	vacuum();
	log_msg("goodbye to stockade.");
	return 0;
}

/* ---- the start pipeline -------------------------------------------------------------- */

static int apply_env(void)
{
	for (size_t i = 0; i < M.cfg->env.n; i++) {
		char *kv = M.cfg->env.v[i];
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			config_error(M.cfg->env.origin[i], "env: expected NAME=value, got '%s'", kv);
			return -1;
		}
		*eq = '\0';
		int rc = setenv(kv, eq + 1, 1);
		*eq = '=';
		if (rc < 0) {
			log_errno("setenv(%s)", kv);
			return -1;
		}
	}
	return 0;
}

/* Every pidfile is replaced atomically (temp file + fsync + rename): a
 * reader never sees an empty or partial pid, a full disk leaves no debris.
 * `safe` (uWSGI's safe-pidfile) is kept for the option names only. */
static int write_pidfile(const char *path, bool safe)
{
	(void)safe;
	if (!path)
		return 0;
	char num[32];
	int len = snprintf(num, sizeof(num), "%d\n", (int)getpid());
	if (write_file_atomic(path, num, (size_t)len, 0644) < 0) {
		log_errno("pidfile %s", path);
		return -1;
	}
	return 0;
}

static int setup_logging(void)
{
	const char *file = M.cfg->logto ? M.cfg->logto : M.cfg->daemonize;
	char err[256];
	const char *req_file = reqlog_file(M.cfg, err, sizeof(err));
	log_set_date(M.cfg->log_date);
	if (file && log_open_file(file) < 0)
		return -1;
	return req_file ? log_open_request_file(req_file) : 0;
}

static int daemonize(void)
{
	if (!M.cfg->daemonize || M.is_reload)
		return 0;
	pid_t pid = fork();
	if (pid < 0) {
		log_errno("fork (daemonize)");
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0) {
		log_errno("setsid");
		return -1;
	}
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0) {
		log_errno("/dev/null");
		return -1;
	}
	close(null);
	return 0;
}

static void resolve_binary_path(void)
{
	const char *given = M.cfg->binary_path;
	if (given) {
		snprintf(M.binary_path, sizeof(M.binary_path), "%s", given);
		return;
	}
	if (platform_binary_path(M.binary_path, sizeof(M.binary_path)) < 0)
		snprintf(M.binary_path, sizeof(M.binary_path), "%s", M.argv[0]);
}

/* The forkpty router's sockets are bound on the host, before the jail, so
 * that a host admin can reach them (inherited on a reload). */
static int bind_pty_routers(void)
{
	M.npty = pty_router_count(M.cfg);
	M.pty_fds = xcalloc(M.npty + 1, sizeof(int));
	for (size_t i = 0; i < M.npty; i++)
		M.pty_fds[i] = M.is_reload ? take_inherited(pty_router_addr(M.cfg, i, NULL)) : -1;
	return M.npty ? pty_router_bind(M.cfg, M.pty_fds) : 0;
}

/* Creates the jail (or joins one) and continues inside it. On Linux the
 * process that calls this stays outside as the jail's monitor: only the
 * jailed process returns here. */
static int enter_jail(bool *jailed)
{
	const struct jail_backend *b = jail_backend();
	struct jail_result res;
	memset(&res, 0, sizeof(res));
	if (!M.jail.create && !M.jail.attach)
		return 0;
	/* what the instance opened so far and needs inside: the backend
	 * closes every other descriptor (one inherited from whoever started
	 * stockade could reach the host) */
	int *keep = xcalloc(M.nshared + M.npty + 5, sizeof(int));
	size_t nkeep = 0;
	keep[nkeep++] = M.sigpipe[0];
	keep[nkeep++] = M.sigpipe[1];
	keep[nkeep++] = log_fd();
	keep[nkeep++] = vassal_fd();
	keep[nkeep++] = vassal_config_fd();   /* a reload asks for the config again */
	for (size_t i = 0; i < M.nshared; i++)
		keep[nkeep++] = M.shared[i];
	for (size_t i = 0; i < M.npty; i++)
		keep[nkeep++] = M.pty_fds[i];
	M.jail.keep_fds = keep;
	M.jail.nkeep_fds = nkeep;
	int rc;
	if (M.jail.create) {
		rc = b->create_and_enter(&M.jail, &res);
	} else {
		log_msg("attaching to jail %s ...", M.jail.attach);
		rc = b->attach(&M.jail, &res);
	}
	M.jail.keep_fds = NULL;
	M.jail.nkeep_fds = 0;
	free(keep);
	if (rc < 0)
		return -1;
	*jailed = true;
	char jid[24];
	snprintf(jid, sizeof(jid), "%ld", res.jid);
	bool named = res.name[0] && strcmp(res.name, jid) != 0;
	log_msg("--- running in jail %s%s%s ---", jid, named ? " " : "", named ? res.name : "");
	return 0;
}

static int start(void)
{
	const struct config *cfg = M.cfg;
	char count[32];
	snprintf(count, sizeof(count), "%lu", M.reloads);
	setenv("UWSGI_RELOADS", count, 1);
	resolve_binary_path();
	/* a bad log-format is a config error: report it before detaching */
	if (reqlog_setup(cfg) < 0)
		return 1;
	if (daemonize() < 0 || setup_logging() < 0 || setup_master_signals() < 0)
		return 1;
	notify_init();   /* before a jail hides the socket; a failure only disables it */
	if (M.is_reload)
		log_msg("reload %lu of %s", M.reloads, M.binary_path);
	if (cfg->http_socket.n == 0 && cfg->uwsgi_socket.n == 0) {
		log_msg("The -s/--socket option is missing (use http-socket or socket)");
		return 1;
	}
	if (hooks_check(cfg) < 0 || privileges_check_root_options(cfg) < 0 || apply_env() < 0)
		return 1;
	if (jail_spec_wanted(cfg)) {
		if (!jail_backend()) {
			log_msg("jails are not supported on this system");
			return 1;
		}
		if (jail_spec_build(cfg, &M.jail) < 0 || jail_backend()->validate(&M.jail) < 0)
			return 1;
	}
	if (hooks_run(cfg, PH_ASAP) < 0)
		return 1;
	if ((M.is_reload && import_inherited() < 0) || bind_shared_sockets() < 0 || bind_pty_routers() < 0)
		return 1;
	if (!M.is_reload && (write_pidfile(cfg->pidfile, false) < 0 || write_pidfile(cfg->safe_pidfile, true) < 0))
		return 1;
	if (!M.is_reload && hooks_run(cfg, PH_PRE_JAIL) < 0)
		return 1;
	bool jailed_now = false;
	/* from here the log's path may name a file inside the jail: pinned
	 * before, so that a reopen request arriving meanwhile cannot act */
	if (!M.is_reload && (M.jail.create || M.jail.attach))
		log_pin("opened before entering the jail");
	if (!M.is_reload && enter_jail(&jailed_now) < 0)
		return 1;
	if (hooks_run(cfg, PH_IN_JAIL) < 0)
		return 1;
	if (running_as_root() && (jailed_now || cfg->jailed) && hooks_run(cfg, PH_POST_JAIL) < 0)
		return 1;
	if (running_as_root() && !M.is_reload && cfg->chroot_dir)
		log_pin("opened before the chroot");
	if (running_as_root() && !M.is_reload && privileges_chroot(cfg) < 0)
		return 1;
	bool was_root = running_as_root();
	if (was_root && hooks_run(cfg, PH_AS_ROOT) < 0)
		return 1;
	/* chown-socket needs root: bind before the drop then */
	if (cfg->chown_socket && bind_sockets() < 0)
		return 1;
	if (privileges_drop(cfg) < 0)
		return 1;
	if ((!M.is_reload || was_root) && hooks_run(cfg, PH_AS_USER) < 0)
		return 1;
	if (write_pidfile(cfg->pidfile2, false) < 0 || write_pidfile(cfg->safe_pidfile2, true) < 0)
		return 1;
	if (cfg->chdir_path && chdir(cfg->chdir_path) < 0) {
		log_errno("chdir(%s)", cfg->chdir_path);
		return 1;
	}
	/* mapped directories resolve inside the jail/chroot, after chdir */
	if (static_init(cfg) < 0 || bind_sockets() < 0)
		return 1;
	M.nslots = cfg->processes ? cfg->processes : 1;
	size_t sbsize = sizeof(struct scoreboard) + M.nslots * sizeof(struct worker_score);
	M.sb = mmap(NULL, sbsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (M.sb == MAP_FAILED) {
		log_errno("mmap(scoreboard)");
		return 1;
	}
	M.sb->nworkers = (int)M.nslots;
	if (log_share_reopen_counter() < 0 || log_request_share_batches(M.nslots) < 0)
		return 1;
	if (!cfg->lazy_apps && !cfg->lazy) {
		if (load_app() < 0) {
			vacuum();
			return EXIT_APP_FAILED;
		}
		M.app_loaded = true;
	}
	M.master_pid = getpid();
	if (M.single) {
		M.sb->workers[0].pid = getpid();
		notify_send("READY=1\nSTATUS=serving without a master");
		worker_main(1);
	}
	if (!cfg->master)
		log_msg("processes = %llu needs a supervisor: running a master", cfg->processes);
	return run_master();
}

int server_run(const struct config *cfg, const struct server_args *args)
{
	memset(&M, 0, sizeof(M));
	M.cfg = cfg;
	M.argv = args->argv;
	M.reloads = args->reloads;
	M.is_reload = args->is_reload;
	M.single = !cfg->master && cfg->processes <= 1 && pty_router_count(cfg) == 0;
	int rc = start();
	if (M.app_loaded && !M.single)
		wsgi_finalize();
	return rc;
}
