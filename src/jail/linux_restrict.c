/* SPDX-License-Identifier: MIT */
/*
 * Privileges of jailed root on Linux. See linux_restrict.h for the contract
 * and docs/jail-privileges.md for the mapping of each jail parameter.
 *
 * No libcap, no libseccomp: raw prctl()/capset()/seccomp() and a classic BPF
 * filter built from a fixed list. This runs as root, so it stays small and
 * every call is checked. The order of the steps matters:
 *
 *   1. securebits (allow.suser=0)  needs CAP_SETPCAP
 *   2. bounding-set drops          need CAP_SETPCAP
 *   3. ambient clear, capset()     may remove CAP_SETPCAP, so after 1 and 2
 *   4. PR_SET_NO_NEW_PRIVS         required for an unprivileged seccomp filter
 *   5. seccomp filter
 *   6. read everything back from /proc/self/status
 */
#include "jail/linux_restrict.h"

#include "base/log.h"
#include "config/config.h"
#include "base/util.h"

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define CAPBIT(c) (UINT64_C(1) << (c))

/* §3f of the design: docker's default minus NET_RAW and MKNOD. */
#define JAIL_CAPS_DEFAULT                                                    \
	(CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_FOWNER) |     \
	 CAPBIT(CAP_FSETID) | CAPBIT(CAP_KILL) | CAPBIT(CAP_SETGID) |            \
	 CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETPCAP) |                              \
	 CAPBIT(CAP_NET_BIND_SERVICE) | CAPBIT(CAP_SYS_CHROOT) |                 \
	 CAPBIT(CAP_AUDIT_WRITE) | CAPBIT(CAP_SETFCAP))

/*
 * Never granted, whatever the parameters say: without a user namespace each
 * is host-wide (SYS_ADMIN, NET_ADMIN, BPF, ...) or a way out of the jail
 * (SYS_PTRACE on host processes via /proc, MKNOD + a disk device, ...).
 */
#define JAIL_CAPS_NEVER                                                      \
	(CAPBIT(CAP_SYS_ADMIN) | CAPBIT(CAP_NET_ADMIN) | CAPBIT(CAP_BPF) |       \
	 CAPBIT(CAP_SYS_PTRACE) | CAPBIT(CAP_SYS_MODULE) |                       \
	 CAPBIT(CAP_SYS_RAWIO) | CAPBIT(CAP_MKNOD))

uint64_t
jail_caps_for(const struct jail_spec *spec)
{
	uint64_t caps = JAIL_CAPS_DEFAULT;

	if (!spec->allow_suser)
		return 0;
	if (spec->allow_raw_sockets)
		caps |= CAPBIT(CAP_NET_RAW);
	if (spec->allow_chflags)
		caps |= CAPBIT(CAP_LINUX_IMMUTABLE);
	if (spec->allow_mlock)
		caps |= CAPBIT(CAP_IPC_LOCK);
	if (spec->allow_settime)
		caps |= CAPBIT(CAP_SYS_TIME);
	if (!spec->allow_reserved_ports)
		caps &= ~CAPBIT(CAP_NET_BIND_SERVICE);
	/* allow.set_hostname, allow.mount*, allow.routing: never (see above). */

	/* securelevel: approximate, there is no per-jail securelevel. */
	if (spec->securelevel >= 1)
		caps &= ~(CAPBIT(CAP_LINUX_IMMUTABLE) | CAPBIT(CAP_SYS_MODULE) |
		    CAPBIT(CAP_SYS_RAWIO) | CAPBIT(CAP_MKNOD));
	if (spec->securelevel >= 2)
		caps &= ~CAPBIT(CAP_SYS_TIME);
	if (spec->securelevel >= 3)
		caps &= ~CAPBIT(CAP_NET_ADMIN);

	return caps & ~JAIL_CAPS_NEVER;
}

/* ---- validation ---------------------------------------------------------- */

