/* SPDX-License-Identifier: MIT */
/*
 * The forkpty router's client (--pty-connect / --pty-uconnect): connects to
 * a router socket (unix path, @abstract or ip:port), puts the local
 * terminal in raw mode when stdin is one, and copies stdin to the socket
 * and the socket to stdout. Framed (uwsgi mode): every read of stdin is
 * sent as a data message, and the window size (at start and on SIGWINCH)
 * as rows/cols messages. The terminal is restored on every way out.
 */
#ifndef STOCKADE_PTY_CLIENT_H
#define STOCKADE_PTY_CLIENT_H

#include <stdbool.h>

/*
 * Runs the client until the server closes the connection (returns 0), stdin
 * ends (0), SIGINT/SIGTERM/SIGHUP (128 + the signal), or an error (1, after
 * logging it).
 */
int pty_client_run(const char *addr, bool framed);

#endif
