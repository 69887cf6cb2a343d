/* SPDX-License-Identifier: MIT */
/*
 * The HTTP router process (router.h): option checks, the event loop, the
 * listening sockets (one accept wakes one router process), the timeout
 * sweep, and the graceful stop.
 */
#include "router/router.h"
#include "router/router_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/signal_pipe.h"
#include "base/util.h"
#include "net/event.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SWEEP_MS 250
#define STOP_MS 5000    /* requests in flight get this long after a stop signal */

struct router R;

/* "" or "1": answer Expect; N > 1: also a body limit (uWSGI's semantics) */
static int
parse_expect(const char *v, bool *on, uint64_t *limit)
{
	unsigned long long n = 1;
	*on = false;
	*limit = 0;
	if (!v)
		return 0;
	if (*v && strcmp(v, "true") != 0 && !parse_uint(v, 1ULL << 53, &n))
		return -1;
	*on = n > 0;
	*limit = n > 1 ? n : 0;
	return 0;
}

int
router_check(const struct config *cfg)
{
	bool on;
	uint64_t limit;
	if (parse_expect(cfg->http_manage_expect, &on, &limit) < 0) {
		log_msg("http-manage-expect: '%s' is not a byte count", cfg->http_manage_expect);
		return -1;
	}
	for (size_t i = 0; i < cfg->http_var.n; i++)
		if (!strchr(cfg->http_var.v[i], '=') || cfg->http_var.v[i][0] == '=') {
			log_msg("%s:%d: http-var: '%s' is not KEY=VALUE", cfg->http_var.origin[i].file,
			        cfg->http_var.origin[i].line, cfg->http_var.v[i]);
			return -1;
		}
	for (size_t i = 0; i < cfg->http_to.n; i++) {
		struct sock_addr a;
		char err[256];
		if (sock_parse_addr(cfg->http_to.v[i], &a, err, sizeof(err)) < 0 || a.kind == SOCK_ADDR_SHARED) {
			log_msg("%s:%d: http-to: bad address '%s'", cfg->http_to.origin[i].file,
			        cfg->http_to.origin[i].line, cfg->http_to.v[i]);
			return -1;
		}
	}
	if (cfg->http_modifier1 > 255 || cfg->http_modifier2 > 255) {
		log_msg("http-modifier1/http-modifier2: a modifier is 0-255");
		return -1;
	}
	if (cfg->http_subscription_server.n && cfg->http_processes > 1) {
		log_msg("http-subscription-server: one router process only (http-processes = 1): "
		        "each process would see part of the subscriptions");
		return -1;
	}
	if (cfg->http_buffer_size > 65535) {
		log_msg("http-buffer-size: at most 65535 (a uwsgi packet's limit)");
		return -1;
	}
	return 0;
}

static void
handle_signal(int sig)
{
	(void)sig;
	R.stopping = true;
}

static void on_listen(struct event_loop *loop, int fd, void *data, int mask);

static void
listen_all(bool on)
{
	for (size_t i = 0; i < R.nls; i++) {
		if (!on)
			event_del(R.loop, R.ls[i].fd, EV_READ);
		else if (event_add_exclusive(R.loop, R.ls[i].fd, on_listen, &R.ls[i]) < 0)
			log_errno("http router: event_add(fd %d)", R.ls[i].fd);
	}
}

static void
on_resume(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	if (!R.stopping)
		listen_all(true);
}

static void
on_listen(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)mask;
	int idx = (int)((struct listen_sock *)data - R.ls);

	session_bury();
	for (int k = 0; k < 64 && !R.stopping; k++) {
		struct sock_addr peer;
		memset(&peer, 0, sizeof(peer));
		int cfd = sock_accept(fd, &peer);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: a readable listener would wake us
				 * in a loop; stop accepting for a second instead */
				log_errno("http router: accept (%zu connections open), pausing 1 s", R.nsessions);
				listen_all(false);
				event_timer_add(R.loop, 1000, on_resume, NULL);
			} else if (errno != EAGAIN && errno != ECONNABORTED) {
				log_errno("http router: accept");
			}
			return;
		}
		session_accept(idx, cfd, &peer);
	}
}

static void
on_sweep(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	long long now = clock_ms();

	session_bury();
	for (struct session *s = R.sessions, *next; s; s = next) {
		next = s->next;
		session_timeout(s, now);
	}
	subs_sweep(now);
	session_bury();
	event_timer_add(loop, SWEEP_MS, on_sweep, NULL);
}

static int
loop_size(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576)
		return 1048576;
	return rl.rlim_cur < 1024 ? 1024 : (int)rl.rlim_cur;
}

