/* SPDX-License-Identifier: MIT */
/*
 * FreeBSD jail backend: what to ask the kernel for, in which order, and how
 * to report it. All OS calls go through the struct freebsd_sys seam
 * (freebsd_sys.h), so this file compiles everywhere and the unit tests run
 * it on Linux with recording fakes; freebsd.c binds it to the real calls.
 *
 *   jail = rootfs [hostname] [jailname] + jail-ip4/6  -> jail(2), version 2
 *   jail2/libjail = key[=value] (any number)          -> jailparam_init/import
 *                                                       per entry, then one
 *                                                       jailparam_set(CREATE|ATTACH)
 *   both forms                                         -> one jailparam_set: the
 *                                                       `jail =` values become
 *                                                       path/host.hostname/name/
 *                                                       ip4.addr/ip6.addr params
 *   jail-attach = jid|name                             -> jail_getid, jail_attach(2)
 *   --jls / --jail-remove                              -> jailparam_get over lastjid /
 *                                                       jail_getid + jail_remove(2)
 *
 * The calling process itself enters the jail (no monitor): on success it
 * returns inside, chrooted to the jail's path.
 */
#include "jail/freebsd_sys.h"
#include "jail/jls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "jail/error.h"

static const struct freebsd_sys *sys;

/* Where errors about the `jail =` option point: it has no file:line. */
static const struct origin jail_option = { "jail", 0 };

/* libjail's message for its last failure; strerror(err) when it left none. */
static const char *
fb_errmsg(int err)
{
	const char *m = sys->errmsg ? sys->errmsg() : NULL;
	return m && m[0] ? m : strerror(err);
}

static void
fill_result(struct jail_result *res, long jid, const char *name)
{
	res->jid = jid;
	snprintf(res->name, sizeof(res->name), "%s", name ? name : "");
}

/* ---- jidfile: opened on the host before the jail, written from inside ---- */

/* The temp file and its directory are opened on the host while the path
 * still resolves there; inside the jail the write and the rename go through
 * those descriptors. The jidfile appears whole or not at all. */
struct jidfile {
	const char *path;
	struct atomic_file af;
	bool open;
};

static int
jidfile_open(const struct jail_spec *spec, struct jidfile *jf)
{
	jf->path = spec->jidfile;
	jf->open = false;
	if (!jf->path)
		return 0;
	if (atomic_file_open(&jf->af, jf->path, 0644) < 0) {
		log_errno("jidfile %s", jf->path);
		return -1;
	}
	jf->open = true;
	return 0;
}

/* The jail was not created: we are still on the host, leave nothing behind. */
static void
jidfile_abandon(struct jidfile *jf)
{
	if (!jf->open)
		return;
	atomic_file_abort(&jf->af);
	jf->open = false;
}

static int
jidfile_write(struct jidfile *jf, int jid)
{
	char buf[32];
	int len;

	if (!jf->open)
		return 0;
	jf->open = false;
	len = snprintf(buf, sizeof(buf), "%d\n", jid);
	if (atomic_file_commit(&jf->af, buf, (size_t)len) < 0) {
		log_errno("jidfile %s", jf->path);
		return -1;
	}
	return 0;
}

/* ---- jail(2): the `jail =` form alone -------------------------------------- */

static int create_jail2(const struct jail_spec *spec)   /* version-2 struct jail */
{
	struct jail j;
	struct in_addr *ip4 = NULL;
	struct in6_addr *ip6 = NULL;
	int jid;

	if (spec->nip4)
		ip4 = xcalloc(spec->nip4, sizeof(*ip4));
	for (size_t i = 0; i < spec->nip4; i++)
		ip4[i] = spec->ip4[i].u.v4;
	if (spec->nip6)
		ip6 = xcalloc(spec->nip6, sizeof(*ip6));
	for (size_t i = 0; i < spec->nip6; i++)
		ip6[i] = spec->ip6[i].u.v6;
	memset(&j, 0, sizeof(j));
	j.version = JAIL_API_VERSION;
	j.path = spec->path;
	j.hostname = spec->hostname ? spec->hostname : (char *)"";
	j.jailname = spec->name;
	j.ip4s = (uint32_t)spec->nip4;
	j.ip6s = (uint32_t)spec->nip6;
	j.ip4 = ip4;
	j.ip6 = ip6;
	jid = sys->jail(&j);
	if (jid < 0)
		jail_config_error(&jail_option, "jail(\"%s\"): %s", spec->path ? spec->path : "", strerror(errno));
	free(ip4);
	free(ip6);
	return jid;
}

