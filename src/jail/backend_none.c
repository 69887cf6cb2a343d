/* SPDX-License-Identifier: MIT */
/* Systems without a jail backend: the OS backend (linux.c, freebsd.c)
 * overrides this weak definition. */
#include "jail/jail.h"

#include <stddef.h>

__attribute__((weak)) const struct jail_backend *jail_backend(void)
{
	return NULL;
}
