/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/proto/http.c: request head parser, chunked decoder,
 * CGI variables and response framing.
 *
 * Parser inputs are copied to the end of a page followed by a PROT_NONE page
 * (picohttpparser's trick), so any read past the input crashes the test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto/http.h"

/* ------------------------------------------------------------------ helpers */

struct guarded {
	char *map;
	size_t map_len;
	char *data;
};

static struct guarded
guard_copy(const char *s, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + page - 1) / page + 1;
	struct guarded g;

	g.map_len = (data_pages + 1) * page;
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(g.map != MAP_FAILED);
	cr_assert(mprotect(g.map + data_pages * page, page, PROT_NONE) == 0);
	g.data = g.map + data_pages * page - n;
	if (n)
		memcpy(g.data, s, n);
	return g;
}

static void
guard_free(struct guarded *g)
{
	munmap(g->map, g->map_len);
}

/* Parses s[0..n) on a guard page. */
static int
parse_n(const char *s, size_t n, size_t max_head, struct http_request *req)
{
	struct guarded g = guard_copy(s, n);
	int rc = http_parse_request(g.data, n, max_head, req);
	/* slices point into the guarded copy: rebase them onto s */
	if (rc > 0) {
		ptrdiff_t shift = s - g.data;
		req->method += shift;
		req->target += shift;
		if (req->path != NULL && req->path >= g.data && req->path <= g.data + n)
			req->path += shift;
		req->query += shift;
		for (size_t i = 0; i < req->num_headers; i++) {
			req->headers[i].name += shift;
			req->headers[i].value += shift;
		}
	}
	guard_free(&g);
	return rc;
}

static int
parse(const char *s, struct http_request *req)
{
	return parse_n(s, strlen(s), 8192, req);
}

static int
parse_status(const char *s)
{
	struct http_request req;
	return parse(s, &req);
}

static bool
slice_is(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

#define assert_slice(p, n, want) \
	cr_assert(slice_is(p, n, want), "got \"%.*s\", want \"%s\"", (int)(n), p, want)

static const struct http_header *
find_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->num_headers; i++)
		if (slice_is(req->headers[i].name, req->headers[i].name_len, name))
			return &req->headers[i];
	return NULL;
}

/* -------------------------------------------------------- request: accepted */

Test(http_parse, simple_get)
{
	struct http_request req;
	const char *s = "GET /index.html?a=1&b=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
	int rc = parse(s, &req);

	cr_assert_eq(rc, (int)strlen(s));
	assert_slice(req.method, req.method_len, "GET");
	assert_slice(req.target, req.target_len, "/index.html?a=1&b=2");
	assert_slice(req.path, req.path_len, "/index.html");
	assert_slice(req.query, req.query_len, "a=1&b=2");
	cr_assert_eq(req.minor_version, 1);
	cr_assert_eq(req.num_headers, 2);
	assert_slice(req.headers[0].name, req.headers[0].name_len, "Host");
	assert_slice(req.headers[0].value, req.headers[0].value_len, "example.com");
	assert_slice(req.headers[1].name, req.headers[1].name_len, "Accept");
	cr_assert_eq(req.content_length, -1);
	cr_assert(!req.chunked);
	cr_assert(req.keep_alive);
	cr_assert(!req.expect_continue);
}

Test(http_parse, no_query_gives_empty_query)
{
	struct http_request req;
	cr_assert_gt(parse("GET /x HTTP/1.0\r\n\r\n", &req), 0);
	assert_slice(req.path, req.path_len, "/x");
	cr_assert_eq(req.query_len, 0);
	cr_assert_not_null(req.query);
	cr_assert_eq(req.minor_version, 0);
	cr_assert(!req.keep_alive);
}

Test(http_parse, query_keeps_later_question_marks)
{
	struct http_request req;
	cr_assert_gt(parse("GET /t.cgi?foo=bar?baz HTTP/1.1\r\n\r\n", &req), 0);
	assert_slice(req.path, req.path_len, "/t.cgi");
	assert_slice(req.query, req.query_len, "foo=bar?baz");
}

Test(http_parse, ows_trimmed_from_values)
{
	struct http_request req;
	cr_assert_gt(parse("GET / HTTP/1.1\r\nA:  \t x y \t \r\nB:\r\nC:\tz\r\n\r\n", &req), 0);
	assert_slice(req.headers[0].value, req.headers[0].value_len, "x y");
	assert_slice(req.headers[1].value, req.headers[1].value_len, "");
	assert_slice(req.headers[2].value, req.headers[2].value_len, "z");
}

Test(http_parse, obs_text_in_values_and_target)
{
	struct http_request req;
	cr_assert_gt(parse("GET /\xc3\xa9 HTTP/1.1\r\nTest: D\xc3\xbc\xff\r\n\r\n", &req), 0);
	assert_slice(req.path, req.path_len, "/\xc3\xa9");
	assert_slice(req.headers[0].value, req.headers[0].value_len, "D\xc3\xbc\xff");
}

Test(http_parse, any_token_is_a_method)
{
	const char *methods[] = { "PURGE", "MKCOLA", "C******", "M-SEARCH", "QUERY", "x" };
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		char buf[128];
		struct http_request req;
		snprintf(buf, sizeof(buf), "%s / HTTP/1.1\r\n\r\n", methods[i]);
		cr_expect_gt(parse(buf, &req), 0, "%s", methods[i]);
		cr_expect(slice_is(req.method, req.method_len, methods[i]), "%s", methods[i]);
	}
}

