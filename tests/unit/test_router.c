/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the router's pure parsers: the PROXY protocol header
 * (v1 text, v2 binary) and the subscription packets (modifier1 224).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "router/proxy_proto.h"
#include "router/subscription.h"
#include "router/subscription_sign.h"

static int
proxy(const char *s, size_t n, struct proxy_info *pi)
{
	return proxy_parse(s, n, pi);
}

Test(proxy, v1_tcp4_and_tcp6)
{
	struct proxy_info pi;
	const char *s = "PROXY TCP4 203.0.113.7 192.0.2.1 5555 80\r\nGET";
	cr_assert_eq(proxy(s, strlen(s), &pi), (int)strlen(s) - 3);
	cr_assert(pi.has_addr);
	cr_assert_str_eq(pi.addr, "203.0.113.7");
	cr_assert_str_eq(pi.port, "5555");
	s = "PROXY TCP6 2001:db8::9 2001:db8::1 4242 443\r\n";
	cr_assert_eq(proxy(s, strlen(s), &pi), (int)strlen(s));
	cr_assert_str_eq(pi.addr, "2001:db8::9");
	s = "PROXY UNKNOWN\r\n";
	cr_assert_eq(proxy(s, strlen(s), &pi), (int)strlen(s));
	cr_assert(!pi.has_addr);
}

Test(proxy, v1_incomplete_invalid_absent)
{
	struct proxy_info pi;
	cr_assert_eq(proxy("PROXY TCP4 1.2.3.4", 18, &pi), 0);
	cr_assert_eq(proxy("PRO", 3, &pi), 0);
	const char *bad[] = {
		"PROXY TCP4 999.1.1.1 1.1.1.1 1 2\r\n",     /* not an address */
		"PROXY TCP4 1.1.1.1 1.1.1.1 65536 2\r\n",   /* port out of range */
		"PROXY TCP4 1.1.1.1 1.1.1.1 01 2\r\n",      /* leading zero */
		"PROXY TCP4 1.1.1.1  1.1.1.1 1 2\r\n",      /* empty field */
		"PROXY TCP4 ::1 ::1 1 2\r\n",               /* family mismatch */
		"PROXY UDP4 1.1.1.1 1.1.1.1 1 2\r\n",
		"PROXY TCP4 1.1.1.1 1.1.1.1 1 2\n",         /* bare LF */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(proxy(bad[i], strlen(bad[i]), &pi), -1, "%s", bad[i]);
	cr_assert_eq(proxy("GET / HTTP/1.1\r\n", 16, &pi), -2);
	char longline[200];
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "PROXY ", 6);
	cr_assert_eq(proxy(longline, sizeof(longline), &pi), -1);	/* no CRLF in 107 bytes */
}

Test(proxy, v2)
{
	struct proxy_info pi;
	unsigned char b[28] = "\r\n\r\n\0\r\nQUIT\n";
	b[12] = 0x21;
	b[13] = 0x11;
	b[14] = 0;
	b[15] = 12;
	memcpy(b + 16, (unsigned char[]){ 198, 51, 100, 4, 10, 0, 0, 1, 0x1f, 0x90, 0, 80 }, 12);
	cr_assert_eq(proxy((char *)b, sizeof(b), &pi), 28);
	cr_assert_str_eq(pi.addr, "198.51.100.4");
	cr_assert_str_eq(pi.port, "8080");
	cr_assert_eq(proxy((char *)b, 20, &pi), 0);
	b[12] = 0x20;	/* LOCAL: no address */
	cr_assert_eq(proxy((char *)b, sizeof(b), &pi), 28);
	cr_assert(!pi.has_addr);
	b[12] = 0x31;	/* version 3 */
	cr_assert_eq(proxy((char *)b, sizeof(b), &pi), -1);
	b[12] = 0x21;
	b[15] = 4;	/* TCP4 with a block too short */
	cr_assert_eq(proxy((char *)b, 20, &pi), -1);
}

