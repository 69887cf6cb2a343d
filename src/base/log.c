/* SPDX-License-Identifier: MIT */
/* The general log: stderr or the logto/daemonize file, with reopening by
 * name for log rotation in the master and in every worker. */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int log_out = 2;
static int file_fd = -1;        /* the logto file (log_out, unless swapped for a while) */
static char *log_path;          /* its name, for reopening */
static int req_out = -1;        /* req-logger file, -1: request lines go to log_out */
static char *req_path;
static const char *pinned_why;  /* why reopening by name is impossible */
static const char *date_fmt;    /* log-date: NULL none, "" ctime, else strftime */

/* Reopen requests: a counter every process of the instance sees (shared
 * memory made before the workers fork); a process whose last reopen is
 * older than the counter reopens before its next line. */
static unsigned long local_generation;
static unsigned long *generation = &local_generation;
static unsigned long seen_generation;
static pid_t announcer;         /* the master: says what it did */
static log_sink_fn *sink;       /* log-master: the master's lines go here */

void
log_set_file(int fd)
{
	log_out = fd;
}
int
log_fd(void)
{
	return log_out;
}

bool
log_date_is_flag(const char *v)
{
	return !*v || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on") || !strcasecmp(v, "yes");
}

void
log_set_date(const char *value)
{
	date_fmt = value ? (log_date_is_flag(value) ? "" : value) : NULL;
}

/* Every log file: appended to, created 0640, never inherited by exec. */
static int
append_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_file_open(const char *path, const char *option)
{
	int fd = append_open(path);
	if (fd < 0)
		log_errno("%s %s", option, path);
	return fd;
}

int
log_open_file(const char *path)
{
	int fd = log_file_open(path, "logto");
	if (fd < 0)
		return -1;
	/* the app's print() and tracebacks go to fd 1/2: same file */
	if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		log_errno("logto %s", path);
		close(fd);
		return -1;
	}
	free(log_path);
	log_path = strdup(path);
	log_out = file_fd = fd;
	return 0;
}

int
log_open_request_file(const char *path)
{
	int fd = log_file_open(path, "req-logger");
	if (fd < 0)
		return -1;
	free(req_path);
	req_path = strdup(path);
	req_out = fd;
	return 0;
}

