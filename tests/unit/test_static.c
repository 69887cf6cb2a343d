/* SPDX-License-Identifier: MIT */
/*
 * Static files: the path normaliser, confinement to the mapped directory
 * (realpath: '..' and symlinks), the Expires rules, MIME types, HTTP dates,
 * and static_serve() through a recording request_io, in a private temp dir.
 */
#include "config/config.h"
#include "server/static_files.h"

#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- normaliser and confinement ------------------------------------------ */

static const char *norm(const char *in)
{
	static char out[PATH_MAX];
	return static_normalize(in, strlen(in), out, sizeof(out)) == 0 ? out : NULL;
}

Test(static_normalize, collapses_and_resolves)
{
	cr_assert_str_eq(norm(""), "/");
	cr_assert_str_eq(norm("/"), "/");
	cr_assert_str_eq(norm("a.txt"), "/a.txt");
	cr_assert_str_eq(norm("//a///b//"), "/a/b");
	cr_assert_str_eq(norm("/a/./b/."), "/a/b");
	cr_assert_str_eq(norm("/a/b/../c"), "/a/c");
	cr_assert_str_eq(norm("/a/.."), "/");
	cr_assert_str_eq(norm("/..a/b..c/...d"), "/..a/b..c/...d");
}

Test(static_normalize, refuses_escapes_and_nul)
{
	cr_assert_null(norm("/.."));
	cr_assert_null(norm("/../etc/passwd"));
	cr_assert_null(norm("/a/../../b"));
	cr_assert_null(norm("a/./../.."));
	char out[PATH_MAX];
	cr_assert_eq(static_normalize("/a\0b", 4, out, sizeof(out)), -1);
	cr_assert_eq(static_normalize("/abcdef", 7, out, 4), -1, "too small an output must fail");
}

Test(static_path_within, component_boundary)
{
	cr_assert(static_path_within("/srv/www", "/srv/www"));
	cr_assert(static_path_within("/srv/www", "/srv/www/a"));
	cr_assert(static_path_within("/srv/www/", "/srv/www/a"));
	cr_assert_not(static_path_within("/srv/www", "/srv/www2/a"), "a sibling with a common prefix is outside");
	cr_assert_not(static_path_within("/srv/www", "/srv"));
	cr_assert(static_path_within("/", "/anything"));
}

/* ---- expires, mime, dates ------------------------------------------------ */

Test(static_expires, parse_spec)
{
	char re[64];
	unsigned long s = 0;
	cr_assert_eq(static_parse_expires("\\.css$ 3600", re, sizeof(re), &s), 0);
	cr_assert_str_eq(re, "\\.css$");
	cr_assert_eq(s, 3600);
	cr_assert_eq(static_parse_expires("a b  86400", re, sizeof(re), &s), 0, "the last space separates");
	cr_assert_str_eq(re, "a b");
	cr_assert_eq(s, 86400);
	cr_assert_eq(static_parse_expires("noseconds", re, sizeof(re), &s), -1);
	cr_assert_eq(static_parse_expires("x -1", re, sizeof(re), &s), -1);
	cr_assert_eq(static_parse_expires("x 12abc", re, sizeof(re), &s), -1);
	cr_assert_eq(static_parse_expires(" 10", re, sizeof(re), &s), -1);
}

Test(static_mime, builtin_types)
{
	cr_assert_str_eq(static_mime_type("/x/style.CSS"), "text/css");
	cr_assert_str_eq(static_mime_type("a.png"), "image/png");
	cr_assert_null(static_mime_type("/x.d/README"), "a dot in a directory is no extension");
	cr_assert_null(static_mime_type("file."));
}

Test(static_dates, round_trip_and_strictness)
{
	char d[STATIC_DATE_MAX];
	static_http_date(784111777, d);
	cr_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	cr_assert_eq(static_parse_http_date(d, strlen(d)), 784111777);
	const char *bad[] = { "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sun, 06 Xyz 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(static_parse_http_date(bad[i], strlen(bad[i])), -1, "%s", bad[i]);
}

/* ---- static_serve through a recording request_io -------------------------- */

struct rec {
	char status[64];
	char headers[1024];
	int64_t file_bytes;
	int calls_file;
};

static struct rec R;

static int rec_head(void *ctx, const char *status, size_t status_len, const struct kv *h, size_t n, int64_t cl)
{
	(void)ctx;
	(void)cl;
	snprintf(R.status, sizeof(R.status), "%.*s", (int)status_len, status);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(R.headers);
		snprintf(R.headers + len, sizeof(R.headers) - len, "%.*s: %.*s\n", (int)h[i].key_len, h[i].key,
		         (int)h[i].val_len, h[i].val);
	}
	return 0;
}

static int rec_file(void *ctx, int fd, off_t off, int64_t count)
{
	(void)ctx;
	(void)off;
	cr_assert_geq(fd, 0);
	R.file_bytes += count;
	R.calls_file++;
	return 0;
}

static char dir[64];
static struct config cfg;
static struct origin where = { "test.ini", 1 };

