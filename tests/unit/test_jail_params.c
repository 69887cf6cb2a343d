/* SPDX-License-Identifier: MIT */
/* Jail parameters: jail/jail-ip4/jail-ip6/jail2/jail-attach -> struct jail_spec. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "jail/params.h"

#define FIX "tests/unit/fixtures/config/"

/* ---- helpers ------------------------------------------------------------- */

struct run {
	int rc;
	bool wanted;
	char *err;      /* everything logged */
	char *path;     /* the ini file (NULL for fixtures) */
	struct jail_spec spec;
};

static char *slurp_fd(int fd)
{
	lseek(fd, 0, SEEK_SET);
	struct strbuf sb;
	sb_init(&sb);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	close(fd);
	return sb_detach(&sb);
}

/* The whole config path: argv -> resolve -> apply -> jail_spec_build. */
static struct run run_argv(int argc, char **argv)
{
	struct run r;
	struct loader L;
	struct config cfg;
	char tmpl[] = "/tmp/stockade-jp-log-XXXXXX";
	int fd = mkstemp(tmpl);

	memset(&r, 0, sizeof(r));
	cr_assert(fd >= 0);
	unlink(tmpl);
	log_set_file(fd);
	loader_init(&L);
	r.rc = config_read_argv(&L, argc, argv);
	if (r.rc == 0)
		r.rc = config_resolve(&L);
	cr_assert_eq(r.rc, 0, "the config itself must load");
	config_apply(&L, &cfg);
	r.wanted = jail_spec_wanted(&cfg);
	r.rc = jail_spec_build(&cfg, &r.spec);
	config_free(&cfg);
	loader_free(&L);
	log_set_file(2);
	r.err = slurp_fd(fd);
	return r;
}

static struct run run_file(const char *path)
{
	char *argv[] = { "stockade", "--ini", (char *)path, NULL };
	return run_argv(3, argv);
}

static struct run run_ini(const char *text)
{
	char dir[] = "/tmp/stockade-jp-XXXXXX";
	cr_assert(mkdtemp(dir));
	char *path = xasprintf("%s/t.ini", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("[uwsgi]\n", f);      /* so the text's first line is line 2 */
	fputs(text, f);
	fclose(f);
	struct run r = run_file(path);
	r.path = path;
	return r;
}

static void done(struct run *r)
{
	jail_spec_free(&r->spec);
	free(r->err);
	free(r->path);
}

static void expect_ok(struct run *r)
{
	cr_assert_eq(r->rc, 0, "build failed: %s", r->err);
	cr_assert_str_empty(r->err);
}

/* The error line, with the file's name substituted for "F". */
static void expect_err(struct run *r, const char *expected)
{
	cr_assert_eq(r->rc, -1, "expected an error: %s", expected);
	struct strbuf sb;
	sb_init(&sb);
	for (const char *p = expected; *p; p++) {
		if (*p == 'F' && p[1] == ':' && r->path)
			sb_adds(&sb, r->path);
		else
			sb_addc(&sb, *p);
	}
	sb_addc(&sb, '\n');
	char *want = sb_detach(&sb);
	cr_assert_str_eq(r->err, want);
	free(want);
	/* a failed build leaves an empty spec */
	cr_assert_eq(r->spec.nparams, 0);
	cr_assert_null(r->spec.path);
	cr_assert_eq(r->spec.create, false);
}

#define ERR(text, expected) do { \
	struct run r_ = run_ini(text); \
	expect_err(&r_, expected); \
	done(&r_); \
} while (0)

static const char *addr_str(const struct jail_addr *a, char *buf)
{
	return inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->u.v4 :
	                 (const void *)&a->u.v6, buf, INET6_ADDRSTRLEN);
}

static void expect_param(const struct jail_spec *s, size_t i, const char *key,
                         const char *value, int line)
{
	cr_assert_lt(i, s->nparams);
	cr_assert_str_eq(s->params[i].key, key);
	cr_assert_str_eq(s->params[i].value, value);
	if (line > 0)
		cr_assert_eq(s->params[i].origin.line, line, "%s: line %d", key, s->params[i].origin.line);
}

static void expect_defaults(const struct jail_spec *s)
{
	cr_assert_eq(s->jid, -1);
	cr_assert_eq(s->enforce_statfs, 2);
	cr_assert_eq(s->devfs_ruleset, 4);
	cr_assert_eq(s->securelevel, -1);
	cr_assert_eq(s->children_max, 0);
	cr_assert(s->ip4_saddrsel && s->ip6_saddrsel);
	cr_assert(!s->persist && !s->vnet && !s->host_inherit);
	cr_assert(s->allow_set_hostname && s->allow_reserved_ports && s->allow_suser);
	cr_assert(!s->allow_mount && !s->allow_raw_sockets && !s->allow_chflags);
	cr_assert(!s->allow_socket_af && !s->allow_mlock && !s->allow_settime);
	cr_assert(!s->allow_unprivileged_proc_debug && !s->allow_routing);
	cr_assert_null(s->attach);
}

/* ---- the seed page's configurations ---------------------------------------- */

