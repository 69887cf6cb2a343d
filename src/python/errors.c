/* SPDX-License-Identifier: MIT */
/*
 * wsgi.errors: a text stream whose writes go straight to the server log.
 * One instance serves every request; it holds no state.
 */
#include "python/wsgi_internal.h"

#include "base/log.h"

/* Writes a str (as UTF-8, unencodable code points escaped) or bytes. */
static int
errors_emit(PyObject *obj)
{
	if (PyBytes_Check(obj)) {
		log_write(PyBytes_AS_STRING(obj), (unsigned long)PyBytes_GET_SIZE(obj));
		return 0;
	}
	if (!PyUnicode_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "write() argument must be str, not %.100s",
		             Py_TYPE(obj)->tp_name);
		return -1;
	}

	Py_ssize_t len;
	const char *s = PyUnicode_AsUTF8AndSize(obj, &len);
	if (s) {
		log_write(s, (unsigned long)len);
		return 0;
	}
	/* lone surrogates: escape rather than lose the message */
	PyErr_Clear();
	PyObject *b = PyUnicode_AsEncodedString(obj, "utf-8", "backslashreplace");
	if (!b)
		return -1;
	log_write(PyBytes_AS_STRING(b), (unsigned long)PyBytes_GET_SIZE(b));
	Py_DECREF(b);
	return 0;
}

static PyObject *
errors_write(PyObject *self, PyObject *obj)
{
	(void)self;
	if (errors_emit(obj) < 0)
		return NULL;
	return PyLong_FromSsize_t(PyObject_Length(obj));
}

static PyObject *
errors_writelines(PyObject *self, PyObject *lines)
{
	(void)self;
	PyObject *it = PyObject_GetIter(lines);
	if (!it)
		return NULL;

	PyObject *line;
	while ((line = PyIter_Next(it))) {
		int rc = errors_emit(line);
		Py_DECREF(line);
		if (rc < 0)
			break;
	}
	Py_DECREF(it);
	if (PyErr_Occurred())
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *
errors_flush(PyObject *self, PyObject *unused)
{
	(void)self, (void)unused;
	Py_RETURN_NONE;
}

static PyMethodDef errors_methods[] = {
	{"write", errors_write, METH_O, "write(s): append s to the server log"},
	{"writelines", errors_writelines, METH_O, "writelines(lines)"},
	{"flush", errors_flush, METH_NOARGS, "no-op: writes are not buffered"},
	{NULL, NULL, 0, NULL},
};

PyTypeObject wsgi_errors_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "stockade.ErrorStream",
	.tp_basicsize = sizeof(PyObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "wsgi.errors: writes to the server log",
	.tp_methods = errors_methods,
	.tp_new = PyType_GenericNew,
};
