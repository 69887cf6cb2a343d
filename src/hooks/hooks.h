/* SPDX-License-Identifier: MIT */
/*
 * Hooks: commands and actions run at named points ("phases") of an
 * instance's life, configured as hook-<phase> (action:args), mount-<phase>,
 * umount-<phase> and exec-<phase> (shell command). Within a phase: the hook
 * chain, then mounts, then umounts, then execs, each in config order.
 */
#ifndef STOCKADE_HOOKS_H
#define STOCKADE_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/hook_phase.h"

struct config;

/* "pre-jail" etc. */
const char *hook_phase_name(enum hook_phase ph);
/* Non-fatal phases (as-user-atexit, as-emperor, emperor-stop/-reload/-lost)
 * log failures and go on. */
bool hook_phase_fatal(enum hook_phase ph);

/* Config-time check of every hook line (syntax, known action, argument
 * count): 0, or -1 after a one-line error naming file:line. Nothing runs. */
int hooks_check(const struct config *cfg);

/* Runs one phase. Returns 0, or -1 when a fatal phase failed (one line
 * already logged naming the hook, its file:line and the status). */
int hooks_run(const struct config *cfg, enum hook_phase ph);

/* True if the phase has anything configured. */
bool hooks_any(const struct config *cfg, enum hook_phase ph);

/* "hook", "mount", "umount", "exec" */
const char *hook_family_name(enum hook_family fam);

/*
 * One line of a family, without logging. `why` receives a short reason on
 * failure; it never repeats the line's value (private hooks stay private).
 * hook_line_check() only parses (syntax, action, arguments, flags);
 * hook_line_run() parses the same way, then acts. Both return 0 or -1.
 */
int hook_line_check(enum hook_family fam, const char *value, char *why, size_t len);
int hook_line_run(const struct config *cfg, enum hook_family fam, const char *value,
                  char *why, size_t len);

/*
 * Runs `<shell> -c cmd` (shell: the first executable cfg->binsh entry, else
 * /bin/sh) with a clean environment (PATH, UWSGI_RELOADS if set, and the
 * UWSGI_VASSAL_* variables the Emperor sets for as-emperor), stdin
 * from /dev/null, stdout/stderr inherited, no other descriptor; waits for it.
 * 0 when it exited with status 0; otherwise -1 and `why` is "exited with
 * status N", "killed by signal S" or "could not be run: ...".
 */
int hook_shell(const struct config *cfg, const char *cmd, char *why, size_t len);

/* The shell for commands: the first executable `binsh` entry, else /bin/sh. */
const char *hooks_binsh(const struct config *cfg);

#endif