Test(http_parse, leading_empty_lines_are_skipped)
{
	struct http_request req;
	const char *s = "\r\n\r\nGET /test HTTP/1.1\r\n\r\n";
	cr_assert_eq(parse(s, &req), (int)strlen(s));
	assert_slice(req.method, req.method_len, "GET");
	cr_assert_eq(parse_status("\n\nGET / HTTP/1.1\r\n\r\n"), -400);
	cr_assert_eq(parse_status("\rGET / HTTP/1.1\r\n\r\n"), -400);
}

Test(http_parse, absolute_form)
{
	struct http_request req;
	cr_assert_gt(parse("GET http://h.org:1234/a/b?x=1 HTTP/1.1\r\n\r\n", &req), 0);
	assert_slice(req.target, req.target_len, "http://h.org:1234/a/b?x=1");
	assert_slice(req.path, req.path_len, "/a/b");
	assert_slice(req.query, req.query_len, "x=1");

	cr_assert_gt(parse("GET http://hypnotoad.org?hail=all HTTP/1.1\r\n\r\n", &req), 0);
	assert_slice(req.path, req.path_len, "/");
	assert_slice(req.query, req.query_len, "hail=all");

	cr_assert_gt(parse("GET HTTPS://h HTTP/1.1\r\n\r\n", &req), 0);
	assert_slice(req.path, req.path_len, "/");
}

Test(http_parse, asterisk_and_authority_forms)
{
	struct http_request req;
	cr_assert_gt(parse("OPTIONS * HTTP/1.1\r\n\r\n", &req), 0);
	assert_slice(req.path, req.path_len, "*");
	cr_assert_eq(parse_status("GET * HTTP/1.1\r\n\r\n"), -400);

	cr_assert_gt(parse("CONNECT example.com:443 HTTP/1.1\r\n\r\n", &req), 0);
	assert_slice(req.target, req.target_len, "example.com:443");
	cr_assert_eq(req.path_len, 0);
	cr_assert_eq(parse_status("CONNECT a@b:443 HTTP/1.1\r\n\r\n"), -400);
	cr_assert_eq(parse_status("GET example.com:443 HTTP/1.1\r\n\r\n"), -400);
}

/* -------------------------------------------------------- request: rejected */

struct reject_case {
	const char *raw;
	size_t len;
	int status;
	const char *why;
};

#define R(raw, status, why) { raw, sizeof(raw) - 1, status, why }

