/* SPDX-License-Identifier: MIT */
/*
 * The spooler (uWSGI's core/spooler.c and the Python plugin's spool calls):
 * uwsgi.spool()/send_to_spooler() write a task file in uWSGI's format
 * (proto/spool.h) atomically (a hidden temporary file renamed into place,
 * so a crash never leaves half a task), and a spooler process runs each
 * task through uwsgi.spooler(dict). A task is deleted only once its
 * function returned SPOOL_OK: a spooler killed mid-task (kill -9, a
 * reload) leaves the file, and the next spooler runs it again. A spooler
 * holds flock() on the task it runs, so several spoolers of one directory
 * never run the same task at once.
 */
#include "python/uwsgi_module.h"
#include "python/uwsgi_signal.h"
#include "python/wsgi_internal.h"
#include "proto/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define TASK_PREFIX "uwsgi_spoolfile_on_"

static bool spooler_process;

bool
uwsgi_module_is_spooler(void)
{
	return spooler_process;
}

/* ---- writing a task ------------------------------------------------------ */

struct task {
	char vars[SPOOL_MAX_VARS_SIZE];
	size_t used;
	PyObject *spooler, *priority, *at, *body;	/* borrowed */
};

static PyObject *
dict_get(PyObject *d, const char *name)
{
	PyObject *k = PyBytes_FromString(name), *v;

	v = k ? PyDict_GetItemWithError(d, k) : NULL;
	Py_XDECREF(k);
	if (!v && !PyErr_Occurred())
		v = PyDict_GetItemString(d, name);
	return v;
}

static int
bytes_only(void)
{
	PyErr_SetString(PyExc_ValueError, "spooler callable dictionary must contains only bytes");
	return -1;
}

/* The vars block from the dict (bytes keys; values bytes, or bytes(value)
 * as uWSGI does); "body" stays out of it when it is bytes. */
static int
build_vars(PyObject *d, struct task *t)
{
	PyObject *key, *val;
	Py_ssize_t pos = 0;

	t->body = dict_get(d, "body");
	if (t->body && !PyBytes_Check(t->body))
		t->body = NULL;
	while (PyDict_Next(d, &pos, &key, &val)) {
		PyObject *b;
		int rc;

		if (val == t->body)
			continue;
		if (!PyBytes_Check(key))
			return bytes_only();
		b = PyBytes_Check(val) ? Py_NewRef(val) : PyObject_Bytes(val);
		if (!b) {
			PyErr_Clear();
			return bytes_only();
		}
		rc = spool_add_var(t->vars, sizeof(t->vars), &t->used, PyBytes_AS_STRING(key),
		                   (size_t)PyBytes_GET_SIZE(key), PyBytes_AS_STRING(b),
		                   (size_t)PyBytes_GET_SIZE(b));
		Py_DECREF(b);
		if (rc < 0) {
			log_msg("[uwsgi-spooler] args buffer is limited to 64k, use the 'body' for bigger values");
			PyErr_SetString(PyExc_ValueError, "unable to spool job");
			return -1;
		}
	}
	t->spooler = dict_get(d, "spooler");
	t->priority = dict_get(d, "priority");
	t->at = dict_get(d, "at");
	return PyErr_Occurred() ? -1 : 0;
}

static const char *
as_text(PyObject *o)
{
	if (o && PyBytes_Check(o))
		return PyBytes_AS_STRING(o);
	if (o && PyUnicode_Check(o))
		return PyUnicode_AsUTF8(o);
	return NULL;
}