/* The last jail2 entry that set key (or a key under key + ".") to value
 * ("1" or "0", as params.c stores booleans), so the error can name its line;
 * the spec's first jail line otherwise. */
static struct origin
param_origin(const struct jail_spec *spec, const char *key, const char *value)
{
	struct origin o = spec->origin;
	size_t klen = strlen(key);

	for (size_t i = 0; i < spec->nparams; i++) {
		const struct jail_param *p = &spec->params[i];
		if (p->key && strncmp(p->key, key, klen) == 0 &&
		    (p->key[klen] == '\0' || p->key[klen] == '.') &&
		    p->value && strcmp(p->value, value) == 0)
			o = p->origin;
	}
	return o;
}

int
jail_restrict_validate(const struct jail_spec *spec)
{
	if (spec->allow_mount) {
		config_error(param_origin(spec, "allow.mount", "1"),
		    "jail: allow.mount is not supported on Linux: mounting needs "
		    "CAP_SYS_ADMIN, which is host-wide without a user namespace");
		return -1;
	}
	if (spec->allow_routing) {
		config_error(param_origin(spec, "allow.routing", "1"),
		    "jail: allow.routing is not supported on Linux: it needs "
		    "CAP_NET_ADMIN, which is host-wide without a user namespace");
		return -1;
	}
	return 0;
}

int
jail_restrict_validate_ids(const struct jail_spec *spec, const char *uid,
    const char *gid)
{
	if (spec->allow_suser || (!uid && !gid))
		return 0;
	config_error(param_origin(spec, "allow.suser", "0"),
	    "jail: allow.suser=0 leaves jail root without any capability, so the "
	    "uid/gid change after jailing is impossible: remove uid/gid or "
	    "allow.suser=0");
	return -1;
}

/* ---- seccomp filter -------------------------------------------------------- */

#if defined(__x86_64__)
#define JAIL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define JAIL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LO(n) ((uint32_t)(offsetof(struct seccomp_data, args[n]) + 4))
#else
#define ARG_LO(n) ((uint32_t)offsetof(struct seccomp_data, args[n]))
#endif

#ifdef JAIL_AUDIT_ARCH
#define FILTER_MAX 256

struct filter {
	struct sock_filter insn[FILTER_MAX];
	unsigned n;
	bool overflow;
};

static unsigned
emit(struct filter *f, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (f->n >= FILTER_MAX) {
		f->overflow = true;
		return f->n;
	}
	f->insn[f->n] = (struct sock_filter){ code, jt, jf, k };
	return f->n++;
}

static void
emit_ret(struct filter *f, uint32_t action)
{
	emit(f, BPF_RET | BPF_K, 0, 0, action);
}

/* if (nr == sysnr) return ERRNO(err); */
static void
deny(struct filter *f, long sysnr, int err)
{
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)sysnr);
	emit_ret(f, SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA));
}

/* Starts "if (nr == sysnr) { body }": the body must end in a return. */
static unsigned
block_begin(struct filter *f, long sysnr)
{
	return emit(f, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)sysnr);
}

static void
block_end(struct filter *f, unsigned at)
{
	unsigned skip = f->n - at - 1;

	if (skip > 255)
		f->overflow = true;
	else if (at < FILTER_MAX)
		f->insn[at].jf = (uint8_t)skip;
}

/* if (nr == sysnr) return (arg0 & mask) ? ERRNO(EPERM) : ALLOW; */
static void
deny_flags(struct filter *f, long sysnr, uint32_t mask)
{
	unsigned at = block_begin(f, sysnr);

	emit(f, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(0));
	emit(f, BPF_JMP | BPF_JSET | BPF_K, 0, 1, mask);
	emit_ret(f, SECCOMP_RET_ERRNO | EPERM);
	emit_ret(f, SECCOMP_RET_ALLOW);
	block_end(f, at);
}

/*
 * socket()/socketpair(): arg0 is the family. Layout of the body:
 *   ld arg0; [jeq denied → D]...; [jeq allowed → A]...; ret fallthrough; ret other
 */
