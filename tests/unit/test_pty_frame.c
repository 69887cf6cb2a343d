/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/pty/frame.c, the forkpty router's uwsgi-framing
 * decoder: every message kind, every split point of a mixed stream, the
 * data size limit, unknown modifiers and signal numbers. Inputs are copied
 * to the end of a page followed by a PROT_NONE page, so a read past the
 * input crashes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pty/frame.h"

/* ------------------------------------------------------------------ helpers */

struct stream {
	uint8_t buf[70000];
	size_t len;
};

static void
put_msg(struct stream *s, uint8_t mod1, uint16_t size, uint8_t mod2, const char *body, size_t blen)
{
	s->buf[s->len++] = mod1;
	s->buf[s->len++] = (uint8_t)(size & 0xff);
	s->buf[s->len++] = (uint8_t)(size >> 8);
	s->buf[s->len++] = mod2;
	memcpy(s->buf + s->len, body, blen);
	s->len += blen;
}

static void
put_data(struct stream *s, const char *text)
{
	put_msg(s, 0, (uint16_t)strlen(text), PTY_MOD2_DATA, text, strlen(text));
}

/* What a stream decodes to, as text: data concatenated, other events as tags. */
struct result {
	char text[80000];
	size_t len;
	int errors;
};

static void
res_add(struct result *r, const char *s, size_t n)
{
	cr_assert_lt(r->len + n, sizeof(r->text));
	memcpy(r->text + r->len, s, n);
	r->len += n;
	r->text[r->len] = '\0';
}

static void
res_event(struct result *r, const struct pty_event *ev)
{
	char tag[64];
	switch (ev->kind) {
	case PTY_EV_NONE:
		return;
	case PTY_EV_DATA:
		cr_assert_gt(ev->len, 0, "no empty data pieces");
		res_add(r, (const char *)ev->data, ev->len);
		return;
	case PTY_EV_ROWS:
		snprintf(tag, sizeof(tag), "<rows %u>", ev->value);
		break;
	case PTY_EV_COLS:
		snprintf(tag, sizeof(tag), "<cols %u>", ev->value);
		break;
	case PTY_EV_SIGNAL:
		snprintf(tag, sizeof(tag), "<sig %u>", ev->value);
		break;
	case PTY_EV_UNKNOWN:
		snprintf(tag, sizeof(tag), "<unknown %u>", ev->value);
		break;
	case PTY_EV_ERROR:
		snprintf(tag, sizeof(tag), "<error %u>", ev->value);
		r->errors++;
		break;
	}
	res_add(r, tag, strlen(tag));
}

/* A copy of in[0..n) that ends right before an unreadable page. */
static const uint8_t *
fenced(const uint8_t *in, size_t n, void **map, size_t *maplen)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (n + (size_t)page - 1) / (size_t)page + 1;
	*maplen = (pages + 1) * (size_t)page;
	uint8_t *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(m, MAP_FAILED);
	cr_assert_eq(mprotect(m + pages * (size_t)page, (size_t)page, PROT_NONE), 0);
	uint8_t *dst = m + pages * (size_t)page - n;
	memcpy(dst, in, n);
	*map = m;
	return dst;
}

/* Feeds one chunk to the decoder, as the router does (loop until used up). */
static void
feed(struct pty_decoder *d, const uint8_t *in, size_t n, struct result *r)
{
	void *map;
	size_t maplen;
	const uint8_t *p = fenced(in, n, &map, &maplen);
	while (n > 0) {
		struct pty_event ev;
		size_t used = pty_decode(d, p, n, &ev);
		res_event(r, &ev);
		if (ev.kind == PTY_EV_ERROR) {
			/* the bad header is consumed; then nothing more is */
			struct pty_event again;
			cr_assert_eq(pty_decode(d, p + used, n - used, &again), 0);
			cr_assert_eq(again.kind, PTY_EV_ERROR);
			break;
		}
		cr_assert_gt(used, 0, "progress on non-empty input");
		cr_assert_leq(used, n);
		if (ev.kind == PTY_EV_DATA)
			cr_assert(ev.data >= p && ev.data + ev.len <= p + used, "data points into the input");
		p += used;
		n -= used;
	}
	munmap(map, maplen);
}

static void
decode_all(const struct stream *s, size_t max, struct result *r)
{
	struct pty_decoder d;
	memset(r, 0, sizeof(*r));
	pty_decoder_init(&d, max);
	feed(&d, s->buf, s->len, r);
}

/* ------------------------------------------------------------------ tests */

Test(pty_frame, data_message)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_data(&s, "ls -l\r");
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "ls -l\r");
}

Test(pty_frame, modifier1_is_ignored)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_msg(&s, 0xff, 2, PTY_MOD2_DATA, "ok", 2);
	put_msg(&s, 17, 40, PTY_MOD2_ROWS, NULL, 0);
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "ok<rows 40>");
}

