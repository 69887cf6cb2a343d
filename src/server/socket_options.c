/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's socket options (core/socket.c): `protocol` / `socket-protocol`
 * chooses the protocol of the plain `socket` addresses, and a unix socket
 * created under `umask` gets the mode bind(2) gives it in uWSGI.
 */
#include "server/process_options.h"
#include "base/util.h"
#include "base/log.h"
#include "net/socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

int
socket_options_protocol(const struct config *cfg, enum proto *out)
{
	static const char *const uwsgi_only[] = { "fastcgi", "fastcgi-nph", "scgi", "scgi-nph", "raw",
		"puwsgi", "https", "suwsgi", "zeromq" };
	const char *p = cfg->protocol;

	*out = PROTO_UWSGI;
	if (!p || strcmp(p, "uwsgi") == 0)
		return 0;
	/* http11 is uWSGI's keep-alive HTTP: Stockade's HTTP keeps alive anyway */
	if (strcmp(p, "http") == 0 || strcmp(p, "http11") == 0) {
		*out = PROTO_HTTP;
		return 0;
	}
	const struct origin *o = config_origin(cfg, "protocol");
	struct origin none = { "command line", 0 };
	for (size_t i = 0; i < sizeof(uwsgi_only) / sizeof(uwsgi_only[0]); i++) {
		if (strcmp(p, uwsgi_only[i]) == 0) {
			config_error(o ? *o : none, "protocol '%s' is not supported by Stockade "
			    "(it serves uwsgi, http, http11)", p);
			return -1;
		}
	}
	config_error(o ? *o : none, "unknown protocol '%s' (uwsgi, http, http11)", p);
	return -1;
}

int
socket_options_umask(const struct config *cfg, mode_t *out)
{
	unsigned long long v = 0;
	const char *s = cfg->umask;
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 4 || strspn(s, "01234567") != n) {
		const struct origin *o = config_origin(cfg, "umask");
		config_error(o ? *o : (struct origin){ "command line", 0 },
		    "invalid umask '%s' (octal, as 022)", s ? s : "");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 8 + (unsigned)(s[i] - '0');
	*out = (mode_t)(v & 0777);
	return 0;
}

int
socket_options_umask_mode(const struct config *cfg, const char *path, char *err, size_t errlen)
{
	mode_t m;
	char mode[8];
	/* chmod-socket says the mode itself; a bad umask failed the start */
	if (!cfg->umask || cfg->chmod_socket || socket_options_umask(cfg, &m) < 0)
		return 0;
	snprintf(mode, sizeof(mode), "%o", (unsigned)(0777 & ~m));
	return sock_chmod(path, mode, err, errlen);
}

/* abstract-socket (uWSGI bind_to_unix): every unix socket path is bound
 * in the abstract namespace under that name instead (no file, so no
 * unlink, chmod or chown); Linux only, as "@name" is. */
int
socket_options_abstract(const struct config *cfg, const char *spec, struct sock_addr *a, char *err,
    size_t errlen)
{
	if (!cfg->abstract_socket || a->kind != SOCK_ADDR_UNIX)
		return 0;
	char *name = xasprintf("@%s", spec);
	int rc = sock_parse_addr(name, a, err, errlen);
	free(name);
	return rc;
}

/* socket-write-timeout and its aliases (uWSGI bind_to_tcp): SO_SNDTIMEO of
 * each TCP listener (accepted connections inherit it). uWSGI declares the
 * option without an argument: alone on the command line it is 1 s; a value
 * is read as atoi() reads it (0 or none: off). */
int
socket_options_sndtimeo(const struct config *cfg, int fd, const struct sock_addr *a, const char *spec)
{
	const char *v = cfg->socket_write_timeout;

	if (!v || (a->kind != SOCK_ADDR_INET && a->kind != SOCK_ADDR_INET6))
		return 0;
	const struct origin *o = config_origin(cfg, "socket-write-timeout");
	long secs = *v ? strtol(v, NULL, 10) : (o && o->line == 0 ? 1 : 0);
	if (secs <= 0)
		return 0;
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		log_errno("setsockopt(SO_SNDTIMEO) on %s", spec);
		return -1;
	}
	return 0;
}
