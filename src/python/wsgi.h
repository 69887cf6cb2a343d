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
#include <stdint.h>
#include <sys/types.h>

#include "proto/request.h"

/* issue 22: what the `uwsgi` module (uwsgi_module*.c) needs from the server,
 * filled by the server layer (src/server/uwsgi_api.c); the Python layer
 * never includes server headers. */
struct wsgi_worker_info {
	int id;
	pid_t pid;
	uint64_t requests, delta_requests, exceptions, tx, running_time_us, avg_rt_us;
	uint64_t rss, vsz, respawn_count;
	int64_t last_spawn;
	const char *status;		/* "idle", "busy", "cheap", "pause" */
};

struct shm_locks;

struct wsgi_hooks {
	/* uwsgi.opt: the resolved options in order; a NULL value is True */
	const char *const *opt_keys;
	const char *const *opt_values;
	size_t nopt;
	int numproc;
	long long started_on;		/* unix time of the first start */
	bool is_a_reload;
	struct shm_locks *locks;	/* locks + 1 user locks (0 is uwsgi.lock()) */
	pid_t (*masterpid)(void);	/* 0 without a master */
	int (*worker_id)(void);		/* 0 outside a worker */
	uint64_t (*total_requests)(void);
	/* fills up to max entries, returns how many */
	size_t (*workers)(struct wsgi_worker_info *out, size_t max);
	/* gracefully reload / stop the instance: 0, or -1 with errno */
	int (*reload)(void);
	int (*stop)(void);
	/* the spooler: `spooler` directories (absolute) for uwsgi.spool(), a
	 * pipe's write end that wakes the spoolers (-1: none) */
	const char *const *spoolers;
	size_t nspoolers;
	int spooler_wake_fd;
	/* mules: the write ends of each mule's queue and of the shared one */
	const int *mule_fds;
	size_t nmules;
	int mule_shared_fd;
	/* signals: pipe ends, [0] any worker, [1..numproc] each worker,
	 * [numproc+1] any mule, then each mule, then the spoolers' (NULL: none);
	 * -1 until signal_pipes() made them (at the first register_signal, in
	 * the master before fork: an app without signals holds no such fds) */
	const int *sig_w, *sig_r;
	int (*signal_pipes)(void);
};

/* issue 22: in a mule process (the app loaded, after wsgi_after_fork()):
 * runs its program (a .py file, or module:callable), or hands each message
 * to uwsgi.mule_msg_hook forever. Returns the exit status. */
struct wsgi_mule_config {
	int id;			/* 1..N */
	const char *program;	/* NULL or "": a message loop */
	int fd, shared_fd;	/* read ends of its queue and the shared one */
};
int wsgi_mule_run(const struct wsgi_mule_config *mc);

/* issue 22: `py-autoreload`, in its own process (autoreload.c): never
 * returns; SIGHUP to the parent (the master) when a module file changed. */
struct wsgi_autoreload_config {
	unsigned seconds;
	const char *const *ignore;	/* `py-auto-reload-ignore`: module names */
	size_t nignore;
};
int wsgi_autoreload_run(const struct wsgi_autoreload_config *ac);

/* issue 22: in a spooler process (the app loaded, after wsgi_after_fork()):
 * imports `spooler-import`, then runs the tasks of dir until max_tasks
 * (0: forever) were run, checking every freq seconds or when wake_fd (the
 * read end) is readable. Returns the exit status for the process. */
struct wsgi_spooler_config {
	const char *dir;
	unsigned long long frequency;
	unsigned long long max_tasks;
	int wake_fd;
	const char *const *imports;
	size_t nimports;
};
int wsgi_spooler_run(const struct wsgi_spooler_config *sc);

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
	/* issue 22: the uwsgi module and its options */
	const struct wsgi_hooks *hooks;	/* NULL: no `uwsgi` module */
	const char *const *imports;	/* `import`: before the app */
	size_t nimports;
	const char *pyargv;		/* `pyargv`: split on spaces into sys.argv[1:] */
	int optimize;			/* `optimize`: sys.flags.optimize */
	bool disable_file_wrapper;	/* `wsgi-disable-file-wrapper` */
	const char *const *mounts;	/* `mount`: "MOUNTPOINT=APP" */
	size_t nmounts;
	bool manage_script_name;	/* `manage-script-name` */
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
/* issue 19: write-errors-tolerance; what a send that failed (or follows a
 * failed one) returns: 0 while the errors are tolerated, else -1. */
void wsgi_set_write_errors_tolerance(unsigned long long n);
int wsgi_write_failed_rc(void);
/* issue 19: no-default-app (python/mounts.c) */
void wsgi_set_no_default_app(bool on);

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

/* issue 22: an app-defined log variable of the last request (uwsgi.set_logvar)
 * for the request log's %(name); NULL when unset. */
const char *wsgi_logvar(const char *name, size_t len, size_t *vlen);

/* Runs atexit hooks, waits for non-daemon threads, stops the interpreter. */
void wsgi_finalize(void);

#endif
