/* SPDX-License-Identifier: MIT */
/*
 * The self-pipe trick, once for every process kind (master, Emperor, pty
 * router, pty client): the handler writes the signal number as one byte
 * into a non-blocking pipe and the event loop (or poll) reads the bytes
 * back in order, outside signal context. One pipe per process.
 */
#ifndef STOCKADE_BASE_SIGNAL_PIPE_H
#define STOCKADE_BASE_SIGNAL_PIPE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Called inside the handler before the byte is written: async-signal-safe
 * work that cannot wait for the loop (an early-stop flag, say). */
typedef void signal_pipe_hook_fn(int sig);

/*
 * Opens the pipe (both ends close-on-exec and non-blocking), installs the
 * handler for the n signals in sigs (with SA_RESTART when `restart`; the
 * previous actions go to `old` when it is not NULL) and ignores SIGPIPE.
 * Returns the read end, or -1 with errno (nothing installed).
 */
int	signal_pipe_open(const int *sigs, size_t n, bool restart, signal_pipe_hook_fn *hook,
	    struct sigaction *old);

/* Reads pending signal numbers into sigs (at most cap): how many, 0 when
 * none is pending. */
size_t	signal_pipe_read(int fd, int *sigs, size_t cap);

/* Reads the pending signal numbers (one read, as signal_pipe_read) and
 * calls fn with each, in order: the loop side of the pipe. */
typedef void signal_pipe_handler_fn(int sig);
void	signal_pipe_dispatch(int fd, signal_pipe_handler_fn *fn);

/* The write end, for a list of descriptors to keep (a jail closes the
 * others): -1 when no pipe is open. */
int	signal_pipe_write_end(void);

/* Puts back the actions saved by signal_pipe_open (when old is not NULL)
 * and closes both ends. */
void	signal_pipe_close(const int *sigs, size_t n, const struct sigaction *old);

#endif
