/* SPDX-License-Identifier: MIT */
/*
 * Socket addresses, listening, unix socket files, names and the reload
 * hand-over. Only 127.0.0.1, ::1 and unix sockets in a private temp dir.
 */
#include "net/socket.h"

#include <criterion/criterion.h>

#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static void
make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/stockade-sock-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", tmpdir);
}

static void
tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int
listen_on(const char *addr)
{
	struct sock_addr a;
	char err[256];
	int fd;

	cr_assert_eq(sock_parse_addr(addr, &a, err, sizeof(err)), 0, "%s: %s", addr, err);
	fd = sock_listen(&a, 16, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s: %s", addr, err);
	return fd;
}

/* A plain blocking client connected to what fd listens on. */
static int
connect_to(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&ss, &sl), 0);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&ss, sl), 0, "connect: %s", strerror(errno));
	return fd;
}

static void
wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	cr_assert_eq(poll(&pfd, 1, 2000), 1);
}

static bool
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static bool
has_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	cr_assert_neq(fl, -1);
	return (fl & FD_CLOEXEC) != 0;
}

static bool
has_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	cr_assert_neq(fl, -1);
	return (fl & O_NONBLOCK) != 0;
}

/* ---- parsing ---------------------------------------------------------- */

struct accept_case {
	const char *in;
	enum sock_kind kind;
	const char *shown;	/* sock_addr_format() */
};

static const struct accept_case accepted[] = {
	{ "127.0.0.1:8000",	SOCK_ADDR_INET,		"127.0.0.1:8000" },
	{ ":3031",		SOCK_ADDR_INET,		"0.0.0.0:3031" },	/* uWSGI: all IPv4 */
	{ "0.0.0.0:0",		SOCK_ADDR_INET,		"0.0.0.0:0" },
	{ "10.1.2.3:65535",	SOCK_ADDR_INET,		"10.1.2.3:65535" },
	{ "127.0.0.1:00080",	SOCK_ADDR_INET,		"127.0.0.1:80" },	/* digits only, zeros fine */
	{ "[::1]:8000",		SOCK_ADDR_INET6,	"[::1]:8000" },
	{ "[::]:80",		SOCK_ADDR_INET6,	"[::]:80" },
	{ "[2001:db8::1]:443",	SOCK_ADDR_INET6,	"[2001:db8::1]:443" },
	{ "[::ffff:127.0.0.1]:80", SOCK_ADDR_INET6,	"[::ffff:127.0.0.1]:80" },	/* bound: stays v6 */
	{ "/tmp/app.sock",	SOCK_ADDR_UNIX,		"/tmp/app.sock" },
	{ "app.sock",		SOCK_ADDR_UNIX,		"app.sock" },		/* no ':' */
	{ "run/a:b.sock",	SOCK_ADDR_UNIX,		"run/a:b.sock" },	/* has '/' */
	{ "./127.0.0.1:80",	SOCK_ADDR_UNIX,		"./127.0.0.1:80" },
	{ "@stockade",		SOCK_ADDR_ABSTRACT,	"@stockade" },
	{ "@a:b",		SOCK_ADDR_ABSTRACT,	"@a:b" },
	{ "@/x",		SOCK_ADDR_ABSTRACT,	"@/x" },
	{ "=0",			SOCK_ADDR_SHARED,	"=0" },
	{ "=12",		SOCK_ADDR_SHARED,	"=12" },
};

Test(parse, accepted_addresses)
{
	struct sock_addr a;
	char err[256], shown[SOCK_NAME_MAX];
	size_t i;

	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(sock_parse_addr(accepted[i].in, &a, err, sizeof(err)), 0,
		    "%s rejected: %s", accepted[i].in, err);
		cr_assert_eq(a.kind, accepted[i].kind, "%s: kind %d", accepted[i].in, a.kind);
		sock_addr_format(&a, shown, sizeof(shown));
		cr_assert_str_eq(shown, accepted[i].shown, "%s", accepted[i].in);
	}
}

