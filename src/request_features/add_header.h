/* SPDX-License-Identifier: MIT */
/* add-header: headers appended to every app and static-file response. */
#ifndef STOCKADE_REQUEST_FEATURES_ADD_HEADER_H
#define STOCKADE_REQUEST_FEATURES_ADD_HEADER_H

#include "proto/request.h"

#include <stddef.h>

struct config;

/* Checks and keeps the add-header lines; -1 (logged with file:line) on a
 * line that is not "Name: value". */
int	add_header_init(const struct config *cfg);
/* headers followed by the add-header ones, in space (cap entries) when
 * there are any; *nout is the count. */
const struct kv *add_header_merge(const struct kv *headers, size_t n, size_t *nout, struct kv *space, size_t cap);

#endif
