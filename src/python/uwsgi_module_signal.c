/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's signal framework for the `uwsgi` module (issue 22):
 * register_signal(), signal(), signal_registered(), signal_received(),
 * add_timer(), add_rb_timer(). The table (num -> target, handler) and the
 * timers are filled while the app loads in the master, so every forked
 * process has the same table; registering after fork is refused as uWSGI
 * refuses it. A signal is one byte written to a pipe made by the server
 * before fork (one per worker and mule, one read by any worker, one read by
 * any mule). Each worker and mule runs a thread that reads its pipes and
 * calls the handler holding the GIL, so a handler never runs inside another
 * request's Python on the same thread. The master fires the timers from its
 * event loop; it never runs Python for that.
 */
#include "python/uwsgi_module.h"
#include "python/uwsgi_signal.h"
#include "python/wsgi_internal.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSIG_UWSGI 256
#define MAX_TIMERS 64

enum target_kind {
	T_NONE, T_WORKER, T_WORKERS, T_ACTIVE, T_WORKER_N, T_MULE, T_MULES, T_MULE_N, T_SPOOLER
};

struct sig_entry {
	enum target_kind kind;
	int n;				/* workerN / muleN */
	PyObject *handler;
};

struct sig_timer {
	int sig;
	long long ms;			/* period */
	long iterations;		/* 0: forever */
	long fired;
};

static struct sig_entry table[NSIG_UWSGI];
static struct sig_timer timers[MAX_TIMERS];
static size_t ntimers;
static struct uwsgi_signal_cron crons[MAX_TIMERS];
static size_t ncrons;
static struct uwsgi_signal_filemon filemons[MAX_TIMERS];
static size_t nfilemons;
static bool any_registered;
static __thread int last_received = -1;	/* by this thread's signal_wait() */
static int my_fd = -1, any_fd = -1;	/* this process's read ends */
/* signal_wait(): the handler thread counts the signals it handled */
static pthread_mutex_t wait_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cv = PTHREAD_COND_INITIALIZER;
static unsigned long long handled;
static int handled_last = -1;

/* Registering is for the master, while it loads the app (uWSGI: "you
 * cannot register signals without a master"; after fork, the other
 * processes would never see the entry). */
static bool
after_fork(void)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	pid_t m = h && h->masterpid ? h->masterpid() : 0;

	return m == 0 || m != getpid();
}

static int
parse_target(const char *s, struct sig_entry *e)
{
	char *end;
	long n;

	e->n = 0;
	if (!*s || !strcmp(s, "worker") || !strcmp(s, "worker0")) {
		e->kind = T_WORKER;
		return 0;
	}
	if (!strcmp(s, "workers")) {
		e->kind = T_WORKERS;
		return 0;
	}
	if (!strcmp(s, "mule") || !strcmp(s, "mule0")) {
		e->kind = T_MULE;
		return 0;
	}
	if (!strcmp(s, "mules")) {
		e->kind = T_MULES;
		return 0;
	}
	if (!strcmp(s, "active-workers")) {
		e->kind = T_ACTIVE;
		return 0;
	}
	if (!strcmp(s, "spooler")) {
		e->kind = T_SPOOLER;
		return 0;
	}
	if (!strncmp(s, "worker", 6)) {
		e->kind = T_WORKER_N;
		s += 6;
	} else if (!strncmp(s, "mule", 4)) {
		e->kind = T_MULE_N;
		s += 4;
	} else {
		return -1;
	}
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < 1 || n > 65535)
		return -1;
	e->n = (int)n;
	return 0;
}

static PyObject *
py_register_signal(PyObject *self, PyObject *args)
{
	unsigned char sig;
	const char *target;
	PyObject *fn;
	struct sig_entry e;

	(void)self;
	if (!PyArg_ParseTuple(args, "BsO:register_signal", &sig, &target, &fn))
		return NULL;
	/* uWSGI keeps one table for every process, filled in the master */
	if (after_fork()) {
		log_msg("[uwsgi-signal] only the master can register signal handlers "
		        "(signal %d registered after fork)", sig);
		return PyErr_Format(PyExc_ValueError, "unable to register signal");
	}
	if (table[sig].handler) {
		log_msg("[uwsgi-signal] you cannot re-register a signal as the master !!!");
		return PyErr_Format(PyExc_ValueError, "unable to register signal");
	}
	if (parse_target(target, &e) < 0) {
		log_msg("[uwsgi-signal] signal %d: unsupported target \"%s\"", sig, target);
		return PyErr_Format(PyExc_ValueError, "unable to register signal");
	}
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	if (!h || !h->signal_pipes || h->signal_pipes() < 0)
		return PyErr_Format(PyExc_OSError, "unable to register signal: no signal pipes");
	e.handler = Py_NewRef(fn);
	table[sig] = e;
	any_registered = true;
	log_msg("[uwsgi-signal] signum %d registered (target: %s)", sig, *target ? target : "worker");
	Py_RETURN_NONE;
}

