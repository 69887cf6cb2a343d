/* SPDX-License-Identifier: MIT */
/*
 * One client connection through the router (see router_internal.h): the
 * request head is read in full (within http-headers-timeout, not renewed
 * by trickled bytes), parsed strictly, and re-serialized as a uwsgi
 * packet; up to ROUTER_BODY_BUFFER bytes of body are read before a backend
 * is picked, the rest is streamed. A chunked body is de-chunked here (the
 * backend gets CONTENT_LENGTH). The response goes back through one buffer
 * per direction with back-pressure: a full buffer stops reading its side.
 */
#include "router/router_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"
#include "router/proxy_proto.h"

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* a head is parsed and used at once: one per process */
static struct http_request req;

static void update(struct session *s);
static void try_head(struct session *s);
static void backend_write_early(struct session *s);

static int
set_mask(struct session *s, int fd, uint8_t *cur, int want, event_fd_fn *cb)
{
	if (fd < 0 || *cur == want)
		return 0;
	int del = *cur & ~want, add = want & ~*cur;
	if (del)
		event_del(R.loop, fd, del);
	*cur = (uint8_t)want;
	if (add && event_add(R.loop, fd, add, cb, s) < 0) {
		log_errno("http router: event_add");
		return -1;
	}
	return 0;
}

static void
close_backend(struct session *s)
{
	if (s->bfd < 0)
		return;
	event_forget(R.loop, s->bfd);	/* the router's own socket: close drops it */
	close(s->bfd);
	s->bfd = -1;
	s->bmask = 0;
}

/* The fds are closed at once; the struct waits in the graveyard until the
 * callback that closed it has returned (callers may still look at
 * s->dead). */
void
session_close(struct session *s)
{
	if (s->dead)
		return;
	s->dead = true;
	close_backend(s);
	event_forget(R.loop, s->cfd);
	close(s->cfd);
	buf_free(&s->in);
	buf_free(&s->up);
	buf_free(&s->down);
	if (s->prev)
		s->prev->next = s->next;
	else
		R.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	R.nsessions--;
	s->next = R.graveyard;
	R.graveyard = s;
}

void
session_bury(void)
{
	while (R.graveyard) {
		struct session *s = R.graveyard;
		R.graveyard = s->next;
		free(s);
	}
}

/* A router-made answer (error page), then the connection is closed. */
static void
fail(struct session *s, int code)
{
	close_backend(s);
	if (s->sent_any || R.fastrouter) {	/* a uwsgi client gets no HTTP page */
		session_close(s);
		return;
	}
	buf_free(&s->up);
	buf_free(&s->down);
	const char *r = router_reason(code);
	s->down.cap = 256;
	s->down.p = xmalloc(s->down.cap);
	int n = snprintf(s->down.p, s->down.cap,
	                 "HTTP/1.%d %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%d %s\n",
	                 s->minor, code, r, strlen(r) + 5, code, r);
	s->down.len = n > 0 && (size_t)n < s->down.cap ? (size_t)n : 0;
	s->state = S_CLOSING;
	s->keep = false;
	s->deadline = clock_ms() + R.timeout_ms;
	update(s);
}

static void
touch(struct session *s)
{
	if (s->state == S_BODY || s->state == S_RESPONSE || s->state == S_TUNNEL)
		s->deadline = clock_ms() + R.timeout_ms;
}

static void
start_backend(struct session *s)
{
	s->tries = 0;
	int st = backend_connect(s);
	if (st) {
		log_msg("http router: %s:%s: no backend available for '%s' (%d)", s->addr, s->port, s->host, st);
		fail(s, st);
		return;
	}
	s->state = S_CONNECT;
	s->deadline = clock_ms() + R.connect_ms;
	backend_write_early(s);
	if (!s->dead)
		update(s);
}

static bool
has_header(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < req.num_headers; i++)
		if (req.headers[i].name_len == n && strncasecmp(req.headers[i].name, name, n) == 0)
			return true;
	return false;
}

