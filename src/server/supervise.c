/* SPDX-License-Identifier: MIT */
/*
 * The workers as the master sees them: loading the app, forking a worker
 * and its start in the child, respawning one that died (with a throttle
 * for one dying at start-up), and signalling them all.
 */
#include "server/server_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/proc.h"
#include "base/signal_pipe.h"
#include "hooks/hooks.h"
#include "net/event.h"
#include "python/wsgi.h"
#include "python/reload_on_exception.h"
#include "python/eval_alias.h"
#include "server/aux.h"
#include "server/logformat.h"
#include "server/map_socket.h"
#include "server/notify.h"
#include "server/process_options.h"
#include "server/uwsgi_api.h"
#include "server/worker.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


int
load_app(void)
{
	const struct config *cfg = master.cfg;
	struct wsgi_config wc = {
		.wsgi_file = cfg->wsgi_file,
		.module = cfg->module,
		.callable = cfg->callable,
		.pythonpath = (const char *const *)cfg->pythonpath.v,
		.npythonpath = cfg->pythonpath.n,
		.home = cfg->home,
		.enable_threads = cfg->enable_threads || cfg->threads > 1,	/* as uWSGI */
		.multithread = cfg->threads > 1,
		.multiprocess = cfg->processes > 1,
		/* issue 22 */
		.hooks = uwsgi_api_hooks(),
		.imports = (const char *const *)cfg->py_import.v,
		.nimports = cfg->py_import.n,
		.pyargv = cfg->pyargv,
		.optimize = (int)cfg->py_optimize,
		.disable_file_wrapper = cfg->wsgi_disable_file_wrapper,
		.mounts = (const char *const *)cfg->mount.v,
		.nmounts = cfg->mount.n,
		.manage_script_name = cfg->manage_script_name,
	};
	wsgi_set_disable_write_exception(cfg->disable_write_exception);
	wsgi_set_reload_on_exception(cfg->reload_on_exception);	/* issue 19 */
	wsgi_set_write_errors_tolerance(cfg->write_errors_tolerance);
	wsgi_set_no_default_app(cfg->no_default_app);
	wsgi_set_eval(cfg->eval);
	wsgi_set_pymodule_aliases((const char *const *)cfg->pymodule_alias.v, cfg->pymodule_alias.n);
	if (hooks_run(cfg, PH_PRE_APP) < 0)
		return -1;
	if (!cfg->wsgi_file && !cfg->module && !cfg->mount.n && !cfg->eval) {
		/* issue 19: the spooler or a mule of an instance with no workers
		 * needs Python, not an app (uWSGI's "full dynamic mode") */
		if (master.nslots == 0 && (cfg->spooler.n || cfg->mule.n || cfg->mules))
			return wsgi_init(&wc) < 0 ? -1 : hooks_run(cfg, PH_POST_APP);
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

void
worker_main(int id)
{
	const struct config *cfg = master.cfg;
	struct worker_ctx w;
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.cfg = cfg;
	w.total_requests = (unsigned long *)&master.sb->total_requests;
	w.score = &master.sb->workers[id - 1];
	w.timeout_ms = (int)(cfg->socket_timeout ? cfg->socket_timeout * 1000 : 4000);
	w.buffer_size = cfg->buffer_size;
	w.limit_post = cfg->limit_post;
	w.body_timeout_us = (int64_t)cfg->request_body_timeout * 1000000;
	w.body_min_rate = cfg->request_body_min_rate;
	w.max_requests = cfg->max_requests;
	w.early_stop = &early_stop;
	w.nthreads = master.sb->ncores;
	w.cores = sb_core(master.sb, id, 0);
	w.peers = master.sb->workers;   /* issue 20: threads balance connections */
	w.npeers = master.sb->nworkers;
	w.wake_fd = -1;
	if (gethostname(w.hostname, sizeof(w.hostname)) < 0)
		strcpy(w.hostname, "localhost");
	w.hostname[sizeof(w.hostname) - 1] = '\0';
	bool first_spawn = w.score->respawn_count == 0;
	if (!master.single && hooks_run(cfg, PH_POST_FORK) < 0)
		exit(1);
	uwsgi_api_worker(id);
	if (master.app_loaded)
		wsgi_after_fork();
	else if (load_app() < 0)
		exit(EXIT_APP_FAILED);
	if (process_chdir2(cfg) < 0)
		exit(1);
	if (hooks_run(cfg, PH_ACCEPTING) < 0 || (id == 1 && hooks_run(cfg, PH_ACCEPTING1) < 0) ||
	    (first_spawn && hooks_run(cfg, PH_ACCEPTING_ONCE) < 0) ||
	    (first_spawn && id == 1 && hooks_run(cfg, PH_ACCEPTING1_ONCE) < 0))
		exit(1);
	size_t nls;     /* issue 19: map-socket */
	struct listener *ls = map_socket_apply(cfg, id, master.ls, master.nls, &nls);
	int rc = worker_run(&w, ls, nls);
	wsgi_finalize();
	if (master.single) {
		hooks_run(cfg, PH_AS_USER_ATEXIT);
		vacuum();
	}
	exit(rc);
}

void
spawn_worker(size_t i)
{
	struct worker_slot *s = &master.slots[i];
	struct worker_score *sc = &master.sb->workers[i];
	s->respawn_timer = 0;
	s->expected_exit = false;
	s->harakiri = false;
	/* the child writes its own fields from the start: set them before it exists */
	if (sc->pid != 0 || sc->last_spawn != 0)
		sc->respawn_count++;
	sc->accepting = 0;
	sc->status = WS_IDLE;
	sc->request_start_ms = 0;
	for (int c = 0; c < master.sb->ncores; c++)
		sb_core(master.sb, (int)i + 1, c)->request_start_ms = 0;
	sc->last_spawn = (int64_t)time(NULL);
	char what[32];
	snprintf(what, sizeof(what), "worker %zu", i + 1);
	pid_t pid = fork_master_child(what, true);
	if (pid < 0)
		return;
	if (pid == 0) {
		procname_worker(master.cfg, (int)i + 1);
		worker_main((int)i + 1);
	}
	s->pid = pid;
	s->backoff.born_ms = clock_ms();
	sc->pid = pid;
	log_msg("spawned worker %zu (pid: %d)", i + 1, (int)pid);
}

static void
on_respawn_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	if (master.state == RUNNING)
		spawn_worker((size_t)(uintptr_t)data);
}

static void
worker_died(size_t i, int status)
{
	struct worker_slot *s = &master.slots[i];
	/* request lines a killed worker had not written yet (harakiri, kill -9) */
	for (int c = 0; c < master.sb->ncores; c++) {
		log_request_salvage(i * (size_t)master.sb->ncores + (size_t)c);
		sb_core(master.sb, (int)i + 1, c)->request_start_ms = 0;
	}
	s->pid = 0;
	master.sb->workers[i].pid = 0;
	master.sb->workers[i].accepting = 0;
	master.sb->workers[i].request_start_ms = 0;
	if (master.state != RUNNING)
		return;
	if (cheaper_slot_cheaped(i)) {
		log_msg("worker %zu cheaped", i + 1);
		return;
	}
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
	long long delay = respawn_backoff_delay(&s->backoff, clock_ms());
	if (delay == 0) {
		spawn_worker(i);
		return;
	}
	log_msg("worker %zu is dying at start-up repeatedly: respawn throttled for %lld ms", i + 1, delay);
	s->respawn_timer = event_timer_add(master.loop, delay, on_respawn_timer, (void *)(uintptr_t)i);
}

size_t
live_workers(void)
{
	size_t n = 0;
	for (size_t i = 0; i < master.nslots; i++)
		n += master.slots[i].pid > 0;
	return n;
}

void
reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (aux_reap(pid, status))
			continue;
		for (size_t i = 0; i < master.nslots; i++)
			if (master.slots[i].pid == pid)
				worker_died(i, status);
	}
}

void
signal_workers(int sig)
{
	for (size_t i = 0; i < master.nslots; i++)
		if (master.slots[i].pid > 0)
			kill(master.slots[i].pid, sig);
}

/* Graceful recycle of every worker (lazy reload, fifo 'w'). */
void
recycle_workers(int sig)
{
	for (size_t i = 0; i < master.nslots; i++) {
		if (master.slots[i].pid > 0) {
			master.slots[i].expected_exit = true;
			kill(master.slots[i].pid, sig);
		}
	}
}