static const struct reject_case reject_cases[] = {
	/* request-line */
	R("G=T / HTTP/1.1\r\n\r\n", -400, "separator in method"),
	R(" GET / HTTP/1.1\r\n\r\n", -400, "leading space"),
	R("GET  / HTTP/1.1\r\n\r\n", -400, "double space before target"),
	R("GET /  HTTP/1.1\r\n\r\n", -400, "double space after target"),
	R("GET\t/ HTTP/1.1\r\n\r\n", -400, "tab separator"),
	R("GET / HTTP/1.1 x\r\n\r\n", -400, "junk after version"),
	R("GET / HTTP/1.1\rX: 1\r\n\r\n", -400, "bare CR after request-line"),
	R("GET / HTTP/1.1\n\n", -400, "bare LF after request-line"),
	R("GET /\nHTTP/1.1\r\n\r\n", -400, "LF in request-line"),
	R("GET /a b HTTP/1.1\r\n\r\n", -400, "space in target"),
	R("GET /\x7f HTTP/1.1\r\n\r\n", -400, "DEL in target"),
	R("GET /\x01 HTTP/1.1\r\n\r\n", -400, "CTL in target"),
	R("GET /#frag HTTP/1.1\r\n\r\n", -400, "fragment"),
	R("GET ! HTTP/1.1\r\n\r\n", -400, "target of no known form"),
	R("GET http://u:p@h/ HTTP/1.1\r\n\r\n", -400, "userinfo"),
	R("GET http:/// HTTP/1.1\r\n\r\n", -400, "empty authority"),
	R("GET / http/1.1\r\n\r\n", -400, "lowercase protocol"),
	R("GET / HTTP/01.1\r\n\r\n", -400, "two-digit major"),
	R("GET / HTTP/1.01\r\n\r\n", -400, "two-digit minor"),
	R("GET / HTTP/1.32\r\n\r\n", -400, "1.32"),
	R("GET / HTTP/1\r\n\r\n", -400, "no minor"),
	R("GET / ICE/1.0\r\n\r\n", -400, "ICE"),
	R("GET / HTTP/\r\r1.1\r\n\r\n", -400, "CR in version"),
	R("GET / HTTP/2.0\r\n\r\n", -505, "HTTP/2.0"),
	R("GET / HTTP/1.2\r\n\r\n", -505, "HTTP/1.2"),
	R("GET / HTTP/0.9\r\n\r\n", -505, "HTTP/0.9"),
	R("\x00 / HTTP/1.1\r\n\r\n", -400, "NUL method"),
	/* field lines */
	R("GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400, "space before colon"),
	R("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", -400, "tab before colon"),
	R("GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400, "whitespace before first field"),
	R("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", -400, "obs-fold SP"),
	R("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", -400, "obs-fold HTAB"),
	R("GET / HTTP/1.1\r\n: a\r\n\r\n", -400, "empty name"),
	R("GET / HTTP/1.1\r\nA b: c\r\n\r\n", -400, "space in name"),
	R("GET / HTTP/1.1\r\nA\x85: c\r\n\r\n", -400, "obs-text in name"),
	R("GET / HTTP/1.1\r\nA\\B: c\r\n\r\n", -400, "backslash in name"),
	R("GET / HTTP/1.1\r\nNoColon\r\n\r\n", -400, "no colon"),
	R("GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", -400, "bare LF ending a field"),
	R("GET / HTTP/1.1\r\nA: b\rC: d\r\n\r\n", -400, "bare CR in value"),
	R("GET / HTTP/1.1\r\nA: b\x00" "c\r\n\r\n", -400, "NUL in value"),
	R("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", -400, "CTL in value"),
	R("GET / HTTP/1.1\r\nA: \x0c\r\n\r\n", -400, "form feed value"),
	R("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", -400, "DEL in value"),
	R("GET / HTTP/1.1\r\nA: b\r\n\rZ\r\n\r\n", -400, "CR then junk ends the head"),
	R("GET / HTTP/1.1\r\nTransfer-\r\nEncoding: chunked\r\n\r\n", -400, "name split over lines"),
	/* Host */
	R("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", -400, "two Host fields"),
	/* Content-Length */
	R("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", -400, "empty CL"),
	R("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", -400, "CL with plus"),
	R("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", -400, "negative CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", -400, "hex CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 5.0\r\n\r\n", -400, "decimal CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 4 2\r\n\r\n", -400, "space inside CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 1Z\r\n\r\n", -400, "junk after CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 0, 5\r\n\r\n", -400, "differing CL list"),
	R("POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", -400, "CL list with empty element"),
	R("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -400, "differing CLs"),
	R("POST / HTTP/1.1\r\nContent-Length: \r\nContent-Length: 2\r\n\r\n", -400, "empty then real CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", -400, "CL overflow"),
	R("POST / HTTP/1.1\r\nContent-Length: 1000000000000000000000\r\n\r\n", -400, "huge CL"),
	/* Transfer-Encoding */
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", -400, "TE + CL"),
	R("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", -400, "CL + TE"),
	R("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: identity\r\n\r\n", -400, "CL + TE identity"),
	R("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400, "TE in HTTP/1.0"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", -400, "chunked twice"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -400,
	  "chunked in two fields"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", -400, "chunked not last"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", -400,
	  "chunked not last across fields"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n", -400, "empty TE"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n", -400, "TE of empty elements"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", -400, "quoted TE"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;a=b\r\n\r\n", -400, "TE parameter"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: \xa0" "chunked\r\n\r\n", -400, "nbsp before chunked"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\x0b\r\n\r\n", -400, "VT after chunked"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -501, "gzip then chunked"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", -501,
	  "gzip then chunked, two fields"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", -501, "identity"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunk\r\n\r\n", -501, "chunk"),
	R("POST / HTTP/1.1\r\nTransfer-Encoding: chunkedchunked\r\n\r\n", -501, "chunkedchunked"),
};

Test(http_parse, rejects)
{
	for (size_t i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *c = &reject_cases[i];
		struct http_request req;
		int rc = parse_n(c->raw, c->len, 8192, &req);
		cr_expect_eq(rc, c->status, "%s: got %d, want %d", c->why, rc, c->status);
	}
}

/* Errors show as soon as the bytes prove them, even without the end of the head. */
Test(http_parse, early_errors_without_the_blank_line)
{
	struct http_request req;

	cr_assert_eq(parse_status("GET / HTTP/1.1\nHost"), -400);
	cr_assert_eq(parse_status("GET /  HTTP/1.1"), -400);
	cr_assert_eq(parse_status("GET / HTX"), -400);
	cr_assert_eq(parse_status("GET / HTTP/1.1\r\nA : b"), -400);
	cr_assert_eq(parse_n("GET / HTTP/1.1\r\nA: b\x00", 22, 8192, &req), -400);
	cr_assert_eq(parse_status("POST / HTTP/1.1\r\nContent-Length: x\r\n"), -400);
	cr_assert_eq(parse_status("GET / HTTP/1.1\r\nA: b\r\n "), -400);
}

/* ------------------------------------------------------------------ framing */

Test(http_parse, content_length)
{
	struct http_request req;
	cr_assert_gt(parse("POST / HTTP/1.1\r\nconTENT-Length:\t 010 \t\r\n\r\n", &req), 0);
	cr_assert_eq(req.content_length, 10);
	cr_assert_gt(parse("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n", &req), 0);
	cr_assert_eq(req.content_length, 5);
	cr_assert_gt(parse("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", &req), 0);
	cr_assert_eq(req.content_length, INT64_MAX);
	cr_assert_gt(parse("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &req), 0);
	cr_assert_eq(req.content_length, 0);
	cr_assert(!req.chunked);
}

Test(http_parse, chunked)
{
	struct http_request req;
	cr_assert_gt(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &req), 0);
	cr_assert(req.chunked);
	cr_assert_eq(req.content_length, -1);
	cr_assert_gt(parse("POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n", &req), 0);
	cr_assert(req.chunked);
	/* empty list elements do not count (RFC 9110 5.6.1) */
	cr_assert_gt(parse("POST / HTTP/1.1\r\nTransfer-Encoding: , chunked ,\r\n\r\n", &req), 0);
	cr_assert(req.chunked);
	/* a field named like it is not it */
	cr_assert_gt(parse("POST / HTTP/1.1\r\nTransfer_Encoding: chunked\r\n\r\n", &req), 0);
	cr_assert(!req.chunked);
}

Test(http_parse, keep_alive_rules)
{
	struct http_request req;
	cr_assert_gt(parse("GET / HTTP/1.1\r\n\r\n", &req), 0);
	cr_assert(req.keep_alive);
	cr_assert_gt(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &req), 0);
	cr_assert(!req.keep_alive);
	cr_assert_gt(parse("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\t\r\n\r\n", &req), 0);
	cr_assert(!req.keep_alive);
	cr_assert_gt(parse("GET / HTTP/1.1\r\nConnection: close, keep-alive\r\n\r\n", &req), 0);
	cr_assert(!req.keep_alive);
	cr_assert_gt(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
	cr_assert(!req.keep_alive);
	cr_assert_gt(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 0);
	cr_assert(req.keep_alive);
	cr_assert_gt(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &req), 0);
	cr_assert(!req.keep_alive);
}

Test(http_parse, expect_continue)
{
	struct http_request req;
	cr_assert_gt(parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", &req), 0);
	cr_assert(req.expect_continue);
	cr_assert_gt(parse("POST / HTTP/1.1\r\nExpect: x 100-continue\r\n\r\n", &req), 0);
	cr_assert(!req.expect_continue);
	/* RFC 9110 10.1.1: ignore 100-continue from HTTP/1.0 */
	cr_assert_gt(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &req), 0);
	cr_assert(!req.expect_continue);
}

Test(http_parse, host_may_be_missing)
{
	struct http_request req;
	cr_assert_gt(parse("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", &req), 0);
}

/* ------------------------------------------------------- sizes and limits */

Test(http_parse, max_head)
{
	struct http_request req;
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t n = strlen(s);

	cr_assert_eq(parse_n(s, n, n, &req), (int)n);		/* exactly fits */
	cr_assert_eq(parse_n(s, n, n - 1, &req), -431);		/* one byte too long */
	cr_assert_eq(parse_n(s, n - 1, n - 1, &req), -431);	/* buffer full, no end */
	cr_assert_eq(parse_n(s, n - 2, n - 1, &req), 0);	/* still room */
	cr_assert_eq(parse_n(s, 0, 8192, &req), 0);
	cr_assert_eq(parse_n(s, 0, 0, &req), -431);
}

static size_t
build_many_headers(char *buf, size_t cap, int count)
{
	size_t n = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < count; i++)
		n += (size_t)snprintf(buf + n, cap - n, "X-H%d: %d\r\n", i, i);
	n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	return n;
}

Test(http_parse, header_count_limit)
{
	static char buf[8192];
	struct http_request req;
	size_t n = build_many_headers(buf, sizeof(buf), HTTP_MAX_HEADERS);

	cr_assert_eq(parse_n(buf, n, sizeof(buf), &req), (int)n);
	cr_assert_eq(req.num_headers, HTTP_MAX_HEADERS);
	n = build_many_headers(buf, sizeof(buf), HTTP_MAX_HEADERS + 1);
	cr_assert_eq(parse_n(buf, n, sizeof(buf), &req), -431);
}

/* ------------------------------------------------ incremental and pipelined */

static const char *valid_requests[] = {
	"GET / HTTP/1.1\r\n\r\n",
	"\r\nGET /a?b HTTP/1.0\r\nHost: x\r\n\r\n",
	"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX:\r\nY: \t v \t\r\n\r\n",
	"PUT http://h:8/p?q HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) \xc3\xa9t\xc3\xa9\r\n\r\n",
};

Test(http_parse, every_split_point_is_incomplete)
{
	for (size_t i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
		const char *s = valid_requests[i];
		size_t n = strlen(s);
		struct http_request req;
		for (size_t k = 0; k < n; k++) {
			int rc = parse_n(s, k, 8192, &req);
			cr_expect_eq(rc, 0, "request %zu cut at %zu: %d", i, k, rc);
		}
		cr_expect_eq(parse_n(s, n, 8192, &req), (int)n, "request %zu whole", i);
	}
}

Test(http_parse, pipelined_requests)
{
	const char *s = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nABC"
	                "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	                "GET /c HTTP/1.1\r\n";
	size_t n = strlen(s), pos;
	struct http_request req;
	int rc;

	rc = parse_n(s, n, 8192, &req);
	cr_assert_eq(rc, (int)strlen("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\n"));
	cr_assert_eq(req.content_length, 3);
	pos = (size_t)rc + 3;
	rc = parse_n(s + pos, n - pos, 8192, &req);
	cr_assert_eq(rc, (int)strlen("GET /b HTTP/1.1\r\nHost: h\r\n\r\n"));
	assert_slice(req.path, req.path_len, "/b");
	pos += (size_t)rc;
	cr_assert_eq(parse_n(s + pos, n - pos, 8192, &req), 0);
}

/* ------------------------------------------------------------ chunked body */

struct chunked_result {
	ssize_t rc;
	char body[512];
	size_t body_len;
	char rest[512];
	size_t rest_len;
};

/* Feeds raw to a fresh decoder in pieces cut at the given offsets. */
static struct chunked_result
decode_pieces(const char *raw, size_t n, const size_t *cuts, size_t ncuts)
{
	struct chunked_result r = { -2, { 0 }, 0, { 0 }, 0 };
	struct http_chunked d;
	size_t start = 0;

	http_chunked_init(&d);
	for (size_t c = 0; c <= ncuts && r.rc == -2; c++) {
		size_t stop = c < ncuts ? cuts[c] : n;
		size_t len = stop - start;
		struct guarded g = guard_copy(raw + start, len);
		r.rc = http_chunked_decode(&d, g.data, &len);
		cr_assert_leq(r.body_len + len, sizeof(r.body));
		memcpy(r.body + r.body_len, g.data, len);
		r.body_len += len;
		if (r.rc >= 0) {
			cr_assert_leq((size_t)r.rc, sizeof(r.rest));
			memcpy(r.rest, g.data + len, (size_t)r.rc);
			r.rest_len = (size_t)r.rc;
		}
		guard_free(&g);
		start = stop;
	}
	return r;
}

static struct chunked_result
decode_whole(const char *raw)
{
	return decode_pieces(raw, strlen(raw), NULL, 0);
}

Test(http_chunked, simple)
{
	struct chunked_result r = decode_whole("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.body_len, 11);
	cr_assert(memcmp(r.body, "hello world", 11) == 0);
}

Test(http_chunked, pipelined_rest_follows_body)
{
	const char *raw = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct chunked_result r = decode_whole(raw);
	cr_assert_eq(r.rc, (ssize_t)strlen("GET / HTTP/1.1\r\n\r\n"));
	cr_assert_eq(r.body_len, 3);
	cr_assert(memcmp(r.rest, "GET / HTTP/1.1\r\n\r\n", (size_t)r.rc) == 0);
}

Test(http_chunked, done_decoder_passes_everything_through)
{
	struct http_chunked d;
	char buf[] = "0\r\n\r\nXY";
	size_t len = 7;

	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, buf, &len), 2);
	cr_assert(http_chunked_done(&d));
	len = 2;
	cr_assert_eq(http_chunked_decode(&d, buf + 5, &len), 2);
	cr_assert_eq(len, 0);
}

static const char *chunked_ok[] = {
	"0\r\n\r\n",
	"000\r\n\r\n",
	"a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n",
	"5;ext\r\nhello\r\n0\r\n\r\n",
	"5; a=b ;c ; d = \"q \\\" ;x\" ; e\r\nhello\r\n0;z=1\r\n\r\n",
	"5 ;a\r\nhello\r\n0\r\n\r\n",
	"5\r\nhello\r\n0\r\nVary: *\r\nContent-Type: text/plain\r\n\r\n",
	"0\r\nX:POST / HTTP/1.1\r\n\r\n",
	"2\r\n\r\n\r\n0\r\n\r\n",
};

Test(http_chunked, valid_forms_split_at_every_byte)
{
	for (size_t i = 0; i < sizeof(chunked_ok) / sizeof(chunked_ok[0]); i++) {
		const char *raw = chunked_ok[i];
		size_t n = strlen(raw);
		struct chunked_result whole = decode_whole(raw);
		cr_assert_eq(whole.rc, 0, "case %zu whole: %zd", i, whole.rc);

		/* one cut anywhere */
		for (size_t k = 0; k <= n; k++) {
			struct chunked_result r = decode_pieces(raw, n, &k, 1);
			cr_expect_eq(r.rc, 0, "case %zu cut at %zu", i, k);
			cr_expect(r.body_len == whole.body_len && memcmp(r.body, whole.body, r.body_len) == 0,
			          "case %zu cut at %zu: body differs", i, k);
		}
		/* one byte at a time */
		size_t cuts[256];
		cr_assert_lt(n, 256);
		for (size_t k = 0; k < n; k++)
			cuts[k] = k + 1;
		struct chunked_result r = decode_pieces(raw, n, cuts, n - 1);
		cr_expect_eq(r.rc, 0, "case %zu byte by byte", i);
		cr_expect(r.body_len == whole.body_len && memcmp(r.body, whole.body, r.body_len) == 0);
	}
}

Test(http_chunked, incomplete_needs_more)
{
	const char *raw = "5\r\nhello\r\n0\r\n\r\n";
	for (size_t k = 0; k < strlen(raw); k++) {
		struct chunked_result r = decode_pieces(raw, k, NULL, 0);
		cr_expect_eq(r.rc, -2, "cut at %zu", k);
	}
}

struct bad_chunked {
	const char *raw;
	size_t len;
};

#define B(raw) { raw, sizeof(raw) - 1 }

static const struct bad_chunked chunked_bad[] = {
	B("\r\n\r\n"),	/* empty size */
	B("Z\r\n"),	/* not hex */
	B("0x0\r\n\r\n"),
	B("+0\r\n\r\n"),
	B("-0\r\n\r\n"),
	B(" 0\r\n\r\n"),	/* leading whitespace */
	B("0_2e\r\n\r\n"),
	B("5 \r\nhello\r\n0\r\n\r\n"),	/* trailing BWS, no extension */
	B("2 junk\r\naa\r\n0\r\n\r\n"),	/* extension without ';' */
	B("2;\r\naa\r\n0\r\n\r\n"),	/* ';' without a name */
	B("2;a=\r\naa\r\n0\r\n\r\n"),	/* '=' without a value */
	B("2;a=\"x\r\naa\r\n0\r\n\r\n"),	/* unbalanced quote */
	B("2;a=b c\r\naa\r\n0\r\n\r\n"),
	B("2;a\x01\r\naa\r\n0\r\n\r\n"),
	B("5\r\r;ABCD\r\n"),	/* CR CR */
	B("5\n"),	/* bare LF after size */
	B("3\r\nxxx__1a\r\n"),	/* data not followed by CRLF */
	B("3\r\nxxx\r_1a\r\n"),
	B("3\r\nxxx\n0\r\n\r\n"),	/* bare LF after data */
	B("10\x00\r\n"),
	B("3\r\nfoo\r\n\r\n"),	/* empty line where last-chunk belongs */
	B("0\r\n Folded: x\r\n\r\n"),	/* trailer obs-fold */
	B("0\r\nA : b\r\n\r\n"),	/* space before colon in trailer */
	B("0\r\nA: b\x00\r\n\r\n"),	/* NUL in trailer */
	B("0\r\nA: b\nB: c\r\n\r\n"),	/* bare LF in trailer */
	B("0\r\n\n"),	/* bare LF at the end */
	B("0\r\n\rX"),
	B("4000000000000001\r\n"),	/* over 2^62 */
	B("9999999999999999999999999\r\n"),
};

Test(http_chunked, rejects)
{
	for (size_t i = 0; i < sizeof(chunked_bad) / sizeof(chunked_bad[0]); i++) {
		const struct bad_chunked *c = &chunked_bad[i];
		struct chunked_result r = decode_pieces(c->raw, c->len, NULL, 0);
		cr_expect_eq(r.rc, -1, "case %zu (%s): %zd", i, c->raw, r.rc);
	}
}

Test(http_chunked, errors_are_sticky)
{
	struct http_chunked d;
	char bad[] = "Z\r\n";
	char good[] = "0\r\n\r\n";
	size_t len = 3;

	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, bad, &len), -1);
	len = 5;
	cr_assert_eq(http_chunked_decode(&d, good, &len), -1);
	cr_assert_eq(len, 0);
}

