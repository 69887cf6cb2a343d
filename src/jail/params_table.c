/* SPDX-License-Identifier: MIT */
/*
 * The kernel parameters of FreeBSD's jail(8) as data, and the grammar of
 * their values: a jail2 key is resolved against the table (with the "no"
 * forms, the jail(8) pseudo-parameters and a suggestion for typos) and its
 * value checked and normalised by type. params.c applies the result.
 */
#include "jail/params_internal.h"

#include "base/names.h"
#include "base/util.h"
#include "config/options.h"
#include "jail/error.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define B(f)	offsetof(struct jail_spec, f)
#define BOOLP(n, f)	{ n, PT_BOOL, K_BOOL, 0, 0, B(f) }
#define PLAIN(n)	{ n, PT_BOOL, K_NONE, 0, 0, 0 }
#define MOUNT(n)	{ n, PT_BOOL, K_MOUNT, 0, 0, 0 }
#define RDONLY(n)	{ n, PT_READONLY, K_NONE, 0, 0, 0 }

/* The kernel parameters of FreeBSD's jail(8) (FreeBSD 14). */
const struct pdef jail_param_table[] = {
	{ "jid", PT_INT, K_JID, 1, JAIL_JID_MAX, 0 },
	{ "name", PT_NAME, K_NAME, 0, 0, 0 },
	{ "path", PT_PATH, K_PATH, 0, 0, 0 },
	{ "ip4.addr", PT_ADDR4, K_IP4ADDR, 0, 0, 0 },
	BOOLP("ip4.saddrsel", ip4_saddrsel),
	{ "ip4", PT_JAILSYS, K_IP4, 0, 0, 0 },
	{ "ip6.addr", PT_ADDR6, K_IP6ADDR, 0, 0, 0 },
	BOOLP("ip6.saddrsel", ip6_saddrsel),
	{ "ip6", PT_JAILSYS, K_IP6, 0, 0, 0 },
	{ "vnet", PT_VNET, K_VNET, 0, 0, 0 },
	{ "host.hostname", PT_HOSTNAME, K_HOSTNAME, 0, 0, 0 },
	{ "host.domainname", PT_WORD, K_DOMAINNAME, 0, JAIL_HOST_MAX, 0 },
	{ "host.hostuuid", PT_WORD, K_NONE, 0, 63, 0 },
	{ "host.hostid", PT_INT, K_NONE, 0, 4294967295LL, 0 },
	{ "host", PT_JAILSYS_NI, K_HOST, 0, 0, 0 },
	{ "securelevel", PT_INT, K_SECURELEVEL, -1, 3, 0 },
	{ "devfs_ruleset", PT_INT, K_DEVFS_RULESET, 0, 65535, 0 },
	{ "children.max", PT_INT, K_CHILDREN_MAX, 0, INT_MAX, 0 },
	{ "enforce_statfs", PT_INT, K_ENFORCE_STATFS, 0, 2, 0 },
	BOOLP("persist", persist),
	{ "osrelease", PT_TEXT, K_NONE, 1, 31, 0 },
	{ "osreldate", PT_INT, K_NONE, 1, INT_MAX, 0 },
	RDONLY("children.cur"),
	RDONLY("cpuset.id"),
	RDONLY("dying"),
	RDONLY("parent"),
	BOOLP("allow.set_hostname", allow_set_hostname),
	{ "allow.sysvipc", PT_BOOL, K_SYSVIPC, 0, 0, 0 },
	BOOLP("allow.raw_sockets", allow_raw_sockets),
	BOOLP("allow.chflags", allow_chflags),
	MOUNT("allow.mount"),
	MOUNT("allow.mount.devfs"),
	MOUNT("allow.mount.fdescfs"),
	MOUNT("allow.mount.fusefs"),
	MOUNT("allow.mount.lindebugfs"),
	MOUNT("allow.mount.linprocfs"),
	MOUNT("allow.mount.linsysfs"),
	MOUNT("allow.mount.nullfs"),
	MOUNT("allow.mount.procfs"),
	MOUNT("allow.mount.tmpfs"),
	MOUNT("allow.mount.zfs"),
	PLAIN("allow.quotas"),
	PLAIN("allow.read_msgbuf"),
	BOOLP("allow.socket_af", allow_socket_af),
	BOOLP("allow.mlock", allow_mlock),
	BOOLP("allow.reserved_ports", allow_reserved_ports),
	BOOLP("allow.unprivileged_proc_debug", allow_unprivileged_proc_debug),
	BOOLP("allow.suser", allow_suser),
	BOOLP("allow.settime", allow_settime),
	PLAIN("allow.adjtime"),
	BOOLP("allow.routing", allow_routing),
	PLAIN("allow.nfsd"),
	PLAIN("allow.extattr"),
	PLAIN("allow.vmm"),
	{ "sysvmsg", PT_JAILSYS, K_SYSVMSG, 0, 0, 0 },
	{ "sysvsem", PT_JAILSYS, K_SYSVSEM, 0, 0, 0 },
	{ "sysvshm", PT_JAILSYS, K_SYSVSHM, 0, 0, 0 },
	{ "linux", PT_JAILSYS_NI, K_NONE, 0, 0, 0 },
	{ "linux.osname", PT_TEXT, K_NONE, 0, 64, 0 },
	{ "linux.osrelease", PT_TEXT, K_NONE, 0, 64, 0 },
	{ "linux.oss_version", PT_INT, K_NONE, 0, INT_MAX, 0 },
	PLAIN("zfs.mount_snapshot"),
};

