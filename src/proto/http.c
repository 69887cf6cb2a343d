/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x request parsing and response framing for the http-socket.
 *
 * The parser re-parses the head from the start on every call (as
 * picohttpparser does): no state to keep between reads, and any error is
 * reported as soon as the bytes that prove it have arrived. Hot loops scan
 * eight bytes at a time and fall back to a 256-entry class table.
 */
#include "proto/http.h"

#include <limits.h>
#include <string.h>

#include "proto/http_chars.h"

/* ---------------------------------------------------------------- scanning */

/* Word-at-a-time tests (the classic "haszero" tricks); exact as booleans. */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static inline uint64_t
has_byte_below(uint64_t w, uint8_t n)	/* n <= 128 */
{
	return (w - ONES * n) & ~w & HIGHS;
}

static inline uint64_t
has_byte(uint64_t w, uint8_t b)
{
	uint64_t x = w ^ (ONES * b);
	return (x - ONES) & ~x & HIGHS;
}

static inline uint64_t
load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

/*
 * Skips bytes of class cls, eight at a time while no byte of a word is
 * below `below`, DEL or `stop` (those words are left to the class table).
 * Returns the first byte not in cls, or end. Inlined with constants.
 */
static inline const char *
scan_class(const char *p, const char *end, uint8_t cls, uint8_t below, uint8_t stop)
{
	for (;;) {
		while (end - p >= 8) {
			uint64_t w = load8(p);
			if (has_byte_below(w, below) | has_byte(w, 0x7f) | has_byte(w, stop))
				break;
			p += 8;
		}
		const char *stop_at = end - p > 8 ? p + 8 : end;
		while (p < stop_at && is_class(*p, cls))
			p++;
		if (p < stop_at || p == end)
			return p;
	}
}

/* Skips field-value bytes; returns the first other byte (CR, LF, CTL) or end. */
static const char *
scan_value(const char *p, const char *end)
{
	/* a CTL or HTAB stops the fast loop (DEL twice: no third stop byte) */
	return scan_class(p, end, CT_VALUE, 0x20, 0x7f);
}

/* Skips request-target bytes; stops at SP, CTL, '#' or end. */
static const char *
scan_target(const char *p, const char *end)
{
	return scan_class(p, end, CT_TARGET, 0x21, '#');
}

static const char *
scan_token(const char *p, const char *end)
{
	while (p < end && is_class(*p, CT_TCHAR))
		p++;
	return p;
}

static const char *
skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool
all_class(const char *s, size_t n, uint8_t cls)
{
	for (size_t i = 0; i < n; i++)
		if (!is_class(s[i], cls))
			return false;
	return true;
}


/*
 * Next element of a comma-separated list (RFC 9110 5.6.1), OWS trimmed.
 * Elements may be empty. *pp starts at the value and becomes NULL after the
 * last element; returns false once the list is exhausted.
 */
static bool
next_list_element(const char **pp, const char *end, const char **elem, size_t *elem_len)
{
	const char *p = *pp, *e, *comma;

	if (p == NULL)
		return false;
	comma = memchr(p, ',', (size_t)(end - p));
	e = comma ? comma : end;
	p = skip_ows(p, e);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*elem = p;
	*elem_len = (size_t)(e - p);
	*pp = comma ? comma + 1 : NULL;
	return true;
}

/* ---------------------------------------------------------- request head */

enum { PARSE_AGAIN = 0, PARSE_OK = 1, PARSE_END = 2 };

/* What the fields said about framing, collected while parsing. */
struct head_state {
	bool cl_seen;
	int64_t cl;
	bool te_seen;
	int te_codings;		/* non-empty list elements in all TE fields */
	int te_chunked;		/* how many of them were "chunked" */
	bool te_last_chunked;
	bool te_other;		/* a coding we cannot decode */
	int host_count;
	bool conn_close;
	bool conn_keep_alive;
	bool expect_continue;
};

static bool
method_is(const struct http_request *req, const char *upper)
{
	size_t n = strlen(upper);
	return req->method_len == n && memcmp(req->method, upper, n) == 0;
}

/*
 * absolute-form: scheme "://" authority [path-abempty] ["?" query].
 * Returns where the path starts, or NULL if not absolute-form or it carries
 * userinfo (RFC 9110 4.2.4: treat as an error).
 */
