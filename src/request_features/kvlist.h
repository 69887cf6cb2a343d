/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's key=value lists (attach-daemon2, cron2): items separated by ',',
 * a backslash escapes the next character.
 */
#ifndef STOCKADE_REQUEST_FEATURES_KVLIST_H
#define STOCKADE_REQUEST_FEATURES_KVLIST_H

#include <stddef.h>

struct kvitem {
	char *key;
	char *value;    /* NULL: the item had no '=' */
};

/* Splits s (modified in place) into at most max items; the count, or -1
 * when there are more. */
int	kvlist_split(char *s, struct kvitem *items, size_t max);

/* A signal given as a number or a name (TERM, SIGTERM); -1 when unknown. */
int	signal_parse(const char *s);

#endif
