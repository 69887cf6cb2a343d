/* SPDX-License-Identifier: MIT */
/*
 * The server's side of the `uwsgi` Python module (issue 22), for the
 * server folder: see uwsgi_api.c.
 */
#ifndef STOCKADE_SERVER_UWSGI_API_H
#define STOCKADE_SERVER_UWSGI_API_H

#include "python/wsgi.h"

/* In the master, after the scoreboard and before the app is loaded or a
 * worker forked: the shared user locks. 0, or -1 after logging why. */
int	uwsgi_api_setup(void);

/* What load_app() hands to wsgi_init(): NULL before uwsgi_api_setup(). */
const struct wsgi_hooks	*uwsgi_api_hooks(void);

/* In a new worker, before the app's post-fork hook runs: its id. */
void	uwsgi_api_worker(int id);

#endif
