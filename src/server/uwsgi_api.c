/* SPDX-License-Identifier: MIT */
/*
 * The server's side of the `uwsgi` Python module (issue 22): the struct
 * wsgi_hooks the Python layer calls for what only the server knows (worker
 * ids, the scoreboard, the master's pid, reload and stop), and the shared
 * memory made before the first fork (the user locks).
 */
#include "server/server_internal.h"
#include "server/uwsgi_api.h"
#include "server/mule_mercy.h"
#include "base/log.h"
#include "base/shm_locks.h"
#include "base/util.h"
#include "cache/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct wsgi_hooks hooks;
static char **spool_dirs;		/* absolute */
static int spool_wake[2] = { -1, -1 };

static int *mule_w, *mule_r;		/* per mule: write, read end */
static int mule_shared[2] = { -1, -1 };
static size_t nmules;

struct mule_proc {
	struct aux_spec spec;
	int id;
	int aux_id;
	const char *program;
};

struct spooler_proc {
	struct aux_spec spec;
	size_t dir;
};
static int my_worker_id;
static time_t started_on;

static pid_t
api_masterpid(void)
{
	if (master.single)
		return 0;
	return master.pid ? master.pid : getpid();	/* loading, in the master */
}

static int
api_worker_id(void)
{
	return my_worker_id;
}

static uint64_t
api_total_requests(void)
{
	return master.sb ? __atomic_load_n(&master.sb->total_requests, __ATOMIC_RELAXED) : 0;
}

static const char *
status_name(int s)
{
	switch (s) {
	case WS_BUSY: return "busy";
	case WS_CHEAP: return "cheap";
	case WS_PAUSE: return "pause";
	default: return "idle";
	}
}

static size_t
api_workers(struct wsgi_worker_info *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; master.sb && i < master.nslots && n < max; i++, n++) {
		const struct worker_score *w = &master.sb->workers[i];
		out[n] = (struct wsgi_worker_info){
			.id = (int)i + 1,
			.pid = w->pid,
			.requests = w->requests,
			.delta_requests = w->delta_requests,
			.exceptions = w->exceptions,
			.tx = w->tx,
			.running_time_us = w->running_time_us,
			.avg_rt_us = w->avg_rt_us,
			.rss = w->rss,
			.vsz = w->vsz,
			.respawn_count = w->respawn_count,
			.last_spawn = w->last_spawn,
			.status = status_name(w->status),
		};
	}
	return n;
}

/* Without a master the worker is the instance: it signals itself. */
static int
signal_instance(int sig)
{
	pid_t pid = master.single ? getpid() : api_masterpid();
	return kill(pid, sig);
}

static int
api_reload(void)
{
	return signal_instance(SIGHUP);		/* the graceful reload */
}

static int
api_stop(void)
{
	return signal_instance(SIGINT);		/* the graceful shutdown */
}

static int
set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* "file:line: what", or "command line: what" */
static void
where_log(const struct origin *o, const char *what)
{
	if (o && o->file && o->line > 0)
		log_msg("%s:%d: %s", o->file, o->line, what);
	else
		log_msg("%s: %s", o && o->file ? o->file : "config", what);
}

/* The old default cache first (uWSGI's cache_by_name(NULL)), then cache2. */
static int
setup_caches(const struct config *cfg)
{
	char err[256];
	struct cache *c;

	if (cfg->cache_items) {
		if (!(c = cache_create_default(cfg->cache_items, cfg->cache_blocksize, cfg->cache_store,
		                               err, sizeof(err)))) {
			where_log(config_origin(cfg, "cache"), err);
			return -1;
		}
		cache_register(c);
	}
	for (size_t i = 0; i < cfg->cache2.n; i++) {
		if (!(c = cache_create(cfg->cache2.v[i], err, sizeof(err)))) {
			where_log(&cfg->cache2.origin[i], err);
			return -1;
		}
		cache_register(c);
	}
	return 0;
}

/* A spooler or mule child: the app as the workers have it (loaded once in the
 * master, or here under lazy-apps). */
static void
app_child_init(void)
{
	my_worker_id = 0;
	if (master.app_loaded)
		wsgi_after_fork();
	else if (load_app() < 0)
		exit(EXIT_APP_FAILED);
}

