/* SPDX-License-Identifier: MIT */
/*
 * Subscriptions from the instance's side (server/subscribe.c): announce
 * this instance to routers' subscription servers.
 */
#ifndef STOCKADE_SERVER_SUBSCRIBE_H
#define STOCKADE_SERVER_SUBSCRIBE_H

#include <stdbool.h>

/* Parses subscribe-to/subscribe2 (after the sockets are bound); 0 or -1
 * after a file:line error. */
int	subscribe_setup(void);
/* First announce, then one every subscribe-freq seconds. */
void	subscribe_start(void);
/* Withdraws the announces (on a reload only with
 * unsubscribe-on-graceful-reload). */
void	subscribe_stop(bool reload);

#endif