static const char *
skip_scheme_authority(const char *t, const char *end)
{
	const char *p = t, *auth;

	if (p == end || !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
		return NULL;
	while (p < end && (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
	                   (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
		p++;
	if (end - p < 3 || memcmp(p, "://", 3) != 0)
		return NULL;
	auth = p += 3;
	while (p < end && *p != '/' && *p != '?') {
		if (*p == '@')
			return NULL;
		p++;
	}
	return p == auth ? NULL : p;
}

/* Fills path and query from the target, checking its form (RFC 9112 3.2). */
static int
split_target(struct http_request *req)
{
	const char *t = req->target, *end = t + req->target_len;
	const char *path, *q;

	if (*t == '/') {
		path = t;
	} else if (req->target_len == 1 && *t == '*') {
		if (!method_is(req, "OPTIONS"))
			return -400;
		path = t;
	} else if (method_is(req, "CONNECT")) {
		/* authority-form: host:port, nothing else */
		if (memchr(t, '/', req->target_len) || memchr(t, '?', req->target_len) ||
		    memchr(t, '@', req->target_len))
			return -400;
		req->path = req->query = end;
		req->path_len = req->query_len = 0;
		return PARSE_OK;
	} else {
		path = skip_scheme_authority(t, end);
		if (path == NULL)
			return -400;
	}
	q = memchr(path, '?', (size_t)(end - path));
	req->path = path;
	req->path_len = (size_t)((q ? q : end) - path);
	req->query = q ? q + 1 : end;
	req->query_len = (size_t)(end - req->query);
	if (req->path_len == 0) {
		req->path = "/";
		req->path_len = 1;
	}
	return PARSE_OK;
}

/* "HTTP/" DIGIT "." DIGIT CRLF, checking whatever part has arrived. */
static int
parse_version(const char **pp, const char *end, int *minor)
{
	static const char prefix[] = "HTTP/";
	const char *p = *pp;
	size_t avail = (size_t)(end - p);

	for (size_t i = 0; i < 5 && i < avail; i++)
		if (p[i] != prefix[i])
			return -400;
	if ((avail > 5 && !(p[5] >= '0' && p[5] <= '9')) || (avail > 6 && p[6] != '.') ||
	    (avail > 7 && !(p[7] >= '0' && p[7] <= '9')) || (avail > 8 && p[8] != '\r') ||
	    (avail > 9 && p[9] != '\n'))
		return -400;
	if (avail < 10)
		return PARSE_AGAIN;
	if (p[5] != '1' || p[7] > '1')
		return -505;
	*minor = p[7] - '0';
	*pp = p + 10;
	return PARSE_OK;
}

static int
parse_request_line(const char **pp, const char *end, struct http_request *req)
{
	const char *p = *pp;
	int rc;

	/* RFC 9112 2.2: ignore empty lines (CRLF only) before the request-line */
	while (p < end && *p == '\r') {
		if (end - p < 2)
			return PARSE_AGAIN;
		if (p[1] != '\n')
			return -400;
		p += 2;
	}

	req->method = p;
	p = scan_token(p, end);
	if (p == end)
		return PARSE_AGAIN;
	req->method_len = (size_t)(p - req->method);
	if (req->method_len == 0 || *p != ' ')
		return -400;

	req->target = ++p;
	p = scan_target(p, end);
	if (p == end)
		return PARSE_AGAIN;
	req->target_len = (size_t)(p - req->target);
	if (req->target_len == 0 || *p != ' ')
		return -400;	/* also '#': a fragment is never sent (RFC 9112 3.2) */
	p++;

	rc = parse_version(&p, end, &req->minor_version);
	if (rc != PARSE_OK)
		return rc;
	rc = split_target(req);
	if (rc != PARSE_OK)
		return rc;
	*pp = p;
	return PARSE_OK;
}

static int
note_content_length(struct head_state *st, const char *v, size_t n)
{
	const char *p = v, *end = v + n, *e;
	size_t elen;

	if (n == 0)
		return -400;
	/* "5, 5" is one value repeated (RFC 9110 8.6); anything else differing is fatal */
	while (next_list_element(&p, end, &e, &elen)) {
		uint64_t val = 0;
		if (elen == 0)
			return -400;
		for (size_t i = 0; i < elen; i++) {
			if (e[i] < '0' || e[i] > '9')
				return -400;
			if (val > ((uint64_t)INT64_MAX - (uint64_t)(e[i] - '0')) / 10)
				return -400;
			val = val * 10 + (uint64_t)(e[i] - '0');
		}
		if (st->cl_seen && (uint64_t)st->cl != val)
			return -400;
		st->cl = (int64_t)val;
		st->cl_seen = true;
	}
	return PARSE_OK;
}

static int
note_transfer_encoding(struct head_state *st, const char *v, size_t n)
{
	const char *p = v, *end = v + n, *e;
	size_t elen;

	st->te_seen = true;
	while (next_list_element(&p, end, &e, &elen)) {
		if (elen == 0)
			continue;	/* empty list elements do not count */
		if (!all_class(e, elen, CT_TCHAR))
			return -400;	/* parameters, quotes, obs-text: not a coding we know */
		st->te_codings++;
		if (equals_nocase(e, elen, "chunked")) {
			st->te_chunked++;
			st->te_last_chunked = true;
		} else {
			st->te_other = true;
			st->te_last_chunked = false;
		}
	}
	return PARSE_OK;
}

static void
note_connection(struct head_state *st, const char *v, size_t n)
{
	const char *p = v, *end = v + n, *e;
	size_t elen;

	while (next_list_element(&p, end, &e, &elen)) {
		if (equals_nocase(e, elen, "close"))
			st->conn_close = true;
		else if (equals_nocase(e, elen, "keep-alive"))
			st->conn_keep_alive = true;
	}
}

/* Records what a field means for framing; most fields mean nothing here. */
static int
note_field(struct head_state *st, const struct http_header *h)
{
	switch (h->name_len) {
	case 4:
		if (equals_nocase(h->name, 4, "host"))
			st->host_count++;
		break;
	case 6:
		if (equals_nocase(h->name, 6, "expect") &&
		    equals_nocase(h->value, h->value_len, "100-continue"))
			st->expect_continue = true;
		break;
	case 10:
		if (equals_nocase(h->name, 10, "connection"))
			note_connection(st, h->value, h->value_len);
		break;
	case 14:
		if (equals_nocase(h->name, 14, "content-length"))
			return note_content_length(st, h->value, h->value_len);
		break;
	case 17:
		if (equals_nocase(h->name, 17, "transfer-encoding"))
			return note_transfer_encoding(st, h->value, h->value_len);
		break;
	}
	return PARSE_OK;
}

/*
 * One field line, or the empty line ending the head (PARSE_END).
 * field-line = field-name ":" OWS field-value OWS CRLF, nothing else:
 * no whitespace before the colon or at the start (obs-fold), no bare CR/LF.
 */
static int
parse_field_line(const char **pp, const char *end, struct http_request *req, struct head_state *st)
{
	const char *p = *pp;
	struct http_header *h;
	const char *name, *name_end, *value, *value_end;

	if (p == end)
		return PARSE_AGAIN;
	if (*p == '\r') {
		if (end - p < 2)
			return PARSE_AGAIN;
		if (p[1] != '\n')
			return -400;
		*pp = p + 2;
		return PARSE_END;
	}

	name = p;
	p = scan_token(p, end);
	if (p == end)
		return PARSE_AGAIN;
	if (p == name || *p != ':')
		return -400;
	name_end = p;
	value = p = skip_ows(p + 1, end);
	p = scan_value(p, end);
	if (p == end)
		return PARSE_AGAIN;
	if (*p != '\r')
		return -400;	/* bare LF, NUL, other CTL */
	if (end - p < 2)
		return PARSE_AGAIN;
	if (p[1] != '\n')
		return -400;
	value_end = p;
	while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
		value_end--;

	if (req->num_headers == HTTP_MAX_HEADERS)
		return -431;
	h = &req->headers[req->num_headers++];
	h->name = name;
	h->name_len = (size_t)(name_end - name);
	h->value = value;
	h->value_len = (size_t)(value_end - value);
	*pp = p + 2;
	return note_field(st, h);
}

/* Body framing from the whole head (RFC 9112 6.1, 6.3). */
static int
decide_framing(struct http_request *req, const struct head_state *st)
{
	if (st->host_count > 1)
		return -400;	/* RFC 9112 3.2 */
	if (st->te_seen) {
		if (st->cl_seen || req->minor_version == 0)
			return -400;
		if (st->te_codings == 0 || st->te_chunked > 1 ||
		    (st->te_chunked && !st->te_last_chunked))
			return -400;
		if (st->te_other)
			return -501;
		req->chunked = true;
	}
	req->content_length = st->cl_seen ? st->cl : -1;
	if (req->minor_version == 1)
		req->keep_alive = !st->conn_close;
	else
		req->keep_alive = st->conn_keep_alive && !st->conn_close;
	req->expect_continue = st->expect_continue && req->minor_version == 1;
	return PARSE_OK;
}

int
http_parse_request(const char *buf, size_t len, size_t max_head, struct http_request *req)
{
	struct head_state st;
	const char *p = buf, *end;
	int again, rc;

	if (max_head > INT_MAX)
		max_head = INT_MAX;
	end = buf + (len < max_head ? len : max_head);
	/* running out of bytes at max_head means the head is longer than that */
	again = len >= max_head ? -431 : 0;

	memset(&st, 0, sizeof(st));
	req->num_headers = 0;
	req->minor_version = 0;
	req->content_length = -1;
	req->chunked = req->keep_alive = req->expect_continue = false;

	rc = parse_request_line(&p, end, req);
	if (rc == PARSE_AGAIN)
		return again;
	if (rc < 0)
		return rc;
	for (;;) {
		rc = parse_field_line(&p, end, req, &st);
		if (rc == PARSE_AGAIN)
			return again;
		if (rc < 0)
			return rc;
		if (rc == PARSE_END)
			break;
	}
	rc = decide_framing(req, &st);
	if (rc < 0)
		return rc;
	return (int)(p - buf);
}

/* ---------------------------------------------------------- response head */

struct out {
	char *p;
	size_t left;
	bool full;
};

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (n > o->left) {
		o->full = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->left -= n;
}

static void
out_header(struct out *o, const char *name, size_t name_len, const char *val, size_t val_len)
{
	out_add(o, name, name_len);
	out_add(o, ": ", 2);
	out_add(o, val, val_len);
	out_add(o, "\r\n", 2);
}

/* "NNN" or "NNN reason", no CR/LF/NUL anywhere (response splitting). */
static int
parse_status(const char *s, size_t n)
{
	if (n < 3 || (n > 3 && s[3] != ' '))
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (s[0] == '0' || memchr(s, '\r', n) || memchr(s, '\n', n) || memchr(s, '\0', n))
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

static bool
header_is_valid(const struct kv *h)
{
	return h->key_len > 0 && all_class(h->key, h->key_len, CT_TCHAR) &&
	       !memchr(h->val, '\r', h->val_len) && !memchr(h->val, '\n', h->val_len) &&
	       !memchr(h->val, '\0', h->val_len);
}

/* Strict 1*DIGIT, with optional OWS around it. */
static int64_t
parse_length(const char *s, size_t n)
{
	const char *p = skip_ows(s, s + n), *end = s + n;
	uint64_t v = 0;

	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return (int64_t)v;
}

int
http_format_head(char *out, size_t cap, int minor_version, const char *status, size_t status_len,
                 const struct kv *headers, size_t n, int64_t content_length, bool keep_alive,
                 bool head_request, struct http_resp_framing *fr)
{
	struct out o = { out, cap, false };
	int64_t app_length = -1;
	bool no_length, close_asked = false;
	int code;
	size_t i;

	code = parse_status(status, status_len);
	if (code < 0)
		return -1;
	minor_version = minor_version ? 1 : 0;
	/* RFC 9110 8.6: no Content-Length in 1xx and 204 */
	no_length = code < 200 || code == 204;

	for (i = 0; i < n; i++) {
		const struct kv *h = &headers[i];
		if (!header_is_valid(h))
			return -1;
		if (equals_nocase(h->key, h->key_len, "content-length")) {
			int64_t v = parse_length(h->val, h->val_len);
			if (v < 0 || (app_length >= 0 && v != app_length))
				return -1;
			app_length = v;
		} else if (equals_nocase(h->key, h->key_len, "connection")) {
			struct head_state st = { 0 };
			note_connection(&st, h->val, h->val_len);
			close_asked |= st.conn_close;
		}
	}

	fr->status = code;
	fr->body_allowed = !head_request && code >= 200 && code != 204 && code != 304;
	fr->chunked = false;
	fr->content_length = -1;
	if (close_asked)
		keep_alive = false;

	out_add(&o, minor_version ? "HTTP/1.1 " : "HTTP/1.0 ", 9);
	out_add(&o, status, status_len);
	out_add(&o, "\r\n", 2);
	for (i = 0; i < n; i++) {
		const struct kv *h = &headers[i];
		if (equals_nocase(h->key, h->key_len, "connection") ||
		    equals_nocase(h->key, h->key_len, "transfer-encoding") ||
		    (no_length && equals_nocase(h->key, h->key_len, "content-length")))
			continue;
		out_header(&o, h->key, h->key_len, h->val, h->val_len);
	}

	if (app_length >= 0 && !no_length) {
		fr->content_length = app_length;
	} else if (!fr->body_allowed) {
		/* HEAD: a computed length may be that of an empty body, so send none */
	} else if (content_length >= 0) {
		char num[20];
		size_t num_len = format_u64(num, (uint64_t)content_length);
		out_header(&o, "Content-Length", 14, num, num_len);
		fr->content_length = content_length;
	} else if (minor_version == 1) {
		out_add(&o, "Transfer-Encoding: chunked\r\n", 28);
		fr->chunked = true;
	} else {
		keep_alive = false;	/* HTTP/1.0 unknown length: the close ends the body */
	}

	if (!keep_alive)
		out_add(&o, "Connection: close\r\n", 19);
	else if (minor_version == 0)
		out_add(&o, "Connection: keep-alive\r\n", 24);
	out_add(&o, "\r\n", 2);
	fr->close = !keep_alive;
	if (o.full || cap - o.left > INT_MAX)
		return -2;
	return (int)(cap - o.left);
}

size_t
http_chunk_head(char *out, uint64_t data_len)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = hex[data_len & 15];
		data_len >>= 4;
	} while (data_len);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}
