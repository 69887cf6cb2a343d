/* SPDX-License-Identifier: MIT */
/*
 * The few rtnetlink requests the vnet jail needs (veth pair with the peer
 * born in another netns, link up/delete, addresses, routes), made over a
 * raw NETLINK_ROUTE socket: no libnl, no iproute2. Acts on the network
 * namespace of the calling thread. Nothing here logs: each call returns -1
 * with a one-line reason (the kernel's extended ack when it gives one).
 */
#ifndef STOCKADE_JAIL_LINUX_NETLINK_H
#define STOCKADE_JAIL_LINUX_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rtnl {
	int fd;
	uint32_t seq;
};

/* Opens the socket. 0, or -1 with err set. */
int rtnl_open(struct rtnl *nl, char *err, size_t errlen);
void rtnl_close(struct rtnl *nl);

/* Creates the veth pair host_name <-> peer_name, the peer directly in the
 * network namespace of peer_pid. 0 or -1 (errno EEXIST when the name is taken). */
int rtnl_veth_create(struct rtnl *nl, const char *host_name, const char *peer_name,
		     pid_t peer_pid, char *err, size_t errlen);
/* Sets IFF_UP on an interface (by index). 0 or -1. */
int rtnl_link_up(struct rtnl *nl, int ifindex, char *err, size_t errlen);
/* Deletes an interface by name (a veth takes its peer along).
 * 0 (also when there is no such interface) or -1. */
int rtnl_link_del(struct rtnl *nl, const char *name, char *err, size_t errlen);
/* Adds family (AF_INET/AF_INET6) address addr/prefix on ifindex with the
 * given scope (RT_SCOPE_*); IPv6 addresses skip DAD. An address already
 * present counts as success. 0 or -1. */
int rtnl_addr_add(struct rtnl *nl, int ifindex, int family, const void *addr, int prefix,
		  int scope, char *err, size_t errlen);
/* Adds a main-table unicast route to dst/dst_len (dst NULL: default route)
 * through ifindex, via gw when not NULL (onlink: the gateway needs no
 * connected route), with the given scope. An existing route counts as
 * success. 0 or -1. */
int rtnl_route_add(struct rtnl *nl, int family, const void *dst, int dst_len, const void *gw,
		   int ifindex, int scope, char *err, size_t errlen);

#endif
