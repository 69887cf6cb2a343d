/* SPDX-License-Identifier: MIT */
/* The OS side of the socket files: FreeBSD has no abstract unix namespace: "@name" is refused. */
#include "net/socket_internal.h"

bool
sock_have_abstract(void)
{
	return false;
}
