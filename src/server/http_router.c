/* SPDX-License-Identifier: MIT */
/*
 * The master's side of the HTTP router (router/router.h): its sockets are
 * bound on the host before the jail (kept across reloads by name), and one
 * auxiliary process per http-processes is registered with server/aux.h,
 * forwarding to the http-to nodes or to the workers' first uwsgi socket.
 */
#include "server/server_internal.h"
#include "server/http_router.h"
#include "base/log.h"
#include "base/util.h"
#include "config/config.h"
#include "net/socket.h"
#include "router/router.h"
#include "router/sub_creds.h"
#include "router/subscription_sign.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

static struct {
	struct aux_spec spec;
	char name[32];
	int index;
} *procs;

/* A subscription server: a udp socket, or a unix datagram socket whose
 * permissions (chmod-socket) say who may subscribe. */
static int
bind_datagram(const char *spec, struct origin o)
{
	struct sock_addr a;
	char err[256];
	if (sock_parse_addr(spec, &a, err, sizeof(err)) < 0 || a.kind == SOCK_ADDR_SHARED) {
		log_msg("%s:%d: http-subscription-server: bad address '%s'", o.file, o.line, spec);
		return -1;
	}
	int fd = socket(a.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_errno("http-subscription-server: socket(%s)", spec);
		return -1;
	}
	if (a.kind == SOCK_ADDR_UNIX)
		unlink(a.u.un.sun_path);   /* a stale socket from a previous run */
	if (bind(fd, &a.u.sa, a.len) < 0) {
		log_errno("%s:%d: http-subscription-server: bind(%s)", o.file, o.line, spec);
		close(fd);
		return -1;
	}
	if (a.kind == SOCK_ADDR_UNIX && master.cfg->chmod_socket &&
	    sock_chmod(a.u.un.sun_path, master.cfg->chmod_socket, err, sizeof(err)) < 0) {
		log_msg("http-subscription-server: %s", err);
		close(fd);
		return -1;
	}
	log_msg("uWSGI http subscription server bound on %s fd %d", spec, fd);
	return fd;
}

/* fastrouter sockets: not handed over on a reload (rebound) */
static struct {
	int *fds, *sub;
	size_t n, nsub;
	int stats;
	struct aux_spec spec;
} fr = { .stats = -1 };

static int
listen_on(const char *spec, struct origin o, const char *what)
{
	struct sock_addr a;
	char err[256] = "";
	if (sock_parse_addr(spec, &a, err, sizeof(err)) < 0 || a.kind == SOCK_ADDR_SHARED) {
		log_msg("%s:%d: %s: bad address '%s'", o.file, o.line, what, spec);
		return -1;
	}
	int fd = sock_listen(&a, (int)master.cfg->listen_backlog, err, sizeof(err));
	if (fd < 0)
		log_msg("%s:%d: %s: %s", o.file, o.line, what, err);
	else
		log_msg("uWSGI %s bound on %s fd %d", what, spec, fd);
	return fd;
}

size_t
http_router_keep(int *keep)
{
	size_t n = 0;
	for (size_t i = 0; i < fr.n; i++)
		keep[n++] = fr.fds[i];
	for (size_t i = 0; i < fr.nsub; i++)
		keep[n++] = fr.sub[i];
	if (fr.stats >= 0)
		keep[n++] = fr.stats;
	return n;
}

size_t
http_router_nkeep(void)
{
	return master.cfg->fastrouter.n + master.cfg->fastrouter_subscription_server.n + 1;
}

static int pass_credentials(const int *fds, size_t n);

static int
fastrouter_bind(void)
{
	const struct config *cfg = master.cfg;
	fr.n = cfg->fastrouter.n;
	fr.fds = xcalloc(fr.n + 1, sizeof(int));
	fr.nsub = cfg->fastrouter_subscription_server.n;
	fr.sub = xcalloc(fr.nsub + 1, sizeof(int));
	if (fr.nsub && !fr.n) {
		log_msg("fastrouter-subscription-server needs a fastrouter (fastrouter = addr)");
		return -1;
	}
	for (size_t i = 0; i < cfg->fastrouter_to.n; i++) {
		struct sock_addr a;
		char err[256];
		if (sock_parse_addr(cfg->fastrouter_to.v[i], &a, err, sizeof(err)) < 0 || a.kind == SOCK_ADDR_SHARED) {
			log_msg("%s:%d: fastrouter-to: bad address '%s'", cfg->fastrouter_to.origin[i].file,
			        cfg->fastrouter_to.origin[i].line, cfg->fastrouter_to.v[i]);
			return -1;
		}
	}
	for (size_t i = 0; i < fr.n; i++)
		if ((fr.fds[i] = listen_on(cfg->fastrouter.v[i], cfg->fastrouter.origin[i], "fastrouter")) < 0)
			return -1;
	for (size_t i = 0; i < fr.nsub; i++)
		if ((fr.sub[i] = bind_datagram(cfg->fastrouter_subscription_server.v[i],
		                               cfg->fastrouter_subscription_server.origin[i])) < 0)
			return -1;
	if (pass_credentials(fr.sub, fr.nsub) < 0)
		return -1;
	if (cfg->fastrouter_stats && fr.n &&
	    (fr.stats = listen_on(cfg->fastrouter_stats, cfg->origins[0], "fastrouter stats")) < 0)
		return -1;
	return 0;
}

