/* SPDX-License-Identifier: MIT */
/*
 * The `uwsgi` module's cache calls (uWSGI's uwsgi_cache_methods) on the
 * shared caches of src/cache: None where uWSGI answers None (a missing key,
 * an unknown cache, a refused set), True on success, bytes values.
 */
#include "python/uwsgi_module.h"
#include "cache/cache.h"

#include <string.h>

static PyObject *
none_or_true(int ok)
{
	if (ok)
		Py_RETURN_TRUE;
	Py_RETURN_NONE;
}

static PyObject *
py_cache_get(PyObject *self, PyObject *args)
{
	const char *key, *name = NULL;
	Py_ssize_t klen;
	size_t vlen = 0;
	char *v = NULL;
	struct cache *c;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#|s:cache_get", &key, &klen, &name))
		return NULL;
	if (!(c = cache_find(name)))
		Py_RETURN_NONE;
	Py_BEGIN_ALLOW_THREADS
	v = cache_get(c, key, (size_t)klen, &vlen);
	Py_END_ALLOW_THREADS
	if (!v)
		Py_RETURN_NONE;
	PyObject *r = PyBytes_FromStringAndSize(v, (Py_ssize_t)vlen);
	free(v);
	return r;
}

static PyObject *
store(PyObject *args, const char *fmt, enum cache_op op)
{
	const char *key, *val, *name = NULL;
	Py_ssize_t klen, vlen;
	unsigned long expires = 0;
	struct cache *c;
	int rc;

	if (!PyArg_ParseTuple(args, fmt, &key, &klen, &val, &vlen, &expires, &name))
		return NULL;
	if (!(c = cache_find(name)))
		Py_RETURN_NONE;
	Py_BEGIN_ALLOW_THREADS
	rc = cache_put(c, op, key, (size_t)klen, val, (size_t)vlen, expires);
	Py_END_ALLOW_THREADS
	return none_or_true(rc == 0);
}

static PyObject *
py_cache_set(PyObject *self, PyObject *args)
{
	(void)self;
	return store(args, "s#s#|ks:cache_set", CACHE_SET);
}

static PyObject *
py_cache_update(PyObject *self, PyObject *args)
{
	(void)self;
	return store(args, "s#s#|ks:cache_update", CACHE_UPDATE);
}

static PyObject *
math(PyObject *args, const char *fmt, enum cache_op op, long long dflt)
{
	const char *key, *name = NULL;
	Py_ssize_t klen;
	long long delta = dflt;
	unsigned long expires = 0;
	struct cache *c;
	int64_t d;
	int rc;

	if (!PyArg_ParseTuple(args, fmt, &key, &klen, &delta, &expires, &name))
		return NULL;
	if (!(c = cache_find(name)))
		Py_RETURN_NONE;
	d = (int64_t)delta;
	Py_BEGIN_ALLOW_THREADS
	rc = cache_put(c, op, key, (size_t)klen, &d, sizeof(d), expires);
	Py_END_ALLOW_THREADS
	return none_or_true(rc == 0);
}

static PyObject *
py_cache_inc(PyObject *self, PyObject *args)
{
	(void)self;
	return math(args, "s#|Lks:cache_inc", CACHE_INC, 1);
}

static PyObject *
py_cache_dec(PyObject *self, PyObject *args)
{
	(void)self;
	return math(args, "s#|Lks:cache_dec", CACHE_DEC, 1);
}

static PyObject *
py_cache_mul(PyObject *self, PyObject *args)
{
	(void)self;
	return math(args, "s#|Lks:cache_mul", CACHE_MUL, 2);
}

static PyObject *
py_cache_div(PyObject *self, PyObject *args)
{
	(void)self;
	return math(args, "s#|Lks:cache_div", CACHE_DIV, 2);
}

static PyObject *
py_cache_num(PyObject *self, PyObject *args)
{
	const char *key, *name = NULL;
	Py_ssize_t klen;
	size_t vlen = 0;
	struct cache *c;
	char *v = NULL;
	int64_t num = 0;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#|s:cache_num", &key, &klen, &name))
		return NULL;
	if ((c = cache_find(name))) {
		Py_BEGIN_ALLOW_THREADS
		v = cache_get(c, key, (size_t)klen, &vlen);
		Py_END_ALLOW_THREADS
	}
	if (v && vlen == 8)
		memcpy(&num, v, 8);
	free(v);
	return PyLong_FromLongLong(num);
}

