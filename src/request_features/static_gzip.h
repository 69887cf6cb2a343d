/* SPDX-License-Identifier: MIT */
/* Precompressed variants of static files (static-gzip-*). */
#ifndef STOCKADE_REQUEST_FEATURES_STATIC_GZIP_H
#define STOCKADE_REQUEST_FEATURES_STATIC_GZIP_H

#include <stdbool.h>
#include <stddef.h>

struct config;

void	static_gzip_init(const struct config *cfg);
/* The encoding ("br" or "gzip") whose variant of the file real exists and
 * should be sent (its path in out), or NULL for the file itself. */
const char *static_gzip_pick(const char *real, const char *accept, size_t accept_len, char *out, size_t cap);

#endif
