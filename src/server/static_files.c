/* SPDX-License-Identifier: MIT */
/* Static files before the app (uWSGI's static-map family): resolution,
 * confinement to the mapped directory, MIME types, conditional GET and
 * Expires, then sendfile through the request_io send_file path. */
#include "server/static_files.h"
#include "request_features/static_cache_paths.h"
#include "request_features/static_gzip.h"
#include "config/config.h"
#include "base/log.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files up to this size are read and sent with the head; larger ones go by sendfile. */
#define SMALL_FILE (32 * 1024)

struct static_map {
	char *mount;          /* URL prefix, as configured */
	size_t mount_len;
	char *dir;            /* realpath of the directory (or file) */
	bool is_file;         /* the mapping names one file */
	bool whole_path;      /* static-map2: append the whole PATH_INFO */
};

struct expires_rule {
	regex_t re;
	unsigned long seconds;
};

struct mime_entry {
	char *ext;
	char *type;
};

static struct {
	struct static_map *maps;
	size_t nmaps;
	const struct strlist *index, *skip_ext;
	char **safe;          /* realpath'd static-safe entries */
	size_t nsafe;
	struct expires_rule *exp_file, *exp_path, *exp_uri;
	size_t nexp_file, nexp_path, nexp_uri;
	struct mime_entry *mime;   /* from the mime file, sorted by ext */
	size_t nmime;
} statics;

/* Common types, used when the mime file does not know the extension. */
static const struct { const char *ext, *type; } builtin_mime[] = {
	{ "css", "text/css" }, { "csv", "text/csv" }, { "gif", "image/gif" },
	{ "gz", "application/gzip" }, { "htm", "text/html" }, { "html", "text/html" },
	{ "ico", "image/vnd.microsoft.icon" }, { "jpeg", "image/jpeg" }, { "jpg", "image/jpeg" },
	{ "js", "text/javascript" }, { "json", "application/json" }, { "map", "application/json" },
	{ "mjs", "text/javascript" }, { "mp3", "audio/mpeg" }, { "mp4", "video/mp4" },
	{ "otf", "font/otf" }, { "pdf", "application/pdf" }, { "png", "image/png" },
	{ "svg", "image/svg+xml" }, { "tar", "application/x-tar" }, { "ttf", "font/ttf" },
	{ "txt", "text/plain" }, { "wasm", "application/wasm" }, { "webm", "video/webm" },
	{ "webp", "image/webp" }, { "woff", "font/woff" }, { "woff2", "font/woff2" },
	{ "xml", "application/xml" }, { "zip", "application/zip" },
};

/* ---- pure helpers ------------------------------------------------------------------ */

int
static_normalize(const char *in, size_t len, char *out, size_t cap)
{
	if (cap < 2)
		return -1;
	size_t o = 0;
	out[o++] = '/';
	size_t i = 0;
	while (i < len) {
		while (i < len && in[i] == '/')
			i++;
		size_t start = i;
		while (i < len && in[i] != '/') {
			if (in[i] == '\0')
				return -1;
			i++;
		}
		size_t seg = i - start;
		if (seg == 0 || (seg == 1 && in[start] == '.'))
			continue;
		if (seg == 2 && in[start] == '.' && in[start + 1] == '.') {
			if (o == 1)
				return -1;   /* would climb above the mapped directory */
			o--;             /* drop the trailing '/' */
			while (o > 0 && out[o - 1] != '/')
				o--;
			continue;
		}
		if (o + seg + 1 >= cap)
			return -1;
		memcpy(out + o, in + start, seg);
		o += seg;
		out[o++] = '/';
	}
	if (o > 1)
		o--;                 /* no trailing '/' */
	out[o] = '\0';
	return 0;
}

bool
static_path_within(const char *root, const char *path)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(root, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int
mime_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct mime_entry *)a)->ext, ((const struct mime_entry *)b)->ext);
}

const char *
static_mime_type(const char *filename)
{
	const char *slash = strrchr(filename, '/');
	const char *dot = strrchr(slash ? slash : filename, '.');
	if (!dot || !dot[1])
		return NULL;
	const char *ext = dot + 1;
	if (statics.nmime) {
		struct mime_entry key = { (char *)ext, NULL };
		const struct mime_entry *m = bsearch(&key, statics.mime, statics.nmime, sizeof(*statics.mime), mime_cmp);
		if (m)
			return m->type;
	}
	for (size_t i = 0; i < sizeof(builtin_mime) / sizeof(builtin_mime[0]); i++)
		if (strcasecmp(builtin_mime[i].ext, ext) == 0)
			return builtin_mime[i].type;
	return NULL;
}

