/* SPDX-License-Identifier: MIT */
/*
 * Privileges of jailed root on Linux, applied inside the jail after the
 * namespaces and mounts and before any config hook runs there: capability
 * bounding set + capset reduced per allow.* and securelevel,
 * PR_SET_NO_NEW_PRIVS, and a seccomp filter (children.max = 0 → no new
 * namespaces; allow.socket_af = 0 → only UNIX/INET/INET6/NETLINK sockets;
 * sysv* = disable → no SysV IPC; ip4/ip6 = disable → no such sockets;
 * allow.unprivileged_proc_debug = 0 → no ptrace/process_vm_*).
 */
#ifndef STOCKADE_JAIL_LINUX_RESTRICT_H
#define STOCKADE_JAIL_LINUX_RESTRICT_H

#include <stdint.h>

#include "jail/params.h"

/* The capability set a jail keeps (bit mask of CAP_* numbers). */
uint64_t jail_caps_for(const struct jail_spec *spec);
/* Applies everything above to the calling process. 0, or -1 after one line. */
int jail_linux_restrict(const struct jail_spec *spec);
/*
 * Refuses what jail_linux_restrict() can't honour without a user namespace:
 * allow.mount* (CAP_SYS_ADMIN) and allow.routing (CAP_NET_ADMIN). For the
 * backend's validate(). 0, or -1 after one file:line error.
 */
int jail_restrict_validate(const struct jail_spec *spec);
/*
 * allow.suser=0 leaves jail root with no capability at all, so the later
 * uid/gid drop would fail: refuses allow.suser=0 with a uid or gid (the
 * config's `uid`/`gid`, NULL when unset). 0, or -1 after one line.
 */
int jail_restrict_validate_ids(const struct jail_spec *spec, const char *uid,
    const char *gid);

#endif