static void
socket_rules(struct filter *f, long sysnr, const struct jail_spec *spec)
{
	static const uint32_t allowed[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	uint32_t denied[2];
	unsigned ndenied = 0, nallowed = 0, nchecks, at, i;
	bool allowlist = !spec->allow_socket_af;
	const uint32_t eaf = SECCOMP_RET_ERRNO | EAFNOSUPPORT;

	if (spec->ip4_mode == JAIL_MODE_DISABLE)
		denied[ndenied++] = AF_INET;
	if (spec->ip6_mode == JAIL_MODE_DISABLE)
		denied[ndenied++] = AF_INET6;
	if (allowlist)
		nallowed = sizeof(allowed) / sizeof(allowed[0]);
	if (ndenied == 0 && nallowed == 0)
		return;
	nchecks = ndenied + nallowed;

	/* With the allow-list the fall-through is a denial, and the second
	 * return is ALLOW; without it the fall-through is ALLOW and the second
	 * return is the denial. */
	at = block_begin(f, sysnr);
	emit(f, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(0));
	for (i = 0; i < ndenied; i++) {
		unsigned to = allowlist ? nchecks : nchecks + 1;
		emit(f, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(to - i - 1), 0, denied[i]);
	}
	for (i = ndenied; i < nchecks; i++)
		emit(f, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(nchecks + 1 - i - 1), 0,
		    allowed[i - ndenied]);
	emit_ret(f, allowlist ? eaf : SECCOMP_RET_ALLOW);
	emit_ret(f, allowlist ? SECCOMP_RET_ALLOW : eaf);
	block_end(f, at);
}

/* Syscalls denied as a group (build_filter says when and why). */
static const long host_wide[] = {
	__NR_keyctl, __NR_add_key, __NR_request_key, __NR_bpf, __NR_perf_event_open,
	__NR_kexec_load,
#ifdef __NR_kexec_file_load
	__NR_kexec_file_load,
#endif
	__NR_init_module, __NR_finit_module, __NR_delete_module, __NR_open_by_handle_at,
	__NR_userfaultfd,
};
#ifdef __NR_io_uring_setup
static const long io_uring[] = { __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register };
#endif
static const long mounting[] = {
	__NR_mount, __NR_umount2, __NR_pivot_root, __NR_swapon, __NR_swapoff,
#ifdef __NR_fsopen
	__NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick, __NR_open_tree, __NR_move_mount,
#endif
#ifdef __NR_mount_setattr
	__NR_mount_setattr,
#endif
};
static const long debugging[] = {
	__NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
#ifdef __NR_pidfd_getfd
	__NR_pidfd_getfd,
#endif
};
static const long sysvmsg[] = { __NR_msgget, __NR_msgsnd, __NR_msgrcv, __NR_msgctl };
static const long sysvsem[] = { __NR_semget, __NR_semop, __NR_semtimedop, __NR_semctl };
static const long sysvshm[] = { __NR_shmget, __NR_shmat, __NR_shmdt, __NR_shmctl };

static void
deny_list(struct filter *f, const long *sysnr, size_t n, int err)
{
	for (size_t i = 0; i < n; i++)
		deny(f, sysnr[i], err);
}

#define DENY_LIST(f, list, err)	deny_list(f, list, sizeof(list) / sizeof(list[0]), err)

#define NS_FLAGS                                                             \
	((uint32_t)(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |               \
	    CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET))

static int
build_filter(const struct jail_spec *spec, struct filter *f)
{
	memset(f, 0, sizeof(*f));

	/* A foreign ABI (i386 int $0x80 on x86_64) has other numbers. */
	emit(f, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, JAIL_AUDIT_ARCH);
	emit_ret(f, SECCOMP_RET_KILL_PROCESS);
	emit(f, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* x32 syscalls carry AUDIT_ARCH_X86_64 too, with their own numbers. */
	emit(f, BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000u);
	emit_ret(f, SECCOMP_RET_ERRNO | ENOSYS);
#endif

	/* Always: the kernel keyring is not namespaced; BPF, perf, modules and
	 * kexec are host-wide; open_by_handle_at escapes any root; userfaultfd
	 * is an exploitation aid. All but userfaultfd need a capability the jail
	 * lacks: this is the second wall. */
	DENY_LIST(f, host_wide, EPERM);
	/* io_uring operations never pass through this filter: a ring made a
	 * socket of any family, past the allow-list below. ENOSYS, as on a
	 * kernel without io_uring, so applications fall back. */
#ifdef __NR_io_uring_setup
	DENY_LIST(f, io_uring, ENOSYS);
#endif
	if (!spec->allow_mount)
		DENY_LIST(f, mounting, EPERM);
	if (!spec->allow_unprivileged_proc_debug)
		DENY_LIST(f, debugging, EPERM);
	if (spec->sysvmsg == JAIL_MODE_DISABLE)
		DENY_LIST(f, sysvmsg, ENOSYS);
	if (spec->sysvsem == JAIL_MODE_DISABLE)
		DENY_LIST(f, sysvsem, ENOSYS);
	if (spec->sysvshm == JAIL_MODE_DISABLE)
		DENY_LIST(f, sysvshm, ENOSYS);

	if (spec->children_max == 0) {
		deny(f, __NR_setns, EPERM);
		/* clone3 passes its flags in memory, out of the filter's reach;
		 * glibc falls back to clone() on ENOSYS. */
		deny(f, __NR_clone3, ENOSYS);
		deny_flags(f, __NR_clone, NS_FLAGS);
		deny_flags(f, __NR_unshare, NS_FLAGS | CLONE_NEWTIME);
	}

	socket_rules(f, __NR_socket, spec);
	socket_rules(f, __NR_socketpair, spec);

	emit_ret(f, SECCOMP_RET_ALLOW);

	if (f->overflow) {
		log_msg("jail: seccomp: filter too long");
		return -1;
	}
	return 0;
}
#endif

static int
install_filter(const struct jail_spec *spec)
{
#ifdef JAIL_AUDIT_ARCH
	struct filter f;
	struct sock_fprog prog;
	long r;

	if (build_filter(spec, &f) < 0)
		return -1;
	prog.len = (unsigned short)f.n;
	prog.filter = f.insn;
	/* TSYNC: single_threaded() was checked, but should a thread appear
	 * anyway it gets the filter too (or this fails). */
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
	    &prog);
	if (r < 0) {
		log_errno("jail: seccomp");
		return -1;
	}
	if (r > 0) {
		log_msg("jail: seccomp: thread %ld could not be synchronised", r);
		return -1;
	}
	return 0;
#else
	(void)spec;
	log_msg("jail: seccomp: this CPU architecture is not supported");
	return -1;
#endif
}

/* ---- capabilities ---------------------------------------------------------- */

static int
cap_last_cap(void)
{
	char *s;
	unsigned long long v;
	size_t len;

	s = read_file("/proc/sys/kernel/cap_last_cap", &len);
	if (!s) {
		log_errno("jail: /proc/sys/kernel/cap_last_cap");
		return -1;
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	if (!parse_uint(s, 63, &v)) {
		log_msg("jail: /proc/sys/kernel/cap_last_cap: bad value \"%s\"", s);
		free(s);
		return -1;
	}
	free(s);
	return (int)v;
}

static int
caps_get(uint64_t *permitted)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0) {
		log_errno("jail: capget");
		return -1;
	}
	*permitted = (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
	return 0;
}

static int
caps_set(uint64_t caps)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	for (int i = 0; i < 2; i++) {
		uint32_t w = (uint32_t)(caps >> (32 * i));
		data[i].effective = w;
		data[i].permitted = w;
		data[i].inheritable = 0;	/* nothing to hand across exec */
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		log_errno("jail: capset");
		return -1;
	}
	return 0;
}

