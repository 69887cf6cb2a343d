/* SPDX-License-Identifier: MIT */
/*
 * disable-write-exception (uWSGI's python plugin, py_uwsgi_write): the
 * write() callable of start_response returns None when the client is gone
 * instead of raising OSError.
 */
#include "python/wsgi.h"

static bool write_exception_disabled;

void
wsgi_set_disable_write_exception(bool on)
{
	write_exception_disabled = on;
}

bool
wsgi_write_exception_disabled(void)
{
	return write_exception_disabled;
}