/* Decodes the chunked body bytes in s->in; once it ends, forwards. */
static void
chunked_feed(struct session *s)
{
	size_t start = s->head_len + s->dec_len, l = s->in.len - start;
	if (l == 0)
		return;
	ssize_t r = http_chunked_decode(&s->ck, s->in.p + start, &l);
	if (r == -1) {
		log_msg("http router: %s:%s: malformed chunked body", s->addr, s->port);
		fail(s, 400);
		return;
	}
	s->dec_len += l;
	if (r == -2) {
		s->in.len = s->head_len + s->dec_len;
		return;
	}
	/* the same head, parsed again: the buffer may have moved since */
	if (http_parse_request(s->in.p, s->head_len, R.buffer_size, &req) != (int)s->head_len) {
		fail(s, 400);
		return;
	}
	int st = packet_build(s, &req, s->dec_len);
	if (st) {
		fail(s, st);
		return;
	}
	if (s->up.cap - s->up.len < s->dec_len) {
		s->up.cap = s->up.len + s->dec_len;
		s->up.p = xrealloc(s->up.p, s->up.cap);
	}
	memcpy(s->up.p + s->up.len, s->in.p + s->head_len, s->dec_len);
	s->up.len += s->dec_len;
	memmove(s->in.p, s->in.p + s->head_len + s->dec_len, (size_t)r);
	s->in.len = (size_t)r;
	s->body_left = 0;
	start_backend(s);
}

static void
start_request(struct session *s, size_t head_len)
{
	s->head_len = head_len;
	s->minor = (uint8_t)req.minor_version;
	s->head_req = req.method_len == 4 && memcmp(req.method, "HEAD", 4) == 0;
	s->upgrade = has_header("upgrade");
	s->host[0] = '\0';
	for (size_t i = 0; i < req.num_headers; i++)
		if (req.headers[i].name_len == 4 && strncasecmp(req.headers[i].name, "host", 4) == 0 &&
		    req.headers[i].value_len < sizeof(s->host)) {
			memcpy(s->host, req.headers[i].value, req.headers[i].value_len);
			s->host[req.headers[i].value_len] = '\0';
			break;
		}
	s->keep = R.keepalive && req.keep_alive && req.minor_version == 1 && !s->upgrade;
	s->chunked_req = req.chunked;
	s->resp_head_done = s->frame_chunks = s->close_after = s->sent_any = false;
	s->backend_eof = false;
	s->body_allowed = true;
	s->resp_left = -1;
	s->dec_len = 0;
	uint64_t cl = req.content_length > 0 ? (uint64_t)req.content_length : 0;
	if (req.expect_continue && (req.chunked || cl > 0)) {
		if (R.expect_limit && (req.chunked || cl > R.expect_limit)) {
			fail(s, 417);
			return;
		}
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		/* nothing else is queued for the client now: the write fits */
		if (write(s->cfd, cont, sizeof(cont) - 1) != (ssize_t)sizeof(cont) - 1) {
			session_close(s);
			return;
		}
	}
	s->state = S_BODY;
	s->deadline = clock_ms() + R.timeout_ms;
	if (req.chunked) {
		http_chunked_init(&s->ck);
		chunked_feed(s);
		return;
	}
	int st = packet_build(s, &req, cl);
	if (st) {
		fail(s, st);
		return;
	}
	session_forward(s, head_len, cl);
}

/* The request (s->up) is built from in[0..head_len): moves the body bytes
 * already read behind it and picks a backend, or waits for more body. */
void
session_forward(struct session *s, size_t head_len, uint64_t cl)
{
	s->state = S_BODY;
	s->deadline = clock_ms() + R.timeout_ms;
	size_t avail = s->in.len - head_len, take = avail < cl ? avail : (size_t)cl;
	if (s->up.cap - s->up.len < take) {
		s->up.cap = s->up.len + take;
		s->up.p = xrealloc(s->up.p, s->up.cap);
	}
	memcpy(s->up.p + s->up.len, s->in.p + head_len, take);
	s->up.len += take;
	memmove(s->in.p, s->in.p + head_len + take, avail - take);
	s->in.len = avail - take;
	s->body_left = cl - take;
	if (s->body_left > 0 && buf_pending(&s->up) < ROUTER_BODY_BUFFER) {
		update(s);
		return;
	}
	start_backend(s);
}