/* ---- verification ---------------------------------------------------------- */

/* "Key:\t<value>" from /proc/self/status, parsed as hex or decimal. */
static int
status_field(const char *status, const char *key, int base, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = status;
	char *end;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			errno = 0;
			*out = strtoull(p, &end, base);
			if (end == p || errno != 0)
				break;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	log_msg("jail: /proc/self/status: no valid %s line", key);
	return -1;
}

static int
verify(uint64_t caps)
{
	static const struct {
		const char *key;
		int base;
		bool is_caps;
		uint64_t want;
	} checks[] = {
		{ "CapBnd", 16, true, 0 },
		{ "CapEff", 16, true, 0 },
		{ "CapPrm", 16, true, 0 },
		{ "CapInh", 16, false, 0 },
		{ "CapAmb", 16, false, 0 },
		{ "NoNewPrivs", 10, false, 1 },
		{ "Seccomp", 10, false, SECCOMP_MODE_FILTER },
	};
	size_t len;
	char *status = read_file("/proc/self/status", &len);
	int rc = 0;

	if (!status) {
		log_errno("jail: /proc/self/status");
		return -1;
	}
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		uint64_t want = checks[i].is_caps ? caps : checks[i].want;
		uint64_t got;

		if (status_field(status, checks[i].key, checks[i].base, &got) < 0) {
			rc = -1;
			break;
		}
		if (got != want) {
			log_msg("jail: verify: %s is %llx, expected %llx", checks[i].key,
			    (unsigned long long)got, (unsigned long long)want);
			rc = -1;
			break;
		}
	}
	free(status);
	return rc;
}

