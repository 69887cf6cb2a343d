/* SPDX-License-Identifier: MIT */
/*
 * A listening socket inherited as fd 0: an on-demand vassal gets the socket
 * its Emperor held that way (uWSGI's convention). It serves a configured
 * socket of the same address, or becomes one more uwsgi-protocol listener;
 * it stays at fd 0 across a reload exec.
 */
#include "server/server_internal.h"
#include "base/log.h"
#include "base/util.h"
#include "net/socket.h"
#include "server/vassal.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static struct {
	bool checked, present, used;
	char name[SOCK_NAME_MAX];
} stdin_sock;

bool
stdin_socket_present(void)
{
	if (stdin_sock.checked)
		return stdin_sock.present;
	stdin_sock.checked = true;
	int listening = 0;
	socklen_t len = sizeof(listening);
	/* only a vassal: anything else may have been started with any stdin */
	if (!vassal_active() || getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
		return false;
	if (sock_name(0, stdin_sock.name, sizeof(stdin_sock.name)) < 0)
		snprintf(stdin_sock.name, sizeof(stdin_sock.name), "fd://0");
	stdin_sock.present = true;
	return true;
}

int
stdin_socket_take(const char *spec)
{
	if (!stdin_socket_present() || stdin_sock.used || strcmp(spec, stdin_sock.name) != 0)
		return -1;
	stdin_sock.used = true;
	return 0;
}

int
stdin_socket_add(void)
{
	if (!stdin_socket_present() || stdin_sock.used)
		return 0;
	stdin_sock.used = true;
	struct listener *l = &master.ls[master.nls++];
	memset(l, 0, sizeof(*l));
	l->fd = 0;
	l->proto = PROTO_UWSGI;
	l->name = xstrdup(stdin_sock.name);
	char err[128];
	if (sock_parse_addr(stdin_sock.name, &l->addr, err, sizeof(err)) < 0)
		l->addr.kind = SOCK_ADDR_UNIX;
	const char *colon = strrchr(stdin_sock.name, ':');
	snprintf(l->port, sizeof(l->port), "%s", colon && stdin_sock.name[0] != '/' ? colon + 1 : "80");
	log_msg("uwsgi socket %zu inherited %s fd 0", master.nls - 1, stdin_sock.name);
	return 0;
}
