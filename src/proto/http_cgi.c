/* SPDX-License-Identifier: MIT */
/*
 * CGI/WSGI variables from a parsed HTTP request (RFC 3875 4.1): the request
 * line's parts, SERVER_* and REMOTE_*, and one HTTP_* variable per header (same
 * names joined with ", ", names with '_' dropped). Everything lives in the
 * caller's arena: no allocation per request.
 */
#include "proto/http.h"
#include "proto/http_chars.h"

#include <limits.h>
#include <string.h>

struct arena {
	char *p;
	size_t left;
};

static char *
arena_alloc(struct arena *a, size_t n)
{
	char *p = a->p;
	if (n > a->left)
		return NULL;
	a->p += n;
	a->left -= n;
	return p;
}

static const char *
arena_strdup(struct arena *a, const char *s, size_t *n)
{
	char *p;

	*n = strlen(s);
	if (*n == 0)
		return "";
	p = arena_alloc(a, *n);
	if (p)
		memcpy(p, s, *n);
	return p;
}

struct var_list {
	struct kv *v;
	size_t n;
	size_t max;
};

static int
add_var(struct var_list *l, const char *key, size_t key_len, const char *val, size_t val_len)
{
	if (l->n == l->max || val == NULL)
		return -1;
	l->v[l->n++] = (struct kv){ key, key_len, val, val_len };
	return 0;
}

#define ADD_LITERAL(l, key, val, val_len) add_var(l, key, sizeof(key) - 1, val, val_len)

/* Percent-decodes the path. %00 and broken escapes are refused: a NUL would
 * cut PATH_INFO short for C consumers. */
static int
decode_path(const char *s, size_t n, struct arena *a, const char **out, size_t *out_len)
{
	char *d, *q;

	if (n == 0) {
		*out = "";
		*out_len = 0;
		return 0;
	}
	d = q = arena_alloc(a, n);
	if (d == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*q++ = s[i];
			continue;
		}
		if (n - i < 3 || !is_class(s[i + 1], CT_HEX) || !is_class(s[i + 2], CT_HEX))
			return -400;
		char c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
		if (c == '\0')
			return -400;
		*q++ = c;
		i += 2;
	}
	*out = d;
	*out_len = (size_t)(q - d);
	/* give back what decoding saved */
	a->p -= n - *out_len;
	a->left += n - *out_len;
	return 0;
}

static bool
same_name(const struct http_header *a, const struct http_header *b)
{
	if (a->name_len != b->name_len)
		return false;
	for (size_t i = 0; i < a->name_len; i++)
		if (ascii_lower(a->name[i]) != ascii_lower(b->name[i]))
			return false;
	return true;
}

/* The value of field i joined with every later field of the same name. */
static const char *
joined_value(const struct http_request *req, size_t i, struct arena *a, size_t *len)
{
	const struct http_header *h = &req->headers[i];
	const char *sep = equals_nocase(h->name, h->name_len, "cookie") ? "; " : ", ";
	size_t total = h->value_len, count = 1, j;
	char *out, *q;

	for (j = i + 1; j < req->num_headers; j++) {
		if (same_name(h, &req->headers[j])) {
			total += 2 + req->headers[j].value_len;
			count++;
		}
	}
	*len = total;
	if (count == 1)
		return h->value;
	out = q = arena_alloc(a, total);
	if (out == NULL)
		return NULL;
	memcpy(q, h->value, h->value_len);
	q += h->value_len;
	for (j = i + 1; j < req->num_headers; j++) {
		const struct http_header *o = &req->headers[j];
		if (same_name(h, o)) {
			memcpy(q, sep, 2);
			memcpy(q + 2, o->value, o->value_len);
			q += 2 + o->value_len;
		}
	}
	return out;
}

