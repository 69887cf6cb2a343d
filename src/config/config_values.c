/* SPDX-License-Identifier: MIT */
/*
 * Option values read as uWSGI reads them (core/uwsgi.c uwsgi_opt_true,
 * uwsgi_opt_set_int/_64bit): what uWSGI accepts is accepted, what is
 * likely a mistake is accepted with a warning, and only what uWSGI would
 * misread dangerously is refused (docs/migration.md lists which).
 */
#include "config/config_values.h"
#include "config/options.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *
value_inline_comment(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((*p == '#' || *p == ';') && p > s && (p[-1] == ' ' || p[-1] == '\t'))
			return p;
	return NULL;
}

static void
note_set(struct value_note *note, const char *fmt, const char *s, const char *tail)
{
	/* values are quoted shortened: the note is one log line */
	snprintf(note->text, sizeof(note->text), fmt, s, tail);
}

int
value_read_bool(const char *s, bool *out, struct value_note *note)
{
	static const char *const falses[] = { "false", "off", "no", "0" };

	note->text[0] = '\0';
	if (parse_bool(s, out))
		return 0;
	/*
	 * uWSGI takes every value but false/off/no/0 as true, so "false ; no
	 * master" turns the option ON: the opposite of what the line says.
	 */
	for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++) {
		size_t n = strlen(falses[i]);
		if (strncasecmp(s, falses[i], n) == 0 && !isalnum((unsigned char)s[n]) &&
		    s[n] != '_' && s[n] != '-') {
			note_set(note, "'%.60s' starts with '%s' but uWSGI reads it as true "
			    "(uWSGI has no inline comments): remove the text after it", s, falses[i]);
			return -1;
		}
	}
	*out = true;
	if (value_inline_comment(s))
		note_set(note, "'%.60s' carries an inline comment (uWSGI has none): read as true%s",
		    s, "");
	else
		note_set(note, "'%.60s' is not a boolean word: read as true, as uWSGI does%s", s, "");
	return 0;
}

int
value_read_uint(const char *s, unsigned long long max, unsigned long long *out,
                struct value_note *note)
{
	const char *p = s;
	unsigned long long v = 0;
	char num[32];

	note->text[0] = '\0';
	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p)) {
		/* uWSGI reads 0 here: harakiri, limit-post... silently off */
		note_set(note, "'%.60s' is not a non-negative integer%s", s,
		    *s == '-' ? "" : " (uWSGI would read 0, which turns a limit off and leaves processes no worker)");
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10) {
			note_set(note, "'%.60s' is not a non-negative integer%s", s, " (too large)");
			return -1;
		}
		v = v * 10 + d;
	}
	if (*p == '\0') {
		*out = v;
		return 0;
	}
	if (isalpha((unsigned char)*p) || *p == '.' || *p == ',') {
		/* 64k, 10M, 1.5, 1,000: uWSGI keeps the leading digits, a
		 * value 1000 times off */
		note_set(note, "'%.60s': uWSGI would read only its leading digits%s", s,
		    " (64k as 64): write the whole number, no unit or decimals");
		return -1;
	}
	*out = v;
	snprintf(num, sizeof(num), "%llu", v);
	if (value_inline_comment(s))
		note_set(note, "'%.60s' carries an inline comment (uWSGI has none): read as %s", s, num);
	else
		note_set(note, "'%.60s' has trailing text: read as %s, as uWSGI does", s, num);
	return 0;
}