static void
try_head(struct session *s)
{
	if (R.proxy_proto && !s->proxy_done) {
		struct proxy_info pi;
		int r = proxy_parse(s->in.p, s->in.len, &pi);
		if (r == 0 && s->in.len < s->in.cap)
			return;
		if (r == 0 || r == -1) {
			log_msg("http router: %s:%s: invalid PROXY protocol header", s->addr, s->port);
			fail(s, 400);
			return;
		}
		if (r > 0) {
			if (pi.has_addr) {
				snprintf(s->addr, sizeof(s->addr), "%s", pi.addr);
				snprintf(s->port, sizeof(s->port), "%s", pi.port);
			}
			memmove(s->in.p, s->in.p + r, s->in.len - (size_t)r);
			s->in.len -= (size_t)r;
		}
		s->proxy_done = true;
	}
	if (s->in.len == 0)
		return;
	if (R.fastrouter) {
		if (fastrouter_request(s) < 0)
			session_close(s);
		return;
	}
	int rc = http_parse_request(s->in.p, s->in.len, R.buffer_size, &req);
	if (rc == 0)
		return;
	if (rc < 0) {
		log_msg("http router: %s:%s: invalid request (%d)", s->addr, s->port, -rc);
		fail(s, -rc);
		return;
	}
	start_request(s, (size_t)rc);
}

static void
finish_response(struct session *s)
{
	close_backend(s);
	if (!s->keep || s->close_after || s->body_left > 0 || R.stopping) {
		session_close(s);
		return;
	}
	buf_free(&s->up);
	buf_free(&s->down);
	s->state = S_HEAD;
	s->nd = NULL;
	s->deadline = clock_ms() + R.headers_ms;
	if (s->in.len > 0) {
		try_head(s);	/* a pipelined request */
		return;
	}
	buf_free(&s->in);	/* an idle connection holds no buffer */
	update(s);
}

static bool
response_complete(const struct session *s)
{
	return s->resp_head_done && (s->backend_eof || s->resp_left == 0);
}

/* ---- reading and writing -------------------------------------------- */

static void
read_head_bytes(struct session *s)
{
	if (!s->in.p) {
		s->in.cap = R.buffer_size + 1 + 512;	/* + a PROXY header */
		s->in.p = xmalloc(s->in.cap);
	}
	if (s->chunked_req && s->state == S_BODY && s->in.len == s->in.cap) {
		size_t max = s->head_len + ROUTER_CHUNKED_MAX + 8192;
		if (s->in.cap >= max) {
			fail(s, 413);
			return;
		}
		s->in.cap = s->in.cap * 2 < max ? s->in.cap * 2 : max;
		s->in.p = xrealloc(s->in.p, s->in.cap);
	}
	ssize_t n = read(s->cfd, s->in.p + s->in.len, s->in.cap - s->in.len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		session_close(s);	/* the client left (mid-request or idle) */
		return;
	}
	s->in.len += (size_t)n;
	if (s->state == S_HEAD) {
		try_head(s);
		return;
	}
	touch(s);
	chunked_feed(s);
	if (s->state == S_BODY && s->dec_len > ROUTER_CHUNKED_MAX)
		fail(s, 413);
}

