/* SPDX-License-Identifier: MIT */
/*
 * The start pipeline: hooks at their phases, sockets, the jail, the
 * privilege drop, the scoreboard and the app, then the master (master.c)
 * or, without one, the single worker.
 */
#include "server/server.h"
#include "server/server_internal.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/proc.h"
#include "base/signal_pipe.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "jail/jail.h"
#include "pty/router.h"
#include "server/http_router.h"
#include "server/subscribe.h"
#include "python/wsgi.h"
#include "server/daemons.h"
#include "server/logformat.h"
#include "server/logmaster.h"
#include "server/map_socket.h"	/* issue 19 */
#include "server/compat_checks.h"
#include "server/notify.h"
#include "server/privileges.h"
#include "server/process_options.h"
#include "server/uwsgi_api.h"
#include "request_features/route_rules.h"
#include "server/static_files.h"
#include "request_features/static_cache_paths.h"	/* issue 19 */
#include "request_features/add_header.h"
#include "server/vassal.h"
#include "server/cgroup_opts.h"	/* issue 23 */
#include "server/worker.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct master master;

/* No listening socket: the master runs no workers. */
static bool
serverless(const struct config *cfg)
{
	return cfg->http_socket.n == 0 && cfg->uwsgi_socket.n == 0 && cfg->uwsgi_socket_forced.n == 0 &&
	    !stdin_socket_present();
}

static bool
running_as_root(void)
{
	return geteuid() == 0;
}

