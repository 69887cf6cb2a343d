/* SPDX-License-Identifier: MIT */
/*
 * fork() with every signal blocked. A child must not run its parent's
 * handlers (they write to the parent's signal pipe, touch its state): it
 * resets them while signals are blocked, then puts the saved mask back, so
 * a stop signal that raced the fork still reaches it.
 */
#ifndef STOCKADE_BASE_PROC_H
#define STOCKADE_BASE_PROC_H

#include <signal.h>
#include <sys/types.h>

/* Blocks every signal; the mask before goes to *old. */
void	signals_block_all(sigset_t *old);

/* Puts back a mask saved by signals_block_all; errno is kept. */
void	signals_restore(const sigset_t *old);

/* signals_block_all + fork(). On failure (-1, errno set) the mask is
 * already put back; otherwise both sides call signals_restore(old). */
pid_t	fork_signals_blocked(sigset_t *old);

/* The first step of daemonizing: fork, the parent exits 0 at once and the
 * child goes on. 0 in the child, or -1 (logged) when fork fails. */
int	daemon_fork(void);

#endif
