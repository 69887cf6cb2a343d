/* SPDX-License-Identifier: MIT */
/*
 * The request log line: log-format compiled once and rendered for every
 * variable, uWSGI's default line, JSON escaping, unknown variables, and the
 * log-req-encoder chain.
 */
#include "server/logformat.h"

#include <criterion/criterion.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KV(k, v) { k, sizeof(k) - 1, v, sizeof(v) - 1 }

static const struct kv sample_vars[] = {
	KV("REQUEST_METHOD", "POST"),
	KV("REQUEST_URI", "/p?q=1"),
	KV("SERVER_PROTOCOL", "HTTP/1.1"),
	KV("REMOTE_USER", "alice"),
	KV("HTTP_HOST", "example.org"),
	KV("HTTP_USER_AGENT", "curl/8"),
	KV("HTTP_REFERER", "http://ref/"),
	KV("CONTENT_LENGTH", "42"),
	KV("HTTP_X_REQUEST_ID", "abc-123"),
};

/* 2026-01-02 03:04:05.678901 UTC */
#define START_SEC 1767323045

static struct logreq sample(void)
{
	struct logreq r = {
		.vars = sample_vars, .nvars = sizeof(sample_vars) / sizeof(sample_vars[0]),
		.vars_bytes = 321, .addr = "10.1.2.3", .addr_len = 8, .status = 201,
		.rsize = 1000, .hsize = 77, .headers = 3, .cl = 0,
		.start = { START_SEC, 678901000 }, .duration_us = 1234567,
		.pid = 4242, .wid = 3, .app_requests = 5, .total_requests = 9,
		.modifier1 = 7, .modifier2 = 8, .rss = 5u << 20, .vsz = 300u << 20,
		.read_errors = 1, .write_errors = 2,
	};
	return r;
}

/* Compiles fmt, renders the sample request, returns the line (static). */
static const char *render(const char *fmt, struct logreq r, bool json)
{
	static char out[4096];
	struct logformat lf = { 0 };
	char err[256];
	cr_assert_eq(logformat_compile(&lf, fmt, err, sizeof(err)), 0, "%s: %s", fmt, err);
	lf.json = json;
	size_t n = logformat_render(&lf, &r, out, sizeof(out));
	cr_assert(n >= 1 && out[n - 1] == '\n', "every line ends with a newline");
	out[n - 1] = '\0';
	logformat_free(&lf);
	return out;
}

static void expect(const char *fmt, const char *want)
{
	const char *got = render(fmt, sample(), false);
	cr_assert_str_eq(got, want, "%s", fmt);
}

struct lf_case {
	const char *fmt, *want;
};

