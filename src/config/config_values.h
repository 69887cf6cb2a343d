/* SPDX-License-Identifier: MIT */
/*
 * Option values read as uWSGI reads them: booleans (anything but
 * false/off/no/0 is true), integers (the leading digits, as strtol/strtoul),
 * and the inline comments uWSGI does not strip. Each reader says whether
 * the value is refused (uWSGI would misread it dangerously) or carries a
 * warning.
 */
#ifndef STOCKADE_CONFIG_VALUES_H
#define STOCKADE_CONFIG_VALUES_H

#include <stdbool.h>

struct value_note {
	char text[256];   /* refusal reason, or warning; empty when neither */
};

/* Where an inline comment seems to start: a '#' or ';' after a blank, or
 * NULL. uWSGI keeps such text in the value. */
const char *value_inline_comment(const char *s);

/* 0: *out set, note->text may hold a warning; -1: refused, note->text says why. */
int value_read_bool(const char *s, bool *out, struct value_note *note);
int value_read_uint(const char *s, unsigned long long max, unsigned long long *out,
                    struct value_note *note);

#endif
