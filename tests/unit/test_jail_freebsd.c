/* SPDX-License-Identifier: MIT */
/*
 * FreeBSD jail backend through its OS seam (src/jail/freebsd_sys.h): runs on
 * Linux. Every jail(2)/libjail call goes to a fake that records it; specs
 * come from the real config pipeline and jail_spec_build(), including the
 * seed's five configs (tests/unit/fixtures/config/seed*.ini).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "jail/freebsd_sys.h"
#include "jail/jls.h"
#include "jail/params.h"

#define FIX "tests/unit/fixtures/config/"
#define MAXP 32

/* ---- the fake OS ----------------------------------------------------------- */

struct fake_jail {
	int jid;
	const char *name, *host, *path, *ip4;
};

static struct {
	struct strbuf calls;            /* one line per call, in order */
	char errmsg[JAIL_ERRMSGLEN];
	/* jail(2) */
	int jail_ret, jail_errno;
	bool jail_called;
	uint32_t version, ip4s, ip6s;
	char path[256], hostname[256], jailname[256];
	bool jailname_null;
	struct in_addr ip4[8];
	struct in6_addr ip6[8];
	/* libjail */
	const char *init_fail, *import_fail;
	int set_ret, set_errno;
	unsigned set_n;
	int set_flags;
	char set_key[MAXP][64], set_val[MAXP][256];
	/* the jidfile's temp file must exist (opened on the host) when the jail is made */
	const char *jidfile;
	bool jidfile_there;
	/* jails the fake kernel knows */
	struct fake_jail jails[4];
	size_t njails;
	int attach_errno, remove_errno;
	int rctl_add_errno;             /* rctl_add_rule(2) fails with this (ENOSYS: RACCT off) */
	const char *rctl_add_fail;      /* ... for this rule only, when set */
	const char *rctl_rules, *rctl_racct;    /* rctl_get_rules/racct of jail "web"; NULL: ENOSYS */
	size_t rctl_min_out;            /* smaller output buffers get ERANGE */
	int rctl_queries;
	/* jail_close_fds() as the backend called it (not in calls: it never
	 * changes the order of the jail calls) */
	int close_fds_calls;
	int kept[8];
	size_t nkept;
} F;

static void rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sb_adds(&F.calls, line);
	sb_addc(&F.calls, '\n');
}

/* the jidfile is written atomically: its temp file (".<name>.tmp.<pid>"
 * next to it) must be open on the host when the jail is made */
static void jidfile_temp(const char *jidfile, char *out, size_t n)
{
	const char *slash = strrchr(jidfile, '/');
	snprintf(out, n, "%.*s/.%s.tmp.%d", (int)(slash - jidfile), jidfile, slash + 1, (int)getpid());
}

static void note_jidfile(void)
{
	char tmp[512];
	if (!F.jidfile) {
		F.jidfile_there = false;
		return;
	}
	jidfile_temp(F.jidfile, tmp, sizeof(tmp));
	F.jidfile_there = access(tmp, F_OK) == 0;
}

static int fake_jail(struct jail *j)
{
	rec("jail");
	F.jail_called = true;
	F.version = j->version;
	snprintf(F.path, sizeof(F.path), "%s", j->path ? j->path : "(null)");
	snprintf(F.hostname, sizeof(F.hostname), "%s", j->hostname ? j->hostname : "(null)");
	F.jailname_null = j->jailname == NULL;
	snprintf(F.jailname, sizeof(F.jailname), "%s", j->jailname ? j->jailname : "");
	F.ip4s = j->ip4s;
	F.ip6s = j->ip6s;
	for (uint32_t i = 0; i < j->ip4s && i < 8; i++)
		F.ip4[i] = j->ip4[i];
	for (uint32_t i = 0; i < j->ip6s && i < 8; i++)
		F.ip6[i] = j->ip6[i];
	note_jidfile();
	if (F.jail_errno) {
		errno = F.jail_errno;
		return -1;
	}
	return F.jail_ret;
}

static int fake_init(struct jailparam *jp, const char *name)
{
	rec("jailparam_init %s", name);
	if (F.init_fail && strcmp(name, F.init_fail) == 0) {
		snprintf(F.errmsg, sizeof(F.errmsg), "unknown parameter: %s", name);
		errno = ENOENT;
		return -1;
	}
	memset(jp, 0, sizeof(*jp));
	jp->jp_name = xstrdup(name);
	return 0;
}

static void set_value(struct jailparam *jp, const char *v)
{
	free(jp->jp_value);
	jp->jp_value = xstrdup(v);
	jp->jp_valuelen = strlen(v) + 1;
}

static int fake_import(struct jailparam *jp, const char *value)
{
	rec("jailparam_import %s=%s", jp->jp_name, value);
	if (F.import_fail && strcmp(jp->jp_name, F.import_fail) == 0) {
		snprintf(F.errmsg, sizeof(F.errmsg), "%s: not an IPv4 address: %s", jp->jp_name, value);
		errno = EINVAL;
		return -1;
	}
	set_value(jp, value);
	return 0;
}

static int fake_import_raw(struct jailparam *jp, void *value, size_t len)
{
	cr_assert_eq(len, sizeof(int));
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", *(int *)value);
	rec("jailparam_import_raw %s=%s", jp->jp_name, buf);
	set_value(jp, buf);
	return 0;
}

