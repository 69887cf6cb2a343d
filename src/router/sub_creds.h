/* SPDX-License-Identifier: MIT */
/*
 * subscriptions-use-credentials: the uid of the process that sent each
 * datagram to a unix subscription server, from the kernel (Linux
 * SO_PASSCRED / SCM_CREDENTIALS, as uWSGI; FreeBSD: not supported, as in
 * uWSGI). subscriptions-sign-skip-uid trusts the uids it lists.
 */
#ifndef STOCKADE_ROUTER_SUB_CREDS_H
#define STOCKADE_ROUTER_SUB_CREDS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Asks the kernel to attach the sender's credentials to each datagram on
 * fd. 0, or -1 with errno (ENOTSUP where the OS cannot). */
int sub_creds_enable(int fd);

/* recvfrom() that also returns the sender's uid (-1 when the datagram
 * carries none: a udp socket). */
ssize_t sub_creds_recv(int fd, void *buf, size_t len, struct sockaddr_storage *ss, socklen_t *sl, long long *uid);

#endif
