/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the subscription packet parser (router/subscription.h)
 * and the PROXY protocol header parser (router/proxy_proto.h), both fed
 * from the network: documented results only, slices inside the input,
 * fields within their limits, the signed part of a signed packet ends
 * where its (last) sign var starts, and a built packet (signed or not)
 * parses back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router/proxy_proto.h"
#include "router/subscription.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_proxy(const char *buf, size_t size)
{
	struct proxy_info pi;
	int rc = proxy_parse(buf, size, &pi);

	CHECK(rc >= -2 && (rc <= 0 || (size_t)rc <= size));
	if (rc > 0 && pi.has_addr) {
		CHECK(memchr(pi.addr, '\0', sizeof(pi.addr)) && memchr(pi.port, '\0', sizeof(pi.port)));
		CHECK(pi.addr[0] != '\0' && pi.port[0] != '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sub_req r;
	int rc = subscription_parse(buf, size, &r);

	check_proxy(buf, size);
	CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		CHECK(r.error != NULL);
		return 0;
	}
	CHECK(r.key >= buf && r.key + r.key_len <= buf + size);
	CHECK(r.addr >= buf && r.addr + r.addr_len <= buf + size);
	CHECK(r.key_len > 0 && r.key_len <= SUB_KEY_MAX);
	CHECK(r.addr_len > 0 && r.addr_len <= SUB_ADDR_MAX && !memchr(r.addr, '\0', r.addr_len));
	for (size_t i = 0; i < r.key_len; i++)          /* no NUL or control byte: C strings, log lines */
		CHECK((unsigned char)r.key[i] >= 0x20 && r.key[i] != 0x7f);
	for (size_t i = 0; i < r.addr_len; i++)
		CHECK((unsigned char)r.addr[i] >= 0x20 && r.addr[i] != 0x7f);
	CHECK(r.weight >= 1 && r.weight <= 1000000);
	CHECK(r.body == buf + 4);
	if (r.sign) {
		/* the signature covers everything before "sign" and is the last var */
		CHECK(r.sign_len > 0 && r.sign_len <= SUB_SIGN_MAX);
		CHECK(r.signed_len + 2 + 4 + 2 + r.sign_len + 4 == size);
		CHECK(memcmp(buf + 4 + r.signed_len + 2, "sign", 4) == 0 && r.sign == buf + size - r.sign_len);
	}
	/* what was parsed is built back into a packet that parses the same */
	char key[SUB_KEY_MAX + 1], addr[SUB_ADDR_MAX + 1], out[2048];
	if (memchr(r.key, '\0', r.key_len))
		return 0;
	memcpy(key, r.key, r.key_len);
	key[r.key_len] = '\0';
	memcpy(addr, r.addr, r.addr_len);
	addr[r.addr_len] = '\0';
	unsigned long long t = r.has_unix ? r.unix_time : 0;
	int n = subscription_build(out, sizeof(out), r.unsubscribe, key, addr, r.modifier1, r.weight, t);
	CHECK(n > 0);
	if (r.sign && r.sign_len <= sizeof(out) - (size_t)n - 8) {
		int signed_len = n - 4;
		n = subscription_append_sign(out, sizeof(out), (size_t)n, (const unsigned char *)r.sign, r.sign_len);
		CHECK(n > 0);
		struct sub_req s2;
		CHECK(subscription_parse(out, (size_t)n, &s2) == 0);
		CHECK(s2.sign_len == r.sign_len && memcmp(s2.sign, r.sign, r.sign_len) == 0);
		CHECK(s2.signed_len == (size_t)signed_len);
	}
	struct sub_req back;
	CHECK(subscription_parse(out, (size_t)n, &back) == 0);
	CHECK(back.unsubscribe == r.unsubscribe && back.weight == r.weight && back.modifier1 == r.modifier1);
	CHECK(back.has_unix == (t != 0) && (!t || back.unix_time == t));
	CHECK(back.key_len == r.key_len && memcmp(back.key, key, r.key_len) == 0);
	CHECK(back.addr_len == r.addr_len && memcmp(back.addr, addr, r.addr_len) == 0);
	return 0;
}