/* "HTTP_" + name upper-cased with '-' as '_'. */
static const char *
cgi_header_name(const struct http_header *h, struct arena *a, size_t *len)
{
	char *out = arena_alloc(a, 5 + h->name_len);

	if (out == NULL)
		return NULL;
	memcpy(out, "HTTP_", 5);
	for (size_t i = 0; i < h->name_len; i++) {
		char c = h->name[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (c == '-')
			c = '_';
		out[5 + i] = c;
	}
	*len = 5 + h->name_len;
	return out;
}

static int
add_header_vars(const struct http_request *req, struct var_list *l, struct arena *a)
{
	for (size_t i = 0; i < req->num_headers; i++) {
		const struct http_header *h = &req->headers[i];
		const char *key, *val;
		size_t key_len, val_len, j;
		bool repeated = false;

		if (memchr(h->name, '_', h->name_len))
			continue;	/* X_Foo must not pass for X-Foo */
		if (equals_nocase(h->name, h->name_len, "proxy"))
			continue;	/* httpoxy: HTTP_PROXY is read as a proxy setting */
		for (j = 0; j < i && !repeated; j++)
			repeated = same_name(h, &req->headers[j]);
		if (repeated)
			continue;	/* already joined into the first one */

		if (equals_nocase(h->name, h->name_len, "content-length")) {
			/* the value the framing uses, not "5, 5" or "005" */
			char *num = arena_alloc(a, 20);
			if (num == NULL)
				return -1;
			val_len = format_u64(num, (uint64_t)req->content_length);
			a->p -= 20 - val_len;
			a->left += 20 - val_len;
			if (ADD_LITERAL(l, "CONTENT_LENGTH", num, val_len) < 0)
				return -1;
			continue;
		}
		val = joined_value(req, i, a, &val_len);
		if (equals_nocase(h->name, h->name_len, "content-type")) {
			key = "CONTENT_TYPE";
			key_len = 12;
		} else {
			key = cgi_header_name(h, a, &key_len);
		}
		if (key == NULL || add_var(l, key, key_len, val, val_len) < 0)
			return -1;
	}
	return 0;
}

int
http_build_vars(const struct http_request *req, const struct http_conn_info *conn,
                struct kv *vars, size_t max_vars, char *arena, size_t arena_size)
{
	struct var_list l = { vars, 0, max_vars };
	struct arena a = { arena, arena_size };
	const char *protocol = req->minor_version ? "HTTP/1.1" : "HTTP/1.0";
	const char *s;
	size_t n;
	int rc;

	rc = decode_path(req->path, req->path_len, &a, &s, &n);
	if (rc < 0)
		return rc;
	if (ADD_LITERAL(&l, "REQUEST_METHOD", req->method, req->method_len) < 0 ||
	    ADD_LITERAL(&l, "REQUEST_URI", req->target, req->target_len) < 0 ||
	    ADD_LITERAL(&l, "PATH_INFO", s, n) < 0 ||
	    ADD_LITERAL(&l, "QUERY_STRING", req->query, req->query_len) < 0 ||
	    ADD_LITERAL(&l, "SERVER_PROTOCOL", protocol, 8) < 0 ||
	    ADD_LITERAL(&l, "SCRIPT_NAME", "", 0) < 0)
		return -1;
	s = arena_strdup(&a, conn->server_name ? conn->server_name : "", &n);
	if (ADD_LITERAL(&l, "SERVER_NAME", s, n) < 0)
		return -1;
	s = arena_strdup(&a, conn->server_port ? conn->server_port : "80", &n);
	if (ADD_LITERAL(&l, "SERVER_PORT", s, n) < 0)
		return -1;
	s = arena_strdup(&a, conn->remote_addr ? conn->remote_addr : "", &n);
	if (ADD_LITERAL(&l, "REMOTE_ADDR", s, n) < 0)
		return -1;
	if (conn->remote_port) {
		s = arena_strdup(&a, conn->remote_port, &n);
		if (ADD_LITERAL(&l, "REMOTE_PORT", s, n) < 0)
			return -1;
	}
	if (conn->https && ADD_LITERAL(&l, "HTTPS", "on", 2) < 0)
		return -1;
	if (add_header_vars(req, &l, &a) < 0)
		return -1;
	return (int)l.n;
}