Test(http_chunked, size_limit_is_inclusive)
{
	struct http_chunked d;
	char buf[] = "4000000000000000\r\nab";
	size_t len = strlen(buf);

	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, buf, &len), -2);
	cr_assert_eq(len, 2);
	cr_assert_eq(d.remaining, HTTP_CHUNK_SIZE_MAX - 2);
}

Test(http_chunked, line_and_trailer_limits)
{
	static char buf[HTTP_CHUNK_TRAILER_MAX + 64];
	struct http_chunked d;
	size_t len;

	/* chunk line of exactly the limit passes, one more byte fails */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "1;", 2);
	memset(buf + 2, 'a', HTTP_CHUNK_LINE_MAX - 3);
	memcpy(buf + HTTP_CHUNK_LINE_MAX - 1, "\r\n", 2);
	len = HTTP_CHUNK_LINE_MAX + 1;
	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, buf, &len), -2);
	buf[HTTP_CHUNK_LINE_MAX - 1] = 'a';
	memcpy(buf + HTTP_CHUNK_LINE_MAX, "\r\n", 2);
	len = HTTP_CHUNK_LINE_MAX + 2;
	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, buf, &len), -1);

	/* trailers beyond the limit */
	memcpy(buf, "0\r\nX: ", 6);
	memset(buf + 6, 'v', HTTP_CHUNK_TRAILER_MAX);
	len = 6 + HTTP_CHUNK_TRAILER_MAX;
	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, buf, &len), -1);
}