Test(seed, jail_old_api)
{
	struct run r = run_file(FIX "seed1-jail.ini");
	char b[INET6_ADDRSTRLEN];
	expect_ok(&r);
	cr_assert(r.wanted);
	cr_assert(r.spec.create && r.spec.old_api);
	cr_assert_str_eq(r.spec.path, "/jails/001");
	cr_assert_str_eq(r.spec.hostname, "foobar");
	cr_assert_null(r.spec.name);
	cr_assert_eq(r.spec.nip4, 1);
	cr_assert_str_eq(addr_str(&r.spec.ip4[0], b), "192.168.0.40");
	cr_assert_eq(r.spec.ip4[0].prefix, -1);
	cr_assert_str_eq(r.spec.ip4[0].origin.file, FIX "seed1-jail.ini");
	cr_assert_eq(r.spec.ip4[0].origin.line, 6);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_NEW, "IPv4 addresses only: no IPv6, as FreeBSD's jail(2)");
	cr_assert_eq(r.spec.nip6, 0);
	cr_assert_eq(r.spec.nparams, 0);
	cr_assert_eq(r.spec.sysvmsg, JAIL_MODE_NEW);
	expect_defaults(&r.spec);
	done(&r);
}

Test(seed, jail2_params)
{
	struct run r = run_file(FIX "seed2-jail2.ini");
	char b[INET6_ADDRSTRLEN];
	expect_ok(&r);
	cr_assert(r.spec.create && !r.spec.old_api);
	cr_assert_str_eq(r.spec.path, "/jails/001");
	cr_assert_str_eq(r.spec.hostname, "foobar");
	cr_assert_eq(r.spec.nip4, 1);
	cr_assert_str_eq(addr_str(&r.spec.ip4[0], b), "192.168.0.40");
	cr_assert_eq(r.spec.ip4[0].origin.line, 6);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.nparams, 3);
	expect_param(&r.spec, 0, "path", "/jails/001", 3);
	expect_param(&r.spec, 1, "host.hostname", "foobar", 4);
	expect_param(&r.spec, 2, "ip4.addr", "192.168.0.40", 6);
	cr_assert_str_eq(r.spec.origin.file, FIX "seed2-jail2.ini");
	cr_assert_eq(r.spec.origin.line, 3);
	expect_defaults(&r.spec);
	done(&r);
}

Test(seed, sysvipc_libjail_alias)
{
	struct run r = run_file(FIX "seed3-sysvipc.ini");
	expect_ok(&r);
	cr_assert_str_eq(r.spec.path, "/jails/001");
	cr_assert(r.spec.allow_sysvipc);
	cr_assert_eq(r.spec.sysvmsg, JAIL_MODE_INHERIT);
	cr_assert_eq(r.spec.sysvsem, JAIL_MODE_INHERIT);
	cr_assert_eq(r.spec.sysvshm, JAIL_MODE_INHERIT);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_INHERIT);
	cr_assert_null(r.spec.hostname);
	expect_param(&r.spec, 1, "allow.sysvipc", "1", 3);
	done(&r);
}

Test(seed, devfs_prejail)
{
	char root[] = "/tmp/stockade-jail-XXXXXX";
	cr_assert(mkdtemp(root));
	setenv("JAIL_ROOT", root, 1);
	struct run r = run_file(FIX "seed4-devfs-prejail.ini");
	expect_ok(&r);
	cr_assert_str_eq(r.spec.path, root);
	cr_assert_str_eq(r.spec.hostname, "foobar");
	cr_assert_eq(r.spec.nip4, 1);
	cr_assert_eq(r.spec.devfs_ruleset, 4);
	cr_assert(!r.spec.allow_mount);
	expect_param(&r.spec, 0, "path", root, 6);
	done(&r);
	rmdir(root);
}

Test(seed, devfs_postjail)
{
	struct run r = run_file(FIX "seed5-devfs-postjail.ini");
	expect_ok(&r);
	cr_assert_eq(r.spec.enforce_statfs, 1);
	cr_assert(r.spec.allow_mount);
	cr_assert_eq(r.spec.nparams, 6);
	expect_param(&r.spec, 3, "enforce_statfs", "1", 7);
	expect_param(&r.spec, 4, "allow.mount", "1", 8);
	expect_param(&r.spec, 5, "allow.mount.devfs", "1", 9);
	cr_assert_eq(jail_spec_param(&r.spec, "allow.mount.devfs"), &r.spec.params[5]);
	cr_assert_null(jail_spec_param(&r.spec, "persist"));
	done(&r);
}

/* ---- wanted / nothing ---------------------------------------------------------- */

Test(wanted, nothing_jail_related)
{
	struct run r = run_ini("master = true\njidfile = /x\n");
	expect_ok(&r);
	cr_assert(!r.wanted);
	cr_assert(!r.spec.create);
	cr_assert_null(r.spec.jidfile);
	done(&r);
}

Test(wanted, jailed_alone)
{
	struct run r = run_ini("jailed = true\njidfile = /run/j.jid\n");
	expect_ok(&r);
	cr_assert(r.wanted);
	cr_assert(!r.spec.create);
	cr_assert_null(r.spec.path);
	cr_assert_str_eq(r.spec.jidfile, "/run/j.jid");
	done(&r);
}

Test(wanted, each_option)
{
	const char *texts[] = { "jail = /j\n", "jail2 = path=/j\n", "jail-attach = web\n",
	                        "jail-ip4 = 10.0.0.1\n", "jail-ip6 = ::1\n", "jailed\n" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct run r = run_ini(texts[i]);
		cr_assert(r.wanted, "%s", texts[i]);
		done(&r);
	}
}

/* ---- jail = <rootfs> [hostname] [jailname] ---------------------------------- */

