/* SPDX-License-Identifier: MIT */
/*
 * Embedded Python / WSGI runtime. A fake request_io serves the request body
 * in small pieces and records the response; the apps live in
 * tests/unit/fixtures/apps.py. Criterion runs every test in its own
 * process, so each one starts its own interpreter.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "python/wsgi.h"

#define FIXTURES "tests/unit/fixtures"
#define APPS FIXTURES "/apps.py"

/* ---- fake request_io ---------------------------------------------------- */

struct fake {
	/* request body, handed out at most `piece` bytes per read */
	const char *body;
	size_t body_len, pos, piece;
	int reads, zero_reads;
	bool read_fails;	/* read_body returns -1 */
	size_t over_asks;	/* reads asking for more than the body has left */
	unsigned sleep_ms;	/* sleep in the first read */

	/* response */
	char status[128];
	struct strbuf headers;	/* "Name: value\n" */
	int64_t content_length;
	int heads;
	struct strbuf out;
	int sendfiles;
	off_t sf_offset;
	int64_t sf_count;
	int fail_body_after;	/* send_body fails once this many succeeded; -1 never */
	int bodies;
};

static ssize_t fake_read(void *ctx, char *buf, size_t n)
{
	struct fake *f = ctx;
	size_t left = f->body_len - f->pos;

	f->reads++;
	if (f->sleep_ms) {
		usleep(f->sleep_ms * 1000);
		f->sleep_ms = 0;
	}
	if (f->read_fails)
		return -1;
	if (n > left)
		f->over_asks++;
	if (left == 0) {
		f->zero_reads++;
		return 0;
	}
	if (n > left)
		n = left;
	if (f->piece && n > f->piece)
		n = f->piece;
	memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static int fake_head(void *ctx, const char *status, size_t status_len,
                     const struct kv *h, size_t nh, int64_t content_length)
{
	struct fake *f = ctx;

	f->heads++;
	snprintf(f->status, sizeof(f->status), "%.*s", (int)status_len, status);
	for (size_t i = 0; i < nh; i++)
		sb_addf(&f->headers, "%.*s: %.*s\n", (int)h[i].key_len, h[i].key,
		        (int)h[i].val_len, h[i].val);
	f->content_length = content_length;
	return 0;
}

static int fake_body(void *ctx, const char *data, size_t len)
{
	struct fake *f = ctx;

	cr_assert_eq(f->heads, 1, "body before head");
	if (f->fail_body_after >= 0 && f->bodies >= f->fail_body_after)
		return -1;
	f->bodies++;
	sb_add(&f->out, data, len);
	return 0;
}

static int fake_file(void *ctx, int fd, off_t offset, int64_t count)
{
	struct fake *f = ctx;
	char buf[4096];

	cr_assert_eq(f->heads, 1, "file before head");
	f->sendfiles++;
	f->sf_offset = offset;
	f->sf_count = count;
	while (count != 0) {
		size_t want = count < 0 || count > (int64_t)sizeof(buf) ? sizeof(buf) : (size_t)count;
		ssize_t n = pread(fd, buf, want, offset);
		if (n <= 0)
			break;
		sb_add(&f->out, buf, (size_t)n);
		offset += n;
		if (count > 0)
			count -= n;
	}
	return 0;
}

static struct fake fake;
static struct request_io fake_io = {
	.ctx = &fake,
	.read_body = fake_read,
	.send_head = fake_head,
	.send_body = fake_body,
	.send_file = fake_file,
};

/* failures for the next fake_reset() to arm (then back to "never") */
static int next_fail_body_after = -1;
static bool next_read_fails;

static void fake_reset(const char *body, size_t piece)
{
	sb_free(&fake.headers);
	sb_free(&fake.out);
	memset(&fake, 0, sizeof(fake));
	fake.body = body ? body : "";
	fake.body_len = body ? strlen(body) : 0;
	fake.piece = piece;
	fake.content_length = -2;
	fake.fail_body_after = next_fail_body_after;
	fake.read_fails = next_read_fails;
	next_fail_body_after = -1;
	next_read_fails = false;
}

static const char *out(void)
{
	return fake.out.buf ? fake.out.buf : "";
}

static const char *headers(void)
{
	return fake.headers.buf ? fake.headers.buf : "";
}

/* ---- requests ----------------------------------------------------------- */

/* vars as "KEY=value" strings; runs one request on the fake io. */
static int request_vars(const char *const *vars, size_t n)
{
	struct kv kv[32];

	cr_assert(n <= 32);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(vars[i], '=');
		kv[i].key = vars[i];
		kv[i].key_len = (size_t)(eq - vars[i]);
		kv[i].val = eq + 1;
		kv[i].val_len = strlen(eq + 1);
	}
	return wsgi_handle(kv, n, &fake_io);
}

