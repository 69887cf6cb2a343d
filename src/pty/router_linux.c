/* SPDX-License-Identifier: MIT */
/* The forkpty router's OS side: forkpty(3) from <pty.h>. */
#include "pty/router_os.h"

#include <stddef.h>
#include <pty.h>

pid_t
router_forkpty(int *master, struct winsize *ws)
{
	return forkpty(master, NULL, NULL, ws);
}