Test(jail, rootfs_hostname_name)
{
	struct run r = run_ini("jail = /jails/web www.example.org web-1\njidfile = /var/run/web.jid\n");
	expect_ok(&r);
	cr_assert(r.spec.old_api && r.spec.create);
	cr_assert_str_eq(r.spec.path, "/jails/web");
	cr_assert_str_eq(r.spec.hostname, "www.example.org");
	cr_assert_str_eq(r.spec.name, "web-1");
	cr_assert_str_eq(r.spec.jidfile, "/var/run/web.jid");
	cr_assert_null(r.spec.origin.file);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_INHERIT);
	done(&r);
}

Test(jail, rootfs_only)
{
	struct run r = run_ini("jail = /jails/web\n");
	expect_ok(&r);
	cr_assert_str_eq(r.spec.path, "/jails/web");
	cr_assert_null(r.spec.hostname);
	cr_assert_null(r.spec.name);
	done(&r);
}

Test(jail, empty_hostname_between_spaces)
{
	/* uWSGI splits at single spaces: the hostname is empty, the name is set */
	struct run r = run_ini("jail = /jails/web  web\n");
	expect_ok(&r);
	cr_assert_null(r.spec.hostname);
	cr_assert_str_eq(r.spec.name, "web");
	done(&r);
}

Test(jail, errors)
{
	ERR("jail = jails/001 foobar\n", "F:2: jail: rootfs 'jails/001' is not an absolute path");
	ERR("jail = /j foo_bar\n", "F:2: jail: 'foo_bar' is not a valid hostname (RFC 1123: "
	    "dot-separated labels of letters, digits and '-', at most 255 characters)");
	ERR("jail = /j -foo\n", "F:2: jail: '-foo' is not a valid hostname (RFC 1123: "
	    "dot-separated labels of letters, digits and '-', at most 255 characters)");
	ERR("jail = /j a..b\n", "F:2: jail: 'a..b' is not a valid hostname (RFC 1123: "
	    "dot-separated labels of letters, digits and '-', at most 255 characters)");
	ERR("jail = /j h a.b\n", "F:2: jail: 'a.b' is not a valid jail name "
	    "(1-63 letters, digits, '_' or '-', not all digits)");
	ERR("jail = /j h 42\n", "F:2: jail: '42' is not a valid jail name "
	    "(1-63 letters, digits, '_' or '-', not all digits)");
	ERR("jail = /j h web two\n", "F:2: jail: 'web two' is not a valid jail name "
	    "(1-63 letters, digits, '_' or '-', not all digits)");
}

Test(jail, name_and_hostname_limits)
{
	char name63[64], name64[65], label64[65];
	memset(name63, 'a', 63); name63[63] = '\0';
	memset(name64, 'a', 64); name64[64] = '\0';
	memset(label64, 'b', 64); label64[64] = '\0';

	char *t = xasprintf("jail = /j h %s\n", name63);
	struct run r = run_ini(t);
	expect_ok(&r);
	cr_assert_str_eq(r.spec.name, name63);
	done(&r);
	free(t);

	t = xasprintf("jail = /j h %s\n", name64);
	r = run_ini(t);
	cr_assert_eq(r.rc, -1);
	cr_assert(strstr(r.err, "is not a valid jail name"));
	done(&r);
	free(t);

	t = xasprintf("jail = /j %s.example\n", label64);
	r = run_ini(t);
	cr_assert_eq(r.rc, -1);
	cr_assert(strstr(r.err, "is not a valid hostname"));
	done(&r);
	free(t);
}

/* ---- jail-ip4 / jail-ip6 ------------------------------------------------------ */

Test(addr, with_and_without_prefix)
{
	struct run r = run_ini("jail = /j\njail-ip4 = 10.0.0.2\njail-ip4 = 10.0.0.3/24\n"
	                       "jail-ip6 = fd00::2\njail-ip6 = fd00::3/64\njail-ip4 = 10.1.0.1/0\n"
	                       "jail-ip6 = ::1/128\n");
	char b[INET6_ADDRSTRLEN];
	expect_ok(&r);
	cr_assert_eq(r.spec.nip4, 3);
	cr_assert_eq(r.spec.nip6, 3);
	cr_assert_str_eq(addr_str(&r.spec.ip4[0], b), "10.0.0.2");
	cr_assert_eq(r.spec.ip4[0].prefix, -1);
	cr_assert_eq(r.spec.ip4[0].family, AF_INET);
	cr_assert_str_eq(addr_str(&r.spec.ip4[1], b), "10.0.0.3");
	cr_assert_eq(r.spec.ip4[1].prefix, 24);
	cr_assert_eq(r.spec.ip4[1].origin.line, 4);
	cr_assert_eq(r.spec.ip4[2].prefix, 0);
	cr_assert_str_eq(addr_str(&r.spec.ip6[0], b), "fd00::2");
	cr_assert_eq(r.spec.ip6[0].prefix, -1);
	cr_assert_eq(r.spec.ip6[0].family, AF_INET6);
	cr_assert_eq(r.spec.ip6[1].prefix, 64);
	cr_assert_eq(r.spec.ip6[2].prefix, 128);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_NEW);
	done(&r);
}

