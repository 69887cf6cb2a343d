/* The start pipeline and the master: bind sockets, load the app, fork and
 * supervise workers (respawn with a throttle), shut down gracefully. */
#include "core/server.h"
#include "core/conn.h"
#include "core/log.h"
#include "core/util.h"
#include "core/worker.h"
#include "net/event.h"
#include "net/socket.h"
#include "python/wsgi.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_APP_FAILED 22      /* uWSGI's "no app loaded" status */
#define SHUTDOWN_MERCY_MS 30000
#define FAST_DEATH_MS 1000      /* a worker that lives less than this died "fast" */
#define MAX_RESPAWN_DELAY_MS 30000

struct worker_slot {
	pid_t pid;
	long long born_ms;
	int fast_deaths;
	long long respawn_timer;
};

static struct {
	const struct config *cfg;
	struct listener *ls;
	size_t nls;
	struct worker_slot *slots;
	size_t nslots;
	unsigned long *total_requests;
	struct event_loop *loop;
	int sigpipe[2];
	bool shutting_down;
	bool app_loaded;
	pid_t master_pid;
	bool single;            /* no master: this process is the only worker */
	long long shutdown_timer;
} M;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- sockets ----------------------------------------------------------------- */

static int add_listener(const char *spec, enum proto proto, const int *shared, size_t nshared,
                        struct origin o)
{
	struct sock_addr a;
	char err[256];
	if (sock_parse_addr(spec, &a, err, sizeof(err)) < 0) {
		config_error(o, "%s", err);
		return -1;
	}
	int fd;
	if (a.kind == SOCK_ADDR_SHARED) {
		if ((size_t)a.shared_index >= nshared) {
			config_error(o, "'%s': there is no shared-socket number %d", spec, a.shared_index);
			return -1;
		}
		fd = fcntl(shared[a.shared_index], F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			log_errno("dup(shared-socket %d)", a.shared_index);
			return -1;
		}
	} else {
		fd = sock_listen(&a, (int)M.cfg->listen_backlog, err, sizeof(err));
		if (fd < 0) {
			config_error(o, "%s", err);
			return -1;
		}
		if (a.kind == SOCK_ADDR_UNIX) {
			if ((M.cfg->chmod_socket && sock_chmod(a.u.un.sun_path, M.cfg->chmod_socket, err, sizeof(err)) < 0) ||
			    (M.cfg->chown_socket && sock_chown(a.u.un.sun_path, M.cfg->chown_socket, err, sizeof(err)) < 0)) {
				config_error(o, "%s", err);
				close(fd);
				return -1;
			}
		}
	}
	struct listener *l = &M.ls[M.nls++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->proto = proto;
	l->name = xstrdup(spec);
	char name[SOCK_NAME_MAX];
	if (sock_name(fd, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "%s", spec);
	a.kind = a.kind == SOCK_ADDR_SHARED ? SOCK_ADDR_INET : a.kind;
	l->addr = a;
	const char *colon = strrchr(name, ':');
	snprintf(l->port, sizeof(l->port), "%s", colon && name[0] != '/' ? colon + 1 : "80");
	log_msg("%s socket %zu bound to %s fd %d", proto == PROTO_HTTP ? "http" : "uwsgi", M.nls - 1, name, fd);
	return 0;
}

static int bind_sockets(void)
{
	const struct config *cfg = M.cfg;
	size_t nshared = cfg->shared_socket.n;
	int *shared = xcalloc(nshared, sizeof(int));
	char err[256];
	int rc = -1;
	M.ls = xcalloc(cfg->http_socket.n + cfg->uwsgi_socket.n, sizeof(*M.ls));
	for (size_t i = 0; i < nshared; i++) {
		struct sock_addr a;
		if (sock_parse_addr(cfg->shared_socket.v[i], &a, err, sizeof(err)) < 0 ||
		    (shared[i] = sock_listen(&a, (int)cfg->listen_backlog, err, sizeof(err))) < 0) {
			config_error(cfg->shared_socket.origin[i], "%s", err);
			goto out;
		}
	}
	for (size_t i = 0; i < cfg->http_socket.n; i++)
		if (add_listener(cfg->http_socket.v[i], PROTO_HTTP, shared, nshared, cfg->http_socket.origin[i]) < 0)
			goto out;
	for (size_t i = 0; i < cfg->uwsgi_socket.n; i++)
		if (add_listener(cfg->uwsgi_socket.v[i], PROTO_UWSGI, shared, nshared, cfg->uwsgi_socket.origin[i]) < 0)
			goto out;
	rc = 0;
out:
	for (size_t i = 0; i < nshared; i++)
		if (shared[i] > 0)
			close(shared[i]);
	free(shared);
	return rc;
}

static void vacuum(void)
{
	if (!M.cfg->vacuum)
		return;
	for (size_t i = 0; i < M.nls; i++)
		if (M.ls[i].addr.kind == SOCK_ADDR_UNIX)
			unlink(M.ls[i].addr.u.un.sun_path);
	if (M.cfg->pidfile)
		unlink(M.cfg->pidfile);
}

/* ---- app --------------------------------------------------------------------- */

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
	if (!cfg->wsgi_file && !cfg->module) {
		log_msg("no app configured (use wsgi-file or module)");
		return -1;
	}
	if (wsgi_init(&wc) < 0 || wsgi_load_app() < 0) {
		log_msg("*** no app loaded. GAME OVER ***");
		return -1;
	}
	return 0;
}

/* ---- workers ------------------------------------------------------------------ */

static void worker_main(int id)
{
	struct worker_ctx w;
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.cfg = M.cfg;
	w.total_requests = M.total_requests;
	w.timeout_ms = (int)(M.cfg->socket_timeout ? M.cfg->socket_timeout * 1000 : 4000);
	w.buffer_size = M.cfg->buffer_size;
	w.limit_post = M.cfg->limit_post;
	if (gethostname(w.hostname, sizeof(w.hostname)) < 0)
		strcpy(w.hostname, "localhost");
	w.hostname[sizeof(w.hostname) - 1] = '\0';
	if (M.app_loaded)
		wsgi_after_fork();
	else if (load_app() < 0)
		exit(EXIT_APP_FAILED);
	int rc = worker_run(&w, M.ls, M.nls);
	wsgi_finalize();
	if (M.single)
		vacuum();
	exit(rc);
}

static void spawn_worker(size_t i)
{
	struct worker_slot *s = &M.slots[i];
	s->respawn_timer = 0;
	pid_t pid = fork();
	if (pid < 0) {
		log_errno("fork(worker %zu)", i + 1);
		return;
	}
	if (pid == 0) {
		if (M.loop)
			close(M.sigpipe[0]), close(M.sigpipe[1]);
#ifdef __linux__
		/* a worker must not outlive its master (it would hold the sockets) */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != M.master_pid)
			_exit(1);
#endif
		worker_main((int)i + 1);
	}
	s->pid = pid;
	s->born_ms = now_ms();
	log_msg("spawned worker %zu (pid: %d)", i + 1, (int)pid);
}

