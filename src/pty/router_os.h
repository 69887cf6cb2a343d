/* SPDX-License-Identifier: MIT */
/*
 * What the forkpty router needs that Linux and FreeBSD declare in
 * different headers (<pty.h> vs <libutil.h>): router_linux.c and
 * router_freebsd.c, picked by the Makefile.
 */
#ifndef STOCKADE_PTY_ROUTER_OS_H
#define STOCKADE_PTY_ROUTER_OS_H

#include <sys/types.h>
#include <sys/ioctl.h>
#include <termios.h>

/*
 * forkpty(3) with the window size ws and default terminal settings: the
 * child's pid (0 in the child, on the slave side as its controlling
 * terminal), the master side in *master; -1 with errno.
 */
pid_t	router_forkpty(int *master, struct winsize *ws);

#endif
