/* SPDX-License-Identifier: MIT */
/* post-buffering: the request body read whole before the app runs. */
#ifndef STOCKADE_SERVER_POST_BUFFER_H
#define STOCKADE_SERVER_POST_BUFFER_H

#include "proto/request.h"

struct conn;

/* Reads the request's body whole when post-buffering is set (memory below
 * the limit, an unlinked temp file from it) and points io->read_body at
 * it. 0 (also when there is nothing to buffer), or -1: the request failed
 * (body error, peer gone, no temp file), logged. */
int	post_buffer_fill(struct conn *c, struct request_io *io);
/* Frees what the last fill kept (after the app). */
void	post_buffer_release(void);

#endif
