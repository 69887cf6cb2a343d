/* SPDX-License-Identifier: MIT */
/* Immediate-option handlers referenced by the option table (config*.c). */
#ifndef STOCKADE_CONFIG_HANDLERS_H
#define STOCKADE_CONFIG_HANDLERS_H

#include "config/options.h"

/* Logic kinds, stored in option_def.cond. */
enum {
	COND_EXISTS = 1,
	COND_FILE,
	COND_DIR,
	COND_ENV,
	COND_OPT,
	COND_RELOAD,
	COND_HOSTNAME,
	COND_OS,
	LOOP_WORDS,
	LOOP_GLOB,
	LOOP_TIMES,
	LOOP_READLINE,
	COND_KIND_MASK = 0xff,
	COND_NOT = 0x100,
};

int h_ini(struct loader *L, const struct config_entry *e);
int h_json(struct loader *L, const struct config_entry *e);
int h_include(struct loader *L, const struct config_entry *e);
int h_inherit(struct loader *L, const struct config_entry *e);
int h_set(struct loader *L, const struct config_entry *e);
int h_set_placeholder(struct loader *L, const struct config_entry *e);
int h_strict(struct loader *L, const struct config_entry *e);
int h_print(struct loader *L, const struct config_entry *e);
int h_exit(struct loader *L, const struct config_entry *e);
int h_logic(struct loader *L, const struct config_entry *e);  /* never called: feed() handles logic */

/* Logic evaluation (config_logic.c). For conditions: *items = one context
 * string (or none when false); for loops: one per iteration. */
int logic_evaluate(struct loader *L, const struct option_def *opt, const char *arg,
                   struct origin o, char ***items, size_t *nitems);

#endif
