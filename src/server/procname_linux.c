/* SPDX-License-Identifier: MIT */
/*
 * Linux process names: the argv strings (and the environment strings that
 * follow them) are one area the kernel shows as /proc/<pid>/cmdline; the
 * name is written over it, NUL-terminated, the rest filled with spaces, so
 * that the kernel reads the name alone (as uWSGI does). The environment
 * strings are copied elsewhere first. PR_SET_NAME sets the short name
 * (comm) that top shows.
 */
#include "server/process_options.h"
#include "base/util.h"

#include <string.h>
#include <sys/prctl.h>

extern char **environ;

static char *area;
static size_t area_len;
static char *env_copy;

void
procname_os_init(char **argv)
{
	if (!argv[0])
		return;
	char *end = argv[0];
	for (size_t i = 0; argv[i]; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	/* the environment strings right after argv extend the area; they move
	 * to one block kept here (setenv may drop single strings later) */
	char *env_start = end;
	size_t n = 0;
	while (environ[n] && environ[n] == end) {
		end = environ[n] + strlen(environ[n]) + 1;
		n++;
	}
	if (n > 0) {
		env_copy = xmalloc((size_t)(end - env_start));
		memcpy(env_copy, env_start, (size_t)(end - env_start));
		for (size_t i = 0; i < n; i++)
			environ[i] = env_copy + (environ[i] - env_start);
	}
	area = argv[0];
	area_len = (size_t)(end - argv[0]);
}

void
procname_os_set(const char *name)
{
	if (!area || area_len < 2)
		return;
	size_t n = strlen(name);
	if (n > area_len - 2)
		n = area_len - 2;
	memcpy(area, name, n);
	area[n] = '\0';
	memset(area + n + 1, ' ', area_len - n - 1);
	prctl(PR_SET_NAME, name, 0, 0, 0);
}
