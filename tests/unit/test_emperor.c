/* SPDX-License-Identifier: MIT */
/* The Emperor: throttle and blacklist math, the monitors' scanner, the vassal
 * table, a vassal's argv and the tyrant-jail policy. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "emperor/emperor.h"
#include "emperor/monitor.h"
#include "emperor/throttle.h"
#include "server/vassal.h"
#include "emperor/vassal_table.h"

/* ---- global throttle ------------------------------------------------------------ */

Test(throttle, warm_up_spaces_spawns_10ms_without_raising)
{
	struct throttle t;
	throttle_init(&t, 1000, 180000);
	cr_assert_eq(throttle_next(&t), 0, "the first spawn is immediate");
	for (long long now = 0; now < 100; now += 10) {
		cr_assert_leq(throttle_next(&t), now);
		throttle_spawned(&t, now);
		cr_assert_eq(throttle_next(&t), now + THROTTLE_WARMUP_MS);
	}
	cr_assert_eq(t.level_ms, 1000);
}

Test(throttle, doubles_when_spawns_are_closer_than_a_second)
{
	struct throttle t;
	throttle_init(&t, 200, 1500);
	throttle_warm(&t);
	throttle_spawned(&t, 0);
	cr_assert_eq(throttle_next(&t), 200);
	throttle_spawned(&t, 200);
	cr_assert_eq(t.level_ms, 400);
	cr_assert_eq(throttle_next(&t), 600);
	throttle_spawned(&t, 600);
	cr_assert_eq(t.level_ms, 800);
	throttle_spawned(&t, 1400);
	cr_assert_eq(t.level_ms, 1500, "capped at the maximum");
	throttle_spawned(&t, 2900);   /* 1500 ms later: halves */
	cr_assert_eq(t.level_ms, 750);
	throttle_spawned(&t, 10000);
	cr_assert_eq(t.level_ms, 375);
	throttle_spawned(&t, 20000);
	cr_assert_eq(t.level_ms, 200, "never below emperor-throttle");
}

Test(throttle, default_level_is_one_spawn_per_throttle_period)
{
	struct throttle t;
	throttle_init(&t, 1000, 180000);
	throttle_warm(&t);
	long long now = 0;
	for (int i = 0; i < 20; i++) {
		if (throttle_next(&t) > now)
			now = throttle_next(&t);
		throttle_spawned(&t, now);
	}
	cr_assert_eq(t.level_ms, 1000);
	cr_assert_eq(now, 19000);
}

Test(throttle, bad_bounds_are_sane)
{
	struct throttle t;
	throttle_init(&t, 0, 0);
	cr_assert_eq(t.base_ms, 1);
	cr_assert_eq(t.max_ms, 1);
	throttle_init(&t, 500, 100);
	cr_assert_eq(t.max_ms, 500);
}

/* ---- blacklist ---------------------------------------------------------------------- */

Test(blacklist, levels_grow_by_the_throttle_then_halve_at_the_maximum)
{
	struct blacklist b = { 0 };
	cr_assert_eq(blacklist_add(&b, "a.ini", 0, 100, 1000, 3000), BL_ADDED);
	const struct blacklist_item *it = blacklist_find(&b, "a.ini");
	cr_assert_eq(it->level_ms, 1000);
	cr_assert_eq(it->attempt, 0);
	cr_assert_eq(blacklist_wait(&b, "a.ini", 0), 1000);
	cr_assert_eq(blacklist_wait(&b, "a.ini", 400), 600);
	cr_assert_eq(blacklist_wait(&b, "a.ini", 1000), 0);
	cr_assert_eq(blacklist_add(&b, "a.ini", 1500, 101, 1000, 3000), BL_RAISED);
	cr_assert_eq(it->level_ms, 2000);
	cr_assert_eq(blacklist_wait(&b, "a.ini", 1500), 2000);
	cr_assert_eq(blacklist_add(&b, "a.ini", 4000, 104, 1000, 3000), BL_THROTTLING, "third failure");
	cr_assert_eq(it->level_ms, 3000);
	cr_assert_eq(it->attempt, 2);
	cr_assert_eq(blacklist_add(&b, "a.ini", 8000, 108, 1000, 3000), BL_MAX_REACHED);
	cr_assert_eq(it->level_ms, 1500);
	cr_assert_eq(blacklist_add(&b, "a.ini", 9600, 109, 1000, 3000), BL_RAISED);
	cr_assert_eq(it->level_ms, 2500);
	cr_assert_eq(it->first_unix, 100);
	cr_assert_eq(it->last_unix, 109);
	cr_assert_eq(it->first_ms, 0);
	cr_assert_eq(it->last_ms, 9600);
	blacklist_clear(&b);
}

