/* SPDX-License-Identifier: MIT */
/*
 * The jail folder's one error line: config_error() for an origin that may
 * be missing (the `jail` option, jail-attach), for the parser and both
 * backends. Not for use outside src/jail.
 */
#ifndef STOCKADE_JAIL_ERROR_H
#define STOCKADE_JAIL_ERROR_H

#include "config/config.h"

/* "file:line: msg", "file: msg" or "msg", as config_error() formats o;
 * o may be NULL. */
void	jail_config_error(const struct origin *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