size_t
http_router_count(const struct config *cfg)
{
	return cfg->http.n;
}

/* Signed subscriptions: checked here so that a bad value stops the start
 * with its file:line instead of a router respawning forever. */
static int
check_sign_options(const struct config *cfg)
{
	char serr[300];
	if (cfg->subscriptions_sign_check &&
	    sub_sign_check_spec(cfg->subscriptions_sign_check, serr, sizeof(serr)) < 0) {
		const struct origin *o = config_origin(cfg, "subscriptions-sign-check");
		log_msg("%s:%d: subscriptions-sign-check: %s", o ? o->file : "?", o ? o->line : 0, serr);
		return -1;
	}
	for (size_t i = 0; i < cfg->subscriptions_sign_skip_uid.n; i++) {
		unsigned long long uid;
		const char *v = cfg->subscriptions_sign_skip_uid.v[i];
		struct origin o = cfg->subscriptions_sign_skip_uid.origin[i];
		if (!parse_uint(v, 0x7fffffff, &uid) || uid == 0) {
			log_msg("%s:%d: subscriptions-sign-skip-uid: '%s' is not a uid (a number, not 0)",
			        o.file ? o.file : "(command line)", o.line, v);
			return -1;
		}
	}
	return 0;
}

/* subscriptions-use-credentials: on the bound subscription sockets (the
 * router processes share them) */
static int
pass_credentials(const int *fds, size_t n)
{
	for (size_t i = 0; i < n && master.cfg->subscriptions_use_credentials; i++)
		if (sub_creds_enable(fds[i]) < 0) {
			log_errno("subscriptions-use-credentials");
			return -1;
		}
	return 0;
}

