/* SPDX-License-Identifier: MIT */
/*
 * One request: build environ, call the app, send what it returns.
 *
 * Response rules (PEP 3333): the head goes out with the first non-empty body
 * chunk, the first write(), or at the end of an empty body; a list or tuple
 * of bytes gets its exact Content-Length; the iterable's close() is called
 * whatever happens; an exception is logged and becomes a 500 if nothing was
 * sent yet.
 */
#include "python/wsgi_internal.h"
#include "python/uwsgi_module.h"
#include "python/reload_on_exception.h"

#include <string.h>
#include <strings.h>

#include "base/log.h"

/* ---- constants made once per interpreter -------------------------------- */

static PyObject *k_version, *k_url_scheme, *k_input, *k_input_terminated,
	*k_errors, *k_multithread, *k_multiprocess, *k_run_once, *k_file_wrapper;
static PyObject *v_version, *v_http, *v_https, *v_errors;
static PyObject *v_multithread, *v_multiprocess;	/* borrowed bools */
static PyObject *err_status, *err_headers;

/* CGI names present on most requests: their str keys are made once and
 * reused (interned, hash cached). The first three are also inspected. */
static const char *const common_names[] = {
	"CONTENT_LENGTH", "HTTPS", "UWSGI_SCHEME",
	"REQUEST_METHOD", "REQUEST_URI", "PATH_INFO", "QUERY_STRING",
	"SERVER_PROTOCOL", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT",
	"REMOTE_ADDR", "REMOTE_PORT", "CONTENT_TYPE", "DOCUMENT_ROOT",
	"HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING",
	"HTTP_ACCEPT_LANGUAGE", "HTTP_CONNECTION", "HTTP_COOKIE", "HTTP_REFERER",
	"HTTP_CACHE_CONTROL", "HTTP_AUTHORIZATION", "HTTP_ORIGIN",
	"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP",
	"HTTP_X_REQUESTED_WITH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_NONE_MATCH",
	"HTTP_UPGRADE_INSECURE_REQUESTS", "HTTP_PRAGMA", "HTTP_DNT",
	"HTTP_SEC_FETCH_SITE", "HTTP_SEC_FETCH_MODE", "HTTP_SEC_FETCH_DEST",
};
enum { NAME_CONTENT_LENGTH, NAME_HTTPS, NAME_UWSGI_SCHEME };
#define NCOMMON (sizeof(common_names) / sizeof(common_names[0]))
#define NAME_MAXLEN 32
#define NAME_SLOTS 8

static PyObject *common_keys[NCOMMON];
/* by_len[len] lists (index + 1) of the common names of that length */
static unsigned char by_len[NAME_MAXLEN + 1][NAME_SLOTS];

static PyObject *
intern(const char *s)
{
	return PyUnicode_InternFromString(s);
}

static int
init_common_keys(void)
{
	memset(by_len, 0, sizeof(by_len));
	for (size_t i = 0; i < NCOMMON; i++) {
		size_t len = strlen(common_names[i]);
		if (!(common_keys[i] = intern(common_names[i])))
			return -1;
		if (len > NAME_MAXLEN)
			continue;
		/* a full bucket only loses the cache, never correctness */
		for (int j = 0; j < NAME_SLOTS; j++) {
			if (!by_len[len][j]) {
				by_len[len][j] = (unsigned char)(i + 1);
				break;
			}
		}
	}
	return 0;
}

static int
common_lookup(const char *key, size_t len)
{
	if (len > NAME_MAXLEN)
		return -1;
	for (int j = 0; j < NAME_SLOTS && by_len[len][j]; j++) {
		int i = by_len[len][j] - 1;
		if (memcmp(common_names[i], key, len) == 0)
			return i;
	}
	return -1;
}

