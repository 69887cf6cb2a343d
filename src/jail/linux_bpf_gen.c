/* SPDX-License-Identifier: MIT */
/*
 * The generator of the shared-stack jail's cgroup BPF programs (design:
 * linux-jail-design.md §3a). Each program is assembled at run time from
 * the jail's address lists with a tiny label-fixing assembler; compares are
 * unrolled (no maps), 32-bit compares use JMP32 and context writes use STX
 * from a register. linux_bpf.c builds the policy and loads the programs.
 */
#include "jail/linux_bpf.h"
#include "jail/linux_bpf_asm.h"

#include "base/util.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------------ */
/* Address helpers */

static void
words6(const struct in6_addr *in, uint32_t w[4])
{
	memcpy(w, in, 16);
}

/* The network-order mask of a prefix length, as a raw word (k = word index). */
static uint32_t
mask_word(unsigned plen, unsigned k)
{
	uint8_t b[4];
	unsigned i;
	uint32_t w;

	for (i = 0; i < 4; i++) {
		unsigned bit = k * 32 + i * 8;
		if (plen >= bit + 8)
			b[i] = 0xff;
		else if (plen <= bit)
			b[i] = 0;
		else
			b[i] = (uint8_t)(0xff << (8 - (plen - bit)));
	}
	memcpy(&w, b, 4);
	return w;
}

static uint32_t
lo4(void)
{
	return htonl(INADDR_LOOPBACK);
}
static uint32_t
mapped_prefix(void)
{
	return htonl(0xffff);
}

static bool
has4(const struct jail_bpf_policy *pol, uint32_t v)
{
	for (size_t i = 0; i < pol->n4; i++)
		if (pol->ip4[i] == v)
			return true;
	return false;
}

static bool
has6(const struct jail_bpf_policy *pol, const struct in6_addr *v)
{
	for (size_t i = 0; i < pol->n6; i++)
		if (!memcmp(&pol->ip6[i], v, 16))
			return true;
	return false;
}

/* if reg equals any jail IPv4 address, goto l */
static void
match4(struct basm *a, const struct jail_bpf_policy *pol, int reg, int l)
{
	for (size_t i = 0; i < pol->n4; i++)
		jeq32(a, reg, pol->ip4[i], l);
}

/* if the four words in regs equal w, goto l (4 instructions) */
static void
is6(struct basm *a, const int regs[4], const uint32_t w[4], int l)
{
	int next = basm_new_label(a);

	jne32(a, regs[0], w[0], next);
	jne32(a, regs[1], w[1], next);
	jne32(a, regs[2], w[2], next);
	jeq32(a, regs[3], w[3], l);
	basm_bind_label(a, next);
}

static void
match6(struct basm *a, const struct jail_bpf_policy *pol, const int regs[4], int l)
{
	uint32_t w[4];

	for (size_t i = 0; i < pol->n6; i++) {
		words6(&pol->ip6[i], w);
		is6(a, regs, w, l);
	}
}

/* if regs hold ::ffff:a.b.c.d, fall through, else goto not_mapped */
static void
if_mapped(struct basm *a, const int regs[4], int not_mapped)
{
	jne32(a, regs[0], 0, not_mapped);
	jne32(a, regs[1], 0, not_mapped);
	jne32(a, regs[2], mapped_prefix(), not_mapped);
}

static void
store6(struct basm *a, int base, int16_t off, const uint32_t w[4])
{
	for (int k = 0; k < 4; k++) {
		mov32_imm(a, R1, w[k]);
		stx(a, BPF_W, base, R1, (int16_t)(off + 4 * k));
	}
}

static void
load6(struct basm *a, const int regs[4], int base, int16_t off)
{
	for (int k = 0; k < 4; k++)
		ldx_w(a, regs[k], base, (int16_t)(off + 4 * k));
}

/*
 * Source-address choice for an IPv4 destination in dst_reg (saddrsel): the
 * first jail address whose subnet (given prefix, else /24) holds the
 * destination, else the primary. For each candidate, store(a, addr) writes
 * the choice and the code then jumps to done. Uses tmp_reg.
 */
