/* SPDX-License-Identifier: MIT */
/*
 * Minimal rtnetlink client for vnet jails: one request, one ACK, errors
 * with the kernel's extended-ack text. Runs as root, on the host (veth
 * creation, host routes) or inside the jail's netns (addresses, routes).
 */
#include "jail/linux_netlink.h"

#include "base/util.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSG_CAP 1024

union nlbuf {
	struct nlmsghdr h;
	char b[MSG_CAP];
};

int
rtnl_open(struct rtnl *nl, char *err, size_t errlen)
{
	struct sockaddr_nl sa;
	int one = 1;

	nl->seq = 0;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		errbuf_set(err, errlen, "socket(NETLINK_ROUTE): %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		errbuf_set(err, errlen, "bind(NETLINK_ROUTE): %s", strerror(errno));
		close(nl->fd);
		nl->fd = -1;
		return -1;
	}
	/* Best effort: error strings from the kernel, and no request echo. */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

void
rtnl_close(struct rtnl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* ------------------------------------------------------------------------ */
/* Message building. Requests are small and fixed; overflowing the buffer is
 * a programming error. */

static struct nlmsghdr *
msg_init(union nlbuf *m, uint16_t type, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(0);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = flags;
	return &m->h;
}

static void *
msg_put(struct nlmsghdr *h, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(h->nlmsg_len);
	char *p = (char *)h + at;

	if (at + NLMSG_ALIGN(len) > MSG_CAP)
		abort();
	memset(p, 0, NLMSG_ALIGN(len));
	if (data)
		memcpy(p, data, len);
	h->nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(len));
	return p;
}

static struct rtattr *
attr_put(struct nlmsghdr *h, int type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(h->nlmsg_len);
	struct rtattr *rta = (struct rtattr *)((char *)h + at);

	if (at + RTA_SPACE(len) > MSG_CAP)
		abort();
	memset(rta, 0, RTA_SPACE(len));
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(rta), data, len);
	h->nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
	return rta;
}

static void
attr_u32(struct nlmsghdr *h, int type, uint32_t v)
{
	attr_put(h, type, &v, sizeof(v));
}

static void
attr_str(struct nlmsghdr *h, int type, const char *s)
{
	attr_put(h, type, s, strlen(s) + 1);
}

static struct rtattr *
nest_begin(struct nlmsghdr *h, int type)
{
	return attr_put(h, type, NULL, 0);
}