Test(parse, fields)
{
	struct sock_addr a;

	cr_assert_eq(sock_parse_addr("=7", &a, NULL, 0), 0);
	cr_assert_eq(a.shared_index, 7);
	cr_assert_eq(sock_parse_addr(":3031", &a, NULL, 0), 0);
	cr_assert_eq(a.u.in.sin_family, AF_INET);
	cr_assert_eq(a.u.in.sin_addr.s_addr, htonl(INADDR_ANY));
	cr_assert_eq(ntohs(a.u.in.sin_port), 3031);
	cr_assert_eq(a.len, sizeof(struct sockaddr_in));
	cr_assert_eq(sock_parse_addr("[::1]:1", &a, NULL, 0), 0);
	cr_assert(IN6_IS_ADDR_LOOPBACK(&a.u.in6.sin6_addr));
	cr_assert_eq(sock_parse_addr("@ab", &a, NULL, 0), 0);
	cr_assert_eq(a.u.un.sun_path[0], '\0');
	cr_assert_eq(memcmp(a.u.un.sun_path + 1, "ab", 2), 0);
	cr_assert_eq(a.len, offsetof(struct sockaddr_un, sun_path) + 3, "exact length, no padding");
}

struct reject_case {
	const char *in;
	const char *err;	/* expected text, whole */
};

static const struct reject_case rejected[] = {
	{ "", "empty socket address" },
	{ "=", "\"=\": shared socket index must be a number 0-65535" },
	{ "=x", "\"=x\": shared socket index must be a number 0-65535" },
	{ "=-1", "\"=-1\": shared socket index must be a number 0-65535" },
	{ "=65536", "\"=65536\": shared socket index must be a number 0-65535" },
	{ "@", "\"@\": empty abstract socket name" },
	{ "127.0.0.1:", "\"127.0.0.1:\": missing port" },
	{ "127.0.0.1:65536", "\"127.0.0.1:65536\": invalid port \"65536\" (digits, 0-65535)" },
	{ "127.0.0.1:-1", "\"127.0.0.1:-1\": invalid port \"-1\" (digits, 0-65535)" },
	{ "127.0.0.1:+80", "\"127.0.0.1:+80\": invalid port \"+80\" (digits, 0-65535)" },
	{ "127.0.0.1: 80", "\"127.0.0.1: 80\": invalid port \" 80\" (digits, 0-65535)" },
	{ "127.0.0.1:80 ", "\"127.0.0.1:80 \": invalid port \"80 \" (digits, 0-65535)" },
	{ "127.0.0.1:0x50", "\"127.0.0.1:0x50\": invalid port \"0x50\" (digits, 0-65535)" },
	{ "localhost:8000", "\"localhost:8000\": host names are not resolved (no DNS); "
	    "use 127.0.0.1 or [::1]" },
	{ "example.com:80", "\"example.com:80\": host name \"example.com\" is not resolved "
	    "(no DNS); use a numeric IPv4 address or [IPv6]" },
	{ "1.2.3:80", "\"1.2.3:80\": invalid IPv4 address \"1.2.3\"" },
	{ "256.1.1.1:80", "\"256.1.1.1:80\": invalid IPv4 address \"256.1.1.1\"" },
	{ "::1:80", "\"::1:80\": IPv6 addresses must be in brackets, as in \"[::1]:8000\"" },
	{ "1.2.3.4:80:90", "\"1.2.3.4:80:90\": invalid host \"1.2.3.4:80\"" },
	{ "*:80", "\"*:80\": invalid host \"*\"" },
	{ "[::1]", "\"[::1]\": expected ':' and a port after ']'" },
	{ "[::1]80:", "\"[::1]80:\": expected ':' and a port after ']'" },
	{ "[::1:80", "\"[::1:80\": missing ']' after the IPv6 address" },
	{ "[]:80", "\"[]:80\": invalid IPv6 address \"\"" },
	{ "[1.2.3.4]:80", "\"[1.2.3.4]:80\": invalid IPv6 address \"1.2.3.4\"" },
	{ "[fe80::1%eth0]:80", "\"[fe80::1%eth0]:80\": IPv6 scope ids are not supported" },
	{ "[::1]:99999", "\"[::1]:99999\": invalid port \"99999\" (digits, 0-65535)" },
	{ "a\nb:80", "\"a\\x0ab:80\": invalid host \"a\\x0ab\"" },
	{ "\"q\":1", "\"\\\"q\\\":1\": invalid host \"\\\"q\\\"\"" },
};

