/* SPDX-License-Identifier: MIT */
/*
 * The forked child that becomes a vassal (reference §5.2): signals back to
 * default, stdin from /dev/null, the Emperor's socket as fd 3 (and the
 * config socket of a pg:// vassal as fd 4), every other fd closed, tyrant
 * privilege drop, environment, as-vassal hooks, then exec.
 */
#ifndef STOCKADE_EMPEROR_VASSAL_EXEC_H
#define STOCKADE_EMPEROR_VASSAL_EXEC_H

#include <signal.h>

struct config;
struct vassal;

/* Never returns: execs argv[0] in dir, or exits 1 (setup failed) or 26
 * (exec failed: not respawned). fd is the vassal's end of the socket,
 * config_fd its end of the config socket or -1; mask is the signal mask
 * to restore. */
void __attribute__((noreturn)) vassal_exec(const struct config *cfg, const struct vassal *v, int fd, int config_fd,
                                           char **argv, const char *dir, const sigset_t *mask);

#endif
