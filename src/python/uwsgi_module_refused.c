/* SPDX-License-Identifier: MIT */
/*
 * The `uwsgi` module's calls Stockade does not implement (yet). Each exists,
 * so that `hasattr()` checks and imports of uwsgidecorators work, and
 * raises NotImplementedError naming itself when called: an app never
 * believes a timer, a cached value or a spooled task exists when it does
 * not. docs/python-module.md lists them.
 */
#include "python/uwsgi_module.h"

static const char *const refused[] = {
	/* mules and farms */
	"farm_msg", "farm_get_msg", "in_farm",
	/* spooler */
	"set_spooler_frequency", "spooler_jobs", "spooler_pid",
	"spooler_get_task",
	/* others */
	"chunked_read_nb", "set_user_harakiri", "register_rpc", "rpc", "rpc_list", "alarm",
	"sharedarea_read", "sharedarea_write", "queue_get", "queue_push", "queue_pop",
	"websocket_handshake", "websocket_recv", "websocket_send", "suspend", "async_sleep",
	"route", "add_var", "metric_get", "metric_set", "metric_inc", "metric_dec",
};

#define NREFUSED (sizeof(refused) / sizeof(refused[0]))

static PyMethodDef defs[NREFUSED];

/* self is the call's name (a str) */
static PyObject *
refuse(PyObject *self, PyObject *args, PyObject *kwargs)
{
	(void)args;
	(void)kwargs;
	return PyErr_Format(PyExc_NotImplementedError,
	                    "uwsgi.%U() is not implemented by Stockade "
	                    "(see docs/python-module.md)", self);
}

int
uwsgi_module_add_refused(PyObject *mod)
{
	PyObject *modname = PyUnicode_FromString("uwsgi");

	if (!modname)
		return -1;
	for (size_t i = 0; i < NREFUSED; i++) {
		PyObject *name = PyUnicode_FromString(refused[i]);
		PyObject *fn;
		int rc;

		if (!name)
			goto fail;
		defs[i] = (PyMethodDef){ refused[i], (PyCFunction)(void (*)(void))refuse,
		                         METH_VARARGS | METH_KEYWORDS,
		                         "not implemented by Stockade" };
		fn = PyCFunction_NewEx(&defs[i], name, modname);
		Py_DECREF(name);
		rc = fn ? PyModule_AddObject(mod, refused[i], fn) : -1;
		if (rc < 0) {
			Py_XDECREF(fn);
			goto fail;
		}
	}
	Py_DECREF(modname);
	return 0;
fail:
	Py_DECREF(modname);
	return -1;
}
