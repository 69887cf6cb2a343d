/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/proto/uwsgi.c. Packets are copied to the end of a page
 * followed by a PROT_NONE page, so a read past the input crashes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto/uwsgi.h"

/* ------------------------------------------------------------------ helpers */

struct packet {
	char buf[70000];
	size_t len;
};

static void
put_u16(struct packet *p, size_t v)
{
	p->buf[p->len++] = (char)(v & 0xff);
	p->buf[p->len++] = (char)(v >> 8);
}

static void
packet_start(struct packet *p, uint8_t mod1, uint8_t mod2)
{
	p->len = 0;
	p->buf[p->len++] = (char)mod1;
	put_u16(p, 0);
	p->buf[p->len++] = (char)mod2;
}

static void
packet_var(struct packet *p, const char *k, size_t kn, const char *v, size_t vn)
{
	put_u16(p, kn);
	memcpy(p->buf + p->len, k, kn);
	p->len += kn;
	put_u16(p, vn);
	memcpy(p->buf + p->len, v, vn);
	p->len += vn;
}

static void
packet_add(struct packet *p, const char *k, const char *v)
{
	packet_var(p, k, strlen(k), v, strlen(v));
}

/* writes datasize from what was added */
static void
packet_finish(struct packet *p)
{
	size_t ds = p->len - UWSGI_HEADER_SIZE;
	p->buf[1] = (char)(ds & 0xff);
	p->buf[2] = (char)(ds >> 8);
}

static int
parse_guarded(const char *buf, size_t len, size_t max, struct uwsgi_packet *pkt)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + page - 1) / page + 1;
	size_t map_len = (data_pages + 1) * page;
	char *map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *data;
	int rc;

	cr_assert(map != MAP_FAILED);
	cr_assert(mprotect(map + data_pages * page, page, PROT_NONE) == 0);
	data = map + data_pages * page - len;
	memcpy(data, buf, len);
	rc = uwsgi_parse_packet(data, len, max, pkt);
	/* rebase slices onto buf before unmapping */
	for (size_t i = 0; i < pkt->nvars; i++) {
		pkt->vars[i].key = buf + (pkt->vars[i].key - data);
		pkt->vars[i].val = buf + (pkt->vars[i].val - data);
	}
	munmap(map, map_len);
	return rc;
}