Test(addr, errors)
{
	ERR("jail = /j\njail-ip4 = 300.1.1.1\n", "F:3: jail-ip4: '300.1.1.1' is not an IPv4 address");
	ERR("jail = /j\njail-ip4 = fd00::1\n", "F:3: jail-ip4: 'fd00::1' is not an IPv4 address");
	ERR("jail = /j\njail-ip4 = localhost\n", "F:3: jail-ip4: 'localhost' is not an IPv4 address");
	ERR("jail = /j\njail-ip6 = 10.0.0.1\n", "F:3: jail-ip6: '10.0.0.1' is not an IPv6 address");
	ERR("jail = /j\njail-ip4 = 10.0.0.1/33\n",
	    "F:3: jail-ip4: '10.0.0.1/33' is not an IPv4 address (prefix length 0-32)");
	ERR("jail = /j\njail-ip4 = 10.0.0.1/\n",
	    "F:3: jail-ip4: '10.0.0.1/' is not an IPv4 address (prefix length 0-32)");
	ERR("jail = /j\njail-ip4 = 10.0.0.1/-1\n",
	    "F:3: jail-ip4: '10.0.0.1/-1' is not an IPv4 address (prefix length 0-32)");
	ERR("jail = /j\njail-ip6 = fd00::1/129\n",
	    "F:3: jail-ip6: 'fd00::1/129' is not an IPv6 address (prefix length 0-128)");
	ERR("jail = /j\njail-ip4 = /24\n", "F:3: jail-ip4: '/24' is not an IPv4 address");
	ERR("jail = /j\njail-ip4 = 0.0.0.0\n",
	    "F:3: jail-ip4: '0.0.0.0' is a wildcard or broadcast address, not a jail address");
	ERR("jail = /j\njail-ip4 = 255.255.255.255/32\n",
	    "F:3: jail-ip4: '255.255.255.255/32' is a wildcard or broadcast address, not a jail address");
	ERR("jail2 = path=/j\njail2 = ip6.addr=fd00::1,::\n",
	    "F:3: jail2: ip6.addr: '::' is a wildcard or broadcast address, not a jail address");
	ERR("jail = /j\njail-ip4 = 10.0.0.1\njail-ip4 = 10.0.0.1/8\n",
	    "F:4: jail-ip4: '10.0.0.1/8' is given twice (also at F:3)");
}

Test(addr, needs_jail)
{
	ERR("master = true\njail-ip4 = 10.0.0.1\n", "F:3: jail-ip4 needs jail or jail2");
	ERR("jail-ip6 = ::1\n", "F:2: jail-ip6 needs jail or jail2");
}

Test(addr, ip4_addr_lists_merge)
{
	struct run r = run_ini("jail-ip4 = 10.0.0.1\njail2 = path=/j\n"
	                       "jail2 = ip4.addr=10.0.0.2,10.0.0.3/24\njail2 = ip4.addr=10.0.0.4\n"
	                       "jail2 = ip6.addr=fd00::1,fd00::2\n");
	char b[INET6_ADDRSTRLEN];
	expect_ok(&r);
	cr_assert_eq(r.spec.nip4, 4);
	/* jail-ip4 first, then the ip4.addr entries in order */
	cr_assert_str_eq(addr_str(&r.spec.ip4[0], b), "10.0.0.1");
	cr_assert_eq(r.spec.ip4[0].origin.line, 2);
	cr_assert_str_eq(addr_str(&r.spec.ip4[1], b), "10.0.0.2");
	cr_assert_eq(r.spec.ip4[1].origin.line, 4);
	cr_assert_str_eq(addr_str(&r.spec.ip4[2], b), "10.0.0.3");
	cr_assert_eq(r.spec.ip4[2].prefix, 24);
	cr_assert_str_eq(addr_str(&r.spec.ip4[3], b), "10.0.0.4");
	cr_assert_eq(r.spec.ip4[3].origin.line, 5);
	cr_assert_eq(r.spec.nip6, 2);
	cr_assert_str_eq(addr_str(&r.spec.ip6[1], b), "fd00::2");
	expect_param(&r.spec, 1, "ip4.addr", "10.0.0.2,10.0.0.3/24", 4);
	done(&r);
}

Test(addr, ip4_addr_list_errors)
{
	ERR("jail2 = path=/j\njail2 = ip4.addr=10.0.0.1,,10.0.0.2\n",
	    "F:3: jail2: ip4.addr: empty address in '10.0.0.1,,10.0.0.2'");
	ERR("jail2 = path=/j\njail2 = ip4.addr=10.0.0.1,\n",
	    "F:3: jail2: ip4.addr: empty address in '10.0.0.1,'");
	ERR("jail2 = path=/j\njail2 = ip4.addr=\n", "F:3: jail2: ip4.addr: empty address in ''");
	ERR("jail2 = path=/j\njail2 = ip4.addr=10.0.0.1, 10.0.0.2\n",
	    "F:3: jail2: ip4.addr: ' 10.0.0.2' is not an IPv4 address");
	ERR("jail2 = path=/j\njail2 = ip4.addr=em0|10.0.0.1\n",
	    "F:3: jail2: ip4.addr: 'em0|10.0.0.1' is not an IPv4 address (the interface|address "
	    "form belongs to jail(8), not to the kernel)");
	ERR("jail2 = path=/j\njail2 = ip6.addr=fd00::1,10.0.0.1\n",
	    "F:3: jail2: ip6.addr: '10.0.0.1' is not an IPv6 address");
	ERR("jail-ip4 = 10.0.0.1\njail2 = path=/j\njail2 = ip4.addr=10.0.0.2,10.0.0.1\n",
	    "F:4: jail2: ip4.addr: '10.0.0.1' is given twice (also at F:2)");
	/* no value: "1", which is not an address */
	ERR("jail2 = path=/j\njail2 = ip4.addr\n", "F:3: jail2: ip4.addr: '1' is not an IPv4 address");
}