/* A request for PATH_INFO=path with QUERY_STRING=qs and, if body, its
 * CONTENT_LENGTH. */
static int request_path(const char *path, const char *qs, const char *body, size_t piece)
{
	char p[256], q[256], cl[64];
	const char *vars[] = {"REQUEST_METHOD=POST", p, "SERVER_PROTOCOL=HTTP/1.1", q, cl};

	fake_reset(body, piece);
	snprintf(p, sizeof(p), "PATH_INFO=%s", path);
	snprintf(q, sizeof(q), "QUERY_STRING=%s", qs ? qs : "");
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", body ? strlen(body) : (size_t)0);
	return request_vars(vars, 5);
}

static int request(const char *qs, const char *body, size_t piece)
{
	return request_path("/", qs, body, piece);
}

/* ---- log capture and set-up --------------------------------------------- */

static int logfd = -1;

static void setup(void)
{
	logfd = memfd_create("wsgi-log", 0);
	cr_assert(logfd >= 0);
	log_set_file(logfd);
}

static void teardown(void)
{
	wsgi_finalize();
	sb_free(&fake.headers);
	sb_free(&fake.out);
}

/* Everything logged so far (static buffer, NUL-terminated). */
static const char *logged(void)
{
	static char buf[65536];
	ssize_t n = pread(logfd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void load_cfg(const struct wsgi_config *cfg)
{
	cr_assert_eq(wsgi_init(cfg), 0, "init failed: %s", logged());
	cr_assert_eq(wsgi_load_app(), 0, "load failed: %s", logged());
}

static void load(const char *callable)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .callable = callable};
	load_cfg(&cfg);
}

TestSuite(wsgi, .init = setup, .fini = teardown);

/* ---- basic responses ---------------------------------------------------- */

Test(wsgi, hello_world_has_content_length)
{
	load("hello");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "200 OK");
	cr_assert_str_eq(headers(), "Content-Type: text/plain\nX-Test: yes\n");
	cr_assert_eq(fake.content_length, 13);
	cr_assert_str_eq(out(), "Hello, World!");
	cr_assert_eq(fake.heads, 1);
}

Test(wsgi, empty_list_is_length_zero)
{
	load("empty");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "204 No Content");
	cr_assert_eq(fake.content_length, 0);
	cr_assert_str_eq(out(), "");
}

Test(wsgi, generator_has_no_length)
{
	load("gen");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "200 OK");
	cr_assert_eq(fake.content_length, -1);
	cr_assert_str_eq(out(), "one two");
}

Test(wsgi, many_requests_one_interpreter)
{
	load("hello");
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(request(NULL, NULL, 0), 0);
		cr_assert_str_eq(out(), "Hello, World!");
	}
}

/* ---- environ ------------------------------------------------------------ */

static const char *environ_of(const char *const *vars, size_t n)
{
	fake_reset(NULL, 0);
	cr_assert_eq(request_vars(vars, n), 0, "%s", logged());
	return out();
}

static void assert_has_line(const char *text, const char *line)
{
	char *want = xasprintf("\n%s\n", line);
	char *hay = xasprintf("\n%s\n", text);
	cr_assert(strstr(hay, want), "missing line [%s] in:\n%s", line, text);
	free(want);
	free(hay);
}

