/* SPDX-License-Identifier: MIT */
/*
 * disable-write-exception (uWSGI's python plugin, py_uwsgi_write): the
 * write() callable of start_response returns None when the client is gone
 * instead of raising OSError.
 *
 * write-errors-tolerance (uWSGI's uwsgi_py_check_write_errors): a request
 * fails once its write errors exceed the tolerance. uWSGI counts only the
 * first failed write of a request (later writes return at once, uncounted),
 * so any tolerance of 1 or more means: the app is iterated to its end and
 * write() returns None, every send after the failure being dropped.
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

static unsigned long long write_errors_tolerance;

void
wsgi_set_write_errors_tolerance(unsigned long long n)
{
	write_errors_tolerance = n;
}

int
wsgi_write_failed_rc(void)
{
	/* the request's error count is 1 (see above) */
	return write_errors_tolerance >= 1 ? 0 : -1;
}
