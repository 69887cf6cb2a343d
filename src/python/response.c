/* SPDX-License-Identifier: MIT */
/*
 * start_response(status, headers, exc_info=None) and the write() callable
 * it returns, plus sending the head and body through request_io.
 *
 * Everything is validated when start_response is called, so a bad status or
 * header raises inside the app (and becomes a 500) instead of reaching the
 * wire. The validated strings are latin-1 (1-byte kind) str objects, whose
 * data is passed to io as is: no encoding, no copy.
 */
#include "python/wsgi.h"
#include "python/wsgi_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct start_response {
	PyObject_HEAD
	vectorcallfunc vectorcall;
	struct wsgi_req *req;	/* NULL once the request is over */
};

static PyObject *sr_vectorcall(PyObject *self, PyObject *const *args,
                               size_t nargsf, PyObject *kwnames);

PyObject *
wsgi_start_response_new(struct wsgi_req *req)
{
	struct start_response *sr = PyObject_New(struct start_response, &wsgi_start_response_type);
	if (!sr)
		return NULL;
	sr->vectorcall = sr_vectorcall;
	sr->req = req;
	return (PyObject *)sr;
}

void
wsgi_start_response_detach(PyObject *obj)
{
	((struct start_response *)obj)->req = NULL;
}

/* The bytes of a str that is entirely latin-1, without copying. */
static int
latin1_view(PyObject *s, const char **p, Py_ssize_t *len)
{
#if PY_VERSION_HEX < 0x030C0000
	if (PyUnicode_READY(s) < 0)	/* legacy strings; a no-op from 3.12 */
		return -1;
#endif
	if (PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND)
		return 1;
	*p = (const char *)PyUnicode_1BYTE_DATA(s);
	*len = PyUnicode_GET_LENGTH(s);
	return 0;
}

/* A header name or value, or the status: a latin-1 str without CR, LF or
 * NUL (which would split or truncate the response head). Its bytes go to
 * *pp and *lenp when those are not NULL. */
static int
check_text(PyObject *s, const char *what, const char **pp, Py_ssize_t *lenp)
{
	const char *p;
	Py_ssize_t len;

	if (!PyUnicode_Check(s)) {
		PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s",
		             what, Py_TYPE(s)->tp_name);
		return -1;
	}
	int rc = latin1_view(s, &p, &len);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		PyErr_Format(PyExc_ValueError, "%s %R is not latin-1", what, s);
		return -1;
	}
	for (Py_ssize_t i = 0; i < len; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0') {
			PyErr_Format(PyExc_ValueError, "%s %R contains CR, LF or NUL", what, s);
			return -1;
		}
	}
	if (pp)
		*pp = p;
	if (lenp)
		*lenp = len;
	return 0;
}

/* "NNN reason": three digits, a space, and a (possibly empty) reason. */
static int
check_status(PyObject *status)
{
	const char *p;
	Py_ssize_t len;

	if (check_text(status, "status", &p, &len) < 0)
		return -1;
	if (len < 4 || p[3] != ' ' ||
	    p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9') {
		PyErr_Format(PyExc_ValueError,
		             "status %R must be a 3-digit code, a space and a reason", status);
		return -1;
	}
	return 0;
}

static int
check_header_name(PyObject *name)
{
	const char *p;
	Py_ssize_t len;

	if (check_text(name, "header name", &p, &len) < 0)
		return -1;
	if (len == 0) {
		PyErr_SetString(PyExc_ValueError, "empty header name");
		return -1;
	}
	for (Py_ssize_t i = 0; i < len; i++) {
		if (p[i] == ':' || p[i] == ' ' || p[i] == '\t') {
			PyErr_Format(PyExc_ValueError, "invalid header name %R", name);
			return -1;
		}
	}
	return 0;
}

/* Validates the headers list and returns it as a tuple, so that later
 * changes the app makes to its list cannot pull strings from under io. */
static PyObject *
check_headers(PyObject *headers)
{
	if (!PyList_Check(headers)) {
		PyErr_Format(PyExc_TypeError, "headers must be a list, not %.100s",
		             Py_TYPE(headers)->tp_name);
		return NULL;
	}
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(headers); i++) {
		PyObject *h = PyList_GET_ITEM(headers, i);
		if (!PyTuple_Check(h) || PyTuple_GET_SIZE(h) != 2) {
			PyErr_Format(PyExc_TypeError,
			             "header %R must be a (name, value) tuple", h);
			return NULL;
		}
		if (check_header_name(PyTuple_GET_ITEM(h, 0)) < 0 ||
		    check_text(PyTuple_GET_ITEM(h, 1), "header value", NULL, NULL) < 0)
			return NULL;
	}
	return PyList_AsTuple(headers);
}

/* start_response(..., exc_info) after the head went out: PEP 3333 says to
 * raise the original exception again. */
static PyObject *
reraise(PyObject *exc_info)
{
	if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3 ||
	    !PyExceptionInstance_Check(PyTuple_GET_ITEM(exc_info, 1))) {
		PyErr_SetString(PyExc_TypeError,
		                "exc_info must be a (type, value, traceback) tuple");
		return NULL;
	}
	PyObject *value = PyTuple_GET_ITEM(exc_info, 1);
	PyObject *tb = PyTuple_GET_ITEM(exc_info, 2);
	if (PyTraceBack_Check(tb))
		PyException_SetTraceback(value, tb);
	PyErr_SetObject((PyObject *)Py_TYPE(value), value);
	return NULL;
}

static PyMethodDef write_def;