Test(wsgi, environ_contents)
{
	load("environ_dump");
	const char *vars[] = {
		"REQUEST_METHOD=GET", "PATH_INFO=/caf\xe9", "QUERY_STRING=",
		"HTTP_X_CUSTOM=\xff\x01", "CONTENT_LENGTH=0", "X_UNCOMMON_NAME=1",
		"wsgi.errors=spoofed",
	};
	const char *env = environ_of(vars, 7);

	assert_has_line(env, "REQUEST_METHOD='GET'");
	assert_has_line(env, "PATH_INFO='/caf\\xe9'");	/* latin-1, not UTF-8 */
	assert_has_line(env, "QUERY_STRING=''");
	assert_has_line(env, "HTTP_X_CUSTOM='\\xff\\x01'");
	assert_has_line(env, "CONTENT_LENGTH='0'");
	assert_has_line(env, "X_UNCOMMON_NAME='1'");
	assert_has_line(env, "wsgi.version=(1, 0)");
	assert_has_line(env, "wsgi.url_scheme='http'");
	assert_has_line(env, "wsgi.input:Input");
	assert_has_line(env, "wsgi.input_terminated=True");
	assert_has_line(env, "wsgi.errors:ErrorStream");
	assert_has_line(env, "wsgi.multithread=False");
	assert_has_line(env, "wsgi.multiprocess=False");
	assert_has_line(env, "wsgi.run_once=False");
	assert_has_line(env, "wsgi.file_wrapper:type");
	assert_has_line(env, "keys_are_str=True");
	assert_has_line(env, "errors_api=True");
	assert_has_line(env, "file_wrapper_callable=True");
}

Test(wsgi, environ_flags_follow_config)
{
	struct wsgi_config cfg = {
		.wsgi_file = APPS, .callable = "environ_dump",
		.enable_threads = true, .multithread = true, .multiprocess = true,
	};
	load_cfg(&cfg);
	const char *vars[] = {"REQUEST_METHOD=GET"};
	const char *env = environ_of(vars, 1);
	assert_has_line(env, "wsgi.multithread=True");
	assert_has_line(env, "wsgi.multiprocess=True");
}

Test(wsgi, url_scheme_rules)
{
	load("environ_dump");
	const char *on[] = {"HTTPS=on"}, *one[] = {"HTTPS=1"}, *upper[] = {"HTTPS=ON"};
	const char *off[] = {"HTTPS=off"};
	const char *forced[] = {"HTTPS=on", "UWSGI_SCHEME=ws"};
	const char *forced_first[] = {"UWSGI_SCHEME=http", "HTTPS=1"};

	assert_has_line(environ_of(on, 1), "wsgi.url_scheme='https'");
	assert_has_line(environ_of(one, 1), "wsgi.url_scheme='https'");
	assert_has_line(environ_of(upper, 1), "wsgi.url_scheme='https'");
	assert_has_line(environ_of(off, 1), "wsgi.url_scheme='http'");
	assert_has_line(environ_of(forced, 2), "wsgi.url_scheme='ws'");
	assert_has_line(environ_of(forced_first, 2), "wsgi.url_scheme='http'");
}

/* ---- wsgi.input --------------------------------------------------------- */

#define BODY "line one\nline two\n\nlast line without newline"

/* Runs input_app in `mode` on BODY served 3 bytes at a time and checks
 * that the body was never over-asked for or read again after its end. */
static void check_input(const char *mode, const char *expect)
{
	cr_assert_eq(request(mode, BODY, 3), 0, "%s", logged());
	cr_assert_str_eq(out(), expect, "mode %s", mode);
	cr_assert_eq(fake.over_asks, 0, "mode %s asked past the body", mode);
	cr_assert_eq(fake.zero_reads, 0, "mode %s read after the end", mode);
}

Test(wsgi, input_read_variants)
{
	load("input_app");
	check_input("all", "[b'" "line one\\nline two\\n\\nlast line without newline" "']");
	check_input("none", "[b'line one\\nline two\\n\\nlast line without newline']");
	check_input("neg", "[b'line one\\nline two\\n\\nlast line without newline']");
	check_input("zero", "[b'', b'line one\\nline two\\n\\nlast line without newline']");
	check_input("n", "[b'line ', b'one\\nl', b'ine t', b'wo\\n\\nl', b'ast l', b'ine w', "
	                 "b'ithou', b't new', b'line', b'']");
}

Test(wsgi, input_readline_variants)
{
	load("input_app");
	check_input("line", "[b'line one\\n', b'line two\\n', b'\\n', "
	                    "b'last line without newline', b'']");
	check_input("linen", "[b'line', b' one', b'\\n', b'']");
	check_input("lines", "[b'line one\\n', b'line two\\n', b'\\n', b'last line without newline']");
	check_input("hint", "[b'line one\\n', b'rest:line two\\n\\nlast line without newline']");
	check_input("iter", "[b'line one\\n', b'line two\\n', b'\\n', b'last line without newline']");
	check_input("mixed", "[b'line one\\n', b'lin', b'e two\\n', "
	                     "b'\\nlast line without newline', b'']");
}

