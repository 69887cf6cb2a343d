/* SPDX-License-Identifier: MIT */
/*
 * cgroup-v2 BPF programs that confine a shared-stack jail to its addresses
 * (FreeBSD ip4.addr/ip6.addr semantics). Programs are generated per jail as
 * plain instruction arrays (unrolled compares, no maps) and loaded with the
 * raw bpf() syscall: no libbpf, no clang objects, no BTF.
 * Nothing here logs: errors come back in a caller's buffer.
 */
#ifndef STOCKADE_JAIL_LINUX_BPF_H
#define STOCKADE_JAIL_LINUX_BPF_H

#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jail/params.h"

/* More addresses per family than this is a configuration error. */
#define JAIL_BPF_MAX_ADDRS 64

enum jail_bpf_mode {
	JAIL_BPF_ALLOW,     /* inherit: no restriction for the family */
	JAIL_BPF_DENY,      /* disable, or new without addresses: nothing of the family */
	JAIL_BPF_LIST,      /* new: only the listed addresses */
};

/* The policy the programs implement, derived from a jail_spec. Addresses are
 * kept as raw network-order words (memcpy of s_addr / s6_addr), the form the
 * programs compare against. */
struct jail_bpf_policy {
	enum jail_bpf_mode mode4, mode6;
	size_t n4, n6;
	uint32_t ip4[JAIL_BPF_MAX_ADDRS];
	uint8_t plen4[JAIL_BPF_MAX_ADDRS];          /* subnet for saddrsel: given prefix, else 24 */
	struct in6_addr ip6[JAIL_BPF_MAX_ADDRS];
	uint8_t plen6[JAIL_BPF_MAX_ADDRS];          /* given prefix, else 64 */
	bool saddrsel4, saddrsel6;
	bool allow_raw;
};

enum jail_bpf_hook {
	JAIL_BPF_SOCK_CREATE,
	JAIL_BPF_BIND4,
	JAIL_BPF_BIND6,
	JAIL_BPF_CONNECT4,
	JAIL_BPF_CONNECT6,
	JAIL_BPF_SENDMSG4,
	JAIL_BPF_SENDMSG6,
	JAIL_BPF_INGRESS,
	JAIL_BPF_EGRESS,
	JAIL_BPF_NHOOKS
};

/* Fills pol from the spec's ip4/ip6 lists and modes. -1 with err set when a
 * family has more than JAIL_BPF_MAX_ADDRS addresses or a bad family. */
int jail_bpf_policy_build(const struct jail_spec *spec, struct jail_bpf_policy *pol,
			  char *err, size_t errlen);
/* True when some family is not plain "inherit" (the jail must be confined). */
bool jail_bpf_policy_restricts(const struct jail_bpf_policy *pol);

/* "bind4", "egress", ... */
const char *jail_bpf_hook_name(enum jail_bpf_hook hook);

/* Generates the program for one hook into *out (malloc'd, caller frees).
 * Returns the instruction count, or 0 (and *out NULL) when the policy needs
 * no program on that hook. */
size_t jail_bpf_generate(const struct jail_bpf_policy *pol, enum jail_bpf_hook hook,
			 struct bpf_insn **out);

/* Loads one generated program. Returns the program fd (O_CLOEXEC), or -1 with
 * err holding the reason and, when the verifier refused it, the tail of the
 * verifier log. */
int jail_bpf_load(enum jail_bpf_hook hook, const struct bpf_insn *insns, size_t n,
		  char *err, size_t errlen);

/* Generates, loads and attaches (BPF_F_ALLOW_MULTI) every program the policy
 * needs to the cgroup directory fd. The attachments live with the cgroup;
 * the program fds are closed before returning. Returns the number attached,
 * or -1 with err set (programs attached before the failure stay until the
 * cgroup is removed). */
int jail_bpf_install(const struct jail_bpf_policy *pol, int cgroup_fd, char *err, size_t errlen);

#endif