const size_t jail_nparams = sizeof(jail_param_table) / sizeof(jail_param_table[0]);

/* jail(8) pseudo-parameters: used by the jail utility, unknown to the kernel. */
static const char *const pseudo_exact[] = {
	"command", "interface", "ip_hostname", "mount", "allow.dying", "depend",
	"vnet.interface", "stop.timeout", "zfs.dataset", "exec",
};
static const char *const pseudo_prefix[] = { "exec.", "mount." };

/* ---- value checks ---------------------------------------------------------- */

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool
jail_all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* NULL when fine, else why not. */
const char *
jail_check_path(const char *s)
{
	if (s[0] != '/')
		return "is not an absolute path";
	if (strlen(s) > JAIL_PATH_MAX)
		return "is longer than 1023 bytes (FreeBSD MAXPATHLEN)";
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "contains a control character";
	return NULL;
}

/* FreeBSD forbids '.' (hierarchy separator); Linux uses the name as a
 * directory and cgroup name, hence the narrower set. */
bool
jail_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > JAIL_NAME_MAX || jail_all_digits(s))
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

bool
jail_valid_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > JAIL_HOST_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (label == 0 && c == '-')
				return false;
			if (++label > JAIL_LABEL_MAX)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool
valid_text(const char *s, long long min, long long max, bool spaces)
{
	long long n = (long long)strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s; s++)
		if (*s < (spaces ? 0x20 : 0x21) || *s > 0x7e)
			return false;
	return true;
}

/* Decimal, optional '-', nothing else. */
bool
jail_parse_int(const char *s, long long min, long long max, long long *out)
{
	unsigned long long v = 0;
	bool neg = false;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!jail_all_digits(s))
		return false;
	for (; *s; s++) {
		if (v > 100000000000000ULL)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	long long r = neg ? -(long long)v : (long long)v;
	if (r < min || r > max)
		return false;
	*out = r;
	return true;
}