Test(logformat, every_variable)
{
	static struct lf_case cases[] = {
		{ "%(uri)", "/p?q=1" }, { "%(method)", "POST" }, { "%(user)", "alice" },
		{ "%(addr)", "10.1.2.3" }, { "%(host)", "example.org" }, { "%(proto)", "HTTP/1.1" },
		{ "%(uagent)", "curl/8" }, { "%(referer)", "http://ref/" }, { "%(status)", "201" },
		{ "%(rsize)", "1000" }, { "%(hsize)", "77" }, { "%(size)", "1077" }, { "%(cl)", "42" },
		{ "%(micros)", "1234567" }, { "%(msecs)", "1234" }, { "%(secs)", "1.234567" },
		{ "%(time)", "1767323045" }, { "%(tmsecs)", "1767323045678" },
		{ "%(tmicros)", "1767323045678901" }, { "%(pid)", "4242" }, { "%(wid)", "3" },
		{ "%(switches)", "1" }, { "%(vars)", "18" }, { "%(core)", "0" },
		{ "%(vsz)", "314572800" }, { "%(rss)", "5242880" }, { "%(vszM)", "300" }, { "%(rssM)", "5" },
		{ "%(pktsize)", "321" }, { "%(modifier1)", "7" }, { "%(modifier2)", "8" },
		{ "%(headers)", "3" }, { "%(werr)", "2" }, { "%(rerr)", "1" }, { "%(ioerr)", "3" },
		{ "%(var.HTTP_X_REQUEST_ID)", "abc-123" }, { "%(var.NOT_THERE)", "-" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect(cases[i].fmt, cases[i].want);
}

Test(logformat, time_variables_use_the_local_zone)
{
	setenv("TZ", "UTC", 1);
	tzset();
	expect("%(ltime)", "02/Jan/2026:03:04:05 +0000");
	expect("%(ctime)", "Fri Jan  2 03:04:05 2026");
	/* without logformat-strftime, ftime is ltime (uWSGI) */
	expect("%(ftime)", "02/Jan/2026:03:04:05 +0000");
	struct logformat lf = { 0 };
	char err[128], out[256];
	cr_assert_eq(logformat_compile(&lf, "[%(ftime)]", err, sizeof(err)), 0);
	lf.ftime_fmt = "%Y-%m-%dT%H:%M:%S";
	struct logreq r = sample();
	size_t n = logformat_render(&lf, &r, out, sizeof(out));
	cr_assert_eq(n, strlen("[2026-01-02T03:04:05]\n"));
	cr_assert(memcmp(out, "[2026-01-02T03:04:05]\n", n) == 0);
	logformat_free(&lf);
	struct logreq later = sample();
	later.start.tv_sec += 3600;   /* the per-second cache follows the time */
	cr_assert_str_eq(render("%(ltime)", later, false), "02/Jan/2026:04:04:05 +0000");
	time_t before = time(NULL);
	long epoch = atol(render("%(epoch)", sample(), false));
	cr_assert(epoch >= before && epoch <= time(NULL), "epoch is the current time");
}

Test(logformat, literals_and_the_edges_of_the_syntax)
{
	expect("a %(method) b %(uri) c", "a POST b /p?q=1 c");
	expect("100% sure %() %(", "100% sure %() %(");
	expect("%%(method)", "%POST");
	expect("", "");
	expect("no variables at all", "no variables at all");
}

Test(logformat, control_bytes_cannot_forge_a_line)
{
	static const struct kv forged[] = {
		KV("REQUEST_METHOD", "GET"),
		KV("REQUEST_URI", "/x\n[pid: 1|app: 0|req: 1/1] forged\x7f"),
		KV("SERVER_PROTOCOL", "HTTP/1.0\r"),
		KV("HTTP_X_TAB", "a\tb"),
	};
	struct logreq r = sample();
	r.vars = forged;
	r.nvars = 4;
	cr_assert_str_eq(render("%(uri) %(proto) %(var.HTTP_X_TAB)", r, false),
	                 "/x\\x0a[pid: 1|app: 0|req: 1/1] forged\\x7f HTTP/1.0\\x0d a\\x09b");
	struct logformat lf = { 0 };
	char out[512];
	size_t n = logformat_render(&lf, &r, out, sizeof(out));
	cr_assert(memchr(out, '\n', n) == out + n - 1, "the default line is one line");
	cr_assert(memmem(out, n, "GET /x\\x0a[pid: 1", strlen("GET /x\\x0a[pid: 1")) != NULL);
	/* an escape is never cut at the end of a full line */
	char small[5];
	cr_assert_eq(logformat_compile(&lf, "%(var.HTTP_X_TAB)", out, sizeof(out)), 0);
	n = logformat_render(&lf, &r, small, sizeof(small));
	cr_assert_eq(n, 2, "a, no room for \\x09, the newline");
	cr_assert(memcmp(small, "a\n", 2) == 0);
	logformat_free(&lf);
}

Test(logformat, every_control_byte_at_every_position_is_escaped)
{
	struct logformat lf = { 0 };
	char err[64], out[128];
	cr_assert_eq(logformat_compile(&lf, "%(var.V)", err, sizeof(err)), 0);
	for (int b = 0; b < 256; b++) {
		for (size_t pos = 0; pos < 17; pos++) {
			char val[17];
			memcpy(val, "abcdefghijklmnopq", 17);
			val[pos] = (char)b;
			struct kv v = { "V", 1, val, sizeof(val) };
			struct logreq r = sample();
			r.vars = &v;
			r.nvars = 1;
			size_t n = logformat_render(&lf, &r, out, sizeof(out));
			bool control = b < 0x20 || b == 0x7f;
			cr_assert_eq(n, sizeof(val) + 1 + (control ? 3 : 0), "byte %#x at %zu", b, pos);
			if (control)
				cr_assert(out[pos] == '\\' && out[pos + 1] == 'x', "byte %#x at %zu", b, pos);
			else
				cr_assert((unsigned char)out[pos] == b);
		}
	}
	logformat_free(&lf);
}

Test(logformat, empty_values_are_a_dash)
{
	struct logreq r = sample();
	r.nvars = 0;
	r.addr_len = 0;
	cr_assert_str_eq(render("%(uri)|%(addr)|%(uagent)|%(var.X)", r, false), "-|-|-|-");
}

Test(logformat, unknown_variables_are_config_errors)
{
	struct logformat lf = { 0 };
	char err[256];
	cr_assert_eq(logformat_compile(&lf, "x %(stauts) y", err, sizeof(err)), -1);
	cr_assert(strstr(err, "%(stauts)") && strstr(err, "did you mean %(status)"), "%s", err);
	cr_assert_null(lf.items);
	cr_assert_eq(logformat_compile(&lf, "%(HTTP_X_REQUEST_ID)", err, sizeof(err)), -1);
	cr_assert(strstr(err, "%(var.HTTP_X_REQUEST_ID)"), "%s", err);
	/* issue 22: any other name is an app's log variable (uwsgi.set_logvar) */
	cr_assert_eq(logformat_compile(&lf, "%(request_id)", err, sizeof(err)), 0);
	cr_assert_eq(lf.items[0].op, LF_LOGVAR);
	logformat_free(&lf);
}

Test(logformat, default_line_is_uwsgis)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct logformat lf = { 0 };
	char out[1024];
	struct logreq r = sample();
	size_t n = logformat_render(&lf, &r, out, sizeof(out));
	out[n] = '\0';
	cr_assert_str_eq(out, "[pid: 4242|app: 0|req: 5/9] 10.1.2.3 (alice) {18 vars in 321 bytes} "
	                      "[Fri Jan  2 03:04:05 2026] POST /p?q=1 => generated 1000 bytes in 1234 msecs "
	                      "(HTTP/1.1 201) 3 headers in 77 bytes (1 switches on core 0)\n");
	lf.micros = true;
	r.via_sendfile = true;
	n = logformat_render(&lf, &r, out, sizeof(out));
	out[n] = '\0';
	cr_assert(strstr(out, "in 1234567 micros via sendfile() (HTTP/1.1 201)"), "%s", out);
}

Test(logformat, a_long_line_is_cut_but_keeps_its_newline)
{
	struct logformat lf = { 0 };
	char err[64], out[16];
	cr_assert_eq(logformat_compile(&lf, "%(uri)%(uri)%(uri)%(uri)", err, sizeof(err)), 0);
	struct logreq r = sample();
	size_t n = logformat_render(&lf, &r, out, sizeof(out));
	cr_assert_eq(n, sizeof(out));
	cr_assert(memcmp(out, "/p?q=1/p?q=1/p?\n", 16) == 0);
	logformat_free(&lf);
}

Test(logformat, json_mode_escapes_every_value)
{
	static const struct kv nasty[] = {
		KV("REQUEST_URI", "/a\"b\\c\x01\x7f"),
		KV("HTTP_USER_AGENT", "caf\xc3\xa9 \xff\xfe tab\there\r\n"),
	};
	struct logreq r = sample();
	r.vars = nasty;
	r.nvars = 2;
	const char *line = render("{\"uri\":\"%(uri)\",\"ua\":\"%(uagent)\",\"status\":%(status)}", r, true);
	cr_assert_str_eq(line, "{\"uri\":\"/a\\\"b\\\\c\\u0001\\u007f\",\"ua\":\"caf\xc3\xa9 \\ufffd\\ufffd tab\\there\\r\\n\",\"status\":201}");
	json_error_t e;
	json_t *j = json_loads(line, 0, &e);
	cr_assert_not_null(j, "%s", e.text);
	cr_assert_str_eq(json_string_value(json_object_get(j, "uri")), "/a\"b\\c\x01\x7f");
	json_decref(j);
}

Test(logformat, json_escape_never_cuts_an_escape)
{
	char out[5];
	size_t n = json_escape(out, sizeof(out), "ab\"cd", 5);
	cr_assert_eq(n, 5);
	cr_assert(memcmp(out, "ab\\\"c", 5) == 0);
	n = json_escape(out, 3, "ab\"cd", 5);
	cr_assert_eq(n, 2, "the two bytes of \\\" go together or not at all");
	n = json_escape(out, 3, "a\x01", 2);
	cr_assert_eq(n, 1, "a \\u0001 that does not fit is left out whole");
	n = json_escape(out, 5, "\xe2\x82\xac\xe2\x82\xac", 6);
	cr_assert_eq(n, 3, "a UTF-8 sequence is kept whole");
	n = json_escape(out, 5, "\xed\xa0\x80", 3);   /* a surrogate: not UTF-8 */
	cr_assert_eq(n, 0);
}

/* ---- log-req-encoder ------------------------------------------------------------ */

static const char *encode(const char *spec, const char *msg)
{
	static char out[1024];
	struct log_encoder e;
	char err[256];
	cr_assert_eq(log_encoder_compile(&e, spec, err, sizeof(err)), 0, "%s: %s", spec, err);
	size_t n = log_encoder_apply(&e, msg, strlen(msg), out, sizeof(out) - 1);
	out[n] = '\0';
	log_encoder_free(&e);
	return out;
}

Test(log_encoder, uwsgi_encoders)
{
	cr_assert_str_eq(encode("prefix [app]", "line\n"), "[app]line\n");
	cr_assert_str_eq(encode("suffix <<", "line"), "line<<");
	cr_assert_str_eq(encode("nl", "line"), "line\n");
	cr_assert_str_eq(encode("format <${msg}> $x", "line\n"), "<line> $x");
	cr_assert_str_eq(encode("format <${msgnl}>", "line\n"), "<line\n>");
	cr_assert_str_eq(encode("json {\"msg\":\"${msg}\"}", "say \"hi\"\n"), "{\"msg\":\"say \\\"hi\\\"\"}");
	long before = (long)time(NULL);
	long unix_now = atol(encode("format ${unix}", "x"));
	/* time() reads a coarse clock that may lag CLOCK_REALTIME by a tick */
	cr_assert(unix_now >= before && unix_now <= (long)time(NULL) + 1);
	cr_assert_eq(strlen(encode("format ${millis}", "x")), 13);
	cr_assert_eq(strlen(encode("format ${micros}", "x")), 16);
	setenv("TZ", "UTC", 1);
	tzset();
	char want[8];
	time_t t = time(NULL);
	strftime(want, sizeof(want), "%Y", gmtime(&t));
	cr_assert_str_eq(encode("json ${strftime:%Y}", "x"), want);
}

Test(log_encoder, errors)
{
	struct log_encoder e;
	char err[256];
	cr_assert_eq(log_encoder_compile(&e, "gzip", err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown encoder 'gzip'"), "%s", err);
	cr_assert_eq(log_encoder_compile(&e, "format ${nope}", err, sizeof(err)), -1);
	cr_assert(strstr(err, "${nope}"), "%s", err);
	cr_assert_eq(log_encoder_compile(&e, "json:mylogger {}", err, sizeof(err)), -1);
	cr_assert(strstr(err, "named loggers"), "%s", err);
}