Test(addr, too_many)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, "jail = /j\n");
	for (int i = 0; i < 256; i++)
		sb_addf(&sb, "jail-ip4 = 10.0.%d.%d\n", i / 200, i % 200 + 1);
	char *t = sb_detach(&sb);
	struct run r = run_ini(t);
	expect_err(&r, "F:258: jail-ip4: more than 255 IPv4 addresses");
	done(&r);
	free(t);
}

Test(addr, modes)
{
	struct run r = run_ini("jail2 = path=/j\njail2 = ip4=disable\njail2 = ip6=new\n");
	expect_ok(&r);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_DISABLE);
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.nip6, 0);
	expect_param(&r.spec, 1, "ip4", "disable", 3);
	done(&r);

	r = run_ini("jail2 = path=/j\njail2 = ip4=new\njail2 = ip4.addr=10.0.0.1\njail2 = ip6=2\n");
	expect_ok(&r);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_INHERIT);
	expect_param(&r.spec, 3, "ip6", "inherit", 5);
	done(&r);

	/* one family confined, the other not mentioned: restricted without
	 * addresses (no access); said explicitly (above), it stays as said */
	r = run_ini("jail2 = path=/j\njail2 = ip4.addr=10.0.0.1\n");
	expect_ok(&r);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.nip6, 0);
	done(&r);
	r = run_ini("jail = /j\njail-ip6 = fd00::2\n");
	expect_ok(&r);
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.nip4, 0);
	done(&r);
	r = run_ini("jail2 = path=/j\n");
	expect_ok(&r);
	cr_assert_eq(r.spec.ip4_mode, JAIL_MODE_INHERIT, "no addresses at all: the host's network");
	cr_assert_eq(r.spec.ip6_mode, JAIL_MODE_INHERIT);
	done(&r);

	ERR("jail = /j\njail-ip4 = 10.0.0.1\njail2 = ip4=disable\n",
	    "F:4: jail2: ip4=disable conflicts with the IPv4 addresses given at F:3");
	ERR("jail2 = path=/j\njail2 = ip6=inherit\njail2 = ip6.addr=::1\n",
	    "F:3: jail2: ip6=inherit conflicts with the IPv6 addresses given at F:4");
}

/* ---- jail2 ------------------------------------------------------------------------ */

Test(jail2, key_without_value_is_1)
{
	struct run r = run_ini("jail2 = path=/j\njail2 = persist\njail2 = allow.raw_sockets\n"
	                       "jail2 = allow.mount.tmpfs\njail2 = vnet\n");
	expect_ok(&r);
	cr_assert(r.spec.persist);
	cr_assert(r.spec.allow_raw_sockets);
	cr_assert(r.spec.allow_mount);
	cr_assert(r.spec.vnet);
	expect_param(&r.spec, 1, "persist", "1", 3);
	expect_param(&r.spec, 2, "allow.raw_sockets", "1", 4);
	expect_param(&r.spec, 4, "vnet", "new", 6);
	done(&r);
}

Test(jail2, no_prefix)
{
	struct run r = run_ini("jail2 = path=/j\njail2 = persist\njail2 = nopersist\n"
	                       "jail2 = allow.noset_hostname\njail2 = noallow.reserved_ports\n"
	                       "jail2 = ip4.nosaddrsel\njail2 = allow.mount\njail2 = allow.nomount\n"
	                       "jail2 = allow.suser=true\njail2 = allow.nosuser=false\n"
	                       "jail2 = vnet\njail2 = novnet\n");
	expect_ok(&r);
	cr_assert(!r.spec.persist);
	cr_assert(!r.spec.allow_set_hostname);
	cr_assert(!r.spec.allow_reserved_ports);
	cr_assert(!r.spec.ip4_saddrsel);
	cr_assert(r.spec.ip6_saddrsel);
	cr_assert(!r.spec.allow_mount);
	cr_assert(r.spec.allow_suser);
	cr_assert(!r.spec.vnet);
	cr_assert_eq(r.spec.nparams, 12);
	expect_param(&r.spec, 2, "persist", "0", 4);
	expect_param(&r.spec, 3, "allow.set_hostname", "0", 5);
	expect_param(&r.spec, 4, "allow.reserved_ports", "0", 6);
	expect_param(&r.spec, 5, "ip4.saddrsel", "0", 7);
	expect_param(&r.spec, 7, "allow.mount", "0", 9);
	expect_param(&r.spec, 9, "allow.suser", "1", 11);
	expect_param(&r.spec, 11, "vnet", "inherit", 13);
	cr_assert_eq(jail_spec_param(&r.spec, "persist"), &r.spec.params[2]);
	done(&r);

	ERR("jail2 = path=/j\njail2 = nopath\n", "F:3: jail2: 'nopath': the \"no\" prefix "
	    "applies to boolean parameters only, and 'path' is not one");
	ERR("jail2 = path=/j\njail2 = nosysvmsg\n", "F:3: jail2: 'nosysvmsg': the \"no\" prefix "
	    "applies to boolean parameters only, and 'sysvmsg' is not one");
	ERR("jail2 = path=/j\njail2 = nopersist=maybe\n", "F:3: jail2: 'nopersist' expects a "
	    "boolean (true/false, 1/0, yes/no, on/off), got 'maybe'");
}