/* libjail's jailsys values: disable 0, new 1, inherit 2. */
bool
jail_parse_jailsys(const char *s, enum jail_ns_mode *out)
{
	if (strcasecmp(s, "new") == 0 || strcmp(s, "1") == 0)
		*out = JAIL_MODE_NEW;
	else if (strcasecmp(s, "inherit") == 0 || strcmp(s, "2") == 0)
		*out = JAIL_MODE_INHERIT;
	else if (strcasecmp(s, "disable") == 0 || strcmp(s, "0") == 0)
		*out = JAIL_MODE_DISABLE;
	else
		return false;
	return true;
}

const char *
jail_jailsys_name(enum jail_ns_mode m)
{
	return m == JAIL_MODE_NEW ? "new" : m == JAIL_MODE_INHERIT ? "inherit" : "disable";
}

/*
 * "addr" or "addr/prefix" for one family. Returns 0, -1 for a bad address,
 * -2 for a bad prefix.
 */
int
jail_parse_addr(int family, const char *s, struct jail_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int maxpfx = family == AF_INET ? 32 : 128;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->prefix = -1;
	if (inet_pton(family, buf, family == AF_INET ? (void *)&a->u.v4 : (void *)&a->u.v6) != 1)
		return -1;
	if (slash) {
		long long p;
		if (strlen(slash + 1) > 3 || !jail_parse_int(slash + 1, 0, maxpfx, &p) ||
		    slash[1] == '-')
			return -2;
		a->prefix = (int)p;
	}
	return 0;
}

static const struct pdef *
find_param(const char *key)
{
	for (size_t i = 0; i < jail_nparams; i++)
		if (strcmp(jail_param_table[i].name, key) == 0)
			return &jail_param_table[i];
	return NULL;
}

