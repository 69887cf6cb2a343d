/* SPDX-License-Identifier: MIT */
/*
 * Interpreter life cycle: start CPython, set sys.path, import the app,
 * survive fork(), shut down. The per-request side is in handler.c.
 */
#include "python/wsgi.h"
#include "python/eval_alias.h"
#include "python/wsgi_internal.h"
#include "python/uwsgi_module.h"

#include <ctype.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

bool wsgi_threads;
PyObject *wsgi_str_close;
PyObject *wsgi_str_read;

static bool started, finalized;
static char *cfg_wsgi_file, *cfg_module, *cfg_callable;
static PyObject *wsgi_app;
static PyObject *format_exception;	/* traceback.format_exception */
static struct wsgi_config mount_cfg;	/* issue 22: mounts, loaded with the app */
/* Non-NULL while this thread has released the GIL between requests: per
 * thread, a worker with threads has one thread state per serving thread. */
static __thread PyThreadState *idle_ts;

static void gil_hold(void);
static void gil_idle(void);

/* ---- logging Python errors ---------------------------------------------- */

/* "Type: message" for the one-line summary. */
static void
log_summary(const char *what, PyObject *type, PyObject *value)
{
	const char *name = PyExceptionClass_Check(type) ?
		PyExceptionClass_Name(type) : "exception";
	const char *dot = strrchr(name, '.');
	PyObject *msg = value ? PyObject_Str(value) : NULL;
	const char *text = msg ? PyUnicode_AsUTF8(msg) : NULL;

	if (!text)
		PyErr_Clear();
	if (text && *text)
		log_msg("%s: %s: %s", what, dot ? dot + 1 : name, text);
	else
		log_msg("%s: %s", what, dot ? dot + 1 : name);
	Py_XDECREF(msg);
}

static void
log_traceback(PyObject *type, PyObject *value, PyObject *tb)
{
	PyObject *lines = NULL, *text = NULL, *bytes = NULL;

	/* imported on the first traceback, not at start: traceback pulls in
	 * linecache, tokenize and re, a cost every (on-demand) start paid */
	if (!format_exception) {
		PyObject *mod = PyImport_ImportModule("traceback");
		format_exception = mod ? PyObject_GetAttrString(mod, "format_exception") : NULL;
		Py_XDECREF(mod);
		if (!format_exception)
			PyErr_Clear();
	}
	if (format_exception)
		lines = PyObject_CallFunctionObjArgs(format_exception, type,
		                                     value ? value : Py_None,
		                                     tb ? tb : Py_None, NULL);
	if (lines)
		text = PyUnicode_Join(NULL, lines);
	if (text)
		bytes = PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace");
	if (bytes) {
		log_write(PyBytes_AS_STRING(bytes), (unsigned long)PyBytes_GET_SIZE(bytes));
	} else {
		/* formatting failed (or traceback never imported): say something */
		PyErr_Clear();
		log_summary("python exception", type, value);
	}
	Py_XDECREF(lines);
	Py_XDECREF(text);
	Py_XDECREF(bytes);
}

void
wsgi_log_exception(const char *what)
{
	PyObject *type, *value, *tb;

#if PY_VERSION_HEX >= 0x030C0000
	value = PyErr_GetRaisedException();
	if (!value)
		return;
	type = Py_NewRef(Py_TYPE(value));
	tb = PyException_GetTraceback(value);
#else
	PyErr_Fetch(&type, &value, &tb);
	if (!type)
		return;
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);
#endif
	if (what)
		log_summary(what, type, value);
	log_traceback(type, value, tb);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

/* ---- start-up ----------------------------------------------------------- */

static bool
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
config_failed(PyStatus status, const char *what)
{
	if (!PyStatus_Exception(status))
		return false;
	log_msg("python: %s: %s%s%s", what, status.func ? status.func : "",
	        status.func ? ": " : "", status.err_msg ? status.err_msg : "failed");
	return true;
}

/* home: a venv is recognised by its pyvenv.cfg and entered the way
 * `venv/bin/python3` is: sys.executable points into it, and Python's own
 * path logic then uses the base installation's stdlib with the venv's
 * site-packages. Anything else is a prefix, i.e. PYTHONHOME. */
static bool
set_home(PyConfig *config, const char *home)
{
	char *pyvenv = xasprintf("%s/pyvenv.cfg", home);
	bool venv = access(pyvenv, F_OK) == 0;
	PyStatus status;

	free(pyvenv);
	if (venv) {
		char *exe = xasprintf("%s/bin/python3", home);
		status = PyConfig_SetBytesString(config, &config->executable, exe);
		free(exe);
	} else {
		status = PyConfig_SetBytesString(config, &config->home, home);
	}
	return !config_failed(status, "home");
}