static void
client_read(struct session *s)
{
	if (s->state == S_HEAD || (s->state == S_BODY && s->chunked_req)) {
		read_head_bytes(s);
		return;
	}
	if (s->state == S_LINGER) {
		char tmp[4096];
		ssize_t n = read(s->cfd, tmp, sizeof(tmp));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			session_close(s);
		return;
	}
	size_t r = buf_room(&s->up);
	if (s->state != S_TUNNEL && r > s->body_left)
		r = (size_t)s->body_left;
	if (r == 0)
		return;
	ssize_t n = read(s->cfd, s->up.p + s->up.len, r);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (s->state == S_TUNNEL && buf_pending(&s->up) > 0) {
			s->client_eof = true;
			return;
		}
		session_close(s);
		return;
	}
	s->up.len += (size_t)n;
	touch(s);
	if (s->state != S_TUNNEL)
		s->body_left -= (uint64_t)n;
	if (s->state == S_BODY && (s->body_left == 0 || buf_pending(&s->up) >= ROUTER_BODY_BUFFER))
		start_backend(s);
}

static void
client_write(struct session *s)
{
	ssize_t n = write(s->cfd, s->down.p + s->down.off, buf_pending(&s->down));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		session_close(s);
		return;
	}
	s->down.off += (size_t)n;
	s->sent_any = true;
	touch(s);
	if (buf_pending(&s->down) > 0)
		return;
	if (s->state == S_CLOSING) {
		shutdown(s->cfd, SHUT_WR);
		s->state = S_LINGER;
		s->deadline = clock_ms() + ROUTER_LINGER_MS;
	} else if (s->state == S_RESPONSE && response_complete(s)) {
		finish_response(s);
	} else if (s->state == S_TUNNEL && s->backend_eof) {
		session_close(s);
	}
}

static void
on_client(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	struct session *s = data;

	session_bury();
	if (mask & EV_WRITE)
		client_write(s);
	if ((mask & EV_READ) && !s->dead)
		client_read(s);
	update(s);
}

void
session_body_bytes(struct session *s, const char *p, size_t n)
{
	if (!s->body_allowed || n == 0)
		return;
	if (s->resp_left >= 0 && n > (uint64_t)s->resp_left) {
		n = (size_t)s->resp_left;	/* more than promised: dropped */
		s->close_after = true;
	}
	if (s->resp_left >= 0)
		s->resp_left -= (int64_t)n;
	if (n == 0)
		return;
	size_t need = n + HTTP_CHUNK_HEAD_MAX + 2;
	if (buf_room(&s->down) < need) {
		s->down.cap = s->down.len + need;
		s->down.p = xrealloc(s->down.p, s->down.cap);
	}
	if (s->frame_chunks)
		s->down.len += http_chunk_head(s->down.p + s->down.len, n);
	memcpy(s->down.p + s->down.len, p, n);
	s->down.len += n;
	if (s->frame_chunks) {
		memcpy(s->down.p + s->down.len, HTTP_CHUNK_END, 2);
		s->down.len += 2;
	}
}

static void
backend_eof(struct session *s)
{
	s->backend_eof = true;
	close_backend(s);
	if (s->state == S_TUNNEL) {
		if (buf_pending(&s->down) == 0)
			session_close(s);
		return;
	}
	if (s->resp_left > 0)
		s->close_after = true;	/* cut short: the client sees the close */
	if (s->frame_chunks) {
		if (buf_room(&s->down) < 5) {
			s->down.cap = s->down.len + 5;
			s->down.p = xrealloc(s->down.p, s->down.cap);
		}
		memcpy(s->down.p + s->down.len, HTTP_CHUNK_LAST, 5);
		s->down.len += 5;
		s->frame_chunks = false;
	}
	if (buf_pending(&s->down) == 0)
		finish_response(s);
}