static const char *
pick_dir(const struct wsgi_hooks *h, PyObject *want)
{
	const char *name = as_text(want);

	if (!h || !h->nspoolers) {
		log_msg("[uwsgi-spooler] no spooler available");
		return NULL;
	}
	if (!name || !*name)
		return h->spoolers[0];
	for (size_t i = 0; i < h->nspoolers; i++)
		if (strcmp(h->spoolers[i], name) == 0)
			return h->spoolers[i];
	log_msg("[uwsgi-spooler] unable to find spooler \"%s\"", name);
	return NULL;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* header, vars, body into a hidden file, then rename(): all or nothing */
static char *
write_task(const char *dir, const char *prio, const struct task *t, long long at)
{
	static unsigned long long counter;
	char host[128], hdr[4];
	struct timeval tv;
	const char *body = t->body ? PyBytes_AS_STRING(t->body) : NULL;
	size_t blen = t->body ? (size_t)PyBytes_GET_SIZE(t->body) : 0;

	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	gettimeofday(&tv, NULL);
	char *sub = prio ? xasprintf("%s/%s", dir, prio) : xstrdup(dir);
	if (prio)
		(void)mkdir(sub, 0700);	/* may exist */
	char *name = xasprintf(TASK_PREFIX "%s_%d_%llu_%d_%lld_%lld", host, (int)getpid(), ++counter,
	                       rand(), (long long)tv.tv_sec, (long long)tv.tv_usec);
	char *tmp = xasprintf("%s/.stockade_spooltmp_%s", sub, name);
	char *path = xasprintf("%s/%s", sub, name);
	int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	bool ok = fd >= 0;

	spool_header(hdr, t->used);
	ok = ok && write_all(fd, hdr, 4) == 0 && write_all(fd, t->vars, t->used) == 0 &&
	     (!blen || write_all(fd, body, blen) == 0);
	if (ok && at > 0) {
		/* a task for later: the spooler skips files whose mtime is ahead */
		struct timespec ts[2] = { { (time_t)at, 0 }, { (time_t)at, 0 } };
		ok = futimens(fd, ts) == 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok) {
		log_errno("[uwsgi-spooler] writing %s", path);
		unlink(tmp);
		free(path);
		path = NULL;
	} else {
		log_msg("[spooler] written %zu bytes to file %s", 4 + t->used + blen, path);
	}
	free(tmp);
	free(name);
	free(sub);
	return path;
}

static PyObject *
py_spool(PyObject *self, PyObject *args, PyObject *kw)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	PyObject *d = PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0) : kw;
	struct task *t;
	const char *dir, *prio;
	long long at = 0;
	char *path;

	(void)self;
	if (!d || !PyDict_Check(d))
		return PyErr_Format(PyExc_ValueError, "The argument of spooler callable must be a dictionary");
	t = xcalloc(1, sizeof(*t));
	if (build_vars(d, t) < 0) {
		free(t);
		return NULL;
	}
	prio = as_text(t->priority);
	if (prio && (!*prio || strchr(prio, '/') || *prio == '.')) {
		free(t);
		return PyErr_Format(PyExc_ValueError, "spool(): bad priority '%s'", prio);
	}
	if (t->at) {
		const char *s = as_text(t->at);
		at = s ? strtoll(s, NULL, 10) : PyLong_AsLongLong(t->at);
		if (at == -1 && PyErr_Occurred()) {
			free(t);
			return NULL;
		}
	}
	if (!(dir = pick_dir(h, t->spooler))) {
		free(t);
		return PyErr_Format(PyExc_ValueError, "unable to spool job");
	}
	Py_BEGIN_ALLOW_THREADS
	path = write_task(dir, prio, t, at);
	Py_END_ALLOW_THREADS
	free(t);
	if (!path)
		return PyErr_Format(PyExc_ValueError, "unable to spool job");
	/* wake a sleeping spooler: a full pipe means one is already due */
	if (h->spooler_wake_fd >= 0 && write(h->spooler_wake_fd, "t", 1) < 0 && errno != EAGAIN)
		log_errno("[uwsgi-spooler] wake-up");
	PyObject *r = PyBytes_FromString(path);
	free(path);
	return r;
}

static PyObject *
py_spoolers_tuple(void)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	PyObject *t = PyTuple_New(h ? (Py_ssize_t)h->nspoolers : 0);

	for (size_t i = 0; t && h && i < h->nspoolers; i++) {
		PyObject *s = PyBytes_FromString(h->spoolers[i]);
		if (!s) {
			Py_CLEAR(t);
			break;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)i, s);
	}
	return t;
}

PyMethodDef uwsgi_module_spool_methods[] = {
	{"spool", (PyCFunction)(void (*)(void))py_spool, METH_VARARGS | METH_KEYWORDS,
	 "write a task for the spooler; returns its file name"},
	{"send_to_spooler", (PyCFunction)(void (*)(void))py_spool, METH_VARARGS | METH_KEYWORDS,
	 "the same as spool()"},
	{NULL, NULL, 0, NULL},
};

int
uwsgi_module_add_spool(PyObject *mod)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	PyObject *t;

	if (PyModule_AddFunctions(mod, uwsgi_module_spool_methods) < 0)
		return -1;
	if (!h || !h->nspoolers)
		return 0;
	t = py_spoolers_tuple();
	if (!t || PyModule_AddObject(mod, "spoolers", t) < 0) {
		Py_XDECREF(t);
		return -1;
	}
	return 0;
}

/* ---- running tasks (in a spooler process) -------------------------------- */

static int
add_var(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	PyObject *k = PyBytes_FromStringAndSize(key, (Py_ssize_t)klen);
	PyObject *v = k ? PyBytes_FromStringAndSize(val, (Py_ssize_t)vlen) : NULL;
	int rc = v ? PyDict_SetItem(arg, k, v) : -1;

	Py_XDECREF(k);
	Py_XDECREF(v);
	return rc;
}

/* The task as uWSGI hands it over: bytes keys and values, plus
 * "spooler_task_name" and "body" (str keys). NULL: malformed (*why set). */
