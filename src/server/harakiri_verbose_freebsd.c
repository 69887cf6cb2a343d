/* SPDX-License-Identifier: MIT */
/* harakiri-verbose on FreeBSD: uWSGI reports nothing more there either
 * (it reads Linux's /proc/<pid>/syscall and wchan only). */
#include "server/process_options.h"

void
harakiri_verbose(pid_t pid)
{
	(void)pid;
}
