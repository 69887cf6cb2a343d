/*
 * Jail parameters: `jail`, `jail-ip4`, `jail-ip6`, `jail2`/`libjail` and
 * `jail-attach` checked against FreeBSD's kernel parameter grammar (jail(8),
 * libjail) and folded into one struct jail_spec. docs/jail-parameters.md
 * lists every parameter and what is decided here.
 *
 * The parameters are data: one table row per kernel parameter gives its
 * name, its value type and bounds, and what it changes in the spec. A jail2
 * entry is looked up in this order: the table, the jail(8) pseudo-parameters
 * (an error), the "no" forms of booleans (nopersist, allow.nomount), then
 * "unknown", with the closest name as a suggestion.
 *
 * `jail`, `jail-attach` and `jidfile` are plain strings in struct config,
 * without a file:line: errors about them start with the option name only.
 */
#include "jail/params.h"

#include "base/log.h"
#include "config/options.h"
#include "base/util.h"
#include "jail/error.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

#define B(f)	offsetof(struct jail_spec, f)
#define BOOLP(n, f)	{ n, PT_BOOL, K_BOOL, 0, 0, B(f) }
#define PLAIN(n)	{ n, PT_BOOL, K_NONE, 0, 0, 0 }
#define MOUNT(n)	{ n, PT_BOOL, K_MOUNT, 0, 0, 0 }
#define RDONLY(n)	{ n, PT_READONLY, K_NONE, 0, 0, 0 }

/* The kernel parameters of FreeBSD's jail(8) (FreeBSD 14). */
static const struct pdef params[] = {
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

#define NPARAMS	(sizeof(params) / sizeof(params[0]))

/* jail(8) pseudo-parameters: used by the jail utility, unknown to the kernel. */
static const char *const pseudo_exact[] = {
	"command", "interface", "ip_hostname", "mount", "allow.dying", "depend",
	"vnet.interface", "stop.timeout", "zfs.dataset", "exec",
};
static const char *const pseudo_prefix[] = { "exec.", "mount." };

/* Where a merged value came from. */
struct src {
	bool set;
	bool from_jail;		/* the `jail` option: no file:line */
	struct origin o;
};

struct builder {
	const struct config *cfg;
	struct jail_spec *spec;
	struct src path, hostname, name;
	struct src host, ip4, ip6;		/* explicit host=, ip4=, ip6= */
	enum jail_ns_mode ip4_mode, ip6_mode;
	bool mount_on[NPARAMS];
};

static const char *
where(const struct src *s, char *buf, size_t n)
{
	if (s->from_jail)
		snprintf(buf, n, "by the jail option");
	else if (s->o.line > 0)
		snprintf(buf, n, "at %s:%d", s->o.file, s->o.line);
	else
		snprintf(buf, n, "at %s", s->o.file);
	return buf;
}

/* ---- value checks ---------------------------------------------------------- */

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* NULL when fine, else why not. */
static const char *
check_path(const char *s)
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
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > JAIL_NAME_MAX || all_digits(s))
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static bool
valid_hostname(const char *s)
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
static bool
parse_int(const char *s, long long min, long long max, long long *out)
{
	unsigned long long v = 0;
	bool neg = false;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!all_digits(s))
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
static bool
parse_jailsys(const char *s, enum jail_ns_mode *out)
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

static const char *
jailsys_name(enum jail_ns_mode m)
{
	return m == JAIL_MODE_NEW ? "new" : m == JAIL_MODE_INHERIT ? "inherit" : "disable";
}

/*
 * "addr" or "addr/prefix" for one family. Returns 0, -1 for a bad address,
 * -2 for a bad prefix.
 */
static int
parse_addr(int family, const char *s, struct jail_addr *a)
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
		if (strlen(slash + 1) > 3 || !parse_int(slash + 1, 0, maxpfx, &p) ||
		    slash[1] == '-')
			return -2;
		a->prefix = (int)p;
	}
	return 0;
}

/* ---- building ---------------------------------------------------------------- */

static bool
addr_equal(const struct jail_addr *a, const struct jail_addr *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->u.v4.s_addr == b->u.v4.s_addr :
	    memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
}

