/* SPDX-License-Identifier: MIT */
/*
 * Socket addresses: the uWSGI address syntax parsed into a sock_addr (with
 * a reason naming the input when refused) and addresses formatted back
 * into printable names. Never resolves names.
 */
#include "net/socket_internal.h"
#include "base/util.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SHARED_MAX	65535

const char *
sock_quote(const char *s, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < n && o + 8 < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* ---- Parsing ---------------------------------------------------------- */

static int
parse_unix(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	size_t n = strlen(s);
	char q[96];

	if (n >= SUN_PATH_MAX) {
		errbuf_set(err, errlen, "%s: unix socket path too long (%zu bytes, max %zu)",
		    sock_quote(s, n, q, sizeof(q)), n, SUN_PATH_MAX - 1);
		return -1;
	}
	out->kind = SOCK_ADDR_UNIX;
	out->u.un.sun_family = AF_UNIX;
	memcpy(out->u.un.sun_path, s, n + 1);
	out->len = (socklen_t)(SUN_OFFSET + n + 1);
	return 0;
}

/* "@name": the kernel address is a NUL byte and the name, not terminated. */
static int
parse_abstract(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	size_t n = strlen(s + 1);
	char q[96];

	if (!sock_have_abstract()) {
		errbuf_set(err, errlen, "%s: abstract unix sockets exist only on Linux",
		    sock_quote(s, n + 1, q, sizeof(q)));
		return -1;
	}
	if (n == 0) {
		errbuf_set(err, errlen, "\"@\": empty abstract socket name");
		return -1;
	}
	if (n >= SUN_PATH_MAX) {
		errbuf_set(err, errlen, "%s: abstract socket name too long (%zu bytes, max %zu)",
		    sock_quote(s, n + 1, q, sizeof(q)), n, SUN_PATH_MAX - 1);
		return -1;
	}
	out->kind = SOCK_ADDR_ABSTRACT;
	out->u.un.sun_family = AF_UNIX;
	out->u.un.sun_path[0] = '\0';
	memcpy(out->u.un.sun_path + 1, s + 1, n);
	out->len = (socklen_t)(SUN_OFFSET + 1 + n);
	return 0;
}

static int
parse_shared(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	unsigned long long v;
	char q[96];

	if (!parse_uint(s + 1, SHARED_MAX, &v)) {
		errbuf_set(err, errlen, "%s: shared socket index must be a number 0-%d",
		    sock_quote(s, strlen(s), q, sizeof(q)), SHARED_MAX);
		return -1;
	}
	out->kind = SOCK_ADDR_SHARED;
	out->shared_index = (int)v;
	out->len = 0;
	return 0;
}

/* Why a host that is neither an IPv4 address nor [IPv6] was refused. */
static void
bad_host(const char *s, const char *host, size_t hlen, char *err, size_t errlen)
{
	bool letters = false, hostname = hlen > 0;
	char q[96], qh[96], v6[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	size_t i;

	for (i = 0; i < hlen; i++) {
		if (isalpha((unsigned char)host[i]))
			letters = true;
		else if (!isdigit((unsigned char)host[i]) && host[i] != '.' &&
		    host[i] != '-' && host[i] != '_')
			hostname = false;
	}
	sock_quote(s, strlen(s), q, sizeof(q));
	sock_quote(host, hlen, qh, sizeof(qh));
	if (hlen < sizeof(v6)) {
		memcpy(v6, host, hlen);
		v6[hlen] = '\0';
	} else
		v6[0] = '\0';
	if (inet_pton(AF_INET6, v6, &a6) == 1)
		errbuf_set(err, errlen, "%s: IPv6 addresses must be in brackets, "
		    "as in \"[::1]:8000\"", q);
	else if (hostname && letters && hlen == 9 && strncmp(host, "localhost", 9) == 0)
		errbuf_set(err, errlen, "%s: host names are not resolved (no DNS); "
		    "use 127.0.0.1 or [::1]", q);
	else if (hostname && letters)
		errbuf_set(err, errlen, "%s: host name %s is not resolved (no DNS); "
		    "use a numeric IPv4 address or [IPv6]", q, qh);
	else if (hostname)
		errbuf_set(err, errlen, "%s: invalid IPv4 address %s", q, qh);
	else
		errbuf_set(err, errlen, "%s: invalid host %s", q, qh);
}

static int
parse_port(const char *s, const char *p, unsigned *port, char *err, size_t errlen)
{
	unsigned long long v;
	char q[96], qp[96];

	if (*p == '\0') {
		errbuf_set(err, errlen, "%s: missing port", sock_quote(s, strlen(s), q, sizeof(q)));
		return -1;
	}
	if (!parse_uint(p, 65535, &v)) {
		errbuf_set(err, errlen, "%s: invalid port %s (digits, 0-65535)",
		    sock_quote(s, strlen(s), q, sizeof(q)), sock_quote(p, strlen(p), qp, sizeof(qp)));
		return -1;
	}
	*port = (unsigned)v;
	return 0;
}

/* "[v6]:port" */
static int
parse_inet6(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	const char *end = strchr(s, ']');
	char host[INET6_ADDRSTRLEN], q[96], qh[96];
	unsigned port;
	size_t hlen;

	sock_quote(s, strlen(s), q, sizeof(q));
	if (end == NULL) {
		errbuf_set(err, errlen, "%s: missing ']' after the IPv6 address", q);
		return -1;
	}
	if (end[1] != ':') {
		errbuf_set(err, errlen, "%s: expected ':' and a port after ']'", q);
		return -1;
	}
	hlen = (size_t)(end - (s + 1));
	if (memchr(s + 1, '%', hlen) != NULL) {
		errbuf_set(err, errlen, "%s: IPv6 scope ids are not supported", q);
		return -1;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		errbuf_set(err, errlen, "%s: invalid IPv6 address %s", q,
		    sock_quote(s + 1, hlen, qh, sizeof(qh)));
		return -1;
	}
	memcpy(host, s + 1, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET6, host, &out->u.in6.sin6_addr) != 1) {
		errbuf_set(err, errlen, "%s: invalid IPv6 address %s", q,
		    sock_quote(host, hlen, qh, sizeof(qh)));
		return -1;
	}
	if (parse_port(s, end + 2, &port, err, errlen) == -1)
		return -1;
	out->kind = SOCK_ADDR_INET6;
	out->u.in6.sin6_family = AF_INET6;
	out->u.in6.sin6_port = htons((uint16_t)port);
	out->len = sizeof(out->u.in6);
	return 0;
}

/* "ip:port" or ":port" (all IPv4 interfaces, as uWSGI). */
static int
parse_inet(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	size_t hlen = (size_t)(colon - s);
	unsigned port;

	if (hlen == 0)
		out->u.in.sin_addr.s_addr = htonl(INADDR_ANY);
	else {
		if (hlen >= sizeof(host)) {
			bad_host(s, s, hlen, err, errlen);
			return -1;
		}
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &out->u.in.sin_addr) != 1) {
			bad_host(s, s, hlen, err, errlen);
			return -1;
		}
	}
	if (parse_port(s, colon + 1, &port, err, errlen) == -1)
		return -1;
	out->kind = SOCK_ADDR_INET;
	out->u.in.sin_family = AF_INET;
	out->u.in.sin_port = htons((uint16_t)port);
	out->len = sizeof(out->u.in);
	return 0;
}

