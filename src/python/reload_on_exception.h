/* SPDX-License-Identifier: MIT */
/* reload-on-exception: a worker whose app raised exits (uWSGI's). */
#ifndef STOCKADE_PYTHON_RELOAD_ON_EXCEPTION_H
#define STOCKADE_PYTHON_RELOAD_ON_EXCEPTION_H

#include <stdbool.h>

void	wsgi_set_reload_on_exception(bool on);
/* Called once the app's exception is logged: with reload-on-exception the
 * process exits with status 5 here (the master respawns the worker). */
void	wsgi_exception_reload(void);

#endif
