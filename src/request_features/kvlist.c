/* SPDX-License-Identifier: MIT */
/* uWSGI's key=value lists and signal names (request_features/kvlist.h). */
#include "request_features/kvlist.h"
#include "base/util.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

int
kvlist_split(char *s, struct kvitem *items, size_t max)
{
	size_t n = 0;
	char *out = s, *base = s;
	char *eq = NULL;

	for (char *p = s;; p++) {
		if (*p == '\\' && p[1]) {
			*out++ = *++p;
			continue;
		}
		if (*p == ',' || *p == '\0') {
			bool end = *p == '\0';
			*out = '\0';
			if (out > base) {
				if (n == max)
					return -1;
				items[n].key = base;
				items[n].value = NULL;
				if (eq) {
					*eq = '\0';
					items[n].value = eq + 1;
				}
				n++;
			}
			if (end)
				break;
			base = ++out;
			eq = NULL;
			continue;
		}
		if (*p == '=' && !eq)
			eq = out;
		*out++ = *p;
	}
	return (int)n;
}

int
signal_parse(const char *s)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP }, { "WINCH", SIGWINCH }, { "ALRM", SIGALRM },
	};
	unsigned long long n;

	if (parse_uint(s, 64, &n))
		return n > 0 ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	return -1;
}