int
sock_parse_addr(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->shared_index = -1;
	if (s == NULL || *s == '\0') {
		errbuf_set(err, errlen, "empty socket address");
		rc = -1;
	} else if (s[0] == '=')
		rc = parse_shared(s, out, err, errlen);
	else if (s[0] == '@')
		rc = parse_abstract(s, out, err, errlen);
	else if (strchr(s, '/') != NULL || strchr(s, ':') == NULL)
		rc = parse_unix(s, out, err, errlen);
	else if (s[0] == '[')
		rc = parse_inet6(s, out, err, errlen);
	else
		rc = parse_inet(s, out, err, errlen);
	if (rc == -1)
		errno = EINVAL;
	return rc;
}

/* ---- Names ------------------------------------------------------------ */

/* Formats a kernel address; unmap shows ::ffff:a.b.c.d as a.b.c.d. */
static void
format_sa(const struct sockaddr *sa, socklen_t salen, bool unmap, char *buf, size_t len)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	char host[INET6_ADDRSTRLEN];
	struct in_addr v4;
	size_t n, i;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (sa->sa_family == AF_INET && salen >= sizeof(*in)) {
		if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)) != NULL)
			snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(*in6)) {
		if (unmap && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(&v4, in6->sin6_addr.s6_addr + 12, sizeof(v4));
			if (inet_ntop(AF_INET, &v4, host, sizeof(host)) != NULL)
				snprintf(buf, len, "%s:%u", host, ntohs(in6->sin6_port));
		} else if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)) != NULL)
			snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		if (salen <= SUN_OFFSET)
			return;		/* unnamed, as most unix peers are */
		n = salen - SUN_OFFSET;
		if (n > SUN_PATH_MAX)
			n = SUN_PATH_MAX;
		if (un->sun_path[0] != '\0')
			n = strnlen(un->sun_path, n);
		/* '@' for an abstract name's leading NUL; '?' for control bytes,
		 * so a name is always one printable line. */
		for (i = 0; i < n && i + 1 < len; i++) {
			if (i == 0 && un->sun_path[0] == '\0')
				buf[i] = '@';
			else if ((unsigned char)un->sun_path[i] < 0x20 ||
			    un->sun_path[i] == 0x7f)
				buf[i] = '?';
			else
				buf[i] = un->sun_path[i];
		}
		buf[i] = '\0';
	} else
		snprintf(buf, len, "(address family %d)", sa->sa_family);
}

void
sock_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	format_sa(sa, salen, true, buf, len);
}

void
sock_addr_format(const struct sock_addr *a, char *buf, size_t len)
{
	if (a->kind == SOCK_ADDR_SHARED)
		snprintf(buf, len, "=%d", a->shared_index);
	else
		format_sa(&a->u.sa, a->len, false, buf, len);
}

/* The bound or the peer address of fd, formatted. */
static int
fd_name(int fd, bool peer, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int rc;

	if (peer)
		rc = getpeername(fd, (struct sockaddr *)&ss, &sl);
	else
		rc = getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (rc == -1)
		return -1;
	format_sa((struct sockaddr *)&ss, sl, peer, buf, len);
	return 0;
}

int
sock_name(int fd, char *buf, size_t len)
{
	return fd_name(fd, false, buf, len);
}

int
sock_peer_name(int fd, char *buf, size_t len)
{
	return fd_name(fd, true, buf, len);
}
