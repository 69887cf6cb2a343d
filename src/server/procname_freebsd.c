/* SPDX-License-Identifier: MIT */
/* FreeBSD process names: setproctitle(3) ("-" leaves out the program name). */
#include "server/process_options.h"

#include <sys/types.h>
#include <unistd.h>

void
procname_os_init(char **argv)
{
	(void)argv;
}

void
procname_os_set(const char *name)
{
	setproctitle("-%s", name);
}
