/* SPDX-License-Identifier: MIT */
/*
 * The stats probes on Linux: a listening socket's backlog from TCP_INFO,
 * a process's memory from /proc/PID/statm.
 */
#include "server/stats.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
stats_listen_queue(int fd, uint64_t *queue, uint64_t *max)
{
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);

	*queue = 0;
	*max = 0;
	if (fd < 0)
		return;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) != 0)
		return;
	if (tlen < offsetof(struct tcp_info, tcpi_sacked) + sizeof(ti.tcpi_sacked))
		return;
	if (ti.tcpi_state != TCP_LISTEN)
		return;
	/* for a listener, the kernel reports the accept queue in these */
	*queue = ti.tcpi_unacked;
	*max = ti.tcpi_sacked;
}

int
stats_proc_mem(pid_t pid, uint64_t *rss, uint64_t *vsz)
{
	char path[64], buf[256], *end;
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	ssize_t n;
	int fd;

	*rss = 0;
	*vsz = 0;
	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0) {
		if (n == 0)
			errno = EIO;
		return -1;
	}
	buf[n] = '\0';
	errno = 0;
	size = strtoull(buf, &end, 10);
	if (errno || end == buf || *end != ' ')
		goto bad;
	resident = strtoull(end + 1, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		goto bad;
	if (page <= 0)
		page = 4096;
	*vsz = (uint64_t)size * (uint64_t)page;
	*rss = (uint64_t)resident * (uint64_t)page;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
