/* SPDX-License-Identifier: MIT */
/*
 * static-gzip-all, -dir/-prefix, -ext/-suffix: serve FILE.br or FILE.gz
 * beside a static file when the client accepts that encoding and a rule
 * names the file, as uWSGI's static file server does.
 */
#include "request_features/static_gzip.h"
#include "config/config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct config *gcfg;

void
static_gzip_init(const struct config *cfg)
{
	gcfg = cfg;
}

/* Whether the Accept-Encoding value names enc (a substring test, as uWSGI). */
static bool
accepts(const char *v, size_t n, const char *enc)
{
	size_t k = strlen(enc);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(v + i, enc, k) == 0)
			return true;
	return false;
}

static bool
wanted(const char *real)
{
	size_t len = strlen(real);

	if (gcfg->static_gzip_all)
		return true;
	for (size_t i = 0; i < gcfg->static_gzip_dir.n; i++)
		if (strncmp(real, gcfg->static_gzip_dir.v[i], strlen(gcfg->static_gzip_dir.v[i])) == 0)
			return true;
	for (size_t i = 0; i < gcfg->static_gzip_ext.n; i++) {
		size_t k = strlen(gcfg->static_gzip_ext.v[i]);
		if (k <= len && strcmp(real + len - k, gcfg->static_gzip_ext.v[i]) == 0)
			return true;
	}
	return false;
}

const char *
static_gzip_pick(const char *real, const char *accept, size_t accept_len, char *out, size_t cap)
{
	static const char *const enc[] = { "br", "gzip" };
	static const char *const suffix[] = { ".br", ".gz" };
	struct stat st;

	if (!gcfg || !accept || !wanted(real))
		return NULL;
	for (int i = 0; i < 2; i++) {
		if (!accepts(accept, accept_len, enc[i]))
			continue;
		if ((size_t)snprintf(out, cap, "%s%s", real, suffix[i]) >= cap)
			return NULL;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return enc[i];
	}
	return NULL;
}
