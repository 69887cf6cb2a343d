/* SPDX-License-Identifier: MIT */
/*
 * post-buffering: the whole request body is read before the app runs, in
 * memory below post-buffering bytes, else into an unlinked temp file in
 * $TMPDIR (default /tmp), as uWSGI does; wsgi.input then reads from there.
 */
#include "server/post_buffer.h"
#include "server/conn_internal.h"
#include "config/config.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The buffered body of the request this thread serves. */
static __thread struct {
	char *mem;
	size_t len, cap, pos;
	int fd;                  /* temp file, -1 when in memory */
	uint64_t flen, fpos;
} pb = { .fd = -1 };

/* An unlinked temp file where uWSGI puts one: $TMPDIR, else /tmp. */
static int
tmp_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/stockade-body-XXXXXX", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int
write_full(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Moves what is in memory to a temp file (a chunked body past the limit). */
static int
spill(void)
{
	pb.fd = tmp_open();
	if (pb.fd < 0)
		return -1;
	if (write_full(pb.fd, pb.mem, pb.len) < 0)
		return -1;
	pb.flen = pb.len;
	free(pb.mem);
	pb.mem = NULL;
	pb.len = pb.cap = 0;
	return 0;
}

static ssize_t
buffered_read(void *ctx, char *dst, size_t n)
{
	(void)ctx;
	if (pb.fd < 0) {
		size_t k = pb.len - pb.pos;
		if (k > n)
			k = n;
		memcpy(dst, pb.mem + pb.pos, k);
		pb.pos += k;
		return (ssize_t)k;
	}
	if (n > pb.flen - pb.fpos)
		n = (size_t)(pb.flen - pb.fpos);
	for (;;) {
		ssize_t r = pread(pb.fd, dst, n, (off_t)pb.fpos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			pb.fpos += (uint64_t)r;
		return r;
	}
}

void
post_buffer_release(void)
{
	free(pb.mem);
	if (pb.fd >= 0)
		close(pb.fd);
	memset(&pb, 0, sizeof(pb));
	pb.fd = -1;
}

int
post_buffer_fill(struct conn *c, struct request_io *io)
{
	const struct config *cfg = c->w->cfg;
	uint64_t limit = cfg->post_buffering;
	size_t bufsize = cfg->post_buffering_bufsize ? (size_t)cfg->post_buffering_bufsize : 8192;
	char *chunk;
	/* Content-Length known up front: memory or file is decided at once */
	uint64_t known = request.chunked ? 0 : request.body_left + (request.dend - request.dpos);

	if (limit == 0 || (!request.chunked && known == 0))
		return 0;
	post_buffer_release();
	if (bufsize < limit)
		bufsize = (size_t)limit;   /* uWSGI raises the read size to the limit too */
	if (bufsize > 1024 * 1024)
		bufsize = 1024 * 1024;     /* one read at a time: no need for more */
	if (!request.chunked && known >= limit) {
		pb.fd = tmp_open();
		if (pb.fd < 0) {
			log_msg("%s: post-buffering: cannot create a temp file in %s: %s", c->remote_addr,
			    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
			return -1;
		}
	} else if (!request.chunked) {
		pb.cap = (size_t)known;
		if (!(pb.mem = malloc(pb.cap)))
			return -1;
	}
	if (!(chunk = malloc(bufsize)))
		goto fail;
	for (;;) {
		ssize_t r = body_read(NULL, chunk, bufsize);
		if (r < 0)
			goto fail_chunk;   /* body_read logged, request.body_error/io_failed set */
		if (r == 0)
			break;
		if (pb.fd < 0 && pb.len + (size_t)r > pb.cap) {
			if (pb.len + (size_t)r >= limit) {
				if (spill() < 0) {
					log_msg("%s: post-buffering: cannot spill the body to a temp file: %s",
					    c->remote_addr, strerror(errno));
					goto fail_chunk;
				}
			} else {
				size_t ncap = pb.cap ? pb.cap * 2 : 16384;
				char *m;
				while (ncap < pb.len + (size_t)r)
					ncap *= 2;
				if (!(m = realloc(pb.mem, ncap)))
					goto fail_chunk;
				pb.mem = m;
				pb.cap = ncap;
			}
		}
		if (pb.fd >= 0) {
			if (write_full(pb.fd, chunk, (size_t)r) < 0) {
				log_msg("%s: post-buffering: writing the temp file: %s", c->remote_addr,
				    strerror(errno));
				goto fail_chunk;
			}
			pb.flen += (uint64_t)r;
		} else {
			memcpy(pb.mem + pb.len, chunk, (size_t)r);
			pb.len += (size_t)r;
		}
	}
	free(chunk);
	io->read_body = buffered_read;
	return 0;
fail_chunk:
	free(chunk);
fail:
	post_buffer_release();
	return -1;
}
