/* SPDX-License-Identifier: MIT */
/*
 * Listening fds handed across a reload exec(): recorded as "fd:name,..."
 * in SOCK_ENV before it, matched back to the configured names after it.
 */
#include "net/socket_internal.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		errbuf_set(err, errlen, "unsetenv(%s): %s", SOCK_ENV, strerror(errno));
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
			errbuf_set(err, errlen, "%s: malformed entry %zu in %s (expected fd:name)",
			    SOCK_ENV, nv + 1, sock_quote(env, strlen(env), q, sizeof(q)));
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