Test(blacklist, entries_are_per_vassal_and_removable)
{
	struct blacklist b = { 0 };
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof(id), "v%d.ini", i);
		blacklist_add(&b, id, 0, 0, 100, 1000);
	}
	cr_assert_eq(b.n, 20);
	cr_assert_eq(blacklist_wait(&b, "other.ini", 0), 0, "not listed: no wait");
	cr_assert(blacklist_remove(&b, "v7.ini"));
	cr_assert_not(blacklist_remove(&b, "v7.ini"));
	cr_assert_null(blacklist_find(&b, "v7.ini"));
	cr_assert_not_null(blacklist_find(&b, "v8.ini"));
	cr_assert_not_null(blacklist_find(&b, "v19.ini"));
	cr_assert_eq(b.n, 19);
	blacklist_clear(&b);
	cr_assert_eq(b.n, 0);
	cr_assert_eq(blacklist_wait(&b, "v8.ini", 0), 0);
}

/* ---- monitors ---------------------------------------------------------------------- */

Test(monitor, vassal_names)
{
	char *extra[] = { ".conf" };
	struct monitor_opts o = { extra, 1, false, false };
	cr_assert_str_eq(vassal_flag("app.ini", &o), "--ini");
	cr_assert_str_eq(vassal_flag("app.json", &o), "--json");
	cr_assert_str_eq(vassal_flag("app.js", &o), "--json");
	cr_assert_str_eq(vassal_flag("site.conf", &o), "--ini");
	cr_assert_str_eq(vassal_flag("/srv/v.d/app.ini", &o), "--ini");
	cr_assert_null(vassal_flag("site.conf", NULL));
	cr_assert_null(vassal_flag("app.yaml", &o));
	cr_assert_null(vassal_flag("app.ini.swp", &o));
	cr_assert_null(vassal_flag(".app.ini", &o), "hidden files are editors' scratch");
	cr_assert_null(vassal_flag("/srv/v/.#app.ini", &o));
	cr_assert_null(vassal_flag(".ini", &o));
	cr_assert_null(vassal_flag("ini", &o));
	cr_assert_null(vassal_flag("/srv/x.ini/", &o));
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + 260, ".ini");
	cr_assert_null(vassal_flag(longname, &o), "255 bytes at most");
}