Test(jail2, values_normalised)
{
	struct run r = run_ini("jail2 = path=/j\njail2 = allow.sysvipc=yes\njail2 = sysvmsg=0\n"
	                       "jail2 = sysvsem=NEW\njail2 = sysvshm=2\njail2 = persist=off\n"
	                       "jail2 = host=inherit\njail2 = vnet=inherit\njail2 = linux=new\n");
	expect_ok(&r);
	cr_assert(r.spec.allow_sysvipc);
	cr_assert_eq(r.spec.sysvmsg, JAIL_MODE_DISABLE);
	cr_assert_eq(r.spec.sysvsem, JAIL_MODE_NEW);
	cr_assert_eq(r.spec.sysvshm, JAIL_MODE_INHERIT);
	cr_assert(r.spec.host_inherit);
	cr_assert(!r.spec.vnet);
	expect_param(&r.spec, 1, "allow.sysvipc", "1", 3);
	expect_param(&r.spec, 2, "sysvmsg", "disable", 4);
	expect_param(&r.spec, 3, "sysvsem", "new", 5);
	expect_param(&r.spec, 4, "sysvshm", "inherit", 6);
	expect_param(&r.spec, 5, "persist", "0", 7);
	expect_param(&r.spec, 6, "host", "inherit", 8);
	expect_param(&r.spec, 7, "vnet", "inherit", 9);
	expect_param(&r.spec, 8, "linux", "new", 10);
	done(&r);

	/* allow.sysvipc after explicit modes overrides them, in config order */
	r = run_ini("jail2 = path=/j\njail2 = sysvmsg=new\njail2 = allow.nosysvipc\n");
	expect_ok(&r);
	cr_assert(!r.spec.allow_sysvipc);
	cr_assert_eq(r.spec.sysvmsg, JAIL_MODE_DISABLE);
	cr_assert_eq(r.spec.sysvshm, JAIL_MODE_DISABLE);
	done(&r);
}

Test(jail2, integers_and_strings)
{
	struct run r = run_ini("jail2 = path=/j\njail2 = jid=42\njail2 = name=web\n"
	                       "jail2 = securelevel=3\njail2 = enforce_statfs=0\n"
	                       "jail2 = devfs_ruleset=65535\njail2 = children.max=10\n"
	                       "jail2 = host.hostname=web.example\njail2 = host.domainname=nis_dom\n"
	                       "jail2 = host.hostuuid=0d3f1a4c-0000-4000-8000-000000000001\n"
	                       "jail2 = host.hostid=4294967295\njail2 = osrelease=14.1-RELEASE\n"
	                       "jail2 = osreldate=1401000\njail2 = allow.settime\n"
	                       "jail2 = allow.mlock\njail2 = allow.chflags\njail2 = allow.socket_af\n"
	                       "jail2 = allow.unprivileged_proc_debug\njail2 = allow.routing\n"
	                       "jail2 = allow.adjtime\njail2 = allow.nfsd\njail2 = zfs.mount_snapshot\n"
	                       "jail2 = linux.osrelease=6.1.0\njail2 = linux.oss_version=198144\n"
	                       "jail2 = securelevel=-1\n");
	expect_ok(&r);
	cr_assert_eq(r.spec.jid, 42);
	cr_assert_str_eq(r.spec.name, "web");
	cr_assert_eq(r.spec.securelevel, -1);
	cr_assert_eq(r.spec.enforce_statfs, 0);
	cr_assert_eq(r.spec.devfs_ruleset, 65535);
	cr_assert_eq(r.spec.children_max, 10);
	cr_assert_str_eq(r.spec.hostname, "web.example");
	cr_assert_str_eq(r.spec.domainname, "nis_dom");
	cr_assert(r.spec.allow_settime && r.spec.allow_mlock && r.spec.allow_chflags);
	cr_assert(r.spec.allow_socket_af && r.spec.allow_unprivileged_proc_debug);
	cr_assert(r.spec.allow_routing);
	cr_assert(!r.spec.allow_mount);
	expect_param(&r.spec, 10, "host.hostid", "4294967295", 12);
	cr_assert_str_eq(jail_spec_param(&r.spec, "securelevel")->value, "-1");
	done(&r);
}

Test(jail2, pseudo_parameters)
{
	ERR("jail2 = path=/j\njail2 = exec.start=/bin/sh /etc/rc\n",
	    "F:3: jail2: 'exec.start' is a jail(8) pseudo-parameter, not a kernel jail parameter");
	ERR("jail2 = path=/j\njail2 = mount.devfs\n",
	    "F:3: jail2: 'mount.devfs' is a jail(8) pseudo-parameter, not a kernel jail parameter");
	ERR("jail2 = path=/j\njail2 = nomount.devfs\n",
	    "F:3: jail2: 'nomount.devfs' is a jail(8) pseudo-parameter, not a kernel jail parameter");
	ERR("jail2 = path=/j\njail2 = exec.noclean\n",
	    "F:3: jail2: 'exec.noclean' is a jail(8) pseudo-parameter, not a kernel jail parameter");
	const char *keys[] = { "interface=em0", "ip_hostname", "mount=/a /b nullfs ro 0 0",
	                       "mount.fstab=/etc/fstab.j", "allow.dying", "depend=db",
	                       "command=/bin/sh", "vnet.interface=epair0b", "exec.clean",
	                       "stop.timeout=10", "exec.prestart=true" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *t = xasprintf("jail2 = path=/j\njail2 = %s\n", keys[i]);
		struct run r = run_ini(t);
		cr_assert_eq(r.rc, -1, "%s", keys[i]);
		cr_assert(strstr(r.err, "is a jail(8) pseudo-parameter"), "%s: %s", keys[i], r.err);
		done(&r);
		free(t);
	}
}