static bool
is_pseudo(const char *key)
{
	for (size_t i = 0; i < sizeof(pseudo_exact) / sizeof(pseudo_exact[0]); i++)
		if (strcmp(key, pseudo_exact[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(pseudo_prefix) / sizeof(pseudo_prefix[0]); i++)
		if (strncmp(key, pseudo_prefix[i], strlen(pseudo_prefix[i])) == 0)
			return true;
	return false;
}

static const char *
suggest(const char *key)
{
	return closest_name(key, suggest_distance(key), &jail_param_table[0].name, jail_nparams,
	    sizeof(jail_param_table[0]));
}

/*
 * The "no" forms of a key: "nopersist" (whole key) and "allow.nomount"
 * (last component, libjail's spelling). Returns the boolean parameter, or
 * NULL after an error.
 */
const struct pdef *
jail_param_resolve(const char *key, const struct origin *o, bool *negate)
{
	const struct pdef *p = find_param(key);
	char cand[2][256];
	int ncand = 0;

	*negate = false;
	if (p != NULL) {
		if (p->type == PT_READONLY) {
			jail_config_error(o, "jail2: '%s' is read-only", key);
			return NULL;
		}
		return p;
	}
	if (is_pseudo(key)) {
		jail_config_error(o, "jail2: '%s' is a jail(8) pseudo-parameter, not a kernel jail parameter", key);
		return NULL;
	}
	if (strlen(key) < sizeof(cand[0])) {
		const char *dot = strrchr(key, '.');
		if (strncmp(key, "no", 2) == 0 && key[2] != '\0')
			snprintf(cand[ncand++], sizeof(cand[0]), "%s", key + 2);
		if (dot != NULL && strncmp(dot + 1, "no", 2) == 0 && dot[3] != '\0')
			snprintf(cand[ncand++], sizeof(cand[0]), "%.*s%s",
			    (int)(dot + 1 - key), key, dot + 3);
	}
	for (int i = 0; i < ncand; i++) {
		if ((p = find_param(cand[i])) != NULL) {
			if (p->type == PT_READONLY) {
				jail_config_error(o, "jail2: '%s' is read-only", key);
				return NULL;
			}
			if (p->type != PT_BOOL && p->type != PT_VNET) {
				jail_config_error(o, "jail2: '%s': the \"no\" prefix applies to boolean "
				    "parameters only, and '%s' is not one", key, p->name);
				return NULL;
			}
			*negate = true;
			return p;
		}
		if (is_pseudo(cand[i])) {
			jail_config_error(o, "jail2: '%s' is a jail(8) pseudo-parameter, not a kernel "
			    "jail parameter", key);
			return NULL;
		}
	}
	const char *s = suggest(key);
	if (s != NULL)
		jail_config_error(o, "jail2: unknown jail parameter '%s' (did you mean '%s'?)", key, s);
	else
		jail_config_error(o, "jail2: unknown jail parameter '%s'", key);
	return NULL;
}

static bool
parse_boolean(const char *v, bool *out)
{
	return *v != '\0' && parse_bool(v, out);
}

/* Checks the value of one entry by type; sets *norm to the value to keep. */
int
jail_param_check(const struct pdef *p, const char *key, const char *v,
    bool negate, const struct origin *o, char **norm)
{
	enum jail_ns_mode m;
	long long n;
	bool t;
	const char *why;

	switch (p->type) {
	case PT_PATH:
		if ((why = jail_check_path(v)) != NULL) {
			jail_config_error(o, "jail2: path '%s' %s", v, why);
			return -1;
		}
		break;
	case PT_NAME:
		if (!jail_valid_name(v)) {
			jail_config_error(o, "jail2: name '%s' is not a valid jail name (%s)", v, NAME_RULE);
			return -1;
		}
		break;
	case PT_HOSTNAME:
		if (!jail_valid_hostname(v)) {
			jail_config_error(o, "jail2: %s '%s' is not a valid hostname (%s)", key, v, HOST_RULE);
			return -1;
		}
		break;
	case PT_TEXT:
	case PT_WORD:
		if (!valid_text(v, p->min, p->max, p->type == PT_TEXT)) {
			jail_config_error(o, "jail2: '%s' expects printable text%s of %lld to %lld "
			    "characters, got '%s'", key, p->type == PT_WORD ? " without spaces" : "",
			    p->min, p->max, v);
			return -1;
		}
		break;
	case PT_INT:
		if (!jail_parse_int(v, p->min, p->max, &n)) {
			jail_config_error(o, "jail2: '%s' expects an integer from %lld to %lld, got '%s'", key,
			    p->min, p->max, v);
			return -1;
		}
		break;
	case PT_BOOL:
		if (!parse_boolean(v, &t)) {
			jail_config_error(o, "jail2: '%s' expects a boolean (true/false, 1/0, yes/no, on/off), "
			    "got '%s'", key, v);
			return -1;
		}
		*norm = xstrdup(t != negate ? "1" : "0");
		return 0;
	case PT_VNET:
		if (!negate && jail_parse_jailsys(v, &m) && m != JAIL_MODE_DISABLE) {
			*norm = xstrdup(jail_jailsys_name(m));
			return 0;
		}
		if (!parse_boolean(v, &t)) {
			jail_config_error(o, "jail2: '%s' expects new or inherit (or a boolean), got '%s'", key, v);
			return -1;
		}
		*norm = xstrdup(t != negate ? "new" : "inherit");
		return 0;
	case PT_JAILSYS:
	case PT_JAILSYS_NI:
		if (!jail_parse_jailsys(v, &m) ||
		    (p->type == PT_JAILSYS_NI && m == JAIL_MODE_DISABLE)) {
			if (p->type == PT_JAILSYS)
				jail_config_error(o, "jail2: '%s' expects new, inherit or disable (or 1, 2, 0), "
				    "got '%s'", key, v);
			else
				jail_config_error(o, "jail2: '%s' expects new or inherit (or 1, 2), got '%s'",
				    key, v);
			return -1;
		}
		*norm = xstrdup(jail_jailsys_name(m));
		return 0;
	case PT_ADDR4:
	case PT_ADDR6:
	case PT_READONLY:
		break;	/* addresses: checked while adding them */
	}
	*norm = xstrdup(v);
	return 0;
}