static char *mkscratch(void)
{
	char tmpl[] = "/tmp/stockade-emperor-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void writef(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void rmrf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

Test(monitor, kinds)
{
	char *d = mkscratch(), err[256];
	struct monitor m;
	cr_assert_eq(monitor_init(&m, d, err, sizeof(err)), 0);
	cr_assert_eq(m.kind, MON_DIR);
	cr_assert_str_eq(m.path, d);
	cr_assert_str_eq(m.watch_dir, d);
	monitor_free(&m);

	char *g = xasprintf("%s/*.ini", d);
	cr_assert_eq(monitor_init(&m, g, err, sizeof(err)), 0);
	cr_assert_eq(m.kind, MON_GLOB);
	cr_assert_str_eq(m.watch_dir, d, "the pattern's directory is watched");
	monitor_free(&m);
	free(g);

	cr_assert_eq(monitor_init(&m, "/srv/*/vassal.ini", err, sizeof(err)), 0);
	cr_assert_eq(m.kind, MON_GLOB);
	cr_assert_null(m.watch_dir, "a wildcard directory: periodic rescans only");
	monitor_free(&m);

	cr_assert_eq(monitor_init(&m, "*.ini", err, sizeof(err)), 0);
	cr_assert_str_eq(m.watch_dir, ".");
	monitor_free(&m);

	cr_assert_eq(monitor_init(&m, "mongodb://x", err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown imperial monitor 'mongodb'"), "%s", err);
	g = xasprintf("%s/missing/", d);
	cr_assert_eq(monitor_init(&m, g, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not a directory"), "%s", err);
	free(g);
	rmrf(d);
	free(d);
}

Test(monitor, dir_scan)
{
	char *d = mkscratch(), err[256];
	writef(d, "b.ini", "[uwsgi]\n");
	writef(d, "a.json", "{}");
	writef(d, "c.txt", "x");
	writef(d, ".hidden.ini", "x");
	char *sub = xasprintf("%s/dir.ini", d);
	cr_assert_eq(mkdir(sub, 0755), 0);
	char *link = xasprintf("%s/link.ini", d), *target = xasprintf("%s/b.ini", d);
	cr_assert_eq(symlink(target, link), 0);
	char *dangling = xasprintf("%s/dangling.ini", d);
	cr_assert_eq(symlink("/nonexistent/x.ini", dangling), 0);
	struct timespec times[2] = { { 1000000000, 5 }, { 1000000000, 5 } };
	cr_assert_eq(utimensat(AT_FDCWD, target, times, 0), 0);

	struct monitor m;
	cr_assert_eq(monitor_init(&m, d, err, sizeof(err)), 0);
	struct monitor_opts o = { NULL, 0, false, false };
	struct scan_result r;
	cr_assert_eq(monitor_scan(&m, &o, &r), 0);
	cr_assert_eq(r.n, 3);
	cr_assert_str_eq(r.v[0].name, "a.json");
	cr_assert_str_eq(r.v[0].flag, "--json");
	cr_assert_str_eq(r.v[1].name, "b.ini");
	cr_assert_str_eq(r.v[2].name, "link.ini");
	cr_assert_eq(r.v[1].mtime.tv_sec, 1000000000);
	cr_assert_eq(r.v[1].mtime.tv_nsec, 5, "nanoseconds count: two changes in one second are two");
	cr_assert_eq(r.v[2].mtime.tv_sec, 1000000000, "a symlink's target mtime");
	cr_assert_eq(r.v[1].uid, getuid());
	scan_result_free(&r);

	o.nofollow = true;
	cr_assert_eq(monitor_scan(&m, &o, &r), 0);
	cr_assert_eq(r.n, 3);
	cr_assert_neq(r.v[2].mtime.tv_sec, 1000000000, "nofollow: the link's own mtime");
	scan_result_free(&r);
	monitor_free(&m);

	rmrf(d);
	cr_assert_eq(monitor_init(&m, "/tmp", err, sizeof(err)), 0);
	free(m.path);
	m.path = xstrdup(d);    /* the directory went away */
	cr_assert_eq(monitor_scan(&m, &o, &r), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(r.n, 0);
	monitor_free(&m);
	free(sub);
	free(link);
	free(target);
	free(dangling);
	free(d);
}

Test(monitor, glob_scan)
{
	char *d = mkscratch(), err[256];
	writef(d, "x.ini", "x");
	writef(d, "y.ini", "x");
	writef(d, "z.json", "x");
	char *g = xasprintf("%s/*.ini", d);
	struct monitor m;
	cr_assert_eq(monitor_init(&m, g, err, sizeof(err)), 0);
	struct scan_result r;
	cr_assert_eq(monitor_scan(&m, NULL, &r), 0);
	cr_assert_eq(r.n, 2);
	char *x = xasprintf("%s/x.ini", d);
	cr_assert_str_eq(r.v[0].name, x, "glob vassals are named by their path");
	scan_result_free(&r);
	monitor_free(&m);
	free(g);
	g = xasprintf("%s/*.none", d);
	cr_assert_eq(monitor_init(&m, g, err, sizeof(err)), 0);
	cr_assert_eq(monitor_scan(&m, NULL, &r), 0);
	cr_assert_eq(r.n, 0);
	monitor_free(&m);
	free(g);
	free(x);
	rmrf(d);
	free(d);
}

/* ---- vassal table -------------------------------------------------------------------- */

Test(vassal_table, add_find_remove_many)
{
	struct vassal_table t;
	vt_init(&t);
	char name[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "v%04d.ini", i);
		struct vassal *v = vt_add(&t, i % 3, name);
		v->pid = 10000 + i;
		cr_assert_eq(v->state, V_PENDING);
		cr_assert_eq(v->fd, -1);
	}
	cr_assert_eq(t.n, 2000);
	cr_assert_not_null(vt_find(&t, 1, "v0001.ini"));
	cr_assert_null(vt_find(&t, 0, "v0001.ini"), "keyed by monitor too");
	cr_assert_eq(vt_by_pid(&t, 10500)->pid, 10500);
	for (int i = 0; i < 2000; i += 2) {
		snprintf(name, sizeof(name), "v%04d.ini", i);
		vt_remove(&t, vt_find(&t, i % 3, name));
	}
	cr_assert_eq(t.n, 1000);
	for (size_t i = 0; i < t.n; i++)
		cr_assert_eq(t.v[i]->idx, i);
	cr_assert_str_eq(t.v[0]->name, "v0001.ini", "insertion order is kept");
	cr_assert_null(vt_find(&t, 2, "v0002.ini"));
	cr_assert_not_null(vt_find(&t, 0, "v1999.ini") ? vt_find(&t, 0, "v1999.ini") : vt_find(&t, 1999 % 3, "v1999.ini"));
	cr_assert_null(vt_by_pid(&t, 10002));
	vt_free(&t);
}

/* ---- argv and the tyrant policy --------------------------------------------------------- */

static int load(struct config *cfg, int argc, char **argv)
{
	struct loader L;
	int fd = open("/dev/null", O_WRONLY);
	log_set_file(fd);
	loader_init(&L);
	int rc = config_read_argv(&L, argc, argv);
	if (rc == 0)
		rc = config_resolve(&L);
	if (rc == 0)
		config_apply(&L, cfg);
	loader_free(&L);
	log_set_file(2);
	close(fd);
	return rc;
}

Test(emperor, vassal_argv_order)
{
	char *argv[] = { "stockade", "--emperor", "/srv/v", "--vassals-inherit", "/t/after.ini",
		"--vassals-include", "/t/inc.ini", "--vassals-inherit-before", "/t/before.ini",
		"--vassals-include-before", "/t/incb.ini", "--vassals-set", "processes=4", "--vassal-set", "a=b", NULL };
	struct config cfg;
	cr_assert_eq(load(&cfg, 15, argv), 0);
	char **v = emperor_vassal_argv(&cfg, "/bin/stockade", "--ini", "/srv/v/app.ini");
	const char *want[] = { "/bin/stockade", "--inherit", "/t/before.ini", "--include", "/t/incb.ini", "--set",
		"processes=4", "--set", "a=b", "--ini", "/srv/v/app.ini", "--inherit", "/t/after.ini", "--include",
		"/t/inc.ini", NULL };
	for (size_t i = 0; want[i]; i++)
		cr_assert_str_eq(v[i], want[i], "argv[%zu]", i);
	cr_assert_null(v[15]);
	free(v);
	config_free(&cfg);
}

static int policy(const char *owner, int argc, char **argv, char *err, size_t len, struct config *cfg)
{
	cr_assert_eq(load(cfg, argc, argv), 0);
	return vassal_tyrant_policy(cfg, owner, err, len);
}

Test(emperor, tyrant_policy_sets_the_owner)
{
	char *argv[] = { "stockade", "--http-socket", ":0", "--jail", "/srv/jail h n", NULL };
	struct config cfg;
	char err[256];
	cr_assert_eq(policy("1000:1001", 5, argv, err, sizeof(err), &cfg), 0, "%s", err);
	cr_assert_str_eq(cfg.uid, "1000");
	cr_assert_str_eq(cfg.gid, "1001");
	cr_assert(cfg.no_initgroups);
	config_free(&cfg);
	cr_assert_eq(policy("1000:1001:initgroups", 5, argv, err, sizeof(err), &cfg), 0, "%s", err);
	cr_assert_not(cfg.no_initgroups);
	config_free(&cfg);
}

Test(emperor, tyrant_policy_refusals)
{
	struct {
		char *opt, *val;
		const char *msg;
	} cases[] = {
		{ "--uid", "0", "uid '0' is not the owner" },
		{ "--uid", "1001", "uid '1001' is not the owner" },
		{ "--gid", "0", "gid '0' is not the group" },
		{ "--chroot", "/", "option 'chroot' is not allowed" },
		{ "--pidfile", "/etc/x", "option 'pidfile' is not allowed" },
		{ "--logto", "/etc/x", "option 'logto' is not allowed" },
		{ "--shared-socket", ":80", "option 'shared-socket' is not allowed" },
		{ "--jail-attach", "other", "option 'jail-attach' is not allowed" },
		{ "--add-gid", "0", "option 'add-gid' is not allowed" },
		{ "--emperor", "/srv", "option 'emperor' is not allowed" },
		{ "--exec-as-root", "id", "as-root hooks are not allowed" },
		{ "--hook-pre-jail", "print:x", "pre-jail hooks are not allowed" },
		{ "--mount-in-jail", "tmpfs none /tmp", "in-jail hooks are not allowed" },
		{ "--exec-asap", "id", "asap hooks are not allowed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "stockade", cases[i].opt, cases[i].val, NULL };
		struct config cfg;
		char err[256] = "";
		cr_assert_eq(policy("1000:1000", 3, argv, err, sizeof(err), &cfg), -1, "%s %s", cases[i].opt, cases[i].val);
		cr_assert(strstr(err, cases[i].msg), "%s: %s", cases[i].opt, err);
		config_free(&cfg);
	}
	/* allowed: after-drop hooks, the owner's own ids */
	char *ok[] = { "stockade", "--exec-as-user", "id", "--uid", "1000", "--gid", "1000", NULL };
	struct config cfg;
	char err[256] = "";
	cr_assert_eq(policy("1000:1000", 7, ok, err, sizeof(err), &cfg), 0, "%s", err);
	config_free(&cfg);
	char *none[] = { "stockade", NULL };
	cr_assert_eq(policy("0:1000", 1, none, err, sizeof(err), &cfg), -1, "root is never an owner");
	config_free(&cfg);
	cr_assert_eq(policy("1000", 1, none, err, sizeof(err), &cfg), -1);
	config_free(&cfg);
	cr_assert_eq(policy("1000:1000:x", 1, none, err, sizeof(err), &cfg), -1);
	config_free(&cfg);
}
