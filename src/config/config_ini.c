/* SPDX-License-Identifier: MIT */
/* ini files: uWSGI's dialect. Whole-line ; and # comments, no inline
 * comments, key = value split at the first '=', a bare key means true. */
#include "config/config.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* "file.ini:section" → path and section (section NULL when absent). The
 * colon only counts after the last '/', so paths with colons in a directory
 * name still work. */
void
config_split_spec(const char *spec, char **path, char **section)
{
	const char *colon = strrchr(spec, ':');
	const char *slash = strrchr(spec, '/');
	if (colon && (!slash || colon > slash)) {
		*path = xstrndup(spec, (size_t)(colon - spec));
		*section = xstrdup(colon + 1);
	} else {
		*path = xstrdup(spec);
		*section = NULL;
	}
}

/* The source of `emperor://` texts, registered by the vassal side of the
 * Emperor protocol (server/vassal_config.c): the base of the configuration
 * never depends on the Emperor. */
static config_remote_fetch_fn *remote_fetch;

void
config_set_remote_fetch(config_remote_fetch_fn *fn)
{
	remote_fetch = fn;
}

/* Reads a config file for a loader: include-depth guard, the whole text,
 * magic variables applied. NULL after a one-line error. */
char *
config_read_text(struct loader *L, const char *spec, const char *path, const char *section,
                       const char *kind, struct origin from)
{
	if (L->depth >= 32) {
		config_error(from, "'%s': includes nested too deeply (include loop?)", spec);
		return NULL;
	}
	size_t len;
	char *raw;
	if (strncmp(path, "emperor://", 10) == 0) {
		/* a pg:// vassal: the text comes from the Emperor (errors then
		 * name emperor://<name>:<line>) */
		char err[256] = "no Emperor to ask (not a vassal)";
		raw = remote_fetch ? remote_fetch(&len, err, sizeof(err)) : NULL;
		if (!raw) {
			config_error(from, "cannot read %s config '%s': %s", kind, path, err);
			return NULL;
		}
	} else if (!(raw = read_file(path, &len))) {
		config_error(from, "cannot read %s file '%s': %s", kind, path, strerror(errno));
		return NULL;
	}
	if (!L->first_file)
		L->first_file = xstrdup(path);
	char *text = magic_expand(raw, len, path, section, L->first_file);
	free(raw);
	return text;
}

static bool
section_wanted(const char *name, const char *section)
{
	if (section)
		return strcmp(name, section) == 0;
	return strcmp(name, "uwsgi") == 0 || strcmp(name, "stockade") == 0;
}

static int
parse_ini_text(struct loader *L, char *text, const char *file, const char *section,
                          bool no_expand, bool *found)
{
	struct feed_ctx *fc = feed_begin(L);
	bool in_section = false;
	int lineno = 0, rc = 0;
	/* strsep keeps empty lines so line numbers stay right */
	char *cursor = text;
	while (rc == 0 && cursor) {
		char *line = strsep(&cursor, "\n");
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *close = strrchr(s, ']');
			if (!close || close[1] != '\0') {
				config_error((struct origin){ file, lineno }, "malformed section header '%s'", s);
				rc = -1;
				break;
			}
			*close = '\0';
			in_section = section_wanted(trim(s + 1), section);
			if (in_section)
				*found = true;
			continue;
		}
		if (!in_section)
			continue;
		char *eq = strchr(s, '=');
		char *key = s, *value = (char *)"";
		if (eq) {
			*eq = '\0';
			value = trim(eq + 1);
			key = trim(s);
		}
		if (*key == '\0') {
			config_error((struct origin){ file, lineno }, "line has no key");
			rc = -1;
			break;
		}
		rc = feed(fc, key, value, (struct origin){ file, lineno }, no_expand);
	}
	return feed_finish(fc, rc);
}

int
config_load_ini(struct loader *L, const char *spec, struct origin from, bool no_expand)
{
	char *path, *section;
	int rc = -1;
	if (spec[0] == ':') {
		if (!L->last_ini) {
			config_error(from, "'%s': no ini file was loaded before", spec);
			return -1;
		}
		path = xstrdup(L->last_ini);
		section = xstrdup(spec + 1);
	} else {
		config_split_spec(spec, &path, &section);
	}
	char *text = config_read_text(L, spec, path, section, "ini", from);
	if (!text)
		goto out;
	free(L->last_ini);
	L->last_ini = xstrdup(path);
	bool found = false;
	L->depth++;
	rc = parse_ini_text(L, text, intern(path), section, no_expand, &found);
	L->depth--;
	free(text);
	if (rc == 0 && !found)
		log_msg("%s: warning: no [%s] section found", path, section ? section : "uwsgi");
out:
	free(path);
	free(section);
	return rc;
}
