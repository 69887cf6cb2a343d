#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_out = 2;

void log_set_file(int fd) { log_out = fd; }
int log_fd(void) { return log_out; }

void log_write(const char *buf, unsigned long len)
{
	while (len > 0) {
		ssize_t n = write(log_out, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (unsigned long)n;
	}
}

void log_vmsg(const char *fmt, va_list ap)
{
	char line[4096];
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	log_write(line, (unsigned long)n);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
}

void log_errno(const char *fmt, ...)
{
	int saved = errno;
	char msg[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg("%s: %s", msg, strerror(saved));
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}
