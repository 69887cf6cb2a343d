/* SPDX-License-Identifier: MIT */
/* Config logic conditions and loops. Blocks are collected by feed() and
 * evaluated here: a true condition yields one context item (%(_)), a false
 * one yields none; a loop yields one item per iteration. */
#include "config/config.h"
#include "config/config_handlers.h"
#include "base/platform.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LOOP_ITEMS 100000

struct items {
	char **v;
	size_t n;
};

static void
push(struct items *it, const char *s)
{
	it->v = xrealloc(it->v, (it->n + 1) * sizeof(*it->v));
	it->v[it->n++] = xstrdup(s);
}

/* "linux|freebsd" or "linux freebsd" */
static bool
os_matches(const char *arg)
{
	const char *me = platform_os_name();
	size_t n = strlen(me);
	for (const char *p = arg; *p;) {
		size_t len = strcspn(p, "| ,");
		if (len == n && strncasecmp(p, me, n) == 0)
			return true;
		p += len;
		p += strspn(p, "| ,");
	}
	return false;
}

/* NAME or NAME=value against the environment or the options read so far. */
static bool
kv_condition(struct loader *L, long kind, const char *arg, char **ctx)
{
	const char *eq = strchr(arg, '=');
	char *name = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
	const char *value = NULL;
	if (kind == COND_ENV) {
		value = getenv(name);
	} else {
		struct config_entry *e = config_lookup(L, name, true);
		value = e ? e->value : NULL;
	}
	bool r = value && (!eq || strcmp(value, eq + 1) == 0);
	if (r)
		*ctx = xstrdup(value);
	free(name);
	return r;
}

static int
condition(struct loader *L, long kind, const char *arg, struct origin o, char **ctx)
{
	struct stat st;
	char host[256];
	switch (kind) {
	case COND_EXISTS:
		*ctx = xstrdup(arg);
		return stat(arg, &st) == 0;
	case COND_FILE:
		*ctx = xstrdup(arg);
		return stat(arg, &st) == 0 && S_ISREG(st.st_mode);
	case COND_DIR:
		*ctx = xstrdup(arg);
		return stat(arg, &st) == 0 && S_ISDIR(st.st_mode);
	case COND_ENV:
	case COND_OPT:
		return kv_condition(L, kind, arg, ctx);
	case COND_RELOAD:
		*ctx = xasprintf("%lu", L->reloads);
		return L->is_reload;
	case COND_HOSTNAME:
		if (gethostname(host, sizeof(host)) < 0)
			return 0;
		host[sizeof(host) - 1] = '\0';
		*ctx = xstrdup(host);
		return strcmp(host, arg) == 0;
	case COND_OS:
		*ctx = xstrdup(platform_os_name());
		return os_matches(arg);
	}
	config_error(o, "internal: unknown condition");
	return -1;
}

static int
loop_items(long kind, const char *arg, struct origin o, struct items *it)
{
	unsigned long long n;
	glob_t g;
	switch (kind) {
	case LOOP_WORDS: {
		char *copy = xstrdup(arg), *save = NULL;
		for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
			push(it, t);
		free(copy);
		return 0;
	}
	case LOOP_TIMES:
		if (!parse_uint(arg, MAX_LOOP_ITEMS, &n)) {
			config_error(o, "for-times: '%s' is not a number (0-%d)", arg, MAX_LOOP_ITEMS);
			return -1;
		}
		for (unsigned long long i = 1; i <= n; i++) {
			char buf[24];
			snprintf(buf, sizeof(buf), "%llu", i);
			push(it, buf);
		}
		return 0;
	case LOOP_GLOB: {
		int rc = glob(arg, 0, NULL, &g);
		if (rc == 0)
			for (size_t i = 0; i < g.gl_pathc; i++)
				push(it, g.gl_pathv[i]);
		if (rc == 0 || rc == GLOB_NOMATCH) {
			if (rc == 0)
				globfree(&g);
			return 0;
		}
		config_error(o, "for-glob: cannot expand '%s'", arg);
		return -1;
	}
	case LOOP_READLINE: {
		char *text = read_file(arg, NULL);
		if (!text) {
			config_error(o, "for-readline: cannot read '%s': %s", arg, strerror(errno));
			return -1;
		}
		char *cursor = text;
		while (cursor) {
			char *line = strsep(&cursor, "\n");
			size_t len = strlen(line);
			if (len && line[len - 1] == '\r')
				line[len - 1] = '\0';
			if (*line)
				push(it, line);
		}
		free(text);
		return 0;
	}
	}
	config_error(o, "internal: unknown loop");
	return -1;
}

int
logic_evaluate(struct loader *L, const struct option_def *opt, const char *arg,
                   struct origin o, char ***items, size_t *nitems)
{
	long kind = opt->cond & COND_KIND_MASK;
	struct items it = { NULL, 0 };
	if (kind >= LOOP_WORDS) {
		if (loop_items(kind, arg, o, &it) < 0) {
			for (size_t i = 0; i < it.n; i++)
				free(it.v[i]);
			free(it.v);
			return -1;
		}
	} else {
		if (kind != COND_RELOAD && *arg == '\0') {
			config_error(o, "'%s' needs an argument", opt->name);
			return -1;
		}
		char *ctx = NULL;
		int r = condition(L, kind, arg, o, &ctx);
		if (r < 0) {
			free(ctx);
			return -1;
		}
		if (opt->cond & COND_NOT)
			r = !r;
		if (r)
			push(&it, ctx ? ctx : arg);
		free(ctx);
	}
	*items = it.v;
	*nitems = it.n;
	return 0;
}
