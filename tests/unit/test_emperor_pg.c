/* SPDX-License-Identifier: MIT */
/* The pg:// monitor without a database: its argument, password masking,
 * row names, epoch timestamps and row checks; and the vassal fetching its
 * config over a socketpair as the Emperor pushes it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"
#include "emperor/monitor.h"
#include "emperor/monitor_pg.h"
#include "server/vassal.h"
#include "emperor/vassal_exec.h"

Test(pg_arg, conninfo_and_optional_query)
{
	char *ci, *q, err[256];
	cr_assert_eq(pg_split_arg("host=/tmp dbname=x", &ci, &q, err, sizeof(err)), 0);
	cr_assert_str_eq(ci, "host=/tmp dbname=x");
	cr_assert_null(q);
	free(ci);
	cr_assert_eq(pg_split_arg("dbname=x;  SELECT a, b, c FROM t", &ci, &q, err, sizeof(err)), 0);
	cr_assert_str_eq(ci, "dbname=x");
	cr_assert_str_eq(q, "SELECT a, b, c FROM t");
	free(ci);
	free(q);
	cr_assert_eq(pg_split_arg("dbname=x;  ", &ci, &q, err, sizeof(err)), -1);
	cr_assert(strstr(err, "empty query"), "%s", err);
}

Test(pg_arg, passwords_are_masked)
{
	struct { const char *in, *out; } cases[] = {
		{ "pg://host=/tmp password=s3cret dbname=x", "pg://host=/tmp password=*** dbname=x" },
		{ "pg://password = 'a b\\' c' dbname=x", "pg://password = *** dbname=x" },
		{ "pg://PASSWORD=x", "pg://PASSWORD=***" },
		{ "pg://postgresql://bob:hunter2@db.example/vassals", "pg://postgresql://bob:***@db.example/vassals" },
		{ "pg://postgresql://db/v?user=bob&password=hunter2&sslmode=require",
		  "pg://postgresql://db/v?user=bob&password=***&sslmode=require" },
		{ "pg://host=/tmp dbname=x;SELECT 1", "pg://host=/tmp dbname=x;SELECT 1" },
		{ "pg://user=passwordless dbname=x", "pg://user=passwordless dbname=x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = pg_mask_arg(cases[i].in);
		cr_assert_str_eq(m, cases[i].out, "case %zu", i);
		cr_assert_null(strstr(m, "hunter2"));
		cr_assert_null(strstr(m, "s3cret"));
		free(m);
	}
}

Test(pg_arg, monitor_init_describes_a_pg_monitor_masked)
{
	struct monitor m;
	char err[256];
	cr_assert_eq(monitor_init(&m, "pg://dbname=x password=pw", err, sizeof(err)), 0);
	cr_assert_eq(m.kind, MON_PG);
	cr_assert_str_eq(m.arg, "pg://dbname=x password=***");
	cr_assert_null(m.watch_dir);
	monitor_free(&m);
}

Test(pg_arg, malformed_conninfo_is_refused_without_the_password)
{
	char err[256];
	struct pg_monitor *pm = pg_monitor_new("pg://password=topsecret nokey", NULL, err, sizeof(err));
	cr_assert_null(pm);
	cr_assert(strstr(err, "pg://password=*** nokey"), "%s", err);
	cr_assert_null(strstr(err, "topsecret"), "%s", err);
	struct pg_opts o = { "node7", "", false };
	pm = pg_monitor_new("pg://dbname=x", &o, err, sizeof(err));
	cr_assert_not_null(pm, "%s", err);
	pg_monitor_free(pm);
}

Test(pg_names, safe_names_only)
{
	const char *good[] = { "app", "app.ini", "my-app_2.json", "a" };
	const char *bad[] = { "", ".hidden", "../etc/passwd", "a/b", "a b", "a:zerg", "x;rm", "tab\there", "é" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(pg_name_ok(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(pg_name_ok(bad[i]), "%s", bad[i]);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_not(pg_name_ok(longname));
	longname[VASSAL_NAME_MAX - 1] = '\0';
	cr_assert(pg_name_ok(longname));
}

Test(pg_epoch, decimal_seconds)
{
	struct timespec ts;
	cr_assert_eq(pg_parse_epoch("1700000000", &ts), 0);
	cr_assert_eq(ts.tv_sec, 1700000000);
	cr_assert_eq(ts.tv_nsec, 0);
	cr_assert_eq(pg_parse_epoch("1700000000.123456", &ts), 0);
	cr_assert_eq(ts.tv_sec, 1700000000);
	cr_assert_eq(ts.tv_nsec, 123456000);
	cr_assert_eq(pg_parse_epoch("0.5", &ts), 0);
	cr_assert_eq(ts.tv_nsec, 500000000);
	const char *bad[] = { "", "-1", "1.", ".5", "12a", "1e9", " 1", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(pg_parse_epoch(bad[i], &ts), -1, "%s", bad[i]);
}

static void entry_free(struct scan_entry *e)
{
	free(e->name);
	free(e->config);
	free(e->socket);
}

Test(pg_rows, a_good_row)
{
	char *col[] = { "app.json", "{\"uwsgi\": {}}", "1700000000.5", "1000", "1001" };
	struct scan_entry e;
	char err[256];
	cr_assert_eq(pg_row_entry(col, 5, true, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(e.name, "app.json");
	cr_assert_str_eq(e.flag, "--json");
	cr_assert_str_eq(e.config, "{\"uwsgi\": {}}");
	cr_assert_eq(e.mtime.tv_sec, 1700000000);
	cr_assert_eq(e.uid, 1000);
	cr_assert_eq(e.gid, 1001);
	entry_free(&e);
	char *plain[] = { "app", "[uwsgi]\n", "1" };
	cr_assert_eq(pg_row_entry(plain, 3, false, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(e.flag, "--ini", "ini unless the name says JSON");
	cr_assert_eq(e.uid, 0);
	cr_assert_null(e.socket);
	entry_free(&e);
}

Test(pg_rows, sixth_column_is_an_on_demand_socket)
{
	char *col[] = { "app", "[uwsgi]\n", "1", "0", "0", "/run/app.socket" };
	struct scan_entry e;
	char err[256];
	cr_assert_eq(pg_row_entry(col, 6, false, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(e.socket, "/run/app.socket");
	entry_free(&e);
	char *empty[] = { "app", "[uwsgi]\n", "1", "0", "0", "" };
	cr_assert_eq(pg_row_entry(empty, 6, false, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(e.socket, "an empty socket column: not on demand");
	entry_free(&e);
}

Test(pg_rows, broken_rows_name_their_fault)
{
	struct { char *col[5]; int ncol; bool tyrant; const char *msg; } cases[] = {
		{ { "a", "x" }, 2, false, "needs name, config, epoch" },
		{ { NULL, "x", "1" }, 3, false, "name 'NULL' refused" },
		{ { "../x", "x", "1" }, 3, false, "name '../x' refused" },
		{ { "a\nb", "x", "1" }, 3, false, "name 'a?b' refused" },
		{ { "a", NULL, "1" }, 3, false, "vassal a: config is NULL" },
		{ { "a", "x", "yesterday" }, 3, false, "modification time 'yesterday'" },
		{ { "a", "x", NULL }, 3, false, "modification time 'NULL'" },
		{ { "a", "x", "1" }, 3, true, "tyrant mode needs numeric uid and gid" },
		{ { "a", "x", "1", NULL, "5" }, 5, true, "tyrant mode needs numeric uid and gid" },
		{ { "a", "x", "1", "-3", "5" }, 5, true, "tyrant mode needs numeric uid and gid" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scan_entry e;
		char err[256] = "";
		cr_assert_eq(pg_row_entry(cases[i].col, cases[i].ncol, cases[i].tyrant, &e, err, sizeof(err)), -1, "case %zu", i);
		cr_assert(strstr(err, cases[i].msg), "case %zu: %s", i, err);
		cr_assert_null(e.name);
		cr_assert_null(e.config);
	}
}

Test(pg_rows, config_size_is_bounded)
{
	char *big = xcalloc(PG_CONFIG_MAX + 2, 1);
	memset(big, 'x', PG_CONFIG_MAX + 1);
	char *col[] = { "big", big, "1" };
	struct scan_entry e;
	char err[256];
	cr_assert_eq(pg_row_entry(col, 3, false, &e, err, sizeof(err)), -1);
	cr_assert(strstr(err, "vassal big: config is 65536 bytes (at most 65535)"), "%s", err);
	big[PG_CONFIG_MAX] = '\0';
	cr_assert_eq(pg_row_entry(col, 3, false, &e, err, sizeof(err)), 0, "%s", err);
	entry_free(&e);
	free(big);
}

/* ---- the vassal side of "push my config" ----------------------------------------- */

