/* SPDX-License-Identifier: MIT */
/* The python plugin's `eval` app and `pymodule-alias` (uWSGI's). */
#ifndef STOCKADE_PYTHON_EVAL_ALIAS_H
#define STOCKADE_PYTHON_EVAL_ALIAS_H

#include <Python.h>
#include <stdbool.h>
#include <stddef.h>

/* Kept until the app is loaded (the strings must outlive it). */
void		 wsgi_set_eval(const char *code);
void		 wsgi_set_pymodule_aliases(const char *const *v, size_t n);
bool		 wsgi_eval_wanted(void);
/* The eval code run as module "uwsgi_eval_config": a new reference to that
 * module, or NULL with an exception set. */
PyObject	*wsgi_eval_module(void);
/* Each NAME=MODULE (imported, and also named NAME in sys.modules) or
 * NAME=FILE (a path: its code run as module NAME); -1 after logging the
 * first that fails. */
int		 wsgi_pymodule_aliases_load(void);

#endif
