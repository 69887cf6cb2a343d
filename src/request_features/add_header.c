/* SPDX-License-Identifier: MIT */
/*
 * add-header: "Name: value" lines appended to the head of every response
 * Stockade writes for the app or a static file, as uWSGI's response writer
 * appends them (after the app's own headers, never replacing one).
 */
#include "request_features/add_header.h"
#include "config/config.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static struct kv *extra;
static size_t nextra;

/* RFC 9110 token characters, as a header name must be. */
static bool
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int
add_header_init(const struct config *cfg)
{
	free(extra);
	extra = NULL;
	nextra = 0;
	if (cfg->add_header.n == 0)
		return 0;
	extra = xcalloc(cfg->add_header.n, sizeof(*extra));
	for (size_t i = 0; i < cfg->add_header.n; i++) {
		const char *line = cfg->add_header.v[i];
		const char *colon = strchr(line, ':');
		const struct origin *o = &cfg->add_header.origin[i];
		const char *p, *v;
		bool ok = colon && colon > line;

		for (p = line; ok && p < colon; p++)
			ok = is_tchar((unsigned char)*p);
		for (p = colon ? colon : line; ok && *p; p++)
			ok = (unsigned char)*p >= 0x20 || *p == '\t';
		if (!ok) {
			config_error(*o, "add-header: expected 'Name: value', got '%s'", line);
			return -1;
		}
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		extra[nextra++] = (struct kv){ line, (size_t)(colon - line), v, strlen(v) };
	}
	return 0;
}

const struct kv *
add_header_merge(const struct kv *headers, size_t n, size_t *nout, struct kv *space, size_t cap)
{
	if (nextra == 0 || n + nextra > cap) {
		*nout = n;
		return headers;   /* (over cap: http_format_head refuses that many anyway) */
	}
	if (n)
		memcpy(space, headers, n * sizeof(*headers));
	memcpy(space + n, extra, nextra * sizeof(*extra));
	*nout = n + nextra;
	return space;
}