/* In the spooler process: the app as the workers have it, then its loop. */
static pid_t
spawn_spooler(void *data)
{
	const struct spooler_proc *sp = data;
	const struct config *cfg = master.cfg;
	pid_t pid = aux_fork(sp->spec.name);

	if (pid != 0)
		return pid;
	app_child_init();
	struct wsgi_spooler_config sc = {
		.dir = spool_dirs[sp->dir],
		.frequency = cfg->spooler_frequency,
		.max_tasks = cfg->spooler_max_tasks,
		.wake_fd = spool_wake[0],
		.imports = (const char *const *)cfg->spooler_import.v,
		.nimports = cfg->spooler_import.n,
	};
	exit(wsgi_spooler_run(&sc));
}

static pid_t
spawn_mule(void *data)
{
	const struct mule_proc *mp = data;
	pid_t pid = aux_fork(mp->spec.name);

	if (pid != 0)
		return pid;
	app_child_init();
	struct wsgi_mule_config mc = {
		.id = mp->id,
		.program = mp->program,
		.fd = mule_r[mp->id - 1],
		.shared_fd = mule_shared[1],
	};
	exit(wsgi_mule_run(&mc));
}

static void
mule_stopping(void *data, bool reloading)
{
	const struct mule_proc *mp = data;

	(void)reloading;
	mule_mercy_start(mp->aux_id, mp->id);
}

/* A datagram pair: [0] for senders (non-blocking: a full queue is an
 * error, as uWSGI), [1] for the mule. */
static int
mule_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 || set_nonblock_cloexec(sv[0]) < 0 ||
	    set_nonblock_cloexec(sv[1]) < 0) {
		log_errno("mule queue");
		return -1;
	}
	return 0;
}

/* `mule` entries first (ids 1..), then `mules = N` message loops. */
static int
setup_mules(const struct config *cfg)
{
	nmules = cfg->mule.n + cfg->mules;
	if (!nmules)
		return 0;
	if (nmules > 256) {
		log_msg("mules: at most 256 (%zu asked for)", nmules);
		return -1;
	}
	mule_w = xcalloc(nmules, sizeof(int));
	mule_r = xcalloc(nmules, sizeof(int));
	if (mule_pair(mule_shared) < 0)
		return -1;
	for (size_t i = 0; i < nmules; i++) {
		int sv[2];
		if (mule_pair(sv) < 0)
			return -1;
		mule_w[i] = sv[0];
		mule_r[i] = sv[1];
		struct mule_proc *mp = xcalloc(1, sizeof(*mp));
		mp->id = (int)i + 1;
		mp->program = i < cfg->mule.n && *cfg->mule.v[i] ? cfg->mule.v[i] : NULL;
		mp->spec = (struct aux_spec){
			.name = xasprintf("mule %zu", i + 1),
			.spawn = spawn_mule,
			.data = mp,
			.stopping = mule_stopping,	/* issue 19: mule-reload-mercy */
		};
		mp->aux_id = aux_add(&mp->spec);
	}
	return 0;
}

static pid_t
spawn_reloader(void *data)
{
	const struct config *cfg = master.cfg;
	pid_t pid = aux_fork("python reloader");

	(void)data;
	if (pid != 0)
		return pid;
	if (master.app_loaded)
		wsgi_after_fork();
	else if (load_app() < 0)
		exit(EXIT_APP_FAILED);
	struct wsgi_autoreload_config ac = {
		.seconds = (unsigned)cfg->py_autoreload,
		.ignore = (const char *const *)cfg->py_autoreload_ignore.v,
		.nignore = cfg->py_autoreload_ignore.n,
	};
	exit(wsgi_autoreload_run(&ac));
}

static const struct aux_spec reloader_aux = { .name = "python reloader", .spawn = spawn_reloader };

/* Each `spooler` directory (made if missing, inside the jail: this runs
 * after it) gets spooler-processes supervised processes. */
