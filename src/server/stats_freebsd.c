/* SPDX-License-Identifier: MIT */
/*
 * The stats probes on FreeBSD: a listening socket's backlog from
 * SO_LISTENQLEN/SO_LISTENQLIMIT, a process's memory from kern.proc.pid.
 */
#include "server/stats.h"

#include <sys/param.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/user.h>

#include <errno.h>
#include <unistd.h>

void
stats_listen_queue(int fd, uint64_t *queue, uint64_t *max)
{
	int qlen = 0, qlimit = 0;
	socklen_t l1 = sizeof(qlen), l2 = sizeof(qlimit);

	*queue = 0;
	*max = 0;
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_LISTENQLEN, &qlen, &l1) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_LISTENQLIMIT, &qlimit, &l2) != 0)
		return;
	*queue = qlen > 0 ? (uint64_t)qlen : 0;
	*max = qlimit > 0 ? (uint64_t)qlimit : 0;
}

int
stats_proc_mem(pid_t pid, uint64_t *rss, uint64_t *vsz)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid };
	struct kinfo_proc kp;
	size_t kplen = sizeof(kp);

	*rss = 0;
	*vsz = 0;
	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	if (sysctl(mib, 4, &kp, &kplen, NULL, 0) != 0)
		return -1;
	if (kplen != sizeof(kp)) {
		errno = ESRCH;
		return -1;
	}
	*rss = (uint64_t)kp.ki_rssize * (uint64_t)getpagesize();
	*vsz = (uint64_t)kp.ki_size;
	return 0;
}