/* Memory allocators by PYTHONMALLOC name. */
static const struct {
	const char *name;
	PyMemAllocatorName id;
} allocators[] = {
	{"default", PYMEM_ALLOCATOR_DEFAULT},
	{"debug", PYMEM_ALLOCATOR_DEBUG},
	{"malloc", PYMEM_ALLOCATOR_MALLOC},
	{"malloc_debug", PYMEM_ALLOCATOR_MALLOC_DEBUG},
	{"pymalloc", PYMEM_ALLOCATOR_PYMALLOC},
	{"pymalloc_debug", PYMEM_ALLOCATOR_PYMALLOC_DEBUG},
};

/* The environment is ignored except PYTHONMALLOC: valgrind and ASan runs
 * need Python's allocator swapped for malloc to see its memory at all. */
static int
preinitialize(void)
{
	const char *want = getenv("PYTHONMALLOC");
	PyPreConfig pre;

	PyPreConfig_InitPythonConfig(&pre);
	pre.parse_argv = 0;
	pre.use_environment = 0;
	for (size_t i = 0; want && i < sizeof(allocators) / sizeof(allocators[0]); i++)
		if (strcmp(want, allocators[i].name) == 0)
			pre.allocator = allocators[i].id;
	return config_failed(Py_PreInitialize(&pre), "pre-initialization") ? -1 : 0;
}

static int
start_interpreter(const struct wsgi_config *cfg)
{
	static char *argv[] = {"stockade"};
	PyConfig config;
	PyStatus status;

	if (preinitialize() < 0)
		return -1;
	PyConfig_InitPythonConfig(&config);
	config.install_signal_handlers = 0;	/* signals belong to the server */
	config.parse_argv = 0;
	config.use_environment = 0;		/* PYTHONPATH & co. do not apply */
	config.buffered_stdio = 0;		/* print() reaches the log at once */
	config.optimization_level = cfg->optimize;

	status = PyConfig_SetBytesArgv(&config, 1, argv);
	if (config_failed(status, "argv"))
		goto fail;
	if (cfg->home) {
		if (!is_dir(cfg->home)) {
			log_msg("python: home %s: not a directory", cfg->home);
			goto fail;
		}
		if (!set_home(&config, cfg->home))
			goto fail;
	}
	status = Py_InitializeFromConfig(&config);
	if (config_failed(status, "initialization failed"))
		goto fail;
	PyConfig_Clear(&config);
	return 0;
fail:
	PyConfig_Clear(&config);
	return -1;
}

static int
path_insert(PyObject *path, Py_ssize_t *at, const char *dir)
{
	PyObject *s = PyUnicode_DecodeFSDefault(dir);
	if (!s)
		return -1;
	int rc = PyList_Insert(path, (*at)++, s);
	Py_DECREF(s);
	return rc;
}

/* sys.path = [pythonpath..., ".", <default>] */
static int
setup_sys_path(const struct wsgi_config *cfg)
{
	PyObject *path = PySys_GetObject("path");	/* borrowed */
	Py_ssize_t at = 0;

	if (!path || !PyList_Check(path)) {
		PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
		return -1;
	}
	for (size_t i = 0; i < cfg->npythonpath; i++) {
		const char *entry = cfg->pythonpath[i];
		glob_t g;

		if (strpbrk(entry, "*?[") && glob(entry, 0, NULL, &g) == 0) {
			int rc = 0;
			for (size_t j = 0; j < g.gl_pathc && rc == 0; j++)
				rc = path_insert(path, &at, g.gl_pathv[j]);
			globfree(&g);
			if (rc < 0)
				return -1;
		} else if (path_insert(path, &at, entry) < 0) {
			return -1;
		}
	}
	return path_insert(path, &at, ".");
}

/* Importing `signal` hooks SIGINT whenever it is SIG_DFL, even with
 * install_signal_handlers = 0 (and subprocess, asyncio... import it).
 * Import it now and hand SIGINT back, so Ctrl-C and the server's own
 * signal set-up keep their meaning. The hook is in the C module `_signal`,
 * which is all this needs: `signal` itself would also import enum and
 * functools at every start. */
static int
keep_sigint(void)
{
	struct sigaction before;
	sigaction(SIGINT, NULL, &before);

	PyObject *mod = PyImport_ImportModule("_signal");
	if (!mod)
		return -1;
	int rc = 0;
	if (!(before.sa_flags & SA_SIGINFO) && before.sa_handler == SIG_DFL) {
		PyObject *r = PyObject_CallMethod(mod, "signal", "iN", SIGINT,
		                                  PyObject_GetAttrString(mod, "SIG_DFL"));
		rc = r ? 0 : -1;
		Py_XDECREF(r);
	}
	Py_DECREF(mod);
	return rc;
}