/*
 * Adds one address (jail-ip4/6 value or one ip4.addr/ip6.addr element).
 * opt is the option name for errors ("jail-ip4", "jail2: ip4.addr").
 */
static int
add_addr(struct builder *b, int family, const char *s, struct origin o, const char *opt)
{
	struct jail_spec *spec = b->spec;
	struct jail_addr **list = family == AF_INET ? &spec->ip4 : &spec->ip6;
	size_t *n = family == AF_INET ? &spec->nip4 : &spec->nip6;
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	struct jail_addr a;
	int rc = parse_addr(family, s, &a);

	if (rc == -1) {
		jail_config_error(&o, "%s: '%s' is not an %s address%s", opt, s, fam,
		    strchr(s, '|') ? " (the interface|address form belongs to jail(8), "
		    "not to the kernel)" : "");
		return -1;
	}
	if (rc == -2) {
		jail_config_error(&o, "%s: '%s' is not an %s address (prefix length 0-%d)", opt, s,
		    fam, family == AF_INET ? 32 : 128);
		return -1;
	}
	/* FreeBSD's kern_jail.c refuses these with EINVAL. */
	if (family == AF_INET ? (a.u.v4.s_addr == htonl(INADDR_ANY) ||
	    a.u.v4.s_addr == htonl(INADDR_BROADCAST)) : IN6_IS_ADDR_UNSPECIFIED(&a.u.v6)) {
		jail_config_error(&o, "%s: '%s' is a wildcard or broadcast address, not a jail address",
		    opt, s);
		return -1;
	}
	a.origin = o;
	for (size_t i = 0; i < *n; i++) {
		if (addr_equal(&(*list)[i], &a)) {
			struct src prev = { true, false, (*list)[i].origin };
			char w[512];
			jail_config_error(&o, "%s: '%s' is given twice (also %s)", opt, s,
			    where(&prev, w, sizeof(w)));
			return -1;
		}
	}
	if (*n >= JAIL_MAX_AF_IPS) {
		jail_config_error(&o, "%s: more than %d %s addresses", opt, JAIL_MAX_AF_IPS, fam);
		return -1;
	}
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = a;
	return 0;
}

/* path, host.hostname, name: one value whichever form sets it. */
static int
set_once(struct src *s, char **field, const char *v, const struct origin *o,
    const char *what)
{
	char w[512];

	if (s->set && strcmp(*field, v) != 0) {
		jail_config_error(o, "jail2: %s '%s' conflicts with '%s' given %s", what, v, *field,
		    where(s, w, sizeof(w)));
		return -1;
	}
	if (!s->set) {
		*field = xstrdup(v);
		s->set = true;
		s->from_jail = o == NULL;
		if (o != NULL)
			s->o = *o;
	}
	return 0;
}

static int
parse_jail_option(struct builder *b)
{
	struct jail_spec *spec = b->spec;
	char *copy = xstrdup(b->cfg->jail);
	char *host = NULL, *name = NULL, *sp;
	const char *why;
	int rc = -1;

	/* uWSGI: rootfs | rest at the first space, then hostname | jailname. */
	if ((sp = strchr(copy, ' ')) != NULL) {
		*sp = '\0';
		host = sp + 1;
		if ((sp = strchr(host, ' ')) != NULL) {
			*sp = '\0';
			name = sp + 1;
		}
	}
	if ((why = check_path(copy)) != NULL) {
		jail_config_error(config_origin(b->cfg, "jail"), "jail: rootfs '%s' %s", copy, why);
		goto out;
	}
	if (host != NULL && *host != '\0' && !valid_hostname(host)) {
		jail_config_error(config_origin(b->cfg, "jail"), "jail: '%s' is not a valid hostname (%s)", host, HOST_RULE);
		goto out;
	}
	if (name != NULL && *name != '\0' && !valid_name(name)) {
		jail_config_error(config_origin(b->cfg, "jail"), "jail: '%s' is not a valid jail name (%s)", name, NAME_RULE);
		goto out;
	}
	set_once(&b->path, &spec->path, copy, NULL, "path");
	if (host != NULL && *host != '\0')
		set_once(&b->hostname, &spec->hostname, host, NULL, "host.hostname");
	if (name != NULL && *name != '\0')
		set_once(&b->name, &spec->name, name, NULL, "name");
	spec->old_api = true;
	spec->create = true;
	rc = 0;
out:
	free(copy);
	return rc;
}

