/* SPDX-License-Identifier: MIT */
/* uWSGI's spooler task file format (see spool.h). */
#include "proto/spool.h"

#include <string.h>

static uint16_t
le16(const char *p)
{
	return (uint16_t)((uint8_t)p[0] | ((uint8_t)p[1] << 8));
}

int
spool_parse(const char *buf, size_t len, spool_var_fn *fn, void *arg,
            const char **body, size_t *body_len, const char **error)
{
	size_t size, pos = 4;

	*body = NULL;
	*body_len = 0;
	if (len < 4) {
		*error = "short header";
		return -1;
	}
	if ((uint8_t)buf[0] != SPOOL_MODIFIER1) {
		*error = "not a spooler packet";
		return -1;
	}
	size = le16(buf + 1);
	if (size > len - 4) {
		*error = "truncated vars";
		return -1;
	}
	/* the vars block is buf[4 .. 4 + size): every length is checked
	 * against what is left of it, never against the file */
	while (pos < 4 + size) {
		size_t left = 4 + size - pos, klen, vlen;
		const char *key, *val;

		if (left < 2) {
			*error = "truncated vars";
			return -1;
		}
		klen = le16(buf + pos);
		if (klen == 0) {
			*error = "empty key";
			return -1;
		}
		if (left - 2 < klen + 2) {
			*error = "truncated vars";
			return -1;
		}
		key = buf + pos + 2;
		vlen = le16(key + klen);
		if (left - 2 - klen - 2 < vlen) {
			*error = "truncated vars";
			return -1;
		}
		val = key + klen + 2;
		if (fn && fn(arg, key, klen, val, vlen) != 0) {
			*error = "rejected var";
			return -1;
		}
		pos += 4 + klen + vlen;
	}
	if (len > 4 + size) {
		*body = buf + 4 + size;
		*body_len = len - 4 - size;
	}
	return 0;
}

int
spool_add_var(char *out, size_t cap, size_t *used, const char *key, size_t klen,
              const char *val, size_t vlen)
{
	size_t need = 4 + klen + vlen;

	if (klen == 0 || klen > 0xffff || vlen > 0xffff || *used > SPOOL_MAX_VARS_SIZE ||
	    need > SPOOL_MAX_VARS_SIZE - *used || *used + need > cap)
		return -1;
	char *p = out + *used;
	p[0] = (char)(klen & 0xff);
	p[1] = (char)(klen >> 8);
	memcpy(p + 2, key, klen);
	p += 2 + klen;
	p[0] = (char)(vlen & 0xff);
	p[1] = (char)(vlen >> 8);
	memcpy(p + 2, val, vlen);
	*used += need;
	return 0;
}

void
spool_header(char out[4], size_t vars_len)
{
	out[0] = (char)SPOOL_MODIFIER1;
	out[1] = (char)(vars_len & 0xff);
	out[2] = (char)((vars_len >> 8) & 0xff);
	out[3] = 0;
}
