/*
 * Hooks: commands and actions run at named points ("phases") of an
 * instance's life, configured as hook-<phase> (action:args), mount-<phase>,
 * umount-<phase> and exec-<phase> (shell command). Within a phase: the hook
 * chain, then mounts, then umounts, then execs, each in config order.
 */
#ifndef STOCKADE_HOOKS_H
#define STOCKADE_HOOKS_H

#include <stdbool.h>

enum hook_phase {
	PH_ASAP,
	PH_PRE_JAIL,
	PH_IN_JAIL,
	PH_POST_JAIL,
	PH_AS_ROOT,
	PH_AS_USER,
	PH_AS_USER_ATEXIT,
	PH_PRE_APP,
	PH_POST_APP,
	PH_POST_FORK,
	PH_ACCEPTING,
	PH_ACCEPTING1,
	PH_ACCEPTING_ONCE,
	PH_ACCEPTING1_ONCE,
	PH_MASTER_START,
	PH_COUNT
};

enum hook_family { HF_HOOK, HF_MOUNT, HF_UMOUNT, HF_EXEC, HF_COUNT };

struct config;

/* "pre-jail" etc. */
const char *hook_phase_name(enum hook_phase ph);
/* Non-fatal phases (as-user-atexit) log failures and go on. */
bool hook_phase_fatal(enum hook_phase ph);

/* Config-time check of every hook line (syntax, known action, argument
 * count): 0, or -1 after a one-line error naming file:line. Nothing runs. */
int hooks_check(const struct config *cfg);

/* Runs one phase. Returns 0, or -1 when a fatal phase failed (one line
 * already logged naming the hook, its file:line and the status). */
int hooks_run(const struct config *cfg, enum hook_phase ph);

/* True if the phase has anything configured. */
bool hooks_any(const struct config *cfg, enum hook_phase ph);

#endif
