/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the spooler task file parser (proto/spool.c): vars
 * and body stay inside the input, an error always says why, and a parsed
 * task re-encoded with spool_add_var/spool_header parses to the same vars.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/spool.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

struct ctx {
	const char *start, *end;
	char out[4 + SPOOL_MAX_VARS_SIZE];
	size_t used;
	size_t n;
};

static int
collect(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct ctx *c = arg;

	CHECK(key >= c->start && key + klen <= c->end && klen > 0);
	CHECK(val >= c->start && val + vlen <= c->end);
	CHECK(spool_add_var(c->out + 4, sizeof(c->out) - 4, &c->used, key, klen, val, vlen) == 0);
	c->n++;
	return 0;
}

static int
count(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	(*(size_t *)arg)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	const char *buf = (const char *)data, *body, *err = NULL;
	size_t body_len, n2 = 0;

	c.start = buf;
	c.end = buf + size;
	c.used = 0;
	c.n = 0;
	if (spool_parse(buf, size, collect, &c, &body, &body_len, &err) < 0) {
		CHECK(err != NULL);
		return 0;
	}
	CHECK(body_len == 0 || (body >= buf && body + body_len == buf + size));
	/* the vars block re-encodes byte for byte */
	CHECK(c.used + 4 + body_len == size);
	CHECK(memcmp(c.out + 4, buf + 4, c.used) == 0);
	spool_header(c.out, c.used);
	CHECK(spool_parse(c.out, 4 + c.used, count, &n2, &body, &body_len, &err) == 0);
	CHECK(n2 == c.n && body_len == 0);
	return 0;
}
