/* SPDX-License-Identifier: MIT */
/* Imperial monitors: `dir` and `glob`, and the scan of their vassal files. */
#include "emperor/monitor.h"
#include "emperor/monitor_pg.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return k > 0 && n > k && strcmp(s + n - k, suffix) == 0;
}

const char *
vassal_flag(const char *name, const struct monitor_opts *o)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (!*base || base[0] == '.' || strlen(name) >= VASSAL_NAME_MAX)
		return NULL;
	if (ends_with(base, ".ini"))
		return "--ini";
	if (ends_with(base, ".json") || ends_with(base, ".js"))
		return "--json";
	for (size_t i = 0; o && i < o->nextra; i++)
		if (ends_with(base, o->extra_ext[i]))
			return "--ini";
	return NULL;
}

static bool
has_glob_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			return true;
	return false;
}

int
monitor_init(struct monitor *m, const char *arg, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->wd = -1;
	const char *scheme = strstr(arg, "://");
	if (strncmp(arg, "pg://", 5) == 0) {
		m->kind = MON_PG;
		m->arg = pg_mask_arg(arg);
		m->path = xstrdup(arg);
		return 0;
	}
	if (scheme && !has_glob_chars(arg, (size_t)(scheme - arg)) && !memchr(arg, '/', (size_t)(scheme - arg))) {
		snprintf(err, errlen, "unknown imperial monitor '%.*s' (only directories, globs and pg://)", (int)(scheme - arg), arg);
		return -1;
	}
	struct stat st;
	size_t len = strlen(arg);
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		char abs[PATH_MAX];
		if (!realpath(arg, abs)) {
			snprintf(err, errlen, "%s: %s", arg, strerror(errno));
			return -1;
		}
		m->kind = MON_DIR;
		m->arg = xstrdup(arg);
		m->path = xstrdup(abs);
		m->watch_dir = xstrdup(abs);
		return 0;
	}
	if (len == 0 || arg[len - 1] == '/') {
		snprintf(err, errlen, "%s: not a directory", arg);
		return -1;
	}
	m->kind = MON_GLOB;
	m->arg = xstrdup(arg);
	m->path = xstrdup(arg);
	const char *slash = strrchr(arg, '/');
	if (!slash)
		m->watch_dir = xstrdup(".");
	else if (!has_glob_chars(arg, (size_t)(slash - arg)))
		m->watch_dir = slash == arg ? xstrdup("/") : xstrndup(arg, (size_t)(slash - arg));
	return 0;
}

void
monitor_free(struct monitor *m)
{
	pg_monitor_free(m->pg);
	free(m->arg);
	free(m->path);
	free(m->watch_dir);
	memset(m, 0, sizeof(*m));
	m->wd = -1;
}

int
vassal_stat(const char *path, const struct monitor_opts *o, struct timespec *mtime, uid_t *uid, gid_t *gid)
{
	struct stat st, lst;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	bool need_l = o && (o->nofollow || o->tyrant_nofollow);
	if (need_l && lstat(path, &lst) < 0)
		return -1;
	*mtime = need_l && o->nofollow ? lst.st_mtim : st.st_mtim;
	const struct stat *owner = need_l && o->tyrant_nofollow ? &lst : &st;
	*uid = owner->st_uid;
	*gid = owner->st_gid;
	return 0;
}

static void
push(struct scan_result *r, const char *name, const char *flag, const struct timespec *mt, uid_t uid, gid_t gid)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = (struct scan_entry){ xstrdup(name), flag, *mt, uid, gid, NULL, NULL };
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct scan_entry *)a)->name, ((const struct scan_entry *)b)->name);
}

static int
scan_dir(const struct monitor *m, const struct monitor_opts *o, struct scan_result *out)
{
	int dfd = open(m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		errno = e;
		return -1;
	}
	struct dirent *de;
	char path[PATH_MAX];
	while ((de = readdir(d)) != NULL) {
		const char *flag = vassal_flag(de->d_name, o);
		if (!flag || de->d_type == DT_DIR)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", m->path, de->d_name) >= sizeof(path))
			continue;
		struct timespec mt;
		uid_t uid;
		gid_t gid;
		if (vassal_stat(path, o, &mt, &uid, &gid) == 0)
			push(out, de->d_name, flag, &mt, uid, gid);
	}
	closedir(d);
	return 0;
}

static int
scan_glob(const struct monitor *m, const struct monitor_opts *o, struct scan_result *out)
{
	glob_t g;
	int rc = glob(m->path, GLOB_MARK | GLOB_NOSORT, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0) {
		errno = rc == GLOB_NOSPACE ? ENOMEM : EIO;
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i];
		const char *flag = vassal_flag(p, o);
		struct timespec mt;
		uid_t uid;
		gid_t gid;
		if (flag && vassal_stat(p, o, &mt, &uid, &gid) == 0)
			push(out, p, flag, &mt, uid, gid);
	}
	globfree(&g);
	return 0;
}

int
monitor_scan(const struct monitor *m, const struct monitor_opts *o, struct scan_result *out)
{
	memset(out, 0, sizeof(*out));
	if (m->kind == MON_PG) {
		errno = EINVAL;
		return -1;
	}
	int rc = m->kind == MON_DIR ? scan_dir(m, o, out) : scan_glob(m, o, out);
	if (rc < 0) {
		int e = errno;
		scan_result_free(out);
		errno = e;
		return -1;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	return 0;
}

void
scan_result_free(struct scan_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].config);
		free(r->v[i].socket);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
