/* SPDX-License-Identifier: MIT */
/*
 * The `uwsgi` module: uWSGI's API for apps (plugins/python/uwsgi_pymodule.c)
 * on top of what the server layer hands down in struct wsgi_hooks. This
 * file holds the module's creation, its constants, the identity and
 * control calls, the user locks and the fork/exit hooks; per-request calls
 * are in uwsgi_module_req.c, the refused ones in uwsgi_module_refused.c.
 */
#include "python/uwsgi_module.h"
#include "python/uwsgi_signal.h"
#include "python/wsgi_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/platform.h"
#include "base/shm_locks.h"
#include "base/util.h"

bool wsgi_disable_file_wrapper;

static const struct wsgi_hooks *hooks;
static PyObject *module;		/* sys.modules["uwsgi"], ours */
static char **imports;
static size_t nimports;

/* ---- identity and control ----------------------------------------------- */

static PyObject *
py_worker_id(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromLong(hooks->worker_id ? hooks->worker_id() : 0);
}

static PyObject *
py_mule_id(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromLong(uwsgi_module_mule_id());
}

static PyObject *
py_masterpid(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromLong(hooks->masterpid ? (long)hooks->masterpid() : 0);
}

static PyObject *
py_total_requests(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromUnsignedLongLong(hooks->total_requests ? hooks->total_requests() : 0);
}

static PyObject *
py_i_am_the_spooler(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	if (uwsgi_module_is_spooler())
		Py_RETURN_TRUE;
	Py_RETURN_NONE;		/* uWSGI answers None, not False, outside it */
}

static int
set_u64(PyObject *d, const char *key, uint64_t v)
{
	PyObject *o = PyLong_FromUnsignedLongLong(v);
	int rc = o ? PyDict_SetItemString(d, key, o) : -1;
	Py_XDECREF(o);
	return rc;
}

