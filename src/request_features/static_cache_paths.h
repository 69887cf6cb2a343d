/* SPDX-License-Identifier: MIT */
/* static-cache-paths: resolved static file paths kept in a uWSGI cache. */
#ifndef STOCKADE_REQUEST_FEATURES_STATIC_CACHE_PATHS_H
#define STOCKADE_REQUEST_FEATURES_STATIC_CACHE_PATHS_H

#include <stdbool.h>

struct config;

/* Finds the cache (after the caches are made); -1 (logged with file:line)
 * when static-cache-paths is set and there is no such cache. */
int	static_cache_paths_init(const struct config *cfg);
/* The cached real path of path into real (PATH_MAX bytes): true on a hit. */
bool	static_cache_paths_get(const char *path, char *real);
/* Keeps path -> real for static-cache-paths seconds. */
void	static_cache_paths_put(const char *path, const char *real);

#endif
