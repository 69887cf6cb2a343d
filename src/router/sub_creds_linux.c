/* SPDX-License-Identifier: MIT */
/*
 * Linux side of sub_creds.h: SO_PASSCRED makes the kernel attach the
 * sender's pid/uid/gid (SCM_CREDENTIALS) to every datagram of a unix
 * socket, whether or not the sender sent them; an unprivileged sender
 * cannot claim another uid.
 */
#include "router/sub_creds.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int
sub_creds_enable(int fd)
{
	int one = 1;
	return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
}

ssize_t
sub_creds_recv(int fd, void *buf, size_t len, struct sockaddr_storage *ss, socklen_t *sl, long long *uid)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_name = ss, .msg_namelen = *sl, .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = ctl.space, .msg_controllen = sizeof(ctl.space) };

	*uid = -1;
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	*sl = msg.msg_namelen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof(u));
			*uid = (long long)u.uid;
		}
	return n;
}
