/* SPDX-License-Identifier: MIT */
/*
 * reload-on-exception (uWSGI core/exceptions.c, uwsgi_manage_exception):
 * when the app raises -- from its call or while its response is iterated
 * -- the exception is logged and the worker exits at once with status 5
 * (UWSGI_EXCEPTION_CODE), so the request gets no further answer and the
 * master spawns a fresh worker. Threads of the worker go with it, as in
 * uWSGI.
 */
#include "python/reload_on_exception.h"
#include "base/log.h"

#include <stdlib.h>
#include <unistd.h>

#define EXCEPTION_EXIT_CODE 5

static bool reload_on_exception;

void
wsgi_set_reload_on_exception(bool on)
{
	reload_on_exception = on;
}

void
wsgi_exception_reload(void)
{
	if (!reload_on_exception)
		return;
	log_msg("reload-on-exception: the app raised, process %d exits", (int)getpid());
	exit(EXCEPTION_EXIT_CODE);
}