/* ------------------------------------------------------------ CGI variables */

static const struct kv *
find_var(const struct kv *vars, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (slice_is(vars[i].key, vars[i].key_len, key))
			return &vars[i];
	return NULL;
}

#define assert_var(vars, n, key, want) do { \
	const struct kv *v_ = find_var(vars, n, key); \
	cr_assert_not_null(v_, "%s missing", key); \
	cr_assert(slice_is(v_->val, v_->val_len, want), "%s = \"%.*s\", want \"%s\"", key, \
	          (int)v_->val_len, v_->val, want); \
} while (0)

static const struct http_conn_info test_conn = { "10.0.0.1", NULL, "myhost", "9090", false };

static int
build(const char *raw, struct kv *vars, size_t max_vars, char *arena, size_t arena_size)
{
	static struct http_request req;	/* slices must stay valid: raw is a literal */
	cr_assert_gt(http_parse_request(raw, strlen(raw), 8192, &req), 0, "%s", raw);
	return http_build_vars(&req, &test_conn, vars, max_vars, arena, arena_size);
}

Test(http_vars, standard_set)
{
	struct kv vars[64];
	char arena[1024];
	int n = build("POST /a%20b/c%2Fd?x=%20 HTTP/1.1\r\nHost: example.com\r\n"
	              "Content-Type: text/plain\r\nContent-Length: 005\r\nX-Forwarded-For: 1.2.3.4\r\n"
	              "accept-ENCODING: gzip\r\n\r\n", vars, 64, arena, sizeof(arena));

	cr_assert_gt(n, 0);
	assert_var(vars, n, "REQUEST_METHOD", "POST");
	assert_var(vars, n, "REQUEST_URI", "/a%20b/c%2Fd?x=%20");
	assert_var(vars, n, "PATH_INFO", "/a b/c/d");
	assert_var(vars, n, "QUERY_STRING", "x=%20");
	assert_var(vars, n, "SERVER_PROTOCOL", "HTTP/1.1");
	assert_var(vars, n, "SCRIPT_NAME", "");
	assert_var(vars, n, "SERVER_NAME", "myhost");
	assert_var(vars, n, "SERVER_PORT", "9090");
	assert_var(vars, n, "REMOTE_ADDR", "10.0.0.1");
	assert_var(vars, n, "HTTP_HOST", "example.com");
	assert_var(vars, n, "CONTENT_TYPE", "text/plain");
	assert_var(vars, n, "CONTENT_LENGTH", "5");
	assert_var(vars, n, "HTTP_X_FORWARDED_FOR", "1.2.3.4");
	assert_var(vars, n, "HTTP_ACCEPT_ENCODING", "gzip");
	cr_assert_null(find_var(vars, n, "HTTP_CONTENT_TYPE"));
	cr_assert_null(find_var(vars, n, "HTTP_CONTENT_LENGTH"));
	cr_assert_null(find_var(vars, n, "HTTPS"));
	cr_assert_null(find_var(vars, n, "REMOTE_PORT"));
	cr_assert_eq(n, 14);
}

