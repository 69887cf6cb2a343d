/* SPDX-License-Identifier: MIT */
/*
 * The seam between the FreeBSD jail backend and the operating system.
 *
 * freebsd_logic.c (portable, unit-tested on Linux with fakes) calls the
 * kernel and libjail only through a struct freebsd_sys; freebsd.c (FreeBSD
 * only) fills one with the real jail(2), jail_attach(2), jail_remove(2) and
 * libjail functions. Every member has the exact signature of the function
 * it stands for, so the real table is type-checked by the compiler.
 *
 * On FreeBSD the types and flags come from <sys/jail.h> and <jail.h>.
 * Elsewhere this header declares stand-ins with the FreeBSD 13 layout and
 * values, so the logic compiles (and is tested) on every OS.
 */
#ifndef STOCKADE_JAIL_FREEBSD_SYS_H
#define STOCKADE_JAIL_FREEBSD_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "jail/jail.h"

#ifdef __FreeBSD__
#include <sys/param.h>
#include <sys/jail.h>
#include <jail.h>
#else
/* <sys/jail.h>: the version-2 argument of jail(2). */
struct jail {
	uint32_t	 version;
	char		*path;
	char		*hostname;
	char		*jailname;
	uint32_t	 ip4s;
	uint32_t	 ip6s;
	struct in_addr	*ip4;
	struct in6_addr	*ip6;
};
#define JAIL_API_VERSION	2
#define JAIL_CREATE		0x01
#define JAIL_UPDATE		0x02
#define JAIL_ATTACH		0x04
#define JAIL_DYING		0x08
/* <jail.h>: one libjail parameter. */
struct jailparam {
	char		*jp_name;
	void		*jp_value;
	size_t		 jp_valuelen;
	size_t		 jp_elemlen;
	int		 jp_ctltype;
	int		 jp_structtype;
	unsigned	 jp_flags;
};
#define JAIL_ERRMSGLEN		1024
#endif

struct freebsd_sys {
	/* kernel */
	int	 (*jail)(struct jail *j);
	int	 (*jail_attach)(int jid);
	int	 (*jail_remove)(int jid);
	/* libjail */
	int	 (*jail_getid)(const char *name);
	char	*(*jail_getname)(int jid);
	int	 (*jailparam_init)(struct jailparam *jp, const char *name);
	int	 (*jailparam_import)(struct jailparam *jp, const char *value);
	int	 (*jailparam_import_raw)(struct jailparam *jp, void *value, size_t valuelen);
	int	 (*jailparam_set)(struct jailparam *jp, unsigned njp, int flags);
	int	 (*jailparam_get)(struct jailparam *jp, unsigned njp, int flags);
	char	*(*jailparam_export)(struct jailparam *jp);
	void	 (*jailparam_free)(struct jailparam *jp, unsigned njp);
	/* rctl(2) (issue 23: jail-rctl); ENOSYS when the kernel's RACCT is off */
	int	 (*rctl_add_rule)(const char *in, size_t inlen, char *out, size_t outlen);
	int	 (*rctl_remove_rule)(const char *in, size_t inlen, char *out, size_t outlen);
	int	 (*rctl_get_rules)(const char *in, size_t inlen, char *out, size_t outlen);
	int	 (*rctl_get_racct)(const char *in, size_t inlen, char *out, size_t outlen);
	/* libjail's jail_errmsg[] after a failed libjail call */
	const char *(*errmsg)(void);
	/* jail_close_fds() (fds.h), run once inside the jail; the tests'
	 * fakes record the call instead of closing their own descriptors */
	int	 (*close_fds)(const int *keep, size_t nkeep);
};

/*
 * The backend bound to sys (kept by pointer: it must outlive the backend's
 * use). freebsd.c's jail_backend() passes the real table; tests pass fakes.
 */
const struct jail_backend *freebsd_jail_backend(const struct freebsd_sys *sys);

#endif
