/* SPDX-License-Identifier: MIT */
/*
 * reaper (uWSGI core/utils.c, uwsgi_close_request): after each request the
 * worker collects any child process of its own that has exited, so that an
 * app forking helpers without waiting for them leaves no zombies. As in
 * uWSGI this also collects children the app meant to wait for itself.
 */
#include "server/reaper.h"

#include <sys/types.h>
#include <sys/wait.h>

void
worker_reap_children(void)
{
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}