Test(http_vars, https_remote_port_and_http10)
{
	struct http_request req;
	struct kv vars[32];
	char arena[512];
	const char *raw = "GET http://h?q HTTP/1.0\r\n\r\n";
	struct http_conn_info conn = { "::1", "5555", "s", "443", true };

	cr_assert_gt(http_parse_request(raw, strlen(raw), 8192, &req), 0);
	int n = http_build_vars(&req, &conn, vars, 32, arena, sizeof(arena));
	cr_assert_gt(n, 0);
	assert_var(vars, n, "HTTPS", "on");
	assert_var(vars, n, "REMOTE_PORT", "5555");
	assert_var(vars, n, "SERVER_PROTOCOL", "HTTP/1.0");
	assert_var(vars, n, "PATH_INFO", "/");
	assert_var(vars, n, "QUERY_STRING", "q");
	assert_var(vars, n, "REQUEST_URI", "http://h?q");
}

Test(http_vars, repeated_fields_are_joined)
{
	struct kv vars[32];
	char arena[1024];
	int n = build("GET / HTTP/1.1\r\nAccept: a\r\nCookie: x=1\r\nACCEPT: b\r\ncookie: y=2\r\n"
	              "Accept: c\r\n\r\n", vars, 32, arena, sizeof(arena));

	cr_assert_gt(n, 0);
	assert_var(vars, n, "HTTP_ACCEPT", "a, b, c");
	assert_var(vars, n, "HTTP_COOKIE", "x=1; y=2");
	int accept_count = 0;
	for (int i = 0; i < n; i++)
		accept_count += slice_is(vars[i].key, vars[i].key_len, "HTTP_ACCEPT");
	cr_assert_eq(accept_count, 1);
}