static int
init_globals(const struct wsgi_config *cfg)
{
	if (keep_sigint() < 0)
		return -1;
	if (PyType_Ready(&wsgi_input_type) < 0 ||
	    PyType_Ready(&wsgi_start_response_type) < 0 ||
	    PyType_Ready(&wsgi_file_wrapper_type) < 0 ||
	    PyType_Ready(&wsgi_errors_type) < 0)
		return -1;
	wsgi_str_close = PyUnicode_InternFromString("close");
	wsgi_str_read = PyUnicode_InternFromString("read");
	if (!wsgi_str_close || !wsgi_str_read)
		return -1;
	return wsgi_handler_init(cfg->multithread, cfg->multiprocess);
}

static void
free_config(void)
{
	free(cfg_wsgi_file);
	free(cfg_module);
	free(cfg_callable);
	cfg_wsgi_file = cfg_module = cfg_callable = NULL;
}

int
wsgi_init(const struct wsgi_config *cfg)
{
	/* our static types cannot outlive one interpreter: once per process */
	if (started || finalized) {
		log_msg("python: the interpreter can be started only once per process");
		return -1;
	}
	if (start_interpreter(cfg) < 0)
		return -1;
	started = true;
	wsgi_threads = cfg->enable_threads;
	cfg_wsgi_file = cfg->wsgi_file ? xstrdup(cfg->wsgi_file) : NULL;
	cfg_module = cfg->module ? xstrdup(cfg->module) : NULL;
	cfg_callable = xstrdup(cfg->callable && *cfg->callable ? cfg->callable : "application");
	mount_cfg = *cfg;	/* the server's config outlives the interpreter */

	if (init_globals(cfg) < 0 || setup_sys_path(cfg) < 0 || uwsgi_module_create(cfg) < 0) {
		wsgi_log_exception("python: initialization failed");
		wsgi_finalize();
		return -1;
	}
	return 0;
}

/* ---- loading the app ---------------------------------------------------- */

/* "/srv/app/wsgi.py" -> "stockade_file__srv_app_wsgi_py", like uWSGI's
 * uwsgi_file_* names: unique per path and a valid identifier. */
static char *
file_module_name(const char *path)
{
	char *name = xasprintf("stockade_file_%s", path);
	for (char *p = name + strlen("stockade_file_"); *p; p++)
		if (!isalnum((unsigned char)*p))
			*p = '_';
	return name;
}

/* Executes a source file as a fresh module registered in sys.modules. */
static PyObject *
import_file(const char *path)
{
	size_t len;
	char *src = read_file(path, &len);
	if (!src) {
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
		return NULL;
	}
	if (strlen(src) != len) {
		free(src);
		PyErr_SetString(PyExc_SyntaxError, "source code contains NUL bytes");
		return NULL;
	}

	/* an absolute __file__ stays right after a later chdir */
	char *abs = realpath(path, NULL);
	char *modname = file_module_name(path);
	PyObject *filename = PyUnicode_DecodeFSDefault(abs ? abs : path);
	PyObject *name = PyUnicode_FromString(modname);
	PyObject *code = NULL, *mod = NULL;

	free(abs);
	free(modname);
	if (filename && name)
		code = Py_CompileStringObject(src, filename, Py_file_input, NULL, -1);
	if (code)
		mod = PyImport_ExecCodeModuleObject(name, code, filename, NULL);
	free(src);
	Py_XDECREF(code);
	Py_XDECREF(name);
	Py_XDECREF(filename);
	return mod;
}

static PyObject *
find_callable(PyObject *mod, const char *name)
{
	PyObject *app = PyObject_GetAttrString(mod, name);
	if (!app) {
		if (!PyErr_ExceptionMatches(PyExc_AttributeError))
			return NULL;
		PyErr_Clear();
		PyObject *modname = PyModule_GetNameObject(mod);
		if (modname) {
			PyErr_Format(PyExc_AttributeError, "no callable '%s' in module '%U'",
			             name, modname);
			Py_DECREF(modname);
		}
		return NULL;
	}
	if (!PyCallable_Check(app)) {
		PyErr_Format(PyExc_TypeError, "'%s' is a %.100s, not a callable",
		             name, Py_TYPE(app)->tp_name);
		Py_DECREF(app);
		return NULL;
	}
	return app;
}