int
static_parse_expires(const char *spec, char *re, size_t cap, unsigned long *seconds)
{
	const char *sp = strrchr(spec, ' ');
	if (!sp || sp == spec)
		return -1;
	unsigned long long v;
	if (!parse_uint(sp + 1, 10ULL * 365 * 24 * 3600, &v))
		return -1;
	size_t n = (size_t)(sp - spec);
	while (n > 0 && spec[n - 1] == ' ')
		n--;
	if (n == 0 || n >= cap)
		return -1;
	memcpy(re, spec, n);
	re[n] = '\0';
	*seconds = (unsigned long)v;
	return 0;
}

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void
static_http_date(time_t t, char out[STATIC_DATE_MAX])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		tm.tm_wday = 4;
	}
	/* the modulos only bound the widths for the compiler: gmtime_r's fields are in range */
	snprintf(out, STATIC_DATE_MAX, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT", wdays[(unsigned)tm.tm_wday % 7],
	         (unsigned)tm.tm_mday % 100, months[(unsigned)tm.tm_mon % 12], (unsigned)(tm.tm_year + 1900) % 10000,
	         (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

static int
two_digits(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "Sun, 06 Nov 1994 08:49:37 GMT": the only form senders may generate (RFC 7231 §7.1.1.1). */
time_t
static_parse_http_date(const char *s, size_t len)
{
	if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
	    s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mon = -1;
	for (int m = 0; m < 12; m++)
		if (memcmp(s + 8, months[m], 3) == 0)
			tm.tm_mon = m;
	int hi = two_digits(s + 12), lo = two_digits(s + 14);
	tm.tm_mday = two_digits(s + 5);
	tm.tm_hour = two_digits(s + 17);
	tm.tm_min = two_digits(s + 20);
	tm.tm_sec = two_digits(s + 23);
	if (tm.tm_mon < 0 || hi < 0 || lo < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -1;
	tm.tm_year = hi * 100 + lo - 1900;
	return timegm(&tm);
}

/* ---- set-up ------------------------------------------------------------------------- */

static int
add_map(const char *spec, struct origin o, bool whole_path)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1]) {
		config_error(o, "%s: expected /mountpoint=/path, got '%s'", whole_path ? "static-map2" : "static-map", spec);
		return -1;
	}
	char real[PATH_MAX];
	if (!realpath(eq + 1, real)) {
		config_error(o, "%s: %s: %s", whole_path ? "static-map2" : "static-map", eq + 1, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(real, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		config_error(o, "%s: %s is neither a directory nor a regular file",
		             whole_path ? "static-map2" : "static-map", eq + 1);
		return -1;
	}
	struct static_map *m = &statics.maps[statics.nmaps++];
	m->mount = xstrndup(spec, (size_t)(eq - spec));
	m->mount_len = (size_t)(eq - spec);
	m->dir = xstrdup(real);
	m->is_file = S_ISREG(st.st_mode);
	m->whole_path = whole_path;
	return 0;
}

static int
add_expires(const struct strlist *l, const char *opt, struct expires_rule **out, size_t *n)
{
	*out = xcalloc(l->n + 1, sizeof(**out));
	for (size_t i = 0; i < l->n; i++) {
		char re[1024];
		unsigned long secs;
		if (static_parse_expires(l->v[i], re, sizeof(re), &secs) < 0) {
			config_error(l->origin[i], "%s: expected REGEX SECONDS, got '%s'", opt, l->v[i]);
			return -1;
		}
		int rc = regcomp(&(*out)[*n].re, re, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char err[128];
			regerror(rc, &(*out)[*n].re, err, sizeof(err));
			config_error(l->origin[i], "%s: bad regex '%s': %s", opt, re, err);
			return -1;
		}
		(*out)[(*n)++].seconds = secs;
	}
	return 0;
}

/* "type ext ext ..." lines; '#' comments. A later duplicate extension loses. */
static int
read_mime_file(const char *path, bool required)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		if (!required && errno == ENOENT)
			return 0;
		log_errno("mimefile %s", path);
		return -1;
	}
	size_t cap = 0;
	char *save_line = NULL;
	for (char *line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *save_word = NULL;
		char *type = strtok_r(line, " \t\r", &save_word);
		if (!type)
			continue;
		for (char *ext = strtok_r(NULL, " \t\r", &save_word); ext; ext = strtok_r(NULL, " \t\r", &save_word)) {
			if (statics.nmime == cap) {
				cap = cap ? cap * 2 : 256;
				statics.mime = xrealloc(statics.mime, cap * sizeof(*statics.mime));
			}
			statics.mime[statics.nmime].ext = xstrdup(ext);
			statics.mime[statics.nmime++].type = xstrdup(type);
		}
	}
	free(text);
	if (statics.nmime)
		qsort(statics.mime, statics.nmime, sizeof(*statics.mime), mime_cmp);
	return 0;
}

int
static_init(const struct config *cfg)
{
	static_free();
	size_t n = cfg->static_map.n + cfg->static_map2.n + cfg->check_static.n;
	static_gzip_init(cfg);
	if (n == 0)
		return 0;
	statics.maps = xcalloc(n, sizeof(*statics.maps));
	for (size_t i = 0; i < cfg->static_map.n; i++)
		if (add_map(cfg->static_map.v[i], cfg->static_map.origin[i], false) < 0)
			return -1;
	for (size_t i = 0; i < cfg->static_map2.n; i++)
		if (add_map(cfg->static_map2.v[i], cfg->static_map2.origin[i], true) < 0)
			return -1;
	/* check-static DIR: DIR + PATH_INFO, after the maps, as uWSGI */
	for (size_t i = 0; i < cfg->check_static.n; i++) {
		char *spec = xasprintf("/=%s", cfg->check_static.v[i]);
		int rc = add_map(spec, cfg->check_static.origin[i], true);
		free(spec);
		if (rc < 0)
			return -1;
	}
	statics.index = &cfg->static_index;
	statics.skip_ext = &cfg->static_skip_ext;
	statics.safe = xcalloc(cfg->static_safe.n + 1, sizeof(char *));
	for (size_t i = 0; i < cfg->static_safe.n; i++) {
		char real[PATH_MAX];
		/* a safe path that does not exist (yet) is kept as written */
		statics.safe[statics.nsafe++] = xstrdup(realpath(cfg->static_safe.v[i], real) ? real : cfg->static_safe.v[i]);
	}
	if (add_expires(&cfg->static_expires, "static-expires", &statics.exp_file, &statics.nexp_file) < 0 ||
	    add_expires(&cfg->static_expires_path_info, "static-expires-path-info", &statics.exp_path, &statics.nexp_path) < 0 ||
	    add_expires(&cfg->static_expires_uri, "static-expires-uri", &statics.exp_uri, &statics.nexp_uri) < 0)
		return -1;
	return read_mime_file(cfg->mimefile ? cfg->mimefile : "/etc/mime.types", cfg->mimefile != NULL);
}

bool
static_enabled(void)
{
	return statics.nmaps > 0;
}

static void
free_expires(struct expires_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		regfree(&r[i].re);
	free(r);
}

void
static_free(void)
{
	for (size_t i = 0; i < statics.nmaps; i++) {
		free(statics.maps[i].mount);
		free(statics.maps[i].dir);
	}
	free(statics.maps);
	for (size_t i = 0; i < statics.nsafe; i++)
		free(statics.safe[i]);
	free(statics.safe);
	free_expires(statics.exp_file, statics.nexp_file);
	free_expires(statics.exp_path, statics.nexp_path);
	free_expires(statics.exp_uri, statics.nexp_uri);
	for (size_t i = 0; i < statics.nmime; i++) {
		free(statics.mime[i].ext);
		free(statics.mime[i].type);
	}
	free(statics.mime);
	memset(&statics, 0, sizeof(statics));
}

/* ---- serving ------------------------------------------------------------------------ */

struct req_view {
	const struct kv *path_info, *method, *uri, *ims;
	const struct kv *accept_enc;   /* issue 19: static-gzip */
};

static bool
key_is(const struct kv *v, const char *k)
{
	size_t n = strlen(k);
	return v->key_len == n && memcmp(v->key, k, n) == 0;
}

static bool
confined(const struct static_map *m, const char *real)
{
	if (static_path_within(m->dir, real))
		return true;
	for (size_t i = 0; i < statics.nsafe; i++)
		if (static_path_within(statics.safe[i], real))
			return true;
	return false;
}

/* The file a map gives for this request, realpath'd and confined, in real.
 * false: not this map's file (the next map or the app decides). */
static bool
resolve(const struct static_map *m, const struct kv *pi, char *real, struct stat *st)
{
	char norm[PATH_MAX];
	char path[PATH_MAX];
	if (m->is_file) {
		snprintf(path, sizeof(path), "%s", m->dir);
	} else {
		const char *rest = m->whole_path ? pi->val : pi->val + m->mount_len;
		size_t rest_len = m->whole_path ? pi->val_len : pi->val_len - m->mount_len;
		if (static_normalize(rest, rest_len, norm, sizeof(norm)) < 0)
			return false;
		if ((size_t)snprintf(path, sizeof(path), "%s%s", m->dir, strcmp(norm, "/") ? norm : "") >= sizeof(path))
			return false;
	}
	/* issue 19: static-cache-paths reuses a path resolved before */
	if (!static_cache_paths_get(path, real)) {
		if (!realpath(path, real))
			return false;
		static_cache_paths_put(path, real);
	}
	if (!confined(m, real)) {
		log_msg("static-map: security error: %s is not under %s or a static-safe path", real, m->dir);
		return false;
	}
	if (stat(real, st) < 0)
		return false;
	if (S_ISREG(st->st_mode))
		return true;
	if (!S_ISDIR(st->st_mode))
		return false;
	for (size_t i = 0; i < statics.index->n; i++) {
		char candidate[PATH_MAX];
		char resolved[PATH_MAX];
		if ((size_t)snprintf(candidate, sizeof(candidate), "%s/%s", real, statics.index->v[i]) >= sizeof(candidate))
			continue;
		if (realpath(candidate, resolved) && confined(m, resolved) && stat(resolved, st) == 0 &&
		    S_ISREG(st->st_mode)) {
			memcpy(real, resolved, strlen(resolved) + 1);
			return true;
		}
	}
	return false;
}

static bool
skipped_ext(const char *real)
{
	size_t n = strlen(real);
	for (size_t i = 0; i < statics.skip_ext->n; i++) {
		size_t e = strlen(statics.skip_ext->v[i]);
		if (e <= n && memcmp(real + n - e, statics.skip_ext->v[i], e) == 0)
			return true;
	}
	return false;
}

static bool
match_rule(const struct expires_rule *r, size_t n, const char *s, unsigned long *secs)
{
	for (size_t i = 0; i < n; i++) {
		if (regexec(&r[i].re, s, 0, NULL, 0) == 0) {
			*secs = r[i].seconds;
			return true;
		}
	}
	return false;
}

/* uWSGI's order: by file name, then PATH_INFO, then REQUEST_URI; the first rule wins. */
static bool
expires_for(const char *real, const struct req_view *rv, unsigned long *secs)
{
	char buf[PATH_MAX];
	if (match_rule(statics.exp_file, statics.nexp_file, real, secs))
		return true;
	if (rv->path_info && rv->path_info->val_len < sizeof(buf)) {
		memcpy(buf, rv->path_info->val, rv->path_info->val_len);
		buf[rv->path_info->val_len] = '\0';
		if (match_rule(statics.exp_path, statics.nexp_path, buf, secs))
			return true;
	}
	if (rv->uri && rv->uri->val_len < sizeof(buf)) {
		memcpy(buf, rv->uri->val, rv->uri->val_len);
		buf[rv->uri->val_len] = '\0';
		if (match_rule(statics.exp_uri, statics.nexp_uri, buf, secs))
			return true;
	}
	return false;
}

static void
add_header(struct kv *h, size_t *n, const char *k, const char *v)
{
	h[*n] = (struct kv){ k, strlen(k), v, strlen(v) };
	(*n)++;
}

static int
send_file(const char *real, const struct req_view *rv, struct request_io *io)
{
	char variant[PATH_MAX];
	const char *encoding = rv->accept_enc ?
	    static_gzip_pick(real, rv->accept_enc->val, rv->accept_enc->val_len, variant, sizeof(variant)) : NULL;
	/* the variant is opened beside the confined file; O_NOFOLLOW keeps it there */
	int fd = open(encoding ? variant : real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return STATIC_PASS;   /* gone or swapped since realpath(): the app decides */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return STATIC_PASS;
	}
	struct kv h[7];
	size_t nh = 0;
	char modified[STATIC_DATE_MAX], expires[STATIC_DATE_MAX], length[24], cache[40];
	static_http_date(st.st_mtime, modified);
	if (rv->ims) {
		time_t ims = static_parse_http_date(rv->ims->val, rv->ims->val_len);
		if (ims >= 0 && st.st_mtime <= ims) {
			close(fd);
			add_header(h, &nh, "Last-Modified", modified);
			return io->send_head(io->ctx, "304 Not Modified", 16, h, nh, 0);
		}
	}
	const char *type = static_mime_type(real);
	if (type)
		add_header(h, &nh, "Content-Type", type);
	snprintf(length, sizeof(length), "%lld", (long long)st.st_size);
	add_header(h, &nh, "Content-Length", length);
	if (encoding)
		add_header(h, &nh, "Content-Encoding", encoding);
	add_header(h, &nh, "Last-Modified", modified);
	unsigned long secs;
	if (expires_for(real, rv, &secs)) {
		static_http_date(time(NULL) + (time_t)secs, expires);
		add_header(h, &nh, "Expires", expires);
		snprintf(cache, sizeof(cache), "max-age=%lu", secs);
		add_header(h, &nh, "Cache-Control", cache);
	}
	int rc = io->send_head(io->ctx, "200 OK", 6, h, nh, (int64_t)st.st_size);
	if (rc == 0 && st.st_size > 0 && st.st_size <= SMALL_FILE && io->send_body) {
		/* a small file leaves in the same write as the head: head + sendfile
		 * as two segments meets Nagle and the client's delayed ACK (40 ms) */
		static __thread char *small;   /* per serving thread, on the heap */
		if (!small)
			small = xmalloc(SMALL_FILE);
		ssize_t got = pread(fd, small, (size_t)st.st_size, 0);
		if (got == (ssize_t)st.st_size)
			rc = io->send_body(io->ctx, small, (size_t)got);
		else
			rc = io->send_file(io->ctx, fd, 0, (int64_t)st.st_size);
	} else if (rc == 0 && st.st_size > 0) {
		rc = io->send_file(io->ctx, fd, 0, (int64_t)st.st_size);
	}
	close(fd);
	return rc;
}

int
static_serve(const struct kv *vars, size_t nvars, struct request_io *io)
{
	if (statics.nmaps == 0)
		return STATIC_PASS;
	struct req_view rv = { NULL, NULL, NULL, NULL, NULL };
	for (size_t i = 0; i < nvars; i++) {
		const struct kv *v = &vars[i];
		if (key_is(v, "PATH_INFO"))
			rv.path_info = v;
		else if (key_is(v, "REQUEST_METHOD"))
			rv.method = v;
		else if (key_is(v, "REQUEST_URI"))
			rv.uri = v;
		else if (key_is(v, "HTTP_IF_MODIFIED_SINCE"))
			rv.ims = v;
		else if (key_is(v, "HTTP_ACCEPT_ENCODING"))
			rv.accept_enc = v;
	}
	if (!rv.path_info || !rv.method)
		return STATIC_PASS;
	/* other methods go to the app, as in uWSGI */
	bool get = rv.method->val_len == 3 && memcmp(rv.method->val, "GET", 3) == 0;
	bool head = rv.method->val_len == 4 && memcmp(rv.method->val, "HEAD", 4) == 0;
	if (!get && !head)
		return STATIC_PASS;
	for (size_t i = 0; i < statics.nmaps; i++) {
		const struct static_map *m = &statics.maps[i];
		if (rv.path_info->val_len < m->mount_len || memcmp(rv.path_info->val, m->mount, m->mount_len) != 0)
			continue;
		char real[PATH_MAX];
		struct stat st;
		if (!resolve(m, rv.path_info, real, &st) || skipped_ext(real))
			continue;
		return send_file(real, &rv, io);
	}
	return STATIC_PASS;
}