Test(wsgi, input_read_n_asks_only_for_n)
{
	load("input_app");
	/* whole pieces: each read(5) is one io call of exactly 5 */
	cr_assert_eq(request("n", "0123456789AB", 0), 0);
	cr_assert_str_eq(out(), "[b'01234', b'56789', b'AB', b'']");
	cr_assert_eq(fake.reads, 3);
	cr_assert_eq(fake.over_asks, 0);
}

Test(wsgi, input_without_content_length)
{
	load("input_app");
	const char *vars[] = {"QUERY_STRING=line", "REQUEST_METHOD=POST"};
	fake_reset("a\nbb\nccc", 2);	/* chunked: io tells the end */
	cr_assert_eq(request_vars(vars, 2), 0);
	cr_assert_str_eq(out(), "[b'a\\n', b'bb\\n', b'ccc', b'']");
	cr_assert_eq(fake.zero_reads, 1);
}

Test(wsgi, input_long_lines_and_huge_reads)
{
	size_t n = 20000;
	char *body = xmalloc(n + 16);
	memset(body, 'x', n);
	strcpy(body + n, "\nshort\ntail");

	load("input_app");
	cr_assert_eq(request("linelens", body, 1000), 0, "%s", logged());
	cr_assert_str_eq(out(), "[b'20001', b'6', b'4']");
	cr_assert_eq(fake.over_asks, 0);
	/* read(2**40) must not try to allocate 2**40 bytes */
	cr_assert_eq(request("huge", body, 0), 0, "%s", logged());
	const char *tail = "\\nshort\\ntail']";
	cr_assert_eq(fake.out.len, strlen("[b'") + n + strlen(tail));
	cr_assert_str_eq(out() + fake.out.len - strlen(tail), tail);
	free(body);
}

Test(wsgi, input_read_error_raises)
{
	load("input_error");
	next_read_fails = true;
	cr_assert_eq(request(NULL, "abc", 0), 0);
	cr_assert_str_eq(out(), "OSError(error reading the request body) OSError");
	cr_assert_eq(fake.reads, 1);	/* not retried after the error */
}

Test(wsgi, input_empty_body_needs_no_io)
{
	load("input_app");
	cr_assert_eq(request("all", NULL, 0), 0);
	cr_assert_str_eq(out(), "[b'']");
	cr_assert_eq(fake.reads, 0);
}

/* ---- start_response, write() -------------------------------------------- */

Test(wsgi, write_callable)
{
	load("writer");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "200 OK");
	cr_assert_str_eq(headers(), "X-A: 1\n");
	cr_assert_eq(fake.content_length, -1);
	cr_assert_str_eq(out(), "first second");
}

Test(wsgi, write_empty_sends_head)
{
	load("writer");
	cr_assert_eq(request("empty", NULL, 0), 0);
	cr_assert_eq(fake.heads, 1);
	cr_assert_eq(fake.content_length, -1);
	cr_assert_str_eq(out(), "");
}

Test(wsgi, start_response_validation)
{
	load("sr_check");
	cr_assert_eq(request(NULL, NULL, 0), 0, "%s", logged());
	cr_assert_str_eq(out(),
		"TypeError ValueError ValueError ValueError ValueError ValueError "
		"TypeError TypeError TypeError TypeError TypeError ValueError "
		"ValueError ValueError ValueError ValueError ValueError "
		"second-RuntimeError");
	/* exc_info before anything was sent replaces status and headers */
	cr_assert_str_eq(fake.status, "201 Created");
	cr_assert_str_eq(headers(), "X-Replaced: 1\n");
}

Test(wsgi, headers_are_latin1_and_taken_at_start_response)
{
	load("late_headers");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(headers(), "X-Latin: caf\xe9\n");
}

Test(wsgi, bad_header_is_500)
{
	load("bad_header");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "500 Internal Server Error");
	cr_assert_str_eq(out(), "Internal Server Error");
	cr_assert(strstr(logged(), "ValueError"), "%s", logged());
	cr_assert(strstr(logged(), "Traceback"), "%s", logged());
}

Test(wsgi, exc_info_after_head_reraises)
{
	load("exc_after");
	cr_assert_eq(request(NULL, NULL, 0), 0, "%s", logged());
	cr_assert_str_eq(fake.status, "200 OK");
	cr_assert_str_eq(out(), "partial reraised=True");
}

Test(wsgi, missing_start_response_is_500)
{
	load("no_start_response");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "500 Internal Server Error");
	cr_assert(strstr(logged(), "start_response"), "%s", logged());
}