static PyObject *
worker_dict(const struct wsgi_worker_info *w)
{
	PyObject *d = PyDict_New(), *o;
	int rc;

	if (!d)
		return NULL;
	rc = set_u64(d, "id", (uint64_t)w->id) | set_u64(d, "pid", (uint64_t)w->pid) |
	     set_u64(d, "requests", w->requests) |
	     set_u64(d, "delta_requests", w->delta_requests) |
	     set_u64(d, "signals", 0) | set_u64(d, "exceptions", w->exceptions) |
	     set_u64(d, "rss", w->rss) | set_u64(d, "vsz", w->vsz) |
	     set_u64(d, "running_time", w->running_time_us) |
	     set_u64(d, "respawn_count", w->respawn_count) | set_u64(d, "tx", w->tx) |
	     set_u64(d, "avg_rt", w->avg_rt_us);
	o = PyLong_FromLongLong(w->last_spawn);
	rc |= o ? PyDict_SetItemString(d, "last_spawn", o) : -1;
	Py_XDECREF(o);
	o = PyBytes_FromString(w->status ? w->status : "idle");
	rc |= o ? PyDict_SetItemString(d, "status", o) : -1;
	Py_XDECREF(o);
	o = PyTuple_New(0);
	rc |= o ? PyDict_SetItemString(d, "apps", o) : -1;
	Py_XDECREF(o);
	if (rc != 0) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/* A tuple of one dict per worker, with uWSGI's keys. */
static PyObject *
py_workers(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	size_t max = hooks->numproc > 0 ? (size_t)hooks->numproc : 1;
	struct wsgi_worker_info *info = xcalloc(max, sizeof(*info));
	size_t n = hooks->workers ? hooks->workers(info, max) : 0;
	PyObject *t = PyTuple_New((Py_ssize_t)n);

	for (size_t i = 0; t && i < n; i++) {
		PyObject *d = worker_dict(&info[i]);
		if (!d) {
			Py_CLEAR(t);
			break;
		}
		PyTuple_SET_ITEM(t, (Py_ssize_t)i, d);
	}
	free(info);
	return t;
}

static PyObject *
control(int (*fn)(void), const char *what)
{
	if (!fn) {
		PyErr_Format(PyExc_RuntimeError, "uwsgi.%s(): no master to ask", what);
		return NULL;
	}
	if (fn() < 0) {
		log_errno("uwsgi.%s()", what);
		Py_RETURN_NONE;		/* uWSGI: None when kill() failed */
	}
	Py_RETURN_TRUE;
}

static PyObject *
py_reload(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return control(hooks->reload, "reload");
}

static PyObject *
py_stop(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return control(hooks->stop, "stop");
}

static PyObject *
py_log(PyObject *self, PyObject *args)
{
	const char *line;

	(void)self;
	if (!PyArg_ParseTuple(args, "s:log", &line))
		return NULL;
	log_msg("%s", line);
	Py_RETURN_TRUE;
}

static PyObject *
py_setprocname(PyObject *self, PyObject *args)
{
	const char *name;

	(void)self;
	if (!PyArg_ParseTuple(args, "s:setprocname", &name))
		return NULL;
	if (platform_set_procname(name) < 0)
		log_errno("uwsgi.setprocname(%s)", name);
	Py_RETURN_NONE;
}

/* ---- user locks (`locks = N`: lock 0 to N) ------------------------------- */

static int
lock_arg(PyObject *args, const char *fmt, size_t *out)
{
	int n = 0;

	if (uwsgi_module_is_spooler()) {
		PyErr_SetString(PyExc_ValueError, "The spooler cannot lock/unlock resources");
		return -1;
	}
	if (!PyArg_ParseTuple(args, fmt, &n))
		return -1;
	if (n < 0 || (size_t)n >= shm_locks_count(hooks->locks)) {
		PyErr_SetString(PyExc_ValueError, "Invalid lock number");
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

static PyObject *
py_lock(PyObject *self, PyObject *args)
{
	size_t n;
	int rc;

	(void)self;
	if (lock_arg(args, "|i:lock", &n) < 0)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = shm_lock(hooks->locks, n);
	Py_END_ALLOW_THREADS
	if (rc < 0)
		return PyErr_Format(PyExc_RuntimeError, "uwsgi.lock(%zu): already held by this process", n);
	Py_RETURN_NONE;
}

static PyObject *
py_unlock(PyObject *self, PyObject *args)
{
	size_t n;

	(void)self;
	if (lock_arg(args, "|i:unlock", &n) < 0)
		return NULL;
	/* uWSGI ignores unlocking a lock one does not hold: so do we */
	shm_unlock(hooks->locks, n);
	Py_RETURN_NONE;
}

static PyObject *
py_is_locked(PyObject *self, PyObject *args)
{
	size_t n;

	(void)self;
	if (lock_arg(args, "|i:is_locked", &n) < 0)
		return NULL;
	return PyBool_FromLong(shm_is_locked(hooks->locks, n));
}

static PyMethodDef methods[] = {
	{"worker_id", py_worker_id, METH_NOARGS, "this worker's id (1..N), 0 outside a worker"},
	{"mule_id", py_mule_id, METH_NOARGS, "this mule's id (1..N), 0 outside a mule"},
	{"masterpid", py_masterpid, METH_NOARGS, "the master's pid, 0 without a master"},
	{"total_requests", py_total_requests, METH_NOARGS, "requests served by the instance"},
	{"workers", py_workers, METH_NOARGS, "a dict per worker"},
	{"reload", py_reload, METH_NOARGS, "gracefully reload the instance"},
	{"stop", py_stop, METH_NOARGS, "stop the instance"},
	{"log", py_log, METH_VARARGS, "write a line to the log"},
	{"setprocname", py_setprocname, METH_VARARGS, "set this process' name"},
	{"lock", py_lock, METH_VARARGS, "take user lock n (default 0)"},
	{"unlock", py_unlock, METH_VARARGS, "release user lock n (default 0)"},
	{"is_locked", py_is_locked, METH_VARARGS, "whether user lock n is held"},
	{"i_am_the_spooler", py_i_am_the_spooler, METH_NOARGS, "None: not the spooler"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {
	PyModuleDef_HEAD_INIT, "uwsgi", "Stockade's implementation of uWSGI's API", -1,
	NULL, NULL, NULL, NULL, NULL,
};

/* ---- creation ------------------------------------------------------------ */

/* uwsgi.opt as uWSGI 2.0 gives it: str keys, bytes values (True for a flag
 * given without one); a repeated key keeps its last value. */
static PyObject *
opt_dict(void)
{
	PyObject *d = PyDict_New();

	for (size_t i = 0; d && i < hooks->nopt; i++) {
		const char *v = hooks->opt_values[i];
		PyObject *val = v ? PyBytes_FromString(v) : Py_NewRef(Py_True);
		int rc = val ? PyDict_SetItemString(d, hooks->opt_keys[i], val) : -1;
		Py_XDECREF(val);
		if (rc < 0)
			Py_CLEAR(d);
	}
	return d;
}

static int
add_obj(PyObject *mod, const char *name, PyObject *o)
{
	if (!o)
		return -1;
	int rc = PyModule_AddObject(mod, name, o);
	if (rc < 0)
		Py_DECREF(o);
	return rc;
}

static int
add_values(PyObject *mod)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (add_obj(mod, "opt", opt_dict()) < 0 ||
	    add_obj(mod, "version", PyBytes_FromString(STOCKADE_VERSION)) < 0 ||
	    add_obj(mod, "hostname", PyBytes_FromString(host)) < 0 ||
	    add_obj(mod, "numproc", PyLong_FromLong(hooks->numproc)) < 0 ||
	    add_obj(mod, "started_on", PyLong_FromLongLong(hooks->started_on)) < 0 ||
	    add_obj(mod, "is_a_reload", PyBool_FromLong(hooks->is_a_reload)) < 0 ||
	    add_obj(mod, "has_threads", PyLong_FromLong(wsgi_threads)) < 0 ||
	    add_obj(mod, "cores", PyLong_FromLong(1)) < 0 ||
	    add_obj(mod, "unbit", Py_NewRef(Py_None)) < 0 ||
	    add_obj(mod, "SPOOL_RETRY", PyLong_FromLong(-1)) < 0 ||
	    add_obj(mod, "SPOOL_OK", PyLong_FromLong(-2)) < 0 ||
	    add_obj(mod, "SPOOL_IGNORE", PyLong_FromLong(0)) < 0)
		return -1;
	return 0;
}

/* sys.argv = ["stockade", pyargv split on spaces...] as uWSGI splits it */
static int
set_argv(const char *pyargv)
{
	PyObject *argv = Py_BuildValue("[s]", "stockade");
	char *copy = xstrdup(pyargv), *save = NULL;
	int rc = argv ? 0 : -1;

	for (char *t = strtok_r(copy, " ", &save); t && rc == 0; t = strtok_r(NULL, " ", &save)) {
		PyObject *s = PyUnicode_DecodeFSDefault(t);
		rc = s ? PyList_Append(argv, s) : -1;
		Py_XDECREF(s);
	}
	free(copy);
	if (rc == 0)
		rc = PySys_SetObject("argv", argv);
	Py_XDECREF(argv);
	return rc;
}

int
uwsgi_module_create(const struct wsgi_config *cfg)
{
	wsgi_disable_file_wrapper = cfg->disable_file_wrapper;
	if (!cfg->hooks)
		return 0;
	hooks = cfg->hooks;
	imports = xcalloc(cfg->nimports + 1, sizeof(*imports));
	for (size_t i = 0; i < cfg->nimports; i++)
		imports[i] = xstrdup(cfg->imports[i]);
	nimports = cfg->nimports;

	PyObject *mod = PyModule_Create(&moddef);
	if (!mod)
		return -1;
	if (PyModule_AddFunctions(mod, methods) < 0 ||
	    PyModule_AddFunctions(mod, uwsgi_module_req_methods) < 0 ||
	    PyModule_AddFunctions(mod, uwsgi_module_cache_methods) < 0 ||
	    PyModule_AddFunctions(mod, uwsgi_module_mule_methods) < 0 ||
	    PyModule_AddFunctions(mod, uwsgi_module_signal_methods) < 0 ||
	    uwsgi_module_add_spool(mod) < 0 ||
	    add_values(mod) < 0 || uwsgi_module_add_refused(mod) < 0) {
		Py_DECREF(mod);
		return -1;
	}
	PyObject *modules = PyImport_GetModuleDict();	/* borrowed */
	if (PyDict_SetItemString(modules, "uwsgi", mod) < 0) {
		Py_DECREF(mod);
		return -1;
	}
	module = mod;
	if (cfg->pyargv && set_argv(cfg->pyargv) < 0)
		return -1;
	return 0;
}

/* A file (a '/' or ".py" in the name) is imported as a module named like
 * uWSGI's uwsgi_pythonize(): "lib/sig.py" is "lib.sig". */
PyObject *
uwsgi_module_import_path(const char *path)
{
	char *name = xstrdup(path), *w = name;
	size_t len = strlen(name);
	PyObject *util, *spec = NULL, *mod = NULL, *r = NULL;

	if (len > 3 && strcmp(name + len - 3, ".py") == 0)
		name[len - 3] = '\0';
	for (const char *p = name; *p; p++)
		if (*p != '.' || w != name)
			*w++ = *p == '/' ? '.' : *p;
	*w = '\0';
	util = PyImport_ImportModule("importlib.util");
	if (util)
		spec = PyObject_CallMethod(util, "spec_from_file_location", "ss", name, path);
	if (spec == Py_None) {
		Py_CLEAR(spec);
		PyErr_Format(PyExc_ImportError, "%s: not a Python file", path);
	}
	if (spec)
		mod = PyObject_CallMethod(util, "module_from_spec", "O", spec);
	if (mod && PyDict_SetItemString(PyImport_GetModuleDict(), name, mod) == 0) {
		PyObject *loader = PyObject_GetAttrString(spec, "loader");
		r = loader ? PyObject_CallMethod(loader, "exec_module", "O", mod) : NULL;
		Py_XDECREF(loader);
	}
	if (!r)
		Py_CLEAR(mod);
	Py_XDECREF(r);
	Py_XDECREF(spec);
	Py_XDECREF(util);
	free(name);
	return mod;
}

void
uwsgi_module_import_list(const char *const *names, size_t n, const char *what_option)
{
	for (size_t i = 0; i < n; i++) {
		const char *imp = names[i];
		size_t len = strlen(imp);
		bool file = strchr(imp, '/') || (len > 3 && strcmp(imp + len - 3, ".py") == 0);
		PyObject *m = file ? uwsgi_module_import_path(imp) : PyImport_ImportModule(imp);

		if (!m) {
			char *what = xasprintf("unable to import %s (%s option)", imp, what_option);
			wsgi_log_exception(what);
			free(what);
		}
		Py_XDECREF(m);
	}
}

/* As uWSGI, a module that fails to import is logged and skipped. */
int
uwsgi_module_imports(void)
{
	uwsgi_module_import_list((const char *const *)imports, nimports, "import");
	return 0;
}

const struct wsgi_hooks *
uwsgi_module_hooks(void)
{
	return hooks;
}

PyObject *
uwsgi_module_object(void)
{
	return module;
}

/* Calls uwsgi.<name>() if the app assigned a callable to it; an exception
 * is logged, the process goes on (as uWSGI). */
static void
call_hook(const char *name)
{
	if (!module)
		return;
	PyObject *fn = PyObject_GetAttrString(module, name);
	if (!fn) {
		PyErr_Clear();
		return;
	}
	if (PyCallable_Check(fn)) {
		PyObject *r = PyObject_CallNoArgs(fn);
		if (!r) {
			char *what = xasprintf("uwsgi.%s", name);
			wsgi_log_exception(what);
			free(what);
		}
		Py_XDECREF(r);
	}
	Py_DECREF(fn);
}

void
uwsgi_module_after_fork(void)
{
	call_hook("post_fork_hook");
	if (hooks && hooks->worker_id)
		uwsgi_signal_after_fork(hooks->worker_id(), 0, false);
}

void
uwsgi_module_atexit(void)
{
	call_hook("atexit");
	for (size_t i = 0; imports && i < nimports; i++)
		free(imports[i]);
	free(imports);
	imports = NULL;
	nimports = 0;
	Py_CLEAR(module);
}
