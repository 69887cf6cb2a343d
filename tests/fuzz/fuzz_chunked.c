/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the in-place chunked decoder. The first input byte
 * picks where the rest is cut into pieces; decoding piece by piece (each in
 * its own exact-size allocation, so ASan catches reads past a piece) must give
 * the same verdict, body and leftover bytes as decoding it in one go.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

struct outcome {
	ssize_t rc;		/* -1, -2 or leftover count */
	char *body;
	size_t body_len;
	char *rest;
	size_t rest_len;
};

static struct outcome
decode(const char *in, size_t len, unsigned step)
{
	struct outcome o = { -2, malloc(len + 1), 0, malloc(len + 1), 0 };
	struct http_chunked d;
	size_t pos = 0;

	http_chunked_init(&d);
	while (pos < len || (pos == 0 && len == 0)) {
		size_t piece = step ? step : len;
		if (piece > len - pos)
			piece = len - pos;
		char *copy = malloc(piece ? piece : 1);
		size_t n = piece;
		memcpy(copy, in + pos, piece);
		pos += piece;
		if (o.rc == -2) {
			o.rc = http_chunked_decode(&d, copy, &n);
			CHECK(o.rc >= -2 && n <= piece);
			memcpy(o.body + o.body_len, copy, n);
			o.body_len += n;
			if (o.rc >= 0) {
				CHECK(n + (size_t)o.rc <= piece);
				memcpy(o.rest, copy + n, (size_t)o.rc);
				o.rest_len = (size_t)o.rc;
				CHECK(http_chunked_done(&d));
			}
		} else if (o.rc >= 0) {
			/* after the end everything passes through untouched */
			o.rc = http_chunked_decode(&d, copy, &n);
			CHECK(o.rc == (ssize_t)piece && n == 0);
			memcpy(o.rest + o.rest_len, copy, piece);
			o.rest_len += piece;
		}
		free(copy);
		if (piece == 0)
			break;
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned step = data[0] % 17;	/* 0: one piece; else pieces of 1..16 bytes */
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	struct outcome whole = decode(in, len, 0);
	struct outcome split = decode(in, len, step);

	CHECK((whole.rc >= 0) == (split.rc >= 0));
	CHECK((whole.rc == -1) == (split.rc == -1));
	CHECK(whole.body_len == split.body_len);
	CHECK(memcmp(whole.body, split.body, whole.body_len) == 0);
	if (whole.rc >= 0) {
		CHECK(whole.rest_len == split.rest_len);
		CHECK(memcmp(whole.rest, split.rest, whole.rest_len) == 0);
		/* body + framing + rest account for every input byte */
		CHECK(whole.body_len + whole.rest_len <= len);
	}
	free(whole.body);
	free(whole.rest);
	free(split.body);
	free(split.rest);
	return 0;
}
