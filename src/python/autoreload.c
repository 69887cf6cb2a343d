/* SPDX-License-Identifier: MIT */
/*
 * `py-autoreload = N` (issue 22): every N seconds, the mtime of the file of
 * every module in sys.modules is compared with the one first seen; a change
 * logs uWSGI's line and asks the master for a graceful reload (SIGHUP).
 * uWSGI runs this as a thread in each worker; here one process the master
 * supervises does it, forked with the app loaded (so it sees the modules
 * imported at start-up; a module a worker imports later is not watched).
 */
#include "python/uwsgi_module.h"
#include "python/wsgi_internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

struct seen {
	char *path;
	time_t mtime;
};

static struct seen *seen;
static size_t nseen, capseen;

/* 1 when path changed since first seen (a new path is recorded) */
static int
changed(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	for (size_t i = 0; i < nseen; i++)
		if (strcmp(seen[i].path, path) == 0)
			return seen[i].mtime != st.st_mtime;
	if (nseen == capseen) {
		capseen = capseen ? capseen * 2 : 64;
		seen = xrealloc(seen, capseen * sizeof(*seen));
	}
	seen[nseen++] = (struct seen){ xstrdup(path), st.st_mtime };
	return 0;
}

static bool
ignored(const char *name, const struct wsgi_autoreload_config *ac)
{
	for (size_t i = 0; i < ac->nignore; i++)
		if (strcmp(ac->ignore[i], name) == 0)
			return true;
	return false;
}

/* The modified file, malloc'd, or NULL. */
static char *
scan(const struct wsgi_autoreload_config *ac)
{
	PyObject *mods = PyDict_Copy(PyImport_GetModuleDict()), *name, *mod;
	Py_ssize_t pos = 0;
	char *hit = NULL;

	while (mods && !hit && PyDict_Next(mods, &pos, &name, &mod)) {
		const char *n = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
		PyObject *file = n && !ignored(n, ac) ? PyObject_GetAttrString(mod, "__file__") : NULL;
		const char *f = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;

		if (f) {
			/* x.pyc -> x.py, as uWSGI */
			size_t len = strlen(f);
			char *path = xstrdup(f);
			if (len > 4 && (strcmp(f + len - 4, ".pyc") == 0 || strcmp(f + len - 4, ".pyo") == 0))
				path[len - 1] = '\0';
			if (changed(path))
				hit = path;
			else
				free(path);
		}
		Py_XDECREF(file);
		PyErr_Clear();
	}
	Py_XDECREF(mods);
	return hit;
}

int
wsgi_autoreload_run(const struct wsgi_autoreload_config *ac)
{
	unsigned secs = ac->seconds ? ac->seconds : 1;
	bool first = true;

	for (;;) {
		PyGILState_STATE g = PyGILState_Ensure();
		char *hit = scan(ac);
		PyGILState_Release(g);
		if (first)
			log_msg("python reloader: watching %zu files", nseen);
		first = false;
		if (hit) {
			log_msg("[uwsgi-python-reloader] module/file %s has been modified", hit);
			free(hit);
			if (kill(getppid(), SIGHUP) < 0)
				log_errno("py-autoreload: kill(master)");
			/* the reload stops this process too */
			pause();
		}
		sleep(secs);
	}
}
