/* SPDX-License-Identifier: MIT */
/*
 * The router's backends: the static node list (round-robin, a node that
 * refuses connections is skipped for http-gracetime seconds), the
 * non-blocking connect, and the uwsgi packet the backend gets: the
 * variables of the request the router parsed, re-serialized.
 */
#include "router/router_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
backend_setup(const char *const *addrs, size_t n)
{
	R.nodes = xcalloc(n ? n : 1, sizeof(*R.nodes));
	for (size_t i = 0; i < n; i++) {
		char err[256];
		struct node *nd = &R.nodes[i];
		if (sock_parse_addr(addrs[i], &nd->addr, err, sizeof(err)) < 0 ||
		    nd->addr.kind == SOCK_ADDR_SHARED) {
			log_msg("http router: bad backend address '%s'", addrs[i]);
			return -1;
		}
		snprintf(nd->name, sizeof(nd->name), "%s", addrs[i]);
	}
	R.nnodes = n;
	return 0;
}

/* Next node in round-robin order that is not resting after a failure. */
static struct node *
pick(long long now)
{
	for (size_t k = 0; k < R.nnodes; k++) {
		size_t i = (R.rr + k) % R.nnodes;
		if (R.nodes[i].dead_until <= now) {
			R.rr = i + 1;
			return &R.nodes[i];
		}
	}
	return NULL;
}

const char *
node_name(const struct session *s)
{
	return s->nd ? s->nd->name : "(removed node)";
}

void
backend_failed(struct session *s, const char *why)
{
	struct node *nd = s->nd;

	if (!nd)
		return;
	nd->failures++;
	if (nd->subscribed) {
		log_msg("http router: node %s of key %s unavailable (%s)", nd->name, s->host, why);
		subs_node_failed(nd);
		return;
	}
	nd->dead_until = clock_ms() + R.grace_ms;
	log_msg("http router: backend %s unavailable (%s), skipped for %lld s", nd->name, why,
	        R.grace_ms / 1000);
}

/* Starts a connection to the next usable node: 0 (s->bfd set, connecting
 * or connected), or an HTTP status when no node is left (502; with
 * subscriptions 404 for an unknown key, 503 when its nodes are down). */
int
backend_connect(struct session *s)
{
	long long now = clock_ms();
	int status = 502;

	for (;;) {
		struct node *nd;
		if (subs_enabled()) {
			if (s->tries > subs_count(s->host))
				return 503;
			nd = subs_pick(s->host, &status);
		} else {
			if (s->tries >= R.nnodes)
				return 502;
			nd = pick(now);
		}
		if (!nd)
			return status;
		s->tries++;
		s->nd = nd;
		int fd = socket(nd->addr.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			log_errno("http router: socket()");
			return 502;
		}
		if (connect(fd, &nd->addr.u.sa, nd->addr.len) == 0 || errno == EINPROGRESS) {
			s->bfd = fd;
			nd->requests++;
			return 0;
		}
		backend_failed(s, strerror(errno));
		close(fd);
	}
}

static bool
put_kv(struct buf *b, const char *k, size_t kl, const char *v, size_t vl)
{
	if (kl > 0xffff || vl > 0xffff || b->len + 4 + kl + vl > 4 + 0xffff)
		return false;
	char *p = b->p + b->len;
	p[0] = (char)(kl & 0xff);
	p[1] = (char)(kl >> 8);
	memcpy(p + 2, k, kl);
	p += 2 + kl;
	p[0] = (char)(vl & 0xff);
	p[1] = (char)(vl >> 8);
	memcpy(p + 2, v, vl);
	b->len += 4 + kl + vl;
	return true;
}

static bool
is_key(const struct kv *v, const char *k)
{
	return v->key_len == strlen(k) && memcmp(v->key, k, v->key_len) == 0;
}

/*
 * Writes the uwsgi packet for req into s->up (allocated here, with room for
 * the body behind it). content_length replaces the head's framing (a
 * de-chunked body). Returns 0 or an HTTP status (400, 431).
 */
int
packet_build(struct session *s, const struct http_request *req, uint64_t content_length)
{
	static struct kv vars[HTTP_MAX_HEADERS + 32];
	static char *arena;
	static size_t arena_size;
	size_t need = 2 * R.buffer_size + 4096;

	if (arena_size < need) {
		free(arena);
		arena = xmalloc(need);
		arena_size = need;
	}
	struct http_conn_info ci = {
		.remote_addr = s->addr,
		.remote_port = s->port[0] ? s->port : NULL,
		.server_name = R.hostname,
		.server_port = R.ls[s->listener].port,
	};
	int n = http_build_vars(req, &ci, vars, sizeof(vars) / sizeof(vars[0]), arena, arena_size);
	if (n == -400)
		return 400;
	if (n < 0)
		return 431;
	/* built in a scratch buffer of the largest packet's size; the session
	 * keeps a copy sized for the packet and the body bytes sent with it */
	static char scratch[4 + 0xffff];
	struct buf b = { scratch, 0, 4, sizeof(scratch) };
	char num[24];
	int numlen = snprintf(num, sizeof(num), "%llu", (unsigned long long)content_length);
	bool ok = true;
	for (int i = 0; i < n && ok; i++) {
		if (s->chunked_req && (is_key(&vars[i], "HTTP_TRANSFER_ENCODING") || is_key(&vars[i], "CONTENT_LENGTH")))
			continue;
		ok = put_kv(&b, vars[i].key, vars[i].key_len, vars[i].val, vars[i].val_len);
	}
	if (s->chunked_req)
		ok = ok && put_kv(&b, "CONTENT_LENGTH", 14, num, (size_t)numlen);
	ok = ok && put_kv(&b, "UWSGI_ROUTER", 12, "http", 4);
	for (size_t i = 0; i < R.nvars && ok; i++)
		ok = put_kv(&b, R.vars[i].key, R.vars[i].key_len, R.vars[i].val, R.vars[i].val_len);
	if (!ok)
		return 431;
	size_t ds = b.len - 4;
	b.p[0] = (char)R.mod1;
	b.p[1] = (char)(ds & 0xff);
	b.p[2] = (char)(ds >> 8);
	b.p[3] = (char)R.mod2;
	uint64_t body = s->chunked_req ? 0 : content_length;
	s->up.cap = b.len + (body < ROUTER_BODY_BUFFER ? (size_t)body : ROUTER_BODY_BUFFER);
	s->up.p = xrealloc(s->up.p, s->up.cap);
	memcpy(s->up.p, b.p, b.len);
	s->up.off = 0;
	s->up.len = b.len;
	return 0;
}
