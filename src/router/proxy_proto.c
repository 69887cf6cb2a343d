/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol v1/v2 parser (see proxy_proto.h). Addresses are checked
 * with inet_pton and printed back with inet_ntop, so what reaches
 * REMOTE_ADDR is always a well-formed numeric address.
 */
#include "router/proxy_proto.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char v2_sig[12] = "\r\n\r\n\0\r\nQUIT\n";

/* A decimal port 0-65535 without sign or leading junk. */
static bool
valid_port(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 65535;
}

/* Splits line[0..n) at single spaces into at most max fields. */
static size_t
split(const char *line, size_t n, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ')
			continue;
		if (k == max || i == start)
			return max + 1;	/* too many fields, or an empty one */
		f[k] = line + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	return k;
}

static int
parse_v1(const char *buf, size_t len, struct proxy_info *pi)
{
	size_t lim = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;
	const char *cr = memchr(buf, '\r', lim), *lf = memchr(buf, '\n', lim);

	if (lf && (!cr || lf < cr))
		return -1;	/* a bare LF */
	if (!cr)
		return len < PROXY_V1_MAX ? 0 : -1;
	size_t n = (size_t)(cr - buf);
	if (n + 1 >= len)
		return 0;
	if (cr[1] != '\n')
		return -1;
	const char *f[6];
	size_t fl[6];
	size_t k = split(buf, n, f, fl, 6);
	if (k < 2 || k > 6)
		return -1;
	if (fl[1] == 7 && memcmp(f[1], "UNKNOWN", 7) == 0)
		return (int)n + 2;	/* the rest of the line is ignored */
	int af;
	if (fl[1] == 4 && memcmp(f[1], "TCP4", 4) == 0)
		af = AF_INET;
	else if (fl[1] == 4 && memcmp(f[1], "TCP6", 4) == 0)
		af = AF_INET6;
	else
		return -1;
	if (k != 6 || fl[2] >= sizeof(pi->addr) || fl[3] >= sizeof(pi->addr) ||
	    !valid_port(f[4], fl[4]) || !valid_port(f[5], fl[5]))
		return -1;
	char src[46], dst[46];
	unsigned char bin[16], dbin[16];
	memcpy(src, f[2], fl[2]);
	src[fl[2]] = '\0';
	memcpy(dst, f[3], fl[3]);
	dst[fl[3]] = '\0';
	if (inet_pton(af, src, bin) != 1 || inet_pton(af, dst, dbin) != 1 ||
	    !inet_ntop(af, bin, pi->addr, sizeof(pi->addr)))
		return -1;
	memcpy(pi->port, f[4], fl[4]);
	pi->port[fl[4]] = '\0';
	pi->has_addr = true;
	return (int)n + 2;
}

static int
parse_v2(const unsigned char *b, size_t len, struct proxy_info *pi)
{
	if (len < 16)
		return 0;
	if ((b[12] & 0xf0) != 0x20)
		return -1;	/* version 2 only */
	unsigned cmd = b[12] & 0x0f, fam = b[13];
	size_t body = (size_t)b[14] << 8 | b[15];
	if (cmd > 1)
		return -1;
	if (len < 16 + body)
		return 0;
	if (cmd == 0)	/* LOCAL: the balancer's own connection (health check) */
		return (int)(16 + body);
	if (fam == 0x11 && body >= 12) {
		if (!inet_ntop(AF_INET, b + 16, pi->addr, sizeof(pi->addr)))
			return -1;
		snprintf(pi->port, sizeof(pi->port), "%u", (unsigned)(b[24] << 8 | b[25]));
		pi->has_addr = true;
	} else if (fam == 0x21 && body >= 36) {
		if (!inet_ntop(AF_INET6, b + 16, pi->addr, sizeof(pi->addr)))
			return -1;
		snprintf(pi->port, sizeof(pi->port), "%u", (unsigned)(b[48] << 8 | b[49]));
		pi->has_addr = true;
	} else if ((fam & 0xf0) == 0x10 || (fam & 0xf0) == 0x20) {
		return -1;	/* an IP family with a block too short for it */
	}
	return (int)(16 + body);	/* UNSPEC, unix: keep the peer's address */
}

int
proxy_parse(const char *buf, size_t len, struct proxy_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	size_t cmp = len < 12 ? len : 12;
	if (memcmp(buf, v2_sig, cmp) == 0)
		return len < 12 ? 0 : parse_v2((const unsigned char *)buf, len, pi);
	cmp = len < 6 ? len : 6;
	if (memcmp(buf, "PROXY ", cmp) == 0)
		return len < 6 ? 0 : parse_v1(buf, len, pi);
	return -2;
}
