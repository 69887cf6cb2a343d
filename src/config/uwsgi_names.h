/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's option namespace: every option name uWSGI 2.0 knows, by plugin
 * (uwsgi_names.c, generated), and what Stockade does with the ones its own
 * option table does not implement (uwsgi_compat.c).
 */
#ifndef STOCKADE_UWSGI_NAMES_H
#define STOCKADE_UWSGI_NAMES_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* One plugin ("core" for uWSGI's core) and its option names, space separated. */
struct uwsgi_plugin_names {
	const char *plugin;
	const char *names;
};

extern const struct uwsgi_plugin_names uwsgi_plugin_names[];
extern const size_t uwsgi_plugin_names_count;

/* The plugin that defines uWSGI option NAME ("core", "python", "gevent"...), or NULL. */
const char *uwsgi_option_plugin(const char *name);
/* "uWSGI core" or "uWSGI <plugin> plugin" for NAME's plugin into SB. */
void uwsgi_option_origin(struct strbuf *sb, const char *plugin);
/*
 * A config key Stockade's option table does not know: if it is a uWSGI
 * option, print "option 'K' (uWSGI P plugin) is not supported by Stockade"
 * at O and return -1; 0 when it is not a uWSGI option (a placeholder).
 */
int uwsgi_refuse_option(struct origin o, const char *key);
/* A plugins/plugin value: 0 when every named plugin is built in, else -1 (printed). */
int uwsgi_plugins_check(struct origin o, const char *value);

#endif
