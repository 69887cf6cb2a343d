/* SPDX-License-Identifier: MIT */
/*
 * What the socket files share: sockaddr_un sizes, the quoting of untrusted
 * text for error messages, and the one OS difference (abstract names).
 */
#ifndef STOCKADE_NET_SOCKET_INTERNAL_H
#define STOCKADE_NET_SOCKET_INTERNAL_H

#include "net/socket.h"

#include <stdbool.h>
#include <stddef.h>

#define SUN_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)
#define SUN_OFFSET	offsetof(struct sockaddr_un, sun_path)

/*
 * Quotes untrusted text (n bytes of s) for a one-line message into buf:
 * escapes quotes, backslashes and control bytes, and shortens it, so a
 * config value cannot forge lines. Returns buf.
 */
const char	*sock_quote(const char *s, size_t n, char *buf, size_t len);

/* Does the kernel have the abstract unix namespace ("@name")? socket_<os>.c */
bool		 sock_have_abstract(void);

#endif