int
wsgi_handler_init(bool multithread, bool multiprocess)
{
	if (init_common_keys() < 0)
		return -1;
	k_version = intern("wsgi.version");
	k_url_scheme = intern("wsgi.url_scheme");
	k_input = intern("wsgi.input");
	k_input_terminated = intern("wsgi.input_terminated");
	k_errors = intern("wsgi.errors");
	k_multithread = intern("wsgi.multithread");
	k_multiprocess = intern("wsgi.multiprocess");
	k_run_once = intern("wsgi.run_once");
	k_file_wrapper = intern("wsgi.file_wrapper");
	v_version = Py_BuildValue("(ii)", 1, 0);
	v_http = intern("http");
	v_https = intern("https");
	v_errors = PyObject_CallNoArgs((PyObject *)&wsgi_errors_type);
	err_status = intern("500 Internal Server Error");
	err_headers = Py_BuildValue("((ss))", "Content-Type", "text/plain");
	v_multithread = multithread ? Py_True : Py_False;
	v_multiprocess = multiprocess ? Py_True : Py_False;

	if (!k_version || !k_url_scheme || !k_input || !k_input_terminated ||
	    !k_errors || !k_multithread || !k_multiprocess || !k_run_once ||
	    !k_file_wrapper || !v_version || !v_http || !v_https || !v_errors ||
	    !err_status || !err_headers)
		return -1;
	return 0;
}

void
wsgi_handler_free(void)
{
	for (size_t i = 0; i < NCOMMON; i++)
		Py_CLEAR(common_keys[i]);
	Py_CLEAR(k_version);
	Py_CLEAR(k_url_scheme);
	Py_CLEAR(k_input);
	Py_CLEAR(k_input_terminated);
	Py_CLEAR(k_errors);
	Py_CLEAR(k_multithread);
	Py_CLEAR(k_multiprocess);
	Py_CLEAR(k_run_once);
	Py_CLEAR(k_file_wrapper);
	Py_CLEAR(v_version);
	Py_CLEAR(v_http);
	Py_CLEAR(v_https);
	Py_CLEAR(v_errors);
	Py_CLEAR(err_status);
	Py_CLEAR(err_headers);
}

/* ---- environ ------------------------------------------------------------ */

