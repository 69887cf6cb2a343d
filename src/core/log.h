/* Logging: one line per event, to stderr (or the `logto` file). */
#ifndef STOCKADE_LOG_H
#define STOCKADE_LOG_H

#include <stdarg.h>

void log_set_file(int fd);
int log_fd(void);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vmsg(const char *fmt, va_list ap);
/* log_msg() followed by ": strerror(errno)" */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* raw bytes, no prefix and no newline added (used for wsgi.errors, request log) */
void log_write(const char *buf, unsigned long len);
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