static int
write_sig(int fd, int sig)
{
	unsigned char b = (unsigned char)sig;

	if (fd < 0)
		return -1;
	return write(fd, &b, 1) == 1 ? 0 : -1;
}

/* active-workers: the running workers that are not cheaped (uWSGI) */
static void
send_active(const struct wsgi_hooks *h, int sig)
{
	size_t nw = (size_t)h->numproc, n;
	struct wsgi_worker_info *wi;

	if (!h->workers || !(wi = calloc(nw ? nw : 1, sizeof(*wi)))) {
		log_msg("could not deliver signal %d to active workers", sig);
		return;
	}
	n = h->workers(wi, nw);
	for (size_t i = 0; i < n; i++) {
		if (wi[i].pid <= 0 || !strcmp(wi[i].status, "cheap") || wi[i].id < 1 || (size_t)wi[i].id > nw)
			continue;
		if (write_sig(h->sig_w[wi[i].id], sig) < 0)
			log_msg("could not deliver signal %d to worker %d", sig, wi[i].id);
	}
	free(wi);
}

void
uwsgi_signal_send(int sig)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	const struct sig_entry *e;

	if (sig < 0 || sig >= NSIG_UWSGI || !h || !h->sig_w)
		return;
	e = &table[sig];
	/* layout: [0] any worker, [1..numproc] workers, [numproc+1] any
	 * mule, then one per mule, then the spoolers' */
	size_t nw = (size_t)h->numproc, base = nw + 1;
	switch (e->kind) {
	case T_NONE:
		log_msg("[uwsgi-signal] signal %d is not registered", sig);
		return;
	case T_WORKER:
		if (write_sig(h->sig_w[0], sig) < 0)
			log_msg("could not deliver signal %d to workers pool", sig);
		return;
	case T_WORKERS:
		for (size_t i = 1; i <= nw; i++)
			if (write_sig(h->sig_w[i], sig) < 0)
				log_msg("could not deliver signal %d to worker %zu", sig, i);
		return;
	case T_ACTIVE:
		send_active(h, sig);
		return;
	case T_WORKER_N:
		if ((size_t)e->n > nw || write_sig(h->sig_w[e->n], sig) < 0)
			log_msg("could not deliver signal %d to worker %d", sig, e->n);
		return;
	case T_MULE:
		if (!h->nmules || write_sig(h->sig_w[base], sig) < 0)
			log_msg("could not deliver signal %d to a mule", sig);
		return;
	case T_MULES:
		for (size_t i = 1; i <= h->nmules; i++)
			if (write_sig(h->sig_w[base + i], sig) < 0)
				log_msg("could not deliver signal %d to mule %zu", sig, i);
		return;
	case T_MULE_N:
		if ((size_t)e->n > h->nmules || write_sig(h->sig_w[base + (size_t)e->n], sig) < 0)
			log_msg("could not deliver signal %d to mule %d", sig, e->n);
		return;
	case T_SPOOLER:
		if (!h->nspoolers || write_sig(h->sig_w[base + h->nmules + 1], sig) < 0)
			log_msg("could not deliver signal %d to the spooler", sig);
		return;
	}
}

static PyObject *
py_signal(PyObject *self, PyObject *args)
{
	unsigned char sig;
	const char *remote = NULL;

	(void)self;
	if (!PyArg_ParseTuple(args, "B|s:signal", &sig, &remote))
		return NULL;
	if (remote)
		return PyErr_Format(PyExc_NotImplementedError,
		                    "uwsgi.signal() to a remote server is not implemented by Stockade");
	uwsgi_signal_send(sig);
	Py_RETURN_NONE;
}

static PyObject *
py_signal_registered(PyObject *self, PyObject *args)
{
	unsigned char sig;

	(void)self;
	if (!PyArg_ParseTuple(args, "B:signal_registered", &sig))
		return NULL;
	return PyBool_FromLong(table[sig].handler != NULL);
}

static PyObject *
py_signal_received(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromLong(last_received);
}

