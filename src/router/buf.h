/* SPDX-License-Identifier: MIT */
/*
 * The router's byte buffers, one per direction of a session: pending bytes
 * are p[off..len); the front is reclaimed lazily (buf_room).
 */
#ifndef STOCKADE_ROUTER_BUF_H
#define STOCKADE_ROUTER_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t off, len, cap;           /* pending bytes are p[off..len) */
};

void buf_free(struct buf *b);
size_t buf_pending(const struct buf *b);
/* Room at the end of b, after moving pending bytes to the front when that
 * frees at least half of it; 0 for a buffer not allocated. */
size_t buf_room(struct buf *b);

#endif
