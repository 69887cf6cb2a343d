/* SPDX-License-Identifier: MIT */
#include "base/signal_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int pipe_rd = -1;
static int pipe_wr = -1;
static signal_pipe_hook_fn *pipe_hook;

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (pipe_hook != NULL)
		pipe_hook(sig);
	if (write(pipe_wr, &b, 1) < 0) {
		/* full: a wake-up is pending anyway */
	}
	errno = saved;
}

int
signal_pipe_open(const int *sigs, size_t n, bool restart, signal_pipe_hook_fn *hook,
    struct sigaction *old)
{
	struct sigaction sa;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	pipe_rd = fds[0];
	pipe_wr = fds[1];
	pipe_hook = hook;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, old != NULL ? &old[i] : NULL);
	signal(SIGPIPE, SIG_IGN);
	return pipe_rd;
}

size_t
signal_pipe_read(int fd, int *sigs, size_t cap)
{
	unsigned char b[64];
	ssize_t got;

	if (cap > sizeof(b))
		cap = sizeof(b);
	got = read(fd, b, cap);
	if (got <= 0)
		return 0;
	for (ssize_t i = 0; i < got; i++)
		sigs[i] = b[i];
	return (size_t)got;
}

void
signal_pipe_dispatch(int fd, signal_pipe_handler_fn *fn)
{
	int sigs[64];
	size_t n = signal_pipe_read(fd, sigs, sizeof(sigs) / sizeof(sigs[0]));

	for (size_t i = 0; i < n; i++)
		fn(sigs[i]);
}

int
signal_pipe_write_end(void)
{
	return pipe_wr;
}

void
signal_pipe_close(const int *sigs, size_t n, const struct sigaction *old)
{
	if (old != NULL)
		for (size_t i = 0; i < n; i++)
			sigaction(sigs[i], &old[i], NULL);
	if (pipe_rd >= 0)
		close(pipe_rd);
	if (pipe_wr >= 0)
		close(pipe_wr);
	pipe_rd = pipe_wr = -1;
	pipe_hook = NULL;
}
