/* SPDX-License-Identifier: MIT */
/*
 * The forkpty router (uWSGI's forkptyrouter gateway): every connection to
 * one of its sockets gets a new pseudo-terminal with forkptyrouter-command
 * (default /bin/sh) running on it, with the instance's identity: inside its
 * jail, as its user. Raw sockets (forkpty-router) pipe bytes both ways;
 * framed ones (forkpty-urouter) take uwsgi-framed messages from the client
 * (data, rows, cols, signals: pty/frame.h) and send raw output back.
 *
 * Lifecycle: the master binds the sockets on the host (pty_router_bind,
 * before the jail and the privilege drop), then forks the router process
 * after the drop (pty_router_spawn) and supervises it like a worker. The
 * router exits 0 on SIGTERM, SIGINT or SIGHUP, hanging up every session.
 */
#ifndef STOCKADE_PTY_ROUTER_H
#define STOCKADE_PTY_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

/* How many router sockets the configuration asks for (raw ones first). */
size_t pty_router_count(const struct config *cfg);

/* The configured address of socket i (0 <= i < pty_router_count), e.g. to
 * name it in a reload hand-over; whether it is framed. */
const char *pty_router_addr(const struct config *cfg, size_t i, bool *framed);

/*
 * Binds every router socket: fds has pty_router_count(cfg) slots. A slot
 * that is already >= 0 (a socket inherited across a reload) is kept as is;
 * the others must be -1 and get a new non-blocking close-on-exec listening
 * socket. chmod-socket and chown-socket are applied to unix paths. Also
 * checks forkptyrouter-rows/-cols. Logs each socket; returns 0, or -1 after
 * logging why (slots bound so far stay open: the caller exits anyway).
 */
int pty_router_bind(const struct config *cfg, int *fds);

/*
 * Forks the router process; the caller keeps its copies of fds (it needs
 * them to respawn the router or to hand them over on a reload). The child
 * dies with its parent (parent-death signal). Returns the child's pid, or
 * -1 after logging (fork failed). Call with the privileges the shells are
 * to have: the router never changes uid, root or jail.
 */
pid_t pty_router_spawn(const struct config *cfg, const int *fds);

#endif
