/* SPDX-License-Identifier: MIT */
/* jls and jail-remove on Linux: both read the registry of running jails. */
#include "jail/linux_internal.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/jls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- jls and jail -r ------------------------------------------------------------------------ */

static double
uptime_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The value of key in "key=value" lines, malloc'd, or NULL. */
static char *
param_value(const char *params, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = params; p && *p; ) {
		size_t n = strcspn(p, "\n");
		if (n > klen && p[klen] == '=' && strncmp(p, key, klen) == 0)
			return xstrndup(p + klen + 1, n - klen - 1);
		p += n;
		if (*p == '\n')
			p++;
	}
	return NULL;
}

int
jail_linux_list(int fd, unsigned flags)
{
	struct registry_entry *v;
	size_t n;
	if (registry_list(&v, &n) < 0) {
		log_errno("jls: %s", registry_root());
		return -1;
	}
	long hz = sysconf(_SC_CLK_TCK);
	double up = uptime_seconds();
	struct jls_row *rows = xcalloc(n + 1, sizeof(*rows));
	char **owned = xcalloc(4 * n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		/* the effective parameters: addresses and everything --json shows */
		char *params = registry_get(&v[i], "params");
		char *rctl = registry_get(&v[i], "rctl");
		owned[4 * i] = params;
		owned[4 * i + 1] = param_value(params, "ip4.addr");
		owned[4 * i + 2] = param_value(params, "ip6.addr");
		owned[4 * i + 3] = jail_rctl_describe(rctl);	/* limits and current use */
		free(rctl);
		rows[i] = (struct jls_row){
			.jid = v[i].jid, .name = v[i].name, .hostname = v[i].hostname, .path = v[i].path,
			.state = "ACTIVE", .ip4 = owned[4 * i + 1], .ip6 = owned[4 * i + 2],
			.rctl = owned[4 * i + 3],
			.cpusetid = -1, .pid = (long)v[i].pid, .params = params,
			.age_seconds = hz > 0 && up > (double)v[i].starttime / (double)hz ?
			               (long long)(up - (double)v[i].starttime / (double)hz) : 0,
		};
	}
	int rc = jls_print(fd, flags, "PID", rows, n);
	for (size_t i = 0; i < 4 * n; i++)
		free(owned[i]);
	free(owned);
	free(rows);
	free(v);
	return rc;
}

int
jail_linux_remove(const char *id)
{
	struct registry_entry e;
	int pidfd = jail_open_running("jail-remove", "removing", id, &e);
	if (pidfd < 0)
		return -1;
	if (jail_pidfd_signal(pidfd, SIGKILL) < 0 && errno != ESRCH) {
		log_errno("jail-remove: kill jail '%s' (init pid %d)", id, (int)e.pid);
		close(pidfd);
		return -1;
	}
	/* init's exit is reported once the whole PID namespace is reaped */
	struct pollfd p = { pidfd, POLLIN, 0 };
	if (poll(&p, 1, 10000) <= 0)
		log_msg("jail-remove: jail '%s' (init pid %d) is slow to die", id, (int)e.pid);
	close(pidfd);
	struct jail_net net;
	memset(&net, 0, sizeof(net));
	net.cgroup_fd = -1;
	snprintf(net.cgroup_path, sizeof(net.cgroup_path), "%s", e.cgroup);
	jail_net_teardown(&net);
	char *rctl = registry_get(&e, "rctl");
	jail_rctl_remove_recorded(rctl);
	free(rctl);
	if (e.jidfile[0])
		unlink(e.jidfile);
	registry_release(&e);
	log_msg("jail %ld (%s) removed", e.jid, e.name);
	return 0;
}
