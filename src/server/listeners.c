/* SPDX-License-Identifier: MIT */
/*
 * The listening sockets: shared sockets, http and uwsgi listeners (picked
 * up by name from the previous image on a reload), and their removal on
 * exit (vacuum).
 */
#include "server/server_internal.h"
#include "base/log.h"
#include "base/util.h"
#include "net/socket.h"
#include "pty/router.h"
#include "server/process_options.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* An fd inherited across the reload exec under this name, or -1. */
int
take_inherited(const char *name)
{
	for (size_t i = 0; i < master.ninherited; i++) {
		if (master.inherited[i] >= 0 && strcmp(master.inherited_names[i], name) == 0) {
			int fd = master.inherited[i];
			master.inherited[i] = -1;
			return fd;
		}
	}
	return -1;
}

static int
open_listener(const char *spec, struct sock_addr *a, struct origin o)
{
	char err[256];
	if (sock_parse_addr(spec, a, err, sizeof(err)) < 0 ||
	    socket_options_abstract(master.cfg, spec, a, err, sizeof(err)) < 0) {	/* issue 19 */
		config_error(o, "%s", err);
		return -1;
	}
	if (a->kind == SOCK_ADDR_SHARED) {
		if ((size_t)a->shared_index >= master.nshared) {
			config_error(o, "'%s': there is no shared-socket number %d", spec, a->shared_index);
			return -1;
		}
		int fd = fcntl(master.shared[a->shared_index], F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			log_errno("dup(shared-socket %d)", a->shared_index);
		return fd;
	}
	int fd = take_inherited(spec);
	if (fd >= 0 || (fd = stdin_socket_take(spec)) >= 0)
		return fd;
	fd = sock_listen(a, (int)master.cfg->listen_backlog, err, sizeof(err));
	if (fd < 0) {
		config_error(o, "%s", err);
		return -1;
	}
	if (socket_options_sndtimeo(master.cfg, fd, a, spec) < 0) {	/* issue 19 */
		close(fd);
		return -1;
	}
#ifdef TCP_DEFER_ACCEPT
	/* wake a worker only when the request bytes have arrived (as uWSGI) */
	if ((a->kind == SOCK_ADDR_INET || a->kind == SOCK_ADDR_INET6) && !master.cfg->no_defer_accept) {
		int secs = (int)(master.cfg->socket_timeout ? master.cfg->socket_timeout : 4);
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
	    (socket_options_umask_mode(master.cfg, a->u.un.sun_path, err, sizeof(err)) < 0 ||
	     (master.cfg->chmod_socket && sock_chmod(a->u.un.sun_path, master.cfg->chmod_socket, err, sizeof(err)) < 0) ||
	     (master.cfg->chown_socket && sock_chown(a->u.un.sun_path, master.cfg->chown_socket, err, sizeof(err)) < 0))) {
		config_error(o, "%s", err);
		close(fd);
		return -1;
	}
	return fd;
}

static int
add_listener(const char *spec, enum proto proto, struct origin o)
{
	struct sock_addr a;
	int fd = open_listener(spec, &a, o);
	if (fd < 0)
		return -1;
	struct listener *l = &master.ls[master.nls++];
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
	log_msg("%s socket %zu bound to %s fd %d", proto == PROTO_HTTP ? "http" : "uwsgi", master.nls - 1, name, fd);
	return 0;
}

/* On a reload, the listening sockets of the previous image are picked up by
 * name (shared sockets and plain listeners; "=N" ones are dups of shared). */
int
import_inherited(void)
{
	const struct config *cfg = master.cfg;
	size_t n = cfg->shared_socket.n + cfg->http_socket.n + cfg->uwsgi_socket.n +
	    cfg->uwsgi_socket_forced.n + pty_router_count(cfg) + cfg->http.n;
	master.inherited_names = xcalloc(n, sizeof(char *));
	master.inherited = xcalloc(n, sizeof(int));
	size_t k = 0;
	for (size_t i = 0; i < cfg->shared_socket.n; i++)
		master.inherited_names[k++] = cfg->shared_socket.v[i];
	for (size_t i = 0; i < cfg->http_socket.n; i++)
		if (cfg->http_socket.v[i][0] != '=')
			master.inherited_names[k++] = cfg->http_socket.v[i];
	for (size_t i = 0; i < cfg->uwsgi_socket.n; i++)
		if (cfg->uwsgi_socket.v[i][0] != '=')
			master.inherited_names[k++] = cfg->uwsgi_socket.v[i];
	for (size_t i = 0; i < cfg->uwsgi_socket_forced.n; i++)
		if (cfg->uwsgi_socket_forced.v[i][0] != '=')
			master.inherited_names[k++] = cfg->uwsgi_socket_forced.v[i];
	for (size_t i = 0; i < pty_router_count(cfg); i++)
		master.inherited_names[k++] = pty_router_addr(cfg, i, NULL);
	for (size_t i = 0; i < cfg->http.n; i++)
		master.inherited_names[k++] = cfg->http.v[i];
	master.ninherited = k;
	char err[256];
	int got = sock_import_env(master.inherited_names, k, master.inherited, err, sizeof(err));
	if (got < 0) {
		log_msg("%s", err);
		return -1;
	}
	if (got > 0)
		log_msg("reload: %d listening sockets inherited", got);
	return 0;
}

int
bind_shared_sockets(void)
{
	const struct config *cfg = master.cfg;
	master.nshared = cfg->shared_socket.n;
	master.shared = xcalloc(master.nshared ? master.nshared : 1, sizeof(int));
	for (size_t i = 0; i < master.nshared; i++) {
		struct sock_addr a;
		master.shared[i] = open_listener(cfg->shared_socket.v[i], &a, cfg->shared_socket.origin[i]);
		if (master.shared[i] < 0)
			return -1;
	}
	return 0;
}

int
bind_sockets(void)
{
	const struct config *cfg = master.cfg;
	if (master.ls)
		return 0;
	enum proto socket_proto;
	if (socket_options_protocol(cfg, &socket_proto) < 0)
		return -1;
	master.ls = xcalloc(cfg->http_socket.n + cfg->uwsgi_socket.n + cfg->uwsgi_socket_forced.n + 1,
	    sizeof(*master.ls));
	for (size_t i = 0; i < cfg->http_socket.n; i++)
		if (add_listener(cfg->http_socket.v[i], PROTO_HTTP, cfg->http_socket.origin[i]) < 0)
			return -1;
	for (size_t i = 0; i < cfg->uwsgi_socket.n; i++)
		if (add_listener(cfg->uwsgi_socket.v[i], socket_proto, cfg->uwsgi_socket.origin[i]) < 0)
			return -1;
	for (size_t i = 0; i < cfg->uwsgi_socket_forced.n; i++)
		if (add_listener(cfg->uwsgi_socket_forced.v[i], PROTO_UWSGI, cfg->uwsgi_socket_forced.origin[i]) < 0)
			return -1;
	if (stdin_socket_add() < 0)
		return -1;
	/* inherited sockets no longer configured are closed */
	for (size_t i = 0; i < master.ninherited; i++)
		if (master.inherited[i] >= 0)
			close(master.inherited[i]);
	return 0;
}

void
vacuum(void)
{
	if (!master.cfg->vacuum)
		return;
	for (size_t i = 0; i < master.nls; i++)     /* fd 0 is the Emperor's (on demand) */
		if (master.ls[i].addr.kind == SOCK_ADDR_UNIX && master.ls[i].fd != 0)
			unlink(master.ls[i].addr.u.un.sun_path);
	for (size_t i = 0; i < master.npty; i++) {
		const char *a = pty_router_addr(master.cfg, i, NULL);
		if (a[0] == '/' || (a[0] == '.' && strchr(a, '/')))
			unlink(a);
	}
	const char *files[] = { master.cfg->pidfile, master.cfg->pidfile2, master.cfg->safe_pidfile, master.cfg->safe_pidfile2 };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i])
			unlink(files[i]);
}