typedef void store4_fn(struct basm *a, uint32_t addr, void *arg);

static void
choose_src4(struct basm *a, const struct jail_bpf_policy *pol, bool saddrsel, int dst_reg,
	    int tmp_reg, store4_fn *store, void *arg, int done)
{
	if (saddrsel && pol->n4 > 1) {
		for (size_t i = 0; i < pol->n4; i++) {
			uint32_t m = mask_word(pol->plen4[i], 0);
			int next = basm_new_label(a);
			mov32_reg(a, tmp_reg, dst_reg);
			and32_imm(a, tmp_reg, m);
			jne32(a, tmp_reg, pol->ip4[i] & m, next);
			store(a, pol->ip4[i], arg);
			ja(a, done);
			basm_bind_label(a, next);
		}
	}
	store(a, pol->ip4[0], arg);
}

typedef void store6_fn(struct basm *a, const uint32_t w[4], void *arg);

/* The same for IPv6 (default subnet /64); dst in regs, R1 is scratch. */
static void
choose_src6(struct basm *a, const struct jail_bpf_policy *pol, bool saddrsel, const int regs[4],
	    store6_fn *store, void *arg, int done)
{
	uint32_t w[4];

	if (saddrsel && pol->n6 > 1) {
		for (size_t i = 0; i < pol->n6; i++) {
			int next = basm_new_label(a);
			words6(&pol->ip6[i], w);
			for (unsigned k = 0; k < 4; k++) {
				uint32_t m = mask_word(pol->plen6[i], k);
				if (m == 0)
					continue;
				if (m == 0xffffffffu) {
					jne32(a, regs[k], w[k], next);
				} else {
					mov32_reg(a, R1, regs[k]);
					and32_imm(a, R1, m);
					jne32(a, R1, w[k] & m, next);
				}
			}
			store(a, w, arg);
			ja(a, done);
			basm_bind_label(a, next);
		}
	}
	words6(&pol->ip6[0], w);
	store(a, w, arg);
}

/* ------------------------------------------------------------------------ */
/* Programs */

#define CTX_OFF(f) ((int16_t)offsetof(struct bpf_sock_addr, f))

/*
 * A family the policy allows or denies outright: jumps to allow or deny and
 * returns true. A listed family (JAIL_BPF_LIST) returns false: the caller
 * emits the address checks.
 */
static bool
jump_by_mode(struct basm *a, enum jail_bpf_mode mode, int allow, int deny)
{
	if (mode == JAIL_BPF_LIST)
		return false;
	ja(a, mode == JAIL_BPF_ALLOW ? allow : deny);
	return true;
}

/* R6 = ctx and r = user_ip6; jumps to v6 unless the address is v4-mapped. */
static void
load_dst6(struct basm *a, const int r[4], int v6)
{
	mov64_reg(a, R6, R1);
	load6(a, r, R6, CTX_OFF(user_ip6));
	if_mapped(a, r, v6);
}

/*
 * bind4: a jail address → allow; 0.0.0.0 or 127.0.0.1 (unless 127.0.0.1 is
 * itself a jail address) → rewritten to the primary; anything else → EPERM.
 */
static void
gen_bind4(struct basm *a, const struct jail_bpf_policy *pol)
{
	int allow = basm_new_label(a), rw = basm_new_label(a);

	if (pol->mode4 == JAIL_BPF_DENY) {
		ret(a, 0);
		return;
	}
	ldx_w(a, R2, R1, CTX_OFF(user_ip4));
	match4(a, pol, R2, allow);
	jeq32(a, R2, 0, rw);
	if (!has4(pol, lo4()))
		jeq32(a, R2, lo4(), rw);
	ret(a, 0);
	basm_bind_label(a, rw);
	mov32_imm(a, R2, pol->ip4[0]);
	stx(a, BPF_W, R1, R2, CTX_OFF(user_ip4));
	basm_bind_label(a, allow);
	ret(a, 1);
}

