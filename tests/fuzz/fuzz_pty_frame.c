/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the forkpty router's framing decoder (src/pty/frame.c):
 * the incremental decoder, fed in chunks whose sizes come from the input,
 * must give exactly what a plain whole-buffer reference reading gives; data
 * pieces point into the chunk just fed, every call makes progress, and an
 * error is final.
 *
 * Input layout: byte 0 picks the data size limit, bytes 1..2 the chunking
 * seed, the rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pty/frame.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* The event log, as bytes: data as is, others as a tag byte + value. */
struct log {
	uint8_t *p;
	size_t len, cap;
};

static void log_add(struct log *l, const void *p, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2 + 64;
		l->p = realloc(l->p, l->cap);
		CHECK(l->p != NULL);
	}
	memcpy(l->p + l->len, p, n);
	l->len += n;
}

static void log_tag(struct log *l, uint8_t tag, unsigned value)
{
	uint8_t t[5] = { 0xf0, tag, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16) };
	log_add(l, t, sizeof(t));
}

/* Data bytes are logged escaped so tags cannot be forged by data. */
static void log_data(struct log *l, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[2] = { 0xf1, p[i] };
		log_add(l, b, 2);
	}
}

/* Reference: the spec read over the whole buffer at once. */
static void reference(const uint8_t *in, size_t n, size_t max, struct log *l)
{
	size_t i = 0;
	while (n - i >= PTY_FRAME_HEADER) {
		unsigned size = in[i + 1] | (unsigned)in[i + 2] << 8;
		unsigned mod2 = in[i + 3];
		i += PTY_FRAME_HEADER;
		if (mod2 == PTY_MOD2_DATA) {
			if (size > max) {
				log_tag(l, PTY_EV_ERROR, size);
				return;
			}
			size_t take = size < n - i ? size : n - i;
			log_data(l, in + i, take);
			i += take;
		} else if (mod2 == PTY_MOD2_ROWS) {
			log_tag(l, PTY_EV_ROWS, size);
		} else if (mod2 == PTY_MOD2_COLS) {
			log_tag(l, PTY_EV_COLS, size);
		} else if (mod2 <= PTY_SIG_MAX) {
			log_tag(l, PTY_EV_SIGNAL, mod2);
		} else {
			log_tag(l, PTY_EV_UNKNOWN, mod2);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	static const size_t limits[] = { 0, 1, 2, 3, 4, 7, 16, 100, 4096, 65535, 65536 };
	size_t max = limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];
	size_t eff = max == 0 || max > 65535 ? 65535 : max;
	uint32_t seed = data[1] | (uint32_t)data[2] << 8;
	const uint8_t *in = data + 3;
	size_t n = size - 3;

	struct log want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
	reference(in, n, eff, &want);

	struct pty_decoder d;
	pty_decoder_init(&d, max);
	size_t off = 0;
	int dead = 0;
	while (off < n && !dead) {
		/* chunk sizes 1..32 from a small LCG over the seed */
		seed = seed * 1103515245u + 12345u;
		size_t chunk = 1 + (seed >> 16) % 32;
		if (chunk > n - off)
			chunk = n - off;
		/* an exact-size heap copy: ASan catches any read past it */
		uint8_t *c = malloc(chunk);
		CHECK(c != NULL);
		memcpy(c, in + off, chunk);
		size_t k = 0;
		while (k < chunk) {
			struct pty_event ev;
			size_t used = pty_decode(&d, c + k, chunk - k, &ev);
			CHECK(used <= chunk - k);
			if (ev.kind == PTY_EV_ERROR) {
				log_tag(&got, PTY_EV_ERROR, ev.value);
				struct pty_event again;
				CHECK(pty_decode(&d, c, chunk, &again) == 0 && again.kind == PTY_EV_ERROR);
				dead = 1;
				break;
			}
			CHECK(used > 0);
			switch (ev.kind) {
			case PTY_EV_NONE:
				CHECK(ev.data == NULL && ev.len == 0);
				break;
			case PTY_EV_DATA:
				CHECK(ev.len > 0 && ev.len == used && ev.data == c + k);
				log_data(&got, ev.data, ev.len);
				break;
			case PTY_EV_SIGNAL:
				CHECK(ev.value >= 1 && ev.value <= PTY_SIG_MAX);
				log_tag(&got, (uint8_t)ev.kind, ev.value);
				break;
			case PTY_EV_UNKNOWN:
				CHECK(ev.value > PTY_SIG_MAX && ev.value != PTY_MOD2_ROWS && ev.value != PTY_MOD2_COLS);
				log_tag(&got, (uint8_t)ev.kind, ev.value);
				break;
			default:
				log_tag(&got, (uint8_t)ev.kind, ev.value);
				break;
			}
			k += used;
		}
		free(c);
		off += chunk;
	}
	CHECK(got.len == want.len);
	CHECK(got.len == 0 || memcmp(got.p, want.p, got.len) == 0);
	free(want.p);
	free(got.p);
	return 0;
}
