/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's spooler task files: one uwsgi packet (modifier1 17, a vars block
 * of [u16le keylen][key][u16le vallen][value] records, at most 65535 bytes)
 * followed by an optional body (the task's "body" value, any size).
 *
 * Pure functions: no I/O, no allocation in the parser.
 */
#ifndef STOCKADE_PROTO_SPOOL_H
#define STOCKADE_PROTO_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MODIFIER1 17
#define SPOOL_MAX_VARS_SIZE 0xffff

/* Called for each key/value of a task, in file order; nonzero stops the
 * parse (spool_parse then returns -1). */
typedef int spool_var_fn(void *arg, const char *key, size_t klen, const char *val, size_t vlen);

/*
 * Parses a whole task file buf[0..len): calls fn for each var (fn may be
 * NULL to only validate), sets *body / *body_len to the bytes after the
 * packet (*body_len 0 when none). 0, or -1 with *error set to a literal
 * ("short header", "not a spooler packet", "truncated vars", "empty key").
 */
int	spool_parse(const char *buf, size_t len, spool_var_fn *fn, void *arg,
		    const char **body, size_t *body_len, const char **error);

/* Appends one var to a vars block being built in out[0..*used) of size
 * cap (the 4-byte header is written by spool_header). 0, or -1 when the
 * key or value is over 65535 bytes or the block would be. */
int	spool_add_var(char *out, size_t cap, size_t *used, const char *key, size_t klen,
		      const char *val, size_t vlen);

/* The 4-byte header for a vars block of vars_len bytes (<= 65535). */
void	spool_header(char out[4], size_t vars_len);

#endif