static int fake_set(struct jailparam *jp, unsigned n, int flags)
{
	rec("jailparam_set %u 0x%x", n, (unsigned)flags);
	F.set_n = n;
	F.set_flags = flags;
	for (unsigned i = 0; i < n && i < MAXP; i++) {
		snprintf(F.set_key[i], sizeof(F.set_key[i]), "%s", jp[i].jp_name);
		snprintf(F.set_val[i], sizeof(F.set_val[i]), "%s", (char *)jp[i].jp_value);
	}
	note_jidfile();
	if (F.set_errno) {
		snprintf(F.errmsg, sizeof(F.errmsg), "jail_set: %s", strerror(F.set_errno));
		errno = F.set_errno;
		return -1;
	}
	return F.set_ret;
}

/* jls: the next jail after lastjid (jp[0]), its values by parameter name */
static int fake_get(struct jailparam *jp, unsigned n, int flags)
{
	int last = atoi((char *)jp[0].jp_value);
	rec("jailparam_get %u 0x%x lastjid=%d", n, (unsigned)flags, last);
	for (size_t k = 0; k < F.njails; k++) {
		const struct fake_jail *j = &F.jails[k];
		if (j->jid <= last)
			continue;
		for (unsigned i = 1; i < n; i++) {
			const char *v = "";
			if (strcmp(jp[i].jp_name, "name") == 0)
				v = j->name;
			else if (strcmp(jp[i].jp_name, "host.hostname") == 0)
				v = j->host;
			else if (strcmp(jp[i].jp_name, "path") == 0)
				v = j->path;
			else if (strcmp(jp[i].jp_name, "ip4.addr") == 0)
				v = j->ip4;
			else if (strcmp(jp[i].jp_name, "cpuset.id") == 0)
				v = j->jid == 3 ? "2" : "5";
			else if (strcmp(jp[i].jp_name, "dying") == 0)
				v = j->jid == 7 ? "true" : "false";
			set_value(&jp[i], v);
		}
		return j->jid;
	}
	snprintf(F.errmsg, sizeof(F.errmsg), "jail %d not found", last);
	errno = ENOENT;
	return -1;
}

static char *fake_export(struct jailparam *jp)
{
	return xstrdup(jp->jp_value ? (char *)jp->jp_value : "");
}

static void fake_free(struct jailparam *jp, unsigned n)
{
	rec("jailparam_free %u", n);
	for (unsigned i = 0; i < n; i++) {
		free(jp[i].jp_name);
		free(jp[i].jp_value);
		jp[i].jp_name = NULL;
		jp[i].jp_value = NULL;
	}
}

static int fake_getid(const char *name)
{
	rec("jail_getid %s", name);
	char *end;
	long v = strtol(name, &end, 10);
	if (*name && !*end)
		return (int)v;     /* libjail: digits are a jid, unchecked */
	for (size_t k = 0; k < F.njails; k++)
		if (strcmp(F.jails[k].name, name) == 0)
			return F.jails[k].jid;
	snprintf(F.errmsg, sizeof(F.errmsg), "jail \"%s\" not found", name);
	errno = ENOENT;
	return -1;
}

static char *fake_getname(int jid)
{
	rec("jail_getname %d", jid);
	for (size_t k = 0; k < F.njails; k++)
		if (F.jails[k].jid == jid)
			return xstrdup(F.jails[k].name);
	return NULL;
}

static int fake_attach(int jid)
{
	rec("jail_attach %d", jid);
	if (F.attach_errno) {
		errno = F.attach_errno;
		return -1;
	}
	return 0;
}

static int fake_remove(int jid)
{
	rec("jail_remove %d", jid);
	if (F.remove_errno) {
		errno = F.remove_errno;
		return -1;
	}
	return 0;
}

static int fake_rctl_add(const char *in, size_t inlen, char *out, size_t outlen)
{
	(void)out;
	(void)outlen;
	cr_assert_eq(inlen, strlen(in) + 1, "rctl(2) buffers include the NUL");
	rec("rctl_add_rule %s", in);
	if (F.rctl_add_errno && (!F.rctl_add_fail || strcmp(in, F.rctl_add_fail) == 0)) {
		errno = F.rctl_add_errno;
		return -1;
	}
	return 0;
}

static int fake_rctl_remove(const char *in, size_t inlen, char *out, size_t outlen)
{
	(void)out;
	(void)outlen;
	cr_assert_eq(inlen, strlen(in) + 1);
	rec("rctl_remove_rule %s", in);
	if (F.rctl_add_errno == ENOSYS) {
		errno = ENOSYS;
		return -1;
	}
	return 0;
}

