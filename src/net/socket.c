/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets: uWSGI address syntax, bind/listen, unix socket file
 * handling, printable names and fd hand-over across a reload exec().
 * Never resolves names, never logs: errors go to the caller's err buffer.
 */
#include "net/socket.h"
#include "base/util.h"

#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#define SOCK_HAVE_ABSTRACT 1
#else
#define SOCK_HAVE_ABSTRACT 0
#endif

#define SUN_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)
#define SUN_OFFSET	offsetof(struct sockaddr_un, sun_path)
#define SHARED_MAX	65535

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills err (if given) without disturbing errno. */
static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

/*
 * Quotes untrusted text for a one-line message: escapes quotes, backslashes
 * and control bytes, and shortens it, so a config value cannot forge lines.
 */
static const char *
quote(const char *s, size_t n, char *buf, size_t len)
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
		seterr(err, errlen, "%s: unix socket path too long (%zu bytes, max %zu)",
		    quote(s, n, q, sizeof(q)), n, SUN_PATH_MAX - 1);
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

	if (!SOCK_HAVE_ABSTRACT) {
		seterr(err, errlen, "%s: abstract unix sockets exist only on Linux",
		    quote(s, n + 1, q, sizeof(q)));
		return -1;
	}
	if (n == 0) {
		seterr(err, errlen, "\"@\": empty abstract socket name");
		return -1;
	}
	if (n >= SUN_PATH_MAX) {
		seterr(err, errlen, "%s: abstract socket name too long (%zu bytes, max %zu)",
		    quote(s, n + 1, q, sizeof(q)), n, SUN_PATH_MAX - 1);
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
		seterr(err, errlen, "%s: shared socket index must be a number 0-%d",
		    quote(s, strlen(s), q, sizeof(q)), SHARED_MAX);
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
	quote(s, strlen(s), q, sizeof(q));
	quote(host, hlen, qh, sizeof(qh));
	if (hlen < sizeof(v6)) {
		memcpy(v6, host, hlen);
		v6[hlen] = '\0';
	} else
		v6[0] = '\0';
	if (inet_pton(AF_INET6, v6, &a6) == 1)
		seterr(err, errlen, "%s: IPv6 addresses must be in brackets, "
		    "as in \"[::1]:8000\"", q);
	else if (hostname && letters && hlen == 9 && strncmp(host, "localhost", 9) == 0)
		seterr(err, errlen, "%s: host names are not resolved (no DNS); "
		    "use 127.0.0.1 or [::1]", q);
	else if (hostname && letters)
		seterr(err, errlen, "%s: host name %s is not resolved (no DNS); "
		    "use a numeric IPv4 address or [IPv6]", q, qh);
	else if (hostname)
		seterr(err, errlen, "%s: invalid IPv4 address %s", q, qh);
	else
		seterr(err, errlen, "%s: invalid host %s", q, qh);
}

static int
parse_port(const char *s, const char *p, unsigned *port, char *err, size_t errlen)
{
	unsigned long long v;
	char q[96], qp[96];

	if (*p == '\0') {
		seterr(err, errlen, "%s: missing port", quote(s, strlen(s), q, sizeof(q)));
		return -1;
	}
	if (!parse_uint(p, 65535, &v)) {
		seterr(err, errlen, "%s: invalid port %s (digits, 0-65535)",
		    quote(s, strlen(s), q, sizeof(q)), quote(p, strlen(p), qp, sizeof(qp)));
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

	quote(s, strlen(s), q, sizeof(q));
	if (end == NULL) {
		seterr(err, errlen, "%s: missing ']' after the IPv6 address", q);
		return -1;
	}
	if (end[1] != ':') {
		seterr(err, errlen, "%s: expected ':' and a port after ']'", q);
		return -1;
	}
	hlen = (size_t)(end - (s + 1));
	if (memchr(s + 1, '%', hlen) != NULL) {
		seterr(err, errlen, "%s: IPv6 scope ids are not supported", q);
		return -1;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		seterr(err, errlen, "%s: invalid IPv6 address %s", q,
		    quote(s + 1, hlen, qh, sizeof(qh)));
		return -1;
	}
	memcpy(host, s + 1, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET6, host, &out->u.in6.sin6_addr) != 1) {
		seterr(err, errlen, "%s: invalid IPv6 address %s", q,
		    quote(host, hlen, qh, sizeof(qh)));
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
		seterr(err, errlen, "empty socket address");
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

int
sock_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	format_sa((struct sockaddr *)&ss, sl, false, buf, len);
	return 0;
}

int
sock_peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	format_sa((struct sockaddr *)&ss, sl, true, buf, len);
	return 0;
}