Test(http_vars, underscore_and_proxy_fields_dropped)
{
	struct kv vars[32];
	char arena[1024];
	int n = build("GET / HTTP/1.1\r\nX-Foo: good\r\nX_Foo: evil\r\nContent_Length: 5\r\n"
	              "Proxy: http://evil\r\nTransfer-%45ncoding: x\r\n\r\n", vars, 32, arena, sizeof(arena));

	cr_assert_gt(n, 0);
	assert_var(vars, n, "HTTP_X_FOO", "good");
	cr_assert_null(find_var(vars, n, "CONTENT_LENGTH"));
	cr_assert_null(find_var(vars, n, "HTTP_PROXY"));
	assert_var(vars, n, "HTTP_TRANSFER_%45NCODING", "x");
}

Test(http_vars, bad_percent_escapes)
{
	const char *bad[] = { "/a%00b", "/a%", "/a%4", "/a%zz", "/%0g" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char raw[128];
		struct kv vars[32];
		char arena[512];
		snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\n\r\n", bad[i]);
		cr_expect_eq(build(raw, vars, 32, arena, sizeof(arena)), -400, "%s", bad[i]);
	}
	/* the query is passed raw, escapes there are the app's business */
	struct kv vars[32];
	char arena[512];
	cr_assert_gt(build("GET /?a=%00%zz HTTP/1.1\r\n\r\n", vars, 32, arena, sizeof(arena)), 0);
}

Test(http_vars, too_small)
{
	const char *raw = "GET /x%41 HTTP/1.1\r\nHost: h\r\nA: 1\r\nA: 2\r\n\r\n";
	struct kv vars[32];
	char arena[512];
	int full = build(raw, vars, 32, arena, sizeof(arena));

	cr_assert_eq(full, 11);
	cr_assert_eq(build(raw, vars, (size_t)full - 1, arena, sizeof(arena)), -1);
	cr_assert_eq(build(raw, vars, (size_t)full, arena, sizeof(arena)), full);
	/* find the smallest arena that works; one byte less must fail cleanly */
	size_t need = 0;
	while (build(raw, vars, 32, arena, need) < 0)
		need++;
	cr_assert_gt(need, 0);
	cr_assert_eq(build(raw, vars, 32, arena, need - 1), -1);
	cr_assert_eq(build(raw, vars, 32, NULL, 0), -1);
}

/* ------------------------------------------------------------ response head */

struct head_result {
	int rc;
	char text[1024];
	struct http_resp_framing fr;
};

static struct head_result
head(int minor, const char *status, const struct kv *h, size_t n, int64_t cl, bool keep, bool is_head)
{
	struct head_result r;
	memset(&r, 0, sizeof(r));
	r.rc = http_format_head(r.text, sizeof(r.text) - 1, minor, status, strlen(status), h, n, cl, keep,
	                        is_head, &r.fr);
	if (r.rc > 0)
		r.text[r.rc] = '\0';
	return r;
}

#define KV(k, v) { k, sizeof(k) - 1, v, sizeof(v) - 1 }

static const struct kv ct_html[] = { KV("Content-Type", "text/html") };

