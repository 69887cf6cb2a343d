/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the route-rule parser (request_features/route_rules.c).
 * Input: an option name (route, route-if, ...), a NUL, then the rule text;
 * several NUL-separated pairs make a rule list whose gotos are linked.
 * Checks, beyond memory safety: a rule either parses to a known action or
 * fails with a message, and a linked goto points at a route-label.
 */
#include "request_features/route_rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 2);
	struct route_rule rules[8];
	size_t n = 0, pos = 0;
	char err[256];

	/* glibc's regcomp grows with nested counted repetitions
	 * ((a{99}){99}): those cost memory, not correctness, here */
	if (!in || size > 512 || memchr(data, '{', size) != memrchr(data, '{', size)) {
		free(in);
		return 0;
	}
	memcpy(in, data, size);
	in[size] = in[size + 1] = '\0';
	while (pos < size && n < 8) {
		const char *opt = in + pos;
		pos += strlen(opt) + 1;
		if (pos > size)
			break;
		const char *val = in + pos;
		pos += strlen(val) + 1;
		err[0] = '\0';
		if (route_rule_parse(opt, val, &rules[n], err, sizeof(err)) < 0) {
			if (!err[0])
				abort();   /* a refusal always says why */
			continue;
		}
		if (rules[n].subject != RS_LABEL && rules[n].action == RA_NONE)
			abort();
		n++;
	}
	size_t bad;
	if (route_rules_link(rules, n, &bad, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			if (rules[i].action == RA_GOTO && (rules[i].target >= n || rules[rules[i].target].subject != RS_LABEL))
				abort();
	}
	for (size_t i = 0; i < n; i++)
		route_rule_free(&rules[i]);
	free(in);
	return 0;
}