static void list_add(struct strlist *l, const char *v)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(char *));
	l->origin = realloc(l->origin, (l->n + 1) * sizeof(struct origin));
	l->v[l->n] = strdup(v);
	l->origin[l->n] = where;
	l->n++;
}

static void write_file(const char *rel, const char *text)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/stockade-static-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/www", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/www2", dir);
	mkdir(p, 0755);
	write_file("www/a.css", "body{}\n");
	write_file("www/a.txt", "hello\n");
	write_file("www2/b.txt", "sibling\n");
	write_file("secret.txt", "secret\n");
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/secret.txt", dir);
	snprintf(p, sizeof(p), "%s/www/link.txt", dir);
	cr_assert_eq(symlink(target, p), 0);
	memset(&cfg, 0, sizeof(cfg));
	char map[PATH_MAX + 16];
	snprintf(map, sizeof(map), "/static=%s/www", dir);
	list_add(&cfg.static_map, map);
	list_add(&cfg.static_expires_uri, "\\.css$ 3600");
	list_add(&cfg.static_expires, "/a\\.txt$ 60");
	cfg.mimefile = NULL;
	cr_assert_eq(static_init(&cfg), 0);
	memset(&R, 0, sizeof(R));
}

static void teardown(void)
{
	static_free();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static int serve(const char *method, const char *path_info, const char *uri)
{
	struct kv v[3] = {
		{ "REQUEST_METHOD", 14, method, strlen(method) },
		{ "PATH_INFO", 9, path_info, strlen(path_info) },
		{ "REQUEST_URI", 11, uri, strlen(uri) },
	};
	struct request_io io = { NULL, NULL, rec_head, NULL, rec_file, 0 };
	return static_serve(v, 3, &io);
}

TestSuite(static_serve, .init = setup, .fini = teardown);

Test(static_serve, expires_uri_regex)
{
	cr_assert_eq(serve("GET", "/static/a.css", "/static/a.css"), 0);
	cr_assert_str_eq(R.status, "200 OK");
	cr_assert(strstr(R.headers, "Content-Type: text/css\n"), "%s", R.headers);
	cr_assert(strstr(R.headers, "Content-Length: 7\n"), "%s", R.headers);
	cr_assert(strstr(R.headers, "Cache-Control: max-age=3600\n"), "%s", R.headers);
	cr_assert(strstr(R.headers, "Expires: "), "%s", R.headers);
	cr_assert_eq(R.file_bytes, 7);
}

Test(static_serve, expires_by_file_name)
{
	cr_assert_eq(serve("HEAD", "/static/a.txt", "/static/a.txt"), 0);
	cr_assert(strstr(R.headers, "Cache-Control: max-age=60\n"), "%s", R.headers);
}

Test(static_serve, no_expires_without_a_match)
{
	/* the uri regex is anchored at .css$: a query string defeats it */
	cr_assert_eq(serve("GET", "/static/a.css", "/static/a.css?v=1"), 0);
	cr_assert_null(strstr(R.headers, "Expires"), "%s", R.headers);
}

Test(static_serve, confinement)
{
	cr_assert_eq(serve("GET", "/static/link.txt", "/static/link.txt"), STATIC_PASS, "symlink out of the map");
	cr_assert_eq(serve("GET", "/static/../secret.txt", "/x"), STATIC_PASS, "dot-dot");
	cr_assert_eq(serve("GET", "/static/../www2/b.txt", "/x"), STATIC_PASS, "sibling with a common prefix");
	cr_assert_eq(serve("GET", "/static/missing", "/x"), STATIC_PASS);
	cr_assert_eq(serve("GET", "/static", "/x"), STATIC_PASS, "a directory without static-index");
	cr_assert_eq(serve("POST", "/static/a.txt", "/x"), STATIC_PASS, "only GET and HEAD");
	cr_assert_eq(R.calls_file, 0);
}

Test(static_serve, static_safe_allows_the_symlink_target)
{
	static_free();
	list_add(&cfg.static_safe, dir);
	cr_assert_eq(static_init(&cfg), 0);
	cr_assert_eq(serve("GET", "/static/link.txt", "/static/link.txt"), 0);
	cr_assert_eq(R.file_bytes, 7);
}

Test(static_serve, bad_config_is_an_error)
{
	static_free();
	struct config bad;
	memset(&bad, 0, sizeof(bad));
	list_add(&bad.static_map, "/static=/nonexistent/stockade/dir");
	cr_assert_eq(static_init(&bad), -1);
	memset(&bad, 0, sizeof(bad));
	list_add(&bad.static_map, "/static");
	cr_assert_eq(static_init(&bad), -1);
	memset(&bad, 0, sizeof(bad));
	char map[PATH_MAX + 16];
	snprintf(map, sizeof(map), "/s=%s", dir);
	list_add(&bad.static_map, map);
	list_add(&bad.static_expires_uri, "([ 10");
	cr_assert_eq(static_init(&bad), -1, "a bad regex");
}