/*
 * bind6: IPv6 rules as bind4 (:: and ::1 → primary); a v4-mapped address
 * gets the IPv4 rules, since a dual-stack socket would otherwise bypass them.
 */
static void
gen_bind6(struct basm *a, const struct jail_bpf_policy *pol)
{
	static const int r[4] = { R2, R3, R4, R5 };
	int allow = basm_new_label(a), deny = basm_new_label(a), v6 = basm_new_label(a);
	int rw4 = basm_new_label(a), rw6 = basm_new_label(a);
	uint32_t any[4] = { 0, 0, 0, 0 }, lo[4], p[4];

	words6(&in6addr_loopback, lo);
	load_dst6(a, r, v6);
	if (!jump_by_mode(a, pol->mode4, allow, deny)) {
		match4(a, pol, R5, allow);
		jeq32(a, R5, 0, rw4);
		if (!has4(pol, lo4()))
			jeq32(a, R5, lo4(), rw4);
		ja(a, deny);
		basm_bind_label(a, rw4);
		mov32_imm(a, R5, pol->ip4[0]);
		stx(a, BPF_W, R6, R5, CTX_OFF(user_ip6[3]));
		ja(a, allow);
	}
	basm_bind_label(a, v6);
	if (!jump_by_mode(a, pol->mode6, allow, deny)) {
		match6(a, pol, r, allow);
		is6(a, r, any, rw6);
		if (!has6(pol, &in6addr_loopback))
			is6(a, r, lo, rw6);
		ja(a, deny);
		basm_bind_label(a, rw6);
		words6(&pol->ip6[0], p);
		store6(a, R6, CTX_OFF(user_ip6), p);
		ja(a, allow);
	}
	tail(a, allow, 1);
	tail(a, deny, 0);
}

/* Stack layout for bpf_bind(): sockaddr_in at fp-16, sockaddr_in6 at fp-32. */
#define SA4_OFF (-16)
#define SA6_OFF (-32)

static void
sa_init(struct basm *a, int16_t off, int words64, uint16_t family)
{
	mov64_imm(a, R1, 0);
	for (int i = 0; i < words64; i++)
		stx(a, BPF_DW, R10, R1, (int16_t)(off + 8 * i));
	mov32_imm(a, R1, family);
	stx(a, BPF_H, R10, R1, off);
}

static void
store_sa4(struct basm *a, uint32_t addr, void *arg)
{
	(void)arg;
	mov32_imm(a, R3, addr);
	stx(a, BPF_W, R10, R3, SA4_OFF + 4);
}

/* the IPv4 source of a v4-mapped connect on an AF_INET6 socket */
static void
store_sa6_mapped(struct basm *a, uint32_t addr, void *arg)
{
	(void)arg;
	mov32_imm(a, R1, addr);
	stx(a, BPF_W, R10, R1, SA6_OFF + 8 + 12);
}

static void
store_sa6(struct basm *a, const uint32_t w[4], void *arg)
{
	(void)arg;
	store6(a, R10, SA6_OFF + 8, w);
}

static void
call_bind(struct basm *a, int16_t off, int len)
{
	mov64_reg(a, R1, R6);
	mov64_reg(a, R2, R10);
	add64_imm(a, R2, off);
	mov64_imm(a, R3, len);
	call(a, BPF_FUNC_bind);
}

/*
 * A destination of 127.0.0.1 (unless that is a jail address) or 0.0.0.0 in
 * reg is rewritten to the primary jail address, in reg and in the context
 * at off (the FreeBSD jail does the same for its loopback and wildcard).
 */
static void
redirect_local_dst4(struct basm *a, const struct jail_bpf_policy *pol, int reg, int16_t off)
{
	int rwd = basm_new_label(a), done = basm_new_label(a);

	if (!has4(pol, lo4()))
		jeq32(a, reg, lo4(), rwd);
	jeq32(a, reg, 0, rwd);
	ja(a, done);
	basm_bind_label(a, rwd);
	mov32_imm(a, reg, pol->ip4[0]);
	stx(a, BPF_W, R6, reg, off);
	basm_bind_label(a, done);
}

