/* SPDX-License-Identifier: MIT */
/*
 * The option table: the single list of every option Stockade knows.
 * The CLI parser, the ini/JSON loaders, --help, --show-config and the
 * generated reference all read it; later subsystems only add rows.
 */
#ifndef STOCKADE_OPTIONS_H
#define STOCKADE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum opt_arg {
	ARG_NONE,      /* a flag: --master, "master =" or "master = true" */
	ARG_REQUIRED,  /* --socket ADDR */
	ARG_OPTIONAL,  /* --exit[=CODE] */
};

enum opt_type {
	T_STRING,      /* last value wins */
	T_LIST,        /* repeatable: every value is kept, in order */
	T_BOOL,        /* false/off/no/0 are false, anything else true (config_values.c) */
	T_UINT,        /* non-negative integer: its leading digits (config_values.c) */
};

enum opt_flags {
	OPT_IMMEDIATE = 1 << 0,  /* runs while being read (ini, include, set, logic...) */
	OPT_LOGIC     = 1 << 1,  /* config logic: if-*, for*, else, end* */
	OPT_OPENER    = 1 << 2,  /* logic block opener */
	OPT_CLOSER    = 1 << 3,  /* logic block closer (endif, endfor, end) */
	OPT_ELSE      = 1 << 4,
	OPT_ACTION    = 1 << 6,  /* a command (--help, --version, --show-config) */
	OPT_ALREADY_SO = 1 << 7, /* a uWSGI option Stockade already obeys: accepted, no effect; help says why */
	OPT_PLUGINS   = 1 << 8,  /* plugins/plugin: each name must be built in (uwsgi_plugins_check) */
	OPT_KEYED     = 1 << 9,  /* issue 21: T_LIST stored as "NAME VALUE" (options sharing one list keep their order) */
};

struct loader;
struct config_entry;

/* Called for immediate options while the config is read; 0 or -1 (error already printed). */
typedef int (*opt_immediate_fn)(struct loader *L, const struct config_entry *e);

struct option_def {
	const char *name;
	const char *aliases;     /* space separated, or NULL */
	char short_opt;          /* 0 = none */
	enum opt_arg arg;
	enum opt_type type;
	unsigned flags;
	const char *group;
	const char *help;
	opt_immediate_fn immediate;
	size_t field;            /* offsetof(struct config, ...) or NO_FIELD */
	long cond;               /* argument for logic handlers (condition kind) */
};

#define NO_FIELD ((size_t)-1)

extern const struct option_def option_table[];
extern const size_t option_count;

const struct option_def *option_find(const char *name);
const struct option_def *option_find_short(char c);
/* Closest option name within a small edit distance (OSA), or NULL. */
const char *option_suggest(const char *name);
/* Strict boolean parse; false if the text is not a boolean. */
bool parse_bool(const char *s, bool *out);

#endif
