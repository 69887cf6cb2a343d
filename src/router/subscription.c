/* SPDX-License-Identifier: MIT */
/*
 * Subscription packets (see subscription.h): parsed with the uwsgi vars
 * parser, then each field checked (key and address sizes, numbers).
 */
#include "router/subscription.h"
#include "proto/uwsgi.h"

#include <stdio.h>
#include <string.h>

static int
number(const struct kv *v, unsigned max, unsigned *out)
{
	unsigned n = 0;
	if (v->val_len == 0 || v->val_len > 10)
		return -1;
	for (size_t i = 0; i < v->val_len; i++) {
		if (v->val[i] < '0' || v->val[i] > '9')
			return -1;
		n = n * 10 + (unsigned)(v->val[i] - '0');
		if (n > max)
			return -1;
	}
	*out = n;
	return 0;
}

int
subscription_parse(const char *buf, size_t len, struct sub_req *req)
{
	static struct uwsgi_packet pkt;

	memset(req, 0, sizeof(*req));
	int rc = uwsgi_parse_packet(buf, len, 65535, &pkt);
	if (rc <= 0 || (size_t)rc != len) {
		req->error = rc < 0 ? pkt.error : "truncated packet";
		return -1;
	}
	if (pkt.modifier1 != SUB_MODIFIER1 || pkt.modifier2 > 1) {
		req->error = "not a subscription packet (modifier1 224, modifier2 0 or 1)";
		return -1;
	}
	req->unsubscribe = pkt.modifier2 == 1;
	req->weight = 1;
	const struct kv *k = uwsgi_find_var(&pkt, "key"), *a = uwsgi_find_var(&pkt, "address");
	if (!k || k->val_len == 0 || k->val_len > SUB_KEY_MAX) {
		req->error = "missing or oversized key";
		return -1;
	}
	if (!a || a->val_len == 0 || a->val_len > SUB_ADDR_MAX || memchr(a->val, '\0', a->val_len)) {
		req->error = "missing or invalid address";
		return -1;
	}
	req->key = k->val;
	req->key_len = k->val_len;
	req->addr = a->val;
	req->addr_len = a->val_len;
	const struct kv *v = uwsgi_find_var(&pkt, "weight");
	unsigned n;
	if (v && v->val_len) {
		if (number(v, 1000000, &n) < 0) {
			req->error = "bad weight";
			return -1;
		}
		req->weight = n ? n : 1;
	}
	v = uwsgi_find_var(&pkt, "modifier1");
	if (v && v->val_len) {
		if (number(v, 255, &n) < 0) {
			req->error = "bad modifier1";
			return -1;
		}
		req->modifier1 = (uint8_t)n;
	}
	return 0;
}

static bool
put(char *out, size_t cap, size_t *pos, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v);
	if (kl > 0xffff || vl > 0xffff || *pos + 4 + kl + vl > cap || *pos + 4 + kl + vl > 4 + 0xffff)
		return false;
	char *p = out + *pos;
	p[0] = (char)(kl & 0xff);
	p[1] = (char)(kl >> 8);
	memcpy(p + 2, k, kl);
	p += 2 + kl;
	p[0] = (char)(vl & 0xff);
	p[1] = (char)(vl >> 8);
	memcpy(p + 2, v, vl);
	*pos += 4 + kl + vl;
	return true;
}

int
subscription_build(char *out, size_t cap, bool unsubscribe, const char *key, const char *addr,
                   unsigned modifier1, unsigned weight)
{
	char m1[12], w[12];
	size_t pos = 4;
	snprintf(m1, sizeof(m1), "%u", modifier1);
	snprintf(w, sizeof(w), "%u", weight);
	if (cap < 4 || !put(out, cap, &pos, "key", key) || !put(out, cap, &pos, "address", addr) ||
	    !put(out, cap, &pos, "modifier1", m1) || !put(out, cap, &pos, "modifier2", "0") ||
	    !put(out, cap, &pos, "weight", w))
		return -1;
	size_t ds = pos - 4;
	out[0] = (char)SUB_MODIFIER1;
	out[1] = (char)(ds & 0xff);
	out[2] = (char)(ds >> 8);
	out[3] = (char)(unsubscribe ? 1 : 0);
	return (int)pos;
}