Test(jail2, read_only)
{
	ERR("jail2 = path=/j\njail2 = children.cur=1\n", "F:3: jail2: 'children.cur' is read-only");
	ERR("jail2 = path=/j\njail2 = cpuset.id=3\n", "F:3: jail2: 'cpuset.id' is read-only");
	ERR("jail2 = path=/j\njail2 = dying\n", "F:3: jail2: 'dying' is read-only");
	ERR("jail2 = path=/j\njail2 = nodying\n", "F:3: jail2: 'nodying' is read-only");
	ERR("jail2 = path=/j\njail2 = parent=0\n", "F:3: jail2: 'parent' is read-only");
}

Test(jail2, unknown)
{
	ERR("jail2 = path=/j\njail2 = allow.foo\n", "F:3: jail2: unknown jail parameter 'allow.foo'");
	ERR("jail2 = path=/j\njail2 = allow.mont=1\n",
	    "F:3: jail2: unknown jail parameter 'allow.mont' (did you mean 'allow.mount'?)");
	ERR("jail2 = path=/j\njail2 = enforce_statsfs=1\n",
	    "F:3: jail2: unknown jail parameter 'enforce_statsfs' (did you mean 'enforce_statfs'?)");
	ERR("jail2 = path=/j\njail2 = hostname=foo\n",
	    "F:3: jail2: unknown jail parameter 'hostname'");
	ERR("jail2 = path=/j\njail2 = Persist\n",
	    "F:3: jail2: unknown jail parameter 'Persist' (did you mean 'persist'?)");
	ERR("jail2 = path=/j\njail2 = =1\n", "F:3: jail2: empty parameter name in '=1'");
}

Test(jail2, bad_values)
{
	ERR("jail2 = path=/j\njail2 = enforce_statfs=3\n",
	    "F:3: jail2: 'enforce_statfs' expects an integer from 0 to 2, got '3'");
	ERR("jail2 = path=/j\njail2 = devfs_ruleset=65536\n",
	    "F:3: jail2: 'devfs_ruleset' expects an integer from 0 to 65535, got '65536'");
	ERR("jail2 = path=/j\njail2 = children.max=-1\n",
	    "F:3: jail2: 'children.max' expects an integer from 0 to 2147483647, got '-1'");
	ERR("jail2 = path=/j\njail2 = securelevel=high\n",
	    "F:3: jail2: 'securelevel' expects an integer from -1 to 3, got 'high'");
	ERR("jail2 = path=/j\njail2 = jid=0x10\n",
	    "F:3: jail2: 'jid' expects an integer from 1 to 999999, got '0x10'");
	ERR("jail2 = path=/j\njail2 = jid=99999999999999999999999\n",
	    "F:3: jail2: 'jid' expects an integer from 1 to 999999, got '99999999999999999999999'");
	ERR("jail2 = path=/j\njail2 = persist=maybe\n",
	    "F:3: jail2: 'persist' expects a boolean (true/false, 1/0, yes/no, on/off), got 'maybe'");
	ERR("jail2 = path=/j\njail2 = persist=\n",
	    "F:3: jail2: 'persist' expects a boolean (true/false, 1/0, yes/no, on/off), got ''");
	ERR("jail2 = path=/j\njail2 = sysvshm=yes\n",
	    "F:3: jail2: 'sysvshm' expects new, inherit or disable (or 1, 2, 0), got 'yes'");
	ERR("jail2 = path=/j\njail2 = host=disable\n",
	    "F:3: jail2: 'host' expects new or inherit (or 1, 2), got 'disable'");
	ERR("jail2 = path=/j\njail2 = vnet=disable\n",
	    "F:3: jail2: 'vnet' expects new or inherit (or a boolean), got 'disable'");
	ERR("jail2 = path=relative\n", "F:2: jail2: path 'relative' is not an absolute path");
	ERR("jail2 = path\n", "F:2: jail2: path '1' is not an absolute path");
	ERR("jail2 = path=/j\njail2 = name=a.b\n", "F:3: jail2: name 'a.b' is not a valid jail "
	    "name (1-63 letters, digits, '_' or '-', not all digits)");
	ERR("jail2 = path=/j\njail2 = name=007\n", "F:3: jail2: name '007' is not a valid jail "
	    "name (1-63 letters, digits, '_' or '-', not all digits)");
	ERR("jail2 = path=/j\njail2 = host.hostname=bad-.example\n",
	    "F:3: jail2: host.hostname 'bad-.example' is not a valid hostname (RFC 1123: "
	    "dot-separated labels of letters, digits and '-', at most 255 characters)");
	ERR("jail2 = path=/j\njail2 = osrelease=14.1-RELEASE-with-a-very-long-tail\n",
	    "F:3: jail2: 'osrelease' expects printable text of 1 to 31 characters, "
	    "got '14.1-RELEASE-with-a-very-long-tail'");
	ERR("jail2 = path=/j\njail2 = host.domainname=a b\n",
	    "F:3: jail2: 'host.domainname' expects printable text without spaces of 0 to "
	    "255 characters, got 'a b'");
	ERR("jail2 = path=/j\njail2 = osrelease=\n",
	    "F:3: jail2: 'osrelease' expects printable text of 1 to 31 characters, got ''");
}

Test(jail2, needs_path)
{
	ERR("jail2 = host.hostname=foobar\njail2 = persist\n",
	    "F:2: jail2 given without path (add jail2 = path=<rootfs>, or use jail = <rootfs>)");
}

