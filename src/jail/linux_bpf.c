/* SPDX-License-Identifier: MIT */
/*
 * The policy and the raw-syscall loader for the shared-stack jail's cgroup
 * BPF programs (design: linux-jail-design.md §3a); linux_bpf_gen.c
 * assembles the programs. Runs as root on the host, before the jail
 * exists. Must not log: errors go to the caller's buffer.
 */
#include "jail/linux_bpf.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Policy */

static enum jail_bpf_mode
family_mode(enum jail_ns_mode mode, size_t n)
{
	switch (mode) {
	case JAIL_MODE_INHERIT:
		return JAIL_BPF_ALLOW;
	case JAIL_MODE_DISABLE:
		return JAIL_BPF_DENY;
	case JAIL_MODE_NEW:
	default:
		return n ? JAIL_BPF_LIST : JAIL_BPF_DENY;
	}
}

int
jail_bpf_policy_build(const struct jail_spec *spec, struct jail_bpf_policy *pol,
		      char *err, size_t errlen)
{
	size_t i;

	memset(pol, 0, sizeof(*pol));
	if (spec->nip4 > JAIL_BPF_MAX_ADDRS || spec->nip6 > JAIL_BPF_MAX_ADDRS) {
		errbuf_set(err, errlen, "too many jail addresses (%zu ip4, %zu ip6; at most %d per family)",
			spec->nip4, spec->nip6, JAIL_BPF_MAX_ADDRS);
		return -1;
	}
	pol->mode4 = family_mode(spec->ip4_mode, spec->nip4);
	pol->mode6 = family_mode(spec->ip6_mode, spec->nip6);
	if (pol->mode4 == JAIL_BPF_LIST) {
		for (i = 0; i < spec->nip4; i++) {
			const struct jail_addr *a = &spec->ip4[i];
			if (a->family != AF_INET) {
				errbuf_set(err, errlen, "ip4 address %zu is not IPv4", i + 1);
				return -1;
			}
			memcpy(&pol->ip4[i], &a->u.v4, 4);
			pol->plen4[i] = (uint8_t)(a->prefix >= 0 && a->prefix <= 32 ? a->prefix : 24);
		}
		pol->n4 = spec->nip4;
	}
	if (pol->mode6 == JAIL_BPF_LIST) {
		for (i = 0; i < spec->nip6; i++) {
			const struct jail_addr *a = &spec->ip6[i];
			if (a->family != AF_INET6) {
				errbuf_set(err, errlen, "ip6 address %zu is not IPv6", i + 1);
				return -1;
			}
			pol->ip6[i] = a->u.v6;
			pol->plen6[i] = (uint8_t)(a->prefix >= 0 && a->prefix <= 128 ? a->prefix : 64);
		}
		pol->n6 = spec->nip6;
	}
	pol->saddrsel4 = spec->ip4_saddrsel;
	pol->saddrsel6 = spec->ip6_saddrsel;
	pol->allow_raw = spec->allow_raw_sockets;
	return 0;
}

bool
jail_bpf_policy_restricts(const struct jail_bpf_policy *pol)
{
	return pol->mode4 != JAIL_BPF_ALLOW || pol->mode6 != JAIL_BPF_ALLOW;
}

/* ------------------------------------------------------------------------ */
/* Loader */

static const struct {
	const char *name;
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
} hooks[JAIL_BPF_NHOOKS] = {
	[JAIL_BPF_SOCK_CREATE] = { "sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE },
	[JAIL_BPF_BIND4] = { "bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND },
	[JAIL_BPF_BIND6] = { "bind6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND },
	[JAIL_BPF_CONNECT4] = { "connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT },
	[JAIL_BPF_CONNECT6] = { "connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT },
	[JAIL_BPF_SENDMSG4] = { "sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG },
	[JAIL_BPF_SENDMSG6] = { "sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG },
	[JAIL_BPF_INGRESS] = { "ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS },
	[JAIL_BPF_EGRESS] = { "egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS },
};

const char *
jail_bpf_hook_name(enum jail_bpf_hook hook)
{
	return (unsigned)hook < JAIL_BPF_NHOOKS ? hooks[hook].name : "?";
}

static long
sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The last part of the verifier log on one line (its end says why). */
static void
log_tail(char *dst, size_t dstlen, const char *log)
{
	size_t len = strlen(log), keep = dstlen > 1 ? dstlen - 1 : 0, i, o = 0;
	const char *p = len > keep ? log + len - keep : log;

	for (i = 0; p[i] && o + 3 < dstlen; i++) {
		if (p[i] == '\n') {
			if (p[i + 1]) {
				dst[o++] = ' ';
				dst[o++] = '|';
				dst[o++] = ' ';
			}
		} else {
			dst[o++] = p[i];
		}
	}
	if (dstlen)
		dst[o < dstlen ? o : dstlen - 1] = '\0';
}

int
jail_bpf_load(enum jail_bpf_hook hook, const struct bpf_insn *insns, size_t n,
	      char *err, size_t errlen)
{
	static const char license[] = "Dual MIT/GPL";
	union bpf_attr attr;
	char *vlog, tailbuf[1200];
	size_t vlog_size = 1 << 20;
	int fd, saved;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = hooks[hook].type;
	attr.expected_attach_type = hooks[hook].attach;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)license;
	snprintf(attr.prog_name, sizeof(attr.prog_name), "stk_%s", hooks[hook].name);
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	saved = errno;
	if (saved != EACCES && saved != EINVAL) {
		errbuf_set(err, errlen, "bpf(PROG_LOAD %s): %s", hooks[hook].name, strerror(saved));
		errno = saved;
		return -1;
	}
	/* Load again with the verifier log on, to say why. */
	vlog = xcalloc(1, vlog_size);
	attr.log_level = 1;
	attr.log_buf = (uint64_t)(uintptr_t)vlog;
	attr.log_size = (uint32_t)vlog_size;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {          /* accepted the second time: keep it */
		free(vlog);
		return fd;
	}
	saved = errno;
	log_tail(tailbuf, sizeof(tailbuf), vlog);
	free(vlog);
	errbuf_set(err, errlen, "bpf(PROG_LOAD %s, %zu insns): %s; verifier: %s", hooks[hook].name, n,
		strerror(saved), tailbuf[0] ? tailbuf : "(no log)");
	errno = saved;
	return -1;
}

static int
bpf_attach(int cgroup_fd, enum jail_bpf_hook hook, int prog_fd, char *err, size_t errlen)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = hooks[hook].attach;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
		errbuf_set(err, errlen, "bpf(PROG_ATTACH %s): %s", hooks[hook].name, strerror(errno));
		return -1;
	}
	return 0;
}

int
jail_bpf_install(const struct jail_bpf_policy *pol, int cgroup_fd, char *err, size_t errlen)
{
	int count = 0;

	for (int h = 0; h < JAIL_BPF_NHOOKS; h++) {
		struct bpf_insn *insns;
		size_t n = jail_bpf_generate(pol, (enum jail_bpf_hook)h, &insns);
		int fd, rc;

		if (!n)
			continue;
		fd = jail_bpf_load((enum jail_bpf_hook)h, insns, n, err, errlen);
		free(insns);
		if (fd < 0)
			return -1;
		rc = bpf_attach(cgroup_fd, (enum jail_bpf_hook)h, fd, err, errlen);
		close(fd);
		if (rc < 0)
			return -1;
		count++;
	}
	return count;
}

