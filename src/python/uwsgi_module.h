/* SPDX-License-Identifier: MIT */
/*
 * The `uwsgi` Python module (uwsgi_module*.c), as wsgi.c and handler.c call
 * it; not a public API. Every function expects the GIL held.
 */
#ifndef STOCKADE_UWSGI_MODULE_H
#define STOCKADE_UWSGI_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "proto/request.h"
#include "python/wsgi.h"

/* `wsgi-disable-file-wrapper`: environ has no wsgi.file_wrapper */
extern bool wsgi_disable_file_wrapper;

/* Creates the module and puts it in sys.modules (before any app code
 * runs), sets sys.argv from `pyargv`. No-op without cfg->hooks.
 * 0, or -1 with a Python exception set. */
int	uwsgi_module_create(const struct wsgi_config *cfg);

/* The `import` option: imports each module in order. 0, or -1 after
 * logging the failing module and its traceback. */
int	uwsgi_module_imports(void);

/* In a new worker: calls uwsgi.post_fork_hook if the app set one. */
void	uwsgi_module_after_fork(void);

/* At shutdown: calls uwsgi.atexit if the app set one. */
void	uwsgi_module_atexit(void);

/* Around one request on the calling thread: the connection's io (for
 * connection_fd() and chunked_read()), the request id, the log variables. */
void	uwsgi_module_request_begin(struct request_io *io);
void	uwsgi_module_request_end(void);

/* The per-request functions (uwsgi_module_req.c), added to the module. */
extern PyMethodDef uwsgi_module_req_methods[];
/* What uwsgi_module_create() was given, and the module (NULL before). */
const struct wsgi_hooks	*uwsgi_module_hooks(void);
PyObject		*uwsgi_module_object(void);

/* Imports modules or .py files; a failure is logged naming `what`, and
 * the next one is tried (as uWSGI). */
void	uwsgi_module_import_list(const char *const *names, size_t n, const char *what);

/* Imports a .py file as a module named from its path ("lib/x.py": lib.x).
 * New reference, or NULL with an exception set. */
PyObject	*uwsgi_module_import_path(const char *path);

/* `mount` and `manage-script-name` (mounts.c). */
int		 wsgi_mounts_load(const struct wsgi_config *cfg);
size_t		 wsgi_mounts_count(void);
PyObject	*wsgi_mount_pick(const struct kv *vars, size_t n, PyObject *dflt,
			 struct kv **fixed, size_t *nfixed);
void		 wsgi_mounts_free(void);

/* The spooler (uwsgi_module_spool.c): spool(), send_to_spooler(),
 * uwsgi.spoolers. 0, or -1 with an exception. */
int	uwsgi_module_add_spool(PyObject *mod);
bool	uwsgi_module_is_spooler(void);

/* Mules (uwsgi_module_mule.c): mule_msg(), mule_get_msg(). */
extern PyMethodDef uwsgi_module_mule_methods[];
int	uwsgi_module_mule_id(void);

/* The cache calls (uwsgi_module_cache.c). */
extern PyMethodDef uwsgi_module_cache_methods[];

/* Signals and timers (uwsgi_module_signal.c). */
extern PyMethodDef uwsgi_module_signal_methods[];

/* The calls Stockade does not implement (uwsgi_module_refused.c): each
 * raises NotImplementedError naming itself. 0, or -1 with an exception. */
int	uwsgi_module_add_refused(PyObject *mod);

#endif
