/* SPDX-License-Identifier: MIT */
/*
 * wsgi.input: the request body as a binary file-like object.
 *
 * Bytes come from io->read_body. read(n) asks io for at most what it still
 * needs, and never for more than CONTENT_LENGTH allows; readline() reads
 * ahead into a private buffer that later reads drain first, so nothing is
 * lost and nothing past the body is requested.
 */
#include "python/wsgi_internal.h"

#include <string.h>

#define INPUT_CHUNK 8192
#define INPUT_MAX_GUESS (1024 * 1024)

struct input {
	PyObject_HEAD
	struct request_io *io;	/* NULL once the request is over */
	int64_t remaining;	/* body bytes io may still return, -1 = unknown */
	char *buf;		/* read-ahead: unread bytes are buf[start, end) */
	size_t start, end, cap;
	bool eof;
	bool error;
	bool busy;		/* in io with the GIL released */
};

PyObject *
wsgi_input_new(struct request_io *io, int64_t content_length)
{
	struct input *in = PyObject_New(struct input, &wsgi_input_type);
	if (!in)
		return NULL;
	in->io = io;
	in->remaining = content_length;
	in->buf = NULL;
	in->start = in->end = in->cap = 0;
	in->eof = content_length == 0;
	in->error = false;
	in->busy = false;
	return (PyObject *)in;
}

void
wsgi_input_detach(PyObject *obj)
{
	struct input *in = (struct input *)obj;
	in->io = NULL;
	PyMem_Free(in->buf);
	in->buf = NULL;
	in->start = in->end = in->cap = 0;
}

static void
input_dealloc(PyObject *obj)
{
	PyMem_Free(((struct input *)obj)->buf);
	PyObject_Free(obj);
}

static size_t
buffered(const struct input *in)
{
	return in->end - in->start;
}

/* Refuses use after the request: the io object is gone by then. */
static int
input_check(struct input *in)
{
	if (in->io)
		return 0;
	PyErr_SetString(PyExc_ValueError, "wsgi.input used after the request ended");
	return -1;
}

/* Up to n bytes from io into dst: >0, 0 at end of body, -1 with an
 * exception set. */
static Py_ssize_t
input_fill(struct input *in, char *dst, size_t n)
{
	if (input_check(in) < 0)
		return -1;
	if (in->error) {
		PyErr_SetString(PyExc_OSError, "error reading the request body");
		return -1;
	}
	if (in->busy) {
		PyErr_SetString(PyExc_RuntimeError, "wsgi.input is being read by another thread");
		return -1;
	}
	if (in->eof || n == 0)
		return 0;
	if (in->remaining >= 0 && (uint64_t)in->remaining < n)
		n = (size_t)in->remaining;

	in->busy = true;
	PyThreadState *ts = io_begin();
	ssize_t r = in->io->read_body(in->io->ctx, dst, n);
	io_end(ts);
	in->busy = false;

	if (r < 0) {
		in->error = true;
		PyErr_SetString(PyExc_OSError, "error reading the request body");
		return -1;
	}
	if (r == 0) {
		in->eof = true;
		return 0;
	}
	if (in->remaining >= 0) {
		in->remaining -= r;
		if (in->remaining == 0)
			in->eof = true;
	}
	return r;
}

/* Up to n bytes (SIZE_MAX: all of the rest), buffered bytes first. */
static PyObject *
input_read_upto(struct input *in, size_t n)
{
	size_t have = buffered(in);

	if (n == 0)
		return PyBytes_FromStringAndSize(NULL, 0);
	/* readline() left enough behind: no io at all */
	if (have >= n) {
		PyObject *b = PyBytes_FromStringAndSize(in->buf + in->start, (Py_ssize_t)n);
		if (b)
			in->start += n;
		return b;
	}

	/* First guess at the size: exact when the length is known, but the
	 * client chose CONTENT_LENGTH, so grow past INPUT_MAX_GUESS only as
	 * bytes actually arrive. */
	size_t guess = INPUT_CHUNK;
	if (in->remaining >= 0)
		guess = in->remaining < INPUT_MAX_GUESS ? (size_t)in->remaining : INPUT_MAX_GUESS;
	size_t cap = have + guess;
	if (cap > n)
		cap = n;

	PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
	if (!out)
		return NULL;
	if (have) {
		memcpy(PyBytes_AS_STRING(out), in->buf + in->start, have);
		in->start = in->end = 0;
	}

	size_t len = have;
	while (len < n && !in->eof) {
		if (len == cap) {
			size_t ncap = cap * 2;
			if (ncap > n)
				ncap = n;
			if (ncap > (size_t)PY_SSIZE_T_MAX)
				ncap = (size_t)PY_SSIZE_T_MAX;
			if (ncap <= cap)
				break;
			if (_PyBytes_Resize(&out, (Py_ssize_t)ncap) < 0)
				return NULL;
			cap = ncap;
		}
		Py_ssize_t r = input_fill(in, PyBytes_AS_STRING(out) + len, cap - len);
		if (r < 0) {
			Py_DECREF(out);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len != cap && _PyBytes_Resize(&out, (Py_ssize_t)len) < 0)
		return NULL;
	return out;
}

/* Makes room for at least INPUT_CHUNK more bytes after in->end. */
static void
input_make_room(struct input *in)
{
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, buffered(in));
		in->end -= in->start;
		in->start = 0;
	}
	if (in->cap - in->end >= INPUT_CHUNK)
		return;
	size_t ncap = in->cap ? in->cap * 2 : INPUT_CHUNK;
	while (ncap - in->end < INPUT_CHUNK)
		ncap *= 2;
	char *nbuf = PyMem_Realloc(in->buf, ncap);
	if (!nbuf)
		return;	/* caller sees no room and reports it */
	in->buf = nbuf;
	in->cap = ncap;
}

