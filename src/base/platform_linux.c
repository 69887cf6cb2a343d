/* SPDX-License-Identifier: MIT */
/* platform.h for Linux. */
#include "base/platform.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

int
platform_binary_path(char *buf, size_t size)
{
	ssize_t n;

	if (size == 0) {
		errno = ERANGE;
		return -1;
	}
	n = readlink("/proc/self/exe", buf, size);
	if (n < 0)
		return -1;
	if ((size_t)n >= size) {
		errno = ERANGE;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

int
platform_parent_death_signal(int sig)
{
	return prctl(PR_SET_PDEATHSIG, sig) < 0 ? -1 : 0;
}

ssize_t
platform_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	return sendfile(out_fd, in_fd, offset, count);
}

const char *
platform_os_name(void)
{
	return "linux";
}