int
log_share_reopen_counter(void)
{
	void *p = mmap(NULL, sizeof(unsigned long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_errno("mmap(log reopen counter)");
		return -1;
	}
	generation = p;
	*generation = seen_generation = 0;
	announcer = getpid();
	return 0;
}

void
log_pin(const char *why)
{
	pinned_why = why;
}

/* Async-signal-safe: one lock-free atomic increment. */
void
log_request_reopen(void)
{
	__atomic_add_fetch(generation, 1, __ATOMIC_RELAXED);
}

/* The file is replaced under the same fd numbers (log_out, 1, 2) with
 * dup2: another thread writing meanwhile writes to the old or the new
 * file, never to a closed or reused fd. The old file is closed when its
 * last fd is replaced. */
static int
reopen(const char *path, int target, bool stdio)
{
	int fd = append_open(path);
	if (fd < 0)
		return -1;
	int rc = 0;
	if (dup2(fd, target) < 0 || fcntl(target, F_SETFD, FD_CLOEXEC) < 0 ||
	    (stdio && (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)))
		rc = -1;
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
log_reopen_pending(bool verbose)
{
	unsigned long want = __atomic_load_n(generation, __ATOMIC_RELAXED);
	unsigned long seen = seen_generation;
	if (want == seen)
		return 0;
	/* claim it first: the messages below go through log_write() again */
	if (!__atomic_compare_exchange_n(&seen_generation, &seen, want, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	if (!log_path && !req_path) {
		if (verbose)
			log_msg("log reopen: no logto/daemonize/req-logger file, nothing to reopen");
		return 0;
	}
	if (pinned_why) {
		if (verbose)
			log_msg("log reopen: %s is not reachable by name (%s): still writing to the file opened at start-up",
			        log_path ? log_path : req_path, pinned_why);
		return -1;
	}
	int rc = 0;
	const struct { const char *path; int fd; bool stdio; } files[] = {
		{ log_path, file_fd, true }, { req_path, req_out, false },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i].path)
			continue;
		if (reopen(files[i].path, files[i].fd, files[i].stdio) < 0) {
			log_errno("log reopen: %s (still writing to the previous file)", files[i].path);
			rc = -1;
		} else if (verbose) {
			log_msg("log reopen: %s reopened", files[i].path);
		}
	}
	return rc;
}

/* "<file>.<unix time>", with ".N" added when that exists already (two
 * rotations in one second must not overwrite the first backup). */
static void
unique_backup(char *name, size_t cap)
{
	long long now = (long long)time(NULL);
	struct stat st;

	snprintf(name, cap, "%s.%lld", log_path, now);
	for (int n = 1; lstat(name, &st) == 0 && n < 1000; n++)
		snprintf(name, cap, "%s.%lld.%d", log_path, now, n);
}

int
log_rotate(const char *backup)
{
	if (!log_path) {
		log_msg("log rotate: no logto/daemonize file, nothing to rotate");
		return -1;
	}
	if (pinned_why) {
		log_msg("log rotate: %s is not reachable by name (%s)", log_path, pinned_why);
		return -1;
	}
	char name[4096];
	if (backup)
		snprintf(name, sizeof(name), "%s", backup);
	else
		unique_backup(name, sizeof(name));
	log_msg("log rotate: %s -> %s", log_path, name);
	if (rename(log_path, name) < 0) {
		log_errno("log rotate: rename(%s, %s)", log_path, name);
		return -1;
	}
	log_request_reopen();
	return log_reopen_pending(true);
}

static void
write_all(int fd, const char *buf, unsigned long len)
{
	if (__atomic_load_n(generation, __ATOMIC_RELAXED) != seen_generation)
		log_reopen_pending(getpid() == announcer);
	while (len > 0) {
		/* at most 64 KiB a write: under log-master the fd is a datagram
		 * socket, whose messages have a size limit */
		ssize_t n = write(fd, buf, len > 65536 ? 65536 : len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (unsigned long)n;
	}
}

/*
 * Request lines of a worker are batched: the lines of one event-loop turn
 * leave in one write() (log_request_flush() before the loop waits), which
 * turns a syscall per request into one per turn under load. A line never
 * waits long: log_request_flush_stale() (before an app call) writes lines
 * older than REQ_BATCH_MAX_AGE_MS. The batches live in memory shared with
 * the master, which writes out what a dead worker left (harakiri, kill -9,
 * a crash): log_request_salvage(). Other lines flush the batch first when
 * they share the file, to keep the order.
 */
#define REQ_BATCH_BYTES		(32 * 1024)
#define REQ_BATCH_MAX_AGE_MS	1
struct req_batch {
	size_t len;             /* complete lines in buf (stored after the copy) */
	struct timespec since;  /* when the oldest line was added */
	char buf[REQ_BATCH_BYTES];
};
static struct req_batch local_batch;
static struct req_batch *batches;       /* one per worker slot, shared */
static size_t nbatches;
/* per thread: each serving thread of a worker has its own batch (slot) */
static __thread struct req_batch *batch = &local_batch;
static __thread bool req_batching;

static int
request_fd(void)
{
	return req_out >= 0 ? req_out : log_out;
}

int
log_request_share_batches(size_t n)
{
	void *p = mmap(NULL, n * sizeof(struct req_batch), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_errno("mmap(request log batches)");
		return -1;
	}
	batches = p;
	nbatches = n;
	return 0;
}

void
log_request_batching(bool on, size_t slot)
{
	if (!on)
		log_request_flush();
	else
		batch = slot < nbatches ? &batches[slot] : &local_batch;
	batch->len = 0;
	req_batching = on;
}

void
log_request_flush(void)
{
	size_t len = batch->len;
	if (len == 0)
		return;
	/* emptied before the write: a reopen inside it logs (log_write) */
	__atomic_store_n(&batch->len, 0, __ATOMIC_RELEASE);
	write_all(request_fd(), batch->buf, len);
}

void
log_request_flush_stale(void)
{
	if (batch->len == 0)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	long long age_ms = (long long)(now.tv_sec - batch->since.tv_sec) * 1000 +
	                   (now.tv_nsec - batch->since.tv_nsec) / 1000000;
	if (age_ms >= REQ_BATCH_MAX_AGE_MS)
		log_request_flush();
}

void
log_request_salvage(size_t slot)
{
	if (slot >= nbatches)
		return;
	struct req_batch *b = &batches[slot];
	size_t len = __atomic_load_n(&b->len, __ATOMIC_ACQUIRE);
	if (len > 0 && len <= sizeof(b->buf))
		write_all(request_fd(), b->buf, len);
	b->len = 0;
}

void
log_write(const char *buf, unsigned long len)
{
	if (batch->len && req_out < 0)
		log_request_flush();
	if (sink)
		sink(buf, len);
	else
		write_all(log_out, buf, len);
}

void
log_set_sink(log_sink_fn *fn)
{
	sink = fn;
}

void
log_raw_write(const char *buf, unsigned long len)
{
	write_all(log_out, buf, len);
}

long long
log_file_size(void)
{
	struct stat st;

	if (!log_path || fstat(log_out, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return (long long)st.st_size;
}

int
log_to_pipe(int fd, int req_fd)
{
	sink = NULL;
	if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return -1;
	/* the master owns the files: this process never reopens them */
	log_out = fd;
	file_fd = -1;
	free(log_path);
	log_path = NULL;
	if (req_fd >= 0) {
		req_out = req_fd;
		free(req_path);
		req_path = NULL;
	}
	return 0;
}

void
log_write_request(const char *buf, unsigned long len)
{
	if (!req_batching || len > sizeof(batch->buf)) {
		write_all(request_fd(), buf, len);
		return;
	}
	size_t have = batch->len;
	if (have + len > sizeof(batch->buf)) {
		log_request_flush();
		have = 0;
	}
	if (have == 0)
		clock_gettime(CLOCK_MONOTONIC_COARSE, &batch->since);
	memcpy(batch->buf + have, buf, len);
	__atomic_store_n(&batch->len, have + len, __ATOMIC_RELEASE);
}

static size_t
date_prefix(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	size_t n;
	localtime_r(&t, &tm);
	/* uWSGI: ctime without its newline, or the log-date strftime format */
	n = strftime(out, cap - 4, *date_fmt ? date_fmt : "%a %b %e %H:%M:%S %Y", &tm);
	memcpy(out + n, " - ", 3);
	return n + 3;
}

void
log_vmsg(const char *fmt, va_list ap)
{
	char line[4096];
	size_t off = date_fmt ? date_prefix(line, 256) : 0;
	int n = vsnprintf(line + off, sizeof(line) - 1 - off, fmt, ap);
	if (n < 0)
		return;
	size_t len = off + (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	log_write(line, (unsigned long)len);
}

void
log_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
}

void
log_errno(const char *fmt, ...)
{
	int saved = errno;
	char msg[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg("%s: %s", msg, strerror(saved));
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}
