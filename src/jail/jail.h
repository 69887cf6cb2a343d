/* SPDX-License-Identifier: MIT */
/*
 * The jail backend interface. One backend per OS (linux.c, freebsd.c);
 * the start pipeline calls it between the pre-jail and in-jail phases.
 */
#ifndef STOCKADE_JAIL_H
#define STOCKADE_JAIL_H

#include "jail/params.h"

struct jail_result {
	long jid;
	char name[64];
};

struct jail_backend {
	const char *name;                                   /* "linux", "freebsd" */
	/* OS-specific checks of a built spec (e.g. parameters with no Linux
	 * equivalent): 0, or -1 after a one-line file:line error. Runs before
	 * anything is created, also for --show-config-free dry runs. */
	int (*validate)(const struct jail_spec *spec);
	/* Creates the jail and moves the caller into it. Returns 0 in the
	 * jailed process (root inside the jail, restrictions applied), with res
	 * filled; -1 after a one-line error with nothing left behind. On Linux
	 * the original process stays outside as a monitor and never returns.
	 * The jailed process holds no descriptor >= 3 but spec->keep_fds. */
	int (*create_and_enter)(const struct jail_spec *spec, struct jail_result *res);
	/* Joins a running jail (jail-attach = jid|name): same contract. */
	int (*attach)(const struct jail_spec *spec, struct jail_result *res);
	/* --jls: the running jails to fd, as jls(8); flags from jail/jls.h
	 * (JLS_VERBOSE: -v, JLS_JSON: --json). 0 or -1. */
	int (*list)(int fd, unsigned flags);
	/* --jail-remove jid|name. 0 or -1. */
	int (*remove)(const char *id);
	/* issue 23: in the jailed master, the jail-rctl rules of spec with
	 * their current use, "rule\tlimit\tuse" lines (use "-" when unknown),
	 * malloc'd; NULL when none. May be NULL itself. */
	char *(*rctl_status)(const struct jail_spec *spec);
};

const struct jail_backend *jail_backend(void);

#endif
