/* SPDX-License-Identifier: MIT */
/*
 * What params.c (building the spec) and params_table.c (the parameter
 * table and the value grammar) share. Not for use outside src/jail.
 */
#ifndef STOCKADE_JAIL_PARAMS_INTERNAL_H
#define STOCKADE_JAIL_PARAMS_INTERNAL_H

#include "jail/params.h"

#include <stdbool.h>
#include <stddef.h>

#define JAIL_PATH_MAX	1023	/* FreeBSD MAXPATHLEN - 1 */
#define JAIL_HOST_MAX	255	/* FreeBSD MAXHOSTNAMELEN - 1 */
#define JAIL_LABEL_MAX	63	/* RFC 1123 */
#define JAIL_NAME_MAX	63	/* Stockade: a directory and cgroup name on Linux */
#define JAIL_JID_MAX	999999	/* FreeBSD JAIL_MAX */
#define JAIL_MAX_AF_IPS	255	/* FreeBSD security.jail.jail_max_af_ips default */

#define NAME_RULE	"1-63 letters, digits, '_' or '-', not all digits"
#define HOST_RULE	"RFC 1123: dot-separated labels of letters, digits and '-', " \
			"at most 255 characters"

enum ptype {
	PT_PATH,	/* absolute path */
	PT_NAME,	/* jail name */
	PT_HOSTNAME,	/* RFC 1123 hostname */
	PT_TEXT,	/* printable ASCII, at most max characters */
	PT_WORD,	/* the same without spaces */
	PT_INT,		/* decimal integer in [min, max] */
	PT_BOOL,	/* true/false/1/0/yes/no/on/off, stored as "1"/"0" */
	PT_JAILSYS,	/* new|inherit|disable or 1|2|0 */
	PT_JAILSYS_NI,	/* new|inherit or 1|2 (host, linux) */
	PT_VNET,	/* new|inherit, or a boolean (new/inherit) */
	PT_ADDR4,	/* comma-separated IPv4 addresses */
	PT_ADDR6,	/* comma-separated IPv6 addresses */
	PT_READONLY,	/* reported by the kernel, never set */
};

/* What a parameter changes in the spec besides the params list. */
enum pkey {
	K_NONE,
	K_BOOL,		/* the bool at off */
	K_MOUNT,	/* allow.mount, allow.mount.*: feed spec->allow_mount */
	K_SYSVIPC,	/* allow.sysvipc: the bool and the three sysv modes */
	K_JID, K_NAME, K_PATH, K_HOSTNAME, K_DOMAINNAME, K_HOST,
	K_IP4ADDR, K_IP6ADDR, K_IP4, K_IP6, K_VNET,
	K_SECURELEVEL, K_ENFORCE_STATFS, K_DEVFS_RULESET, K_CHILDREN_MAX,
	K_SYSVMSG, K_SYSVSEM, K_SYSVSHM,
};

struct pdef {
	const char *name;
	enum ptype type;
	enum pkey key;
	long long min, max;	/* PT_INT bounds; PT_TEXT/PT_WORD length bounds */
	size_t off;		/* K_BOOL: offsetof(struct jail_spec, ...) */
};

/* The table: one row per kernel parameter. */
extern const struct pdef jail_param_table[];
extern const size_t jail_nparams;

/* A jail2 key: its row (*negate for the "no" forms), or NULL after an
 * error line. */
const struct pdef *jail_param_resolve(const char *key, const struct origin *o, bool *negate);
/* Checks a value by type; *norm gets the value to keep (malloc'd). */
int	jail_param_check(const struct pdef *p, const char *key, const char *v,
	    bool negate, const struct origin *o, char **norm);

/* The value grammar. */
bool	jail_all_digits(const char *s);
const char *jail_check_path(const char *s);	/* NULL when fine, else why not */
bool	jail_valid_name(const char *s);
bool	jail_valid_hostname(const char *s);
bool	jail_parse_int(const char *s, long long min, long long max, long long *out);
bool	jail_parse_jailsys(const char *s, enum jail_ns_mode *out);
const char *jail_jailsys_name(enum jail_ns_mode m);
int	jail_parse_addr(int family, const char *s, struct jail_addr *a);

#endif