/* Reads the response head; rewrites it once complete. */
static void
read_response_head(struct session *s)
{
	if (!s->down.p) {
		s->down.cap = ROUTER_DOWN_CAP;
		s->down.p = xmalloc(s->down.cap);
	}
	if (s->down.len == s->down.cap) {
		log_msg("http router: response head from %s over %d bytes", node_name(s), ROUTER_DOWN_CAP);
		fail(s, 502);
		return;
	}
	ssize_t n = read(s->bfd, s->down.p + s->down.len, s->down.cap - s->down.len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_msg("http router: %s:%s: backend %s closed without a response", s->addr, s->port,
		        node_name(s));
		fail(s, 502);
		return;
	}
	s->down.len += (size_t)n;
	touch(s);
	for (;;) {
		size_t he = response_head_end(s->down.p, s->down.len);
		if (he == 0)
			return;
		int r = response_head(s, he);
		if (r > 0) {
			log_msg("http router: %s:%s: invalid response head from backend %s", s->addr, s->port,
			        node_name(s));
			fail(s, r);
			return;
		}
		if (r == 0)
			break;
		memmove(s->down.p, s->down.p + he, s->down.len - he);	/* a 1xx: dropped */
		s->down.len -= he;
	}
	if (s->state == S_RESPONSE && response_complete(s) && buf_pending(&s->down) == 0)
		finish_response(s);
}

static void
backend_read(struct session *s)
{
	if (!s->resp_head_done) {
		read_response_head(s);
		return;
	}
	char tmp[16384];
	size_t r = buf_room(&s->down);
	bool direct = s->state == S_TUNNEL || (!s->frame_chunks && s->body_allowed && s->resp_left < 0);
	if (!direct) {
		r = r > HTTP_CHUNK_HEAD_MAX + 2 ? r - HTTP_CHUNK_HEAD_MAX - 2 : 0;
		if (r > sizeof(tmp))
			r = sizeof(tmp);
	}
	if (r == 0)
		return;
	ssize_t n = read(s->bfd, direct ? s->down.p + s->down.len : tmp, r);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		s->close_after = true;	/* reset by the backend: the body may be cut */
	if (n <= 0) {
		backend_eof(s);
		return;
	}
	touch(s);
	if (direct)
		s->down.len += (size_t)n;
	else
		session_body_bytes(s, tmp, (size_t)n);
}

static void
backend_write(struct session *s)
{
	ssize_t n = write(s->bfd, s->up.p + s->up.off, buf_pending(&s->up));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* the backend stopped reading (it may have answered already):
		 * what is left of the body is not sent, the response still is */
		s->up.off = s->up.len;
		s->close_after = true;
		s->body_left = 0;
		s->keep = false;
		return;
	}
	s->up.off += (size_t)n;
	touch(s);
}

/* The connect to the backend ended with err (0: connected): send the
 * request, or try the next node. */
static void
backend_connect_done(struct session *s, int err)
{
	if (err == 0) {
		s->state = S_RESPONSE;
		s->deadline = clock_ms() + R.timeout_ms;
		backend_write(s);	/* a fresh socket has room: no wait for EPOLLOUT */
		return;
	}
	backend_failed(s, strerror(err));
	close_backend(s);
	int st = backend_connect(s);
	if (st) {
		log_msg("http router: %s:%s: no backend available for '%s' (%d)", s->addr, s->port, s->host, st);
		fail(s, st);
		return;
	}
	s->deadline = clock_ms() + R.connect_ms;
}

static void
backend_connected(struct session *s)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(s->bfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	backend_connect_done(s, err);
}

/*
 * Right after connect(): a loopback or unix connect has usually completed
 * already, so the request is written at once, saving a round through the
 * loop (two mask changes and SO_ERROR). A socket still connecting refuses
 * the write with EAGAIN (ENOTCONN on some systems) and waits for EPOLLOUT;
 * any other error is the connect's own.
 */
static void
backend_write_early(struct session *s)
{
	ssize_t n = write(s->bfd, s->up.p + s->up.off, buf_pending(&s->up));
	if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOTCONN))
		return;
	if (n < 0) {
		backend_connect_done(s, errno);
		return;
	}
	s->state = S_RESPONSE;
	s->deadline = clock_ms() + R.timeout_ms;
	s->up.off += (size_t)n;
}