/* ---- jail_set(2) through libjail ------------------------------------------- */

struct kv {
	const char *key;
	const char *value;
	const struct origin *origin;
};

static const char *const merged_keys[] = { "path", "host.hostname", "name", "ip4.addr", "ip6.addr" };

static bool
is_merged_key(const char *key)
{
	for (size_t i = 0; i < sizeof(merged_keys) / sizeof(merged_keys[0]); i++)
		if (strcmp(key, merged_keys[i]) == 0)
			return true;
	return false;
}

/* "a,b,c" in presentation form; NULL when there are none. */
static char *
addr_list(const struct jail_addr *a, size_t n)
{
	struct strbuf sb;
	char buf[INET6_ADDRSTRLEN];

	if (n == 0)
		return NULL;
	sb_init(&sb);
	for (size_t i = 0; i < n; i++) {
		if (!inet_ntop(a[i].family, &a[i].u, buf, sizeof(buf)))
			buf[0] = '\0';
		if (i)
			sb_addc(&sb, ',');
		sb_adds(&sb, buf);
	}
	return sb_detach(&sb);
}

static int
apply_params(const struct jail_spec *spec, const struct kv *kv, size_t n)
{
	struct jailparam *jp = xcalloc(n ? n : 1, sizeof(*jp));
	int jid = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		log_msg("FreeBSD libjail applying %s=%s", kv[i].key, kv[i].value);
		errno = 0;
		if (sys->jailparam_init(&jp[i], kv[i].key) < 0) {
			jail_config_error(kv[i].origin, "jailparam_init(\"%s\"): %s", kv[i].key, fb_errmsg(errno));
			goto out;
		}
		errno = 0;
		if (sys->jailparam_import(&jp[i], kv[i].value) < 0) {
			jail_config_error(kv[i].origin, "jailparam_import(\"%s\", \"%s\"): %s", kv[i].key, kv[i].value,
			         fb_errmsg(errno));
			i++;
			goto out;
		}
	}
	errno = 0;
	jid = sys->jailparam_set(jp, (unsigned)n, JAIL_CREATE | JAIL_ATTACH);
	if (jid < 0)
		jail_config_error(&spec->origin, "jailparam_set(JAIL_CREATE|JAIL_ATTACH): %s", fb_errmsg(errno));
out:
	sys->jailparam_free(jp, (unsigned)i);
	free(jp);
	return jid < 0 ? -1 : jid;
}

/*
 * The jail2 list in order, except that the spec holds the merged value of
 * the keys two forms can set: ip4.addr/ip6.addr become one parameter with
 * every address (jail-ip4/6 and all ip4.addr/ip6.addr entries, as on
 * Linux; the kernel would keep only the last of repeated entries), placed
 * at the first entry. With the `jail =` form too, its path, host.hostname,
 * name and addresses come first and the list's own entries for those keys
 * are dropped (params.c has already checked that they agree).
 */
static int
create_params(const struct jail_spec *spec)
{
	struct kv *kv = xcalloc(spec->nparams + 5, sizeof(*kv));
	char *ip4 = addr_list(spec->ip4, spec->nip4);
	char *ip6 = addr_list(spec->ip6, spec->nip6);
	bool done4 = false, done6 = false;
	size_t n = 0;
	int jid;

	if (spec->old_api) {
		kv[n++] = (struct kv){ "path", spec->path ? spec->path : "", &jail_option };
		kv[n++] = (struct kv){ "host.hostname", spec->hostname ? spec->hostname : "", &jail_option };
		if (spec->name)
			kv[n++] = (struct kv){ "name", spec->name, &jail_option };
		if (ip4)
			kv[n++] = (struct kv){ "ip4.addr", ip4, &spec->ip4[0].origin };
		if (ip6)
			kv[n++] = (struct kv){ "ip6.addr", ip6, &spec->ip6[0].origin };
		done4 = done6 = true;
	}
	for (size_t i = 0; i < spec->nparams; i++) {
		const struct jail_param *p = &spec->params[i];
		if (strcmp(p->key, "ip4.addr") == 0 || strcmp(p->key, "ip6.addr") == 0) {
			bool *done = p->key[2] == '4' ? &done4 : &done6;
			const char *all = p->key[2] == '4' ? ip4 : ip6;
			if (!*done && all)
				kv[n++] = (struct kv){ p->key, all, &p->origin };
			*done = true;
			continue;
		}
		if (spec->old_api && is_merged_key(p->key))
			continue;
		kv[n++] = (struct kv){ p->key, p->value ? p->value : "1", &p->origin };
	}
	jid = apply_params(spec, kv, n);
	free(ip4);
	free(ip6);
	free(kv);
	return jid;
}

