/* SPDX-License-Identifier: MIT */
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
 *
 * This file merges the options into the spec; params_table.c holds the
 * parameter table and the grammar of the values.
 */
#include "jail/params.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/error.h"
#include "jail/params_internal.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	bool *mount_on;			/* per jail_param_table row */
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
	int rc = jail_parse_addr(family, s, &a);

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
	if ((why = jail_check_path(copy)) != NULL) {
		jail_config_error(config_origin(b->cfg, "jail"), "jail: rootfs '%s' %s", copy, why);
		goto out;
	}
	if (host != NULL && *host != '\0' && !jail_valid_hostname(host)) {
		jail_config_error(config_origin(b->cfg, "jail"), "jail: '%s' is not a valid hostname (%s)", host, HOST_RULE);
		goto out;
	}
	if (name != NULL && *name != '\0' && !jail_valid_name(name)) {
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

/* What a (checked, normalised) entry changes in the spec. */
static int
apply_param(struct builder *b, const struct pdef *p, const char *v, const struct origin *o)
{
	struct jail_spec *spec = b->spec;
	enum jail_ns_mode m = JAIL_MODE_NEW;
	long long n = 0;

	if (p->type == PT_INT)
		jail_parse_int(v, p->min, p->max, &n);
	if (p->type == PT_JAILSYS || p->type == PT_JAILSYS_NI || p->type == PT_VNET)
		jail_parse_jailsys(v, &m);
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
		b->mount_on[p - jail_param_table] = v[0] == '1';
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
	if ((p = jail_param_resolve(key, &o, &negate)) == NULL)
		goto out;
	if (jail_param_check(p, key, v, negate, &o, &norm) < 0)
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
			    name, jail_jailsys_name(m), fam == 0 ? "IPv4" : "IPv6",
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
	if (jail_all_digits(v)) {
		if (!jail_parse_int(v, 1, JAIL_JID_MAX, &jid)) {
			jail_config_error(config_origin(cfg, "jail-attach"), "jail-attach: jid '%s' is out of range (1-%d)", v, JAIL_JID_MAX);
			return -1;
		}
	} else if (!jail_valid_name(v)) {
		jail_config_error(config_origin(cfg, "jail-attach"), "jail-attach: '%s' is not a valid jail name (%s)", v, NAME_RULE);
		return -1;
	}
	b->spec->attach = xstrdup(v);
	return 0;
}

/* issue 23: jail-rctl rules, checked by the OS-independent grammar (the
 * backends' validate() says what their OS cannot enforce). */
static int
parse_rctl(struct builder *b)
{
	const struct strlist *l = &b->cfg->jail_rctl;
	struct jail_spec *spec = b->spec;
	char err[768];

	if (l->n == 0)
		return 0;
	if (!spec->create) {
		jail_config_error(&l->origin[0], "jail-rctl needs jail or jail2 (the limits belong "
		    "to a jail this instance creates)");
		return -1;
	}
	spec->rctl = xcalloc(l->n, sizeof(*spec->rctl));
	for (size_t i = 0; i < l->n; i++) {
		struct rctl_rule r;
		if (rctl_rule_parse(l->v[i], &r, err, sizeof(err)) < 0) {
			jail_config_error(&l->origin[i], "jail-rctl: %s", err);
			return -1;
		}
		r.origin = l->origin[i];
		for (size_t j = 0; j < spec->nrctl; j++) {
			if (strcmp(spec->rctl[j].resource, r.resource) == 0 &&
			    spec->rctl[j].action == r.action && spec->rctl[j].sig == r.sig) {
				struct src prev = { true, false, spec->rctl[j].origin };
				char w[512];
				jail_config_error(&l->origin[i], "jail-rctl: %s:%s is given twice (also %s)",
				    r.resource, r.action_name, where(&prev, w, sizeof(w)));
				return -1;
			}
		}
		spec->rctl[spec->nrctl++] = r;
	}
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
		return parse_attach(b) < 0 ? -1 : parse_rctl(b);
	if (cfg->jail == NULL && cfg->jail2.n == 0) {
		if (parse_rctl(b) < 0)
			return -1;
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
	for (size_t i = 0; i < jail_nparams; i++)
		if (b->mount_on[i])
			spec->allow_mount = true;
	return parse_rctl(b);
}

int
jail_spec_build(const struct config *cfg, struct jail_spec *spec)
{
	struct builder b;
	int rc;

	spec_defaults(spec);
	if (!jail_spec_wanted(cfg))
		return 0;
	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.spec = spec;
	b.mount_on = xcalloc(jail_nparams, sizeof(*b.mount_on));
	rc = build(&b);
	free(b.mount_on);
	if (rc < 0)
		jail_spec_free(spec);
	return rc < 0 ? -1 : 0;
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
	free(spec->rctl);
	spec_defaults(spec);
}

bool
jail_spec_wanted(const struct config *cfg)
{
	return cfg->jail != NULL || cfg->jail2.n > 0 || cfg->jail_ip4.n > 0 ||
	    cfg->jail_ip6.n > 0 || cfg->jail_rctl.n > 0 || cfg->jail_attach != NULL || cfg->jailed;
}

const struct jail_param *
jail_spec_param(const struct jail_spec *spec, const char *key)
{
	for (size_t i = spec->nparams; i-- > 0;)
		if (strcmp(spec->params[i].key, key) == 0)
			return &spec->params[i];
	return NULL;
}

