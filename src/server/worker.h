/* SPDX-License-Identifier: MIT */
#ifndef STOCKADE_WORKER_H
#define STOCKADE_WORKER_H

#include "server/conn.h"

/* Serves until told to stop; returns the process exit status. */
int worker_run(struct worker_ctx *w, struct listener *ls, size_t nls);

#endif