/*
 * The head of connect4 and sendmsg4: false when IPv4 is denied (the
 * program is complete: EPERM); else R6 = ctx and R2 = the destination,
 * 127.0.0.1 and 0.0.0.0 already redirected to the primary address.
 */
static bool
dst4_head(struct basm *a, const struct jail_bpf_policy *pol)
{
	if (pol->mode4 == JAIL_BPF_DENY) {
		ret(a, 0);
		return false;
	}
	mov64_reg(a, R6, R1);
	ldx_w(a, R2, R6, CTX_OFF(user_ip4));
	redirect_local_dst4(a, pol, R2, CTX_OFF(user_ip4));
	return true;
}

/*
 * connect4: 127.0.0.1 (unless a jail address) and 0.0.0.0 → primary; the
 * source is forced with bpf_bind(jail address, port 0). bpf_bind fails
 * harmlessly when the socket is already bound (necessarily to a jail
 * address, by bind4); the egress filter catches any other case.
 */
static void
gen_connect4(struct basm *a, const struct jail_bpf_policy *pol)
{
	int bind = basm_new_label(a);

	if (!dst4_head(a, pol))
		return;
	sa_init(a, SA4_OFF, 2, AF_INET);
	choose_src4(a, pol, pol->saddrsel4, R2, R3, store_sa4, NULL, bind);
	basm_bind_label(a, bind);
	call_bind(a, SA4_OFF, (int)sizeof(struct sockaddr_in));
	ret(a, 1);
}

/* connect6: as connect4 for IPv6 (:: and ::1 → primary), v4-mapped
 * destinations get the IPv4 rules with a v4-mapped source. */
static void
gen_connect6(struct basm *a, const struct jail_bpf_policy *pol)
{
	static const int r[4] = { R2, R3, R4, R5 };
	int allow = basm_new_label(a), deny = basm_new_label(a), v6 = basm_new_label(a), bind = basm_new_label(a);
	uint32_t any[4] = { 0, 0, 0, 0 }, lo[4], p[4];

	words6(&in6addr_loopback, lo);
	load_dst6(a, r, v6);
	if (!jump_by_mode(a, pol->mode4, allow, deny)) {
		redirect_local_dst4(a, pol, R5, CTX_OFF(user_ip6[3]));
		sa_init(a, SA6_OFF, 4, AF_INET6);
		mov32_imm(a, R1, mapped_prefix());
		stx(a, BPF_W, R10, R1, SA6_OFF + 8 + 8);
		choose_src4(a, pol, pol->saddrsel4, R5, R1, store_sa6_mapped, NULL, bind);
		ja(a, bind);
	}
	basm_bind_label(a, v6);
	if (!jump_by_mode(a, pol->mode6, allow, deny)) {
		int rwd = basm_new_label(a), def = basm_new_label(a);
		sa_init(a, SA6_OFF, 4, AF_INET6);
		if (!has6(pol, &in6addr_loopback))
			is6(a, r, lo, rwd);
		is6(a, r, any, rwd);
		choose_src6(a, pol, pol->saddrsel6, r, store_sa6, NULL, bind);
		ja(a, bind);
		basm_bind_label(a, rwd);
		words6(&pol->ip6[0], p);
		store6(a, R6, CTX_OFF(user_ip6), p);
		basm_bind_label(a, def);
		store_sa6(a, p, NULL);
		/* falls into bind */
	}
	if (basm_label_used(a, bind)) {
		basm_bind_label(a, bind);
		call_bind(a, SA6_OFF, (int)sizeof(struct sockaddr_in6));
		ja(a, allow);
	}
	tail(a, allow, 1);
	tail(a, deny, 0);
}

static void
store_msg_src4(struct basm *a, uint32_t addr, void *arg)
{
	(void)arg;
	mov32_imm(a, R3, addr);
	stx(a, BPF_W, R6, R3, CTX_OFF(msg_src_ip4));
}

