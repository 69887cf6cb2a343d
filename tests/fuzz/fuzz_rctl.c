/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the jail-rctl rule grammar (jail/rctl.c): the input
 * is one rule. A parse either fails with a one-line reason or yields a rule
 * whose formatted form parses again to the same rule (resource, action,
 * signal, amount).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jail/rctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rctl_rule r, again;
	char text[512], err[1024], fmt[128], human[32];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) != size)
		return 0;       /* config values never hold NUL */
	if (rctl_rule_parse(text, &r, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	rctl_rule_format(&r, fmt, sizeof(fmt));
	if (rctl_rule_parse(fmt, &again, err, sizeof(err)) < 0 ||
	    strcmp(again.resource, r.resource) != 0 || again.action != r.action ||
	    again.sig != r.sig || again.amount != r.amount)
		abort();
	rctl_amount_human(r.amount, human, sizeof(human));
	return 0;
}
