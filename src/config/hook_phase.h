/* SPDX-License-Identifier: MIT */
/*
 * The named points of an instance's life where hooks run (hook-<phase>,
 * mount-<phase>, umount-<phase>, exec-<phase>): the configuration stores one
 * list per phase and family; hooks/ runs them.
 */
#ifndef STOCKADE_CONFIG_HOOK_PHASE_H
#define STOCKADE_CONFIG_HOOK_PHASE_H

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
	/* emperor */
	PH_AS_VASSAL,
	PH_AS_EMPEROR,
	PH_EMPEROR_START,
	PH_EMPEROR_STOP,
	PH_EMPEROR_RELOAD,
	PH_EMPEROR_LOST,
	PH_COUNT
};

enum hook_family { HF_HOOK, HF_MOUNT, HF_UMOUNT, HF_EXEC, HF_COUNT };

#endif