/* ---- jail-rctl: rctl_add_rule(2) (issue 23) -------------------------------- */

/* rctl rules name the jail; an unnamed jail's name is its jid. */
static const char *
rctl_subject(const struct jail_spec *spec, char *buf, size_t len)
{
	if (spec->name)
		return spec->name;
	if (spec->jid > 0) {
		snprintf(buf, len, "%ld", spec->jid);
		return buf;
	}
	return NULL;
}

static int
rctl_call(int (*fn)(const char *, size_t, char *, size_t), const char *text)
{
	return fn(text, strlen(text) + 1, NULL, 0);
}

/* Drops every rule of the jail name: "jail:<name>" is a filter. */
static void
rctl_clear(const char *name)
{
	char filter[128];

	snprintf(filter, sizeof(filter), "jail:%s", name);
	if (rctl_call(sys->rctl_remove_rule, filter) < 0 && errno != ESRCH && errno != ENOSYS)
		log_msg("rctl_remove_rule(\"%s\"): %s", filter, strerror(errno));
}

/*
 * The kernel keys jail rules by name, so they are added before the jail
 * exists (as /etc/rctl.conf does at boot) and hold from its first
 * instruction. The jail's earlier rules go first: a config's rules replace
 * them instead of piling up.
 */
static int
rctl_apply(const struct jail_spec *spec)
{
	char idbuf[32], text[160], rule[96];
	const char *name;

	if (spec->nrctl == 0)
		return 0;
	if ((name = rctl_subject(spec, idbuf, sizeof(idbuf))) == NULL) {
		jail_config_error(&spec->rctl[0].origin, "jail-rctl: FreeBSD rctl rules name their jail: "
		    "give the jail a name (jail2 = name=<name>, or the third word of jail)");
		return -1;
	}
	rctl_clear(name);
	for (size_t i = 0; i < spec->nrctl; i++) {
		rctl_rule_format(&spec->rctl[i], rule, sizeof(rule));
		snprintf(text, sizeof(text), "jail:%s:%s", name, rule);
		if (rctl_call(sys->rctl_add_rule, text) == 0)
			continue;
		if (errno == ENOSYS)
			jail_config_error(&spec->rctl[i].origin, "jail-rctl: the kernel's resource accounting "
			    "is off (RACCT): set kern.racct.enable=1 in /boot/loader.conf and reboot");
		else
			jail_config_error(&spec->rctl[i].origin, "jail-rctl: rctl_add_rule(\"%s\"): %s",
			    text, strerror(errno));
		rctl_clear(name);
		return -1;
	}
	return 0;
}

/* An rctl(2) query into a growing buffer (ERANGE: too small), malloc'd, or
 * NULL (RACCT off, no such subject...). */
static char *
rctl_query(int (*fn)(const char *, size_t, char *, size_t), const char *filter)
{
	for (size_t len = 4096; len <= 1024 * 1024; len *= 4) {
		char *out = xmalloc(len);
		if (fn(filter, strlen(filter) + 1, out, len) == 0) {
			out[len - 1] = '\0';
			return out;
		}
		free(out);
		if (errno != ERANGE)
			return NULL;
	}
	return NULL;
}

/* --jls: "rule use=N" lines for the jail's rules (rctl_get_rules) with the
 * jail's use of each resource (rctl_get_racct), or NULL. */