Test(wsgi, stale_callables_are_refused)
{
	load("stale");
	cr_assert_eq(request("keep", NULL, 0), 0);
	cr_assert_eq(request("use", NULL, 0), 0, "%s", logged());
	cr_assert_str_eq(out(), "write:RuntimeError sr:RuntimeError input:ValueError");
}

Test(wsgi, errors_stream_goes_to_log)
{
	load("errors_app");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert(strstr(logged(), "ERRLINE one\nERRLINE two\n"), "%s", logged());
}

/* ---- failures ----------------------------------------------------------- */

Test(wsgi, exception_is_500_and_worker_goes_on)
{
	load("boom");
	cr_assert_eq(request("boom", NULL, 0), 0);
	cr_assert_str_eq(fake.status, "500 Internal Server Error");
	cr_assert_eq(fake.content_length, 21);
	const char *log = logged();
	cr_assert(strstr(log, "Traceback (most recent call last)"), "%s", log);
	cr_assert(strstr(log, "ZeroDivisionError: division by zero"), "%s", log);
	cr_assert(strstr(log, "apps.py"), "%s", log);

	cr_assert_eq(request("ok", NULL, 0), 0);
	cr_assert_str_eq(fake.status, "200 OK");
	cr_assert_str_eq(out(), "fine");
}

Test(wsgi, close_called_on_success)
{
	load("closing");
	cr_assert_eq(request("ok", NULL, 0), 0);
	cr_assert_str_eq(out(), "chunk1 chunk2 chunk3 ");
	cr_assert_eq(count_of(logged(), "CLOSED ok\n"), 1);
}

Test(wsgi, close_called_when_iteration_raises_midway)
{
	load("closing");
	cr_assert_eq(request("raise", NULL, 0), -1);	/* head already sent */
	cr_assert_str_eq(out(), "chunk1 ");
	cr_assert_eq(count_of(logged(), "CLOSED raise\n"), 1);
	cr_assert(strstr(logged(), "LookupError: second item failed"), "%s", logged());
}

Test(wsgi, close_called_when_iteration_raises_first)
{
	load("closing");
	cr_assert_eq(request("raise_first", NULL, 0), 0);
	cr_assert_str_eq(fake.status, "500 Internal Server Error");
	cr_assert_eq(count_of(logged(), "CLOSED raise_first\n"), 1);
}

Test(wsgi, non_bytes_item_is_500)
{
	load("closing");
	cr_assert_eq(request("notbytes", NULL, 0), 0);
	cr_assert_str_eq(fake.status, "500 Internal Server Error");
	cr_assert(strstr(logged(), "TypeError"), "%s", logged());
	cr_assert_eq(count_of(logged(), "CLOSED notbytes\n"), 1);
}

Test(wsgi, close_called_on_client_disconnect)
{
	load("closing");
	next_fail_body_after = 1;
	cr_assert_eq(request("gone", NULL, 0), -1);
	cr_assert_str_eq(out(), "chunk1 ");
	cr_assert_eq(count_of(logged(), "CLOSED gone\n"), 1);
	cr_assert_null(strstr(logged(), "Traceback"));
}

Test(wsgi, close_exception_is_logged_response_stands)
{
	load("close_raises");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "200 OK");
	cr_assert_str_eq(out(), "body");
	cr_assert(strstr(logged(), "OSError: close failed"), "%s", logged());
}

/* ---- wsgi.file_wrapper -------------------------------------------------- */

Test(wsgi, file_wrapper_uses_send_file)
{
	struct stat st;
	size_t len;
	char *file = read_file(APPS, &len);

	cr_assert_not_null(file);
	cr_assert_eq(stat(APPS, &st), 0);
	load("file_wrapper");
	cr_assert_eq(request("file", NULL, 0), 0, "%s", logged());
	cr_assert_eq(fake.sendfiles, 1);
	cr_assert_eq(fake.sf_offset, 10);
	cr_assert_eq(fake.sf_count, st.st_size - 10);
	cr_assert_eq(fake.content_length, st.st_size - 10);
	cr_assert_str_eq(out(), file + 10);
	free(file);
}

