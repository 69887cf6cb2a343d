/* SPDX-License-Identifier: MIT */
/*
 * Mules (uWSGI's core/mule.c and the Python plugin's mule calls): processes
 * beside the workers, forked from the master with the app loaded, that run
 * a script (`mule = file.py`), a callable (`mule = module:func`), or wait
 * for messages and hand each to uwsgi.mule_msg_hook (uwsgidecorators'
 * @mulefunc). Messages travel over datagram socket pairs made before the
 * first fork: one per mule, and one every mule reads (the first free mule
 * takes a message sent to no mule in particular).
 */
#include "python/uwsgi_module.h"
#include "python/uwsgi_signal.h"
#include "python/wsgi_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

static int my_mule;		/* 0 outside a mule */
static int my_fd = -1;		/* this mule's queue (read end) */
static int shared_fd = -1;	/* every mule's queue (read end) */

int
uwsgi_module_mule_id(void)
{
	return my_mule;
}

static int
send_msg(int fd, const char *msg, size_t len)
{
	ssize_t w;

	do
		w = write(fd, msg, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		return 0;
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		log_msg("*** MULE MSG QUEUE IS FULL ***");
	else
		log_errno("mule_msg()");
	return -1;
}

static PyObject *
py_mule_msg(PyObject *self, PyObject *args)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	const char *msg;
	Py_ssize_t len;
	PyObject *target = NULL;
	int fd, rc;

	(void)self;
	if (!PyArg_ParseTuple(args, "s#|O:mule_msg", &msg, &len, &target))
		return NULL;
	if (!h || h->nmules < 1)
		return PyErr_Format(PyExc_ValueError, "no mule configured");
	if (!target) {
		fd = h->mule_shared_fd;
	} else if (PyUnicode_Check(target) || PyBytes_Check(target)) {
		return PyErr_Format(PyExc_ValueError, "unknown farm");	/* no farms */
	} else if (PyLong_Check(target)) {
		long id = PyLong_AsLong(target);
		if (id < 0 || id > (long)h->nmules)
			return PyErr_Format(PyExc_ValueError, "invalid mule number");
		fd = id == 0 ? h->mule_shared_fd : h->mule_fds[id - 1];
	} else {
		return PyErr_Format(PyExc_ValueError, "invalid mule");
	}
	Py_BEGIN_ALLOW_THREADS
	rc = send_msg(fd, msg, (size_t)len);
	Py_END_ALLOW_THREADS
	return PyBool_FromLong(rc == 0);
}

/* Waits for a message on this mule's queues: its length, or -1 (timeout
 * or error). */
static ssize_t
get_msg(char *buf, size_t size, int timeout_ms)
{
	struct pollfd p[2] = { { my_fd, POLLIN, 0 }, { shared_fd, POLLIN, 0 } };

	for (;;) {
		int n = poll(p, 2, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			ssize_t r = recv(p[i].fd, buf, size, MSG_DONTWAIT);
			if (r >= 0)
				return r;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
		}
		/* another mule took the shared message first: wait again */
	}
}

static PyObject *
py_mule_get_msg(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"signals", "farms", "buffer_size", "timeout", NULL};
	PyObject *signals = NULL, *farms = NULL;
	Py_ssize_t size = 65536;
	int timeout = -1;
	ssize_t len;

	(void)self;
	if (my_mule == 0)
		return PyErr_Format(PyExc_ValueError, "you can receive mule messages only in a mule !!!");
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOni:mule_get_msg", kwlist, &signals, &farms,
	                                 &size, &timeout))
		return NULL;
	if (size <= 0 || size > (1 << 24))
		return PyErr_Format(PyExc_ValueError, "mule_get_msg(): bad buffer_size");
	char *buf = xmalloc((size_t)size);
	Py_BEGIN_ALLOW_THREADS
	len = get_msg(buf, (size_t)size, timeout < 0 ? -1 : timeout * 1000);
	Py_END_ALLOW_THREADS
	PyObject *r = len < 0 ? Py_NewRef(Py_None) : PyBytes_FromStringAndSize(buf, len);
	free(buf);
	return r;
}