/* One line including its '\n', at most `limit` bytes; b"" at the end. */
static PyObject *
input_readline_upto(struct input *in, size_t limit)
{
	size_t scanned = 0;

	if (limit == 0)
		return PyBytes_FromStringAndSize(NULL, 0);
	for (;;) {
		size_t have = buffered(in);
		size_t span = have < limit ? have : limit;
		const char *base = in->buf ? in->buf + in->start : "";
		const char *nl = span > scanned ? memchr(base + scanned, '\n', span - scanned) : NULL;
		size_t take = 0;

		if (nl)
			take = (size_t)(nl - base) + 1;
		else if (have >= limit || in->eof)
			take = span;
		if (take > 0 || (in->eof && have == 0)) {
			PyObject *b = PyBytes_FromStringAndSize(base, (Py_ssize_t)take);
			if (b)
				in->start += take;
			return b;
		}
		scanned = span;

		input_make_room(in);
		if (in->cap - in->end == 0)
			return PyErr_NoMemory();
		/* io stops at the end of the body, so reading ahead is safe */
		Py_ssize_t r = input_fill(in, in->buf + in->end, in->cap - in->end);
		if (r < 0)
			return NULL;
		in->end += (size_t)r;
	}
}

/* None or a negative number mean "no limit" (SIZE_MAX). */
static int
parse_size(PyObject *arg, size_t *out)
{
	if (!arg || arg == Py_None) {
		*out = SIZE_MAX;
		return 0;
	}
	Py_ssize_t n = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
	if (n == -1 && PyErr_Occurred())
		return -1;
	*out = n < 0 ? SIZE_MAX : (size_t)n;
	return 0;
}

static int
parse_optional_size(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                               const char *name, size_t *out)
{
	if (nargs > 1) {
		PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument (%zd given)", name, nargs);
		return -1;
	}
	if (input_check((struct input *)self) < 0)
		return -1;
	return parse_size(nargs ? args[0] : NULL, out);
}

/* read(size) and readline(size): the optional size, then the reader. */
static PyObject *
sized_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs, const char *name,
    PyObject *(*reader)(struct input *, size_t))
{
	size_t n;
	if (parse_optional_size(self, args, nargs, name, &n) < 0)
		return NULL;
	return reader((struct input *)self, n);
}

static PyObject *
input_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	return sized_read(self, args, nargs, "read", input_read_upto);
}

static PyObject *
input_readline(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	return sized_read(self, args, nargs, "readline", input_readline_upto);
}

static PyObject *
input_readlines(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	size_t hint;
	if (parse_optional_size(self, args, nargs, "readlines", &hint) < 0)
		return NULL;
	if (hint == 0)
		hint = SIZE_MAX;

	PyObject *lines = PyList_New(0);
	if (!lines)
		return NULL;

	size_t total = 0;
	while (total < hint) {
		PyObject *line = input_readline_upto((struct input *)self, SIZE_MAX);
		if (!line)
			goto fail;
		Py_ssize_t len = PyBytes_GET_SIZE(line);
		if (len == 0) {
			Py_DECREF(line);
			break;
		}
		int rc = PyList_Append(lines, line);
		Py_DECREF(line);
		if (rc < 0)
			goto fail;
		total += (size_t)len;
	}
	return lines;
fail:
	Py_DECREF(lines);
	return NULL;
}

static PyObject *
input_iternext(PyObject *self)
{
	if (input_check((struct input *)self) < 0)
		return NULL;
	PyObject *line = input_readline_upto((struct input *)self, SIZE_MAX);
	if (line && PyBytes_GET_SIZE(line) == 0) {
		Py_DECREF(line);
		return NULL;	/* StopIteration */
	}
	return line;
}

static PyMethodDef input_methods[] = {
	{"read", (PyCFunction)(void (*)(void))input_read, METH_FASTCALL,
	 "read(size=-1): up to size bytes, all of the rest by default"},
	{"readline", (PyCFunction)(void (*)(void))input_readline, METH_FASTCALL,
	 "readline(size=-1): one line, with its newline"},
	{"readlines", (PyCFunction)(void (*)(void))input_readlines, METH_FASTCALL,
	 "readlines(hint=-1): lines until the end or hint bytes"},
	{NULL, NULL, 0, NULL},
};

PyTypeObject wsgi_input_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "stockade.Input",
	.tp_basicsize = sizeof(struct input),
	.tp_dealloc = input_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "wsgi.input: the request body",
	.tp_iter = PyObject_SelfIter,
	.tp_iternext = input_iternext,
	.tp_methods = input_methods,
};
