/* SPDX-License-Identifier: MIT */
/*
 * A request's I/O once it is being served: blocking reads and writes
 * bounded by socket-timeout, the request body (Content-Length or chunked,
 * limit-post, 100-continue) and the response (head, body, file).
 */
#include "server/conn_internal.h"
#include "request_features/add_header.h"
#include "request_features/offload.h"
#include "config/config.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- blocking I/O with socket-timeout ------------------------------------ */

int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

/*
 * How long the next body read may wait: socket-timeout, but never past the
 * whole body's deadline (request-body-timeout from the request's start,
 * one more second per request-body-min-rate bytes received), so that a
 * body trickled in just under socket-timeout per byte cannot hold the
 * worker for ever. 0 when the deadline has passed.
 */
static int
body_wait_ms(const struct conn *c)
{
	const struct worker_ctx *w = c->w;
	int64_t deadline, left_ms;

	if (w->body_timeout_us <= 0)
		return w->timeout_ms;
	deadline = request.start_us + w->body_timeout_us;
	if (w->body_min_rate > 0)
		deadline += (int64_t)(request.body_received * 1000000 / w->body_min_rate);
	left_ms = (deadline - clock_us() + 999) / 1000;
	if (left_ms <= 0)
		return 0;
	return left_ms < w->timeout_ms ? (int)left_ms : w->timeout_ms;
}

/* read_some() for the body: under body_wait_ms(), and counted. */
static ssize_t
body_read_some(struct conn *c, void *dst, size_t n)
{
	for (;;) {
		ssize_t r = read(c->fd, dst, n);
		int wait_ms;

		if (r > 0)
			request.body_received += (uint64_t)r;
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		wait_ms = body_wait_ms(c);
		if (wait_ms == 0 || wait_fd(c->fd, POLLIN, wait_ms) < 0) {
			if (wait_ms == 0 || errno == ETIMEDOUT)
				log_msg("%s: request body not complete after %lld s (request-body-timeout,"
				    " socket-timeout): closing", c->remote_addr,
				    (long long)((clock_us() - request.start_us) / 1000000));
			return -1;
		}
	}
}