static int fake_rctl_answer(const char *text, const char *in, char *out, size_t outlen)
{
	F.rctl_queries++;
	if (text == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (outlen < F.rctl_min_out || strlen(text) >= outlen) {
		errno = ERANGE;
		return -1;
	}
	snprintf(out, outlen, "%s", strcmp(in, "jail:web") == 0 ? text : "");
	return 0;
}

static int fake_rctl_rules(const char *in, size_t inlen, char *out, size_t outlen)
{
	cr_assert_eq(inlen, strlen(in) + 1);
	return fake_rctl_answer(F.rctl_rules, in, out, outlen);
}

static int fake_rctl_racct(const char *in, size_t inlen, char *out, size_t outlen)
{
	cr_assert_eq(inlen, strlen(in) + 1);
	return fake_rctl_answer(F.rctl_racct, in, out, outlen);
}

static const char *fake_errmsg(void)
{
	return F.errmsg;
}

static int fake_close_fds(const int *keep, size_t nkeep)
{
	F.close_fds_calls++;
	F.nkept = nkeep < 8 ? nkeep : 8;
	for (size_t i = 0; i < F.nkept; i++)
		F.kept[i] = keep[i];
	return 0;
}

static const struct freebsd_sys fake_sys = {
	.jail = fake_jail,
	.jail_attach = fake_attach,
	.jail_remove = fake_remove,
	.jail_getid = fake_getid,
	.jail_getname = fake_getname,
	.jailparam_init = fake_init,
	.jailparam_import = fake_import,
	.jailparam_import_raw = fake_import_raw,
	.jailparam_set = fake_set,
	.jailparam_get = fake_get,
	.jailparam_export = fake_export,
	.jailparam_free = fake_free,
	.rctl_add_rule = fake_rctl_add,
	.rctl_remove_rule = fake_rctl_remove,
	.rctl_get_rules = fake_rctl_rules,
	.rctl_get_racct = fake_rctl_racct,
	.errmsg = fake_errmsg,
	.close_fds = fake_close_fds,
};

/* ---- fixtures: spec from a config, captured log ---------------------------- */

static const struct jail_backend *B;
static int logfd = -1;
static char tmpdir[64];

static void setup(void)
{
	sb_free(&F.calls);
	memset(&F, 0, sizeof(F));
	sb_init(&F.calls);
	F.jail_ret = 42;
	F.set_ret = 42;
	F.jails[0] = (struct fake_jail){ 3, "db", "db.example", "/jails/db", "192.168.0.3" };
	F.jails[1] = (struct fake_jail){ 7, "web", "foobar", "/jails/001", "192.168.0.40,192.168.0.41" };
	F.njails = 2;
	B = freebsd_jail_backend(&fake_sys);
	char path[] = "/tmp/stockade-fbsd-log-XXXXXX";
	logfd = mkstemp(path);
	cr_assert(logfd >= 0);
	unlink(path);
	log_set_file(logfd);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/stockade-fbsd-XXXXXX");
	cr_assert(mkdtemp(tmpdir) != NULL);
	setenv("JAIL_ROOT", "/jails/002", 1);
}

static void teardown(void)
{
	char cmd[128];
	log_set_file(2);
	close(logfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
	sb_free(&F.calls);
}

TestSuite(jail_freebsd, .init = setup, .fini = teardown);

static char *logged(void)
{
	struct strbuf sb;
	char buf[4096];
	ssize_t n;
	sb_init(&sb);
	lseek(logfd, 0, SEEK_SET);
	while ((n = read(logfd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	sb_addc(&sb, '\0');
	return sb_detach(&sb);
}

static const char *calls(void)
{
	sb_addc(&F.calls, '\0');
	F.calls.len--;
	return F.calls.buf ? F.calls.buf : "";
}

/* Builds a spec the way the server does: config sources, resolve, apply. */
static void spec_from_argv(struct jail_spec *spec, const char *first, ...)
{
	char *argv[32] = { "stockade" };
	int argc = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	struct loader L;
	struct config cfg;
	loader_init(&L);
	cr_assert_eq(config_read_argv(&L, argc, argv), 0);
	cr_assert_eq(config_resolve(&L), 0);
	config_apply(&L, &cfg);
	cr_assert_eq(jail_spec_build(&cfg, spec), 0, "jail_spec_build: %s", logged());
	config_free(&cfg);
	loader_free(&L);
	cr_assert_eq(B->validate(spec), 0);
}

static void spec_from_ini(struct jail_spec *spec, const char *file)
{
	spec_from_argv(spec, "--ini", file, NULL);
}

static void assert_params(const char *const *kv)
{
	unsigned n = 0;
	for (; kv[2 * n]; n++) {
		cr_assert_lt(n, F.set_n, "only %u params passed", F.set_n);
		cr_assert_str_eq(F.set_key[n], kv[2 * n], "param %u", n);
		cr_assert_str_eq(F.set_val[n], kv[2 * n + 1], "param %u (%s)", n, kv[2 * n]);
	}
	cr_assert_eq(F.set_n, n, "%u params passed, expected %u", F.set_n, n);
	cr_assert_eq(F.set_flags, JAIL_CREATE | JAIL_ATTACH);
}

static char *slurp(const char *path)
{
	size_t len;
	char *s = read_file(path, &len);
	cr_assert(s != NULL, "%s: %s", path, strerror(errno));
	return s;
}

/* ---- the seed's five configs ------------------------------------------------ */

Test(jail_freebsd, seed1_old_api_calls_jail2_struct)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed1-jail.ini");
	memset(&res, 0, sizeof(res));
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert_str_eq(calls(), "jail\n");
	cr_assert_eq(F.version, JAIL_API_VERSION);
	cr_assert_eq(F.version, 2);
	cr_assert_str_eq(F.path, "/jails/001");
	cr_assert_str_eq(F.hostname, "foobar");
	cr_assert(F.jailname_null, "unnamed: jailname must be NULL");
	cr_assert_eq(F.ip4s, 1);
	cr_assert_eq(F.ip6s, 0);
	cr_assert_str_eq(inet_ntoa(F.ip4[0]), "192.168.0.40");
	cr_assert_eq(res.jid, 42);
	cr_assert_str_eq(res.name, "");
	jail_spec_free(&spec);
}

Test(jail_freebsd, seed2_jail2_params_in_order)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed2-jail2.ini");
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert_not(F.jail_called);
	cr_assert_str_eq(calls(),
	    "jailparam_init path\n"
	    "jailparam_import path=/jails/001\n"
	    "jailparam_init host.hostname\n"
	    "jailparam_import host.hostname=foobar\n"
	    "jailparam_init ip4.addr\n"
	    "jailparam_import ip4.addr=192.168.0.40\n"
	    "jailparam_set 3 0x5\n"
	    "jailparam_free 3\n");
	static const char *const kv[] = { "path", "/jails/001", "host.hostname", "foobar",
	                                  "ip4.addr", "192.168.0.40", NULL };
	assert_params(kv);
	cr_assert_eq(res.jid, 42);
	char *log = logged();
	cr_assert(strstr(log, "FreeBSD libjail applying path=/jails/001\n"), "%s", log);
	cr_assert(strstr(log, "FreeBSD libjail applying host.hostname=foobar\n"), "%s", log);
	cr_assert(strstr(log, "FreeBSD libjail applying ip4.addr=192.168.0.40\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, seed3_libjail_alias_sysvipc)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed3-sysvipc.ini");
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	static const char *const kv[] = { "path", "/jails/001", "allow.sysvipc", "1", NULL };
	assert_params(kv);
	cr_assert_not(F.jail_called);
	jail_spec_free(&spec);
}

Test(jail_freebsd, seed4_devfs_prejail_expanded_root)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed4-devfs-prejail.ini");
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	static const char *const kv[] = { "path", "/jails/002", "host.hostname", "foobar",
	                                  "ip4.addr", "192.168.0.40", NULL };
	assert_params(kv);
	jail_spec_free(&spec);
}

Test(jail_freebsd, seed5_devfs_postjail_bools)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed5-devfs-postjail.ini");
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	static const char *const kv[] = { "path", "/jails/001", "host.hostname", "foobar",
	                                  "ip4.addr", "192.168.0.40", "enforce_statfs", "1",
	                                  "allow.mount", "1", "allow.mount.devfs", "1", NULL };
	assert_params(kv);
	cr_assert(strstr(calls(), "jailparam_set 6 0x5\njailparam_free 6\n"), "%s", calls());
	jail_spec_free(&spec);
}

/* ---- both forms, repeated addresses ------------------------------------------ */

Test(jail_freebsd, both_forms_merge_into_one_jail_set)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail", "/jails/001 foobar web", "--jail-ip4", "10.0.0.1",
	               "--jail2", "ip4.addr=10.0.0.2", "--jail2", "persist",
	               "--jail-ip6", "fd00::1", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert_not(F.jail_called, "no nested jail: jail(2) must not run as well");
	static const char *const kv[] = { "path", "/jails/001", "host.hostname", "foobar",
	                                  "name", "web", "ip4.addr", "10.0.0.1,10.0.0.2",
	                                  "ip6.addr", "fd00::1", "persist", "1", NULL };
	assert_params(kv);
	cr_assert_str_eq(res.name, "web");
	jail_spec_free(&spec);
}

Test(jail_freebsd, repeated_ip4_addr_entries_become_one_param)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail2", "path=/j", "--jail2", "ip4.addr=10.0.0.1",
	               "--jail2", "allow.raw_sockets", "--jail2", "ip4.addr=10.0.0.2,10.0.0.3",
	               "--jail2", "name=api", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	static const char *const kv[] = { "path", "/j", "ip4.addr", "10.0.0.1,10.0.0.2,10.0.0.3",
	                                  "allow.raw_sockets", "1", "name", "api", NULL };
	assert_params(kv);
	cr_assert_str_eq(res.name, "api");
	jail_spec_free(&spec);
}