static PyObject *
timer_add(int sig, long long ms, long iterations)
{
	if (after_fork()) {
		log_msg("[uwsgi-signal] timers are registered by the master only (signal %d)", sig);
		return PyErr_Format(PyExc_ValueError, "unable to add timer");
	}
	if (ntimers == MAX_TIMERS) {
		log_msg("you can register max 64 timers !!!");
		return PyErr_Format(PyExc_ValueError, "unable to add timer");
	}
	/* a zero period would spin the master */
	timers[ntimers++] = (struct sig_timer){ .sig = sig, .ms = ms > 0 ? ms : 1000,
	                                        .iterations = iterations };
	Py_RETURN_NONE;
}

static PyObject *
py_add_timer(PyObject *self, PyObject *args)
{
	unsigned char sig;
	int secs;

	(void)self;
	if (!PyArg_ParseTuple(args, "Bi:add_timer", &sig, &secs))
		return NULL;
	if (secs < 0)
		return PyErr_Format(PyExc_ValueError, "unable to add timer");
	return timer_add(sig, (long long)secs * 1000, 0);
}

static PyObject *
py_add_ms_timer(PyObject *self, PyObject *args)
{
	unsigned char sig;
	long msecs;

	(void)self;
	if (!PyArg_ParseTuple(args, "Bl:add_ms_timer", &sig, &msecs))
		return NULL;
	if (msecs < 1)
		return PyErr_Format(PyExc_ValueError, "unable to add timer");
	return timer_add(sig, msecs, 0);
}

static PyObject *
py_add_rb_timer(PyObject *self, PyObject *args)
{
	unsigned char sig;
	int secs, iterations = 0;

	(void)self;
	if (!PyArg_ParseTuple(args, "Bi|i:add_rb_timer", &sig, &secs, &iterations))
		return NULL;
	if (secs < 0 || iterations < 0)
		return PyErr_Format(PyExc_ValueError, "unable to add rb_timer");
	return timer_add(sig, (long long)secs * 1000, iterations);
}

static PyObject *
py_add_cron(PyObject *self, PyObject *args)
{
	unsigned char sig;
	int w[5];

	(void)self;
	if (!PyArg_ParseTuple(args, "Biiiii:add_cron", &sig, &w[0], &w[1], &w[2], &w[3], &w[4]))
		return NULL;
	if (after_fork()) {
		log_msg("[uwsgi-signal] crons are registered by the master only (signal %d)", sig);
		return PyErr_Format(PyExc_ValueError, "unable to add cron");
	}
	if (ncrons == MAX_TIMERS) {
		log_msg("you can register max 64 cron !!!");
		return PyErr_Format(PyExc_ValueError, "unable to add cron");
	}
	crons[ncrons].sig = sig;
	memcpy(crons[ncrons].when, w, sizeof(w));
	ncrons++;
	Py_RETURN_TRUE;
}

static PyObject *
py_add_file_monitor(PyObject *self, PyObject *args)
{
	unsigned char sig;
	const char *path;

	(void)self;
	if (!PyArg_ParseTuple(args, "Bs:add_file_monitor", &sig, &path))
		return NULL;
	if (after_fork()) {
		log_msg("[uwsgi-signal] file monitors are registered by the master only (signal %d)", sig);
		return PyErr_Format(PyExc_ValueError, "unable to add file monitor");
	}
	if (!*path || strlen(path) >= 0xffff) {
		log_msg("uwsgi_add_file_monitor: invalid filename length");
		return PyErr_Format(PyExc_ValueError, "unable to add file monitor");
	}
	if (nfilemons == MAX_TIMERS) {
		log_msg("you can register max 64 file monitors !!!");
		return PyErr_Format(PyExc_ValueError, "unable to add file monitor");
	}
	filemons[nfilemons].sig = sig;
	filemons[nfilemons].path = xstrdup(path);
	nfilemons++;
	Py_RETURN_NONE;
}

const struct uwsgi_signal_filemon *
uwsgi_signal_filemons(size_t *n)
{
	*n = nfilemons;
	return filemons;
}

const struct uwsgi_signal_cron *
uwsgi_signal_crons(size_t *n)
{
	*n = ncrons;
	return crons;
}

static void
on_timer(struct event_loop *loop, long long id, void *data)
{
	struct sig_timer *t = data;

	(void)id;
	uwsgi_signal_send(t->sig);
	t->fired++;
	if (t->iterations && t->fired >= t->iterations)
		return;
	event_timer_add(loop, t->ms, on_timer, t);
}

void
uwsgi_signal_start_timers(struct event_loop *loop)
{
	for (size_t i = 0; i < ntimers; i++) {
		event_timer_add(loop, timers[i].ms, on_timer, &timers[i]);
		log_msg("[uwsgi-signal] timer %zu: signal %d every %lld ms", i + 1, timers[i].sig,
		        timers[i].ms);
	}
}

