/* SPDX-License-Identifier: MIT */
/*
 * The master's side of the HTTP router (server/http_router.c): binding its
 * sockets on the host and registering its processes with server/aux.h.
 */
#ifndef STOCKADE_SERVER_HTTP_ROUTER_H
#define STOCKADE_SERVER_HTTP_ROUTER_H

#include <stddef.h>

#include "config/config.h"

/* How many `http =` sockets the configuration asks for. */
size_t	http_router_count(const struct config *cfg);
/* Binds them into master.router_fds (inherited on a reload); checks the
 * router options. 0, or -1 after logging. */
int	http_router_bind(void);
/* One auxiliary process per http-processes (none without `http =`). */
void	http_router_register(void);
/* The fastrouter's fds, for the jail's keep list: appended to keep,
 * at most http_router_nkeep() of them; returns how many. */
size_t	http_router_keep(int *keep);
size_t	http_router_nkeep(void);

#endif
