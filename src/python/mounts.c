/* SPDX-License-Identifier: MIT */
/*
 * `mount = /prefix=app.py` (several apps in one instance) and
 * `manage-script-name` (issue 22), as uWSGI picks an app (core/protocol.c,
 * uwsgi_get_app_id): with manage-script-name, the longest mountpoint that
 * is a whole-segment prefix of PATH_INFO becomes SCRIPT_NAME and is cut
 * from PATH_INFO; without it, the SCRIPT_NAME the web server sent picks
 * the app. Anything else goes to the default app: the `wsgi-file`/`module`
 * one, or else the first mounted.
 */
#include "python/uwsgi_module.h"
#include "python/wsgi_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

struct mount {
	char *point;
	size_t len;
	PyObject *app;
};

static struct mount *mounts;
static size_t nmounts;
static bool manage_script_name;
static bool no_default_app;     /* issue 19 */

void
wsgi_set_no_default_app(bool on)
{
	no_default_app = on;
}

/*
 * The app for a request no mountpoint took. uWSGI looks the app up by
 * SCRIPT_NAME among the apps' mountpoints, the wsgi-file/module app's being
 * "", and falls back to its default app; with no-default-app there is no
 * fallback: only an empty SCRIPT_NAME finds the wsgi-file/module app, any
 * other request has no app (NULL: a 500).
 */
static PyObject *
unmatched(PyObject *app, PyObject *dflt, const struct kv *sn)
{
	if (!no_default_app)
		return app;
	return dflt && (!sn || sn->val_len == 0) ? dflt : NULL;
}

size_t
wsgi_mounts_count(void)
{
	return nmounts;
}

static PyObject *
load_one(const char *target, const char *callable)
{
	size_t len = strlen(target);
	bool file = strchr(target, '/') || (len > 3 && strcmp(target + len - 3, ".py") == 0) ||
	            (len > 5 && strcmp(target + len - 5, ".wsgi") == 0);
	char *mod = xstrdup(target), *colon = file ? NULL : strchr(mod, ':');
	PyObject *m, *app = NULL;

	if (colon)
		*colon++ = '\0';
	m = file ? uwsgi_module_import_path(target) : PyImport_ImportModule(mod);
	if (m) {
		app = PyObject_GetAttrString(m, colon && *colon ? colon : callable);
		if (app && !PyCallable_Check(app)) {
			PyErr_Format(PyExc_TypeError, "'%s' is not callable", colon && *colon ? colon : callable);
			Py_CLEAR(app);
		}
	}
	Py_XDECREF(m);
	free(mod);
	return app;
}

int
wsgi_mounts_load(const struct wsgi_config *cfg)
{
	manage_script_name = cfg->manage_script_name;
	mounts = xcalloc(cfg->nmounts + 1, sizeof(*mounts));
	for (size_t i = 0; i < cfg->nmounts; i++) {
		const char *spec = cfg->mounts[i], *eq = strchr(spec, '=');
		if (!eq || eq == spec || !eq[1]) {
			log_msg("mount %s: not MOUNTPOINT=APP", spec);
			return -1;
		}
		struct mount *m = &mounts[nmounts];
		m->point = xstrndup(spec, (size_t)(eq - spec));
		m->len = strlen(m->point);
		if (!(m->app = load_one(eq + 1, cfg->callable && *cfg->callable ? cfg->callable :
		                        "application"))) {
			char *what = xasprintf("unable to load mount %s", spec);
			wsgi_log_exception(what);
			free(what);
			free(m->point);
			return -1;
		}
		nmounts++;
		log_msg("WSGI app %zu (mountpoint='%s') ready", nmounts, m->point);
	}
	return 0;
}

static const struct kv *
find(const struct kv *vars, size_t n, const char *key, size_t *at)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < n; i++) {
		if (vars[i].key_len == klen && memcmp(vars[i].key, key, klen) == 0) {
			*at = i;
			return &vars[i];
		}
	}
	return NULL;
}

/* The app for this request; *fixed (malloc'd, or NULL) replaces the vars
 * when SCRIPT_NAME/PATH_INFO were rewritten. */
PyObject *
wsgi_mount_pick(const struct kv *vars, size_t n, PyObject *dflt, struct kv **fixed, size_t *nfixed)
{
	PyObject *app = dflt ? dflt : (nmounts ? mounts[0].app : NULL);
	size_t pi_at = 0, sn_at = 0;
	const struct kv *pi, *sn;

	*fixed = NULL;
	*nfixed = n;
	sn = find(vars, n, "SCRIPT_NAME", &sn_at);
	if (!nmounts)
		return unmatched(app, dflt, sn);
	if (!manage_script_name) {
		for (size_t i = 0; sn && sn->val_len && i < nmounts; i++)
			if (mounts[i].len == sn->val_len && memcmp(mounts[i].point, sn->val, sn->val_len) == 0)
				return mounts[i].app;
		return unmatched(app, dflt, sn);
	}
	if (!(pi = find(vars, n, "PATH_INFO", &pi_at)) || pi->val_len == 0)
		return unmatched(app, dflt, sn);
	const struct mount *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < nmounts; i++) {
		size_t len = mounts[i].len;
		if (len > 0 && mounts[i].point[len - 1] == '/')
			len--;		/* a trailing slash does not count */
		if (pi->val_len < len || len <= best_len || memcmp(pi->val, mounts[i].point, len) != 0 ||
		    (pi->val_len > len && pi->val[len] != '/'))
			continue;
		best = &mounts[i];
		best_len = len;
	}
	if (!best && sn)
		return unmatched(app, dflt, sn);
	/* SCRIPT_NAME = the mountpoint, PATH_INFO = what follows it; as uWSGI,
	 * a missing SCRIPT_NAME is added (empty) even when nothing matched */
	struct kv *v = xcalloc(n + 1, sizeof(*v));
	memcpy(v, vars, n * sizeof(*v));
	if (!sn) {
		sn_at = n;
		v[sn_at] = (struct kv){ "SCRIPT_NAME", 11, "", 0 };
		(*nfixed)++;
	}
	*fixed = v;
	if (!best)
		return unmatched(app, dflt, sn);
	size_t cut = best->len <= pi->val_len ? best->len : pi->val_len;
	v[pi_at].val = pi->val + cut;
	v[pi_at].val_len = pi->val_len - cut;
	v[sn_at].val = best->point;
	v[sn_at].val_len = best->len;
	return best->app;
}

void
wsgi_mounts_free(void)
{
	for (size_t i = 0; i < nmounts; i++) {
		free(mounts[i].point);
		Py_CLEAR(mounts[i].app);
	}
	free(mounts);
	mounts = NULL;
	nmounts = 0;
}