/* ---- Listening -------------------------------------------------------- */

/*
 * bind() found something at a unix socket path. A socket file nobody
 * accepts on (connect() refused) is a leftover of a dead server: unlink it.
 * Returns 0 to try bind() again, -1 with err set to give up.
 */
static int
unix_clear_stale(const struct sock_addr *a, const char *name, char *err, size_t errlen)
{
	const char *path = a->u.un.sun_path;
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;	/* gone meanwhile */
		seterr(err, errlen, "%s: lstat(): %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		errno = EADDRINUSE;
		seterr(err, errlen, "%s: bind(): path exists and is not a socket", name);
		return -1;
	}
	/* Non-blocking, so a live server with a full backlog answers EAGAIN. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		seterr(err, errlen, "%s: socket(): %s", name, strerror(errno));
		return -1;
	}
	rc = connect(fd, &a->u.sa, a->len);
	saved = errno;
	close(fd);
	if (rc == -1 && saved == ENOENT)
		return 0;
	if (rc == -1 && saved != ECONNREFUSED) {
		if (saved == EAGAIN || saved == EINPROGRESS || saved == EPROTOTYPE)
			goto live;
		errno = saved;
		seterr(err, errlen, "%s: connect() to the existing socket: %s",
		    name, strerror(saved));
		return -1;
	}
	if (rc == 0)
		goto live;
	if (unlink(path) == -1 && errno != ENOENT) {
		seterr(err, errlen, "%s: unlink() of a stale socket: %s", name, strerror(errno));
		return -1;
	}
	return 0;
live:
	errno = EADDRINUSE;
	seterr(err, errlen, "%s: address already in use (a server is accepting there)", name);
	return -1;
}

/*
 * A unix socket file is created owner-only whatever the umask: once it
 * listens, anyone its mode admits can connect, so it must never be wider
 * than what `chmod-socket` asks for later (sock_chmod widens it).
 */
static int
unix_bind(int fd, const struct sock_addr *a)
{
	mode_t old;
	int rc, saved;

	if (a->kind != SOCK_ADDR_UNIX)
		return bind(fd, &a->u.sa, a->len);
	old = umask(0077);
	umask(old | 0077);
	rc = bind(fd, &a->u.sa, a->len);
	saved = errno;
	umask(old);
	errno = saved;
	return rc;
}

int
sock_listen(const struct sock_addr *a, int backlog, char *err, size_t errlen)
{
	char name[SOCK_NAME_MAX];
	const char *call;
	int fd, one = 1;

	sock_addr_format(a, name, sizeof(name));
	if (a->kind == SOCK_ADDR_SHARED) {
		errno = EINVAL;
		seterr(err, errlen, "%s: a shared socket reference cannot be bound", name);
		return -1;
	}
	if ((fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		seterr(err, errlen, "%s: socket(): %s", name, strerror(errno));
		return -1;
	}
	call = "setsockopt(SO_REUSEADDR)";
	if ((a->kind == SOCK_ADDR_INET || a->kind == SOCK_ADDR_INET6) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	/* v6 only, so "[::]:p" does not take the IPv4 side of "0.0.0.0:p". */
	call = "setsockopt(IPV6_V6ONLY)";
	if (a->kind == SOCK_ADDR_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	call = "bind()";
	if (unix_bind(fd, a) == -1) {
		if (a->kind != SOCK_ADDR_UNIX || errno != EADDRINUSE)
			goto fail;
		if (unix_clear_stale(a, name, err, errlen) == -1)
			goto fail_err_set;
		if (unix_bind(fd, a) == -1)
			goto fail;
	}
	call = "listen()";
	if (listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	seterr(err, errlen, "%s: %s: %s", name, call, strerror(errno));
fail_err_set:
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

int
sock_accept(int listen_fd, struct sock_addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	do {
		sl = sizeof(ss);
		fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd == -1 && errno == EINTR);
	if (fd == -1 || peer == NULL)
		return fd;
	memset(peer, 0, sizeof(*peer));
	peer->shared_index = -1;
	if (sl > sizeof(peer->u))
		sl = sizeof(peer->u);
	memcpy(&peer->u, &ss, sl);
	peer->len = sl;
	if (ss.ss_family == AF_INET)
		peer->kind = SOCK_ADDR_INET;
	else if (ss.ss_family == AF_INET6)
		peer->kind = SOCK_ADDR_INET6;
	else if (sl > SUN_OFFSET && peer->u.un.sun_path[0] == '\0')
		peer->kind = SOCK_ADDR_ABSTRACT;
	else
		peer->kind = SOCK_ADDR_UNIX;
	return fd;
}

/* ---- File mode and owner ---------------------------------------------- */

/*
 * chmod() of the socket file itself: a symlink planted at its path (the
 * directory may be writable by a tenant) is refused, never followed.
 * glibc implements AT_SYMLINK_NOFOLLOW through /proc; without /proc (a
 * chroot) it fails with EOPNOTSUPP, and a path that lstat() shows is a
 * socket is changed by name.
 */
static int
chmod_nofollow(const char *path, mode_t m)
{
	struct stat st;

	if (fchmodat(AT_FDCWD, path, m, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOTSUP)
		return -1;
	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	return chmod(path, m);
}

int
sock_chmod(const char *path, const char *mode, char *err, size_t errlen)
{
	mode_t m = 0;
	size_t i, n = mode ? strlen(mode) : 0;
	char q[96];

	if (path[0] == '@')
		return 0;	/* abstract: no file to change */
	if (n == 0)
		m = 0666;
	else if (n > 4) {
		errno = EINVAL;
		seterr(err, errlen, "invalid socket mode %s (octal, as 660)",
		    quote(mode, n, q, sizeof(q)));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (mode[i] < '0' || mode[i] > '7') {
			errno = EINVAL;
			seterr(err, errlen, "invalid socket mode %s (octal, as 660)",
			    quote(mode, n, q, sizeof(q)));
			return -1;
		}
		m = m * 8 + (mode_t)(mode[i] - '0');
	}
	if (chmod_nofollow(path, m) == -1) {
		seterr(err, errlen, "%s: chmod(%04o): %s", quote(path, strlen(path), q, sizeof(q)),
		    (unsigned)m, strerror(errno));
		return -1;
	}
	return 0;
}

/* A user or group: all digits is an id, anything else a name to look up. */
static int
owner_id(const char *s, bool group, unsigned long long *id, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	char q[96];

	if (parse_uint(s, (unsigned long long)(id_t)-2, id))
		return 0;
	if (group) {
		if ((gr = getgrnam(s)) != NULL) {
			*id = gr->gr_gid;
			return 0;
		}
	} else if ((pw = getpwnam(s)) != NULL) {
		*id = pw->pw_uid;
		return 0;
	}
	errno = ENOENT;
	seterr(err, errlen, "unknown %s %s", group ? "group" : "user",
	    quote(s, strlen(s), q, sizeof(q)));
	return -1;
}

int
sock_chown(const char *path, const char *owner, char *err, size_t errlen)
{
	unsigned long long id;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	const char *colon;
	char user[256], q[96];
	size_t ulen;

	if (path[0] == '@')
		return 0;
	colon = strchr(owner, ':');
	ulen = colon ? (size_t)(colon - owner) : strlen(owner);
	if (ulen >= sizeof(user) || (ulen == 0 && (colon == NULL || colon[1] == '\0'))) {
		errno = EINVAL;
		seterr(err, errlen, "invalid socket owner %s (user[:group])",
		    quote(owner, strlen(owner), q, sizeof(q)));
		return -1;
	}
	memcpy(user, owner, ulen);
	user[ulen] = '\0';
	if (ulen > 0) {
		if (owner_id(user, false, &id, err, errlen) == -1)
			return -1;
		uid = (uid_t)id;
	}
	if (colon != NULL && colon[1] != '\0') {
		if (owner_id(colon + 1, true, &id, err, errlen) == -1)
			return -1;
		gid = (gid_t)id;
	}
	/* lchown: a symlink planted at the path is not followed to its target */
	if (lchown(path, uid, gid) == -1) {
		seterr(err, errlen, "%s: chown(): %s", quote(path, strlen(path), q, sizeof(q)),
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- Flags ------------------------------------------------------------ */

int
sock_set_nonblock(int fd, bool on)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) == -1 ? -1 : 0;
}

int
sock_set_cloexec(int fd, bool on)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1)
		return -1;
	fl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
	return fcntl(fd, F_SETFD, fl) == -1 ? -1 : 0;
}

/* ---- Hand-over across exec() ------------------------------------------ */

/*
 * Names are config strings and may hold ',' (the separator), '%' or any
 * byte: those are written as %XX so the value stays one parseable line.
 */
static void
env_escape(struct strbuf *sb, const char *s)
{
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c == '%' || c == ',' || c < 0x20 || c >= 0x7f)
			sb_addf(sb, "%%%02X", c);
		else
			sb_addc(sb, (char)c);
	}
}

int
sock_export_env(const int *fds, const char *const *names, size_t n)
{
	struct strbuf sb;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (fds[i] < 0) {
			errno = EBADF;
			return -1;
		}
	}
	if (n == 0)
		return unsetenv(SOCK_ENV);
	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_addc(&sb, ',');
		sb_addf(&sb, "%d:", fds[i]);
		env_escape(&sb, names[i]);
	}
	rc = setenv(SOCK_ENV, sb.buf, 1);
	sb_free(&sb);
	if (rc == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (sock_set_cloexec(fds[i], false) == -1)
			return -1;
	}
	return 0;
}

struct inherited {
	int	 fd;
	char	*name;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses one "fd:name" entry of length n; name is decoded in place. */
static int
env_entry(char *s, size_t n, struct inherited *e)
{
	unsigned long long fd;
	char *colon = memchr(s, ':', n), *o;
	size_t i;
	int hi, lo;

	if (colon == NULL || colon == s)
		return -1;
	*colon = '\0';
	if (!parse_uint(s, INT_MAX, &fd))
		return -1;
	e->fd = (int)fd;
	e->name = o = colon + 1;
	for (i = (size_t)(colon + 1 - s); i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0 ||
		    (hi == 0 && lo == 0))
			return -1;
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return 0;
}

static bool
is_listening(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v != 0;
}

/* Is fd bound to the address that name parses to? Port 0 matches any port. */
static bool
bound_to(int fd, const char *name)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *un = (struct sockaddr_un *)&ss;
	socklen_t sl = sizeof(ss);
	struct sock_addr a;
	size_t n;

	if (sock_parse_addr(name, &a, NULL, 0) == -1)
		return false;
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return false;
	switch (a.kind) {
	case SOCK_ADDR_INET:
		return ss.ss_family == AF_INET &&
		    in->sin_addr.s_addr == a.u.in.sin_addr.s_addr &&
		    (a.u.in.sin_port == 0 || in->sin_port == a.u.in.sin_port);
	case SOCK_ADDR_INET6:
		return ss.ss_family == AF_INET6 &&
		    memcmp(&in6->sin6_addr, &a.u.in6.sin6_addr, sizeof(in6->sin6_addr)) == 0 &&
		    (a.u.in6.sin6_port == 0 || in6->sin6_port == a.u.in6.sin6_port);
	case SOCK_ADDR_UNIX:
		if (ss.ss_family != AF_UNIX || sl <= SUN_OFFSET)
			return false;
		n = strnlen(un->sun_path, sl - SUN_OFFSET);
		return n > 0 && strlen(a.u.un.sun_path) == n &&
		    memcmp(un->sun_path, a.u.un.sun_path, n) == 0;
	case SOCK_ADDR_ABSTRACT:
		return ss.ss_family == AF_UNIX && sl == a.len &&
		    memcmp(un->sun_path, a.u.un.sun_path, sl - SUN_OFFSET) == 0;
	case SOCK_ADDR_SHARED:
		break;
	}
	return false;
}

static bool
taken(const int *fds, size_t n, int fd)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] == fd)
			return true;
	return false;
}

