/* SPDX-License-Identifier: MIT */
/* Logging: one line per event, to stderr (or the `logto` file). */
#ifndef STOCKADE_LOG_H
#define STOCKADE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void log_set_file(int fd);
int log_fd(void);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vmsg(const char *fmt, va_list ap);
/* log_msg() followed by ": strerror(errno)" */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* raw bytes, no prefix and no newline added (used for wsgi.errors) */
void log_write(const char *buf, unsigned long len);
/* a request line: to the req-logger file, or with the other lines */
void log_write_request(const char *buf, unsigned long len);
/* Workers batch request lines per event-loop turn (see log.c): flush before
 * the loop waits and at exit; flush_stale before calling the app. The
 * master shares one batch per worker slot before forking, and salvages a
 * dead worker's batch when it reaps it. */
int log_request_share_batches(size_t nslots);
void log_request_batching(bool on, size_t slot);
void log_request_flush(void);
void log_request_flush_stale(void);
void log_request_salvage(size_t slot);
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* log-date: NULL off; "", true, 1, on, yes: ctime prefix; else a strftime
 * format (uWSGI). Prefixes log_msg() lines, not raw writes. */
void log_set_date(const char *value);
bool log_date_is_flag(const char *value);

/* Opens a log file the way every log file is opened (append, created 0640,
 * close-on-exec): the fd, or -1 logged as "<option> <path>". */
int log_file_open(const char *path, const char *option);

/* Log rotation. The file is opened by name (logto/daemonize) and dup'ed to
 * fds 1 and 2; a reopen request (SIGUSR2, master-fifo 'l', touch-logreopen)
 * bumps a counter shared with the workers (log_share_reopen_counter()
 * before they fork), and every process reopens the file by name before its
 * next line (log_write) or at its next loop turn (log_reopen_pending). */
int log_open_file(const char *path);
/* req-logger = file:PATH: request lines go there (reopened with the log) */
int log_open_request_file(const char *path);
int log_share_reopen_counter(void);
/* From a signal handler too. */
void log_request_reopen(void);
/* Acts on a pending request; verbose: say so in the log (the master).
 * 0 done or nothing to do, -1 the previous file is kept (error logged). */
int log_reopen_pending(bool verbose);
/* After a jail or chroot the path names another file: reopening refuses. */
void log_pin(const char *why);
/* master-fifo 'L': rename the file to backup (NULL: "<file>.<unix time>"),
 * then reopen everywhere. */
int log_rotate(const char *backup);

/*
 * log-master (server/logmaster.c): the master hands its own lines to a
 * sink (the loggers and routes) instead of the file; its children write
 * to a pipe the master reads (log_to_pipe: fds 1, 2 and the log; req_fd
 * >= 0 carries request lines too), and never reopen the files themselves.
 */
typedef void log_sink_fn(const char *buf, unsigned long len);
void log_set_sink(log_sink_fn *fn);
int log_to_pipe(int fd, int req_fd);
/* The file (or stderr) itself, past the sink. */
void log_raw_write(const char *buf, unsigned long len);
/* Size of the logto/daemonize file, -1 when there is none. */
long long log_file_size(void);

#endif