static void on_respawn_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	if (!M.shutting_down)
		spawn_worker((size_t)(uintptr_t)data);
}

static void worker_died(size_t i, int status)
{
	struct worker_slot *s = &M.slots[i];
	s->pid = 0;
	if (M.shutting_down)
		return;
	if (WIFSIGNALED(status))
		log_msg("worker %zu died (signal %d), respawning", i + 1, WTERMSIG(status));
	else
		log_msg("worker %zu exited with status %d, respawning", i + 1, WEXITSTATUS(status));
	/* A respawn storm (a worker dying right after start) backs off
	 * exponentially instead of forking in a tight loop. */
	if (now_ms() - s->born_ms < FAST_DEATH_MS)
		s->fast_deaths++;
	else
		s->fast_deaths = 0;
	if (s->fast_deaths < 3) {
		spawn_worker(i);
		return;
	}
	long long delay = 1000LL << (s->fast_deaths - 3 > 5 ? 5 : s->fast_deaths - 3);
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

static void on_shutdown_timeout(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	M.shutdown_timer = 0;
	log_msg("workers did not stop within %d s: NO MERCY", SHUTDOWN_MERCY_MS / 1000);
	signal_workers(SIGKILL);
}

static void begin_shutdown(void)
{
	if (M.shutting_down)
		return;
	M.shutting_down = true;
	log_msg("SIGINT/SIGTERM received...killing workers...");
	for (size_t i = 0; i < M.nslots; i++)
		if (M.slots[i].respawn_timer > 0)
			event_timer_del(M.loop, M.slots[i].respawn_timer);
	signal_workers(SIGTERM);
	M.shutdown_timer = event_timer_add(M.loop, SHUTDOWN_MERCY_MS, on_shutdown_timeout, NULL);
}

/* ---- master signals: a self-pipe read by the event loop ------------------------- */

static int sigpipe_w = -1;

static void on_signal(int sig)
{
	int saved = errno;
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
		case SIGCHLD:
			reap();
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			begin_shutdown();
			break;
		case SIGHUP:
			log_msg("SIGHUP: recycling workers gracefully");
			signal_workers(SIGHUP);
			break;
		case SIGUSR1:
			log_msg("master %d: %zu workers, %lu requests served", (int)getpid(), live_workers(),
			        *M.total_requests);
			break;
		}
	}
}

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
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return event_add(M.loop, M.sigpipe[0], EV_READ, on_sigpipe, NULL);
}

