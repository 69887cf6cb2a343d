/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the HTTP request parser, the CGI variable builder and
 * the response head formatter. Besides memory errors (ASan) it checks:
 *  - results are one of the documented codes and never beyond len;
 *  - slices stay inside the head;
 *  - the verdict does not depend on how the bytes arrive: every prefix of an
 *    input gives 0 or the same result as the whole input;
 *  - a head that parses, formatted back through http_format_head(), cannot
 *    produce a response line with a stray CR or LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"

#define MAX_HEAD 8192

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static bool
inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && p + n <= buf + len;
}

/* Independent byte-by-byte statements of the grammar, to cross-check the
 * parser's word-at-a-time scanners. */
static bool
all_tchar(const char *s, size_t n)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || !strchr(tchar, s[i]))
			return false;
	return true;
}

static bool
all_value(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool
all_target(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || c == '#')
			return false;
	}
	return true;
}

static void
check_slices(const struct http_request *req, const char *buf, size_t head)
{
	CHECK(inside(req->method, req->method_len, buf, head) && req->method_len > 0);
	CHECK(inside(req->target, req->target_len, buf, head) && req->target_len > 0);
	CHECK(all_tchar(req->method, req->method_len));
	CHECK(all_target(req->target, req->target_len));
	CHECK(inside(req->query, req->query_len, buf, head));
	CHECK(inside(req->path, req->path_len, buf, head) ||
	      (req->path_len == 1 && req->path[0] == '/'));
	CHECK(req->minor_version == 0 || req->minor_version == 1);
	CHECK(req->num_headers <= HTTP_MAX_HEADERS);
	CHECK(!(req->chunked && req->content_length >= 0));
	for (size_t i = 0; i < req->num_headers; i++) {
		const struct http_header *h = &req->headers[i];
		CHECK(inside(h->name, h->name_len, buf, head) && h->name_len > 0);
		CHECK(inside(h->value, h->value_len, buf, head));
		CHECK(all_tchar(h->name, h->name_len));
		CHECK(all_value(h->value, h->value_len));
		CHECK(h->value_len == 0 || (h->value[0] != ' ' && h->value[0] != '\t'));
	}
}

static void
check_prefixes(const char *data, size_t size, int whole)
{
	size_t cuts[] = {
		size / 2, size / 3, size ? size - 1 : 0, whole > 0 ? (size_t)whole - 1 : 0,
	};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		size_t k = cuts[i];
		if (k >= size)
			continue;
		/* exact-size copy so ASan sees any read past k */
		char *copy = malloc(k ? k : 1);
		struct http_request req;
		memcpy(copy, data, k);
		int rc = http_parse_request(copy, k, MAX_HEAD, &req);
		if (whole > 0)
			CHECK(k < (size_t)whole ? rc == 0 : rc == whole);
		else
			CHECK(rc == 0 || rc == whole);
		free(copy);
	}
}

static void
check_vars(const struct http_request *req)
{
	static struct kv vars[HTTP_MAX_HEADERS + 16];
	static char arena[16384];
	struct http_conn_info conn = { "127.0.0.1", "1234", "host", "80", true };
	int n = http_build_vars(req, &conn, vars, HTTP_MAX_HEADERS + 16, arena, sizeof(arena));

	CHECK(n == -400 || n > 0);
	/* tiny arenas and arrays must fail cleanly, not overflow */
	char *small = malloc(16);
	int m = http_build_vars(req, &conn, vars, 4, small, 16);
	CHECK(m == -1 || m == -400 || (m > 0 && m <= 4));
	free(small);
}

static void
check_format(const struct http_request *req)
{
	static const char *codes[] = { "200", "204", "304", "101", "404", "099" };
	struct kv headers[HTTP_MAX_HEADERS];
	struct http_resp_framing fr;
	static char out[16384], status[MAX_HEAD + 4];
	size_t status_len = 3;

	/* status from the input: a code, then the query as the reason phrase */
	memcpy(status, codes[req->target_len % 6], 3);
	if (req->query_len) {
		status[3] = ' ';
		memcpy(status + 4, req->query, req->query_len);
		status_len = 4 + req->query_len;
	}

	for (size_t i = 0; i < req->num_headers; i++)
		headers[i] = (struct kv){ req->headers[i].name, req->headers[i].name_len,
		                          req->headers[i].value, req->headers[i].value_len };
	int rc = http_format_head(out, sizeof(out), req->minor_version,
	                          status, status_len, headers, req->num_headers,
	                          req->content_length, req->keep_alive, req->method_len == 4, &fr);
	if (rc < 0)
		return;
	CHECK(rc >= 4 && memcmp(out + rc - 4, "\r\n\r\n", 4) == 0);
	/* every CR is followed by LF and every LF preceded by CR */
	for (int i = 0; i < rc; i++) {
		if (out[i] == '\r')
			CHECK(i + 1 < rc && out[i + 1] == '\n');
		if (out[i] == '\n')
			CHECK(i > 0 && out[i - 1] == '\r');
	}
	CHECK(!(fr.chunked && !fr.body_allowed));
}

static void
check_body(const char *body, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct http_chunked d;
	size_t n = len;

	memcpy(copy, body, len);
	http_chunked_init(&d);
	ssize_t rc = http_chunked_decode(&d, copy, &n);
	CHECK(rc >= -2 && n <= len);
	if (rc >= 0)
		CHECK(n + (size_t)rc <= len);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request req;
	int rc = http_parse_request(buf, size, MAX_HEAD, &req);

	CHECK(rc == 0 || rc == -400 || rc == -431 || rc == -501 || rc == -505 ||
	      (rc > 0 && (size_t)rc <= size && rc <= MAX_HEAD));
	check_prefixes(buf, size, rc);
	if (rc <= 0)
		return 0;
	check_slices(&req, buf, (size_t)rc);
	/* exactly enough room is enough; one byte less is not */
	CHECK(http_parse_request(buf, (size_t)rc, (size_t)rc, &req) == rc);
	CHECK(http_parse_request(buf, (size_t)rc, (size_t)rc - 1, &req) == -431);
	http_parse_request(buf, size, MAX_HEAD, &req);
	check_vars(&req);
	check_format(&req);
	if (req.chunked)
		check_body(buf + rc, size - (size_t)rc);
	return 0;
}