static void
on_backend(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	struct session *s = data;

	session_bury();
	if (s->state == S_CONNECT) {
		if (mask & EV_WRITE)
			backend_connected(s);
		update(s);
		return;
	}
	if (mask & EV_WRITE)
		backend_write(s);
	if ((mask & EV_READ) && !s->dead && s->bfd >= 0)
		backend_read(s);
	/* the client's socket usually has room: write now, not a round later */
	if (!s->dead && s->cfd >= 0 && buf_pending(&s->down) > 0 && !(s->cmask & EV_WRITE))
		client_write(s);
	update(s);
}

static void
update(struct session *s)
{
	if (s->dead)
		return;
	int cw = 0, bw = 0;
	bool up_room = s->up.p && buf_room(&s->up) > 0;
	switch (s->state) {
	case S_HEAD:
	case S_BODY:
	case S_LINGER:
		cw = EV_READ;
		break;
	case S_CONNECT:
		bw = EV_WRITE;
		if (s->body_left > 0 && up_room)
			cw = EV_READ;
		break;
	case S_RESPONSE:
	case S_TUNNEL:
		if (buf_pending(&s->up) > 0)
			bw |= EV_WRITE;
		if (!s->backend_eof && (!s->resp_head_done || buf_room(&s->down) > 64))
			bw |= EV_READ;
		if ((s->state == S_TUNNEL ? !s->client_eof : s->body_left > 0) && up_room)
			cw |= EV_READ;
		if (buf_pending(&s->down) > 0)
			cw |= EV_WRITE;
		break;
	case S_CLOSING:
		cw = EV_WRITE;
		break;
	}
	if (s->state == S_TUNNEL && s->client_eof && buf_pending(&s->up) == 0) {
		session_close(s);
		return;
	}
	if (set_mask(s, s->cfd, &s->cmask, cw, on_client) < 0 ||
	    set_mask(s, s->bfd, &s->bmask, bw, on_backend) < 0)
		session_close(s);
}

void
session_accept(int listener, int fd, const struct sock_addr *peer)
{
	struct session *s = xcalloc(1, sizeof(*s));
	s->cfd = fd;
	s->bfd = -1;
	s->nd = NULL;
	s->listener = listener;
	s->state = S_HEAD;
	s->minor = 1;
	s->deadline = clock_ms() + R.headers_ms;
	int fam = peer->u.sa.sa_family;
	if (fam == AF_INET) {
		inet_ntop(AF_INET, &peer->u.in.sin_addr, s->addr, sizeof(s->addr));
		snprintf(s->port, sizeof(s->port), "%u", (unsigned)ntohs(peer->u.in.sin_port));
	} else if (fam == AF_INET6) {
		const struct in6_addr *a = &peer->u.in6.sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], s->addr, sizeof(s->addr));
		else
			inet_ntop(AF_INET6, a, s->addr, sizeof(s->addr));
		snprintf(s->port, sizeof(s->port), "%u", (unsigned)ntohs(peer->u.in6.sin6_port));
	}
	s->next = R.sessions;
	if (R.sessions)
		R.sessions->prev = s;
	R.sessions = s;
	R.nsessions++;
	update(s);
}

void
session_timeout(struct session *s, long long now)
{
	if (now < s->deadline)
		return;
	switch (s->state) {
	case S_HEAD:
		if (s->in.len > 0) {
			log_msg("http router: %s:%s: request head not received within %lld s", s->addr, s->port,
			        R.headers_ms / 1000);
			fail(s, 408);
		} else {
			session_close(s);	/* an idle connection */
		}
		return;
	case S_CONNECT:
		backend_failed(s, "connect timeout");
		close_backend(s);
		if (backend_connect(s)) {
			fail(s, 504);
			return;
		}
		s->deadline = now + R.connect_ms;
		update(s);
		return;
	case S_RESPONSE:
		if (!s->sent_any && !s->resp_head_done) {
			log_msg("http router: %s:%s: backend %s did not answer within %lld s", s->addr, s->port,
			        node_name(s), R.timeout_ms / 1000);
			fail(s, 504);
			return;
		}
		session_close(s);
		return;
	default:
		session_close(s);
		return;
	}
}