static void set_fd_env(const char *name, int fd)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", fd);
	setenv(name, num, 1);
}

Test(pg_push, vassal_reads_the_pushed_packet)
{
	int main_sp[2], cfg_sp[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, main_sp), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, cfg_sp), 0);
	set_fd_env(EMPEROR_FD_ENV, main_sp[1]);
	set_fd_env(EMPEROR_FD_CONFIG_ENV, cfg_sp[1]);
	const char *text = "[uwsgi]\nprocesses = 2\n";
	unsigned char hdr[4] = { 115, (unsigned char)strlen(text), 0, 0 };
	/* the answer is already waiting: the request byte must still be sent */
	cr_assert_eq(write(cfg_sp[0], hdr, 4), 4);
	cr_assert_eq(write(cfg_sp[0], text, strlen(text)), (ssize_t)strlen(text));
	size_t len;
	char err[256];
	char *got = vassal_config_fetch(&len, err, sizeof(err));
	cr_assert_not_null(got, "%s", err);
	cr_assert_str_eq(got, text);
	cr_assert_eq(len, strlen(text));
	unsigned char asked;
	cr_assert_eq(read(main_sp[0], &asked, 1), 1);
	cr_assert_eq(asked, VASSAL_MSG_CONFIG);
	free(got);

	/* a wrong modifier, then the Emperor gone */
	unsigned char wrong[4] = { 0, 0, 0, 0 };
	cr_assert_eq(write(cfg_sp[0], wrong, 4), 4);
	cr_assert_null(vassal_config_fetch(&len, err, sizeof(err)));
	cr_assert(strstr(err, "modifier1 0, not 115"), "%s", err);
	close(cfg_sp[0]);
	cr_assert_null(vassal_config_fetch(&len, err, sizeof(err)));
	cr_assert(strstr(err, "no answer from the Emperor"), "%s", err);
	unsetenv(EMPEROR_FD_CONFIG_ENV);
	cr_assert_null(vassal_config_fetch(&len, err, sizeof(err)));
	cr_assert(strstr(err, "UWSGI_EMPEROR_FD_CONFIG unset"), "%s", err);
	unsetenv(EMPEROR_FD_ENV);
	close(main_sp[0]);
	close(main_sp[1]);
	close(cfg_sp[1]);
}
