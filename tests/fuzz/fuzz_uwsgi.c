/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the uwsgi packet parser: documented results only,
 * vars inside the packet, prefixes never decide differently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/uwsgi.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static struct uwsgi_packet pkt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	/* small limits too, so the block-size check gets exercised */
	size_t max = size > 0 && (data[0] & 1) ? 64 : 65535;
	int rc = uwsgi_parse_packet(buf, size, max, &pkt);

	CHECK(rc >= -1);
	if (rc == -1)
		CHECK(pkt.error != NULL);
	if (rc > 0) {
		CHECK((size_t)rc == UWSGI_HEADER_SIZE + pkt.datasize && (size_t)rc <= size);
		CHECK(pkt.nvars <= UWSGI_MAX_VARS);
		for (size_t i = 0; i < pkt.nvars; i++) {
			const struct kv *v = &pkt.vars[i];
			CHECK(v->key_len > 0);
			CHECK(v->key >= buf + 4 && v->key + v->key_len <= buf + rc);
			CHECK(v->val >= buf + 4 && v->val + v->val_len <= buf + rc);
			CHECK(uwsgi_find_var_n(&pkt, v->key, v->key_len) != NULL);
		}
		int64_t cl;
		if (uwsgi_content_length(&pkt, &cl) == 0)
			CHECK(cl >= 0);
	}
	/* a prefix (exact-size copy) is incomplete or fails the same way */
	if (size > 0) {
		size_t k = size - 1;
		char *copy = malloc(k ? k : 1);
		memcpy(copy, buf, k);
		int prc = uwsgi_parse_packet(copy, k, max, &pkt);
		if (rc > 0)
			CHECK((size_t)rc <= k ? prc == rc : prc == 0);
		else
			CHECK(prc == 0 || prc == rc);
		free(copy);
	}
	return 0;
}