static const struct pdef *
find_param(const char *key)
{
	for (size_t i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].name, key) == 0)
			return &params[i];
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
	size_t n = strlen(key);
	size_t best = (n <= 3 ? 0 : n <= 5 ? 1 : 2) + 1;
	const char *out = NULL;

	for (size_t i = 0; i < NPARAMS; i++) {
		size_t d = edit_distance(key, params[i].name);
		if (d < best) {
			best = d;
			out = params[i].name;
		}
	}
	return out;
}

/*
 * The "no" forms of a key: "nopersist" (whole key) and "allow.nomount"
 * (last component, libjail's spelling). Returns the boolean parameter, or
 * NULL after an error.
 */
static const struct pdef *
resolve_key(const char *key, const struct origin *o, bool *negate)
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
static int
check_value(const struct pdef *p, const char *key, const char *v,
    bool negate, const struct origin *o, char **norm)
{
	enum jail_ns_mode m;
	long long n;
	bool t;
	const char *why;

	switch (p->type) {
	case PT_PATH:
		if ((why = check_path(v)) != NULL) {
			jail_config_error(o, "jail2: path '%s' %s", v, why);
			return -1;
		}
		break;
	case PT_NAME:
		if (!valid_name(v)) {
			jail_config_error(o, "jail2: name '%s' is not a valid jail name (%s)", v, NAME_RULE);
			return -1;
		}
		break;
	case PT_HOSTNAME:
		if (!valid_hostname(v)) {
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
		if (!parse_int(v, p->min, p->max, &n)) {
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
		if (!negate && parse_jailsys(v, &m) && m != JAIL_MODE_DISABLE) {
			*norm = xstrdup(jailsys_name(m));
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
		if (!parse_jailsys(v, &m) ||
		    (p->type == PT_JAILSYS_NI && m == JAIL_MODE_DISABLE)) {
			if (p->type == PT_JAILSYS)
				jail_config_error(o, "jail2: '%s' expects new, inherit or disable (or 1, 2, 0), "
				    "got '%s'", key, v);
			else
				jail_config_error(o, "jail2: '%s' expects new or inherit (or 1, 2), got '%s'",
				    key, v);
			return -1;
		}
		*norm = xstrdup(jailsys_name(m));
		return 0;
	case PT_ADDR4:
	case PT_ADDR6:
	case PT_READONLY:
		break;	/* addresses: checked while adding them */
	}
	*norm = xstrdup(v);
	return 0;
}

/* What a (checked, normalised) entry changes in the spec. */
static int
apply_param(struct builder *b, const struct pdef *p, const char *v, const struct origin *o)
{
	struct jail_spec *spec = b->spec;
	enum jail_ns_mode m = JAIL_MODE_NEW;
	long long n = 0;

	if (p->type == PT_INT)
		parse_int(v, p->min, p->max, &n);
	if (p->type == PT_JAILSYS || p->type == PT_JAILSYS_NI || p->type == PT_VNET)
		parse_jailsys(v, &m);
	switch (p->key) {
	case K_NONE:
		break;
	case K_DOMAINNAME:
		free(spec->domainname);
		spec->domainname = xstrdup(v);
		break;
	case K_BOOL:
		*(bool *)((char *)spec + p->off) = v[0] == '1';
		break;
	case K_MOUNT:
		b->mount_on[p - params] = v[0] == '1';
		break;
	case K_SYSVIPC:
		/* jail(8): allow.sysvipc = sysvmsg, sysvsem, sysvshm all inherit. */
		spec->allow_sysvipc = v[0] == '1';
		m = spec->allow_sysvipc ? JAIL_MODE_INHERIT : JAIL_MODE_DISABLE;
		spec->sysvmsg = spec->sysvsem = spec->sysvshm = m;
		break;
	case K_JID:
		spec->jid = (long)n;
		break;
	case K_NAME:
		return set_once(&b->name, &spec->name, v, o, "name");
	case K_PATH:
		return set_once(&b->path, &spec->path, v, o, "path");
	case K_HOSTNAME:
		return set_once(&b->hostname, &spec->hostname, v, o, "host.hostname");
	case K_HOST:
		spec->host_inherit = m == JAIL_MODE_INHERIT;
		b->host = (struct src){ true, false, *o };
		break;
	case K_IP4ADDR:
	case K_IP6ADDR: {
		char *list = xstrdup(v), *save = NULL, *tok;
		int family = p->key == K_IP4ADDR ? AF_INET : AF_INET6;
		const char *opt = family == AF_INET ? "jail2: ip4.addr" : "jail2: ip6.addr";
		int rc = 0;
		/* libjail splits at ',' and nothing else; empty elements are errors. */
		if (*v == '\0' || v[strlen(v) - 1] == ',' || strstr(v, ",,") || *v == ',') {
			jail_config_error(o, "%s: empty address in '%s'", opt, v);
			rc = -1;
		}
		for (tok = strtok_r(list, ",", &save); rc == 0 && tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			rc = add_addr(b, family, tok, *o, opt);
		free(list);
		return rc;
	}
	case K_IP4:
		b->ip4_mode = m;
		b->ip4 = (struct src){ true, false, *o };
		break;
	case K_IP6:
		b->ip6_mode = m;
		b->ip6 = (struct src){ true, false, *o };
		break;
	case K_VNET:
		spec->vnet = m == JAIL_MODE_NEW;
		break;
	case K_SECURELEVEL:
		spec->securelevel = (int)n;
		break;
	case K_ENFORCE_STATFS:
		spec->enforce_statfs = (int)n;
		break;
	case K_DEVFS_RULESET:
		spec->devfs_ruleset = (int)n;
		break;
	case K_CHILDREN_MAX:
		spec->children_max = (long)n;
		break;
	case K_SYSVMSG:
		spec->sysvmsg = m;
		break;
	case K_SYSVSEM:
		spec->sysvsem = m;
		break;
	case K_SYSVSHM:
		spec->sysvshm = m;
		break;
	}
	return 0;
}

static int
parse_jail2(struct builder *b, const char *entry, struct origin o)
{
	struct jail_spec *spec = b->spec;
	const char *eq = strchr(entry, '=');
	char *key = eq ? xstrndup(entry, (size_t)(eq - entry)) : xstrdup(entry);
	const char *v = eq ? eq + 1 : "1";	/* uWSGI: no '=' imports "1" */
	const struct pdef *p;
	char *norm = NULL;
	bool negate;
	int rc = -1;

	if (*key == '\0') {
		jail_config_error(&o, "jail2: empty parameter name in '%s'", entry);
		goto out;
	}
	if ((p = resolve_key(key, &o, &negate)) == NULL)
		goto out;
	if (check_value(p, key, v, negate, &o, &norm) < 0)
		goto out;
	if (apply_param(b, p, norm, &o) < 0)
		goto out;
	spec->params = xrealloc(spec->params, (spec->nparams + 1) * sizeof(*spec->params));
	spec->params[spec->nparams++] = (struct jail_param){ xstrdup(p->name), norm, o };
	norm = NULL;
	rc = 0;
out:
	free(norm);
	free(key);
	return rc;
}

static int
parse_addr_option(struct builder *b, const struct strlist *l, int family)
{
	const char *opt = family == AF_INET ? "jail-ip4" : "jail-ip6";

	for (size_t i = 0; i < l->n; i++)
		if (add_addr(b, family, l->v[i], l->origin[i], opt) < 0)
			return -1;
	return 0;
}

/* ip4=/ip6= against the address lists; host=inherit against host.*. */
static int
check_modes(struct builder *b)
{
	struct jail_spec *spec = b->spec;
	char w[512];

	for (int fam = 0; fam < 2; fam++) {
		size_t n = fam == 0 ? spec->nip4 : spec->nip6;
		struct src *s = fam == 0 ? &b->ip4 : &b->ip6;
		enum jail_ns_mode m = fam == 0 ? b->ip4_mode : b->ip6_mode;
		enum jail_ns_mode *out = fam == 0 ? &spec->ip4_mode : &spec->ip6_mode;
		const char *name = fam == 0 ? "ip4" : "ip6";

		if (n > 0 && s->set && m != JAIL_MODE_NEW) {
			struct jail_addr *a = fam == 0 ? &spec->ip4[0] : &spec->ip6[0];
			struct src as = { true, false, a->origin };
			jail_config_error(&s->o, "jail2: %s=%s conflicts with the %s addresses given %s",
			    name, jailsys_name(m), fam == 0 ? "IPv4" : "IPv6",
			    where(&as, w, sizeof(w)));
			return -1;
		}
		/* FreeBSD: addresses imply new; a top-level jail inherits otherwise. */
		*out = n > 0 ? JAIL_MODE_NEW : s->set ? m : JAIL_MODE_INHERIT;
	}
	/* A jail confined to addresses of one family gets none of the other
	 * unless the config says so, as on FreeBSD (jail(2) always passes both
	 * lists; jail_set(2) restricts a family it is told nothing about).
	 * Inheriting it would leave the host's other family open: a jail-ip4
	 * jail could listen on [::]. */
	if (spec->nip4 > 0 && spec->nip6 == 0 && !b->ip6.set)
		spec->ip6_mode = JAIL_MODE_NEW;
	if (spec->nip6 > 0 && spec->nip4 == 0 && !b->ip4.set)
		spec->ip4_mode = JAIL_MODE_NEW;
	if (spec->host_inherit) {
		static const char *const host_keys[] = {
			"host.hostname", "host.domainname", "host.hostuuid", "host.hostid"
		};
		if (b->hostname.set) {
			jail_config_error(&b->host.o, "jail2: host=inherit conflicts with the hostname given %s",
			    where(&b->hostname, w, sizeof(w)));
			return -1;
		}
		for (size_t i = 1; i < sizeof(host_keys) / sizeof(host_keys[0]); i++) {
			const struct jail_param *jp = jail_spec_param(spec, host_keys[i]);
			if (jp != NULL) {
				struct src ps = { true, false, jp->origin };
				jail_config_error(&b->host.o, "jail2: host=inherit conflicts with %s given %s",
				    host_keys[i], where(&ps, w, sizeof(w)));
				return -1;
			}
		}
	}
	return 0;
}

/* jail-attach: a jid (all digits) or a jail name; nothing that creates. */
static int
parse_attach(struct builder *b)
{
	const struct config *cfg = b->cfg;
	const char *v = cfg->jail_attach;
	const char *with = NULL;
	const struct origin *o = NULL;
	long long jid;

	if (cfg->jail2.n > 0) {
		with = "jail2";
		o = &cfg->jail2.origin[0];
	} else if (cfg->jail_ip4.n > 0) {
		with = "jail-ip4";
		o = &cfg->jail_ip4.origin[0];
	} else if (cfg->jail_ip6.n > 0) {
		with = "jail-ip6";
		o = &cfg->jail_ip6.origin[0];
	} else if (cfg->jail != NULL) {
		with = "jail";
		o = config_origin(cfg, "jail");
	}
	if (with != NULL) {
		jail_config_error(o, "jail-attach cannot be combined with %s: jail-attach joins an "
		    "existing jail, %s creates a new one", with, with);
		return -1;
	}
	if (*v == '\0') {
		jail_config_error(config_origin(cfg, "jail-attach"), "jail-attach: empty value (expected a jid or a jail name)");
		return -1;
	}
	if (all_digits(v)) {
		if (!parse_int(v, 1, JAIL_JID_MAX, &jid)) {
			jail_config_error(config_origin(cfg, "jail-attach"), "jail-attach: jid '%s' is out of range (1-%d)", v, JAIL_JID_MAX);
			return -1;
		}
	} else if (!valid_name(v)) {
		jail_config_error(config_origin(cfg, "jail-attach"), "jail-attach: '%s' is not a valid jail name (%s)", v, NAME_RULE);
		return -1;
	}
	b->spec->attach = xstrdup(v);
	return 0;
}

static void
spec_defaults(struct jail_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->jid = -1;
	spec->ip4_mode = spec->ip6_mode = JAIL_MODE_INHERIT;
	spec->ip4_saddrsel = spec->ip6_saddrsel = true;
	spec->sysvmsg = spec->sysvsem = spec->sysvshm = JAIL_MODE_NEW;
	spec->enforce_statfs = 2;
	spec->devfs_ruleset = 4;
	spec->securelevel = -1;
	spec->children_max = 0;
	spec->allow_set_hostname = true;
	spec->allow_reserved_ports = true;
	spec->allow_suser = true;
}

static int
build(struct builder *b)
{
	const struct config *cfg = b->cfg;
	struct jail_spec *spec = b->spec;

	if (cfg->jidfile != NULL)
		spec->jidfile = xstrdup(cfg->jidfile);
	if (cfg->uid != NULL)
		spec->uid = xstrdup(cfg->uid);
	if (cfg->gid != NULL)
		spec->gid = xstrdup(cfg->gid);
	if (cfg->jail_attach != NULL)
		return parse_attach(b);
	if (cfg->jail == NULL && cfg->jail2.n == 0) {
		if (cfg->jail_ip4.n > 0) {
			jail_config_error(&cfg->jail_ip4.origin[0], "jail-ip4 needs jail or jail2");
			return -1;
		}
		if (cfg->jail_ip6.n > 0) {
			jail_config_error(&cfg->jail_ip6.origin[0], "jail-ip6 needs jail or jail2");
			return -1;
		}
		return 0;	/* `jailed` alone */
	}
	if (cfg->jail2.n > 0)
		spec->origin = cfg->jail2.origin[0];
	if (cfg->jail != NULL && parse_jail_option(b) < 0)
		return -1;
	if (parse_addr_option(b, &cfg->jail_ip4, AF_INET) < 0 ||
	    parse_addr_option(b, &cfg->jail_ip6, AF_INET6) < 0)
		return -1;
	for (size_t i = 0; i < cfg->jail2.n; i++)
		if (parse_jail2(b, cfg->jail2.v[i], cfg->jail2.origin[i]) < 0)
			return -1;
	if (spec->path == NULL) {
		jail_config_error(&cfg->jail2.origin[0], "jail2 given without path "
		    "(add jail2 = path=<rootfs>, or use jail = <rootfs>)");
		return -1;
	}
	spec->create = true;
	if (check_modes(b) < 0)
		return -1;
	for (size_t i = 0; i < NPARAMS; i++)
		if (b->mount_on[i])
			spec->allow_mount = true;
	return 0;
}

int
jail_spec_build(const struct config *cfg, struct jail_spec *spec)
{
	struct builder b;

	spec_defaults(spec);
	if (!jail_spec_wanted(cfg))
		return 0;
	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.spec = spec;
	if (build(&b) < 0) {
		jail_spec_free(spec);
		return -1;
	}
	return 0;
}

void
jail_spec_free(struct jail_spec *spec)
{
	for (size_t i = 0; i < spec->nparams; i++) {
		free(spec->params[i].key);
		free(spec->params[i].value);
	}
	free(spec->params);
	free(spec->path);
	free(spec->hostname);
	free(spec->domainname);
	free(spec->name);
	free(spec->ip4);
	free(spec->ip6);
	free(spec->attach);
	free(spec->jidfile);
	free(spec->uid);
	free(spec->gid);
	spec_defaults(spec);
}

bool
jail_spec_wanted(const struct config *cfg)
{
	return cfg->jail != NULL || cfg->jail2.n > 0 || cfg->jail_ip4.n > 0 ||
	    cfg->jail_ip6.n > 0 || cfg->jail_attach != NULL || cfg->jailed;
}

const struct jail_param *
jail_spec_param(const struct jail_spec *spec, const char *key)
{
	for (size_t i = spec->nparams; i-- > 0;)
		if (strcmp(spec->params[i].key, key) == 0)
			return &spec->params[i];
	return NULL;
}