Test(parse, rejected_addresses)
{
	struct sock_addr a;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		errno = 0;
		err[0] = '\0';
		cr_assert_eq(sock_parse_addr(rejected[i].in, &a, err, sizeof(err)), -1,
		    "%s accepted", rejected[i].in);
		cr_assert_eq(errno, EINVAL);
		cr_assert_str_eq(err, rejected[i].err);
		cr_assert_null(strchr(err, '\n'), "error is one line");
	}
}

Test(parse, length_limits)
{
	char s[300], err[256], want[256];
	struct sock_addr a;
	size_t max = sizeof(a.u.un.sun_path) - 1;

	/* Longest path that fits, then one byte more. */
	memset(s, 'a', sizeof(s));
	s[0] = '/';
	s[max] = '\0';
	cr_assert_eq(sock_parse_addr(s, &a, err, sizeof(err)), 0, "%s", err);
	s[max] = 'a';
	s[max + 1] = '\0';
	cr_assert_eq(sock_parse_addr(s, &a, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "unix socket path too long (%zu bytes, max %zu)", max + 1, max);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_not_null(strstr(err, "...\""), "long input is shortened: %s", err);

	s[0] = '@';
	s[max + 1] = '\0';
	cr_assert_eq(sock_parse_addr(s, &a, err, sizeof(err)), 0, "%s", err);
	s[max + 1] = 'a';
	s[max + 2] = '\0';
	cr_assert_eq(sock_parse_addr(s, &a, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "abstract socket name too long"), "%s", err);

	/* A tiny error buffer is truncated, not overrun. */
	cr_assert_eq(sock_parse_addr("localhost:1", &a, err, 8), -1);
	cr_assert_eq(strlen(err), 7);
	cr_assert_eq(sock_parse_addr("localhost:1", &a, NULL, 0), -1);
}

/* ---- names ------------------------------------------------------------ */

Test(names, v4_mapped_peer_is_shown_as_v4)
{
	struct sockaddr_in6 in6 = { 0 };
	struct sockaddr_in in = { 0 };
	struct sockaddr_un un = { 0 };
	char buf[SOCK_NAME_MAX];

	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(1234);
	cr_assert_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr), 1);
	sock_format((struct sockaddr *)&in6, sizeof(in6), buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1:1234");
	cr_assert_eq(inet_pton(AF_INET6, "::1", &in6.sin6_addr), 1);
	sock_format((struct sockaddr *)&in6, sizeof(in6), buf, sizeof(buf));
	cr_assert_str_eq(buf, "[::1]:1234");

	in.sin_family = AF_INET;
	in.sin_port = htons(80);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock_format((struct sockaddr *)&in, sizeof(in), buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1:80");
	sock_format((struct sockaddr *)&in, sizeof(in), buf, 4);
	cr_assert_str_eq(buf, "127", "truncated, terminated");

	un.sun_family = AF_UNIX;
	sock_format((struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path), buf, sizeof(buf));
	cr_assert_str_eq(buf, "", "unnamed unix peer");
	memcpy(un.sun_path, "\0ab\ncd", 6);
	sock_format((struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path) + 6, buf,
	    sizeof(buf));
	cr_assert_str_eq(buf, "@ab?cd", "abstract, control bytes masked");
	sock_format((struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path) + 6, buf, 1);
	cr_assert_str_eq(buf, "");
}

/* ---- listening -------------------------------------------------------- */

Test(listen, tcp4_loopback)
{
	char name[SOCK_NAME_MAX], peer[SOCK_NAME_MAX], cname[SOCK_NAME_MAX];
	struct sock_addr pa;
	int lfd, cfd, afd, v = 0;
	socklen_t l = sizeof(v);

	lfd = listen_on("127.0.0.1:0");
	cr_assert(has_nonblock(lfd));
	cr_assert(has_cloexec(lfd));
	cr_assert_eq(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &v, &l), 0);
	cr_assert_neq(v, 0, "SO_REUSEADDR");
	cr_assert_eq(sock_name(lfd, name, sizeof(name)), 0);
	cr_assert_eq(strncmp(name, "127.0.0.1:", 10), 0, "%s", name);
	cr_assert_neq(strcmp(name, "127.0.0.1:0"), 0, "a port was chosen");

	errno = 0;
	cr_assert_eq(sock_accept(lfd, NULL), -1, "nobody is waiting");
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);

	cfd = connect_to(lfd);
	wait_readable(lfd);
	afd = sock_accept(lfd, &pa);
	cr_assert_geq(afd, 0);
	cr_assert(has_nonblock(afd));
	cr_assert(has_cloexec(afd));
	cr_assert_eq(pa.kind, SOCK_ADDR_INET);
	cr_assert_eq(sock_peer_name(afd, peer, sizeof(peer)), 0);
	cr_assert_eq(sock_name(cfd, cname, sizeof(cname)), 0);
	cr_assert_str_eq(peer, cname);
	sock_addr_format(&pa, peer, sizeof(peer));
	cr_assert_str_eq(peer, cname);
	cr_assert_eq(sock_peer_name(lfd, peer, sizeof(peer)), -1, "a listener has no peer");
	close(afd);
	close(cfd);
	close(lfd);
}