Test(wsgi, file_wrapper_without_fileno_iterates)
{
	load("file_wrapper");
	cr_assert_eq(request("filelike", NULL, 0), 0, "%s", logged());
	cr_assert_eq(fake.sendfiles, 0);
	cr_assert_eq(fake.content_length, -1);
	cr_assert_eq(fake.out.len, 10000);
	cr_assert(strstr(logged(), "FILELIKE CLOSED reads=4 first=4096"), "%s", logged());

	cr_assert_eq(request("bytesio", NULL, 0), 0, "%s", logged());
	cr_assert_eq(fake.sendfiles, 0);
	cr_assert_eq(fake.out.len, 15000);
}

Test(wsgi, returning_none_is_500)
{
	load("returns_none");
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(fake.status, "500 Internal Server Error");
	cr_assert(strstr(logged(), "TypeError: 'NoneType' object is not iterable"), "%s", logged());
}

/* ---- loading ------------------------------------------------------------ */

static void on_sigint(int sig)
{
	(void)sig;
}

Test(wsgi, server_sigint_handler_survives)
{
	struct sigaction sa = {.sa_handler = on_sigint}, now;
	sigaction(SIGINT, &sa, NULL);
	load("sysinfo");	/* imports signal */
	cr_assert_eq(request(NULL, NULL, 0), 0);
	sigaction(SIGINT, NULL, &now);
	cr_assert(now.sa_handler == on_sigint);
	wsgi_finalize();
	sigaction(SIGINT, NULL, &now);
	cr_assert(now.sa_handler == on_sigint);
}

Test(wsgi, interpreter_settings)
{
	const char *pp[] = {FIXTURES};
	struct wsgi_config cfg = {
		.wsgi_file = APPS, .callable = "sysinfo", .pythonpath = pp, .npythonpath = 1,
	};
	setenv("PYTHONPATH", "/from-env", 1);
	load_cfg(&cfg);
	cr_assert_eq(request(NULL, NULL, 0), 0, "%s", logged());
	const char *info = out();
	assert_has_line(info, "argv=['stockade']");
	/* the app imported signal: Python must not have taken SIGINT */
	assert_has_line(info, "sigint=<Handlers.SIG_DFL: 0>");
	struct sigaction sa;
	sigaction(SIGINT, NULL, &sa);
	cr_assert(sa.sa_handler == SIG_DFL);
	assert_has_line(info, "ignore_environment=True");
	assert_has_line(info, "stdout_write_through=True");
	assert_has_line(info, "env_path_used=False");
	assert_has_line(info, "path_head=['" FIXTURES "', '.', '/usr/lib/python311.zip']");
}

Test(wsgi, module_with_callable_and_pythonpath)
{
	const char *pp[] = {FIXTURES "/pypath", "/nonexistent/extra"};
	struct wsgi_config cfg = {
		.module = "stockade_fixpkg.mod:app", .pythonpath = pp, .npythonpath = 2,
	};
	load_cfg(&cfg);
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(out(), "mod.app path=['" FIXTURES "/pypath', '/nonexistent/extra']");
}

Test(wsgi, module_default_callable_and_glob_pythonpath)
{
	const char *pp[] = {FIXTURES "/pypat*"};
	struct wsgi_config cfg = {.module = "stockade_fixpkg.mod", .pythonpath = pp, .npythonpath = 1};
	load_cfg(&cfg);
	cr_assert_eq(request(NULL, NULL, 0), 0);
	cr_assert_str_eq(out(), "mod.application");
}

static void assert_load_fails(const struct wsgi_config *cfg, const char *line)
{
	cr_assert_eq(wsgi_init(cfg), 0, "%s", logged());
	cr_assert_eq(wsgi_load_app(), -1);
	cr_assert(strstr(logged(), line), "expected [%s] in log:\n%s", line, logged());
}

Test(wsgi, load_missing_file)
{
	struct wsgi_config cfg = {.wsgi_file = FIXTURES "/nope.py"};
	assert_load_fails(&cfg, "unable to load wsgi-file " FIXTURES "/nope.py: "
	                        "FileNotFoundError: [Errno 2] No such file or directory: ");
}

Test(wsgi, load_syntax_error)
{
	struct wsgi_config cfg = {.wsgi_file = FIXTURES "/syntax_error.py"};
	assert_load_fails(&cfg, "unable to load wsgi-file " FIXTURES "/syntax_error.py: "
	                        "SyntaxError: expected ':' (syntax_error.py, line 1)\n");
	cr_assert(strstr(logged(), "def application(environ, start_response)"), "%s", logged());
}

Test(wsgi, load_missing_callable)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .callable = "nope"};
	assert_load_fails(&cfg, "unable to load wsgi-file " APPS ": AttributeError: "
	                        "no callable 'nope' in module 'stockade_file_tests_unit_fixtures_apps_py'\n");
}