static char *
rctl_jls(const char *name)
{
	char filter[128], *rules, *racct, *save = NULL;
	struct strbuf sb;

	snprintf(filter, sizeof(filter), "jail:%s", name);
	if ((rules = rctl_query(sys->rctl_get_rules, filter)) == NULL)
		return NULL;
	racct = rctl_query(sys->rctl_get_racct, filter);
	sb_init(&sb);
	for (char *r = strtok_r(rules, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		/* "jail:<name>:resource:action=amount[/per]" */
		char *res = strchr(r, ':') ? strchr(strchr(r, ':') + 1, ':') : NULL, *act, *eq, *slash;
		char line[160], key[40];
		long long use = -1;
		if (!res || !(act = strchr(res + 1, ':')) || !(eq = strchr(act, '=')))
			continue;
		*act++ = '\0';
		*eq = '\0';
		if ((slash = strchr(eq + 1, '/')) != NULL)
			*slash = '\0';
		snprintf(key, sizeof(key), "%s=", res + 1);
		for (char *p = racct; p && (p = strstr(p, key)) != NULL; p++) {
			if (p == racct || p[-1] == ',') {
				use = strtoll(p + strlen(key), NULL, 10);
				break;
			}
		}
		rctl_describe(res + 1, act, strtoull(eq + 1, NULL, 10), use, line, sizeof(line));
		sb_addf(&sb, "%s\n", line);
	}
	free(rules);
	free(racct);
	sb_addc(&sb, '\0');
	if (sb.buf[0] == '\0') {
		sb_free(&sb);
		return NULL;
	}
	return sb.buf;
}

/* The jailed master's stats: a jail may not query rctl(2), so the limits
 * come from the config and the use stays unknown. */
static char *
fb_rctl_status(const struct jail_spec *spec)
{
	return rctl_rules_status(spec->rctl, spec->nrctl);
}

/* ---- backend entry points --------------------------------------------------- */

static int
fb_validate(const struct jail_spec *spec)
{
	const struct jail_addr *lists[] = { spec->ip4, spec->ip6 };
	const size_t counts[] = { spec->nip4, spec->nip6 };

	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			if (lists[l][i].prefix < 0)
				continue;
			jail_config_error(&lists[l][i].origin,
			         "an address prefix (/%d) needs Linux vnet mode: FreeBSD's ip%c.addr takes bare "
			         "addresses (configure a vnet jail's interfaces from inside it)",
			         lists[l][i].prefix, l == 0 ? '4' : '6');
			return -1;
		}
	}
	if (spec->nrctl > 0 && spec->name == NULL && spec->jid <= 0) {
		jail_config_error(&spec->rctl[0].origin, "jail-rctl: FreeBSD rctl rules name their jail: "
		    "give the jail a name (jail2 = name=<name>, or the third word of jail)");
		return -1;
	}
	return 0;
}

static int
fb_create_and_enter(const struct jail_spec *spec, struct jail_result *res)
{
	struct jidfile jf;
	int jid;

	if (!spec->old_api && spec->nparams == 0) {
		jail_config_error(&spec->origin, "nothing to create: give `jail = <rootfs>` or `jail2 = path=<rootfs>`");
		return -1;
	}
	/* jail(2)/jail_set(2) move us into the jail at once: open the jidfile
	 * while its path still resolves on the host */
	if (jidfile_open(spec, &jf) < 0)
		return -1;
	if (rctl_apply(spec) < 0) {
		jidfile_abandon(&jf);
		return -1;
	}
	if (spec->old_api && spec->nparams == 0)
		jid = create_jail2(spec);
	else
		jid = create_params(spec);
	if (jid < 0) {
		char idbuf[32];
		const char *name = rctl_subject(spec, idbuf, sizeof(idbuf));
		if (spec->nrctl > 0 && name)
			rctl_clear(name);
		jidfile_abandon(&jf);
		return -1;
	}
	fill_result(res, jid, spec->name);
	if (jidfile_write(&jf, jid) < 0)
		return -1;
	/* jail(2) keeps every descriptor: a host directory would lead out */
	return sys->close_fds(spec->keep_fds, spec->nkeep_fds);
}

static int
fb_attach(const struct jail_spec *spec, struct jail_result *res)
{
	const char *id = spec->attach;
	char *name;
	int jid;

	errno = 0;
	jid = sys->jail_getid(id);
	if (jid < 0) {
		jail_config_error(&spec->origin, "jail-attach %s: %s", id, fb_errmsg(errno));
		return -1;
	}
	/* the name, for the log line: a jail cannot see itself once inside */
	name = sys->jail_getname ? sys->jail_getname(jid) : NULL;
	if (sys->jail_attach(jid) < 0) {
		jail_config_error(&spec->origin, "jail-attach %s: jail_attach(%d): %s", id, jid, strerror(errno));
		free(name);
		return -1;
	}
	fill_result(res, jid, name);
	free(name);
	return sys->close_fds(spec->keep_fds, spec->nkeep_fds);
}

enum { LP_LASTJID, LP_NAME, LP_HOST, LP_PATH, LP_IP4, LP_IP6, LP_CPUSET, LP_DYING, LP_MAX,
	LP_RCTL = LP_MAX, LP_SLOTS };	/* per row: the parameters, then the jail-rctl lines */