/* ---- the sequence ---------------------------------------------------------- */

/*
 * Capabilities, the bounding set, securebits and no_new_privs are per
 * thread: another thread would keep full root. Refuse rather than leave one.
 */
static int
single_threaded(void)
{
	size_t len;
	char *status = read_file("/proc/self/status", &len);
	uint64_t n;
	int rc;

	if (!status) {
		log_errno("jail: /proc/self/status");
		return -1;
	}
	rc = status_field(status, "Threads", 10, &n);
	free(status);
	if (rc < 0)
		return -1;
	if (n != 1) {
		log_msg("jail: restrict: the process has %llu threads; capabilities "
		    "are per thread, so it must have one", (unsigned long long)n);
		return -1;
	}
	return 0;
}

int
jail_linux_restrict(const struct jail_spec *spec)
{
	uint64_t caps = jail_caps_for(spec), permitted, bounding = 0;
	int last;

	if (single_threaded() < 0)
		return -1;
	last = cap_last_cap();
	if (last < 0 || caps_get(&permitted) < 0)
		return -1;
	for (int c = 0; c <= last; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0) {
			log_errno("jail: prctl(PR_CAPBSET_READ, %d)", c);
			return -1;
		}
		if (r == 1)
			bounding |= CAPBIT(c);
	}
	/* What the caller does not hold cannot be kept (e.g. a container
	 * without CAP_NET_RAW and allow.raw_sockets): keep what can be kept. */
	caps &= permitted & bounding;

	/* 1. Needs CAP_SETPCAP: before capset() may remove it. */
	if (!spec->allow_suser &&
	    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0) != 0) {
		log_errno("jail: prctl(PR_SET_SECUREBITS)");
		return -1;
	}

	/* 2. Needs CAP_SETPCAP as well. */
	for (int c = 0; c <= last; c++) {
		if (!(bounding & CAPBIT(c)) || (caps & CAPBIT(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			log_errno("jail: prctl(PR_CAPBSET_DROP, %d)", c);
			return -1;
		}
	}

	/* 3. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		log_errno("jail: prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
		return -1;
	}
	if (caps_set(caps) < 0)
		return -1;

	/* 4. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_errno("jail: prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}

	/* 5. */
	if (install_filter(spec) < 0)
		return -1;

	/* 6. */
	return verify(caps);
}
