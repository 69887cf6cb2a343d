/* SPDX-License-Identifier: MIT */
/*
 * FreeBSD side of sub_creds.h: not supported (uWSGI's
 * subscriptions-use-credentials is SCM_CREDENTIALS, Linux only); the
 * option is refused at start.
 */
#include "router/sub_creds.h"

#include <errno.h>

int
sub_creds_enable(int fd)
{
	(void)fd;
	errno = ENOTSUP;
	return -1;
}

ssize_t
sub_creds_recv(int fd, void *buf, size_t len, struct sockaddr_storage *ss, socklen_t *sl, long long *uid)
{
	*uid = -1;
	return recvfrom(fd, buf, len, 0, (struct sockaddr *)ss, sl);
}
