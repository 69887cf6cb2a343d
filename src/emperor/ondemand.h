/* SPDX-License-Identifier: MIT */
/* On-demand vassals: the Emperor holds their sockets until a connection (ondemand.c). */
#ifndef STOCKADE_EMPEROR_ONDEMAND_H
#define STOCKADE_EMPEROR_ONDEMAND_H

#include <stdbool.h>

struct config;
struct vassal;

/* One of emperor-on-demand-directory / -extension / -exec is set. */
bool ondemand_enabled(const struct config *cfg);

/* The socket address of a vassal (name as in the table, path of its file or
 * NULL for a pg row), as uWSGI derives it: <dir>/<name without its last
 * extension>.socket, the first line of <path><ext>, or the first line the
 * exec command prints. NULL: not an on-demand vassal. Caller frees. */
char *ondemand_socket_name(const struct config *cfg, const char *name, const char *path);

/* Binds the vassal's socket (once) and watches it: state V_ONDEMAND, 0.
 * 1 when the vassal has no on-demand socket (spawn it as usual); -1 after
 * a logged error (state V_IDLE: retried when its file changes). */
int ondemand_arm(struct vassal *v);

/* Closes the held socket (and removes its file): the vassal is forgotten. */
void ondemand_release(struct vassal *v);

#endif