Test(wsgi, load_not_callable)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .callable = "not_callable"};
	assert_load_fails(&cfg, "TypeError: 'not_callable' is a int, not a callable\n");
}

Test(wsgi, load_import_time_exception)
{
	struct wsgi_config cfg = {.wsgi_file = FIXTURES "/raises_on_import.py"};
	assert_load_fails(&cfg, "unable to load wsgi-file " FIXTURES "/raises_on_import.py: "
	                        "RuntimeError: database unreachable\n");
	cr_assert(strstr(logged(), "Traceback (most recent call last)"), "%s", logged());
	cr_assert(strstr(logged(), "in _setup"), "%s", logged());
}

Test(wsgi, load_missing_module)
{
	struct wsgi_config cfg = {.module = "stockade_no_such_module:app"};
	assert_load_fails(&cfg, "unable to load module stockade_no_such_module: "
	                        "ModuleNotFoundError: No module named 'stockade_no_such_module'\n");
}

Test(wsgi, load_nothing_configured)
{
	struct wsgi_config cfg = {0};
	assert_load_fails(&cfg, "no app configured");
}

Test(wsgi, init_only_once)
{
	struct wsgi_config cfg = {.wsgi_file = APPS};
	cr_assert_eq(wsgi_init(&cfg), 0);
	cr_assert_eq(wsgi_init(&cfg), -1);
	wsgi_finalize();
	cr_assert_eq(wsgi_init(&cfg), -1);
}

Test(wsgi, bad_home_fails_init)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .home = "/nonexistent/venv"};
	cr_assert_eq(wsgi_init(&cfg), -1);
	cr_assert(strstr(logged(), "/nonexistent/venv"), "%s", logged());
}

Test(wsgi, venv_home, .timeout = 60)
{
	char dir[] = "/tmp/stockade-venv-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char *cmd = xasprintf("/usr/bin/python3 -m venv --without-pip %s/v", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);

	/* a module only the venv's site-packages has */
	char *mod = xasprintf("%s/v/lib/python%d.%d/site-packages/stockade_venv_app.py",
	                      dir, PY_MAJOR_VERSION, PY_MINOR_VERSION);
	FILE *f = fopen(mod, "w");
	cr_assert_not_null(f);
	fputs("import sys\n"
	      "def application(environ, start_response):\n"
	      "    start_response('200 OK', [])\n"
	      "    return [('prefix=%s base=%s' % (sys.prefix, sys.base_prefix)).encode()]\n", f);
	fclose(f);
	free(mod);

	char *home = xasprintf("%s/v", dir);
	struct wsgi_config cfg = {.module = "stockade_venv_app", .home = home};
	load_cfg(&cfg);
	cr_assert_eq(request(NULL, NULL, 0), 0);
	char *want = xasprintf("prefix=%s base=/usr", home);
	cr_assert_str_eq(out(), want);
	free(want);
	free(home);

	cmd = xasprintf("rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

/* ---- threads and fork --------------------------------------------------- */

Test(wsgi, threads_run_while_reading)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .callable = "threads", .enable_threads = true};
	load_cfg(&cfg);
	fake_reset("xyz", 0);
	fake.sleep_ms = 300;
	const char *vars[] = {"QUERY_STRING=during_read", "CONTENT_LENGTH=3"};
	cr_assert_eq(request_vars(vars, 2), 0, "%s", logged());
	cr_assert_str_eq(out(), "ran_during_read=True");
}

Test(wsgi, threads_run_between_requests)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .callable = "threads", .enable_threads = true};
	load_cfg(&cfg);
	cr_assert_eq(request("start", NULL, 0), 0);
	usleep(300 * 1000);
	cr_assert_eq(request("check", NULL, 0), 0);
	cr_assert_str_eq(out(), "ran_between_requests=True");
}

static void serve_in_child(void)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		wsgi_after_fork();
		int rc = request(NULL, NULL, 0);
		char want[64];
		snprintf(want, sizeof(want), "pid=%d", (int)getpid());
		_exit(rc == 0 && strcmp(out(), want) == 0 ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %s", logged());
}

Test(wsgi, serves_after_fork)
{
	load("pid");
	serve_in_child();
	cr_assert_eq(request(NULL, NULL, 0), 0);	/* parent still fine */
}