Test(listen, port_in_use_names_address_and_call)
{
	char name[SOCK_NAME_MAX], err[256], want[256];
	struct sock_addr a;
	int lfd;

	lfd = listen_on("127.0.0.1:0");
	cr_assert_eq(sock_name(lfd, name, sizeof(name)), 0);
	cr_assert_eq(sock_parse_addr(name, &a, err, sizeof(err)), 0);
	errno = 0;
	cr_assert_eq(sock_listen(&a, 16, err, sizeof(err)), -1);
	cr_assert_eq(errno, EADDRINUSE);
	snprintf(want, sizeof(want), "%s: bind(): %s", name, strerror(EADDRINUSE));
	cr_assert_str_eq(err, want);
	close(lfd);
}

Test(listen, tcp6_loopback)
{
	char name[SOCK_NAME_MAX], err[256];
	struct sock_addr a;
	int lfd, cfd, afd, v = 0;
	socklen_t l = sizeof(v);

	cr_assert_eq(sock_parse_addr("[::1]:0", &a, err, sizeof(err)), 0);
	lfd = sock_listen(&a, 16, err, sizeof(err));
	if (lfd == -1 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		cr_skip_test("no IPv6 loopback here: %s", err);
	cr_assert_geq(lfd, 0, "%s", err);
	cr_assert_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l), 0);
	cr_assert_eq(v, 1, "IPV6_V6ONLY must be on");
	cr_assert_eq(sock_name(lfd, name, sizeof(name)), 0);
	cr_assert_eq(strncmp(name, "[::1]:", 6), 0, "%s", name);

	cfd = connect_to(lfd);
	wait_readable(lfd);
	afd = sock_accept(lfd, NULL);
	cr_assert_geq(afd, 0);
	cr_assert_eq(sock_peer_name(afd, name, sizeof(name)), 0);
	cr_assert_eq(strncmp(name, "[::1]:", 6), 0, "%s", name);
	close(afd);
	close(cfd);
	close(lfd);
}