PyMethodDef uwsgi_module_mule_methods[] = {
	{"mule_msg", py_mule_msg, METH_VARARGS, "send a message to a mule (any, or number n)"},
	{"mule_get_msg", (PyCFunction)(void (*)(void))py_mule_get_msg, METH_VARARGS | METH_KEYWORDS,
	 "in a mule: wait for a message (None after timeout seconds)"},
	{NULL, NULL, 0, NULL},
};

/* ---- the mule process ----------------------------------------------------- */

/* `mule = file.py`: run as __main__, as uWSGI does. */
static int
run_script(const char *path)
{
	PyObject *runpy = PyImport_ImportModule("runpy");
	PyObject *r = runpy ? PyObject_CallMethod(runpy, "run_path", "sOs", path, Py_None, "__main__") : NULL;

	Py_XDECREF(runpy);
	if (!r) {
		char *what = xasprintf("mule %d: %s", my_mule, path);
		wsgi_log_exception(what);
		free(what);
		return -1;
	}
	Py_DECREF(r);
	return 0;
}

/* `mule = module:callable`: import and call it. */
static int
run_callable(const char *spec)
{
	char *mod = xstrdup(spec), *fn = strchr(mod, ':');
	PyObject *m, *f = NULL, *r = NULL;

	*fn++ = '\0';
	m = PyImport_ImportModule(mod);
	if (m)
		f = PyObject_GetAttrString(m, fn);
	if (f)
		r = PyObject_CallNoArgs(f);
	Py_XDECREF(m);
	Py_XDECREF(f);
	if (!r) {
		char *what = xasprintf("mule %d: %s", my_mule, spec);
		wsgi_log_exception(what);
		free(what);
	}
	free(mod);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

/* A plain mule: each message to uwsgi.mule_msg_hook(message). */
static void
message_loop(void)
{
	char *buf = xmalloc(65536);

	for (;;) {
		ssize_t len;
		Py_BEGIN_ALLOW_THREADS
		len = get_msg(buf, 65536, -1);
		Py_END_ALLOW_THREADS
		if (len < 0)
			continue;
		PyObject *mod = uwsgi_module_object();
		PyObject *hook = mod ? PyObject_GetAttrString(mod, "mule_msg_hook") : NULL;
		if (!hook || !PyCallable_Check(hook)) {
			PyErr_Clear();
			log_msg("*** mule %d received a %zd bytes message ***", my_mule, len);
			Py_XDECREF(hook);
			continue;
		}
		PyObject *msg = PyBytes_FromStringAndSize(buf, len);
		PyObject *r = msg ? PyObject_CallOneArg(hook, msg) : NULL;
		if (!r)
			wsgi_log_exception("uwsgi.mule_msg_hook");
		Py_XDECREF(r);
		Py_XDECREF(msg);
		Py_DECREF(hook);
	}
}

int
wsgi_mule_run(const struct wsgi_mule_config *mc)
{
	const char *patch = mc->program;
	size_t len = patch ? strlen(patch) : 0;
	int rc = 0;

	my_mule = mc->id;
	my_fd = mc->fd;
	shared_fd = mc->shared_fd;
	uwsgi_signal_after_fork(0, my_mule, false);
	PyGILState_STATE g = PyGILState_Ensure();
	if (len > 3 && strcmp(patch + len - 3, ".py") == 0)
		rc = run_script(patch);
	else if (patch && strchr(patch, ':'))
		rc = run_callable(patch);
	else
		message_loop();
	PyGILState_Release(g);
	/* a program that returned: the master respawns the mule (uWSGI too) */
	log_msg("mule %d: %s returned", my_mule, patch ? patch : "loop");
	return rc < 0 ? 1 : 0;
}