Test(wsgi, serves_after_fork_with_threads)
{
	struct wsgi_config cfg = {.wsgi_file = APPS, .callable = "pid", .enable_threads = true};
	load_cfg(&cfg);
	serve_in_child();
	/* and from a process that already served (GIL released when forking) */
	cr_assert_eq(request(NULL, NULL, 0), 0);
	serve_in_child();
}

/* ---- references --------------------------------------------------------- */

/* Python's live memory blocks, after collecting cycles (apps make some:
 * classes, caught exceptions). */
static long allocated_blocks(void)
{
	PyGC_Collect();
	PyObject *sys = PyImport_ImportModule("sys");
	cr_assert_not_null(sys);
	PyObject *r = PyObject_CallMethod(sys, "getallocatedblocks", NULL);
	cr_assert_not_null(r);
	long n = PyLong_AsLong(r);
	Py_DECREF(r);
	Py_DECREF(sys);
	return n;
}

static const struct {
	const char *path, *qs, *body;
	int fail_body_after;	/* simulate a client gone after n body sends */
	int rc;			/* what wsgi_handle must return */
} scenarios[] = {
	{"/hello", NULL, NULL, -1, 0}, {"/empty", NULL, NULL, -1, 0},
	{"/gen", NULL, NULL, -1, 0}, {"/environ_dump", NULL, NULL, -1, 0},
	{"/input_app", "all", BODY, -1, 0}, {"/input_app", "n", BODY, -1, 0},
	{"/input_app", "line", BODY, -1, 0}, {"/input_app", "linen", BODY, -1, 0},
	{"/input_app", "hint", BODY, -1, 0}, {"/input_app", "iter", BODY, -1, 0},
	{"/input_app", "mixed", BODY, -1, 0},
	{"/writer", NULL, NULL, -1, 0}, {"/writer", "empty", NULL, -1, 0},
	{"/writer", NULL, NULL, 0, -1},
	{"/errors_app", NULL, NULL, -1, 0}, {"/sr_check", NULL, NULL, -1, 0},
	{"/late_headers", NULL, NULL, -1, 0}, {"/bad_header", NULL, NULL, -1, 0},
	{"/exc_after", NULL, NULL, -1, 0}, {"/boom", "boom", NULL, -1, 0},
	{"/no_start_response", NULL, NULL, -1, 0},
	{"/closing", "ok", NULL, -1, 0}, {"/closing", "raise", NULL, -1, -1},
	{"/closing", "raise_first", NULL, -1, 0}, {"/closing", "notbytes", NULL, -1, 0},
	{"/closing", "gone", NULL, 1, -1},
	{"/close_raises", NULL, NULL, -1, 0},
	{"/file_wrapper", "file", NULL, -1, 0}, {"/file_wrapper", "filelike", NULL, -1, 0},
	{"/file_wrapper", "bytesio", NULL, -1, 0},
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static void request_scenario(size_t i)
{
	next_fail_body_after = scenarios[i].fail_body_after;
	int rc = request_path(scenarios[i].path, scenarios[i].qs, scenarios[i].body, 3);
	cr_assert_eq(rc, scenarios[i].rc, "%s?%s", scenarios[i].path,
	             scenarios[i].qs ? scenarios[i].qs : "");
}

static void run_scenarios(int rounds)
{
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < NSCENARIOS; i++)
			request_scenario(i);
}

/* Every path through the handler, many times: a reference kept by mistake
 * (an environ, a result, an exception) grows Python's live blocks by at
 * least one per request. Caches and free lists make some noise (measured:
 * under 150 blocks), which does not grow with the number of requests. */
Test(wsgi, no_reference_leaks, .timeout = 120)
{
	enum { REPS = 1000 };

	load("dispatch");
	run_scenarios(1);
	/* PYTHONMALLOC=malloc (valgrind, LSan): nothing to count here, the
	 * tool does it; one round of every path is enough */
	if (allocated_blocks() == 0)
		return;
	for (size_t i = 0; i < NSCENARIOS; i++) {
		for (int r = 0; r < 20; r++)
			request_scenario(i);
		long before = allocated_blocks();
		for (int r = 0; r < REPS; r++)
			request_scenario(i);
		long grown = allocated_blocks() - before;
		cr_assert_lt(grown, REPS / 2, "%s?%s: python blocks grew by %ld in %d requests",
		             scenarios[i].path, scenarios[i].qs ? scenarios[i].qs : "",
		             grown, REPS);
	}
}