static int run_master(void)
{
	M.loop = event_loop_new(1024);
	if (!M.loop || setup_master_signals() < 0)
		return 1;
	M.nslots = M.cfg->processes ? M.cfg->processes : 1;
	M.slots = xcalloc(M.nslots, sizeof(*M.slots));
	M.master_pid = getpid();
	log_msg("spawned stockade master process (pid: %d)", (int)getpid());
	for (size_t i = 0; i < M.nslots; i++)
		spawn_worker(i);
	while (!M.shutting_down || live_workers() > 0)
		event_loop_run_once(M.loop, 1000);
	if (M.shutdown_timer > 0)
		event_timer_del(M.loop, M.shutdown_timer);
	vacuum();
	log_msg("goodbye to stockade.");
	return 0;
}

/* ---- the start pipeline ---------------------------------------------------------- */

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

static int write_pidfile(void)
{
	if (!M.cfg->pidfile)
		return 0;
	FILE *f = fopen(M.cfg->pidfile, "we");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
		log_errno("pidfile %s", M.cfg->pidfile);
		return -1;
	}
	return 0;
}

int server_run(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	memset(&M, 0, sizeof(M));
	M.cfg = cfg;
	if (cfg->logto) {
		int fd = open(cfg->logto, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0) {
			log_errno("logto %s", cfg->logto);
			return 1;
		}
		/* the app's print() and tracebacks go to fd 1/2: same file */
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
			log_errno("logto %s", cfg->logto);
			return 1;
		}
		log_set_file(fd);
	}
	if (cfg->http_socket.n == 0 && cfg->uwsgi_socket.n == 0) {
		log_msg("The -s/--socket option is missing (use http-socket or socket)");
		return 1;
	}
	if (apply_env() < 0)
		return 1;
	if (cfg->chdir_path && chdir(cfg->chdir_path) < 0) {
		log_errno("chdir(%s)", cfg->chdir_path);
		return 1;
	}
	M.total_requests = mmap(NULL, sizeof(unsigned long), PROT_READ | PROT_WRITE,
	                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (M.total_requests == MAP_FAILED) {
		log_errno("mmap");
		return 1;
	}
	if (bind_sockets() < 0 || write_pidfile() < 0)
		return 1;
	if (!cfg->lazy_apps) {
		if (load_app() < 0) {
			vacuum();
			return EXIT_APP_FAILED;
		}
		M.app_loaded = true;
	}
	if (!cfg->master && cfg->processes <= 1) {
		M.single = true;
		worker_main(1);
	}
	if (!cfg->master)
		log_msg("processes = %llu needs a supervisor: running a master", cfg->processes);
	int rc = run_master();
	if (M.app_loaded)
		wsgi_finalize();
	return rc;
}
