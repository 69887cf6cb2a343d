/* SPDX-License-Identifier: MIT */
/*
 * Linux jail networking (FreeBSD ip4.addr/ip6.addr semantics).
 * Shared-stack mode (default): a per-jail cgroup v2 with sock_addr BPF
 * programs that confine the jail to its addresses. vnet mode: a new network
 * namespace and a veth pair made over rtnetlink.
 * Also the jail's cgroup itself (used for every jail when cgroup2 exists:
 * attach joins it, teardown removes it).
 */
#ifndef STOCKADE_JAIL_LINUX_NET_H
#define STOCKADE_JAIL_LINUX_NET_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "jail/params.h"

struct jail_net {
	char cgroup_path[PATH_MAX];   /* "" when the jail has no cgroup */
	int cgroup_fd;                /* O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP), or -1.
	                               * It also holds a flock that marks the cgroup as
	                               * owned (stale-cgroup collection skips it): keep it
	                               * open in the monitor until teardown, never pass it
	                               * into the jail. */
	char veth_host[16];           /* vnet: host-side interface name, "" otherwise */
};

/* Host side, before the jail exists: cgroup <cgroup2>/stockade/<name>
 * (collecting stale stockade cgroups first), BPF programs attached when the
 * spec has addresses and no vnet. 0, or -1 after one line (nothing left). */
int jail_net_prepare(const struct jail_spec *spec, const char *name, struct jail_net *net);
/* Host side, after the jail's init exists (vnet: veth with the peer created
 * in init's netns, host routes to the jail addresses). 0 or -1. */
int jail_net_attach_init(const struct jail_spec *spec, struct jail_net *net, pid_t init_pid);
/* Inside the jail, still root (vnet: lo up, addresses on eth0, routes;
 * Landlock abstract-unix scope when the kernel has it, else a warning
 * pointing at vnet). 0 or -1. */
int jail_net_inside(const struct jail_spec *spec);
/* Host side, when the jail is gone: remove the cgroup (veth and netns go
 * with the last process). Safe to call twice. */
void jail_net_teardown(struct jail_net *net);
/* The cgroup2 mount point from /proc/self/mountinfo; 0 or -1 (none). */
int cgroup2_mountpoint(char *buf, size_t len);
/* Moves pid into an existing jail cgroup (jail-attach). 0 or -1. */
int jail_cgroup_join(const char *cgroup_path, pid_t pid);
/* The host-side veth name for a jail name: "vj-<name>" when that fits in
 * IFNAMSIZ and uses only [A-Za-z0-9_-], else "vj-" + 12 hex digits of a
 * hash of the name. */
void jail_net_veth_name(const char *name, char out[16]);

#endif
