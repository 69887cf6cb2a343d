/* SPDX-License-Identifier: MIT */
/*
 * What Stockade does with a uWSGI option its option table does not
 * implement: it refuses to start, naming the plugin, so that no uWSGI option
 * is ever silently ignored; and which plugins a `plugins` line may name.
 */
#include "config/uwsgi_names.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* True when the space-separated LIST holds NAME as a whole word. */
static bool
word_in(const char *list, const char *name, size_t n)
{
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

const char *
uwsgi_option_plugin(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || strchr(name, ' '))
		return NULL;
	for (size_t i = 0; i < uwsgi_plugin_names_count; i++)
		if (word_in(uwsgi_plugin_names[i].names, name, n))
			return uwsgi_plugin_names[i].plugin;
	return NULL;
}

void
uwsgi_option_origin(struct strbuf *sb, const char *plugin)
{
	if (strcmp(plugin, "core") == 0)
		sb_adds(sb, "uWSGI core");
	else
		sb_addf(sb, "uWSGI %s plugin", plugin);
}

int
uwsgi_refuse_option(struct origin o, const char *key)
{
	const char *plugin = uwsgi_option_plugin(key);
	struct strbuf sb;

	if (!plugin)
		return 0;
	sb_init(&sb);
	uwsgi_option_origin(&sb, plugin);
	config_error(o, "option '%s' (%s) is not supported by Stockade", key, sb.buf);
	sb_free(&sb);
	return -1;
}

/*
 * Plugins whose features Stockade has built in. http and router_* are
 * reached only through options (http, http-*, route-*) that are checked
 * one by one, so loading them never hides an ignored feature.
 */
#define BUILT_IN "python, python3, python3XX, logfile, forkptyrouter, corerouter, http, router_*"

static bool
built_in(const char *p)
{
	static const char *const names[] = {
		"python", "python3", "logfile", "forkptyrouter", "corerouter", "http",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(p, names[i]) == 0)
			return true;
	if (strncmp(p, "python3", 7) == 0 && p[7] != '\0' && strspn(p + 7, "0123456789") == strlen(p + 7))
		return true;
	return strncmp(p, "router_", 7) == 0 && p[7] != '\0';
}

/* "0:python3", "/usr/lib/uwsgi/plugins/python3_plugin.so" -> "python3" (in place). */
static char *
plugin_base(char *p)
{
	char *s;
	size_t n;

	if ((s = strchr(p, ':')) != NULL && s > p && strspn(p, "0123456789") == (size_t)(s - p))
		p = s + 1;
	if ((s = strrchr(p, '/')) != NULL)
		p = s + 1;
	n = strlen(p);
	if (n > 10 && strcmp(p + n - 10, "_plugin.so") == 0)
		p[n - 10] = '\0';
	else if (n > 3 && strcmp(p + n - 3, ".so") == 0)
		p[n - 3] = '\0';
	return p;
}

int
uwsgi_plugins_check(struct origin o, const char *value)
{
	char *copy = xstrdup(value), *save = NULL;
	int rc = 0;

	for (char *t = strtok_r(copy, ", \t", &save); t && rc == 0; t = strtok_r(NULL, ", \t", &save)) {
		char *p = plugin_base(t);
		if (*p && !built_in(p)) {
			config_error(o, "plugin '%s' is not supported by Stockade (built in: " BUILT_IN ")", p);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}
