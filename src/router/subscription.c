/* SPDX-License-Identifier: MIT */
/*
 * Subscription packets (see subscription.h): parsed with the uwsgi vars
 * parser, then each field checked (key and address sizes, numbers).
 */
#include "router/subscription.h"
#include "proto/uwsgi.h"

#include <stdio.h>
#include <string.h>

static bool
printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

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

/*
 * "unix" and "sign". The signature covers the vars before it, so it must
 * be the last var and the only one: anything after it would be unsigned.
 */
static int
signature_fields(const struct uwsgi_packet *pkt, const char *buf, struct sub_req *req)
{
	const struct kv *u = uwsgi_find_var(pkt, "unix"), *s = uwsgi_find_var(pkt, "sign");
	req->body = buf + 4;
	if (u) {
		unsigned long long t = 0;
		if (u->val_len == 0 || u->val_len > 19) {
			req->error = "bad unix timestamp";
			return -1;
		}
		for (size_t i = 0; i < u->val_len; i++) {
			if (u->val[i] < '0' || u->val[i] > '9') {
				req->error = "bad unix timestamp";
				return -1;
			}
			t = t * 10 + (unsigned long long)(u->val[i] - '0');
		}
		req->has_unix = true;
		req->unix_time = t;
	}
	if (!s)
		return 0;
	if (s != &pkt->vars[pkt->nvars - 1]) {
		req->error = "sign is not the last var";
		return -1;
	}
	if (s->val_len == 0 || s->val_len > SUB_SIGN_MAX) {
		req->error = "empty or oversized signature";
		return -1;
	}
	req->sign = s->val;
	req->sign_len = s->val_len;
	req->signed_len = (size_t)(s->key - 2 - req->body);
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
	/* the table and the logs use C strings: a NUL would cut a key after its
	 * signature was checked over all its bytes, a newline forge a log line */
	if (!printable(k->val, k->val_len)) {
		req->error = "control character in key";
		return -1;
	}
	if (!a || a->val_len == 0 || a->val_len > SUB_ADDR_MAX || !printable(a->val, a->val_len)) {
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
	return signature_fields(&pkt, buf, req);
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

static void
header(char *out, size_t pos, bool unsubscribe)
{
	size_t ds = pos - 4;
	out[0] = (char)SUB_MODIFIER1;
	out[1] = (char)(ds & 0xff);
	out[2] = (char)(ds >> 8);
	out[3] = (char)(unsubscribe ? 1 : 0);
}

int
subscription_build(char *out, size_t cap, bool unsubscribe, const char *key, const char *addr,
                   unsigned modifier1, unsigned weight, unsigned long long unix_time)
{
	char m1[12], w[12], t[24];
	size_t pos = 4;
	snprintf(m1, sizeof(m1), "%u", modifier1);
	snprintf(w, sizeof(w), "%u", weight);
	snprintf(t, sizeof(t), "%llu", unix_time);
	if (cap < 4 || !put(out, cap, &pos, "key", key) || !put(out, cap, &pos, "address", addr) ||
	    !put(out, cap, &pos, "modifier1", m1) || !put(out, cap, &pos, "modifier2", "0") ||
	    !put(out, cap, &pos, "weight", w) || (unix_time && !put(out, cap, &pos, "unix", t)))
		return -1;
	header(out, pos, unsubscribe);
	return (int)pos;
}

int
subscription_append_sign(char *out, size_t cap, size_t len, const unsigned char *sig, size_t sig_len)
{
	if (len < 4 || sig_len == 0 || sig_len > SUB_SIGN_MAX || len + 8 + sig_len > cap ||
	    len + 8 + sig_len > 4 + 0xffff)
		return -1;
	char *p = out + len;
	memcpy(p, "\x04\x00sign", 6);
	p[6] = (char)(sig_len & 0xff);
	p[7] = (char)(sig_len >> 8);
	memcpy(p + 8, sig, sig_len);
	len += 8 + sig_len;
	header(out, len, out[3] == 1);
	return (int)len;
}
