/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the subscription packet parser (router/subscription.h)
 * and the PROXY protocol header parser (router/proxy_proto.h), both fed
 * from the network: documented results only, slices inside the input,
 * fields within their limits, and a built packet parses back to itself.
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
	CHECK(r.weight >= 1 && r.weight <= 1000000);
	/* what was parsed is built back into a packet that parses the same */
	char key[SUB_KEY_MAX + 1], addr[SUB_ADDR_MAX + 1], out[1024];
	if (memchr(r.key, '\0', r.key_len))
		return 0;
	memcpy(key, r.key, r.key_len);
	key[r.key_len] = '\0';
	memcpy(addr, r.addr, r.addr_len);
	addr[r.addr_len] = '\0';
	int n = subscription_build(out, sizeof(out), r.unsubscribe, key, addr, r.modifier1, r.weight);
	CHECK(n > 0);
	struct sub_req back;
	CHECK(subscription_parse(out, (size_t)n, &back) == 0);
	CHECK(back.unsubscribe == r.unsubscribe && back.weight == r.weight && back.modifier1 == r.modifier1);
	CHECK(back.key_len == r.key_len && memcmp(back.key, key, r.key_len) == 0);
	CHECK(back.addr_len == r.addr_len && memcmp(back.addr, addr, r.addr_len) == 0);
	return 0;
}
