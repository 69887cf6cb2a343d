/* SPDX-License-Identifier: MIT */
/*
 * jail-rctl (issue 23): the rule grammar (jail/rctl.c), and the Linux
 * backend's cgroup writes (jail/linux_rctl.c) through its seam, struct
 * rctl_hosts, pointed at a directory tree of plain files standing in for
 * a cgroup2 hierarchy (this host has memory, pids and cpu on v1 only; the
 * integration tests cover v1 for real).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "jail/linux_rctl.h"
#include "jail/rctl.h"
#include "server/stats.h"

/* ---- the grammar ----------------------------------------------------------------- */

static struct rctl_rule
ok(const char *text)
{
	struct rctl_rule r;
	char err[512] = "";
	cr_assert_eq(rctl_rule_parse(text, &r, err, sizeof(err)), 0, "%s: %s", text, err);
	return r;
}

static void
bad(const char *text, const char *why)
{
	struct rctl_rule r;
	char err[768] = "";
	cr_assert_eq(rctl_rule_parse(text, &r, err, sizeof(err)), -1, "%s parsed", text);
	cr_assert(strstr(err, why), "%s: got '%s', want '%s'", text, err, why);
	cr_assert_null(strchr(err, '\n'), "one line");
}

Test(rctl_grammar, amounts_and_suffixes)
{
	cr_assert_eq(ok("memoryuse:deny=512M").amount, 512ULL << 20);
	cr_assert_eq(ok("memoryuse:deny=512m").amount, 512ULL << 20);
	cr_assert_eq(ok("vmemoryuse:deny=2G").amount, 2ULL << 30);
	cr_assert_eq(ok("swapuse:deny=1k").amount, 1024);
	cr_assert_eq(ok("maxproc:deny=100").amount, 100);
	cr_assert_eq(ok("readbps:throttle=1T").amount, 1ULL << 40);
	cr_assert_eq(ok("memoryuse:deny=15E").amount, 15ULL << 60);
	cr_assert_eq(ok("pcpu:deny=50/jail").amount, 50);
	struct rctl_rule r = ok("MemoryUse:SigTerm=1G");
	cr_assert_str_eq(r.resource, "memoryuse");
	cr_assert_eq(r.action, RCTL_SIGNAL);
	cr_assert_eq(r.sig, SIGTERM);
	char buf[96];
	rctl_rule_format(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "memoryuse:sigterm=1073741824");
	cr_assert_eq(ok("openfiles:log=10").action, RCTL_LOG);
	cr_assert_eq(ok("openfiles:devctl=10").action, RCTL_DEVCTL);
	cr_assert_eq(ok("openfiles:deny=0").amount, 0);
}

Test(rctl_grammar, human_amounts)
{
	char b[32];
	rctl_amount_human(64ULL << 20, b, sizeof(b));
	cr_assert_str_eq(b, "64M");
	rctl_amount_human(1536, b, sizeof(b));
	cr_assert_str_eq(b, "1536");
	rctl_amount_human(3ULL << 30, b, sizeof(b));
	cr_assert_str_eq(b, "3G");
	rctl_amount_human(0, b, sizeof(b));
	cr_assert_str_eq(b, "0");
}

Test(rctl_grammar, malformed_rules)
{
	bad("", "is not a rule of the form resource:action=amount");
	bad("memoryuse", "is not a rule of the form");
	bad("memoryuse=1G", "is not a rule of the form");
	bad("memoryuse:deny", "is not a rule of the form");
	bad("jail:www:memoryuse:deny=1G", "the jail is the subject");
	bad("disk:deny=1G", "unknown resource 'disk' (known: cputime datasize");
	bad(":deny=1G", "unknown resource ''");
	bad("memoryuse:kill=1G", "unknown action 'kill'");
	bad("memoryuse:signope=1G", "unknown action 'signope'");
	bad("memoryuse:deny=", "amount '' is not a number");
	bad("memoryuse:deny=1.5G", "amount '1.5g' is not a number");
	bad("memoryuse:deny=1GB", "amount '1gb' is not a number");
	bad("memoryuse:deny=-1", "amount '-1' is not a number");
	bad("memoryuse:deny=16E", "amount '16e' is not a number");
	bad("memoryuse:deny=99999999999999999999", "is not a number");
	bad("memoryuse:deny=1G/process", "'/process' is not supported");
	bad("memoryuse:throttle=1G", "throttle applies only to readbps");
	bad("pcpu:deny=0", "pcpu must be at least 1");
	char longrule[300];
	memset(longrule, 'a', sizeof(longrule) - 1);
	longrule[sizeof(longrule) - 1] = '\0';
	bad(longrule, "rule too long");
	bad("pc==\n", "rule has a control or non-ASCII character at offset 4");
}

