/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets: parsing uWSGI socket addresses, binding them, their
 * unix-socket permissions, printable names, and handing them across exec()
 * on a graceful reload. No DNS anywhere. Library code: nothing logs or
 * exits; failures return -1 with a one-line reason in err (and errno set).
 */
#ifndef STOCKADE_SOCKET_H
#define STOCKADE_SOCKET_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

/* Environment variable that carries listening fds across a reload exec(). */
#define SOCK_ENV "STOCKADE_SOCKETS"

/* Enough for any formatted address: "[v6]:port", a unix path, "@name". */
#define SOCK_NAME_MAX 128

enum sock_kind {
	SOCK_ADDR_INET,		/* "1.2.3.4:80", ":80" (all IPv4 interfaces) */
	SOCK_ADDR_INET6,	/* "[::1]:80", "[::]:80" */
	SOCK_ADDR_UNIX,		/* a path: contains '/' or no ':' */
	SOCK_ADDR_ABSTRACT,	/* "@name": Linux abstract namespace */
	SOCK_ADDR_SHARED,	/* "=N": the Nth shared socket, not an address */
};

struct sock_addr {
	enum sock_kind	 kind;
	int		 shared_index;	/* SOCK_ADDR_SHARED only */
	socklen_t	 len;		/* of u, for bind() */
	union {
		struct sockaddr		sa;
		struct sockaddr_in	in;
		struct sockaddr_in6	in6;
		struct sockaddr_un	un;
		struct sockaddr_storage	ss;
	} u;
};

/*
 * Parses a socket address as uWSGI's --socket/--http-socket take it:
 *   "ip:port", ":port" (0.0.0.0), "[v6]:port", "=N", "@name", or a unix path
 *   (anything containing '/' or without ':').
 * Host names are refused (no DNS here). The port is 0-65535, digits only.
 * Returns 0, or -1 with a reason naming the input in err.
 */
int sock_parse_addr(const char *s, struct sock_addr *out, char *err, size_t errlen);

/* Formats a parsed address ("127.0.0.1:80", "[::1]:80", "/path", "@name", "=0"). */
void sock_addr_format(const struct sock_addr *a, char *buf, size_t len);

/*
 * Formats a kernel socket address as sock_name() does; an IPv4-mapped IPv6
 * address is shown as plain IPv4, an unnamed unix socket as "".
 */
void sock_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

/*
 * Creates a non-blocking, close-on-exec listening socket bound to a
 * (SO_REUSEADDR for TCP, IPV6_V6ONLY for IPv6, so "[::]:p" and
 * "0.0.0.0:p" coexist). A unix socket file left by a dead server is
 * replaced; one with a live server, or a file that is not a socket, is not.
 * Returns the fd, or -1 with err naming the address and the failing call.
 */
int sock_listen(const struct sock_addr *a, int backlog, char *err, size_t errlen);

/*
 * chmod-socket: mode is 1-4 octal digits ("660"); NULL or "" means 666, as
 * uWSGI. Abstract names ("@...") have no file and are left alone.
 * Returns 0 or -1 with err.
 */
int sock_chmod(const char *path, const char *mode, char *err, size_t errlen);
/* chown-socket: "user", "user:group" or ":group", names or numbers. 0 or -1. */
int sock_chown(const char *path, const char *owner, char *err, size_t errlen);

/* The bound (sock_name) or peer (sock_peer_name) address of fd; 0 or -1. */
int sock_name(int fd, char *buf, size_t len);
int sock_peer_name(int fd, char *buf, size_t len);

int sock_set_nonblock(int fd, bool on);
int sock_set_cloexec(int fd, bool on);

/*
 * accept4() with SOCK_NONBLOCK|SOCK_CLOEXEC, retrying EINTR. peer may be
 * NULL. Returns the new fd, or -1 with errno (EAGAIN when none is waiting).
 */
int sock_accept(int listen_fd, struct sock_addr *peer);

/*
 * Before a reload exec(): records "fd:name,..." in SOCK_ENV (names are the
 * configured address strings, escaped) and clears FD_CLOEXEC on the fds so
 * they survive the exec. Returns 0, or -1 with errno (fds then unchanged
 * from the failing one on).
 */
int sock_export_env(const int *fds, const char *const *names, size_t n);

/*
 * After the exec(): reads and unsets SOCK_ENV. For each configured name,
 * fds[i] becomes the inherited fd recorded under that name if it is still a
 * listening socket bound to that address (port 0 in the name matches any
 * port), with FD_CLOEXEC set again; otherwise -1 (bind it anew). Inherited
 * listening sockets that match no name are closed; recorded fds that are
 * not listening sockets are left alone, as they are not ours.
 * Returns how many fds were taken (0 when SOCK_ENV is unset), or -1 with err
 * if SOCK_ENV is malformed (then nothing is closed and all fds[] are -1).
 */
int sock_import_env(const char *const *names, size_t n, int *fds, char *err, size_t errlen);

#endif