static PyObject *
py_cache_exists(PyObject *self, PyObject *args)
{
	const char *key, *name = NULL;
	Py_ssize_t klen;
	struct cache *c;
	bool found = false;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#|s:cache_exists", &key, &klen, &name))
		return NULL;
	if ((c = cache_find(name))) {
		Py_BEGIN_ALLOW_THREADS
		found = cache_exists(c, key, (size_t)klen);
		Py_END_ALLOW_THREADS
	}
	return none_or_true(found);
}

static PyObject *
py_cache_del(PyObject *self, PyObject *args)
{
	const char *key, *name = NULL;
	Py_ssize_t klen;
	struct cache *c;
	int rc = -1;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#|s:cache_del", &key, &klen, &name))
		return NULL;
	if ((c = cache_find(name))) {
		Py_BEGIN_ALLOW_THREADS
		rc = cache_del(c, key, (size_t)klen);
		Py_END_ALLOW_THREADS
	}
	return none_or_true(rc == 0);
}

static PyObject *
py_cache_clear(PyObject *self, PyObject *args)
{
	const char *name = NULL;
	struct cache *c;

	(void)self;
	if (!PyArg_ParseTuple(args, "|s:cache_clear", &name))
		return NULL;
	if (!(c = cache_find(name)))
		Py_RETURN_NONE;
	Py_BEGIN_ALLOW_THREADS
	cache_clear(c);
	Py_END_ALLOW_THREADS
	Py_RETURN_TRUE;
}

struct keys_ctx {
	PyObject *list;
	int failed;
};

/* under the cache lock, with the GIL held: only appends */
static void
add_key(void *arg, const char *key, size_t klen)
{
	struct keys_ctx *k = arg;
	PyObject *b;

	if (k->failed)
		return;
	b = PyBytes_FromStringAndSize(key, (Py_ssize_t)klen);
	if (!b || PyList_Append(k->list, b) < 0)
		k->failed = 1;
	Py_XDECREF(b);
}

static PyObject *
py_cache_keys(PyObject *self, PyObject *args)
{
	const char *name = NULL;
	struct cache *c;
	struct keys_ctx k = { NULL, 0 };

	(void)self;
	if (!PyArg_ParseTuple(args, "|s:cache_keys", &name))
		return NULL;
	if (!(c = cache_find(name)))
		return PyErr_Format(PyExc_ValueError, "no local uWSGI cache available");
	if (!(k.list = PyList_New(0)))
		return NULL;
	cache_each_key(c, add_key, &k);
	if (k.failed)
		Py_CLEAR(k.list);
	return k.list;
}

PyMethodDef uwsgi_module_cache_methods[] = {
	{"cache_get", py_cache_get, METH_VARARGS, "a cached value (bytes), or None"},
	{"cache_set", py_cache_set, METH_VARARGS, "store a new key (never overwrites)"},
	{"cache_update", py_cache_update, METH_VARARGS, "store a key, overwriting"},
	{"cache_del", py_cache_del, METH_VARARGS, "remove a key"},
	{"cache_exists", py_cache_exists, METH_VARARGS, "True if the key is cached, else None"},
	{"cache_clear", py_cache_clear, METH_VARARGS, "remove every key"},
	{"cache_inc", py_cache_inc, METH_VARARGS, "add to a 64-bit counter"},
	{"cache_dec", py_cache_dec, METH_VARARGS, "subtract from a 64-bit counter"},
	{"cache_mul", py_cache_mul, METH_VARARGS, "multiply a 64-bit counter"},
	{"cache_div", py_cache_div, METH_VARARGS, "divide a 64-bit counter"},
	{"cache_num", py_cache_num, METH_VARARGS, "a 64-bit counter's value (0 if absent)"},
	{"cache_keys", py_cache_keys, METH_VARARGS, "the cached keys"},
	{NULL, NULL, 0, NULL},
};