int
http_router_bind(void)
{
	const struct config *cfg = master.cfg;
	if (check_sign_options(cfg) < 0)
		return -1;
	master.nrouter = cfg->http.n;
	master.router_fds = xcalloc(master.nrouter + 1, sizeof(int));
	if (master.nrouter && router_check(cfg) < 0)
		return -1;
	for (size_t i = 0; i < master.nrouter; i++) {
		const char *spec = cfg->http.v[i];
		struct sock_addr a;
		char err[256];
		if (sock_parse_addr(spec, &a, err, sizeof(err)) < 0 || a.kind == SOCK_ADDR_SHARED) {
			log_msg("%s:%d: http: bad address '%s'", cfg->http.origin[i].file, cfg->http.origin[i].line, spec);
			return -1;
		}
		int fd = master.is_reload ? take_inherited(spec) : -1;
		if (fd < 0)
			fd = sock_listen(&a, (int)cfg->listen_backlog, err, sizeof(err));
		if (fd < 0) {
			log_msg("%s:%d: http: %s", cfg->http.origin[i].file, cfg->http.origin[i].line, err);
			return -1;
		}
		master.router_fds[i] = fd;
		char name[SOCK_NAME_MAX];
		if (sock_name(fd, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "%s", spec);
		log_msg("uWSGI http bound on %s fd %d", name, fd);
	}
	master.router_stats_fd = -1;
	if (cfg->http_stats && master.nrouter) {
		struct sock_addr a;
		char err[256] = "";
		int fd = -1;
		if (sock_parse_addr(cfg->http_stats, &a, err, sizeof(err)) < 0 || a.kind == SOCK_ADDR_SHARED ||
		    (fd = sock_listen(&a, 64, err, sizeof(err))) < 0) {
			log_msg("http-stats: %s: %s", cfg->http_stats, fd < 0 && err[0] ? err : "bad address");
			return -1;
		}
		master.router_stats_fd = fd;
		log_msg("*** http stats server enabled on %s fd: %d ***", cfg->http_stats, fd);
	}
	master.nsub = cfg->http_subscription_server.n;
	if (master.nsub && !master.nrouter) {
		log_msg("http-subscription-server needs an http router (http = addr)");
		return -1;
	}
	master.sub_fds = xcalloc(master.nsub + 1, sizeof(int));
	for (size_t i = 0; i < master.nsub; i++)
		if ((master.sub_fds[i] = bind_datagram(cfg->http_subscription_server.v[i],
		                                       cfg->http_subscription_server.origin[i])) < 0)
			return -1;
	if (pass_credentials(master.sub_fds, master.nsub) < 0)
		return -1;
	return fastrouter_bind();
}

/* The backend when no http-to is given: where the first uwsgi socket was
 * bound (127.0.0.1:0 gets its port only at bind time). */
static const char *
workers_socket(char *buf, size_t len)
{
	for (size_t i = 0; i < master.nls; i++)
		if (master.ls[i].proto == PROTO_UWSGI) {
			if (sock_name(master.ls[i].fd, buf, len) < 0)
				snprintf(buf, len, "%s", master.ls[i].name);
			return buf;
		}
	return NULL;
}

static pid_t
spawn_router(void *data)
{
	int index = *(int *)data;
	pid_t pid = aux_fork("http router");
	if (pid != 0) {
		if (pid > 0)
			log_msg("spawned uWSGI http %d (pid: %d)", index, (int)pid);
		return pid;
	}
	const struct config *cfg = master.cfg;
	char sock[SOCK_NAME_MAX];
	const char *one[1];
	struct router_setup rs = {
		.cfg = cfg,
		.fds = master.router_fds,
		.names = (const char *const *)cfg->http.v,
		.nfds = master.nrouter,
		.backends = (const char *const *)cfg->http_to.v,
		.nbackends = cfg->http_to.n,
		.sub_fds = master.sub_fds,
		.stats_fd = index == 1 ? master.router_stats_fd : -1,
		.nsub = master.nsub,
		.index = index,
	};
	char host[256];
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	rs.hostname = host;
	if (rs.nbackends == 0 && rs.nsub == 0) {
		one[0] = workers_socket(sock, sizeof(sock));
		rs.backends = one;
		rs.nbackends = one[0] ? 1 : 0;
	}
	if (index != 1 && master.router_stats_fd >= 0)
		close(master.router_stats_fd);
	/* the workers' listening sockets are not the router's business */
	for (size_t i = 0; i < master.nls; i++)
		close(master.ls[i].fd);
	for (size_t i = 0; i < fr.n; i++)
		close(fr.fds[i]);
	for (size_t i = 0; i < fr.nsub; i++)
		close(fr.sub[i]);
	if (fr.stats >= 0)
		close(fr.stats);
	router_main(&rs);
}

static pid_t
spawn_fastrouter(void *data)
{
	(void)data;
	pid_t pid = aux_fork("fastrouter");
	if (pid != 0) {
		if (pid > 0)
			log_msg("spawned uWSGI fastrouter 1 (pid: %d)", (int)pid);
		return pid;
	}
	const struct config *cfg = master.cfg;
	char host[256];
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	struct router_setup rs = {
		.cfg = cfg,
		.fds = fr.fds,
		.names = (const char *const *)cfg->fastrouter.v,
		.nfds = fr.n,
		.backends = (const char *const *)cfg->fastrouter_to.v,
		.nbackends = cfg->fastrouter_to.n,
		.sub_fds = fr.sub,
		.nsub = fr.nsub,
		.stats_fd = fr.stats,
		.fastrouter = true,
		.index = 1,
		.hostname = host,
	};
	/* the http router's and the workers' sockets are not its business */
	for (size_t i = 0; i < master.nls; i++)
		close(master.ls[i].fd);
	for (size_t i = 0; i < master.nrouter; i++)
		close(master.router_fds[i]);
	for (size_t i = 0; i < master.nsub; i++)
		close(master.sub_fds[i]);
	if (master.router_stats_fd >= 0)
		close(master.router_stats_fd);
	router_main(&rs);
}

void
http_router_register(void)
{
	if (fr.n) {
		fr.spec = (struct aux_spec){ .name = "uWSGI fastrouter 1", .spawn = spawn_fastrouter };
		aux_add(&fr.spec);
	}
	size_t n = master.cfg->http_processes ? master.cfg->http_processes : 1;
	if (master.nrouter == 0)
		return;
	procs = xcalloc(n, sizeof(*procs));
	for (size_t i = 0; i < n; i++) {
		procs[i].index = (int)i + 1;
		snprintf(procs[i].name, sizeof(procs[i].name), "uWSGI http %zu", i + 1);
		procs[i].spec = (struct aux_spec){ .name = procs[i].name, .spawn = spawn_router, .data = &procs[i].index };
		aux_add(&procs[i].spec);
	}
}
