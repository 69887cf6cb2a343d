/* SPDX-License-Identifier: MIT */
/* The forkpty router's client: see client.h. */
#include "pty/client.h"
#include "pty/frame.h"
#include "base/log.h"
#include "base/signal_pipe.h"
#include "net/socket.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define CLIENT_CHUNK 4096

static volatile sig_atomic_t stop_sig;

/* In the handler: any signal but SIGWINCH ends the session. */
static void
note_stop(int sig)
{
	if (sig != SIGWINCH)
		stop_sig = sig;
}

/* Writes all of buf; gives up on an error or a stop signal. 0 or -1. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR && !stop_sig)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
connect_to(const char *addr)
{
	struct sock_addr a;
	char err[256];
	if (sock_parse_addr(addr, &a, err, sizeof(err)) < 0) {
		log_msg("pty client: %s", err);
		return -1;
	}
	if (a.kind == SOCK_ADDR_SHARED) {
		log_msg("pty client: '%s' is not an address", addr);
		return -1;
	}
	int fd = socket(a.u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_errno("pty client: socket");
		return -1;
	}
	int rc;
	do
		rc = connect(fd, &a.u.sa, a.len);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		log_errno("pty client: connect(%s)", addr);
		close(fd);
		return -1;
	}
	return fd;
}

/* rows and cols of the local terminal as two messages; 0 or -1. */
static int
send_winsize(int sock, int tty)
{
	struct winsize ws;
	uint8_t msg[2 * PTY_FRAME_HEADER];
	/* 0x0 is a terminal that does not know its size: keep the router's */
	if (tty < 0 || ioctl(tty, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return 0;
	pty_frame_header(msg, PTY_MOD2_ROWS, ws.ws_row);
	pty_frame_header(msg + PTY_FRAME_HEADER, PTY_MOD2_COLS, ws.ws_col);
	return write_all(sock, msg, sizeof(msg));
}

static int
send_input(int sock, bool framed, const uint8_t *data, size_t len)
{
	if (framed) {
		uint8_t hdr[PTY_FRAME_HEADER];
		pty_frame_header(hdr, PTY_MOD2_DATA, (uint16_t)len);
		if (write_all(sock, hdr, sizeof(hdr)) < 0)
			return -1;
	}
	return write_all(sock, data, len);
}

/* The copy loop; returns the exit status. */
static int
relay(int sock, bool framed, int tty, int sigfd)
{
	uint8_t buf[CLIENT_CHUNK];
	if (framed && send_winsize(sock, tty) < 0)
		return 0;
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = sock, .events = POLLIN },
			{ .fd = 0, .events = POLLIN },
		};
		if (stop_sig)
			return 128 + stop_sig;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_errno("pty client: poll");
			return 1;
		}
		if (p[0].revents & POLLIN) {
			int sigs[32];
			size_t n = signal_pipe_read(sigfd, sigs, sizeof(sigs) / sizeof(sigs[0]));
			for (size_t i = 0; i < n; i++)
				if (sigs[i] == SIGWINCH && framed && send_winsize(sock, tty) < 0)
					return 0;
			continue;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(sock, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0;	/* the server closed: the session is over */
			if (write_all(1, buf, (size_t)n) < 0)
				return stop_sig ? 128 + stop_sig : 1;
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0;	/* end of input */
			if (send_input(sock, framed, buf, (size_t)n) < 0)
				return stop_sig ? 128 + stop_sig : 0;
		}
		if (p[2].revents & POLLNVAL)
			return 1;
	}
}

int
pty_client_run(const char *addr, bool framed)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	enum { NSIGS = sizeof(sigs) / sizeof(sigs[0]) };
	struct sigaction old[NSIGS];
	int sigfd;

	int sock = connect_to(addr);
	if (sock < 0)
		return 1;
	stop_sig = 0;
	/* no SA_RESTART: a blocked write gives up */
	if ((sigfd = signal_pipe_open(sigs, NSIGS, false, note_stop, old)) < 0) {
		log_errno("pty client: pipe");
		close(sock);
		return 1;
	}

	/* raw mode: every key (^C, ^D, ^Z) travels to the remote terminal */
	struct termios saved;
	int tty = isatty(0) ? 0 : isatty(1) ? 1 : -1;
	bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		if (tcsetattr(0, TCSADRAIN, &t) < 0)
			raw = false;
	}
	int rc = relay(sock, framed, tty, sigfd);
	if (raw)
		tcsetattr(0, TCSADRAIN, &saved);
	signal_pipe_close(sigs, NSIGS, old);
	close(sock);
	return rc;
}