static bool
slice_is(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

static struct uwsgi_packet pkt;
static struct packet p;

/* --------------------------------------------------------------------- tests */

Test(uwsgi, typical_request)
{
	packet_start(&p, 0, 0);
	packet_add(&p, "REQUEST_METHOD", "GET");
	packet_add(&p, "PATH_INFO", "/hello");
	packet_add(&p, "QUERY_STRING", "");
	packet_add(&p, "CONTENT_LENGTH", "12");
	packet_finish(&p);
	memcpy(p.buf + p.len, "body follows", 12);	/* body is not part of the packet */

	int rc = parse_guarded(p.buf, p.len + 12, 4096, &pkt);
	cr_assert_eq(rc, (int)p.len);
	cr_assert_eq(pkt.modifier1, 0);
	cr_assert_eq(pkt.modifier2, 0);
	cr_assert_eq(pkt.datasize, p.len - 4);
	cr_assert_eq(pkt.nvars, 4);
	cr_assert(slice_is(pkt.vars[0].key, pkt.vars[0].key_len, "REQUEST_METHOD"));
	cr_assert(slice_is(pkt.vars[0].val, pkt.vars[0].val_len, "GET"));
	cr_assert(slice_is(pkt.vars[2].val, pkt.vars[2].val_len, ""));
	cr_assert_null(pkt.error);

	const struct kv *v = uwsgi_find_var(&pkt, "PATH_INFO");
	cr_assert_not_null(v);
	cr_assert(slice_is(v->val, v->val_len, "/hello"));
	cr_assert_null(uwsgi_find_var(&pkt, "path_info"));
	cr_assert_null(uwsgi_find_var(&pkt, "PATH"));
	cr_assert_not_null(uwsgi_find_var_n(&pkt, "PATH_INFOxxx", 9));

	int64_t cl;
	cr_assert_eq(uwsgi_content_length(&pkt, &cl), 0);
	cr_assert_eq(cl, 12);
}

Test(uwsgi, modifiers_and_empty_block)
{
	packet_start(&p, 115, 7);
	packet_finish(&p);
	cr_assert_eq(parse_guarded(p.buf, p.len, 4096, &pkt), 4);
	cr_assert_eq(pkt.modifier1, UWSGI_MODIFIER_EMPEROR_CONFIG);
	cr_assert_eq(pkt.modifier2, 7);
	cr_assert_eq(pkt.nvars, 0);
}

Test(uwsgi, datasize_is_little_endian)
{
	char buf[4 + 0x0102] = { 0, 0x02, 0x01, 0 };
	/* one var filling the block: key "K", value of 0x0102 - 5 bytes */
	size_t vlen = 0x0102 - 5;
	buf[4] = 1;
	buf[5] = 0;
	buf[6] = 'K';
	buf[7] = (char)(vlen & 0xff);
	buf[8] = (char)(vlen >> 8);
	memset(buf + 9, 'v', vlen);
	cr_assert_eq(parse_guarded(buf, sizeof(buf), 4096, &pkt), 4 + 0x0102);
	cr_assert_eq(pkt.datasize, 0x0102);
	cr_assert_eq(pkt.vars[0].val_len, vlen);
}

Test(uwsgi, every_split_point_is_incomplete)
{
	packet_start(&p, 0, 0);
	packet_add(&p, "A", "1");
	packet_add(&p, "SERVER_NAME", "example.org");
	packet_finish(&p);
	for (size_t k = 0; k < p.len; k++)
		cr_expect_eq(parse_guarded(p.buf, k, 4096, &pkt), 0, "cut at %zu", k);
	cr_assert_eq(parse_guarded(p.buf, p.len, 4096, &pkt), (int)p.len);
}

Test(uwsgi, block_size_limit)
{
	packet_start(&p, 0, 0);
	packet_add(&p, "KEY", "0123456789");
	packet_finish(&p);
	size_t ds = p.len - 4;

	cr_assert_eq(parse_guarded(p.buf, p.len, ds, &pkt), (int)p.len);
	/* refused from the header alone, before the block arrives */
	cr_assert_eq(parse_guarded(p.buf, 4, ds - 1, &pkt), -1);
	char want[64];
	snprintf(want, sizeof(want), "invalid request block size %zu (max %zu)", ds, ds - 1);
	cr_assert_str_eq(pkt.error, want);
}

Test(uwsgi, null_key)
{
	packet_start(&p, 0, 0);
	packet_add(&p, "A", "1");
	packet_var(&p, "", 0, "x", 1);
	packet_finish(&p);
	cr_assert_eq(parse_guarded(p.buf, p.len, 4096, &pkt), -1);
	cr_assert_str_eq(pkt.error, "uwsgi key cannot be null");
}

Test(uwsgi, truncated_at_every_byte_of_the_last_var)
{
	packet_start(&p, 0, 0);
	packet_add(&p, "A", "1");
	size_t first_end = p.len;
	packet_add(&p, "KEY", "VALUE");
	size_t full = p.len;

	/* a block that stops anywhere inside the second var */
	for (size_t cut = first_end + 1; cut < full; cut++) {
		p.len = cut;
		packet_finish(&p);
		cr_expect_eq(parse_guarded(p.buf, p.len, 4096, &pkt), -1, "cut at %zu", cut);
		cr_expect_str_eq(pkt.error, "truncated var", "cut at %zu", cut);
	}
}

Test(uwsgi, lengths_beyond_the_block)
{
	/* key length says 0xffff: must not read past the block (or the buffer) */
	char buf[] = { 0, 4, 0, 0, (char)0xff, (char)0xff, 'a', 'b' };
	cr_assert_eq(parse_guarded(buf, sizeof(buf), 4096, &pkt), -1);
	cr_assert_str_eq(pkt.error, "truncated var");

	char buf2[] = { 0, 6, 0, 0, 1, 0, 'a', (char)0xff, (char)0xff, 'x' };
	cr_assert_eq(parse_guarded(buf2, 10, 4096, &pkt), -1);
	cr_assert_str_eq(pkt.error, "truncated var");
}

Test(uwsgi, var_limit)
{
	packet_start(&p, 0, 0);
	for (int i = 0; i < UWSGI_MAX_VARS; i++)
		packet_add(&p, "K", "v");
	packet_finish(&p);
	cr_assert_eq(parse_guarded(p.buf, p.len, 65535, &pkt), (int)p.len);
	cr_assert_eq(pkt.nvars, UWSGI_MAX_VARS);

	packet_add(&p, "K", "v");
	packet_finish(&p);
	cr_assert_eq(parse_guarded(p.buf, p.len, 65535, &pkt), -1);
	cr_assert_str_eq(pkt.error, "too many vars (max 128)");
}

Test(uwsgi, binary_keys_and_values)
{
	packet_start(&p, 0, 0);
	packet_var(&p, "K\0X", 3, "\0\xff\r\n", 4);
	packet_finish(&p);
	cr_assert_eq(parse_guarded(p.buf, p.len, 4096, &pkt), (int)p.len);
	cr_assert_eq(pkt.vars[0].key_len, 3);
	cr_assert(memcmp(pkt.vars[0].val, "\0\xff\r\n", 4) == 0);
	cr_assert_not_null(uwsgi_find_var_n(&pkt, "K\0X", 3));
	cr_assert_null(uwsgi_find_var(&pkt, "K"));
}

Test(uwsgi, parse_vars_directly)
{
	packet_start(&p, 0, 0);
	packet_add(&p, "name", "vassal.ini");
	packet_add(&p, "config", "[uwsgi]\nsocket = :3031\n");
	cr_assert_eq(uwsgi_parse_vars(p.buf + 4, p.len - 4, &pkt), 0);
	cr_assert_eq(pkt.nvars, 2);
	cr_assert_eq(uwsgi_parse_vars(p.buf + 4, 1, &pkt), -1);
	cr_assert_eq(uwsgi_parse_vars(p.buf + 4, 0, &pkt), 0);
	cr_assert_eq(pkt.nvars, 0);
}

static int
content_length_of(const char *value, int64_t *out)
{
	packet_start(&p, 0, 0);
	if (value)
		packet_add(&p, "CONTENT_LENGTH", value);
	packet_finish(&p);
	cr_assert_gt(parse_guarded(p.buf, p.len, 4096, &pkt), 0);
	return uwsgi_content_length(&pkt, out);
}

Test(uwsgi, content_length_is_strict)
{
	int64_t cl = -5;

	cr_assert_eq(content_length_of(NULL, &cl), 0);
	cr_assert_eq(cl, 0);
	cr_assert_eq(content_length_of("", &cl), 0);	/* nginx's $content_length when absent */
	cr_assert_eq(cl, 0);
	cr_assert_eq(content_length_of("007", &cl), 0);
	cr_assert_eq(cl, 7);
	cr_assert_eq(content_length_of("9223372036854775807", &cl), 0);
	cr_assert_eq(cl, INT64_MAX);

	const char *bad[] = { "+5", "-5", " 5", "5 ", "5x", "0x5", "1e3", "9223372036854775808",
	                      "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(content_length_of(bad[i], &cl), -1, "%s", bad[i]);
}
