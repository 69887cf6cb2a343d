/* SPDX-License-Identifier: MIT */
/* The router's byte buffers (see buf.h). */
#include "router/buf.h"

#include <stdlib.h>
#include <string.h>

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

size_t
buf_pending(const struct buf *b)
{
	return b->len - b->off;
}

size_t
buf_room(struct buf *b)
{
	if (!b->p)
		return 0;
	if (b->off == b->len) {
		b->off = b->len = 0;
	} else if (b->off > 0 && b->cap - b->len < b->cap / 2) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	return b->cap - b->len;
}