static int
write_all(struct conn *c, const struct iovec *iov_in, int iovcnt)
{
	struct iovec iov[4];
	memcpy(iov, iov_in, (size_t)iovcnt * sizeof(*iov));
	struct iovec *v = iov;
	while (iovcnt > 0) {
		ssize_t n = writev(c->fd, v, iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || wait_fd(c->fd, POLLOUT, c->w->timeout_ms) < 0)
				return -1;
			continue;
		}
		while (iovcnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int
out_flush(void)
{
	if (request.olen == 0 || request.io_failed)
		return request.io_failed ? -1 : 0;
	struct iovec iov = { request.out, request.olen };
	request.olen = 0;
	if (write_all(request.c, &iov, 1) < 0) {
		request.io_failed = true;
		return -1;
	}
	return 0;
}

int
out_add(const char *data, size_t len)
{
	if (request.io_failed)
		return -1;
	if (request.olen + len <= OUT_CAP) {
		memcpy(request.out + request.olen, data, len);
		request.olen += len;
		return 0;
	}
	/* too big for the buffer: one writev of what is buffered plus the data */
	struct iovec iov[2] = { { request.out, request.olen }, { (void *)data, len } };
	request.olen = 0;
	if (write_all(request.c, iov, 2) < 0) {
		request.io_failed = true;
		return -1;
	}
	return 0;
}

/* ---- request body ------------------------------------------------------------ */

bool
over_limit(uint64_t total)
{
	return request.c->w->limit_post && total > request.c->w->limit_post;
}

static void
send_continue(void)
{
	if (request.expect_continue && !request.continue_sent && !request.head_sent) {
		static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
		struct iovec iov = { (void *)msg, sizeof(msg) - 1 };
		request.continue_sent = true;
		if (write_all(request.c, &iov, 1) < 0)
			request.io_failed = true;
	}
}

/* Decodes raw chunked bytes at [dend, len) in place. 0, or -1 on bad framing. */
int
decode_buffered(void)
{
	struct conn *c = request.c;
	size_t n = c->len - request.dend;
	if (n == 0)
		return 0;
	ssize_t rest = http_chunked_decode(&request.dec, c->buf + request.dend, &n);
	if (rest == -1)
		return -1;
	request.dend += n;
	if (rest >= 0) {
		request.body_done = true;
		c->len = request.dend + (size_t)rest;
	} else {
		c->len = request.dend;
	}
	request.body_total += n;
	return 0;
}

ssize_t
body_read(void *ctx, char *dst, size_t n)
{
	(void)ctx;
	struct conn *c = request.c;
	if (request.body_error || request.io_failed)
		return -1;
	for (;;) {
		if (request.dpos < request.dend) {
			size_t k = request.dend - request.dpos;
			if (k > n)
				k = n;
			memcpy(dst, c->buf + request.dpos, k);
			request.dpos += k;
			return (ssize_t)k;
		}
		if (!request.chunked) {
			if (request.body_left == 0)
				return 0;
			send_continue();
			size_t want = n < request.body_left ? n : (size_t)request.body_left;
			ssize_t r = body_read_some(c, dst, want);
			if (r <= 0) {
				request.io_failed = true;
				return -1;
			}
			request.body_left -= (uint64_t)r;
			return r;
		}
		if (request.body_done)
			return 0;
		/* chunked: all buffered raw bytes were decoded and consumed */
		send_continue();
		request.dpos = request.dend = c->len = request.head_len;
		ssize_t r = body_read_some(c, c->buf + c->len, c->cap - c->len);
		if (r <= 0) {
			request.io_failed = true;
			return -1;
		}
		c->len += (size_t)r;
		if (decode_buffered() < 0) {
			request.body_error = 400;
			return -1;
		}
		if (over_limit(request.body_total)) {
			request.body_error = 413;
			return -1;
		}
	}
}

/* Skips whatever is left of the body if it is already buffered; true when
 * the connection is then positioned at the next request. */
bool
body_skip_buffered(void)
{
	request.dpos = request.dend;
	if (request.chunked)
		return request.body_done;
	return request.body_left == 0;
}

/* ---- response ------------------------------------------------------------------ */

const char *
status_reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

void
send_error_response(struct conn *c, int status)
{
	char head[160];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%d %s\n",
	                 status, status_reason(status), strlen(status_reason(status)) + 5, status, status_reason(status));
	struct iovec iov = { head, (size_t)n };
	write_all(c, &iov, 1);
}

int
resp_head(void *ctx, const char *status, size_t status_len, const struct kv *headers,
                     size_t nheaders, int64_t content_length)
{
	(void)ctx;
	if (request.body_error || request.io_failed)
		return -1;
	bool keep = request.keep_alive && !worker_stopping(request.c->w);
	if (keep && !(request.dpos == request.dend && body_skip_buffered()))
		keep = false;   /* an unread body we cannot skip: close after */
	struct kv all[HTTP_MAX_HEADERS];
	headers = add_header_merge(headers, nheaders, &nheaders, all, HTTP_MAX_HEADERS);
	int n = http_format_head(request.out + request.olen, OUT_CAP - request.olen, request.minor, status, status_len, headers,
	                         nheaders, content_length, keep, request.head_request, &request.fr);
	if (n < 0) {
		log_msg("%s: invalid response head from the app (%s), sending 500", request.c->remote_addr,
		        n == -2 ? "too large" : "bad status or header");
		n = http_format_head(request.out + request.olen, OUT_CAP - request.olen, request.minor, "500 Internal Server Error", 25,
		                     NULL, 0, 0, false, request.head_request, &request.fr);
		request.discard = true;
		if (n < 0)
			return -1;
	}
	request.head_sent = true;
	request.olen += (size_t)n;
	request.resp_head_len = (size_t)n;
	request.resp_nheaders = nheaders;
	if (request.fr.close)
		request.keep_alive = false;
	return 0;
}

/* Bytes the head allows us to send from len. */
static size_t
clamp_body(size_t len)
{
	if (!request.fr.body_allowed || request.discard)
		return 0;
	if (request.fr.content_length >= 0) {
		uint64_t room = (uint64_t)request.fr.content_length > request.body_sent ?
		                (uint64_t)request.fr.content_length - request.body_sent : 0;
		if (len > room)
			return (size_t)room;
	}
	return len;
}

int
resp_body(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	if (!request.head_sent || request.io_failed)
		return -1;
	size_t n = clamp_body(len);
	if (n == 0)
		return 0;
	if (request.fr.content_length >= 0 && request.body_sent + n == (uint64_t)request.fr.content_length)
		count_request(request.c, n);   /* this block completes the body */
	if (request.fr.chunked) {
		char ch[HTTP_CHUNK_HEAD_MAX];
		size_t hl = http_chunk_head(ch, n);
		if (out_add(ch, hl) < 0 || out_add(data, n) < 0 || out_add(HTTP_CHUNK_END, 2) < 0)
			return -1;
	} else if (out_add(data, n) < 0) {
		return -1;
	}
	request.body_sent += n;
	/* PEP 3333: each block goes out before the app is asked for the next
	 * (streaming); head + a one-block body still leave in one write */
	return out_flush();
}

int
resp_file(void *ctx, int fd, off_t offset, int64_t count)
{
	(void)ctx;
	if (!request.head_sent || request.io_failed)
		return -1;
	if (count < 0) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -1;
		count = st.st_size > offset ? st.st_size - offset : 0;
	}
	size_t n = clamp_body((size_t)count);
	if (n == 0)
		return 0;
	if (request.fr.content_length >= 0 && request.body_sent + n == (uint64_t)request.fr.content_length)
		count_request(request.c, n);   /* this file completes the body */
	request.via_sendfile = true;
	if (request.fr.chunked) {
		char ch[HTTP_CHUNK_HEAD_MAX];
		size_t hl = http_chunk_head(ch, n);
		if (out_add(ch, hl) < 0)
			return -1;
	}
	if (out_flush() < 0)
		return -1;
	/* issue 19: offload-threads finish a file that ends the response, the
	 * worker serves on; the connection closes after it (as uWSGI) */
	if (!request.fr.chunked && request.fr.content_length >= 0 &&
	    request.body_sent + n == (uint64_t)request.fr.content_length &&
	    offload_sendfile((int)request.c->w->cfg->offload_threads, request.c->fd, fd, offset, n,
	        request.c->w->timeout_ms)) {
		request.body_sent += n;
		request.keep_alive = false;
		conn_count_offload();
		return 0;
	}
	size_t left = n;
	while (left > 0) {
		ssize_t s = platform_sendfile(request.c->fd, fd, &offset, left);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait_fd(request.c->fd, POLLOUT, request.c->w->timeout_ms) == 0)
				continue;
			request.io_failed = true;
			return -1;
		}
		if (s == 0)
			break;   /* file shrank: the response is short, close after */
		left -= (size_t)s;
	}
	request.body_sent += n - left;
	if (left) {
		request.io_failed = true;
		return -1;
	}
	if (request.fr.chunked && out_add(HTTP_CHUNK_END, 2) < 0)
		return -1;
	return 0;
}
