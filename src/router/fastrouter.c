/* SPDX-License-Identifier: MIT */
/*
 * The fastrouter (uWSGI's `fastrouter =`): the same router for clients that
 * speak the uwsgi protocol (nginx uwsgi_pass). The packet is parsed and
 * checked (uwsgi_parse_packet, CONTENT_LENGTH), forwarded as parsed, and
 * the backend's answer goes back byte for byte until it closes. The key is
 * UWSGI_FASTROUTER_KEY, else HTTP_HOST, else SERVER_NAME, as in uWSGI.
 */
#include "router/router_internal.h"
#include "base/log.h"
#include "base/util.h"
#include "proto/uwsgi.h"

#include <string.h>

int
fastrouter_request(struct session *s)
{
	static struct uwsgi_packet pkt;
	int rc = uwsgi_parse_packet(s->in.p, s->in.len, 65535, &pkt);
	if (rc == 0 && s->in.len < s->in.cap)
		return 0;
	if (rc <= 0) {
		log_msg("fastrouter: %s:%s: invalid uwsgi packet: %s", s->addr, s->port,
		        rc == 0 ? "larger than the buffer" : pkt.error);
		return -1;
	}
	int64_t cl;
	if (uwsgi_content_length(&pkt, &cl) < 0) {
		log_msg("fastrouter: %s:%s: invalid uwsgi packet: bad CONTENT_LENGTH", s->addr, s->port);
		return -1;
	}
	const char *names[] = { "UWSGI_FASTROUTER_KEY", "HTTP_HOST", "SERVER_NAME" };
	s->host[0] = '\0';
	for (size_t i = 0; i < 3 && !s->host[0]; i++) {
		const struct kv *v = uwsgi_find_var(&pkt, names[i]);
		if (v && v->val_len < sizeof(s->host)) {
			memcpy(s->host, v->val, v->val_len);
			s->host[v->val_len] = '\0';
		}
	}
	/* what goes on: the packet as parsed (its bytes, now known valid) */
	uint64_t body = (uint64_t)cl;
	s->up.cap = (size_t)rc + (body < ROUTER_BODY_BUFFER ? (size_t)body : ROUTER_BODY_BUFFER);
	s->up.p = xrealloc(s->up.p, s->up.cap);
	memcpy(s->up.p, s->in.p, (size_t)rc);
	s->up.off = 0;
	s->up.len = (size_t)rc;
	s->keep = false;
	s->minor = 0;
	s->chunked_req = s->upgrade = s->head_req = false;
	s->sent_any = s->close_after = s->frame_chunks = s->backend_eof = false;
	/* no head to rewrite: every byte of the answer is passed on */
	s->resp_head_done = true;
	s->body_allowed = true;
	if (!s->down.p) {
		s->down.cap = ROUTER_DOWN_CAP;
		s->down.p = xmalloc(s->down.cap);
	}
	s->resp_left = -1;
	session_forward(s, (size_t)rc, body);
	return 0;
}
