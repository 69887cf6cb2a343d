/* SPDX-License-Identifier: MIT */
/*
 * Embedded CPython running one PEP 3333 (WSGI) application.
 *
 * Life cycle, in one process (the master) and then in each forked worker:
 *
 *	wsgi_init(&cfg);          start the interpreter, set sys.path
 *	wsgi_load_app();          import the app (before fork: copy-on-write)
 *	fork();
 *	wsgi_after_fork();        in every child that will run Python
 *	wsgi_handle(...);         once per request, from the worker thread
 *	wsgi_finalize();          atexit hooks, then the interpreter is gone
 *
 * The interpreter can be started once per process. All functions but
 * wsgi_handle() and the thread ones below must be called from the same
 * thread (the worker's main thread).
 *
 * The GIL: the calling thread holds it from wsgi_init() on. With
 * enable_threads it is released while blocked in request_io calls and
 * between requests in a worker (after wsgi_after_fork() or the first
 * wsgi_handle()), so that threads started by the app can run. Fork from a
 * process that holds it (one that has not served requests, like a
 * preforking master); forking after serving works too on CPython 3.11.
 */
#ifndef STOCKADE_WSGI_H
#define STOCKADE_WSGI_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/request.h"

struct wsgi_config {
	/* `wsgi-file`: path to a Python file (any extension, e.g. .wsgi),
	 * executed as module "stockade_file_<mangled path>". Takes precedence
	 * over `module` when both are set. */
	const char *wsgi_file;
	/* `module` / `wsgi`: "pkg.mod" or "pkg.mod:callable" */
	const char *module;
	/* `callable`: default "application"; ":callable" in `module` wins */
	const char *callable;
	/* `pythonpath`: prepended to sys.path in this order, before "." (the
	 * working directory, as uWSGI adds); an entry with glob characters
	 * expands to its matches, or stays literal if nothing matches */
	const char *const *pythonpath;
	size_t npythonpath;
	/* `home` / `virtualenv`: a venv (has pyvenv.cfg) or a Python prefix */
	const char *home;
	bool enable_threads;	/* `enable-threads` (implied by threads > 1) */
	bool multithread;	/* wsgi.multithread: threads > 1, as uWSGI */
	bool multiprocess;	/* wsgi.multiprocess */
};

/* Starts the interpreter: no Python signal handlers, PYTHON* environment
 * variables ignored (except PYTHONMALLOC, for valgrind/ASan runs),
 * sys.argv == ["stockade"], unbuffered stdout/stderr.
 * The config is copied. Returns 0, or -1 after logging why. */
int wsgi_init(const struct wsgi_config *cfg);

/* disable-write-exception: write() returns None on a lost client
 * (python/write_errors.c). */
void wsgi_set_disable_write_exception(bool on);
bool wsgi_write_exception_disabled(void);

/* Imports the app and looks up its callable. On failure logs one line naming
 * the file/module and the Python error, then the traceback, and returns -1
 * (the caller exits with status 22). */
int wsgi_load_app(void);

/* Re-initialises interpreter state (locks, threading, os.register_at_fork
 * hooks) in a child after fork(). Harmless without wsgi_init(). */
void wsgi_after_fork(void);

/* Runs the app for one request. `vars` are the CGI variables (bytes, taken
 * as latin-1); `io` must stay valid until this returns. Exceptions are
 * logged with their traceback and answered with a 500 when no header was
 * sent yet. Returns 0 when a complete response was handed to `io` (the
 * app's or a 500), -1 when it could not be completed: the caller must close
 * the connection. */
int wsgi_handle(const struct kv *vars, size_t nvars, struct request_io *io);

/* Threads (issue 20). wsgi_release(): the calling thread (the one that
 * started Python or forked) lets go of the GIL, before other serving
 * threads start; it takes it back in wsgi_handle() and wsgi_finalize().
 * wsgi_thread_attach(): in another serving thread, once, its own thread
 * state (0, or -1 after logging why); wsgi_thread_detach() before that
 * thread ends. wsgi_handle() may then run in every attached thread at once:
 * each holds the GIL only while running Python (enable_threads must be set). */
void wsgi_release(void);
int wsgi_thread_attach(void);
void wsgi_thread_detach(void);

/* Runs atexit hooks, waits for non-daemon threads, stops the interpreter. */
void wsgi_finalize(void);

#endif
