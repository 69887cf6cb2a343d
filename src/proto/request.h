/* SPDX-License-Identifier: MIT */
/*
 * What every protocol hands to the application runtime: a list of CGI-style
 * variables (as uWSGI builds them, §7.2) plus an I/O object for the body and
 * the response. The HTTP parser and the uwsgi packet parser both end here, so
 * the runtime never knows which wire protocol carried the request.
 */
#ifndef STOCKADE_REQUEST_H
#define STOCKADE_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kv {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

struct request_io {
	void *ctx;
	/* Up to n bytes of the (already de-chunked) request body.
	 * Returns bytes read, 0 at the end of the body, -1 on error (peer gone,
	 * timeout, malformed chunking). Never reads past the body. */
	ssize_t (*read_body)(void *ctx, char *buf, size_t n);
	/* Status line text ("200 OK") and headers, exactly once, before any body.
	 * content_length is the total body size when the runtime knows it
	 * (e.g. a one-element list), else -1. Returns 0 or -1 (connection lost). */
	int (*send_head)(void *ctx, const char *status, size_t status_len,
	                 const struct kv *headers, size_t nheaders, int64_t content_length);
	/* Body bytes; 0 or -1. */
	int (*send_body)(void *ctx, const char *data, size_t len);
	/* Body bytes from a file (wsgi.file_wrapper); count < 0 means to EOF.
	 * Returns 0 or -1. */
	int (*send_file)(void *ctx, int fd, off_t offset, int64_t count);
	/* issue 22: the client connection's socket (uwsgi.connection_fd()),
	 * 0 when there is none */
	int fd;
};

#endif
