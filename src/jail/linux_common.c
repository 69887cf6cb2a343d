/* SPDX-License-Identifier: MIT */
/*
 * What the Linux backend's processes share: the monitor <-> jail channel
 * (a SOCK_SEQPACKET socketpair: text messages, optionally an fd), the
 * signals the monitors forward, exit codes, and keeping the host's
 * terminal away from the jail.
 */
#include "jail/linux_internal.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* Signals the monitor passes on to the jailed master. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

int
jail_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

void
jail_signal_set(sigset_t *set, bool with_chld)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	if (with_chld)
		sigaddset(set, SIGCHLD);
}

/* ---- the monitor <-> jail channel ---------------------------------------------------- */

/* Room for the one fd a message may carry. */
union fd_control {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

static void
msg_init(struct msghdr *mh, struct iovec *iov)
{
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
}

/* One message, optionally carrying an fd. Never raises SIGPIPE. */
int
jail_chan_send(int fd, const char *text, int passfd)
{
	struct iovec iov = { (void *)text, strlen(text) };
	union fd_control u;
	struct msghdr mh;
	msg_init(&mh, &iov);
	if (passfd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* One message into buf (NUL-terminated); *passfd gets a received fd or -1.
 * Returns the length, 0 at EOF, -1 on error. */
ssize_t
jail_chan_recv(int fd, char *buf, size_t len, int *passfd)
{
	struct iovec iov = { buf, len - 1 };
	union fd_control u;
	struct msghdr mh;
	msg_init(&mh, &iov);
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	*passfd = -1;
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(passfd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* A terminal on stdin is the host's (the jail has a session of its own):
 * the jail must not read what is typed there. 0, or -1 after one line. */
int
jail_stdin_off_the_terminal(void)
{
	if (!isatty(0))
		return 0;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0) {
		log_errno("jail: /dev/null as stdin");
		if (null >= 0)
			close(null);
		return -1;
	}
	close(null);
	return 0;
}