int
wsgi_load_app(void)
{
	PyObject *mod, *app;
	char *what;

	if (!started) {
		log_msg("python: wsgi_load_app() before wsgi_init()");
		return -1;
	}
	gil_hold();
	if (wsgi_app) {
		log_msg("python: the app is already loaded");
		return -1;
	}
	/* issue 19: pymodule-alias first (uWSGI: at the interpreter's start) */
	if (wsgi_pymodule_aliases_load() < 0 || uwsgi_module_imports() < 0 || wsgi_mounts_load(&mount_cfg) < 0)
		return -1;

	if (cfg_wsgi_file) {
		what = xasprintf("unable to load wsgi-file %s", cfg_wsgi_file);
		mod = import_file(cfg_wsgi_file);
		app = mod ? find_callable(mod, cfg_callable) : NULL;
	} else if (cfg_module) {
		/* "pkg.mod:callable" names its own callable */
		char *modname = xstrdup(cfg_module);
		char *colon = strchr(modname, ':');
		if (colon)
			*colon++ = '\0';
		what = xasprintf("unable to load module %s", modname);
		mod = PyImport_ImportModule(modname);
		app = mod ? find_callable(mod, colon && *colon ? colon : cfg_callable) : NULL;
		free(modname);
	} else if (wsgi_eval_wanted()) {	/* issue 19: eval */
		what = xstrdup("unable to load the eval code");
		mod = wsgi_eval_module();
		app = mod ? find_callable(mod, cfg_callable) : NULL;
	} else if (wsgi_mounts_count()) {
		return 0;	/* mounted apps only: the first is the default */
	} else {
		log_msg("python: no app configured (wsgi-file or module)");
		return -1;
	}

	Py_XDECREF(mod);
	if (!app) {
		wsgi_log_exception(what);
		free(what);
		return -1;
	}
	free(what);
	wsgi_app = app;
	return 0;
}

/* ---- fork and shutdown -------------------------------------------------- */

/* Makes sure the calling thread holds the GIL. */
static void
gil_hold(void)
{
	if (idle_ts) {
		PyEval_RestoreThread(idle_ts);
		idle_ts = NULL;
	}
}

/* With enable-threads, lets app threads run while the worker is idle. */
static void
gil_idle(void)
{
	if (wsgi_threads && !idle_ts)
		idle_ts = PyEval_SaveThread();
}

void
wsgi_after_fork(void)
{
	if (!started)
		return;
	/* If the parent had released the GIL, the thread that held it at
	 * fork() time does not exist here. Re-attach our thread state without
	 * waiting for the GIL; PyOS_AfterFork_Child() then recreates it, owned
	 * by us (CPython 3.11 semantics of PyThreadState_Swap). */
	if (idle_ts) {
		PyThreadState_Swap(idle_ts);
		idle_ts = NULL;
	}
	PyOS_AfterFork_Child();
	uwsgi_module_after_fork();
	gil_idle();
}

void
wsgi_release(void)
{
	if (started)
		gil_idle();
}

int
wsgi_thread_attach(void)
{
	if (!started)
		return 0;
	/* created once, without the GIL (CPython takes its runtime lock);
	 * the thread takes the GIL only to run Python */
	PyThreadState *ts = PyThreadState_New(PyInterpreterState_Main());
	if (!ts) {
		log_msg("python: cannot create a thread state");
		return -1;
	}
	idle_ts = ts;
	return 0;
}

void
wsgi_thread_detach(void)
{
	if (!started || !idle_ts)
		return;
	PyEval_RestoreThread(idle_ts);
	idle_ts = NULL;
	PyThreadState_Clear(PyThreadState_Get());
	PyThreadState_DeleteCurrent();
}

void
wsgi_finalize(void)
{
	if (!started)
		return;
	gil_hold();
	uwsgi_module_atexit();
	wsgi_handler_free();
	wsgi_mounts_free();
	Py_CLEAR(wsgi_app);
	Py_CLEAR(format_exception);
	Py_CLEAR(wsgi_str_close);
	Py_CLEAR(wsgi_str_read);
	if (Py_FinalizeEx() < 0)
		log_msg("python: errors while finalizing the interpreter");
	free_config();
	started = false;
	finalized = true;
}

int
wsgi_handle(const struct kv *vars, size_t nvars, struct request_io *io)
{
	struct kv *fixed;
	size_t n;
	PyObject *app = wsgi_mount_pick(vars, nvars, wsgi_app, &fixed, &n);

	if (!app) {
		free(fixed);
		if (!wsgi_app && !wsgi_mounts_count()) {
			log_msg("python: no app loaded");
			return -1;
		}
		/* issue 19: no-default-app, and no app for this SCRIPT_NAME */
		log_msg("--- no python application found, check your startup logs for errors ---");
		gil_hold();
		int rc = wsgi_handler_no_app(io);
		gil_idle();
		return rc;
	}
	gil_hold();
	uwsgi_module_request_begin(io);
	int rc = wsgi_handler_run(app, fixed ? fixed : vars, n, io);
	uwsgi_module_request_end();
	gil_idle();
	free(fixed);
	return rc;
}
