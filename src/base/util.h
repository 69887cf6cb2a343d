/* SPDX-License-Identifier: MIT */
/* Small helpers used everywhere: checked allocation and a growable string. */
#ifndef STOCKADE_UTIL_H
#define STOCKADE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* returns the NUL-terminated buffer and leaves sb empty; caller frees */
char *sb_detach(struct strbuf *sb);

/* Reads a whole file; NULL with errno set on failure. */
char *read_file(const char *path, size_t *len);

/* read()/write() that retry EINTR and short counts. write_full returns 0
 * or -1 (errno set; EAGAIN on a non-blocking fd is an error too);
 * read_full the bytes read, fewer than len only at end of file, or -1. */
int write_full(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);

/* A file replaced atomically: readers see the old content or the new, never
 * a part, and a failure (disk full, read-only) leaves the old file and no
 * temp file. The temp file is made next to the target (same filesystem)
 * with O_EXCL|O_NOFOLLOW through a descriptor of the directory, so a
 * symlink planted there is never followed; data is fsync()ed before the
 * rename. open can run before a chroot/jail and commit after it: both
 * work through the descriptors only. */
struct atomic_file {
	int dirfd;
	int fd;
	char base[256];
	char tmp[300];
};
int atomic_file_open(struct atomic_file *af, const char *path, mode_t mode);
int atomic_file_commit(struct atomic_file *af, const void *data, size_t len);
void atomic_file_abort(struct atomic_file *af);
/* open + commit; -1 with errno set, nothing left behind */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Writes this process's pid and a newline to path with write_file_atomic:
 * a reader never sees an empty or partial pid, a full disk leaves no
 * debris. 0 (also for a NULL path), or -1 logged as "<option> <path>". */
int pidfile_write(const char *path, const char *option);

/* Formats an error message into err (when err is not NULL and len > 0)
 * without disturbing errno: the callee side of the (err, errlen) pairs. */
void errbuf_set(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* errbuf_set with ": <strerror(errno)>" after the message; returns -1 (for
 * `return errbuf_errno(...)`), errno kept. */
int errbuf_errno(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Strict unsigned parse: digits only, no sign, no junk, no overflow. */
/* True when PATH's mtime differs from *LAST (a missing file has mtime 0);
 * *LAST becomes the current one. For touch-reload and its kin. */
struct timespec;
bool file_touched(const char *path, struct timespec *last);

bool parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif
