/* SPDX-License-Identifier: MIT */
/*
 * Static files served by the worker before the app is called, as uWSGI's
 * static-map does: `static-map = /mountpoint=/dir` (repeatable, tried in
 * order; a miss falls through to the next map, then to the app),
 * `static-map2` (the whole PATH_INFO is appended to the directory),
 * static-index, static-skip-ext, static-safe, static-expires-uri,
 * static-expires, static-expires-path-info. Files leave by sendfile through
 * the same request_io send_file path as wsgi.file_wrapper.
 */
#ifndef STOCKADE_STATIC_FILES_H
#define STOCKADE_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "proto/request.h"

struct config;

/* Returned by static_serve() when the request is not for a static file. */
#define STATIC_PASS 1

/* Resolves the mapped directories (realpath, after chroot/chdir/jail),
 * compiles the expires regexes and reads the MIME table. Errors name the
 * option's file:line. 0 or -1. */
int static_init(const struct config *cfg);
/* True when at least one static-map/static-map2 is configured. */
bool static_enabled(void);
/* Serves the request from a mapped directory: 0 (response handed to io),
 * -1 (connection broken), or STATIC_PASS (call the app). */
int static_serve(const struct kv *vars, size_t nvars, struct request_io *io);
void static_free(void);

/* ---- pure helpers (unit-tested, fuzzed) ---- */

/* Lexically normalises a decoded URL path into out: collapses '//', drops
 * '.', resolves '..' and always starts with '/'. -1 when a '..' would climb
 * above the root, the path holds a NUL, or out (cap bytes) is too small. */
int static_normalize(const char *in, size_t len, char *out, size_t cap);
/* True when path is root itself or lies under it (component boundary). */
bool static_path_within(const char *root, const char *path);
/* MIME type for a file name by extension, or NULL. */
const char *static_mime_type(const char *filename);
/* Parses "REGEX SECONDS" (the last space separates): the regex part is
 * copied to re (cap bytes). 0 or -1. */
int static_parse_expires(const char *spec, char *re, size_t cap, unsigned long *seconds);
/* RFC 7231 IMF-fixdate (29 characters). */
#define STATIC_DATE_MAX 64
void static_http_date(time_t t, char out[STATIC_DATE_MAX]);
/* Parses an IMF-fixdate; -1 when it is not one. */
time_t static_parse_http_date(const char *s, size_t len);

#endif