/*
 * UDP sendmsg4 (unconnected sends only): 127.0.0.1/0.0.0.0 destinations →
 * primary; a source that is already a jail address (bound socket,
 * IP_PKTINFO) is kept, any other becomes the chosen jail address.
 */
static void
gen_sendmsg4(struct basm *a, const struct jail_bpf_policy *pol)
{
	int allow = basm_new_label(a);

	if (!dst4_head(a, pol))
		return;
	ldx_w(a, R3, R6, CTX_OFF(msg_src_ip4));
	match4(a, pol, R3, allow);
	choose_src4(a, pol, pol->saddrsel4, R2, R4, store_msg_src4, NULL, allow);
	basm_bind_label(a, allow);
	ret(a, 1);
}

static void
store_msg_src6(struct basm *a, const uint32_t w[4], void *arg)
{
	(void)arg;
	store6(a, R6, CTX_OFF(msg_src_ip6), w);
}

/* UDP sendmsg6: as sendmsg4. The kernel hands v4-mapped destinations to
 * udp_sendmsg (and the sendmsg4 program) before this hook runs. */
static void
gen_sendmsg6(struct basm *a, const struct jail_bpf_policy *pol)
{
	static const int r[4] = { R2, R3, R4, R5 };
	static const int s[4] = { R7, R8, R9, R0 };
	int allow = basm_new_label(a), v6 = basm_new_label(a), rwd = basm_new_label(a), src = basm_new_label(a);
	uint32_t any[4] = { 0, 0, 0, 0 }, lo[4], p[4];

	if (pol->mode6 == JAIL_BPF_DENY) {
		ret(a, 0);
		return;
	}
	words6(&in6addr_loopback, lo);
	load_dst6(a, r, v6);
	ja(a, allow);
	basm_bind_label(a, v6);
	if (!has6(pol, &in6addr_loopback))
		is6(a, r, lo, rwd);
	is6(a, r, any, rwd);
	ja(a, src);
	basm_bind_label(a, rwd);
	words6(&pol->ip6[0], p);
	store6(a, R6, CTX_OFF(user_ip6), p);
	load6(a, r, R6, CTX_OFF(user_ip6));
	basm_bind_label(a, src);
	load6(a, s, R6, CTX_OFF(msg_src_ip6));
	match6(a, pol, s, allow);
	choose_src6(a, pol, pol->saddrsel6, r, store_msg_src6, NULL, allow);
	basm_bind_label(a, allow);
	ret(a, 1);
}

/* sock_create: no SOCK_RAW unless allow.raw_sockets; no socket of a denied
 * family (FreeBSD's prison_check_af refuses those too). */
static void
gen_sock_create(struct basm *a, const struct jail_bpf_policy *pol)
{
	int deny = basm_new_label(a);

	if (!pol->allow_raw) {
		ldx_w(a, R2, R1, (int16_t)offsetof(struct bpf_sock, type));
		jeq32(a, R2, SOCK_RAW, deny);
	}
	if (pol->mode4 == JAIL_BPF_DENY || pol->mode6 == JAIL_BPF_DENY) {
		ldx_w(a, R2, R1, (int16_t)offsetof(struct bpf_sock, family));
		if (pol->mode4 == JAIL_BPF_DENY)
			jeq32(a, R2, AF_INET, deny);
		if (pol->mode6 == JAIL_BPF_DENY)
			jeq32(a, R2, AF_INET6, deny);
	}
	ret(a, 1);
	tail(a, deny, 0);
}

/* Copies len bytes at off of the packet (R6 = skb) to the stack at -len;
 * a packet too short for them goes to fail. */
static void
load_skb_bytes(struct basm *a, int off, int len, int fail)
{
	mov64_reg(a, R1, R6);
	mov64_imm(a, R2, off);
	mov64_reg(a, R3, R10);
	add64_imm(a, R3, -len);
	mov64_imm(a, R4, len);
	call(a, BPF_FUNC_skb_load_bytes);
	jne64(a, R0, 0, fail);
}