static PyObject *
start_response(struct start_response *sr, PyObject *status,
                                PyObject *headers, PyObject *exc_info)
{
	struct wsgi_req *req = sr->req;

	if (!req) {
		PyErr_SetString(PyExc_RuntimeError, "start_response() called after the request ended");
		return NULL;
	}
	if (exc_info && exc_info != Py_None) {
		if (req->head_sent)
			return reraise(exc_info);
	} else if (req->status) {
		PyErr_SetString(PyExc_RuntimeError,
		                "start_response() called again without exc_info");
		return NULL;
	}

	if (check_status(status) < 0)
		return NULL;
	PyObject *tuple = check_headers(headers);
	if (!tuple)
		return NULL;

	Py_INCREF(status);
	Py_XSETREF(req->status, status);
	Py_XSETREF(req->headers, tuple);
	return PyCFunction_New(&write_def, (PyObject *)sr);
}

/* Accepts start_response(status, headers[, exc_info]) with any of them by
 * keyword, like wsgiref does. */
static PyObject *
sr_vectorcall(PyObject *self, PyObject *const *args,
                               size_t nargsf, PyObject *kwnames)
{
	static const char *const names[] = {"status", "headers", "exc_info"};
	PyObject *argv[3] = {NULL, NULL, NULL};
	Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
	Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;

	if (nargs > 3) {
		PyErr_Format(PyExc_TypeError,
		             "start_response() takes at most 3 arguments (%zd given)", nargs);
		return NULL;
	}
	for (Py_ssize_t i = 0; i < nargs; i++)
		argv[i] = args[i];
	for (Py_ssize_t i = 0; i < nkw; i++) {
		PyObject *key = PyTuple_GET_ITEM(kwnames, i);
		int slot = -1;
		for (int j = 0; j < 3 && slot < 0; j++)
			if (PyUnicode_CompareWithASCIIString(key, names[j]) == 0)
				slot = j;
		if (slot < 0 || argv[slot]) {
			PyErr_Format(PyExc_TypeError,
			             "start_response() got an unexpected or repeated argument %R", key);
			return NULL;
		}
		argv[slot] = args[nargs + i];
	}
	if (!argv[0] || !argv[1]) {
		PyErr_SetString(PyExc_TypeError,
		                "start_response() requires status and headers");
		return NULL;
	}
	return start_response((struct start_response *)self, argv[0], argv[1], argv[2]);
}

/* write(data): PEP 3333's imperative API; sends the head if needed. */
static PyObject *
sr_write(PyObject *self, PyObject *data)
{
	struct wsgi_req *req = ((struct start_response *)self)->req;

	if (!req) {
		PyErr_SetString(PyExc_RuntimeError, "write() called after the request ended");
		return NULL;
	}
	if (!req->status) {
		PyErr_SetString(PyExc_RuntimeError, "write() called before start_response()");
		return NULL;
	}
	if (!PyBytes_Check(data)) {
		PyErr_Format(PyExc_TypeError, "write() argument must be bytes, not %.100s",
		             Py_TYPE(data)->tp_name);
		return NULL;
	}
	if (!req->head_sent && wsgi_send_head(req, -1) < 0)
		goto lost;
	/* keep the bytes alive while io runs without the GIL */
	Py_INCREF(data);
	int rc = wsgi_send_body(req, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
	Py_DECREF(data);
	if (rc < 0)
		goto lost;
	Py_RETURN_NONE;
lost:
	if (wsgi_write_exception_disabled())
		Py_RETURN_NONE;
	PyErr_SetString(PyExc_OSError, "write(): the client connection is gone");
	return NULL;
}

static PyMethodDef write_def = {
	"write", sr_write, METH_O, "write(data): send bytes to the client now",
};

PyTypeObject wsgi_start_response_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "stockade.StartResponse",
	.tp_basicsize = sizeof(struct start_response),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
	.tp_doc = "start_response(status, headers, exc_info=None)",
	.tp_vectorcall_offset = offsetof(struct start_response, vectorcall),
	.tp_call = PyVectorcall_Call,
};

int
wsgi_send_head(struct wsgi_req *req, int64_t content_length)
{
	struct kv stack[32];
	struct kv *hv = stack;
	const char *status;
	Py_ssize_t status_len, n = PyTuple_GET_SIZE(req->headers);

	if (req->failed)
		return -1;
	req->head_sent = true;
	if ((size_t)n > sizeof(stack) / sizeof(stack[0]))
		hv = xmalloc((size_t)n * sizeof(*hv));
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *h = PyTuple_GET_ITEM(req->headers, i);
		Py_ssize_t klen, vlen;
		latin1_view(PyTuple_GET_ITEM(h, 0), &hv[i].key, &klen);
		latin1_view(PyTuple_GET_ITEM(h, 1), &hv[i].val, &vlen);
		hv[i].key_len = (size_t)klen;
		hv[i].val_len = (size_t)vlen;
	}
	latin1_view(req->status, &status, &status_len);

	PyThreadState *ts = io_begin();
	int rc = req->io->send_head(req->io->ctx, status, (size_t)status_len,
	                            hv, (size_t)n, content_length);
	io_end(ts);

	if (hv != stack)
		free(hv);
	if (rc < 0)
		req->failed = true;
	return rc < 0 ? wsgi_write_failed_rc() : 0;
}

int
wsgi_send_body(struct wsgi_req *req, const char *data, size_t len)
{
	if (req->failed)
		return wsgi_write_failed_rc();
	if (len == 0)
		return 0;

	PyThreadState *ts = io_begin();
	int rc = req->io->send_body(req->io->ctx, data, len);
	io_end(ts);

	if (rc < 0)
		req->failed = true;
	return rc < 0 ? wsgi_write_failed_rc() : 0;
}
