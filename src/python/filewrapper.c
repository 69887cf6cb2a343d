/* SPDX-License-Identifier: MIT */
/*
 * wsgi.file_wrapper(filelike, blksize=8192).
 *
 * When the app returns one and the file is a regular file with a fileno(),
 * the handler sends it with io->send_file; otherwise the wrapper is an
 * ordinary iterable of filelike.read(blksize) chunks. close() closes the
 * file, as PEP 3333 asks.
 */
#include "python/wsgi_internal.h"

#include <sys/stat.h>
#include <unistd.h>

static PyObject *
fw_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = {"filelike", "blksize", NULL};
	PyObject *filelike;
	Py_ssize_t blksize = 8192;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|n:file_wrapper", kwlist,
	                                 &filelike, &blksize))
		return NULL;
	if (blksize <= 0) {
		PyErr_SetString(PyExc_ValueError, "blksize must be positive");
		return NULL;
	}

	struct wsgi_file_wrapper *fw = (struct wsgi_file_wrapper *)type->tp_alloc(type, 0);
	if (!fw)
		return NULL;
	Py_INCREF(filelike);
	fw->filelike = filelike;
	fw->blksize = blksize;
	return (PyObject *)fw;
}

static int
fw_traverse(PyObject *self, visitproc visit, void *arg)
{
	Py_VISIT(((struct wsgi_file_wrapper *)self)->filelike);
	return 0;
}

static int
fw_clear(PyObject *self)
{
	Py_CLEAR(((struct wsgi_file_wrapper *)self)->filelike);
	return 0;
}

static void
fw_dealloc(PyObject *self)
{
	PyObject_GC_UnTrack(self);
	fw_clear(self);
	Py_TYPE(self)->tp_free(self);
}

static PyObject *
fw_iternext(PyObject *self)
{
	struct wsgi_file_wrapper *fw = (struct wsgi_file_wrapper *)self;

	if (!fw->filelike)
		return NULL;
	PyObject *size = PyLong_FromSsize_t(fw->blksize);
	if (!size)
		return NULL;
	PyObject *args[2] = {fw->filelike, size};
	PyObject *data = PyObject_VectorcallMethod(wsgi_str_read, args,
	                                           2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	Py_DECREF(size);
	if (!data)
		return NULL;
	/* an empty read is the end; anything else (even a wrong type) is
	 * handed on, and the handler rejects non-bytes */
	if ((PyBytes_Check(data) && PyBytes_GET_SIZE(data) == 0) ||
	    (PyUnicode_Check(data) && PyUnicode_GET_LENGTH(data) == 0)) {
		Py_DECREF(data);
		return NULL;
	}
	return data;
}

int
wsgi_file_wrapper_close(PyObject *self)
{
	struct wsgi_file_wrapper *fw = (struct wsgi_file_wrapper *)self;

	if (!fw->filelike)
		return 0;
	return wsgi_call_close(fw->filelike);
}

static PyObject *
fw_close(PyObject *self, PyObject *unused)
{
	(void)unused;
	if (wsgi_file_wrapper_close(self) < 0)
		return NULL;
	Py_RETURN_NONE;
}

/* obj.method() as a C integer; -1 (error cleared) if unavailable. */
static long long
call_int_method(PyObject *obj, const char *method)
{
	PyObject *r = PyObject_CallMethod(obj, method, NULL);
	if (!r) {
		PyErr_Clear();
		return -1;
	}
	long long v = PyLong_Check(r) ? PyLong_AsLongLong(r) : -1;
	Py_DECREF(r);
	if (v == -1 && PyErr_Occurred())
		PyErr_Clear();
	return v;
}

int
wsgi_file_wrapper_fd(PyObject *self, off_t *offset, int64_t *count)
{
	struct wsgi_file_wrapper *fw = (struct wsgi_file_wrapper *)self;
	struct stat st;

	if (!fw->filelike)
		return -1;
	/* io.BytesIO and friends raise here: they take the read() path */
	long long fd = call_int_method(fw->filelike, "fileno");
	if (fd < 0 || fd > INT_MAX)
		return -1;
	if (fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;

	/* a buffered file object knows where its reader really is */
	long long pos = call_int_method(fw->filelike, "tell");
	if (pos < 0)
		pos = lseek((int)fd, 0, SEEK_CUR);
	if (pos < 0)
		pos = 0;

	*offset = (off_t)pos;
	*count = pos < st.st_size ? (int64_t)(st.st_size - pos) : 0;
	return (int)fd;
}

static PyMethodDef fw_methods[] = {
	{"close", fw_close, METH_NOARGS, "close(): close the wrapped file"},
	{NULL, NULL, 0, NULL},
};

PyTypeObject wsgi_file_wrapper_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "stockade.FileWrapper",
	.tp_basicsize = sizeof(struct wsgi_file_wrapper),
	.tp_dealloc = fw_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = "wsgi.file_wrapper(filelike, blksize=8192)",
	.tp_traverse = fw_traverse,
	.tp_clear = fw_clear,
	.tp_iter = PyObject_SelfIter,
	.tp_iternext = fw_iternext,
	.tp_methods = fw_methods,
	.tp_new = fw_new,
};
