/* SPDX-License-Identifier: MIT */
#include "base/util.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

void *
xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
sb_init(struct strbuf *sb)
{
	sb->buf = NULL, sb->len = 0, sb->cap = 0;
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

static void
sb_grow(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap * 2 : 64;
	while (cap < sb->len + extra + 1)
		cap *= 2;
	sb->buf = xrealloc(sb->buf, cap);
	sb->cap = cap;
}

void
sb_add(struct strbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	if (n)
		memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}
void
sb_addc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

/* The one formatter of xasprintf and sb_addf. */
static void
sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	char *s;
	int n = vasprintf(&s, fmt, ap);

	if (n < 0)
		fatal("out of memory");
	sb_add(sb, s, (size_t)n);
	free(s);
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

char *
sb_detach(struct strbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	sb_init(sb);
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;

	sb_init(&sb);
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	return sb_detach(&sb);
}

char *
read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct strbuf sb;
	sb_init(&sb);
	sb_grow(&sb, 4096);
	for (;;) {
		sb_grow(&sb, 4096);
		ssize_t n = read(fd, sb.buf + sb.len, sb.cap - sb.len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			sb_free(&sb);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
	}
	close(fd);
	sb.buf[sb.len] = '\0';
	if (len)
		*len = sb.len;
	return sb.buf;
}

bool
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {           /* no progress: never loop forever */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
atomic_file_open(struct atomic_file *af, const char *path, mode_t mode)
{
	af->dirfd = af->fd = -1;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) : 0;
	if (!*base || strlen(base) >= sizeof(af->base) || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = EINVAL;
		return -1;
	}
	snprintf(af->base, sizeof(af->base), "%s", base);
	snprintf(af->tmp, sizeof(af->tmp), ".%s.tmp.%d", base, (int)getpid());
	char *dir = slash ? xstrndup(path, dirlen ? dirlen : 1) : xstrdup(".");
	af->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (af->dirfd < 0)
		return -1;
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	af->fd = openat(af->dirfd, af->tmp, flags, mode);
	if (af->fd < 0 && errno == EEXIST) {
		/* left by an earlier process with our pid that died mid-write */
		if (unlinkat(af->dirfd, af->tmp, 0) == 0)
			af->fd = openat(af->dirfd, af->tmp, flags, mode);
		else
			errno = EEXIST;
	}
	if (af->fd < 0) {
		int e = errno;
		close(af->dirfd);
		af->dirfd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

void
atomic_file_abort(struct atomic_file *af)
{
	int e = errno;
	if (af->fd >= 0) {
		close(af->fd);
		af->fd = -1;
	}
	if (af->dirfd >= 0) {
		unlinkat(af->dirfd, af->tmp, 0);
		close(af->dirfd);
		af->dirfd = -1;
	}
	errno = e;
}

int
atomic_file_commit(struct atomic_file *af, const void *data, size_t len)
{
	if (write_full(af->fd, data, len) < 0 || fsync(af->fd) < 0) {
		atomic_file_abort(af);
		return -1;
	}
	int rc = close(af->fd);
	af->fd = -1;
	if (rc < 0 || renameat(af->dirfd, af->tmp, af->dirfd, af->base) < 0) {
		atomic_file_abort(af);
		return -1;
	}
	close(af->dirfd);
	af->dirfd = -1;
	return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct atomic_file af;
	if (atomic_file_open(&af, path, mode) < 0)
		return -1;
	return atomic_file_commit(&af, data, len);
}

int
pidfile_write(const char *path, const char *option)
{
	char num[32];
	int len;

	if (path == NULL)
		return 0;
	len = snprintf(num, sizeof(num), "%d\n", (int)getpid());
	if (write_file_atomic(path, num, (size_t)len, 0644) < 0) {
		log_errno("%s %s", option, path);
		return -1;
	}
	return 0;
}

void
errbuf_set(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	errno = saved;
}

int
errbuf_errno(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n;

	if (err == NULL || len == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	n = strlen(err);
	snprintf(err + n, len - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

bool
file_touched(const char *path, struct timespec *last)
{
	struct stat st;
	struct timespec t = { 0, 0 };

	if (stat(path, &st) == 0)
		t = st.st_mtim;
	bool changed = t.tv_sec != last->tv_sec || t.tv_nsec != last->tv_nsec;
	*last = t;
	return changed;
}