static int
setup_spoolers(const struct config *cfg)
{
	size_t nproc = cfg->spooler_processes ? cfg->spooler_processes : 1;

	if (!cfg->spooler.n)
		return 0;
	if (pipe(spool_wake) < 0 || set_nonblock_cloexec(spool_wake[0]) < 0 ||
	    set_nonblock_cloexec(spool_wake[1]) < 0) {
		log_errno("spooler wake-up pipe");
		return -1;
	}
	spool_dirs = xcalloc(cfg->spooler.n + 1, sizeof(*spool_dirs));
	for (size_t i = 0; i < cfg->spooler.n; i++) {
		const char *dir = cfg->spooler.v[i];
		if (access(dir, R_OK | W_OK | X_OK) < 0 && mkdir(dir, 0750) < 0) {
			char *what = xasprintf("spooler directory %s: %s", dir, strerror(errno));
			where_log(&cfg->spooler.origin[i], what);
			free(what);
			return -1;
		}
		if (!(spool_dirs[i] = realpath(dir, NULL))) {
			log_errno("spooler directory %s", dir);
			return -1;
		}
		for (size_t j = 0; j < nproc; j++) {
			struct spooler_proc *sp = xcalloc(1, sizeof(*sp));
			sp->dir = i;
			sp->spec = (struct aux_spec){
				.name = xasprintf("spooler %s", spool_dirs[i]),
				.spawn = spawn_spooler,
				.data = sp,
			};
			aux_add(&sp->spec);
		}
		log_msg("spooler %s: %zu process(es)", spool_dirs[i], nproc);
	}
	return 0;
}

/* uWSGI signals: one pipe per worker slot and mule, one read by any
 * worker, one by any mule, one by the spoolers (uwsgi_module_signal.c).
 * Made at the first register_signal (the app loading in the master, before
 * any fork), so that an app without signals holds none of them. */
static int *sig_w, *sig_r;
static size_t nsig;

static void
setup_signals(void)
{
	nsig = master.nslots + 3 + nmules;
	sig_w = xcalloc(nsig, sizeof(int));
	sig_r = xcalloc(nsig, sizeof(int));
	for (size_t i = 0; i < nsig; i++)
		sig_w[i] = sig_r[i] = -1;
}

static int
api_signal_pipes(void)
{
	for (size_t i = 0; i < nsig; i++) {
		int p[2];
		if (sig_r[i] >= 0)
			continue;
		if (pipe(p) < 0 || set_nonblock_cloexec(p[0]) < 0 || set_nonblock_cloexec(p[1]) < 0) {
			log_errno("signal pipe");
			return -1;
		}
		sig_r[i] = p[0];
		sig_w[i] = p[1];
	}
	return 0;
}

int
uwsgi_api_setup(void)
{
	const struct config *cfg = master.cfg;

	started_on = time(NULL);
	if (cfg->locks > 65535) {
		log_msg("locks = %llu: at most 65535", cfg->locks);
		return -1;
	}
	if (setup_caches(cfg) < 0 || setup_spoolers(cfg) < 0 || setup_mules(cfg) < 0)
		return -1;
	setup_signals();
	if (cfg->py_autoreload) {
		aux_add(&reloader_aux);
		log_msg("python auto-reloader enabled (every %llu s)", cfg->py_autoreload);
	}
	hooks = (struct wsgi_hooks){
		.opt_keys = (const char *const *)cfg->opt_keys,
		.opt_values = (const char *const *)cfg->opt_values,
		.nopt = cfg->nopt,
		.numproc = (int)master.nslots,
		.started_on = (long long)started_on,
		.is_a_reload = master.is_reload,
		.locks = shm_locks_new((size_t)cfg->locks + 1),
		.masterpid = api_masterpid,
		.worker_id = api_worker_id,
		.total_requests = api_total_requests,
		.workers = api_workers,
		.reload = api_reload,
		.stop = api_stop,
		.spoolers = (const char *const *)spool_dirs,
		.nspoolers = cfg->spooler.n,
		.spooler_wake_fd = spool_wake[1],
		.mule_fds = mule_w,
		.nmules = nmules,
		.mule_shared_fd = mule_shared[0],
		.sig_w = sig_w,
		.sig_r = sig_r,
		.signal_pipes = api_signal_pipes,
	};
	return hooks.locks ? 0 : -1;
}

const struct wsgi_hooks *
uwsgi_api_hooks(void)
{
	return hooks.locks ? &hooks : NULL;
}

void
uwsgi_api_worker(int id)
{
	my_worker_id = id;
}