static int
apply_env(void)
{
	for (size_t i = 0; i < master.cfg->env.n; i++) {
		char *kv = master.cfg->env.v[i];
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			config_error(master.cfg->env.origin[i], "env: expected NAME=value, got '%s'", kv);
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

static int
setup_logging(void)
{
	const char *file = master.cfg->logto ? master.cfg->logto : master.cfg->daemonize;
	char err[256];
	const char *req_file = reqlog_file(master.cfg, err, sizeof(err));
	log_set_date(master.cfg->log_date);
	if (file && log_open_file(file) < 0)
		return -1;
	return req_file ? log_open_request_file(req_file) : 0;
}

static int
daemonize(void)
{
	if (!master.cfg->daemonize || master.is_reload)
		return 0;
	if (daemon_fork() < 0)
		return -1;
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

static void
resolve_binary_path(void)
{
	const char *given = master.cfg->binary_path;
	if (given) {
		snprintf(master.binary_path, sizeof(master.binary_path), "%s", given);
		return;
	}
	if (platform_binary_path(master.binary_path, sizeof(master.binary_path)) < 0)
		snprintf(master.binary_path, sizeof(master.binary_path), "%s", master.argv[0]);
}

/* The forkpty router's sockets are bound on the host, before the jail, so
 * that a host admin can reach them (inherited on a reload). */
static int
bind_pty_routers(void)
{
	master.npty = pty_router_count(master.cfg);
	master.pty_fds = xcalloc(master.npty + 1, sizeof(int));
	for (size_t i = 0; i < master.npty; i++)
		master.pty_fds[i] = master.is_reload ? take_inherited(pty_router_addr(master.cfg, i, NULL)) : -1;
	return master.npty ? pty_router_bind(master.cfg, master.pty_fds) : 0;
}

/* Creates the jail (or joins one) and continues inside it. On Linux the
 * process that calls this stays outside as the jail's monitor: only the
 * jailed process returns here. */
static int
enter_jail(bool *jailed)
{
	const struct jail_backend *b = jail_backend();
	struct jail_result res;
	memset(&res, 0, sizeof(res));
	if (!master.jail.create && !master.jail.attach)
		return 0;
	/* what the instance opened so far and needs inside: the backend
	 * closes every other descriptor (one inherited from whoever started
	 * stockade could reach the host) */
	int *keep = xcalloc(master.nshared + master.npty + master.nrouter + master.nsub + subscribe_count() + http_router_nkeep() + 6, sizeof(int));
	size_t nkeep = 0;
	keep[nkeep++] = master.sigpipe;
	keep[nkeep++] = signal_pipe_write_end();
	keep[nkeep++] = log_fd();
	keep[nkeep++] = vassal_fd();
	keep[nkeep++] = vassal_config_fd();   /* a reload asks for the config again */
	for (size_t i = 0; i < master.nshared; i++)
		keep[nkeep++] = master.shared[i];
	for (size_t i = 0; i < master.npty; i++)
		keep[nkeep++] = master.pty_fds[i];
	for (size_t i = 0; i < master.nrouter; i++)
		keep[nkeep++] = master.router_fds[i];
	for (size_t i = 0; i < master.nsub; i++)
		keep[nkeep++] = master.sub_fds[i];
	if (master.router_stats_fd >= 0)
		keep[nkeep++] = master.router_stats_fd;
	nkeep += http_router_keep(keep + nkeep);
	if (subscribe_prepare(keep, &nkeep) < 0) {
		free(keep);
		return -1;
	}
	master.jail.keep_fds = keep;
	master.jail.nkeep_fds = nkeep;
	int rc;
	if (master.jail.create) {
		rc = b->create_and_enter(&master.jail, &res);
	} else {
		log_msg("attaching to jail %s ...", master.jail.attach);
		rc = b->attach(&master.jail, &res);
	}
	master.jail.keep_fds = NULL;
	master.jail.nkeep_fds = 0;
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

static int
start(void)
{
	const struct config *cfg = master.cfg;
	char count[32];
	snprintf(count, sizeof(count), "%lu", master.reloads);
	setenv("UWSGI_RELOADS", count, 1);
	resolve_binary_path();
	/* a bad log-format is a config error: report it before detaching */
	if (process_umask_apply(cfg) < 0 || process_stdin_apply(cfg) < 0 || worker_threads_check(cfg) < 0 ||
	    reqlog_setup(cfg) < 0)
		return 1;
	if (daemonize() < 0 || setup_logging() < 0 || logmaster_setup(cfg) < 0 || setup_master_signals() < 0)
		return 1;
	notify_init();   /* before a jail hides the socket; a failure only disables it */
	if (master.is_reload)
		log_msg("reload %lu of %s", master.reloads, master.binary_path);
	if (daemons_check(cfg) < 0 || cron_check(cfg) < 0 || map_socket_check(cfg) < 0 ||
	    compat_checks(cfg) < 0)
		return 1;
	/* as in uWSGI, an instance whose services are a forkpty router,
	 * daemons, crons, a spooler (or, issue 19, mules) needs no socket:
	 * its master runs no workers */
	if (serverless(cfg) && pty_router_count(cfg) == 0 && !daemons_configured(cfg) &&
	    cfg->http.n == 0 && cfg->fastrouter.n == 0 && cfg->spooler.n == 0 && cfg->mule.n == 0 &&
	    cfg->mules == 0) {
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
		if (jail_spec_build(cfg, &master.jail) < 0 || jail_backend()->validate(&master.jail) < 0)
			return 1;
	}
	if (cgroup_opts_check(cfg) < 0)	/* issue 23 */
		return 1;
	if (hooks_run(cfg, PH_ASAP) < 0)
		return 1;
	if ((master.is_reload && import_inherited() < 0) || bind_shared_sockets() < 0 || bind_pty_routers() < 0 ||
	    http_router_bind() < 0)
		return 1;
	/* every pidfile is written atomically: safe-pidfile (uWSGI's atomic
	 * variant) differs only in its option name */
	if (!master.is_reload && (pidfile_write(cfg->pidfile, "pidfile") < 0 ||
	    pidfile_write(cfg->safe_pidfile, "pidfile") < 0))
		return 1;
	if (!master.is_reload && hooks_run(cfg, PH_PRE_JAIL) < 0)
		return 1;
	/* issue 23: uWSGI's cgroup options, on the host (a jail cannot see cgroupfs) */
	if (!master.is_reload && cgroup_opts_apply(cfg) < 0)
		return 1;
	bool jailed_now = false;
	/* from here the log's path may name a file inside the jail: pinned
	 * before, so that a reopen request arriving meanwhile cannot act */
	if (!master.is_reload && (master.jail.create || master.jail.attach))
		log_pin("opened before entering the jail");
	if (!master.is_reload && enter_jail(&jailed_now) < 0)
		return 1;
	if (hooks_run(cfg, PH_IN_JAIL) < 0)
		return 1;
	if (running_as_root() && (jailed_now || cfg->jailed) && hooks_run(cfg, PH_POST_JAIL) < 0)
		return 1;
	if (running_as_root() && !master.is_reload && cfg->chroot_dir)
		log_pin("opened before the chroot");
	if (running_as_root() && !master.is_reload && privileges_chroot(cfg) < 0)
		return 1;
	if (process_limits_apply(cfg) < 0)
		return 1;
	bool was_root = running_as_root();
	if (was_root && hooks_run(cfg, PH_AS_ROOT) < 0)
		return 1;
	/* chown-socket needs root: bind before the drop then */
	if (cfg->chown_socket && bind_sockets() < 0)
		return 1;
	if (privileges_drop(cfg) < 0)
		return 1;
	/* issue 19: logto2 is opened as the user the instance runs as (uWSGI) */
	if (cfg->logto2 && log_open_file(cfg->logto2) < 0)
		return 1;
	if ((!master.is_reload || was_root) && hooks_run(cfg, PH_AS_USER) < 0)
		return 1;
	if (pidfile_write(cfg->pidfile2, "pidfile") < 0 || pidfile_write(cfg->safe_pidfile2, "pidfile") < 0)
		return 1;
	if (cfg->chdir_path && chdir(cfg->chdir_path) < 0) {
		log_errno("chdir(%s)", cfg->chdir_path);
		return 1;
	}
	/* mapped directories resolve inside the jail/chroot, after chdir */
	if (static_init(cfg) < 0 || add_header_init(cfg) < 0 || routes_init(cfg) < 0 || bind_sockets() < 0)
		return 1;
	master.nslots = serverless(cfg) ? 0 : cfg->processes ? cfg->processes : 1;
	size_t ncores = worker_threads_count(cfg);
	size_t sbsize = sizeof(struct scoreboard) + master.nslots * sizeof(struct worker_score);
	sbsize = (sbsize + 63) & ~(size_t)63;
	master.sb = mmap(NULL, sbsize + master.nslots * ncores * sizeof(struct core_score),
	                 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (master.sb == MAP_FAILED) {
		log_errno("mmap(scoreboard)");
		return 1;
	}
	master.sb->nworkers = (int)master.nslots;
	master.sb->ncores = (int)ncores;
	master.sb->cores = (struct core_score *)((char *)master.sb + sbsize);
	/* one request-log batch per thread: each thread's lines stay in order */
	if (log_share_reopen_counter() < 0 || log_request_share_batches(master.nslots ? master.nslots * ncores : 1) < 0 ||
	    uwsgi_api_setup() < 0 || static_cache_paths_init(cfg) < 0)
		return 1;
	if (!cfg->lazy_apps && !cfg->lazy && (master.nslots || cfg->wsgi_file || cfg->module)) {
		if (load_app() < 0) {
			vacuum();
			return EXIT_APP_FAILED;
		}
		master.app_loaded = true;
	}
	master.pid = getpid();
	if (master.single) {
		master.sb->workers[0].pid = getpid();
		notify_send("READY=1\nSTATUS=serving without a master");
		worker_main(1);
	}
	if (!cfg->master && master.nslots)
		log_msg("processes = %llu needs a supervisor: running a master", cfg->processes);
	return run_master();
}

int
server_run(const struct config *cfg, const struct server_args *args)
{
	memset(&master, 0, sizeof(master));
	master.cfg = cfg;
	master.argv = procname_init(args->argv);
	master.reloads = args->reloads;
	master.is_reload = args->is_reload;
	master.single = !cfg->master && cfg->processes <= 1 && pty_router_count(cfg) == 0 &&
	    !serverless(cfg) && !daemons_configured(cfg) && !logmaster_wanted(cfg) &&
	    !cfg->cheaper && !cfg->idle && !cfg->cheap &&
	    cfg->spooler.n == 0 && cfg->mule.n == 0 && cfg->mules == 0 &&
	    cfg->py_autoreload == 0 &&	/* issue 22: they need the master */
	    http_router_count(cfg) == 0 && cfg->fastrouter.n == 0;
	int rc = start();
	if (master.app_loaded && !master.single)
		wsgi_finalize();
	return rc;
}
