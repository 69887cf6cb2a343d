/* SPDX-License-Identifier: MIT */
/* Chain reload: recycle the workers one at a time (server/chain_reload.c). */
#ifndef STOCKADE_CHAIN_RELOAD_H
#define STOCKADE_CHAIN_RELOAD_H

/* Remembers the touch-chain-reload files' mtimes (master start). */
void	chain_reload_init(void);
/* Starts a chain unless one runs; why opens the log line. */
void	chain_reload_start(const char *why);
/* Moves the chain on (its own timer calls it too). */
void	chain_reload_step(void);
/* From the master's tick: a touched file starts a chain. */
void	chain_reload_check_touch(void);

#endif
