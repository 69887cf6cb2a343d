/* SPDX-License-Identifier: MIT */
/* "Did you mean": the closest name in a table to a mistyped word. */
#ifndef STOCKADE_BASE_NAMES_H
#define STOCKADE_BASE_NAMES_H

#include <stddef.h>

/* Optimal string alignment distance; (size_t)-1 past 64 characters. */
size_t	edit_distance(const char *a, const char *b);

/* The edits a word of this length may be off by and still get a
 * suggestion: 0 up to 3 characters, 1 up to 5, 2 beyond. */
size_t	suggest_distance(const char *word);

/*
 * The first of n names closest to word, at most max_edits away, or NULL.
 * The names are the `const char *` fields at first, first + stride, ...:
 * pass &table[0].name, the row count and sizeof(table[0]).
 */
const char *closest_name(const char *word, size_t max_edits, const char *const *first, size_t n,
	    size_t stride);

#endif