Test(jail2, command_line_origin)
{
	char *argv[] = { "stockade", "--jail2", "path=/j", "--jail2", "allow.foo", NULL };
	struct run r = run_argv(5, argv);
	cr_assert_eq(r.rc, -1);
	cr_assert_str_eq(r.err, "command line: jail2: unknown jail parameter 'allow.foo'\n");
	done(&r);
}

/* ---- jail + jail2 --------------------------------------------------------------- */

Test(merge, same_values_twice)
{
	struct run r = run_ini("jail = /jails/001 foobar web\njail2 = path=/jails/001\n"
	                       "jail2 = host.hostname=foobar\njail2 = name=web\n"
	                       "jail2 = path=/jails/001\njail-ip4 = 10.0.0.1\njail2 = ip4.addr=10.0.0.2\n");
	expect_ok(&r);
	cr_assert(r.spec.old_api && r.spec.create);
	cr_assert_str_eq(r.spec.path, "/jails/001");
	cr_assert_str_eq(r.spec.hostname, "foobar");
	cr_assert_str_eq(r.spec.name, "web");
	cr_assert_eq(r.spec.nip4, 2);
	cr_assert_eq(r.spec.nparams, 5);
	cr_assert_eq(r.spec.origin.line, 3);
	done(&r);
}

Test(merge, jail2_adds_to_jail)
{
	struct run r = run_ini("jail = /jails/001\njail2 = host.hostname=foobar\njail2 = persist\n");
	expect_ok(&r);
	cr_assert_str_eq(r.spec.path, "/jails/001");
	cr_assert_str_eq(r.spec.hostname, "foobar");
	cr_assert(r.spec.persist);
	done(&r);
}

Test(merge, conflicts)
{
	ERR("jail = /jails/001 foobar\njail2 = path=/jails/002\n",
	    "F:3: jail2: path '/jails/002' conflicts with '/jails/001' given by the jail option");
	ERR("jail = /jails/001 foobar\njail2 = host.hostname=other\n",
	    "F:3: jail2: host.hostname 'other' conflicts with 'foobar' given by the jail option");
	ERR("jail = /jails/001 foobar web\njail2 = name=db\n",
	    "F:3: jail2: name 'db' conflicts with 'web' given by the jail option");
	ERR("jail2 = path=/a\njail2 = persist\njail2 = path=/b\n",
	    "F:4: jail2: path '/b' conflicts with '/a' given at F:2");
	ERR("jail2 = path=/a\njail2 = host=inherit\njail2 = host.hostname=h\n",
	    "F:3: jail2: host=inherit conflicts with the hostname given at F:4");
	ERR("jail = /a h\njail2 = host=inherit\n",
	    "F:3: jail2: host=inherit conflicts with the hostname given by the jail option");
	ERR("jail2 = path=/a\njail2 = host.hostuuid=x\njail2 = host=inherit\n",
	    "F:4: jail2: host=inherit conflicts with host.hostuuid given at F:3");
}

/* ---- jail-attach ----------------------------------------------------------------- */

Test(attach, jid_or_name)
{
	struct run r = run_ini("jail-attach = 12\njidfile = /ignored\n");
	expect_ok(&r);
	cr_assert(!r.spec.create);
	cr_assert_str_eq(r.spec.attach, "12");
	cr_assert_null(r.spec.path);
	cr_assert_str_eq(r.spec.jidfile, "/ignored");
	done(&r);

	r = run_ini("jail-attach = web_1\njailed\n");
	expect_ok(&r);
	cr_assert(!r.spec.create);
	cr_assert_str_eq(r.spec.attach, "web_1");
	done(&r);
}

Test(attach, errors)
{
	/* the loader refuses "jail-attach =", but a value can expand to nothing */
	setenv("STOCKADE_JP_EMPTY", "", 1);
	ERR("jail-attach = $(STOCKADE_JP_EMPTY)\n", "F:2: jail-attach: empty value (expected a jid or a jail name)");
	ERR("jail-attach = 0\n", "F:2: jail-attach: jid '0' is out of range (1-999999)");
	ERR("jail-attach = 1000000\n", "F:2: jail-attach: jid '1000000' is out of range (1-999999)");
	ERR("jail-attach = parent.child\n", "F:2: jail-attach: 'parent.child' is not a valid jail name "
	    "(1-63 letters, digits, '_' or '-', not all digits)");
	ERR("jail-attach = ../../etc\n", "F:2: jail-attach: '../../etc' is not a valid jail name "
	    "(1-63 letters, digits, '_' or '-', not all digits)");
	ERR("jail-attach = web\njail2 = path=/j\n", "F:3: jail-attach cannot be combined with "
	    "jail2: jail-attach joins an existing jail, jail2 creates a new one");
	ERR("jail-ip6 = ::1\njail-attach = web\n", "F:2: jail-attach cannot be combined with "
	    "jail-ip6: jail-attach joins an existing jail, jail-ip6 creates a new one");
	ERR("jail = /j\njail-attach = web\n", "F:2: jail-attach cannot be combined with "
	    "jail: jail-attach joins an existing jail, jail creates a new one");
}

/* ---- the spec's life cycle ------------------------------------------------------- */

Test(spec, free_is_idempotent)
{
	struct run r = run_ini("jail = /j h n\njail-ip4 = 10.0.0.1\njail2 = persist\n");
	expect_ok(&r);
	jail_spec_free(&r.spec);
	cr_assert_null(r.spec.path);
	cr_assert_eq(r.spec.nparams, 0);
	cr_assert_eq(r.spec.nip4, 0);
	cr_assert_eq(r.spec.jid, -1);
	jail_spec_free(&r.spec);
	done(&r);
}
