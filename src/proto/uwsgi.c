/* SPDX-License-Identifier: MIT */
/*
 * uwsgi packet parser (uWSGI proto/uwsgi.c, core/protocol.c semantics, but
 * strict: a partial trailing record is an error, never silently skipped).
 */
#include "proto/uwsgi.h"

#include <stdio.h>
#include <string.h>

static uint16_t
read_u16le(const char *p)
{
	return (uint16_t)((uint8_t)p[0] | ((uint8_t)p[1] << 8));
}

static int
fail(struct uwsgi_packet *pkt, const char *why)
{
	pkt->error = why;
	return -1;
}

int
uwsgi_parse_vars(const char *block, size_t len, struct uwsgi_packet *pkt)
{
	size_t pos = 0;

	pkt->nvars = 0;
	pkt->error = NULL;
	while (pos < len) {
		size_t key_len, val_len;
		const char *key;

		if (len - pos < 2)
			return fail(pkt, "truncated var");
		key_len = read_u16le(block + pos);
		pos += 2;
		if (key_len == 0)
			return fail(pkt, "uwsgi key cannot be null");
		if (len - pos < key_len + 2)
			return fail(pkt, "truncated var");
		key = block + pos;
		pos += key_len;
		val_len = read_u16le(block + pos);
		pos += 2;
		if (len - pos < val_len)
			return fail(pkt, "truncated var");
		if (pkt->nvars == UWSGI_MAX_VARS)
			return fail(pkt, "too many vars (max 128)");
		pkt->vars[pkt->nvars++] = (struct kv){ key, key_len, block + pos, val_len };
		pos += val_len;
	}
	return 0;
}

int
uwsgi_parse_packet(const char *buf, size_t len, size_t max_size, struct uwsgi_packet *pkt)
{
	pkt->nvars = 0;
	pkt->error = NULL;
	if (len < UWSGI_HEADER_SIZE)
		return 0;
	pkt->modifier1 = (uint8_t)buf[0];
	pkt->datasize = read_u16le(buf + 1);
	pkt->modifier2 = (uint8_t)buf[3];
	if (pkt->datasize > max_size) {
		snprintf(pkt->error_buf, sizeof(pkt->error_buf),
		         "invalid request block size %u (max %zu)", (unsigned)pkt->datasize, max_size);
		return fail(pkt, pkt->error_buf);
	}
	if (len - UWSGI_HEADER_SIZE < pkt->datasize)
		return 0;
	if (uwsgi_parse_vars(buf + UWSGI_HEADER_SIZE, pkt->datasize, pkt) < 0)
		return -1;
	return UWSGI_HEADER_SIZE + pkt->datasize;
}

const struct kv *
uwsgi_find_var_n(const struct uwsgi_packet *pkt, const char *key, size_t key_len)
{
	for (size_t i = 0; i < pkt->nvars; i++) {
		const struct kv *v = &pkt->vars[i];
		if (v->key_len == key_len && memcmp(v->key, key, key_len) == 0)
			return v;
	}
	return NULL;
}

const struct kv *
uwsgi_find_var(const struct uwsgi_packet *pkt, const char *key)
{
	return uwsgi_find_var_n(pkt, key, strlen(key));
}

int
uwsgi_content_length(const struct uwsgi_packet *pkt, int64_t *out)
{
	const struct kv *v = uwsgi_find_var(pkt, "CONTENT_LENGTH");
	uint64_t n = 0;

	if (v != NULL) {
		for (size_t i = 0; i < v->val_len; i++) {
			unsigned d = (unsigned)((uint8_t)v->val[i] - '0');
			if (d > 9 || n > ((uint64_t)INT64_MAX - d) / 10)
				return -1;
			n = n * 10 + d;
		}
	}
	*out = (int64_t)n;
	return 0;
}