/* ---- the Linux cgroup writes through the seam ------------------------------------------ */

static char tmp[64];
static int logfd = -1;

static void
mkfile(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The file's text (valid until the next call). */
static const char *
content(const char *rel)
{
	static char text[4096];
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	char *s = read_file(path, NULL);
	cr_assert(s != NULL, "%s: %s", path, strerror(errno));
	snprintf(text, sizeof(text), "%s", s);
	free(s);
	return text;
}

static char *
logged(void)
{
	lseek(logfd, 0, SEEK_SET);
	struct strbuf sb;
	sb_init(&sb);
	char buf[4096];
	ssize_t n;
	while ((n = read(logfd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	sb_addc(&sb, '\0');
	return sb_detach(&sb);
}

static void
setup(void)
{
	char path[256];
	snprintf(tmp, sizeof(tmp), "/tmp/stockade-rctl-XXXXXX");
	cr_assert(mkdtemp(tmp) != NULL);
	snprintf(path, sizeof(path), "%s/unified/stockade/j1", tmp);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s/v1mem'", path, tmp);
	cr_assert_eq(system(cmd), 0);
	mkfile("unified/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	mkfile("unified/cgroup.subtree_control", "");
	mkfile("unified/stockade/cgroup.subtree_control", "");
	static const char *const files[] = { "memory.max", "memory.swap.max", "pids.max", "cpu.max",
	                                     "memory.events", "memory.current", "pids.current" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "unified/stockade/j1/%s", files[i]);
		mkfile(path, "");
	}
	char lp[] = "/tmp/stockade-rctl-log-XXXXXX";
	logfd = mkstemp(lp);
	cr_assert(logfd >= 0);
	unlink(lp);
	log_set_file(logfd);
}

static void
teardown(void)
{
	char cmd[128];
	log_set_file(2);
	close(logfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(rctl_cgroup, .init = setup, .fini = teardown);

static struct jail_spec
spec_of(const char *const *rules)
{
	struct jail_spec spec;
	memset(&spec, 0, sizeof(spec));
	size_t n = 0;
	while (rules[n])
		n++;
	spec.rctl = xcalloc(n, sizeof(*spec.rctl));
	for (size_t i = 0; i < n; i++) {
		spec.rctl[i] = ok(rules[i]);
		spec.rctl[i].origin = (struct origin){ "site.ini", (int)i + 10 };
	}
	spec.nrctl = n;
	return spec;
}

static struct rctl_hosts
v2_hosts(void)
{
	struct rctl_hosts h;
	memset(&h, 0, sizeof(h));
	snprintf(h.v2root, sizeof(h.v2root), "%s/unified", tmp);
	h.on_v2[RC_MEMORY] = h.on_v2[RC_PIDS] = h.on_v2[RC_CPU] = true;
	return h;
}

Test(rctl_cgroup, v2_limits_in_the_jail_cgroup)
{
	static const char *const rules[] = { "memoryuse:deny=64M", "swapuse:deny=16M", "maxproc:deny=30",
	                                     "pcpu:deny=150", "openfiles:deny=256", NULL };
	struct jail_spec spec = spec_of(rules);
	struct rctl_hosts h = v2_hosts();
	struct jail_rctl_cg cg;
	char jail[256];
	snprintf(jail, sizeof(jail), "%s/unified/stockade/j1", tmp);
	cr_assert_eq(jail_rctl_prepare(&spec, "j1", &h, jail, &cg), 0, "%s", logged());
	cr_assert_str_eq(content("unified/stockade/j1/memory.max"), "67108864");
	cr_assert_str_eq(content("unified/stockade/j1/memory.swap.max"), "16777216");
	cr_assert_str_eq(content("unified/stockade/j1/pids.max"), "30");
	cr_assert_str_eq(content("unified/stockade/j1/cpu.max"), "150000 100000");
	/* each controller turned on from the root down to the jail's parent */
	cr_assert_str_eq(content("unified/cgroup.subtree_control"), "+memory+pids+cpu");
	cr_assert_str_eq(content("unified/stockade/cgroup.subtree_control"), "+memory+pids+cpu");
	cr_assert(cg.v2[RC_MEMORY] && cg.v2[RC_PIDS] && cg.v2[RC_CPU]);
	cr_assert_not(cg.created[RC_MEMORY], "nothing of its own to remove on v2");
	cr_assert(cg.has_nofile && cg.nofile == 256);
	cr_assert_geq(cg.oom_fd, 0, "memory.events watched");
	short ev;
	cr_assert_eq(jail_rctl_oom_fd(&cg, &ev), cg.oom_fd);
	cr_assert_eq(ev, POLLPRI);

	/* the record, then jls's view of it with the current use */
	char *rec = jail_rctl_record(&spec, &cg);
	mkfile("unified/stockade/j1/memory.current", "10485760\n");
	mkfile("unified/stockade/j1/pids.current", "7\n");
	char *d = jail_rctl_describe(rec);
	cr_assert_str_eq(d, "memoryuse:deny=64M use=10.0M\nswapuse:deny=16M\nmaxproc:deny=30 use=7\n"
	    "pcpu:deny=150\nopenfiles:deny=256\n");
	free(d);
	free(rec);

	/* memory.events changes for "max" too: only an oom_kill is reported */
	mkfile("unified/stockade/j1/memory.events", "low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n");
	jail_rctl_oom_report(&cg, 4, "j1");
	char *log = logged();
	cr_assert_null(strstr(log, "memoryuse limit"), "%s", log);
	free(log);
	mkfile("unified/stockade/j1/memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
	jail_rctl_oom_report(&cg, 4, "j1");
	log = logged();
	cr_assert(strstr(log, "jail 4 (j1): memoryuse limit 64M reached: the kernel's OOM killer stops "
	    "the jail's biggest process (1 killed so far)\n"), "%s", log);
	free(log);
	jail_rctl_teardown(&cg);
	jail_rctl_teardown(&cg);        /* safe twice */
	cr_assert_eq(cg.oom_fd, -1);
	free(spec.rctl);
}

Test(rctl_cgroup, hybrid_v1_controller_and_swap_rule)
{
	/* memory on "v1" (a plain directory here): its cgroup is made, the
	 * failing rule names its line, and the directory is gone again */
	static const char *const rules[] = { "maxproc:deny=5", "swapuse:deny=1G", NULL };
	struct jail_spec spec = spec_of(rules);
	struct rctl_hosts h = v2_hosts();
	struct jail_rctl_cg cg;
	struct stat st;
	char jail[256], made[256];
	h.on_v2[RC_MEMORY] = false;
	snprintf(h.v1[RC_MEMORY], sizeof(h.v1[RC_MEMORY]), "%s/v1mem", tmp);
	snprintf(jail, sizeof(jail), "%s/unified/stockade/j1", tmp);
	cr_assert_eq(jail_rctl_prepare(&spec, "j1", &h, jail, &cg), -1);
	char *log = logged();
	cr_assert(strstr(log, "site.ini:11: jail-rctl: swapuse on a v1 memory hierarchy needs memoryuse too"),
	    "%s", log);
	free(log);
	snprintf(made, sizeof(made), "%s/v1mem/stockade/j1", tmp);
	cr_assert_eq(stat(made, &st), -1, "the v1 cgroup was left behind");
	free(spec.rctl);
}

Test(rctl_cgroup, no_controller_anywhere)
{
	static const char *const rules[] = { "pcpu:deny=20", NULL };
	struct jail_spec spec = spec_of(rules);
	struct rctl_hosts h;
	struct jail_rctl_cg cg;
	memset(&h, 0, sizeof(h));
	cr_assert_eq(jail_rctl_prepare(&spec, "j1", &h, "", &cg), -1);
	char *log = logged();
	cr_assert(strstr(log, "site.ini:10: jail-rctl: pcpu needs the cpu cgroup controller, which this "
	    "host has neither on cgroup2 nor on a v1 hierarchy\n"), "%s", log);
	free(log);
	free(spec.rctl);
}

Test(rctl_cgroup, linux_validate_refuses_what_it_cannot_enforce)
{
	static const char *const r1[] = { "nthr:deny=5", NULL };
	static const char *const r2[] = { "memoryuse:devctl=5", NULL };
	static const char *const r3[] = { "memoryuse:deny=1G", "vmemoryuse:deny=4G", "openfiles:deny=9", NULL };
	static const char *const r4[] = { "pcpu:deny=100001", NULL };
	struct jail_spec s4 = spec_of(r4);
	cr_assert_eq(jail_rctl_validate(&s4), -1);
	free(s4.rctl);
	struct jail_spec s1 = spec_of(r1), s2 = spec_of(r2), s3 = spec_of(r3);
	cr_assert_eq(jail_rctl_validate(&s1), -1);
	cr_assert_eq(jail_rctl_validate(&s2), -1);
	cr_assert_eq(jail_rctl_validate(&s3), 0);
	char *log = logged();
	cr_assert(strstr(log, "site.ini:10: jail-rctl: resource 'nthr' has no Linux equivalent (Linux jails "
	    "know: memoryuse swapuse maxproc pcpu openfiles vmemoryuse)\n"), "%s", log);
	cr_assert(strstr(log, "site.ini:10: jail-rctl: action 'devctl' is not available on Linux (only deny"),
	    "%s", log);
	cr_assert(strstr(log, "site.ini:10: jail-rctl: pcpu=100001 is more than 1000 CPUs"), "%s", log);
	free(log);
	free(s1.rctl);
	free(s2.rctl);
	free(s3.rctl);
}

Test(rctl_cgroup, use_fds_for_the_jailed_master_and_stats)
{
	static const char *const rules[] = { "memoryuse:deny=64M", "vmemoryuse:deny=1G", NULL };
	struct jail_spec spec = spec_of(rules);
	struct rctl_hosts h = v2_hosts();
	struct jail_rctl_cg cg;
	char jail[256];
	int keep[RCTL_LINUX_MAX];
	snprintf(jail, sizeof(jail), "%s/unified/stockade/j1", tmp);
	mkfile("unified/stockade/j1/memory.current", "5242880\n");
	cr_assert_eq(jail_rctl_prepare(&spec, "j1", &h, jail, &cg), 0, "%s", logged());
	cr_assert_eq(jail_rctl_keep_fds(&cg, keep, RCTL_LINUX_MAX), 1, "only memoryuse has a use file");
	/* not entered (a reloaded master): the limits without their use */
	char *st = jail_rctl_status(&spec);
	cr_assert_str_eq(st, "memoryuse:deny\t67108864\t-\nvmemoryuse:deny\t1073741824\t-\n");
	free(st);
	jail_rctl_entered(&cg);
	st = jail_rctl_status(&spec);
	cr_assert_str_eq(st, "memoryuse:deny\t67108864\t5242880\nvmemoryuse:deny\t1073741824\t-\n");
	/* into the stats document, after uWSGI's keys */
	struct stats_input in;
	memset(&in, 0, sizeof(in));
	in.version = "x";
	in.cwd = "/";
	in.rctl = st;
	char *doc = stats_json(&in, true, NULL);
	cr_assert(strstr(doc, "\"workers\":[],\"rctl\":[{\"rule\":\"memoryuse:deny\",\"limit\":67108864,"
	    "\"use\":5242880},{\"rule\":\"vmemoryuse:deny\",\"limit\":1073741824,\"use\":null}]}"), "%s", doc);
	free(doc);
	free(st);
	jail_rctl_entered(NULL);
	jail_rctl_teardown(&cg);
	free(spec.rctl);
}