/*
 * cgroup_skb ingress/egress, the safety net for sockets that never passed
 * bind4/bind6 (listen() or sendto() autobind to the wildcard): an IPv4
 * packet's local address (daddr in, saddr out) must be a jail address,
 * likewise IPv6 when restricted; other packets are dropped.
 */
static void
gen_skb(struct basm *a, const struct jail_bpf_policy *pol, bool ingress)
{
	static const int r[4] = { R2, R3, R4, R5 };
	int pass = basm_new_label(a), drop = basm_new_label(a), v4 = basm_new_label(a), v6 = basm_new_label(a);

	mov64_reg(a, R6, R1);
	ldx_w(a, R2, R6, (int16_t)offsetof(struct __sk_buff, protocol));
	jeq32(a, R2, htons(ETH_P_IP), v4);
	jeq32(a, R2, htons(ETH_P_IPV6), v6);
	ja(a, drop);

	basm_bind_label(a, v4);
	if (!jump_by_mode(a, pol->mode4, pass, drop)) {
		load_skb_bytes(a, ingress ? 16 : 12, 4, drop);   /* iphdr daddr / saddr */
		ldx_w(a, R2, R10, -4);
		match4(a, pol, R2, pass);
		ja(a, drop);
	}

	basm_bind_label(a, v6);
	if (!jump_by_mode(a, pol->mode6, pass, drop)) {
		load_skb_bytes(a, ingress ? 24 : 8, 16, drop);   /* ipv6hdr daddr / saddr */
		load6(a, r, R10, -16);
		match6(a, pol, r, pass);
		ja(a, drop);
	}
	tail(a, pass, 1);
	tail(a, drop, 0);
}

static bool
hook_needed(const struct jail_bpf_policy *pol, enum jail_bpf_hook hook)
{
	bool r4 = pol->mode4 != JAIL_BPF_ALLOW, r6 = pol->mode6 != JAIL_BPF_ALLOW;

	switch (hook) {
	case JAIL_BPF_SOCK_CREATE:
		return !pol->allow_raw || pol->mode4 == JAIL_BPF_DENY || pol->mode6 == JAIL_BPF_DENY;
	case JAIL_BPF_BIND4:
	case JAIL_BPF_CONNECT4:
	case JAIL_BPF_SENDMSG4:
		return r4;
	case JAIL_BPF_BIND6:
	case JAIL_BPF_CONNECT6:          /* v4-mapped addresses need the IPv4 rules */
		return r4 || r6;
	case JAIL_BPF_SENDMSG6:
		return r6;
	case JAIL_BPF_INGRESS:
	case JAIL_BPF_EGRESS:
		return r4 || r6;
	case JAIL_BPF_NHOOKS:
		break;
	}
	return false;
}

size_t
jail_bpf_generate(const struct jail_bpf_policy *pol, enum jail_bpf_hook hook,
		  struct bpf_insn **out)
{
	struct basm a;

	*out = NULL;
	if (!hook_needed(pol, hook))
		return 0;
	memset(&a, 0, sizeof(a));
	switch (hook) {
	case JAIL_BPF_SOCK_CREATE: gen_sock_create(&a, pol); break;
	case JAIL_BPF_BIND4: gen_bind4(&a, pol); break;
	case JAIL_BPF_BIND6: gen_bind6(&a, pol); break;
	case JAIL_BPF_CONNECT4: gen_connect4(&a, pol); break;
	case JAIL_BPF_CONNECT6: gen_connect6(&a, pol); break;
	case JAIL_BPF_SENDMSG4: gen_sendmsg4(&a, pol); break;
	case JAIL_BPF_SENDMSG6: gen_sendmsg6(&a, pol); break;
	case JAIL_BPF_INGRESS: gen_skb(&a, pol, true); break;
	case JAIL_BPF_EGRESS: gen_skb(&a, pol, false); break;
	case JAIL_BPF_NHOOKS: break;
	}
	return basm_finish(&a, out);
}