/* CONTENT_LENGTH digits, or -1 when absent/invalid (then io decides). */
static int64_t
parse_length(const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
https_on(const char *s, size_t len)
{
	return (len == 2 && strncasecmp(s, "on", 2) == 0) || (len == 1 && s[0] == '1');
}

/* The wsgi.* keys build_environ adds after the request's variables. */
#define N_WSGI_KEYS 9

/* A dict sized for its entries up front: filled one by one, a plain one
 * would be resized three times on the way to ~20 entries, every request. */
static PyObject *
new_environ(Py_ssize_t entries)
{
#if PY_VERSION_HEX < 0x030D0000
	return _PyDict_NewPresized(entries);
#else
	(void)entries;	/* private since 3.13 */
	return PyDict_New();
#endif
}

/* The request's variables, then the wsgi.* keys (set last so that a
 * variable can never shadow them). *input gets the wsgi.input object. */
static PyObject *
build_environ(const struct kv *vars, size_t nvars,
                               struct request_io *io, PyObject **input)
{
	PyObject *env = new_environ((Py_ssize_t)nvars + N_WSGI_KEYS);
	PyObject *scheme = NULL;
	int64_t content_length = -1;
	bool https = false;

	if (!env)
		return NULL;
	for (size_t i = 0; i < nvars; i++) {
		const struct kv *v = &vars[i];
		int idx = common_lookup(v->key, v->key_len);
		PyObject *key = idx >= 0 ? common_keys[idx] :
			PyUnicode_DecodeLatin1(v->key, (Py_ssize_t)v->key_len, NULL);
		PyObject *val = key ? PyUnicode_DecodeLatin1(v->val, (Py_ssize_t)v->val_len, NULL) : NULL;
		int rc = val ? PyDict_SetItem(env, key, val) : -1;

		if (idx == NAME_CONTENT_LENGTH)
			content_length = parse_length(v->val, v->val_len);
		else if (idx == NAME_HTTPS)
			https = https_on(v->val, v->val_len);
		else if (idx == NAME_UWSGI_SCHEME && val) {
			Py_INCREF(val);
			Py_XSETREF(scheme, val);
		}
		if (idx < 0)
			Py_XDECREF(key);
		Py_XDECREF(val);
		if (rc < 0)
			goto fail;
	}

	if (!scheme) {
		scheme = https ? v_https : v_http;
		Py_INCREF(scheme);
	}
	*input = wsgi_input_new(io, content_length);
	if (!*input ||
	    PyDict_SetItem(env, k_version, v_version) < 0 ||
	    PyDict_SetItem(env, k_url_scheme, scheme) < 0 ||
	    PyDict_SetItem(env, k_input, *input) < 0 ||
	    PyDict_SetItem(env, k_input_terminated, Py_True) < 0 ||
	    PyDict_SetItem(env, k_errors, v_errors) < 0 ||
	    PyDict_SetItem(env, k_multithread, v_multithread) < 0 ||
	    PyDict_SetItem(env, k_multiprocess, v_multiprocess) < 0 ||
	    PyDict_SetItem(env, k_run_once, Py_False) < 0 ||
	    (!wsgi_disable_file_wrapper &&
	     PyDict_SetItem(env, k_file_wrapper, (PyObject *)&wsgi_file_wrapper_type) < 0))
		goto fail;
	Py_DECREF(scheme);
	return env;
fail:
	Py_XDECREF(scheme);
	Py_DECREF(env);
	return NULL;
}

/* ---- response ----------------------------------------------------------- */

/* The head, unless already sent: needs start_response() to have run. */
static int
ensure_head(struct wsgi_req *req, int64_t content_length)
{
	if (req->head_sent)
		return req->failed ? wsgi_write_failed_rc() : 0;
	if (!req->status) {
		PyErr_SetString(PyExc_RuntimeError,
		                "the app did not call start_response()");
		return -1;
	}
	return wsgi_send_head(req, content_length);
}

static int
not_bytes(PyObject *item)
{
	PyErr_Format(PyExc_TypeError, "the app must yield bytes, not %.100s",
	             Py_TYPE(item)->tp_name);
	return -1;
}

/* A list or tuple: checked whole first, so a bad item becomes a clean 500
 * and a good one gets an exact Content-Length. */
static int
send_sequence(struct wsgi_req *req, PyObject *seq)
{
	Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
	int64_t total = 0;

	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
		if (!PyBytes_Check(item))
			return not_bytes(item);
		total += PyBytes_GET_SIZE(item);
	}
	if (ensure_head(req, total) < 0)
		return -1;
	/* re-read the size: another thread may change a list while io runs */
	for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
		if (!PyBytes_Check(item))
			return not_bytes(item);
		Py_INCREF(item);
		int rc = wsgi_send_body(req, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
		Py_DECREF(item);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
send_iterable(struct wsgi_req *req, PyObject *iterable)
{
	PyObject *it = PyObject_GetIter(iterable);
	PyObject *item;
	int rc = 0;

	if (!it)
		return -1;
	while (rc == 0 && (item = PyIter_Next(it))) {
		if (!PyBytes_Check(item))
			rc = not_bytes(item);
		else if (PyBytes_GET_SIZE(item) > 0)
			rc = ensure_head(req, -1) < 0 ? -1 :
				wsgi_send_body(req, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
		Py_DECREF(item);
	}
	Py_DECREF(it);
	return rc < 0 || PyErr_Occurred() ? -1 : 0;
}

/* A real file goes out with send_file; anything else is iterated. */
static int
send_file_wrapper(struct wsgi_req *req, PyObject *fw)
{
	off_t offset;
	int64_t count;
	int fd = req->io->send_file ? wsgi_file_wrapper_fd(fw, &offset, &count) : -1;

	if (fd < 0)
		return send_iterable(req, fw);
	if (ensure_head(req, count) < 0)
		return -1;
	if (count == 0)
		return 0;

	PyThreadState *ts = io_begin();
	int rc = req->io->send_file(req->io->ctx, fd, offset, count);
	io_end(ts);
	if (rc < 0) {
		req->failed = true;
		return -1;
	}
	return 0;
}

int
wsgi_call_close(PyObject *obj)
{
	PyObject *meth, *r;

	if ((meth = PyObject_GetAttr(obj, wsgi_str_close)) == NULL) {
		/* no close(): nothing to do (PEP 3333 makes it optional) */
		if (!PyErr_ExceptionMatches(PyExc_AttributeError))
			return -1;
		PyErr_Clear();
		return 0;
	}
	r = PyObject_CallNoArgs(meth);
	Py_DECREF(meth);
	if (r == NULL)
		return -1;
	Py_DECREF(r);
	return 0;
}

/* result.close(), if it has one. 0, or -1 with an exception set. */
static int
close_result(PyObject *result)
{
	if (PyList_CheckExact(result) || PyTuple_CheckExact(result))
		return 0;
	if (Py_IS_TYPE(result, &wsgi_file_wrapper_type))
		return wsgi_file_wrapper_close(result);
	return wsgi_call_close(result);
}

/* After a failure: a 500 if the client has seen nothing yet. */
static int
internal_error(struct wsgi_req *req)
{
	static const char body[] = "Internal Server Error";

	if (req->head_sent || req->failed)
		return -1;
	Py_INCREF(err_status);
	Py_XSETREF(req->status, err_status);
	Py_INCREF(err_headers);
	Py_XSETREF(req->headers, err_headers);
	if (wsgi_send_head(req, sizeof(body) - 1) < 0 ||
	    wsgi_send_body(req, body, sizeof(body) - 1) < 0)
		return -1;
	return 0;
}

static int
respond(struct wsgi_req *req, PyObject *result)
{
	int rc;

	if (Py_IS_TYPE(result, &wsgi_file_wrapper_type))
		rc = send_file_wrapper(req, result);
	else if (PyList_CheckExact(result) || PyTuple_CheckExact(result))
		rc = send_sequence(req, result);
	else
		rc = send_iterable(req, result);
	if (rc == 0)
		rc = ensure_head(req, 0);	/* empty body */

	/* log first: close() may run code that would clobber the error */
	if (PyErr_Occurred()) {
		wsgi_log_exception(NULL);
		wsgi_exception_reload();	/* issue 19: reload-on-exception */
	}
	if (close_result(result) < 0)
		wsgi_log_exception(NULL);
	return rc == 0 ? 0 : internal_error(req);
}

/* issue 19: the 500 of a request no app takes (no-default-app) */
int
wsgi_handler_no_app(struct request_io *io)
{
	struct wsgi_req req = {.io = io};
	int rc = internal_error(&req);

	Py_XDECREF(req.status);
	Py_XDECREF(req.headers);
	return rc;
}

int
wsgi_handler_run(PyObject *app, const struct kv *vars, size_t nvars,
                     struct request_io *io)
{
	struct wsgi_req req = {.io = io};
	PyObject *input = NULL, *sr = NULL, *result = NULL;
	PyObject *env = build_environ(vars, nvars, io, &input);
	int rc;

	if (env)
		sr = wsgi_start_response_new(&req);
	if (sr) {
		/* slot 0 is scratch space for a bound-method app (the OFFSET flag) */
		PyObject *args[3] = {NULL, env, sr};
		result = PyObject_Vectorcall(app, args + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	}
	if (result) {
		rc = respond(&req, result);
	} else {
		wsgi_log_exception(NULL);
		wsgi_exception_reload();	/* issue 19: reload-on-exception */
		rc = internal_error(&req);
	}

	/* the app may keep these objects; they must not reach this frame */
	if (input)
		wsgi_input_detach(input);
	if (sr)
		wsgi_start_response_detach(sr);
	Py_XDECREF(result);
	Py_XDECREF(sr);
	Py_XDECREF(env);
	Py_XDECREF(input);
	Py_CLEAR(req.status);
	Py_CLEAR(req.headers);
	return rc;
}