Test(jail_freebsd, old_api_without_hostname_passes_empty_string)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail", "/jails/003", "--jail-ip6", "fd00::5", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert_str_eq(F.hostname, "");
	cr_assert(F.jailname_null);
	cr_assert_eq(F.ip4s, 0);
	cr_assert_eq(F.ip6s, 1);
	char buf[INET6_ADDRSTRLEN];
	cr_assert_str_eq(inet_ntop(AF_INET6, &F.ip6[0], buf, sizeof(buf)), "fd00::5");
	jail_spec_free(&spec);
}

Test(jail_freebsd, old_api_jailname)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail", "/jails/001 foobar web", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert_not(F.jailname_null);
	cr_assert_str_eq(F.jailname, "web");
	cr_assert_str_eq(res.name, "web");
	jail_spec_free(&spec);
}

/* ---- errors -------------------------------------------------------------------- */

Test(jail_freebsd, jailparam_import_failure_names_key_and_line)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed2-jail2.ini");
	F.import_fail = "ip4.addr";
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert_str_eq(calls(),
	    "jailparam_init path\n"
	    "jailparam_import path=/jails/001\n"
	    "jailparam_init host.hostname\n"
	    "jailparam_import host.hostname=foobar\n"
	    "jailparam_init ip4.addr\n"
	    "jailparam_import ip4.addr=192.168.0.40\n"
	    "jailparam_free 3\n");
	char *log = logged();
	cr_assert(strstr(log, FIX "seed2-jail2.ini:6: jailparam_import(\"ip4.addr\", \"192.168.0.40\"): "
	                 "ip4.addr: not an IPv4 address: 192.168.0.40\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, jailparam_init_failure_names_key_and_line)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed5-devfs-postjail.ini");
	F.init_fail = "allow.mount.devfs";   /* e.g. a kernel without devfs */
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert(strstr(calls(), "jailparam_init allow.mount.devfs\njailparam_free 5\n"), "%s", calls());
	cr_assert_null(strstr(calls(), "jailparam_set"));
	char *log = logged();
	cr_assert(strstr(log, FIX "seed5-devfs-postjail.ini:9: jailparam_init(\"allow.mount.devfs\"): "
	                 "unknown parameter: allow.mount.devfs\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, jailparam_set_failure_reports_errmsg)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed3-sysvipc.ini");
	F.set_errno = EPERM;
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert(strstr(calls(), "jailparam_set 2 0x5\njailparam_free 2\n"), "%s", calls());
	char *log = logged();
	cr_assert(strstr(log, FIX "seed3-sysvipc.ini:2: jailparam_set(JAIL_CREATE|JAIL_ATTACH): "
	                 "jail_set: Operation not permitted\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, jail_failure_reports_errno)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_ini(&spec, FIX "seed1-jail.ini");
	F.jail_errno = ENOENT;
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	char *log = logged();
	cr_assert(strstr(log, "jail: jail(\"/jails/001\"): No such file or directory\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, validate_rejects_address_prefix)
{
	struct jail_spec spec;
	struct loader L;
	struct config cfg;
	char *argv[] = { "stockade", "--jail2", "path=/j", "--jail2", "ip4.addr=10.0.0.1/24", NULL };
	loader_init(&L);
	cr_assert_eq(config_read_argv(&L, 5, argv), 0);
	cr_assert_eq(config_resolve(&L), 0);
	config_apply(&L, &cfg);
	cr_assert_eq(jail_spec_build(&cfg, &spec), 0);
	cr_assert_eq(B->validate(&spec), -1);
	char *log = logged();
	cr_assert(strstr(log, "an address prefix (/24) needs Linux vnet mode"), "%s", log);
	free(log);
	jail_spec_free(&spec);
	config_free(&cfg);
	loader_free(&L);
}

/* ---- jidfile ------------------------------------------------------------------- */

Test(jail_freebsd, jidfile_opened_on_host_before_jail_written_after)
{
	struct jail_spec spec;
	struct jail_result res;
	char jf[128];
	snprintf(jf, sizeof(jf), "%s/app.jid", tmpdir);
	F.jidfile = jf;
	spec_from_argv(&spec, "--ini", FIX "seed1-jail.ini", "--jidfile", jf, NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert(F.jidfile_there, "jidfile must be opened before jail(2) moves us into the jail");
	char *s = slurp(jf);
	cr_assert_str_eq(s, "42\n");
	free(s);
	char tmp[512];
	jidfile_temp(jf, tmp, sizeof(tmp));
	cr_assert_neq(access(tmp, F_OK), 0, "the temp file is renamed over the jidfile");
	jail_spec_free(&spec);
}

Test(jail_freebsd, jidfile_existing_is_truncated)
{
	struct jail_spec spec;
	struct jail_result res;
	char jf[128];
	snprintf(jf, sizeof(jf), "%s/app.jid", tmpdir);
	FILE *f = fopen(jf, "w");
	cr_assert(f);
	fputs("123456789\n", f);
	fclose(f);
	F.jidfile = jf;
	F.set_ret = 5;
	spec_from_argv(&spec, "--ini", FIX "seed2-jail2.ini", "--jidfile", jf, NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert(F.jidfile_there);
	char *s = slurp(jf);
	cr_assert_str_eq(s, "5\n");
	free(s);
	jail_spec_free(&spec);
}

Test(jail_freebsd, jidfile_removed_when_the_jail_fails)
{
	struct jail_spec spec;
	struct jail_result res;
	char jf[128];
	snprintf(jf, sizeof(jf), "%s/app.jid", tmpdir);
	F.jidfile = jf;
	F.set_errno = EPERM;
	spec_from_argv(&spec, "--ini", FIX "seed2-jail2.ini", "--jidfile", jf, NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert(F.jidfile_there);
	cr_assert_neq(access(jf, F_OK), 0, "a jidfile we created must not survive a failed jail");
	char tmp[512];
	jidfile_temp(jf, tmp, sizeof(tmp));
	cr_assert_neq(access(tmp, F_OK), 0, "nor its temp file");
	jail_spec_free(&spec);
}

Test(jail_freebsd, jidfile_existing_untouched_when_the_jail_fails)
{
	struct jail_spec spec;
	struct jail_result res;
	char jf[128];
	snprintf(jf, sizeof(jf), "%s/app.jid", tmpdir);
	FILE *f = fopen(jf, "w");
	cr_assert(f);
	fputs("77\n", f);
	fclose(f);
	F.jidfile = jf;
	F.set_errno = EPERM;
	spec_from_argv(&spec, "--ini", FIX "seed2-jail2.ini", "--jidfile", jf, NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	char *s = slurp(jf);
	cr_assert_str_eq(s, "77\n", "the old jidfile is neither truncated nor removed");
	free(s);
	jail_spec_free(&spec);
}

Test(jail_freebsd, jidfile_unopenable_stops_before_the_jail)
{
	struct jail_spec spec;
	struct jail_result res;
	char jf[128];
	snprintf(jf, sizeof(jf), "%s/missing-dir/app.jid", tmpdir);
	spec_from_argv(&spec, "--ini", FIX "seed1-jail.ini", "--jidfile", jf, NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert_str_eq(calls(), "");
	char *log = logged();
	cr_assert(strstr(log, "jidfile "), "%s", log);
	cr_assert(strstr(log, "No such file or directory"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

/* ---- jail-attach ---------------------------------------------------------------- */

Test(jail_freebsd, attach_by_name)
{
	struct jail_spec spec;
	struct jail_result res;
	char jf[128];
	snprintf(jf, sizeof(jf), "%s/app.jid", tmpdir);
	spec_from_argv(&spec, "--jail-attach", "web", "--jidfile", jf, NULL);
	cr_assert_eq(B->attach(&spec, &res), 0, "%s", logged());
	cr_assert_str_eq(calls(), "jail_getid web\njail_getname 7\njail_attach 7\n");
	cr_assert_eq(res.jid, 7);
	cr_assert_str_eq(res.name, "web");
	cr_assert_neq(access(jf, F_OK), 0, "no jidfile for jail-attach");
	jail_spec_free(&spec);
}

Test(jail_freebsd, attach_by_jid)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail-attach", "3", NULL);
	cr_assert_eq(B->attach(&spec, &res), 0, "%s", logged());
	cr_assert_str_eq(calls(), "jail_getid 3\njail_getname 3\njail_attach 3\n");
	cr_assert_eq(res.jid, 3);
	cr_assert_str_eq(res.name, "db");
	jail_spec_free(&spec);
}

Test(jail_freebsd, attach_unknown_name)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail-attach", "nosuch", NULL);
	cr_assert_eq(B->attach(&spec, &res), -1);
	cr_assert_str_eq(calls(), "jail_getid nosuch\n");
	char *log = logged();
	cr_assert(strstr(log, "jail-attach nosuch: jail \"nosuch\" not found\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, attach_failure_reports_errno)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail-attach", "99", NULL);
	F.attach_errno = EINVAL;
	cr_assert_eq(B->attach(&spec, &res), -1);
	char *log = logged();
	cr_assert(strstr(log, "jail-attach 99: jail_attach(99): Invalid argument\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

/* ---- descriptors from the host -------------------------------------------------- */

Test(jail_freebsd, create_and_attach_close_all_but_the_kept_descriptors)
{
	static const int keep[] = { 5, 9 };
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail", "/jails/001 foobar", NULL);
	spec.keep_fds = keep;
	spec.nkeep_fds = 2;
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	cr_assert_eq(F.close_fds_calls, 1);
	cr_assert_eq(F.nkept, 2);
	cr_assert(F.kept[0] == 5 && F.kept[1] == 9);
	jail_spec_free(&spec);

	spec_from_argv(&spec, "--jail-attach", "web", NULL);
	spec.keep_fds = keep;
	spec.nkeep_fds = 1;
	cr_assert_eq(B->attach(&spec, &res), 0, "%s", logged());
	cr_assert_eq(F.close_fds_calls, 2);
	cr_assert(F.nkept == 1 && F.kept[0] == 5);
	jail_spec_free(&spec);
}

Test(jail_freebsd, no_descriptor_closed_when_the_jail_fails)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail-attach", "99", NULL);
	F.attach_errno = EINVAL;
	cr_assert_eq(B->attach(&spec, &res), -1);
	cr_assert_eq(F.close_fds_calls, 0, "the caller is still on the host");
	jail_spec_free(&spec);
}

/* ---- --jls / --jail-remove ----------------------------------------------------- */

Test(jail_freebsd, list_iterates_lastjid)
{
	char path[] = "/tmp/stockade-fbsd-out-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	unlink(path);
	cr_assert_eq(B->list(fd, 0), 0, "%s", logged());
	lseek(fd, 0, SEEK_SET);
	char out[1024];
	ssize_t n = read(fd, out, sizeof(out) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	/* jls(8)'s default layout: one address, the first */
	cr_assert_str_eq(out,
	    "   JID  IP Address      Hostname                      Path\n"
	    "     3  192.168.0.3     db.example                    /jails/db\n"
	    "     7  192.168.0.40    foobar                        /jails/001\n");
	const char *c = calls();
	cr_assert(strstr(c, "jailparam_import_raw lastjid=0\njailparam_get 8 0x0 lastjid=0\n"), "%s", c);
	cr_assert(strstr(c, "jailparam_import_raw lastjid=3\njailparam_get 8 0x0 lastjid=3\n"), "%s", c);
	cr_assert(strstr(c, "jailparam_import_raw lastjid=7\njailparam_get 8 0x0 lastjid=7\njailparam_free 8\n"), "%s", c);
}

static char *list_output(unsigned flags)
{
	char path[] = "/tmp/stockade-fbsd-out-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	unlink(path);
	cr_assert_eq(B->list(fd, flags), 0, "%s", logged());
	lseek(fd, 0, SEEK_SET);
	static char out[4096];
	ssize_t n = read(fd, out, sizeof(out) - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

Test(jail_freebsd, list_verbose)
{
	cr_assert_str_eq(list_output(JLS_VERBOSE),
	    "   JID  Hostname                      Path\n"
	    "        Name                          State\n"
	    "        CPUSetID\n"
	    "        IP Address(es)\n"
	    "     3  db.example                    /jails/db\n"
	    "        db                            ACTIVE\n"
	    "        2\n"
	    "        192.168.0.3\n"
	    "     7  foobar                        /jails/001\n"
	    "        web                           DYING\n"
	    "        5\n"
	    "        192.168.0.40\n"
	    "        192.168.0.41\n");
}

Test(jail_freebsd, list_json)
{
	json_error_t err;
	json_t *a = json_loads(list_output(JLS_JSON), 0, &err);
	cr_assert_not_null(a, "%s", err.text);
	cr_assert_eq(json_array_size(a), 2);
	json_t *web = json_array_get(a, 1);
	cr_assert_eq(json_integer_value(json_object_get(web, "jid")), 7);
	cr_assert_str_eq(json_string_value(json_object_get(web, "name")), "web");
	cr_assert_str_eq(json_string_value(json_object_get(web, "state")), "DYING");
	cr_assert_eq(json_integer_value(json_object_get(web, "cpusetid")), 5);
	cr_assert(json_is_null(json_object_get(web, "pid")));
	json_t *ip4 = json_object_get(web, "ip4");
	cr_assert_eq(json_array_size(ip4), 2);
	cr_assert_str_eq(json_string_value(json_array_get(ip4, 1)), "192.168.0.41");
	json_t *params = json_object_get(web, "params");
	cr_assert_str_eq(json_string_value(json_object_get(params, "ip4.addr")), "192.168.0.40,192.168.0.41");
	cr_assert_str_eq(json_string_value(json_object_get(params, "dying")), "true");
	json_decref(a);
}

Test(jail_freebsd, list_without_inet_params)
{
	F.init_fail = "ip4.addr";
	F.njails = 1;
	char path[] = "/tmp/stockade-fbsd-out-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	unlink(path);
	cr_assert_eq(B->list(fd, 0), 0, "%s", logged());
	lseek(fd, 0, SEEK_SET);
	char out[1024];
	ssize_t n = read(fd, out, sizeof(out) - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	cr_assert(strstr(out, "     3  -               db.example                    /jails/db\n"), "%s", out);
	cr_assert(strstr(calls(), "jailparam_free 7\n"), "%s", calls());
}

Test(jail_freebsd, remove_by_name_and_jid)
{
	cr_assert_eq(B->remove("web"), 0);
	cr_assert_eq(B->remove("3"), 0);
	/* the jail's rctl rules go with it */
	cr_assert_str_eq(calls(), "jail_getid web\njail_getname 7\njail_remove 7\nrctl_remove_rule jail:web\n"
	    "jail_getid 3\njail_getname 3\njail_remove 3\nrctl_remove_rule jail:db\n");
	F.remove_errno = EPERM;
	cr_assert_eq(B->remove("web"), -1);
	cr_assert_eq(B->remove("nosuch"), -1);
	char *log = logged();
	cr_assert(strstr(log, "jail-remove web: jail_remove(7): Operation not permitted\n"), "%s", log);
	cr_assert(strstr(log, "jail-remove nosuch: jail \"nosuch\" not found\n"), "%s", log);
	free(log);
}

/* ---- jail-rctl (issue 23) --------------------------------------------------------- */

Test(jail_freebsd, rctl_rules_added_by_name_before_the_jail)
{
	struct jail_spec spec;
	struct jail_result res;
	spec_from_argv(&spec, "--jail", "/jails/001 web.example web", "--jail-rctl", "memoryuse:deny=512M",
	    "--jail-rctl", "maxproc:sigterm=100", "--jail-rctl", "pcpu:deny=50/jail", NULL);
	cr_assert_eq(spec.nrctl, 3);
	cr_assert_eq(B->create_and_enter(&spec, &res), 0, "%s", logged());
	/* the old rules of that name first, then the config's, then jail(2) */
	cr_assert_str_eq(calls(),
	    "rctl_remove_rule jail:web\n"
	    "rctl_add_rule jail:web:memoryuse:deny=536870912\n"
	    "rctl_add_rule jail:web:maxproc:sigterm=100\n"
	    "rctl_add_rule jail:web:pcpu:deny=50\n"
	    "jail\n");
	jail_spec_free(&spec);
}

Test(jail_freebsd, rctl_racct_off_is_a_clear_error_and_no_jail)
{
	struct jail_spec spec;
	struct jail_result res;
	F.rctl_add_errno = ENOSYS;
	spec_from_argv(&spec, "--jail2", "path=/jails/001", "--jail2", "name=web",
	    "--jail-rctl", "memoryuse:deny=1G", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert_not(F.jail_called);
	cr_assert_eq(F.set_n, 0, "no jail made");
	char *log = logged();
	cr_assert(strstr(log, "command line: jail-rctl: the kernel's resource accounting is off (RACCT): "
	    "set kern.racct.enable=1 in /boot/loader.conf and reboot\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, rctl_refused_rule_undoes_the_others)
{
	struct jail_spec spec;
	struct jail_result res;
	F.rctl_add_errno = EINVAL;
	F.rctl_add_fail = "jail:web:nthr:deny=5";
	spec_from_argv(&spec, "--jail", "/jails/001 web.example web", "--jail-rctl", "maxproc:deny=10",
	    "--jail-rctl", "nthr:deny=5", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert_str_eq(calls(),
	    "rctl_remove_rule jail:web\n"
	    "rctl_add_rule jail:web:maxproc:deny=10\n"
	    "rctl_add_rule jail:web:nthr:deny=5\n"
	    "rctl_remove_rule jail:web\n");
	char *log = logged();
	cr_assert(strstr(log, "jail-rctl: rctl_add_rule(\"jail:web:nthr:deny=5\"): Invalid argument\n"), "%s", log);
	free(log);
	jail_spec_free(&spec);
}

Test(jail_freebsd, rctl_rules_removed_when_the_jail_fails)
{
	struct jail_spec spec;
	struct jail_result res;
	F.jail_errno = EPERM;
	spec_from_argv(&spec, "--jail", "/jails/001 web.example web", "--jail-rctl", "openfiles:deny=1k", NULL);
	cr_assert_eq(B->create_and_enter(&spec, &res), -1);
	cr_assert_str_eq(calls(),
	    "rctl_remove_rule jail:web\n"
	    "rctl_add_rule jail:web:openfiles:deny=1024\n"
	    "jail\n"
	    "rctl_remove_rule jail:web\n");
	jail_spec_free(&spec);
}

Test(jail_freebsd, rctl_needs_a_jail_name)
{
	struct jail_spec spec;
	struct loader L;
	struct config cfg;
	char *argv[] = { "stockade", "--jail", "/jails/001", "--jail-rctl", "memoryuse:deny=1G", NULL };
	loader_init(&L);
	cr_assert_eq(config_read_argv(&L, 5, argv), 0);
	cr_assert_eq(config_resolve(&L), 0);
	config_apply(&L, &cfg);
	cr_assert_eq(jail_spec_build(&cfg, &spec), 0);
	cr_assert_eq(B->validate(&spec), -1);
	char *log = logged();
	cr_assert(strstr(log, "jail-rctl: FreeBSD rctl rules name their jail"), "%s", log);
	free(log);
	jail_spec_free(&spec);
	config_free(&cfg);
	loader_free(&L);
}

Test(jail_freebsd, rctl_actions_linux_refuses_are_fine_here)
{
	struct jail_spec spec;
	spec_from_argv(&spec, "--jail", "/jails/001 h w", "--jail-rctl", "readbps:throttle=1M",
	    "--jail-rctl", "wallclock:log=3600", "--jail-rctl", "cputime:devctl=60", NULL);
	cr_assert_eq(spec.nrctl, 3);
	jail_spec_free(&spec);
}

Test(jail_freebsd, rctl_list_verbose_shows_rules_and_use)
{
	F.rctl_rules = "jail:web:memoryuse:deny=536870912,jail:web:maxproc:sigterm=2048/jail,"
	               "jail:web:pcpu:deny=50";
	F.rctl_racct = "cputime=3,datasize=0,memoryuse=10485760,memorylocked=0,maxproc=4,pcpu=2";
	F.rctl_min_out = 8192;          /* the first 4 KiB buffer is too small: retried */
	const char *out = list_output(JLS_VERBOSE);
	cr_assert(strstr(out, "        192.168.0.41\n"
	    "        rctl memoryuse:deny=512M use=10.0M\n"
	    "        rctl maxproc:sigterm=2048 use=4\n"
	    "        rctl pcpu:deny=50 use=2\n"), "%s", out);
	cr_assert(strstr(out, "        192.168.0.3\n     7"), "db has no rules: %s", out);
}

Test(jail_freebsd, rctl_list_without_racct_is_unchanged)
{
	const char *out = list_output(JLS_VERBOSE);
	cr_assert_null(strstr(out, "rctl"), "%s", out);
	cr_assert_gt(F.rctl_queries, 0);
}

Test(jail_freebsd, rctl_stats_of_the_jailed_master)
{
	struct jail_spec spec;
	spec_from_argv(&spec, "--jail", "/jails/001 h web", "--jail-rctl", "memoryuse:deny=1G",
	    "--jail-rctl", "nthr:log=50", NULL);
	char *st = B->rctl_status(&spec);
	cr_assert_str_eq(st, "memoryuse:deny\t1073741824\t-\nnthr:log\t50\t-\n");
	free(st);
	jail_spec_free(&spec);
}
