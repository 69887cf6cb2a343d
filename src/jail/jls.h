/* SPDX-License-Identifier: MIT */
/*
 * --jls output shared by the jail backends, laid out as FreeBSD's jls(8):
 *
 *   default   "   JID  IP Address      Hostname                      Path"
 *   -v        JID, Hostname, Path / Name, State / CPUSetID (Linux: the
 *             jail init's host PID) / every IP address, one per line
 *   --json    a JSON array: one object per jail with every field and, where
 *             the backend has them, all its parameters ("params")
 */
#ifndef STOCKADE_JAIL_JLS_H
#define STOCKADE_JAIL_JLS_H

#include <stddef.h>

enum jls_flags {
	JLS_VERBOSE = 1 << 0,
	JLS_JSON    = 1 << 1,
};

struct jls_row {
	long jid;
	const char *name, *hostname, *path;
	const char *state;            /* "ACTIVE" / "DYING" */
	const char *ip4, *ip6;        /* comma-separated, "/prefix" allowed; NULL or "" = none */
	long cpusetid;                /* -1: none (Linux) */
	long pid;                     /* -1: none (FreeBSD) */
	long long age_seconds;        /* -1: unknown (FreeBSD) */
	const char *params;           /* "key=value" lines, or NULL */
	const char *rctl;             /* jail-rctl: "rule [use=N]" lines, or NULL (issue 23) */
};

/* Prints the rows to fd in the requested layout; id_label names -v's third
 * line ("CPUSetID", or "PID" where there are no cpusets). 0 or -1. */
int jls_print(int fd, unsigned flags, const char *id_label, const struct jls_row *rows, size_t n);

#endif