Test(pty_frame, rows_cols_little_endian_and_header_only)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_msg(&s, 0, 0x0102, PTY_MOD2_ROWS, NULL, 0);
	put_msg(&s, 0, 0xff00, PTY_MOD2_COLS, NULL, 0);
	put_msg(&s, 0, 0, PTY_MOD2_ROWS, NULL, 0);
	put_data(&s, "x");
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "<rows 258><cols 65280><rows 0>x");
}

Test(pty_frame, signal_numbers)
{
	struct stream s = { .len = 0 };
	struct result r;
	/* signals carry no body, whatever datasize says */
	put_msg(&s, 0, 0, 2, NULL, 0);
	put_msg(&s, 0, 7, 9, NULL, 0);
	put_msg(&s, 0, 0, 1, NULL, 0);
	put_msg(&s, 0, 0, PTY_SIG_MAX, NULL, 0);
	put_data(&s, "after");
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "<sig 2><sig 9><sig 1><sig 64>after");
}

Test(pty_frame, unknown_modifiers)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_msg(&s, 0, 0, PTY_SIG_MAX + 1, NULL, 0);
	put_msg(&s, 0, 5, 99, NULL, 0);
	put_msg(&s, 0, 0, 102, NULL, 0);
	put_msg(&s, 0, 0, 255, NULL, 0);
	put_data(&s, "still alive");
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "<unknown 65><unknown 99><unknown 102><unknown 255>still alive");
	cr_assert_eq(r.errors, 0);
}

Test(pty_frame, empty_data_message_is_a_noop)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_msg(&s, 0, 0, PTY_MOD2_DATA, NULL, 0);
	put_msg(&s, 0, 0, PTY_MOD2_DATA, NULL, 0);
	put_data(&s, "a");
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "a");
}

Test(pty_frame, binary_body_with_header_lookalikes)
{
	struct stream s = { .len = 0 };
	struct result r;
	const char body[] = { 0, 1, 0, 100, 0, 2, 0, 101, '\x03', '\x1b' };
	put_msg(&s, 0, sizeof(body), PTY_MOD2_DATA, body, sizeof(body));
	put_msg(&s, 0, 3, PTY_MOD2_COLS, NULL, 0);
	decode_all(&s, 0, &r);
	cr_assert_eq(r.len, sizeof(body) + strlen("<cols 3>"));
	cr_assert_eq(memcmp(r.text, body, sizeof(body)), 0);
	cr_assert_str_eq(r.text + sizeof(body), "<cols 3>");
}

Test(pty_frame, largest_message)
{
	static struct stream s;
	static struct result r;
	static char body[65535];
	s.len = 0;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	put_msg(&s, 0, 65535, PTY_MOD2_DATA, body, sizeof(body));
	put_data(&s, "!");
	decode_all(&s, 0, &r);
	cr_assert_eq(r.len, sizeof(body) + 1);
	cr_assert_eq(memcmp(r.text, body, sizeof(body)), 0);
	cr_assert_eq(r.text[sizeof(body)], '!');
}

Test(pty_frame, oversize_datasize_kills_the_stream)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_data(&s, "12345678");
	put_data(&s, "123456789");
	put_data(&s, "never");
	decode_all(&s, 8, &r);
	cr_assert_str_eq(r.text, "12345678<error 9>");
	cr_assert_eq(r.errors, 1);

	/* dead for good: no more input is taken */
	struct pty_decoder d;
	struct pty_event ev;
	pty_decoder_init(&d, 1);
	const uint8_t hdr[] = { 0, 2, 0, 0 };
	cr_assert_eq(pty_decode(&d, hdr, 4, &ev), 4);
	cr_assert_eq(ev.kind, PTY_EV_ERROR);
	cr_assert_eq(ev.value, 2);
	cr_assert_eq(pty_decode(&d, (const uint8_t *)"xx", 2, &ev), 0);
	cr_assert_eq(ev.kind, PTY_EV_ERROR);
}

Test(pty_frame, oversize_limit_applies_to_data_only)
{
	struct stream s = { .len = 0 };
	struct result r;
	put_msg(&s, 0, 5000, PTY_MOD2_ROWS, NULL, 0);
	put_msg(&s, 0, 5000, 15, NULL, 0);
	decode_all(&s, 16, &r);
	cr_assert_str_eq(r.text, "<rows 5000><sig 15>");
}

Test(pty_frame, limit_zero_or_huge_means_any)
{
	struct pty_decoder d;
	pty_decoder_init(&d, 0);
	cr_assert_eq(d.max_data, 65535);
	pty_decoder_init(&d, 1 << 20);
	cr_assert_eq(d.max_data, 65535);
	pty_decoder_init(&d, 100);
	cr_assert_eq(d.max_data, 100);
}