static void
run_handler(int sig)
{
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *fn = table[sig].handler;

	if (fn) {
		PyObject *r = PyObject_CallFunction(fn, "i", sig);
		if (!r) {
			log_msg("error managing signal %d", sig);
			PyErr_Print();
		}
		Py_XDECREF(r);
	}
	PyGILState_Release(g);
	pthread_mutex_lock(&wait_mu);
	handled++;
	handled_last = sig;
	pthread_cond_broadcast(&wait_cv);
	pthread_mutex_unlock(&wait_mu);
}

/* uWSGI runs the handler in the waiting thread; here the handler thread
 * runs it and the waiter returns once it has. */
static PyObject *
py_signal_wait(PyObject *self, PyObject *args)
{
	int want = -1;
	unsigned char sig;
	unsigned long long seen;
	int got;

	(void)self;
	last_received = -1;
	if (PyTuple_Size(args) > 0) {
		if (!PyArg_ParseTuple(args, "|B:signal_wait", &sig))
			return NULL;
		want = sig;
	}
	if (my_fd < 0) {
		log_msg("signal_wait: no signal handler runs in this process");
		return PyErr_Format(PyExc_SystemError, "error waiting for signal");
	}
	Py_BEGIN_ALLOW_THREADS
	pthread_mutex_lock(&wait_mu);
	seen = handled;
	for (;;) {
		pthread_cond_wait(&wait_cv, &wait_mu);
		if (handled != seen && (want < 0 || handled_last == want))
			break;
		seen = handled;
	}
	got = handled_last;
	pthread_mutex_unlock(&wait_mu);
	Py_END_ALLOW_THREADS
	last_received = got;
	return PyBytes_FromString("");
}

static void *
reader(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = my_fd, .events = POLLIN },
		                       { .fd = any_fd, .events = POLLIN } };
		if (poll(p, any_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_errno("signal pipe poll");
			return NULL;
		}
		for (int i = 0; i < 2; i++) {
			unsigned char b;
			/* the shared pipe is non-blocking: another process may
			 * have taken the byte */
			if ((p[i].revents & POLLIN) && read(p[i].fd, &b, 1) == 1)
				run_handler(b);
		}
	}
	return NULL;
}

/* In a worker (worker id > 0), a mule (mule > 0) or a spooler, after
 * fork: starts the thread that runs the handlers. */
void
uwsgi_signal_after_fork(int worker, int mule, bool spooler)
{
	const struct wsgi_hooks *h = uwsgi_module_hooks();
	pthread_t t;
	size_t nw;

	if (!any_registered || !h || !h->sig_r)
		return;
	nw = (size_t)h->numproc;
	if (worker > 0 && (size_t)worker <= nw) {
		my_fd = h->sig_r[worker];
		any_fd = h->sig_r[0];
	} else if (mule > 0 && (size_t)mule <= h->nmules) {
		my_fd = h->sig_r[nw + 1 + (size_t)mule];
		any_fd = h->sig_r[nw + 1];
	} else if (spooler) {
		my_fd = h->sig_r[nw + 2 + h->nmules];
	} else {
		return;
	}
	/* the handler thread needs the GIL while the process is idle */
	wsgi_threads = true;
	wsgi_release();
	int rc = pthread_create(&t, NULL, reader, NULL);
	if (rc) {
		errno = rc;
		log_errno("signal handler thread");
		return;
	}
	pthread_detach(t);
}

PyMethodDef uwsgi_module_signal_methods[] = {
	{"register_signal", py_register_signal, METH_VARARGS, "register_signal(num, target, func)"},
	{"signal", py_signal, METH_VARARGS, "raise signal num"},
	{"signal_registered", py_signal_registered, METH_VARARGS, "True when num has a handler"},
	{"signal_wait", py_signal_wait, METH_VARARGS, "signal_wait([num]): until a signal is handled"},
	{"signal_received", py_signal_received, METH_NOARGS, "the signal the last signal_wait() got, or -1"},
	{"add_timer", py_add_timer, METH_VARARGS, "add_timer(num, secs)"},
	{"add_file_monitor", py_add_file_monitor, METH_VARARGS, "add_file_monitor(num, path)"},
	{"add_cron", py_add_cron, METH_VARARGS, "add_cron(num, minute, hour, day, month, weekday)"},
	{"add_ms_timer", py_add_ms_timer, METH_VARARGS, "add_ms_timer(num, msecs)"},
	{"add_rb_timer", py_add_rb_timer, METH_VARARGS, "add_rb_timer(num, secs[, iterations])"},
	{NULL, NULL, 0, NULL},
};
