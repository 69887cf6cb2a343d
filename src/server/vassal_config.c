/* SPDX-License-Identifier: MIT */
/*
 * A pg:// vassal's configuration comes from its Emperor, not from a file
 * (reference §5.4): byte 2 on UWSGI_EMPEROR_FD asks for it, the answer is
 * one uwsgi packet (modifier1 115, the text as body) on
 * UWSGI_EMPEROR_FD_CONFIG. No temporary file is written anywhere.
 */
#include "server/vassal.h"
#include "base/clock.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONFIG_TIMEOUT_MS 10000    /* an Emperor answers at once; a stuck one is an error */
#define UWSGI_MOD_CONFIG 115

static int
env_fd(const char *name)
{
	unsigned long long n;
	const char *s = getenv(name);
	return s && parse_uint(s, INT_MAX, &n) && n > 2 ? (int)n : -1;
}

/* Reads exactly len bytes before the deadline: 0, or -1 with errno
 * (ETIMEDOUT, EPIPE for EOF). */
static int
read_by(int fd, unsigned char *buf, size_t len, long long deadline)
{
	size_t got = 0;
	while (got < len) {
		long long left = deadline - clock_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = { fd, POLLIN, 0 };
		int rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

char *
vassal_config_fetch(size_t *len, char *err, size_t errlen)
{
	int fd = env_fd(EMPEROR_FD_ENV), cfd = env_fd(EMPEROR_FD_CONFIG_ENV);
	if (fd < 0 || cfd < 0) {
		errbuf_set(err, errlen, "not started by an Emperor that pushes configs (%s unset)", EMPEROR_FD_CONFIG_ENV);
		return NULL;
	}
	unsigned char ask = VASSAL_MSG_CONFIG;
	ssize_t n;
	do
		n = send(fd, &ask, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		errbuf_set(err, errlen, "cannot ask the Emperor for it: %s", strerror(errno));
		return NULL;
	}
	long long deadline = clock_ms() + CONFIG_TIMEOUT_MS;
	unsigned char hdr[4];
	if (read_by(cfd, hdr, sizeof(hdr), deadline) < 0) {
		errbuf_set(err, errlen, "no answer from the Emperor: %s", strerror(errno));
		return NULL;
	}
	if (hdr[0] != UWSGI_MOD_CONFIG) {
		errbuf_set(err, errlen, "the Emperor answered with modifier1 %d, not %d", hdr[0], UWSGI_MOD_CONFIG);
		return NULL;
	}
	size_t size = (size_t)hdr[1] | (size_t)hdr[2] << 8;
	char *text = xmalloc(size + 1);
	if (read_by(cfd, (unsigned char *)text, size, deadline) < 0) {
		errbuf_set(err, errlen, "truncated answer from the Emperor: %s", strerror(errno));
		free(text);
		return NULL;
	}
	text[size] = '\0';
	if (memchr(text, '\0', size)) {
		errbuf_set(err, errlen, "the Emperor's answer contains a NUL byte");
		free(text);
		return NULL;
	}
	*len = size;
	return text;
}
