/* SPDX-License-Identifier: MIT */
/*
 * The jail registry (src/jail/registry.c) in a private temp root: jid
 * allocation, unique names, liveness by lock + starttime, collection of
 * stale entries, lookup by jid or name, listing and release. The "init" of
 * a test jail is the test process itself.
 */
#include "jail/registry.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/stockade-registry-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	registry_set_root(root);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", root);
}

TestSuite(registry, .init = setup, .fini = teardown);

static bool exists(const char *fmt, const char *arg)
{
	char p[PATH_MAX * 2], rel[PATH_MAX];
	struct stat st;
	snprintf(rel, sizeof(rel), fmt, arg);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

/* A jail whose init is this process. Returns the lock fd. */
static int make_live(const char *name, long jid, struct registry_entry *e)
{
	char err[256] = "";
	int fd = registry_create(name, jid, e, err, sizeof(err));
	cr_assert_geq(fd, 0, "create(%s): %s", name ? name : "(null)", err);
	cr_assert_eq(registry_set_init(e, getpid()), 0);
	return fd;
}

Test(registry, create_named_lays_out_the_entry)
{
	struct registry_entry e;
	char err[256] = "";
	int fd = registry_create("web", -1, &e, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_expect_eq(e.jid, 1);
	cr_expect_str_eq(e.name, "web");
	cr_expect_eq(e.pid, 0);
	cr_expect(exists("jails/%s/jid", "web"));
	cr_expect(exists("jails/%s/lock", "web"));
	cr_expect(exists("jid/%s", "1"));

	char p[PATH_MAX * 2], target[PATH_MAX];
	snprintf(p, sizeof(p), "%s/jid/1", root);
	ssize_t n = readlink(p, target, sizeof(target) - 1);
	cr_assert_gt(n, 0);
	target[n] = '\0';
	cr_expect_str_eq(target, "../jails/web");

	struct stat st;
	snprintf(p, sizeof(p), "%s/jails/web", root);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/jails", root);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0700);

	/* the returned fd holds the lock and is close-on-exec */
	cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	snprintf(p, sizeof(p), "%s/jails/web/lock", root);
	int other = open(p, O_RDONLY);
	cr_assert_geq(other, 0);
	cr_expect_eq(flock(other, LOCK_EX | LOCK_NB), -1);
	cr_expect_eq(errno, EWOULDBLOCK);
	close(other);
	close(fd);
}

Test(registry, jids_are_the_lowest_free_and_unnamed_jails_take_theirs)
{
	struct registry_entry a, b, c;
	int fa = make_live("a", -1, &a);
	int fb = make_live(NULL, -1, &b);
	cr_expect_eq(a.jid, 1);
	cr_expect_eq(b.jid, 2);
	cr_expect_str_eq(b.name, "2");
	registry_release(&a);
	close(fa);
	int fc = make_live("c", -1, &c);
	cr_expect_eq(c.jid, 1, "jid 1 is free again");
	close(fb);
	close(fc);
}

Test(registry, duplicate_live_name_is_refused_with_its_jid)
{
	struct registry_entry a, b;
	char err[256] = "";
	int fa = make_live("dup", -1, &a);
	cr_expect_eq(registry_create("dup", -1, &b, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "jail name 'dup' is already in use (jid 1)");
	close(fa);
}

Test(registry, explicit_jid)
{
	struct registry_entry a, b;
	char err[256] = "";
	int fa = make_live("x", 7, &a);
	cr_expect_eq(a.jid, 7);
	cr_expect_eq(registry_create("y", 7, &b, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "jid 7 is already in use (jail 'x')");
	cr_expect_eq(registry_create("y", 0, &b, err, sizeof(err)), -1);
	cr_expect_eq(registry_create("y", 1000000, &b, err, sizeof(err)), -1);
	int fb = make_live("y", -1, &b);
	cr_expect_eq(b.jid, 1);
	close(fa);
	close(fb);
}

Test(registry, numeric_names_must_be_the_jid)
{
	struct registry_entry e;
	char err[256] = "";
	cr_expect_eq(registry_create("12", 3, &e, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "jail name '12' is numeric but not the jid");
	int fd = registry_create("12", -1, &e, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_expect_eq(e.jid, 12);
	close(fd);
}

Test(registry, bad_names)
{
	const char *bad[] = { "a/b", "a.b", ".x", "has space", "x\n",
		"0123456789012345678901234567890123456789012345678901234567890123" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct registry_entry e;
		char err[256] = "";
		cr_expect_not(registry_name_ok(bad[i]), "%s", bad[i]);
		cr_expect_eq(registry_create(bad[i], -1, &e, err, sizeof(err)), -1, "%s", bad[i]);
	}
	cr_expect(registry_name_ok("web-1_A"));
}

Test(registry, lookup_by_name_and_by_jid)
{
	struct registry_entry a, got;
	char err[256] = "";
	int fa = make_live("site", 4, &a);
	cr_assert_eq(registry_put(&a, "hostname", "site.example\n"), 0);
	cr_assert_eq(registry_put(&a, "path", "/srv/site\n"), 0);
	cr_assert_eq(registry_lookup("site", &got, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(got.jid, 4);
	cr_expect_eq(got.pid, getpid());
	cr_expect_eq(got.starttime, a.starttime);
	cr_expect_str_eq(got.hostname, "site.example");
	cr_expect_str_eq(got.path, "/srv/site");
	cr_assert_eq(registry_lookup("4", &got, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(got.name, "site");
	cr_expect_eq(registry_lookup("5", &got, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "jail 5 not found");
	cr_expect_eq(registry_lookup("nope", &got, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "jail 'nope' not found");
	cr_expect_eq(registry_lookup("", &got, err, sizeof(err)), -1);
	cr_expect_eq(registry_lookup("../x", &got, err, sizeof(err)), -1);
	close(fa);
}

Test(registry, a_jail_being_created_is_alive_but_not_found)
{
	struct registry_entry a, got;
	char err[256] = "";
	int fa = registry_create("new", -1, &a, err, sizeof(err));
	cr_assert_geq(fa, 0);
	cr_expect(registry_alive(&a));
	cr_expect_eq(registry_lookup("new", &got, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "jail 'new' is still being created");
	cr_expect_eq(registry_gc(), 0);
	cr_expect(exists("jails/%s", "new"));
	close(fa);
}

Test(registry, free_lock_means_stale_and_is_collected)
{
	struct registry_entry a, got;
	char err[256] = "";
	int fa = make_live("gone", -1, &a);
	cr_expect(registry_alive(&a));
	close(fa);                      /* the init "died" */
	cr_expect_not(registry_alive(&a));
	cr_expect_eq(registry_lookup("gone", &got, err, sizeof(err)), -1);
	cr_expect_not(exists("jails/%s", "gone"));
	cr_expect_not(exists("jid/%s", "1"));
	/* the name is free again */
	int fb = make_live("gone", -1, &a);
	close(fb);
}

Test(registry, starttime_mismatch_means_stale)
{
	struct registry_entry a, got;
	char err[256] = "";
	int fa = make_live("reused", -1, &a);
	cr_assert_eq(registry_put(&a, "starttime", "1\n"), 0);
	cr_expect_eq(registry_lookup("reused", &got, err, sizeof(err)), -1);
	cr_expect_not(exists("jails/%s", "reused"));
	close(fa);
}

Test(registry, half_created_entries_and_dangling_links_are_collected)
{
	char p[PATH_MAX * 2];
	cr_assert_eq(registry_gc(), 0);         /* creates the directories */
	snprintf(p, sizeof(p), "%s/jails/junk", root);
	cr_assert_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/jid/9", root);
	cr_assert_eq(symlink("../jails/nothing", p), 0);
	cr_expect_eq(registry_gc(), 1);
	cr_expect_not(exists("jails/%s", "junk"));
	cr_expect_not(exists("jid/%s", "9"));
}

Test(registry, list_is_sorted_by_jid_and_skips_dead_and_unborn)
{
	struct registry_entry a, b, c, d, *v;
	size_t n;
	char err[256] = "";
	int fa = make_live("zeta", 3, &a);
	int fb = make_live("alpha", 8, &b);
	int fc = make_live("mid", 5, &c);
	int fd = registry_create("unborn", -1, &d, err, sizeof(err));
	cr_assert_geq(fd, 0);
	close(fc);
	cr_assert_eq(registry_list(&v, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_eq(v[0].jid, 3);
	cr_expect_str_eq(v[0].name, "zeta");
	cr_expect_eq(v[1].jid, 8);
	free(v);
	close(fa);
	close(fb);
	close(fd);
}

Test(registry, release_only_removes_the_same_jail)
{
	struct registry_entry a, other;
	int fa = make_live("keep", -1, &a);
	other = a;
	other.starttime = a.starttime + 1;      /* an older incarnation */
	registry_release(&other);
	cr_expect(exists("jails/%s", "keep"));
	registry_release(&a);
	cr_expect_not(exists("jails/%s", "keep"));
	cr_expect_not(exists("jid/%s", "1"));
	registry_release(&a);                   /* twice is fine */
	close(fa);
}

Test(registry, put_and_get)
{
	struct registry_entry a;
	int fa = make_live("files", -1, &a);
	cr_assert_eq(registry_put(&a, "params", "path=/x\npersist=1\n"), 0);
	char *t = registry_get(&a, "params");
	cr_assert_not_null(t);
	cr_expect_str_eq(t, "path=/x\npersist=1\n");
	free(t);
	cr_expect_null(registry_get(&a, "missing"));
	close(fa);
}

/* A rewrite replaces the file whole and leaves no temporary file behind
 * (writes are tmp + rename, without fsync), also over a leftover temporary
 * file of an earlier process with this pid. */
Test(registry, put_replaces_and_leaves_no_temporary_file)
{
	struct registry_entry a;
	char p[PATH_MAX * 2];
	int fa = make_live("tmpfiles", -1, &a);
	snprintf(p, sizeof(p), "%s/jails/tmpfiles/.params.tmp.%d", root, (int)getpid());
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs("half-written", f);
	fclose(f);
	cr_assert_eq(registry_put(&a, "params", "a=1\nb=2\n"), 0);
	cr_assert_eq(registry_put(&a, "params", "c=3\n"), 0);
	char *t = registry_get(&a, "params");
	cr_assert_not_null(t);
	cr_expect_str_eq(t, "c=3\n");
	free(t);
	struct stat st;
	cr_expect_neq(lstat(p, &st), 0, "temporary file left: %s", p);
	close(fa);
}

/* A live jail survives any number of sweeps; only the dead one goes. */
Test(registry, sweeps_keep_live_jails_and_collect_the_dead)
{
	struct registry_entry a, b, c;
	int fa = make_live("live1", -1, &a);
	int fb = make_live("dead", -1, &b);
	int fc = make_live("live2", -1, &c);
	cr_expect_eq(registry_gc(), 0);
	close(fb);
	cr_expect_eq(registry_gc(), 1);
	cr_expect_eq(registry_gc(), 0);
	cr_expect(exists("jails/%s", "live1"));
	cr_expect(exists("jails/%s", "live2"));
	cr_expect_not(exists("jails/%s", "dead"));
	cr_expect_not(exists("jid/%s", "2"));
	cr_expect(exists("jid/%s", "3"));
	close(fa);
	close(fc);
}

/* Creates between two sweeps (a sweep runs at most once a second) still
 * take a dead jail's name and its jid, the lowest free one. */
Test(registry, a_dead_jails_name_and_jid_are_free_between_sweeps)
{
	struct registry_entry a, b, c, d;
	int fa = make_live("first", -1, &a);    /* sweeps */
	int fb = make_live("second", -1, &b);
	cr_expect_eq(b.jid, 2);
	close(fa);
	int fc = make_live("first", -1, &c);    /* no sweep: the name's dead owner goes */
	cr_expect_eq(c.jid, 1);
	close(fb);
	int fd = make_live(NULL, -1, &d);       /* jid 2's dead owner goes */
	cr_expect_eq(d.jid, 2);
	cr_expect_not(exists("jails/%s", "second"));
	close(fc);
	close(fd);
}

Test(registry, starttime_of_self)
{
	unsigned long long st;
	cr_assert_eq(proc_starttime(getpid(), &st), 0);
	cr_expect_gt(st, 0);
	FILE *f = fopen("/proc/self/stat", "r");
	cr_assert_not_null(f);
	char buf[1024];
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	char *s = strrchr(buf, ')') + 2;
	unsigned long long v = 0;
	for (int i = 0; i < 19; i++)
		s = strchr(s, ' ') + 1;
	v = strtoull(s, NULL, 10);
	cr_expect_eq(st, v);
	cr_expect_eq(proc_starttime(0x7ffffff0, &st), -1);
}