int
sock_import_env(const char *const *names, size_t n, int *fds, char *err, size_t errlen)
{
	struct inherited *v;
	const char *env;
	char *copy, *p, *comma, q[96];
	size_t i, j, count, nv = 0;
	int found = 0;
	bool last;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	if ((env = getenv(SOCK_ENV)) == NULL)
		return 0;
	copy = xstrdup(env);
	if (unsetenv(SOCK_ENV) == -1) {
		seterr(err, errlen, "unsetenv(%s): %s", SOCK_ENV, strerror(errno));
		free(copy);
		return -1;
	}
	for (count = 1, p = copy; *p; p++)
		count += *p == ',';
	v = xcalloc(count, sizeof(*v));

	/* Check every entry before touching any fd. */
	for (p = copy, last = *copy == '\0'; !last; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		last = *comma == '\0';
		if (env_entry(p, (size_t)(comma - p), &v[nv]) == -1) {
			errno = EINVAL;
			seterr(err, errlen, "%s: malformed entry %zu in %s (expected fd:name)",
			    SOCK_ENV, nv + 1, quote(env, strlen(env), q, sizeof(q)));
			free(v);
			free(copy);
			return -1;
		}
		nv++;
	}

	for (j = 0; j < nv; j++) {
		/* Not a listening socket (or not open): not ours to close. */
		if (taken(fds, n, v[j].fd) || !is_listening(v[j].fd))
			continue;
		for (i = 0; i < n; i++) {
			if (fds[i] == -1 && strcmp(names[i], v[j].name) == 0 &&
			    bound_to(v[j].fd, names[i]))
				break;
		}
		if (i < n && sock_set_cloexec(v[j].fd, true) == 0) {
			fds[i] = v[j].fd;
			found++;
		} else
			close(v[j].fd);	/* no longer configured, or moved */
	}
	free(v);
	free(copy);
	return found;
}