static PyObject *
task_dict(const char *path, const char *buf, size_t len, const char **why)
{
	PyObject *d = PyDict_New(), *o;
	const char *body;
	size_t blen;

	if (!d)
		return NULL;
	if (spool_parse(buf, len, add_var, d, &body, &blen, why) < 0) {
		if (PyErr_Occurred())
			PyErr_Clear();
		Py_DECREF(d);
		return NULL;
	}
	o = PyBytes_FromString(path);
	if (o && PyDict_SetItemString(d, "spooler_task_name", o) == 0 && blen) {
		Py_DECREF(o);
		o = PyBytes_FromStringAndSize(body, (Py_ssize_t)blen);
		if (o && PyDict_SetItemString(d, "body", o) < 0)
			Py_CLEAR(o);
	}
	if (!o) {
		PyErr_Clear();
		*why = "out of memory";
		Py_DECREF(d);
		return NULL;
	}
	Py_DECREF(o);
	return d;
}

static char *
read_fd(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < 0)
		return NULL;
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*len = got;
	return buf;
}

/* Calls uwsgi.spooler(task): uWSGI's return codes, -1 (retry) on error. */
static long
call_spooler(PyObject *task)
{
	PyObject *mod = uwsgi_module_object();
	PyObject *fn = mod ? PyObject_GetAttrString(mod, "spooler") : NULL;
	long rc = -1;

	if (!fn || !PyCallable_Check(fn)) {
		PyErr_Clear();
		Py_XDECREF(fn);
		log_msg("unable to find the spooler function, have you loaded it into the spooler process ?");
		return 0;
	}
	PyObject *r = PyObject_CallOneArg(fn, task);
	Py_DECREF(fn);
	if (!r) {
		wsgi_log_exception("[spooler] the task raised");
		return -1;
	}
	if (PyLong_Check(r))
		rc = PyLong_AsLong(r);
	if (rc == -1 && PyErr_Occurred())
		PyErr_Clear();
	Py_DECREF(r);
	return rc;
}

/* One task file. Returns 1 when it ran (counted), else 0. */
static int
run_task(const char *dir, const char *path)
{
	struct stat st;
	const char *why = NULL;
	size_t len = 0;
	int fd, ran = 0;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_mtime > time(NULL))
		return 0;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	/* another spooler runs it, or finished and unlinked it meanwhile */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0 || st.st_nlink == 0) {
		close(fd);
		return 0;
	}
	char *buf = read_fd(fd, &len);
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *task = buf ? task_dict(path, buf, len, &why) : NULL;
	if (!task) {
		log_msg("[spooler %s pid: %d] %s: malformed task (%s): removed", dir, (int)getpid(), path,
		        why ? why : "unreadable");
		unlink(path);
	} else {
		time_t t0 = time(NULL);
		log_msg("[spooler %s pid: %d] managing request %s ...", dir, (int)getpid(), path);
		long rc = call_spooler(task);
		ran = rc != 0;
		if (rc == -2) {
			log_msg("[spooler %s pid: %d] done with task %s after %lld seconds", dir, (int)getpid(),
			        path, (long long)(time(NULL) - t0));
			unlink(path);
		}
		Py_DECREF(task);
	}
	PyGILState_Release(g);
	free(buf);
	close(fd);
	return ran;
}

/* The tasks of dir and of its priority subdirectories. */
static unsigned long long
scan(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned long long n = 0;

	if (!d) {
		log_errno("[spooler] opendir(%s)", dir);
		return 0;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (strncmp(e->d_name, TASK_PREFIX, strlen(TASK_PREFIX)) == 0)
			n += (unsigned long long)run_task(dir, path);
		else if (depth == 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			n += scan(path, 1);
		free(path);
	}
	closedir(d);
	return n;
}

int
wsgi_spooler_run(const struct wsgi_spooler_config *sc)
{
	unsigned long long tasks = 0;
	int timeout = (int)(sc->frequency ? sc->frequency : 30) * 1000;
	PyGILState_STATE g;

	spooler_process = true;
	uwsgi_signal_after_fork(0, 0, true);
	g = PyGILState_Ensure();
	uwsgi_module_import_list(sc->imports, sc->nimports, "spooler-import");
	PyGILState_Release(g);
	for (;;) {
		tasks += scan(sc->dir, 0);
		if (sc->max_tasks && tasks >= sc->max_tasks) {
			log_msg("[spooler %s pid: %d] maximum number of tasks reached (%llu) recycling ...",
			        sc->dir, (int)getpid(), sc->max_tasks);
			return 0;
		}
		struct pollfd p = { sc->wake_fd, POLLIN, 0 };
		if (poll(&p, sc->wake_fd >= 0 ? 1 : 0, timeout) > 0) {
			char drain[64];
			while (read(sc->wake_fd, drain, sizeof(drain)) > 0)
				;
		}
	}
}
