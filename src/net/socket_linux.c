/* SPDX-License-Identifier: MIT */
/* The OS side of the socket files: Linux has the abstract unix namespace. */
#include "net/socket_internal.h"

bool
sock_have_abstract(void)
{
	return true;
}