Test(listen, shared_reference_is_not_bindable)
{
	struct sock_addr a;
	char err[256];

	cr_assert_eq(sock_parse_addr("=0", &a, err, sizeof(err)), 0);
	cr_assert_eq(sock_listen(&a, 16, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "=0: a shared socket reference cannot be bound");
}

Test(listen, unix_path, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char path[128], name[SOCK_NAME_MAX];
	struct stat st;
	int lfd, cfd, afd;

	tmp_path(path, sizeof(path), "app.sock");
	lfd = listen_on(path);
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(sock_name(lfd, name, sizeof(name)), 0);
	cr_assert_str_eq(name, path);
	cfd = connect_to(lfd);
	wait_readable(lfd);
	afd = sock_accept(lfd, NULL);
	cr_assert_geq(afd, 0);
	cr_assert_eq(sock_peer_name(afd, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "", "unnamed client");
	close(afd);
	close(cfd);
	close(lfd);
}

Test(listen, unix_stale_file_is_replaced, .init = make_tmpdir, .fini = remove_tmpdir)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char path[128];
	int fd, lfd, cfd;

	/* A socket file whose server died: bound, never unlinked. */
	tmp_path(path, sizeof(path), "stale.sock");
	strcpy(un.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	close(fd);
	cr_assert_eq(access(path, F_OK), 0);

	lfd = listen_on(path);
	cfd = connect_to(lfd);
	close(cfd);
	close(lfd);
}

Test(listen, unix_live_server_is_refused, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char path[128], err[256], want[256];
	struct sock_addr a;
	int lfd, cfd;

	tmp_path(path, sizeof(path), "live.sock");
	lfd = listen_on(path);
	cr_assert_eq(sock_parse_addr(path, &a, err, sizeof(err)), 0);
	errno = 0;
	cr_assert_eq(sock_listen(&a, 16, err, sizeof(err)), -1);
	cr_assert_eq(errno, EADDRINUSE);
	snprintf(want, sizeof(want), "%s: address already in use (a server is accepting there)",
	    path);
	cr_assert_str_eq(err, want);

	/* The live server still has its socket. */
	cfd = connect_to(lfd);
	wait_readable(lfd);
	close(cfd);
	close(lfd);
}

Test(listen, unix_path_that_is_not_a_socket, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char path[128], err[256], want[256];
	struct sock_addr a;
	struct stat st;
	FILE *f;

	tmp_path(path, sizeof(path), "data.txt");
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("keep me", f);
	fclose(f);
	cr_assert_eq(sock_parse_addr(path, &a, err, sizeof(err)), 0);
	cr_assert_eq(sock_listen(&a, 16, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: bind(): path exists and is not a socket", path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_size, 7);
}

Test(listen, unix_missing_directory, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char path[128], err[256], want[256];
	struct sock_addr a;

	tmp_path(path, sizeof(path), "nodir/app.sock");
	cr_assert_eq(sock_parse_addr(path, &a, err, sizeof(err)), 0);
	cr_assert_eq(sock_listen(&a, 16, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: bind(): %s", path, strerror(ENOENT));
	cr_assert_str_eq(err, want);
}

Test(listen, abstract)
{
	char addr[64], name[SOCK_NAME_MAX], err[256];
	struct sock_addr a;
	int lfd, cfd;

	snprintf(addr, sizeof(addr), "@stockade-test-%d", (int)getpid());
	lfd = listen_on(addr);
	cr_assert_eq(sock_name(lfd, name, sizeof(name)), 0);
	cr_assert_str_eq(name, addr);
	cr_assert_eq(sock_parse_addr(addr, &a, err, sizeof(err)), 0);
	cr_assert_eq(sock_listen(&a, 16, err, sizeof(err)), -1);
	cr_assert_eq(errno, EADDRINUSE);
	cr_assert_not_null(strstr(err, "bind()"), "%s", err);
	cfd = connect_to(lfd);
	close(cfd);
	close(lfd);
}

/* ---- chmod / chown ----------------------------------------------------- */

static mode_t
mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

Test(perm, chmod_socket, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char path[128], err[256], want[256];
	int lfd;

	tmp_path(path, sizeof(path), "perm.sock");
	lfd = listen_on(path);
	cr_assert_eq(sock_chmod(path, "660", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mode_of(path), 0660);
	cr_assert_eq(sock_chmod(path, "", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mode_of(path), 0666, "empty means 666, as uWSGI");
	cr_assert_eq(sock_chmod(path, "0600", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mode_of(path), 0600);
	cr_assert_eq(sock_chmod(path, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mode_of(path), 0666);

	cr_assert_eq(sock_chmod(path, "9", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "invalid socket mode \"9\" (octal, as 660)");
	cr_assert_eq(sock_chmod(path, "66666", err, sizeof(err)), -1);
	cr_assert_eq(sock_chmod(path, "u+rw", err, sizeof(err)), -1);
	cr_assert_eq(sock_chmod(path, "-1", err, sizeof(err)), -1);
	cr_assert_eq(mode_of(path), 0666, "a bad mode changes nothing");

	cr_assert_eq(sock_chmod("@abstract", "600", err, sizeof(err)), 0, "nothing to do");
	tmp_path(path, sizeof(path), "missing.sock");
	cr_assert_eq(sock_chmod(path, "660", err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "\"%s\": chmod(0660): %s", path, strerror(ENOENT));
	cr_assert_str_eq(err, want);
	close(lfd);
}

Test(perm, chown_socket, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char path[128], err[256], owner[300];
	struct passwd *pw;
	struct stat st;
	int lfd;

	tmp_path(path, sizeof(path), "own.sock");
	lfd = listen_on(path);

	/* To ourselves: allowed without privileges. */
	snprintf(owner, sizeof(owner), "%u:%u", (unsigned)getuid(), (unsigned)getgid());
	cr_assert_eq(sock_chown(path, owner, err, sizeof(err)), 0, "%s", err);
	snprintf(owner, sizeof(owner), "%u", (unsigned)getuid());
	cr_assert_eq(sock_chown(path, owner, err, sizeof(err)), 0, "%s", err);
	snprintf(owner, sizeof(owner), ":%u", (unsigned)getgid());
	cr_assert_eq(sock_chown(path, owner, err, sizeof(err)), 0, "%s", err);
	if ((pw = getpwuid(getuid())) != NULL) {
		cr_assert_eq(sock_chown(path, pw->pw_name, err, sizeof(err)), 0, "%s", err);
	}
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_uid, getuid());

	cr_assert_eq(sock_chown(path, "no-such-user-zz9", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "unknown user \"no-such-user-zz9\"");
	cr_assert_eq(sock_chown(path, ":no-such-group-zz9", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "unknown group \"no-such-group-zz9\"");
	cr_assert_eq(sock_chown(path, "", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "invalid socket owner \"\" (user[:group])");
	cr_assert_eq(sock_chown(path, ":", err, sizeof(err)), -1);
	cr_assert_eq(sock_chown("@abstract", "root", err, sizeof(err)), 0);
	close(lfd);
}

/* ---- fd flags ---------------------------------------------------------- */

Test(flags, nonblock_and_cloexec)
{
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert(!has_nonblock(p[0]));
	cr_assert_eq(sock_set_nonblock(p[0], true), 0);
	cr_assert(has_nonblock(p[0]));
	cr_assert_eq(sock_set_nonblock(p[0], false), 0);
	cr_assert(!has_nonblock(p[0]));
	cr_assert_eq(sock_set_cloexec(p[0], true), 0);
	cr_assert(has_cloexec(p[0]));
	cr_assert_eq(sock_set_cloexec(p[0], false), 0);
	cr_assert(!has_cloexec(p[0]));
	close(p[0]);
	close(p[1]);
	cr_assert_eq(sock_set_nonblock(p[0], true), -1);
	cr_assert_eq(sock_set_cloexec(p[0], true), -1);
}

/* ---- reload hand-over -------------------------------------------------- */

Test(reload, export_import_roundtrip, .init = make_tmpdir, .fini = remove_tmpdir)
{
	char upath[128], abstract_name[64], err[256];
	int tcp, unx, ab, gone, moved, p[2], fds[6];
	const char *env;

	tmp_path(upath, sizeof(upath), "a,b%c.sock");
	snprintf(abstract_name, sizeof(abstract_name), "@stockade-reload-%d", (int)getpid());
	tcp = listen_on("127.0.0.1:0");
	unx = listen_on(upath);
	ab = listen_on(abstract_name);
	gone = listen_on("127.0.0.1:0");	/* no longer configured */
	moved = listen_on("127.0.0.1:0");	/* configured port changed */
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);	/* not a socket: not ours */

	{
		const int out[] = { tcp, unx, ab, gone, moved, p[0] };
		const char *const names[] = {
			"127.0.0.1:0", upath, abstract_name, "127.0.0.1:1", "127.0.0.1:2", "/tmp/not-a-socket",
		};

		cr_assert_eq(sock_export_env(out, names, 6), 0);
		for (int i = 0; i < 6; i++)
			cr_assert(!has_cloexec(out[i]), "fd %d keeps FD_CLOEXEC", out[i]);
	}
	env = getenv(SOCK_ENV);
	cr_assert_not_null(env);
	cr_assert_not_null(strstr(env, "a%2Cb%25c.sock"), "%s", env);

	{
		const char *const names[] = {
			upath, "127.0.0.1:0", "127.0.0.1:2", "/tmp/not-a-socket", "never.sock", abstract_name,
		};

		/* "127.0.0.1:2" is what moved was exported as, but it is bound elsewhere. */
		cr_assert_eq(sock_import_env(names, 6, fds, err, sizeof(err)), 3, "%s", err);
	}
	cr_assert_eq(fds[0], unx);
	cr_assert_eq(fds[1], tcp);
	cr_assert_eq(fds[2], -1, "address changed: bind anew");
	cr_assert_eq(fds[3], -1);
	cr_assert_eq(fds[4], -1);
	cr_assert_eq(fds[5], ab);
	cr_assert(has_cloexec(unx));
	cr_assert(has_cloexec(tcp));
	cr_assert(has_cloexec(ab));
	cr_assert(!fd_open(gone), "unconfigured socket left open");
	cr_assert(!fd_open(moved), "moved socket left open");
	cr_assert(fd_open(p[0]), "a non-socket fd was closed");
	cr_assert_null(getenv(SOCK_ENV), "the variable is consumed");

	/* Imported sockets still work. */
	close(connect_to(tcp));
	close(connect_to(unx));
	close(tcp);
	close(unx);
	close(ab);
}

Test(reload, import_without_env)
{
	const char *const names[] = { "127.0.0.1:0" };
	int fds[1] = { 42 };
	char err[256];

	unsetenv(SOCK_ENV);
	cr_assert_eq(sock_import_env(names, 1, fds, err, sizeof(err)), 0);
	cr_assert_eq(fds[0], -1);
	cr_assert_eq(sock_export_env(NULL, NULL, 0), 0);
	cr_assert_null(getenv(SOCK_ENV));
}

Test(reload, duplicate_fd_is_taken_once)
{
	const char *const names[] = { "127.0.0.1:0" };
	char env[64], err[256];
	int fds[1], lfd;

	lfd = listen_on("127.0.0.1:0");
	/* The same fd listed twice must not be closed by its second entry. */
	snprintf(env, sizeof(env), "%d:127.0.0.1:0,%d:other", lfd, lfd);
	cr_assert_eq(setenv(SOCK_ENV, env, 1), 0);
	cr_assert_eq(sock_import_env(names, 1, fds, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(fds[0], lfd);
	cr_assert(fd_open(lfd));
	close(lfd);
}

Test(reload, malformed_env)
{
	static const char *bad[] = {
		"x:a", "3", ":a", "3:a,", ",3:a", "3:a,,4:b", "3:%zz", "3:%2", "3:%00", "-1:a",
		"99999999999:a",
	};
	const char *const names[] = { "a" };
	char err[256];
	int fds[1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(setenv(SOCK_ENV, bad[i], 1), 0);
		cr_assert_eq(sock_import_env(names, 1, fds, err, sizeof(err)), -1, "%s", bad[i]);
		cr_assert_eq(fds[0], -1);
		cr_assert_eq(strncmp(err, SOCK_ENV ": malformed entry", 33), 0, "%s", err);
		cr_assert_null(getenv(SOCK_ENV));
	}
	cr_assert_eq(setenv(SOCK_ENV, "3:a,x:b", 1), 0);
	cr_assert_eq(sock_import_env(names, 1, fds, err, sizeof(err)), -1);
	cr_assert_str_eq(err, SOCK_ENV ": malformed entry 2 in \"3:a,x:b\" (expected fd:name)");
	cr_assert_eq(setenv(SOCK_ENV, "", 1), 0);
	cr_assert_eq(sock_import_env(names, 1, fds, err, sizeof(err)), 0, "empty: nothing");
}

Test(reload, export_rejects_bad_fd)
{
	const int fds[] = { -1 };
	const char *const names[] = { "x" };

	errno = 0;
	cr_assert_eq(sock_export_env(fds, names, 1), -1);
	cr_assert_eq(errno, EBADF);
}