Test(subscription, build_parse_round_trip)
{
	char pkt[512];
	struct sub_req r;
	int n = subscription_build(pkt, sizeof(pkt), false, "a.example", "127.0.0.1:3031", 5, 3, 0);
	cr_assert_gt(n, 4);
	cr_assert_eq((unsigned char)pkt[0], 224);
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), 0);
	cr_assert(!r.unsubscribe);
	cr_assert_eq(r.key_len, 9);
	cr_assert(memcmp(r.key, "a.example", 9) == 0);
	cr_assert(memcmp(r.addr, "127.0.0.1:3031", 14) == 0);
	cr_assert_eq(r.weight, 3);
	cr_assert_eq(r.modifier1, 5);
	n = subscription_build(pkt, sizeof(pkt), true, "a.example", "/run/a.sock", 0, 1, 0);
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), 0);
	cr_assert(r.unsubscribe);
	cr_assert_eq(subscription_build(pkt, 20, false, "a.example", "/run/a.sock", 0, 1, 0), -1);
}

Test(subscription, rejects)
{
	char pkt[512];
	struct sub_req r;
	int n = subscription_build(pkt, sizeof(pkt), false, "k", "127.0.0.1:1", 0, 1, 0);
	cr_assert_eq(subscription_parse(pkt, (size_t)n - 1, &r), -1);	/* truncated */
	pkt[0] = 0;
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), -1);
	cr_assert_str_eq(r.error, "not a subscription packet (modifier1 224, modifier2 0 or 1)");
	pkt[0] = (char)224;
	pkt[3] = 2;
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), -1);
	char key[300];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	n = subscription_build(pkt, sizeof(pkt), false, key, "127.0.0.1:1", 0, 1, 0);
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), -1);
	cr_assert_str_eq(r.error, "missing or oversized key");
	n = subscription_build(pkt, sizeof(pkt), false, "k", "", 0, 1, 0);
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), -1);
}

Test(subscription, signed_fields)
{
	char pkt[512];
	struct sub_req r;
	const unsigned char sig[] = { 1, 2, 3, 0, 5 };
	int n = subscription_build(pkt, sizeof(pkt), false, "a.example", "127.0.0.1:1", 0, 1, 1765000000ULL);
	cr_assert_eq(subscription_parse(pkt, (size_t)n, &r), 0);
	cr_assert(r.has_unix && r.unix_time == 1765000000ULL && r.sign == NULL);
	int m = subscription_append_sign(pkt, sizeof(pkt), (size_t)n, sig, sizeof(sig));
	cr_assert_eq(m, n + 8 + (int)sizeof(sig));
	cr_assert_eq(subscription_parse(pkt, (size_t)m, &r), 0);
	cr_assert_eq(r.sign_len, sizeof(sig));
	cr_assert(memcmp(r.sign, sig, sizeof(sig)) == 0);
	cr_assert_eq(r.signed_len, (size_t)n - 4);      /* everything before the sign var */
	cr_assert_eq(r.body, pkt + 4);
	/* a var after sign would be unsigned: refused */
	memcpy(pkt + m, "\x01\x00x\x01\x00y", 6);
	pkt[1] = (char)((m + 6 - 4) & 0xff);
	pkt[2] = (char)((m + 6 - 4) >> 8);
	cr_assert_eq(subscription_parse(pkt, (size_t)m + 6, &r), -1);
	cr_assert_str_eq(r.error, "sign is not the last var");
}

Test(subscription, key_path_is_sanitized_as_uwsgi)
{
	char path[64];
	cr_assert_eq(sub_sign_key_path("/k", "example.com:8080", 16, path, sizeof(path)), 0);
	cr_assert_str_eq(path, "/k/example.com_8080.pem");
	cr_assert_eq(sub_sign_key_path("/k", "../../etc/x", 11, path, sizeof(path)), 0);
	cr_assert_str_eq(path, "/k/.._.._etc_x.pem");
	cr_assert_eq(sub_sign_key_path("/k", "a", 1, path, 8), -1);
}