static int
fb_list(int fd, unsigned flags)
{
	static const char *const names[LP_MAX] = { "lastjid", "name", "host.hostname", "path", "ip4.addr",
		"ip6.addr", "cpuset.id", "dying" };
	struct jailparam jp[LP_MAX];
	int have[LP_MAX];
	int lastjid = 0, jid, rc = 0;
	unsigned n = 0;
	struct jls_row *rows = NULL;
	char **vals = NULL;   /* LP_MAX exported strings per row */
	size_t nrows = 0, cap = 0;

	memset(jp, 0, sizeof(jp));
	/* ip4.addr/ip6.addr are unknown to a kernel without INET/INET6: skip, as cpuset.id and dying */
	for (int i = 0; i < LP_MAX; i++) {
		have[i] = -1;
		errno = 0;
		if (sys->jailparam_init(&jp[n], names[i]) == 0) {
			have[i] = (int)n++;
		} else if (i < LP_IP4) {
			jail_config_error(NULL, "jls: jailparam_init(\"%s\"): %s", names[i], fb_errmsg(errno));
			sys->jailparam_free(jp, n);
			return -1;
		}
	}
	for (;;) {
		if (sys->jailparam_import_raw(&jp[0], &lastjid, sizeof(lastjid)) < 0) {
			jail_config_error(NULL, "jls: jailparam_import_raw(\"lastjid\"): %s", fb_errmsg(errno));
			rc = -1;
			break;
		}
		errno = 0;
		jid = sys->jailparam_get(jp, n, 0);
		if (jid < 0) {
			if (errno != ENOENT) {
				jail_config_error(NULL, "jls: jailparam_get: %s", fb_errmsg(errno));
				rc = -1;
			}
			break;
		}
		if (nrows == cap) {
			cap = cap ? cap * 2 : 8;
			rows = xrealloc(rows, cap * sizeof(*rows));
			vals = xrealloc(vals, cap * LP_SLOTS * sizeof(*vals));
		}
		char **v = &vals[nrows * LP_SLOTS];
		for (int i = 0; i < LP_MAX; i++)
			v[i] = i > LP_LASTJID && have[i] >= 0 ? sys->jailparam_export(&jp[have[i]]) : NULL;
		v[LP_RCTL] = v[LP_NAME] && v[LP_NAME][0] ? rctl_jls(v[LP_NAME]) : NULL;	/* issue 23 */
		/* every parameter fetched, for --json */
		struct strbuf params;
		sb_init(&params);
		for (int i = LP_NAME; i < LP_MAX; i++)
			if (v[i])
				sb_addf(&params, "%s=%s\n", names[i], v[i]);
		v[LP_LASTJID] = sb_detach(&params);
		rows[nrows++] = (struct jls_row){
			.jid = jid, .name = v[LP_NAME], .hostname = v[LP_HOST], .path = v[LP_PATH],
			.state = v[LP_DYING] && strcmp(v[LP_DYING], "true") == 0 ? "DYING" : "ACTIVE",
			.ip4 = v[LP_IP4], .ip6 = v[LP_IP6],
			.cpusetid = v[LP_CPUSET] ? strtol(v[LP_CPUSET], NULL, 10) : -1, .pid = -1, .age_seconds = -1,
			.params = v[LP_LASTJID], .rctl = v[LP_RCTL],
		};
		lastjid = jid;
	}
	sys->jailparam_free(jp, n);
	if (rc == 0)
		rc = jls_print(fd, flags, "CPUSetID", rows, nrows);
	for (size_t i = 0; i < nrows * LP_SLOTS; i++)
		free(vals[i]);
	free(vals);
	free(rows);
	return rc;
}

static int
fb_remove(const char *id)
{
	int jid;

	errno = 0;
	jid = sys->jail_getid(id);
	if (jid < 0) {
		jail_config_error(NULL, "jail-remove %s: %s", id, fb_errmsg(errno));
		return -1;
	}
	char *name = sys->jail_getname(jid);
	if (sys->jail_remove(jid) < 0) {
		jail_config_error(NULL, "jail-remove %s: jail_remove(%d): %s", id, jid, strerror(errno));
		free(name);
		return -1;
	}
	if (name != NULL)	/* its jail-rctl rules go with it */
		rctl_clear(name);
	free(name);
	log_msg("removed jail %d", jid);
	return 0;
}

static const struct jail_backend freebsd_backend = {
	.name = "freebsd",
	.validate = fb_validate,
	.create_and_enter = fb_create_and_enter,
	.attach = fb_attach,
	.list = fb_list,
	.remove = fb_remove,
	.rctl_status = fb_rctl_status,
};

const struct jail_backend *
freebsd_jail_backend(const struct freebsd_sys *s)
{
	sys = s;
	return &freebsd_backend;
}