Test(http_head, http11_known_length)
{
	struct head_result r = head(1, "200 OK", ct_html, 1, 42, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 42\r\n\r\n");
	cr_assert_eq(r.fr.status, 200);
	cr_assert(r.fr.body_allowed && !r.fr.chunked && !r.fr.close);
	cr_assert_eq(r.fr.content_length, 42);
}

Test(http_head, http11_unknown_length_is_chunked)
{
	struct head_result r = head(1, "200 OK", ct_html, 1, -1, true, false);
	cr_assert_str_eq(r.text,
	                 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n");
	cr_assert(r.fr.chunked && !r.fr.close);
}

Test(http_head, http11_close)
{
	struct head_result r = head(1, "200 OK", NULL, 0, 0, false, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	cr_assert(r.fr.close);
}

Test(http_head, http10_unknown_length_closes)
{
	struct head_result r = head(0, "200 OK", NULL, 0, -1, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n");
	cr_assert(r.fr.close && !r.fr.chunked && r.fr.body_allowed);
}

Test(http_head, http10_keep_alive_with_length)
{
	struct head_result r = head(0, "200 OK", NULL, 0, 3, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n");
	cr_assert(!r.fr.close);
}

Test(http_head, head_request_has_no_body)
{
	struct head_result r = head(1, "200 OK", ct_html, 1, 0, true, true);
	cr_assert_str_eq(r.text, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
	cr_assert(!r.fr.body_allowed && !r.fr.chunked && !r.fr.close);

	/* HTTP/1.0 HEAD keeps the connection: no body to delimit */
	r = head(0, "200 OK", NULL, 0, -1, true, true);
	cr_assert_str_eq(r.text, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n");

	/* the application's own Content-Length is kept for HEAD */
	static const struct kv cl[] = { KV("Content-Length", "1234") };
	r = head(1, "200 OK", cl, 1, 0, true, true);
	cr_assert_str_eq(r.text, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
	cr_assert(!r.fr.body_allowed);
}

Test(http_head, no_body_statuses)
{
	static const struct kv cl[] = { KV("Content-Length", "5") };
	struct head_result r = head(1, "204 No Content", cl, 1, 5, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 204 No Content\r\n\r\n");
	cr_assert(!r.fr.body_allowed && !r.fr.chunked);

	r = head(1, "304 Not Modified", NULL, 0, -1, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 304 Not Modified\r\n\r\n");
	cr_assert(!r.fr.body_allowed);

	r = head(1, "100 Continue", NULL, 0, -1, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 100 Continue\r\n\r\n");
	cr_assert(!r.fr.body_allowed);
}

Test(http_head, app_length_wins)
{
	static const struct kv h[] = { KV("content-length", " 7 "), KV("X", "y") };
	struct head_result r = head(1, "200 OK", h, 2, 99, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 200 OK\r\ncontent-length:  7 \r\nX: y\r\n\r\n");
	cr_assert_eq(r.fr.content_length, 7);
	cr_assert(!r.fr.chunked);
}

Test(http_head, hop_by_hop_from_app)
{
	static const struct kv h[] = { KV("Connection", "close"), KV("Transfer-Encoding", "chunked") };
	struct head_result r = head(1, "200 OK", h, 2, 3, true, false);
	cr_assert_str_eq(r.text, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
	cr_assert(r.fr.close);
}

Test(http_head, response_splitting_refused)
{
	static const struct kv crlf[] = { KV("X", "a\r\nSet-Cookie: evil") };
	static const struct kv lf[] = { KV("X", "a\nb") };
	static const struct kv nul[] = { { "X", 1, "a\0b", 3 } };
	static const struct kv badname[] = { KV("X Y", "a") };
	static const struct kv colon[] = { KV("X:Y", "a") };
	static const struct kv empty[] = { KV("", "a") };
	static const struct kv badcl[] = { KV("Content-Length", "5x") };
	static const struct kv twocl[] = { KV("Content-Length", "5"), KV("Content-Length", "6") };

	cr_assert_eq(head(1, "200 OK", crlf, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", lf, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", nul, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", badname, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", colon, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", empty, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", badcl, 1, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK", twocl, 2, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200 OK\r\nX: y", NULL, 0, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "20 OK", NULL, 0, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "200OK", NULL, 0, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "abc", NULL, 0, 0, true, false).rc, -1);
	cr_assert_eq(head(1, "404", NULL, 0, 0, true, false).fr.status, 404);
}

Test(http_head, buffer_too_small)
{
	char out[64];
	struct http_resp_framing fr;
	const char *want = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 42\r\n\r\n";
	size_t n = strlen(want);

	cr_assert_eq(http_format_head(out, n, 1, "200 OK", 6, ct_html, 1, 42, true, false, &fr), (int)n);
	cr_assert_eq(http_format_head(out, n - 1, 1, "200 OK", 6, ct_html, 1, 42, true, false, &fr), -2);
	cr_assert_eq(http_format_head(out, 0, 1, "200 OK", 6, ct_html, 1, 42, true, false, &fr), -2);
}

Test(http_head, chunk_framing)
{
	char out[HTTP_CHUNK_HEAD_MAX];
	size_t n;

	n = http_chunk_head(out, 1);
	cr_assert(slice_is(out, n, "1\r\n"));
	n = http_chunk_head(out, 0x1a2b);
	cr_assert(slice_is(out, n, "1a2b\r\n"));
	n = http_chunk_head(out, UINT64_MAX);
	cr_assert(slice_is(out, n, "ffffffffffffffff\r\n"));
	cr_assert_eq(n, HTTP_CHUNK_HEAD_MAX);
	cr_assert_str_eq(HTTP_CHUNK_LAST, "0\r\n\r\n");

	/* what the parser side makes of our own framing */
	char body[64];
	size_t len = 0;
	len += http_chunk_head(body, 5);
	memcpy(body + len, "hello" HTTP_CHUNK_END HTTP_CHUNK_LAST, 12);
	len += 12;
	struct http_chunked d;
	http_chunked_init(&d);
	cr_assert_eq(http_chunked_decode(&d, body, &len), 0);
	cr_assert(slice_is(body, len, "hello"));
}

/* find_header is handy when debugging; keep it used */
Test(http_parse, header_lookup)
{
	struct http_request req;
	cr_assert_gt(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", &req), 0);
	const struct http_header *h = find_header(&req, "B");
	cr_assert_not_null(h);
	assert_slice(h->value, h->value_len, "2");
}
