/* SPDX-License-Identifier: MIT */
/*
 * static-cache-paths (uWSGI core/static.c, uwsgi_file_serve): the real path
 * a static lookup resolves (realpath of the mapped directory + PATH_INFO)
 * is kept in a cache for N seconds, shared by every worker, and reused
 * instead of resolving again. As in uWSGI only the path is cached: the file
 * is still checked and opened on each request, so a file changed in place
 * serves its new content, while a symlink switched (or the mapped name
 * removed) within the cache time still serves the path resolved before.
 * The cache is static-cache-paths-name, else the first one made; without
 * any cache the instance refuses to start, as uWSGI does.
 */
#include "request_features/static_cache_paths.h"
#include "base/log.h"
#include "cache/cache.h"
#include "config/config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static struct {
	struct cache *c;
	unsigned long long seconds;
} scp;

int
static_cache_paths_init(const struct config *cfg)
{
	scp.seconds = cfg->static_cache_paths;
	if (!scp.seconds)
		return 0;
	const char *name = cfg->static_cache_paths_name;
	scp.c = cache_find(name);
	if (scp.c)
		return 0;
	const struct origin *o = config_origin(cfg, name ? "static-cache-paths-name" : "static-cache-paths");
	if (name)
		config_error(o ? *o : (struct origin){ "config", 0 }, "static-cache-paths-name: no cache named '%s'", name);
	else
		config_error(o ? *o : (struct origin){ "config", 0 },
		    "static-cache-paths needs a cache (cache2 = name=...,items=... or cache = N)");
	return -1;
}

bool
static_cache_paths_get(const char *path, char *real)
{
	size_t n;

	if (!scp.c)
		return false;
	char *v = cache_get(scp.c, path, strlen(path), &n);
	if (!v)
		return false;
	bool ok = n > 0 && n < PATH_MAX && v[0] == '/' && !memchr(v, '\0', n);
	if (ok) {
		memcpy(real, v, n);
		real[n] = '\0';
	}
	free(v);
	return ok;
}

void
static_cache_paths_put(const char *path, const char *real)
{
	/* a path too long for the cache's blocks is simply not kept */
	if (scp.c)
		(void)cache_put(scp.c, CACHE_UPDATE, path, strlen(path), real, strlen(real), scp.seconds);
}
