/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets: bind/listen (with unix socket file handling), accept,
 * the socket file's mode and owner, and fd flags. Never logs: errors go to
 * the caller's err buffer.
 */
#include "net/socket_internal.h"
#include "base/ids.h"
#include "base/util.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
		errbuf_set(err, errlen, "%s: lstat(): %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		errno = EADDRINUSE;
		errbuf_set(err, errlen, "%s: bind(): path exists and is not a socket", name);
		return -1;
	}
	/* Non-blocking, so a live server with a full backlog answers EAGAIN. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		errbuf_set(err, errlen, "%s: socket(): %s", name, strerror(errno));
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
		errbuf_set(err, errlen, "%s: connect() to the existing socket: %s",
		    name, strerror(saved));
		return -1;
	}
	if (rc == 0)
		goto live;
	if (unlink(path) == -1 && errno != ENOENT) {
		errbuf_set(err, errlen, "%s: unlink() of a stale socket: %s", name, strerror(errno));
		return -1;
	}
	return 0;
live:
	errno = EADDRINUSE;
	errbuf_set(err, errlen, "%s: address already in use (a server is accepting there)", name);
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
		errbuf_set(err, errlen, "%s: a shared socket reference cannot be bound", name);
		return -1;
	}
	if ((fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		errbuf_set(err, errlen, "%s: socket(): %s", name, strerror(errno));
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
	errbuf_set(err, errlen, "%s: %s: %s", name, call, strerror(errno));
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
		errbuf_set(err, errlen, "invalid socket mode %s (octal, as 660)",
		    sock_quote(mode, n, q, sizeof(q)));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (mode[i] < '0' || mode[i] > '7') {
			errno = EINVAL;
			errbuf_set(err, errlen, "invalid socket mode %s (octal, as 660)",
			    sock_quote(mode, n, q, sizeof(q)));
			return -1;
		}
		m = m * 8 + (mode_t)(mode[i] - '0');
	}
	if (chmod_nofollow(path, m) == -1) {
		errbuf_set(err, errlen, "%s: chmod(%04o): %s", sock_quote(path, strlen(path), q, sizeof(q)),
		    (unsigned)m, strerror(errno));
		return -1;
	}
	return 0;
}

/* The reason for a user or group that user_id()/group_id() did not know. */
static int
unknown_owner(const char *what, const char *s, char *err, size_t errlen)
{
	char q[96];

	errno = ENOENT;
	errbuf_set(err, errlen, "unknown %s %s", what, sock_quote(s, strlen(s), q, sizeof(q)));
	return -1;
}

int
sock_chown(const char *path, const char *owner, char *err, size_t errlen)
{
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
		errbuf_set(err, errlen, "invalid socket owner %s (user[:group])",
		    sock_quote(owner, strlen(owner), q, sizeof(q)));
		return -1;
	}
	memcpy(user, owner, ulen);
	user[ulen] = '\0';
	if (ulen > 0 && user_id(user, &uid) == -1)
		return unknown_owner("user", user, err, errlen);
	if (colon != NULL && colon[1] != '\0' && group_id(colon + 1, &gid) == -1)
		return unknown_owner("group", colon + 1, err, errlen);
	/* lchown: a symlink planted at the path is not followed to its target */
	if (lchown(path, uid, gid) == -1) {
		errbuf_set(err, errlen, "%s: chown(): %s", sock_quote(path, strlen(path), q, sizeof(q)),
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- Flags ------------------------------------------------------------ */

/* Sets or clears flag in the flags fcntl() reads with get and writes with set. */
static int
fcntl_flag(int fd, int get, int set, int flag, bool on)
{
	int fl;

	if ((fl = fcntl(fd, get)) == -1)
		return -1;
	fl = on ? fl | flag : fl & ~flag;
	return fcntl(fd, set, fl) == -1 ? -1 : 0;
}

int
sock_set_nonblock(int fd, bool on)
{
	return fcntl_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int
sock_set_cloexec(int fd, bool on)
{
	return fcntl_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}
