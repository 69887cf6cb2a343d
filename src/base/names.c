/* SPDX-License-Identifier: MIT */
/* "Did you mean": the closest name in a table to a mistyped word. */
#include "base/names.h"

#include <string.h>

/* Optimal string alignment distance: Levenshtein plus adjacent transposition,
 * so that `jial2` is one edit away from `jail2`. */
size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Short names get a tighter bound: `uid` must not "suggest" `gid`. */
size_t
suggest_distance(const char *word)
{
	size_t n = strlen(word);
	return n <= 3 ? 0 : n <= 5 ? 1 : 2;
}

const char *
closest_name(const char *word, size_t max_edits, const char *const *first, size_t n,
    size_t stride)
{
	const char *out = NULL;
	size_t best = max_edits + 1;
	for (size_t i = 0; i < n; i++) {
		const char *name = *(const char *const *)(const void *)((const char *)first + i * stride);
		size_t d = edit_distance(word, name);
		if (d < best) {
			best = d;
			out = name;
		}
	}
	return out;
}
