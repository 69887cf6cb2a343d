/* SPDX-License-Identifier: MIT */
/* platform.h for Linux. */
#include "base/platform.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
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

int
platform_caps_bound_clear(void)
{
	/* bits past the kernel's last capability read as "not in the set" */
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0 && errno == EINVAL)
			break;
		if (r < 0)
			return -1;
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return -1;
	}
	return 0;
}

int
platform_caps_clear(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return -1;
	return syscall(SYS_capset, &hdr, data) != 0 ? -1 : 0;
}

int
platform_caps_empty(void)
{
	static const char *const sets[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
	char line[256];
	int seen = 0, empty = 1;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
			size_t n = strlen(sets[i]);
			unsigned long long v;

			if (strncmp(line, sets[i], n) != 0)
				continue;
			seen++;
			if (sscanf(line + n, "%llx", &v) != 1 || v != 0)
				empty = 0;
		}
	}
	fclose(f);
	if (seen != 5) {
		errno = ENOENT;
		return -1;
	}
	return empty;
}

int
platform_set_procname(const char *name)
{
	return prctl(PR_SET_NAME, name, 0, 0, 0) == 0 ? 0 : -1;
}