Test(pty_frame, empty_input)
{
	struct pty_decoder d;
	struct pty_event ev;
	pty_decoder_init(&d, 0);
	cr_assert_eq(pty_decode(&d, (const uint8_t *)"", 0, &ev), 0);
	cr_assert_eq(ev.kind, PTY_EV_NONE);
}

/* A mixed stream gives the same result split at any one or two points. */
Test(pty_frame, every_split_point)
{
	struct stream s = { .len = 0 };
	struct result whole, r;
	put_data(&s, "echo hi\r");
	put_msg(&s, 0, 50, PTY_MOD2_ROWS, NULL, 0);
	put_msg(&s, 0, 132, PTY_MOD2_COLS, NULL, 0);
	put_msg(&s, 0, 0, 2, NULL, 0);
	put_msg(&s, 0, 0, PTY_MOD2_DATA, NULL, 0);
	put_data(&s, "\x03");
	put_msg(&s, 0, 0, 200, NULL, 0);
	put_data(&s, "exit\r");
	decode_all(&s, 0, &whole);
	cr_assert_str_eq(whole.text, "echo hi\r<rows 50><cols 132><sig 2>\x03<unknown 200>exit\r");

	for (size_t i = 0; i <= s.len; i++) {
		for (size_t j = i; j <= s.len; j++) {
			struct pty_decoder d;
			memset(&r, 0, sizeof(r));
			pty_decoder_init(&d, 0);
			feed(&d, s.buf, i, &r);
			feed(&d, s.buf + i, j - i, &r);
			feed(&d, s.buf + j, s.len - j, &r);
			cr_assert_eq(r.len, whole.len, "split at %zu,%zu", i, j);
			cr_assert_eq(memcmp(r.text, whole.text, r.len), 0, "split at %zu,%zu", i, j);
		}
	}
}

/* One byte at a time. */
Test(pty_frame, byte_by_byte)
{
	struct stream s = { .len = 0 };
	struct result whole, r;
	put_data(&s, "abc");
	put_msg(&s, 0, 0x1234, PTY_MOD2_COLS, NULL, 0);
	put_data(&s, "def");
	decode_all(&s, 0, &whole);
	struct pty_decoder d;
	memset(&r, 0, sizeof(r));
	pty_decoder_init(&d, 0);
	for (size_t i = 0; i < s.len; i++)
		feed(&d, s.buf + i, 1, &r);
	cr_assert_str_eq(r.text, whole.text);
	cr_assert_str_eq(r.text, "abc<cols 4660>def");
}

/* A data body split across reads comes out in pieces, never buffered. */
Test(pty_frame, data_pieces_point_into_each_read)
{
	struct pty_decoder d;
	struct pty_event ev;
	const uint8_t hdr[] = { 0, 6, 0, 0 };
	pty_decoder_init(&d, 0);
	cr_assert_eq(pty_decode(&d, hdr, 4, &ev), 4);
	cr_assert_eq(ev.kind, PTY_EV_NONE);
	const uint8_t a[] = "abcdefXYZ";
	cr_assert_eq(pty_decode(&d, a, 4, &ev), 4);
	cr_assert_eq(ev.kind, PTY_EV_DATA);
	cr_assert_eq(ev.data, a);
	cr_assert_eq(ev.len, 4);
	cr_assert_eq(pty_decode(&d, a + 4, 5, &ev), 2, "the rest of the body only");
	cr_assert_eq(ev.data, a + 4);
	cr_assert_eq(ev.len, 2);
	cr_assert_eq(pty_decode(&d, a + 6, 3, &ev), 3, "3 bytes of the next header");
	cr_assert_eq(ev.kind, PTY_EV_NONE);
	cr_assert_eq(pty_decode(&d, (const uint8_t *)"\x05", 1, &ev), 1);
	cr_assert_eq(ev.kind, PTY_EV_SIGNAL, "modifier2 5 completes it");
	cr_assert_eq(ev.value, 5);
}

Test(pty_frame, header_writer)
{
	uint8_t h[PTY_FRAME_HEADER];
	cr_assert_eq(pty_frame_header(h, PTY_MOD2_COLS, 0x0150), 4);
	cr_assert_eq(h[0], 0);
	cr_assert_eq(h[1], 0x50);
	cr_assert_eq(h[2], 0x01);
	cr_assert_eq(h[3], 101);

	/* what the writer writes, the decoder reads */
	struct stream s = { .len = 0 };
	struct result r;
	pty_frame_header(s.buf, PTY_MOD2_ROWS, 61);
	pty_frame_header(s.buf + 4, PTY_MOD2_DATA, 2);
	memcpy(s.buf + 8, "hi", 2);
	s.len = 10;
	decode_all(&s, 0, &r);
	cr_assert_str_eq(r.text, "<rows 61>hi");
}