static void
nest_end(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

/* The kernel's extended-ack message, if the error carries one. */
static const char *
ext_ack_msg(const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	const char *end = (const char *)nh + nh->nlmsg_len;
	const char *p;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	p = (const char *)e + sizeof(*e);
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		p += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (p + sizeof(struct rtattr) <= end) {
		const struct rtattr *a = (const struct rtattr *)p;
		if (a->rta_len < sizeof(*a) || p + a->rta_len > end)
			break;
		if (a->rta_type == NLMSGERR_ATTR_MSG && a->rta_len > RTA_LENGTH(0)) {
			const char *s = RTA_DATA(a);
			if (memchr(s, '\0', RTA_PAYLOAD(a)))
				return s;
		}
		p += RTA_ALIGN(a->rta_len);
	}
	return NULL;
}

/* Sends one request and waits for its ACK. 0, or -1 with errno and err set. */
static int
talk(struct rtnl *nl, struct nlmsghdr *h, const char *what, char *err, size_t errlen)
{
	struct sockaddr_nl sa;
	union {
		struct nlmsghdr h;
		char b[16384];
	} rb;
	ssize_t n;

	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++nl->seq;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	do
		n = sendto(nl->fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int saved = errno;
		errbuf_set(err, errlen, "%s: netlink send: %s", what, strerror(saved));
		errno = saved;
		return -1;
	}
	for (;;) {
		struct nlmsghdr *nh;
		size_t len;

		n = recv(nl->fd, rb.b, sizeof(rb.b), 0);
		if (n < 0) {
			int saved = errno;
			if (saved == EINTR)
				continue;
			errbuf_set(err, errlen, "%s: netlink recv: %s", what, strerror(saved));
			errno = saved;
			return -1;
		}
		len = (size_t)n;
		for (nh = &rb.h; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			const struct nlmsgerr *e;
			const char *ext;
			int code;

			if (nh->nlmsg_seq != h->nlmsg_seq)
				continue;
			if (nh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				errbuf_set(err, errlen, "%s: short netlink reply", what);
				errno = EPROTO;
				return -1;
			}
			e = NLMSG_DATA(nh);
			if (e->error == 0)
				return 0;
			code = -e->error;
			ext = ext_ack_msg(nh);
			errbuf_set(err, errlen, "%s: %s%s%s%s", what, strerror(code), ext ? " (" : "",
				ext ? ext : "", ext ? ")" : "");
			errno = code;
			return -1;
		}
	}
}

/* talk() for a change that may be done already: the errno `fine` (the
 * address exists, the link is gone) counts as success. */
static int
talk_unless(struct rtnl *nl, struct nlmsghdr *h, const char *what, int fine, char *err,
	    size_t errlen)
{
	if (talk(nl, h, what, err, errlen) < 0)
		return errno == fine ? 0 : -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests */

int
rtnl_veth_create(struct rtnl *nl, const char *host_name, const char *peer_name,
		 pid_t peer_pid, char *err, size_t errlen)
{
	union nlbuf m;
	struct nlmsghdr *h = msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg ifi;
	struct rtattr *linkinfo, *data, *peer;
	char what[96];

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	msg_put(h, &ifi, sizeof(ifi));
	attr_str(h, IFLA_IFNAME, host_name);
	linkinfo = nest_begin(h, IFLA_LINKINFO);
	attr_str(h, IFLA_INFO_KIND, "veth");
	data = nest_begin(h, IFLA_INFO_DATA);
	peer = nest_begin(h, VETH_INFO_PEER);
	msg_put(h, &ifi, sizeof(ifi));          /* the peer's own ifinfomsg */
	attr_str(h, IFLA_IFNAME, peer_name);
	attr_u32(h, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	nest_end(h, peer);
	nest_end(h, data);
	nest_end(h, linkinfo);
	snprintf(what, sizeof(what), "create veth %s (peer %s in pid %d's netns)", host_name,
		 peer_name, (int)peer_pid);
	return talk(nl, h, what, err, errlen);
}

int
rtnl_link_up(struct rtnl *nl, int ifindex, char *err, size_t errlen)
{
	union nlbuf m;
	struct nlmsghdr *h = msg_init(&m, RTM_NEWLINK, 0);
	struct ifinfomsg ifi;
	char what[64];

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	msg_put(h, &ifi, sizeof(ifi));
	snprintf(what, sizeof(what), "set link %d up", ifindex);
	return talk(nl, h, what, err, errlen);
}

int
rtnl_link_del(struct rtnl *nl, const char *name, char *err, size_t errlen)
{
	union nlbuf m;
	struct nlmsghdr *h;
	struct ifinfomsg ifi;
	unsigned idx = if_nametoindex(name);
	char what[64];

	if (idx == 0)
		return 0;
	h = msg_init(&m, RTM_DELLINK, 0);
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = (int)idx;
	msg_put(h, &ifi, sizeof(ifi));
	snprintf(what, sizeof(what), "delete link %s", name);
	return talk_unless(nl, h, what, ENODEV, err, errlen);
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int
rtnl_addr_add(struct rtnl *nl, int ifindex, int family, const void *addr, int prefix,
	      int scope, char *err, size_t errlen)
{
	union nlbuf m;
	struct nlmsghdr *h = msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg ifa;
	char what[64];

	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = (unsigned char)family;
	ifa.ifa_prefixlen = (unsigned char)prefix;
	ifa.ifa_scope = (unsigned char)scope;
	ifa.ifa_index = (unsigned)ifindex;
	/* Without DAD the address is usable at once (the link is point to point). */
	if (family == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	msg_put(h, &ifa, sizeof(ifa));
	attr_put(h, IFA_LOCAL, addr, addr_len(family));
	attr_put(h, IFA_ADDRESS, addr, addr_len(family));
	snprintf(what, sizeof(what), "add address on link %d", ifindex);
	return talk_unless(nl, h, what, EEXIST, err, errlen);
}

int
rtnl_route_add(struct rtnl *nl, int family, const void *dst, int dst_len, const void *gw,
	       int ifindex, int scope, char *err, size_t errlen)
{
	union nlbuf m;
	struct nlmsghdr *h = msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg rtm;
	char what[64];

	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = (unsigned char)family;
	rtm.rtm_dst_len = (unsigned char)(dst ? dst_len : 0);
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = (unsigned char)scope;
	rtm.rtm_type = RTN_UNICAST;
	if (gw)
		rtm.rtm_flags = RTNH_F_ONLINK;
	msg_put(h, &rtm, sizeof(rtm));
	if (dst)
		attr_put(h, RTA_DST, dst, addr_len(family));
	if (gw)
		attr_put(h, RTA_GATEWAY, gw, addr_len(family));
	attr_u32(h, RTA_OIF, (uint32_t)ifindex);
	snprintf(what, sizeof(what), "add %s route via link %d", dst ? "host" : "default", ifindex);
	return talk_unless(nl, h, what, EEXIST, err, errlen);
}
