/* SPDX-License-Identifier: MIT */
/*
 * The `uwsgi` module's per-request calls: request_id(), connection_fd(),
 * set_logvar()/get_logvar() (the request log's %(name)) and chunked_read().
 * The state is per thread, so requests served by several threads each see
 * their own.
 */
#include "python/uwsgi_module.h"
#include "python/wsgi_internal.h"

#include <string.h>

/* uWSGI keeps keys and values to 255 bytes (uint8_t lengths) */
#define LOGVAR_MAX 255
#define LOGVARS_MAX 32

struct logvar {
	char key[LOGVAR_MAX + 1], val[LOGVAR_MAX + 1];
	size_t klen, vlen;
};

static _Thread_local struct request_io *cur_io;
/* requests this thread served before the current one */
static _Thread_local unsigned long long served;
static _Thread_local bool in_request;
/* kept after the request until the next one: the log line reads them */
static _Thread_local struct logvar logvars[LOGVARS_MAX];
static _Thread_local size_t nlogvars;

void
uwsgi_module_request_begin(struct request_io *io)
{
	cur_io = io;
	nlogvars = 0;
	in_request = true;
}

void
uwsgi_module_request_end(void)
{
	cur_io = NULL;
	in_request = false;
	served++;
}

static struct logvar *
logvar_find(const char *key, size_t klen)
{
	for (size_t i = 0; i < nlogvars; i++)
		if (logvars[i].klen == klen && memcmp(logvars[i].key, key, klen) == 0)
			return &logvars[i];
	return NULL;
}

const char *
wsgi_logvar(const char *name, size_t len, size_t *vlen)
{
	struct logvar *lv = logvar_find(name, len);
	if (!lv)
		return NULL;
	*vlen = lv->vlen;
	return lv->val;
}

static int
need_request(const char *what)
{
	if (in_request)
		return 0;
	PyErr_Format(PyExc_RuntimeError, "uwsgi.%s(): not inside a request", what);
	return -1;
}

static PyObject *
py_request_id(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromUnsignedLongLong(served);
}

static PyObject *
py_connection_fd(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	if (need_request("connection_fd") < 0)
		return NULL;
	return PyLong_FromLong(cur_io && cur_io->fd > 0 ? cur_io->fd : -1);
}

static PyObject *
py_set_logvar(PyObject *self, PyObject *args)
{
	const char *key, *val;
	Py_ssize_t klen, vlen;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#s#:set_logvar", &key, &klen, &val, &vlen))
		return NULL;
	if (need_request("set_logvar") < 0)
		return NULL;
	if (klen > LOGVAR_MAX || vlen > LOGVAR_MAX)
		return PyErr_Format(PyExc_ValueError,
		                    "uwsgi.set_logvar(): key and value are limited to %d bytes",
		                    LOGVAR_MAX);
	struct logvar *lv = logvar_find(key, (size_t)klen);
	if (!lv) {
		if (nlogvars == LOGVARS_MAX)
			return PyErr_Format(PyExc_ValueError,
			                    "uwsgi.set_logvar(): at most %d variables per request",
			                    LOGVARS_MAX);
		lv = &logvars[nlogvars++];
		memcpy(lv->key, key, (size_t)klen);
		lv->klen = (size_t)klen;
	}
	memcpy(lv->val, val, (size_t)vlen);
	lv->vlen = (size_t)vlen;
	Py_RETURN_NONE;
}

static PyObject *
py_get_logvar(PyObject *self, PyObject *args)
{
	const char *key;
	Py_ssize_t klen;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#:get_logvar", &key, &klen))
		return NULL;
	struct logvar *lv = logvar_find(key, (size_t)klen);
	if (!lv || !in_request)
		Py_RETURN_NONE;
	return PyBytes_FromStringAndSize(lv->val, (Py_ssize_t)lv->vlen);
}

/* The request body comes de-chunked from the server: the next piece of it
 * (b"" at its end), whatever the client's chunk boundaries were. */
static PyObject *
py_chunked_read(PyObject *self, PyObject *args)
{
	int timeout = 0;
	char buf[65536];
	ssize_t n;

	(void)self;
	if (!PyArg_ParseTuple(args, "|i:chunked_read", &timeout))
		return NULL;
	if (need_request("chunked_read") < 0)
		return NULL;
	if (!cur_io || !cur_io->read_body)
		return PyErr_Format(PyExc_IOError, "unable to receive chunked part");
	Py_BEGIN_ALLOW_THREADS
	n = cur_io->read_body(cur_io->ctx, buf, sizeof(buf));
	Py_END_ALLOW_THREADS
	if (n < 0)
		return PyErr_Format(PyExc_IOError, "unable to receive chunked part");
	return PyBytes_FromStringAndSize(buf, n);
}

PyMethodDef uwsgi_module_req_methods[] = {
	{"request_id", py_request_id, METH_NOARGS, "requests this worker served before this one"},
	{"connection_fd", py_connection_fd, METH_NOARGS, "the client connection's socket"},
	{"set_logvar", py_set_logvar, METH_VARARGS, "set %(key) for the request log"},
	{"get_logvar", py_get_logvar, METH_VARARGS, "a log variable set by set_logvar"},
	{"chunked_read", py_chunked_read, METH_VARARGS, "the next piece of the request body"},
	{NULL, NULL, 0, NULL},
};
