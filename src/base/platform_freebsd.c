/* SPDX-License-Identifier: MIT */
/* platform.h for FreeBSD. */
#include "base/platform.h"

#include <sys/types.h>
#include <sys/procctl.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/uio.h>

#include <errno.h>
#include <unistd.h>

int
platform_binary_path(char *buf, size_t size)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PATHNAME, -1 };
	size_t len = size;

	if (size == 0) {
		errno = ERANGE;
		return -1;
	}
	if (sysctl(mib, 4, buf, &len, NULL, 0) < 0)
		return -1;
	if (len == 0 || len > size || buf[len - 1] != '\0') {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int
platform_parent_death_signal(int sig)
{
	return procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &sig) < 0 ? -1 : 0;
}

/* For sockets FreeBSD's sendfile(2) refuses: a plain copy, same contract. */
static ssize_t
copy_file(int out_fd, int in_fd, off_t *offset, size_t count)
{
	char buf[65536];
	ssize_t r, w;

	r = pread(in_fd, buf, count < sizeof(buf) ? count : sizeof(buf), *offset);
	if (r <= 0)
		return r;
	w = write(out_fd, buf, (size_t)r);
	if (w > 0)
		*offset += w;
	return w;
}

ssize_t
platform_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	off_t sent = 0;

	/* nbytes 0 means "to end of file" to FreeBSD: never ask for that */
	if (count == 0)
		return 0;
	if (sendfile(in_fd, out_fd, *offset, count, NULL, &sent, 0) < 0) {
		if (errno == EOPNOTSUPP || errno == ENOTSOCK)
			return copy_file(out_fd, in_fd, offset, count);
		/* EAGAIN/EBUSY/EINTR may come after a partial send */
		if (sent == 0)
			return -1;
	}
	*offset += sent;
	return (ssize_t)sent;
}

const char *
platform_os_name(void)
{
	return "freebsd";
}

int
platform_caps_bound_clear(void)
{
	return 0;
}

int
platform_caps_clear(void)
{
	return 0;
}

int
platform_caps_empty(void)
{
	return 1;
}

int
platform_set_procname(const char *name)
{
	setproctitle("-%s", name);	/* "-": no "stockade: " prefix */
	return 0;
}
