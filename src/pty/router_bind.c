/* SPDX-License-Identifier: MIT */
/*
 * The forkpty router's sockets, on the master's side: which addresses the
 * configuration asks for and binding them (before the jail and the
 * privilege drop). The router process itself is in router.c.
 */
#include "pty/router.h"
#include "base/log.h"
#include "net/socket.h"

#include <limits.h>
#include <stdio.h>

size_t
pty_router_count(const struct config *cfg)
{
	return cfg->forkpty_router.n + cfg->forkpty_urouter.n;
}

const char *
pty_router_addr(const struct config *cfg, size_t i, bool *framed)
{
	bool f = i >= cfg->forkpty_router.n;
	if (framed)
		*framed = f;
	return f ? cfg->forkpty_urouter.v[i - cfg->forkpty_router.n] : cfg->forkpty_router.v[i];
}

static struct origin
addr_origin(const struct config *cfg, size_t i)
{
	size_t raw = cfg->forkpty_router.n;
	return i >= raw ? cfg->forkpty_urouter.origin[i - raw] : cfg->forkpty_router.origin[i];
}

static int
check_size(const struct config *cfg, const char *opt, unsigned long long v)
{
	if (v <= USHRT_MAX)
		return 0;
	const struct origin *o = config_origin(cfg, opt);
	/* an origin without a file: the message alone */
	config_error(o ? *o : (struct origin){ 0 }, "%s: %llu is larger than %u", opt, v, USHRT_MAX);
	return -1;
}

int
pty_router_bind(const struct config *cfg, int *fds)
{
	size_t n = pty_router_count(cfg);
	char err[256], name[SOCK_NAME_MAX];

	if (n == 0)
		return 0;
	if (check_size(cfg, "forkptyrouter-rows", cfg->forkpty_rows) < 0 ||
	    check_size(cfg, "forkptyrouter-cols", cfg->forkpty_cols) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool framed;
		const char *spec = pty_router_addr(cfg, i, &framed);
		struct sock_addr a;
		if (sock_parse_addr(spec, &a, err, sizeof(err)) < 0) {
			config_error(addr_origin(cfg, i), "%s", err);
			return -1;
		}
		if (a.kind == SOCK_ADDR_SHARED) {
			config_error(addr_origin(cfg, i), "'%s': the forkpty router takes a path, @name or ip:port, not a shared socket", spec);
			return -1;
		}
		if (fds[i] < 0) {
			fds[i] = sock_listen(&a, (int)cfg->listen_backlog, err, sizeof(err));
			if (fds[i] < 0) {
				config_error(addr_origin(cfg, i), "%s", err);
				return -1;
			}
			if (a.kind == SOCK_ADDR_UNIX &&
			    ((cfg->chmod_socket && sock_chmod(a.u.un.sun_path, cfg->chmod_socket, err, sizeof(err)) < 0) ||
			     (cfg->chown_socket && sock_chown(a.u.un.sun_path, cfg->chown_socket, err, sizeof(err)) < 0))) {
				config_error(addr_origin(cfg, i), "%s", err);
				return -1;
			}
		}
		if (sock_name(fds[i], name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "%s", spec);
		log_msg("forkpty router (%s) bound to %s fd %d", framed ? "uwsgi" : "raw", name, fds[i]);
	}
	return 0;
}
