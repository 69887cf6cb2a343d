/* SPDX-License-Identifier: MIT */
/*
 * Subscriptions from the instance's side (server/subscribe.c): announce
 * this instance to routers' subscription servers.
 */
#ifndef STOCKADE_SERVER_SUBSCRIBE_H
#define STOCKADE_SERVER_SUBSCRIBE_H

#include <stdbool.h>

#include <stddef.h>

/* Parses subscribe-to/subscribe2 and opens one datagram socket per server,
 * before the jail (so that a jailed instance reaches the host's router);
 * their fds are appended to keep[*nkeep] (may be NULL). 0 or -1 after a
 * file:line error. */
int	subscribe_prepare(int *keep, size_t *nkeep);
/* How many fds subscribe_prepare() may append. */
size_t	subscribe_count(void);
/* First announce, then one every subscribe-freq seconds. */
void	subscribe_start(void);
/* Withdraws the announces (on a reload only with
 * unsubscribe-on-graceful-reload). */
void	subscribe_stop(bool reload);

#endif
