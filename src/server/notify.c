/* SPDX-License-Identifier: MIT */
/* sd_notify(3) without libsystemd: see notify.h. */
#include "server/notify.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The socket fd number handed over a reload exec (the path may be outside the jail). */
#define NOTIFY_FD_ENV "STOCKADE_NOTIFY_FD"

static int notify_fd = -1;

static int
take_inherited(void)
{
	const char *s = getenv(NOTIFY_FD_ENV);
	if (!s)
		return -1;
	unsigned long long fd;
	bool ok = parse_uint(s, 1 << 20, &fd);
	unsetenv(NOTIFY_FD_ENV);
	int type = 0;
	socklen_t len = sizeof(type);
	if (!ok || getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_DGRAM)
		return -1;
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	return (int)fd;
}

int
notify_init(void)
{
	if (notify_fd >= 0)
		return 0;
	notify_fd = take_inherited();
	if (notify_fd >= 0)
		return 0;
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@')) {
		log_msg("NOTIFY_SOCKET=%s: not an absolute or abstract ('@') unix socket path: no notifications", path);
		return -1;
	}
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		log_errno("NOTIFY_SOCKET %s: no notifications", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	notify_fd = fd;
	/* as sd_notify's unset_environment: children (workers, the app's
	 * os.environ, hooks) must not talk to systemd; a reload passes the fd */
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

int
notify_send(const char *fmt, ...)
{
	if (notify_fd < 0)
		return 0;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	size_t len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	ssize_t s;
	do
		s = send(notify_fd, msg, len, MSG_NOSIGNAL);
	while (s < 0 && errno == EINTR);
	if (s < 0) {
		/* systemd gone or restarted: say so once, then stay quiet */
		log_errno("NOTIFY_SOCKET: cannot notify the service manager");
		close(notify_fd);
		notify_fd = -1;
		return -1;
	}
	return 0;
}

void
notify_forget(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	unsetenv("NOTIFY_SOCKET");
	unsetenv(NOTIFY_FD_ENV);
}

void
notify_before_exec(void)
{
	if (notify_fd < 0 || fcntl(notify_fd, F_SETFD, 0) < 0)
		return;
	char num[16];
	snprintf(num, sizeof(num), "%d", notify_fd);
	setenv(NOTIFY_FD_ENV, num, 1);
}
