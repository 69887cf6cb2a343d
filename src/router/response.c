/* SPDX-License-Identifier: MIT */
/*
 * The backend's response head, rewritten for the client: the status line
 * gets the client's HTTP version, hop-by-hop fields (Connection,
 * Keep-Alive, Transfer-Encoding) are dropped and the framing is decided
 * again by http_format_head() (Content-Length kept, else chunked for a
 * kept HTTP/1.1 connection, else close-delimited), as uWSGI's router does
 * for http-keepalive and http-auto-chunked. A 101 is passed as it is.
 */
#include "router/router_internal.h"
#include "base/log.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_RESP_HEADERS 100

const char *
router_reason(int code)
{
	switch (code) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

size_t
response_head_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

static bool
eq_nocase(const char *a, size_t n, const char *b)
{
	if (n != strlen(b))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != b[i])
			return false;
	}
	return true;
}

static const char *
trim(const char *p, const char *end, size_t *n)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*n = (size_t)(end - p);
	return p;
}

int
response_head(struct session *s, size_t head_len)
{
	static struct kv hs[MAX_RESP_HEADERS];
	const char *p = s->down.p, *end = p + head_len - 2;	/* up to the last field's CRLF */
	const char *eol = memchr(p, '\r', (size_t)(end - p));

	if (!eol || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return 502;
	const char *status = p + 9;
	size_t status_len = (size_t)(eol - status);
	int code = (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0');
	size_t n = 0;
	bool backend_chunked = false;
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p) + 1);
		if (!eol || eol[1] != '\n')
			return 502;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p || n == MAX_RESP_HEADERS)
			return 502;
		struct kv *h = &hs[n];
		h->key = p;
		h->key_len = (size_t)(colon - p);
		h->val = trim(colon + 1, eol, &h->val_len);
		/* the worker marks every uwsgi response "Connection: close"
		 * (one request per uwsgi connection): hop-by-hop, not the app's */
		if (eq_nocase(h->key, h->key_len, "keep-alive") || eq_nocase(h->key, h->key_len, "connection"))
			continue;
		if (eq_nocase(h->key, h->key_len, "transfer-encoding")) {
			backend_chunked = true;	/* passed through as it is framed */
			continue;
		}
		n++;
	}
	if (code == 101 && s->upgrade) {
		/* the switch is the backend's business: its head goes out as is */
		s->state = S_TUNNEL;
		if (s->up.cap < 16384) {
			s->up.cap = 16384;
			s->up.p = xrealloc(s->up.p, s->up.cap);
		}
		s->resp_head_done = true;
		s->keep = false;
		return 0;
	}
	if (code >= 100 && code < 200)
		return -1;	/* interim answer: dropped, the final head follows */
	char *out = xmalloc(head_len + 256);
	struct http_resp_framing fr;
	int hl = http_format_head(out, head_len + 256, s->minor, status, status_len, hs, n,
	                          -1, s->keep, s->head_req, &fr);
	if (hl >= 0 && fr.chunked && !backend_chunked && s->keep && !R.auto_chunked) {
		/* uWSGI keeps the connection only for a known length unless
		 * http-auto-chunked: chunked and closed here */
		s->keep = false;
		hl = http_format_head(out, head_len + 256, s->minor, status, status_len, hs, n,
		                      -1, false, s->head_req, &fr);
	}
	if (hl < 0) {
		free(out);
		log_msg("http router: %s:%s: invalid response head from backend %s", s->addr, s->port,
		        node_name(s));
		return 502;
	}
	if (fr.close)
		s->keep = false;
	if (backend_chunked && !fr.chunked)
		s->keep = false;	/* an HTTP/1.0 client: the close ends it */
	s->frame_chunks = fr.chunked && !backend_chunked;
	s->body_allowed = fr.body_allowed;
	s->resp_left = fr.body_allowed ? fr.content_length : 0;
	/* the new head replaces the old one in front of the body bytes read */
	size_t rest = s->down.len - head_len;
	size_t cap = s->down.cap > (size_t)hl + rest + 32 ? s->down.cap : (size_t)hl + rest + 32;
	char *nb = xmalloc(cap);
	memcpy(nb, out, (size_t)hl);
	free(out);
	s->down.len = (size_t)hl;
	s->down.off = 0;
	s->resp_head_done = true;
	char *old = s->down.p;
	s->down.p = nb;
	s->down.cap = cap;
	session_body_bytes(s, old + head_len, rest);
	free(old);
	return 0;
}
