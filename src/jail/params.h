/* SPDX-License-Identifier: MIT */
/*
 * Jail parameters: `jail = <rootfs> [hostname] [jailname]`, `jail-ip4`,
 * `jail-ip6` and `jail2`/`libjail = key[=value]` parsed into one
 * struct jail_spec shared by the Linux and FreeBSD backends. The raw jail2
 * list is kept in order too: the FreeBSD backend hands it to libjail as is.
 */
#ifndef STOCKADE_JAIL_PARAMS_H
#define STOCKADE_JAIL_PARAMS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "jail/rctl.h"

enum jail_ns_mode { JAIL_MODE_NEW, JAIL_MODE_INHERIT, JAIL_MODE_DISABLE };

struct jail_addr {
	int family;                 /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
	int prefix;                 /* "/24" suffix (vnet mode), -1 when not given */
	struct origin origin;
};

struct jail_param {             /* one jail2 entry, normalised */
	char *key;                  /* "allow.mount" (a "no" prefix already folded into value "0") */
	char *value;                /* "1" when given without '=' */
	struct origin origin;
};

struct jail_spec {
	bool create;                /* `jail` or `jail2` given: create a new jail */
	bool old_api;               /* the `jail =` form was used (FreeBSD: jail(2)) */
	char *path;                 /* rootfs, absolute */
	char *hostname;             /* NULL: keep (FreeBSD jail(2): "") */
	char *domainname;
	bool host_inherit;          /* host=inherit: no UTS namespace */
	char *name;                 /* NULL: unnamed (the jid is the name) */
	long jid;                   /* -1: allocate */
	struct jail_addr *ip4, *ip6;
	size_t nip4, nip6;
	enum jail_ns_mode ip4_mode, ip6_mode;   /* new when addresses given, else inherit/disable per params */
	bool ip4_saddrsel, ip6_saddrsel;        /* default true, as FreeBSD */
	bool vnet;
	bool persist;
	enum jail_ns_mode sysvmsg, sysvsem, sysvshm;   /* Linux default: new */
	int enforce_statfs;         /* default 2 */
	int devfs_ruleset;          /* default 4 */
	int securelevel;            /* default -1 (unset) */
	long children_max;          /* default 0 */
	/* allow.* (FreeBSD defaults unless noted) */
	bool allow_mount;           /* any allow.mount or allow.mount.* */
	bool allow_raw_sockets, allow_chflags, allow_set_hostname, allow_socket_af, allow_mlock;
	bool allow_reserved_ports, allow_suser, allow_settime, allow_unprivileged_proc_debug, allow_routing;
	bool allow_sysvipc;
	struct jail_param *params;  /* the jail2 list in config order */
	size_t nparams;
	/* issue 23: jail-rctl */
	struct rctl_rule *rctl;     /* jail-rctl rules in config order (jail/rctl.h) */
	size_t nrctl;
	struct origin origin;       /* first jail2 line, for errors; {NULL, 0} when only
	                             * `jail` was given (struct config keeps no line for it) */
	char *attach;               /* jail-attach: a jid (all digits) or a name */
	char *jidfile;
	char *uid, *gid;            /* the instance's uid/gid options (checked against allow.suser) */
	/* Not from the config: the descriptors >= 3 the jailed process keeps,
	 * set by the start pipeline before create_and_enter/attach (its
	 * sockets, log, signal pipe). The backends close every other one. */
	const int *keep_fds;
	size_t nkeep_fds;
};

/*
 * Builds the spec from the config and checks it against FreeBSD's jail
 * parameter grammar: unknown parameters, jail(8) pseudo-parameters
 * (exec.*, mount.*, interface, ...), read-only ones, bad values and bad
 * addresses are errors naming file:line. Returns 0, or -1 after one line.
 */
int jail_spec_build(const struct config *cfg, struct jail_spec *spec);
void jail_spec_free(struct jail_spec *spec);
/* True when the config asks for any jail behaviour at all. */
bool jail_spec_wanted(const struct config *cfg);
/* The last jail2 entry with this (normalised) key, or NULL when the key was
 * not given: lets a backend tell an explicit setting from a default. */
const struct jail_param *jail_spec_param(const struct jail_spec *spec, const char *key);

#endif
