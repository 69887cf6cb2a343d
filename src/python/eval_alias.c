/* SPDX-License-Identifier: MIT */
/*
 * uWSGI python plugin options that load code without a file of the app's:
 * `eval = CODE` (pyloader.c, uwsgi_eval_loader) compiles CODE as module
 * "uwsgi_eval_config" and takes its `callable` (default `application`) as
 * the app; `pymodule-alias = NAME=MODULE` or `NAME=/path/file.py`
 * (python_plugin.c, at the interpreter's start) makes `import NAME` give
 * that module, or that file run as module NAME. A line without '=' is
 * logged and skipped, as uWSGI does; a module that fails to load stops the
 * start (uWSGI exits 1).
 */
#include "python/eval_alias.h"
#include "python/wsgi_internal.h"
#include "base/log.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const char *eval_code;
static const char *const *aliases;
static size_t naliases;

void
wsgi_set_eval(const char *code)
{
	eval_code = code;
}

void
wsgi_set_pymodule_aliases(const char *const *v, size_t n)
{
	aliases = v;
	naliases = n;
}

bool
wsgi_eval_wanted(void)
{
	return eval_code != NULL;
}

PyObject *
wsgi_eval_module(void)
{
	PyObject *code = Py_CompileString(eval_code, "uwsgi_eval_config", Py_file_input);
	if (!code)
		return NULL;
	PyObject *mod = PyImport_ExecCodeModule("uwsgi_eval_config", code);
	Py_DECREF(code);
	return mod;
}

/* A file's code run as module NAME (sys.modules[NAME]); a new reference. */
static PyObject *
import_as(const char *name, const char *path)
{
	size_t len;
	char *src = read_file(path, &len);
	if (!src)
		return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
	PyObject *code = NULL, *mod = NULL;
	if (strlen(src) != len)
		PyErr_Format(PyExc_SyntaxError, "%s: source code contains NUL bytes", path);
	else
		code = Py_CompileString(src, path, Py_file_input);
	free(src);
	if (code)
		mod = PyImport_ExecCodeModuleEx(name, code, path);
	Py_XDECREF(code);
	return mod;
}

int
wsgi_pymodule_aliases_load(void)
{
	for (size_t i = 0; i < naliases; i++) {
		const char *eq = strchr(aliases[i], '=');
		if (!eq || eq == aliases[i] || !eq[1]) {
			log_msg("invalid pymodule-alias syntax: '%s' (NAME=MODULE or NAME=/path/file.py), skipped",
			    aliases[i]);
			continue;
		}
		char *name = xstrndup(aliases[i], (size_t)(eq - aliases[i]));
		const char *target = eq + 1;
		PyObject *mod;
		if (!strchr(target, '/')) {
			mod = PyImport_ImportModule(target);
			if (mod && PyDict_SetItemString(PyImport_GetModuleDict(), name, mod) < 0)
				Py_CLEAR(mod);
		} else {
			mod = import_as(name, target);
		}
		if (!mod) {
			char *what = xasprintf("pymodule-alias %s", aliases[i]);
			wsgi_log_exception(what);
			free(what);
			free(name);
			return -1;
		}
		Py_DECREF(mod);
		log_msg("mapped virtual pymodule \"%s\" to real pymodule \"%s\"", name, target);
		free(name);
	}
	return 0;
}
