/* SPDX-License-Identifier: MIT */
/* map-socket: which workers accept on which listening socket (uWSGI's). */
#ifndef STOCKADE_SERVER_MAP_SOCKET_H
#define STOCKADE_SERVER_MAP_SOCKET_H

#include "server/conn.h"

#include <stddef.h>

struct config;

/* Checks every map-socket line ("SOCKET:WORKER[,WORKER...]", workers in
 * 1..processes); -1 with a one-line error naming file:line. */
int	map_socket_check(const struct config *cfg);
/* In worker ID: the sockets this worker keeps (*nout of them; ls itself
 * without map-socket lines). The others are closed: their fd numbers then
 * point at /dev/null, as in uWSGI, so nothing else takes them. */
struct listener *map_socket_apply(const struct config *cfg, int id, struct listener *ls, size_t nls,
				  size_t *nout);

#endif