static void
setup(const struct router_setup *rs)
{
	const struct config *cfg = rs->cfg;
	memset(&R, 0, sizeof(R));
	R.cfg = cfg;
	R.index = rs->index;
	R.hostname = rs->hostname;
	R.fastrouter = rs->fastrouter;
	R.buffer_size = cfg->http_buffer_size ? cfg->http_buffer_size : 4096;
	R.timeout_ms = (long long)(cfg->http_timeout ? cfg->http_timeout : 60) * 1000;
	if (R.fastrouter) {
		R.buffer_size = 4 + 65535;	/* the largest uwsgi packet */
		R.timeout_ms = (long long)(cfg->fastrouter_timeout ? cfg->fastrouter_timeout : 60) * 1000;
	}
	R.headers_ms = cfg->http_headers_timeout ? (long long)cfg->http_headers_timeout * 1000 : R.timeout_ms;
	R.connect_ms = cfg->http_connect_timeout ? (long long)cfg->http_connect_timeout * 1000 : R.timeout_ms;
	R.grace_ms = (long long)(cfg->http_gracetime ? cfg->http_gracetime : 30) * 1000;
	parse_expect(cfg->http_manage_expect, &R.manage_expect, &R.expect_limit);
	R.keepalive = cfg->http_keepalive;
	R.auto_chunked = cfg->http_auto_chunked;
	R.proxy_proto = cfg->http_enable_proxy_protocol;
	R.mod1 = (uint8_t)cfg->http_modifier1;
	R.mod2 = (uint8_t)cfg->http_modifier2;
	R.nvars = cfg->http_var.n;
	R.vars = xcalloc(R.nvars + 1, sizeof(*R.vars));
	for (size_t i = 0; i < R.nvars; i++) {
		const char *v = cfg->http_var.v[i], *eq = strchr(v, '=');
		R.vars[i] = (struct kv){ v, (size_t)(eq - v), eq + 1, strlen(eq + 1) };
	}
	R.nls = rs->nfds;
	R.ls = xcalloc(R.nls + 1, sizeof(*R.ls));
	for (size_t i = 0; i < R.nls; i++) {
		char name[SOCK_NAME_MAX];
		R.ls[i].fd = rs->fds[i];
		if (sock_name(rs->fds[i], name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "%s", rs->names[i]);
		const char *colon = strrchr(name, ':');
		snprintf(R.ls[i].port, sizeof(R.ls[i].port), "%s", colon && name[0] != '/' ? colon + 1 : "80");
	}
}

void
router_main(const struct router_setup *rs)
{
	setup(rs);
	if (backend_setup(rs->backends, rs->nbackends) < 0)
		_exit(1);
	static const int ours[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	int sigfd = signal_pipe_open(ours, sizeof(ours) / sizeof(ours[0]), true, NULL, NULL);
	if (sigfd < 0) {
		log_errno("http router: pipe");
		_exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	R.loop = event_loop_new(loop_size());
	if (!R.loop || event_add_signal_pipe(R.loop, sigfd, handle_signal) < 0) {
		log_errno("http router: event loop");
		_exit(1);
	}
	for (size_t i = 0; i < R.nls; i++)
		if (event_add_exclusive(R.loop, R.ls[i].fd, on_listen, &R.ls[i]) < 0) {
			log_errno("http router: event_add(fd %d)", R.ls[i].fd);
			_exit(1);
		}
	if (subs_sign_setup(rs->cfg) < 0)
		_exit(1);
	if (subs_setup(rs->sub_fds, rs->nsub, (long long)(rs->cfg->subscription_tolerance ?
	               rs->cfg->subscription_tolerance : 17) * 1000) < 0)
		_exit(1);
	if (stats_setup(rs->stats_fd) < 0)
		_exit(1);
	event_timer_add(R.loop, SWEEP_MS, on_sweep, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	log_msg("%s %d ready (pid: %d, %zu backend%s)", R.fastrouter ? "fastrouter" : "http router", R.index,
	        (int)getpid(), R.nnodes,
	        R.nnodes == 1 ? "" : "s");

	while (!R.stopping)
		if (event_loop_run_once(R.loop, -1) < 0 && errno != EINTR) {
			log_errno("http router: event loop");
			break;
		}
	/* stop: no new connections; idle ones closed, busy ones get STOP_MS */
	for (size_t i = 0; i < R.nls; i++) {
		event_del(R.loop, R.ls[i].fd, EV_READ);
		close(R.ls[i].fd);
	}
	long long deadline = clock_ms() + STOP_MS;
	for (;;) {
		for (struct session *s = R.sessions, *next; s; s = next) {
			next = s->next;
			if (s->state == S_HEAD && s->in.len == 0)
				session_close(s);
		}
		session_bury();
		if (!R.sessions || clock_ms() >= deadline)
			break;
		event_loop_run_once(R.loop, 100);
	}
	log_msg("%s %d (pid: %d) stopped", R.fastrouter ? "fastrouter" : "http router", R.index, (int)getpid());
	_exit(0);
}
