/* SPDX-License-Identifier: MIT */
/* Shared by the embedded-Python sources in src/python; not a public API. */
#ifndef STOCKADE_WSGI_INTERNAL_H
#define STOCKADE_WSGI_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdbool.h>
#include <stdint.h>

#include "proto/request.h"

/* Per-request response state, on wsgi_handle()'s stack. start_response and
 * write() reach it through their object; the pointer is cut when the
 * request ends so a callable kept by the app cannot touch a dead frame. */
struct wsgi_req {
	struct request_io *io;
	PyObject *status;	/* validated str, 1-byte kind, or NULL */
	PyObject *headers;	/* tuple of validated (str, str) tuples */
	bool head_sent;
	bool failed;		/* a send failed: the connection is unusable */
};

/* enable-threads: drop the GIL around blocking io so app threads run */
extern bool wsgi_threads;

static inline PyThreadState *io_begin(void)
{
	return wsgi_threads ? PyEval_SaveThread() : NULL;
}

static inline void io_end(PyThreadState *ts)
{
	if (ts)
		PyEval_RestoreThread(ts);
}

/* wsgi.input (input.c) */
extern PyTypeObject wsgi_input_type;
/* content_length < 0: unknown, read until io reports the end */
PyObject *wsgi_input_new(struct request_io *io, int64_t content_length);
void wsgi_input_detach(PyObject *input);

/* start_response and write() (response.c) */
extern PyTypeObject wsgi_start_response_type;
PyObject *wsgi_start_response_new(struct wsgi_req *req);
void wsgi_start_response_detach(PyObject *sr);
/* Sends status and headers once. 0, or -1 with req->failed set. */
int wsgi_send_head(struct wsgi_req *req, int64_t content_length);
/* 0, or -1 with req->failed set */
int wsgi_send_body(struct wsgi_req *req, const char *data, size_t len);

/* wsgi.file_wrapper (filewrapper.c) */
struct wsgi_file_wrapper {
	PyObject_HEAD
	PyObject *filelike;
	Py_ssize_t blksize;
};
extern PyTypeObject wsgi_file_wrapper_type;
/* The fd behind a wrapper when it can be sent with sendfile: a regular file
 * from its fileno(); *offset from tell(), *count up to EOF. -1 otherwise
 * (no Python error left set). */
int wsgi_file_wrapper_fd(PyObject *wrapper, off_t *offset, int64_t *count);
/* Calls filelike.close() if it exists. 0, or -1 with an exception set. */
int wsgi_file_wrapper_close(PyObject *wrapper);

/* wsgi.errors (errors.c): one shared object writing to the log */
extern PyTypeObject wsgi_errors_type;

/* Logs the pending exception's traceback and clears it. With `what`, a
 * one-line summary "what: Type: message" comes first. */
void wsgi_log_exception(const char *what);

/* The request side (handler.c). */
int wsgi_handler_init(bool multithread, bool multiprocess);
void wsgi_handler_free(void);
int wsgi_handler_no_app(struct request_io *io);	/* issue 19 */
int wsgi_handler_run(PyObject *app, const struct kv *vars, size_t nvars,
                     struct request_io *io);

/* obj.close() if obj has one (handler.c): 0, or -1 with an exception set. */
int wsgi_call_close(PyObject *obj);

/* Interned strings used on hot paths, created by wsgi_init(). */
extern PyObject *wsgi_str_close;
extern PyObject *wsgi_str_read;

#endif
