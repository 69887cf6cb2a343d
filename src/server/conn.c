/* Client connections: request heads through the event loop, then one
 * synchronous request at a time (blocking WSGI), responses buffered so that
 * a small response leaves in one write. */
#include "server/conn.h"
#include "config/config.h"
#include "base/log.h"
#include "server/logformat.h"
#include "base/platform.h"
#include "server/scoreboard.h"
#include "server/static_files.h"
#include "base/util.h"
#include "net/event.h"
#include "proto/http.h"
#include "proto/uwsgi.h"
#include "python/wsgi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BODY_SPACE   (64 * 1024)   /* input buffer room behind the head */
#define OUT_CAP      (64 * 1024)
#define ARENA_CAP    (64 * 1024)
#define MAX_VARS     (HTTP_MAX_HEADERS + 32)

struct conn {
	int fd;
	struct listener *l;
	struct worker_ctx *w;
	struct event_loop *loop;
	char remote_addr[INET6_ADDRSTRLEN + 8];
	char *buf;
	size_t len, cap;
	long long timer;
	bool watched;             /* registered with the event loop */
	bool served;              /* at least one request was answered */
	struct conn *prev, *next;
};

/* State of the request being served. Requests are served one at a time per
 * worker, so this (and the output buffer) is per worker, not per connection. */
struct request_state {
	struct conn *c;
	size_t head_len;
	bool chunked;
	struct http_chunked dec;
	uint64_t body_left;       /* Content-Length bytes not yet in the buffer */
	bool body_done;
	size_t dpos, dend;        /* body bytes available in c->buf */
	uint64_t body_total;
	bool expect_continue, continue_sent;
	int body_error;           /* 413 when limit-post is exceeded, 400 bad chunking */
	/* response */
	int minor;
	bool keep_alive, head_request, head_sent, io_failed, discard;
	bool counted;             /* in the worker's request counters */
	struct http_resp_framing fr;
	uint64_t body_sent;
	size_t resp_head_len, resp_nheaders;
	char out[OUT_CAP];
	size_t olen;
	/* log */
	struct timespec start;
	bool via_sendfile;
	uint8_t modifier1, modifier2;   /* of a uwsgi packet */
	const struct kv *vars;    /* valid until the request is logged */
	size_t nvars, vars_bytes;
};

static struct request_state R;
static struct kv vars[MAX_VARS];
static char arena[ARENA_CAP];
static struct conn *open_conns;
static size_t n_open;

/* Closed connections kept with their buffers for the next accept: in close
 * mode every request is a new connection, and this keeps malloc/free (and
 * the first-touch faults of a fresh buffer) off that path. */
#define CONN_CACHE_MAX 8
static struct conn *conn_cache;
static size_t n_cached;

size_t conn_open_count(void) { return n_open; }

static void on_readable(struct event_loop *loop, int fd, void *data, int mask);
static void on_timeout(struct event_loop *loop, long long id, void *data);

static void conn_close(struct conn *c)
{
	if (c->watched)
		event_del(c->loop, c->fd, EV_READ | EV_WRITE);
	if (c->timer > 0)
		event_timer_del(c->loop, c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		open_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	n_open--;
	if (n_cached < CONN_CACHE_MAX && c->cap == c->w->buffer_size + BODY_SPACE) {
		c->next = conn_cache;
		conn_cache = c;
		n_cached++;
		return;
	}
	free(c->buf);
	free(c);
}

static struct conn *conn_new(struct worker_ctx *w)
{
	struct conn *c = conn_cache;
	if (c) {
		conn_cache = c->next;
		n_cached--;
		char *buf = c->buf;
		memset(c, 0, sizeof(*c));
		c->buf = buf;
	} else {
		c = xcalloc(1, sizeof(*c));
		c->buf = xmalloc(w->buffer_size + BODY_SPACE);
	}
	c->cap = w->buffer_size + BODY_SPACE;
	return c;
}

/* Graceful stop: a request that already arrived on a kept-alive connection is
 * still served (with Connection: close); then every connection is closed. */
void conn_close_idle(struct event_loop *loop)
{
	/* a freshly accepted connection has a request on its way: wait for it a
	 * little (one budget for all), so that a reload refuses nobody */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (open_conns) {
		struct conn *c = open_conns;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		int wait = (!c->served && c->len == 0 && elapsed < 1000) ? (int)(1000 - elapsed) : 0;
		struct pollfd p = { c->fd, POLLIN, 0 };
		if (poll(&p, 1, wait) > 0)
			on_readable(loop, c->fd, c, EV_READ);
		if (open_conns == c)
			conn_close(c);
	}
}

static void arm_timer(struct conn *c)
{
	if (c->timer > 0)
		event_timer_del(c->loop, c->timer);
	c->timer = event_timer_add(c->loop, c->w->timeout_ms, on_timeout, c);
}

/* Dotted quad of 4 bytes network order; out has room for 16. inet_ntop()
 * formats through sprintf, ~2000 instructions: a tenth of a close-mode
 * request's user time. */
static void format_ipv4(const unsigned char *b, char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static void format_remote(const struct sock_addr *peer, char *out, size_t len)
{
	_Static_assert(sizeof(((struct conn *)0)->remote_addr) >= 16, "room for a dotted quad");
	const struct sockaddr *sa = &peer->u.sa;
	out[0] = '\0';
	if (sa->sa_family == AF_INET) {
		format_ipv4((const unsigned char *)&peer->u.in.sin_addr, out);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &peer->u.in6.sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			format_ipv4(&a->s6_addr[12], out);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)len);
	}
}

void conn_start(struct event_loop *loop, struct worker_ctx *w, struct listener *l, int fd,
                const struct sock_addr *peer)
{
	struct conn *c = conn_new(w);
	c->fd = fd;
	c->l = l;
	c->w = w;
	c->loop = loop;
	if (peer) {
		format_remote(peer, c->remote_addr, sizeof(c->remote_addr));
	} else {
		struct sock_addr got;
		socklen_t plen = sizeof(got.u);
		if (getpeername(fd, &got.u.sa, &plen) == 0)
			format_remote(&got, c->remote_addr, sizeof(c->remote_addr));
	}
	c->next = open_conns;
	if (open_conns)
		open_conns->prev = c;
	open_conns = c;
	n_open++;
	/* With TCP_DEFER_ACCEPT the request is usually here already: serve it
	 * now, before the connection joins the event loop, so that one answered
	 * and closed right away costs no epoll_ctl (or kevent) at all. */
	on_readable(loop, fd, c, EV_READ);
}

/* The connection waits for more input: in the event loop, under the
 * socket-timeout. The clock restarts only when asked (a new request head):
 * more bytes of the same head keep the deadline it already has. */
static void conn_wait(struct conn *c, bool restart_clock)
{
	if (!c->watched) {
		if (event_add(c->loop, c->fd, EV_READ, on_readable, c) < 0) {
			log_errno("event_add(%s)", c->remote_addr);
			conn_close(c);
			return;
		}
		c->watched = true;
	}
	if (restart_clock || !c->timer)
		arm_timer(c);
}

static void on_timeout(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct conn *c = data;
	c->timer = 0;
	conn_close(c);
}

/* ---- blocking I/O with socket-timeout ------------------------------------ */

static int wait_fd(int fd, short events, int timeout_ms)
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

static ssize_t read_some(struct conn *c, void *dst, size_t n)
{
	for (;;) {
		ssize_t r = read(c->fd, dst, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_fd(c->fd, POLLIN, c->w->timeout_ms) < 0)
			return -1;
	}
}

static int write_all(struct conn *c, const struct iovec *iov_in, int iovcnt)
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

static int out_flush(void)
{
	if (R.olen == 0 || R.io_failed)
		return R.io_failed ? -1 : 0;
	struct iovec iov = { R.out, R.olen };
	R.olen = 0;
	if (write_all(R.c, &iov, 1) < 0) {
		R.io_failed = true;
		return -1;
	}
	return 0;
}

static int out_add(const char *data, size_t len)
{
	if (R.io_failed)
		return -1;
	if (R.olen + len <= OUT_CAP) {
		memcpy(R.out + R.olen, data, len);
		R.olen += len;
		return 0;
	}
	/* too big for the buffer: one writev of what is buffered plus the data */
	struct iovec iov[2] = { { R.out, R.olen }, { (void *)data, len } };
	R.olen = 0;
	if (write_all(R.c, iov, 2) < 0) {
		R.io_failed = true;
		return -1;
	}
	return 0;
}

/* ---- request body ------------------------------------------------------------ */

static bool over_limit(uint64_t total)
{
	return R.c->w->limit_post && total > R.c->w->limit_post;
}

static void send_continue(void)
{
	if (R.expect_continue && !R.continue_sent && !R.head_sent) {
		static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
		struct iovec iov = { (void *)msg, sizeof(msg) - 1 };
		R.continue_sent = true;
		if (write_all(R.c, &iov, 1) < 0)
			R.io_failed = true;
	}
}

/* Decodes raw chunked bytes at [dend, len) in place. 0, or -1 on bad framing. */
static int decode_buffered(void)
{
	struct conn *c = R.c;
	size_t n = c->len - R.dend;
	if (n == 0)
		return 0;
	ssize_t rest = http_chunked_decode(&R.dec, c->buf + R.dend, &n);
	if (rest == -1)
		return -1;
	R.dend += n;
	if (rest >= 0) {
		R.body_done = true;
		c->len = R.dend + (size_t)rest;
	} else {
		c->len = R.dend;
	}
	R.body_total += n;
	return 0;
}

static ssize_t body_read(void *ctx, char *dst, size_t n)
{
	(void)ctx;
	struct conn *c = R.c;
	if (R.body_error || R.io_failed)
		return -1;
	for (;;) {
		if (R.dpos < R.dend) {
			size_t k = R.dend - R.dpos;
			if (k > n)
				k = n;
			memcpy(dst, c->buf + R.dpos, k);
			R.dpos += k;
			return (ssize_t)k;
		}
		if (!R.chunked) {
			if (R.body_left == 0)
				return 0;
			send_continue();
			size_t want = n < R.body_left ? n : (size_t)R.body_left;
			ssize_t r = read_some(c, dst, want);
			if (r <= 0) {
				R.io_failed = true;
				return -1;
			}
			R.body_left -= (uint64_t)r;
			return r;
		}
		if (R.body_done)
			return 0;
		/* chunked: all buffered raw bytes were decoded and consumed */
		send_continue();
		R.dpos = R.dend = c->len = R.head_len;
		ssize_t r = read_some(c, c->buf + c->len, c->cap - c->len);
		if (r <= 0) {
			R.io_failed = true;
			return -1;
		}
		c->len += (size_t)r;
		if (decode_buffered() < 0) {
			R.body_error = 400;
			return -1;
		}
		if (over_limit(R.body_total)) {
			R.body_error = 413;
			return -1;
		}
	}
}

/* Skips whatever is left of the body if it is already buffered; true when
 * the connection is then positioned at the next request. */
static bool body_skip_buffered(void)
{
	R.dpos = R.dend;
	if (R.chunked)
		return R.body_done;
	return R.body_left == 0;
}

/* ---- response ------------------------------------------------------------------ */

static const char *reason(int status)
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

static void send_error_response(struct conn *c, int status)
{
	char head[160];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%d %s\n",
	                 status, reason(status), strlen(reason(status)) + 5, status, reason(status));
	struct iovec iov = { head, (size_t)n };
	write_all(c, &iov, 1);
}

static void count_request(struct conn *c, size_t pending);

static int resp_head(void *ctx, const char *status, size_t status_len, const struct kv *headers,
                     size_t nheaders, int64_t content_length)
{
	(void)ctx;
	if (R.body_error || R.io_failed)
		return -1;
	bool keep = R.keep_alive && !R.c->w->stopping;
	if (keep && !(R.dpos == R.dend && body_skip_buffered()))
		keep = false;   /* an unread body we cannot skip: close after */
	int n = http_format_head(R.out + R.olen, OUT_CAP - R.olen, R.minor, status, status_len, headers,
	                         nheaders, content_length, keep, R.head_request, &R.fr);
	if (n < 0) {
		log_msg("%s: invalid response head from the app (%s), sending 500", R.c->remote_addr,
		        n == -2 ? "too large" : "bad status or header");
		n = http_format_head(R.out + R.olen, OUT_CAP - R.olen, R.minor, "500 Internal Server Error", 25,
		                     NULL, 0, 0, false, R.head_request, &R.fr);
		R.discard = true;
		if (n < 0)
			return -1;
	}
	R.head_sent = true;
	R.olen += (size_t)n;
	R.resp_head_len = (size_t)n;
	R.resp_nheaders = nheaders;
	if (R.fr.close)
		R.keep_alive = false;
	return 0;
}

/* Bytes the head allows us to send from len. */
static size_t clamp_body(size_t len)
{
	if (!R.fr.body_allowed || R.discard)
		return 0;
	if (R.fr.content_length >= 0) {
		uint64_t room = (uint64_t)R.fr.content_length > R.body_sent ?
		                (uint64_t)R.fr.content_length - R.body_sent : 0;
		if (len > room)
			return (size_t)room;
	}
	return len;
}

static int resp_body(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	if (!R.head_sent || R.io_failed)
		return -1;
	size_t n = clamp_body(len);
	if (n == 0)
		return 0;
	if (R.fr.content_length >= 0 && R.body_sent + n == (uint64_t)R.fr.content_length)
		count_request(R.c, n);   /* this block completes the body */
	if (R.fr.chunked) {
		char ch[HTTP_CHUNK_HEAD_MAX];
		size_t hl = http_chunk_head(ch, n);
		if (out_add(ch, hl) < 0 || out_add(data, n) < 0 || out_add(HTTP_CHUNK_END, 2) < 0)
			return -1;
	} else if (out_add(data, n) < 0) {
		return -1;
	}
	R.body_sent += n;
	/* PEP 3333: each block goes out before the app is asked for the next
	 * (streaming); head + a one-block body still leave in one write */
	return out_flush();
}

static int resp_file(void *ctx, int fd, off_t offset, int64_t count)
{
	(void)ctx;
	if (!R.head_sent || R.io_failed)
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
	if (R.fr.content_length >= 0 && R.body_sent + n == (uint64_t)R.fr.content_length)
		count_request(R.c, n);   /* this file completes the body */
	R.via_sendfile = true;
	if (R.fr.chunked) {
		char ch[HTTP_CHUNK_HEAD_MAX];
		size_t hl = http_chunk_head(ch, n);
		if (out_add(ch, hl) < 0)
			return -1;
	}
	if (out_flush() < 0)
		return -1;
	size_t left = n;
	while (left > 0) {
		ssize_t s = platform_sendfile(R.c->fd, fd, &offset, left);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait_fd(R.c->fd, POLLOUT, R.c->w->timeout_ms) == 0)
				continue;
			R.io_failed = true;
			return -1;
		}
		if (s == 0)
			break;   /* file shrank: the response is short, close after */
		left -= (size_t)s;
	}
	R.body_sent += n - left;
	if (left) {
		R.io_failed = true;
		return -1;
	}
	if (R.fr.chunked && out_add(HTTP_CHUNK_END, 2) < 0)
		return -1;
	return 0;
}

/* ---- logging ------------------------------------------------------------------- */

/* getpid() is a system call: once per worker process (requests are only
 * served after the fork, and a worker does not fork again) */
static int worker_pid(void)
{
	static pid_t pid;
	if (!pid)
		pid = getpid();
	return (int)pid;
}

static void log_request(struct conn *c)
{
	struct worker_ctx *w = c->w;
	if (!reqlog_active())
		return;
	struct timespec now, wall;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	int64_t us = (now.tv_sec - R.start.tv_sec) * 1000000LL + (now.tv_nsec - R.start.tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	/* the wall-clock start, from the monotonic duration */
	int64_t start_ns = wall.tv_sec * 1000000000LL + wall.tv_nsec - us * 1000;
	struct logreq r = {
		.vars = R.vars, .nvars = R.nvars, .vars_bytes = R.vars_bytes,
		.addr = c->remote_addr, .addr_len = strlen(c->remote_addr),
		.status = R.fr.status, .rsize = R.body_sent, .hsize = R.resp_head_len,
		.headers = R.resp_nheaders, .cl = R.chunked ? R.body_total : 0,
		.start = { (time_t)(start_ns / 1000000000LL), (long)(start_ns % 1000000000LL) },
		.duration_us = (uint64_t)us, .pid = worker_pid(), .wid = w->id,
		.app_requests = w->requests, .total_requests = *w->total_requests,
		.modifier1 = R.modifier1, .modifier2 = R.modifier2,
		.rss = w->score ? w->score->rss : 0, .vsz = w->score ? w->score->vsz : 0,
		.read_errors = R.body_error ? 1 : 0, .write_errors = R.io_failed ? 1 : 0,
		.via_sendfile = R.via_sendfile,
	};
	reqlog_write(&r);
}

/* ---- serving ------------------------------------------------------------------- */

static void begin_request(struct conn *c, size_t head_len)
{
	memset(&R, 0, offsetof(struct request_state, out));
	R.olen = 0;
	R.vars = NULL;
	R.nvars = R.vars_bytes = 0;
	R.c = c;
	R.head_len = head_len;
	R.dpos = R.dend = head_len;
	clock_gettime(CLOCK_MONOTONIC, &R.start);
}

static void note_vars(const struct kv *v, size_t n)
{
	R.vars = v;
	R.nvars = n;
	for (size_t i = 0; i < n; i++)
		R.vars_bytes += v[i].key_len + v[i].val_len + 4;
}

/* Counts the request (worker, master total, scoreboard) before the last byte
 * of its response is written (pending: body bytes about to be), so that a
 * client holding the whole response finds it in the stats. Once per request. */
static void
count_request(struct conn *c, size_t pending)
{
	struct worker_score *sc = c->w->score;
	if (R.counted)
		return;
	R.counted = true;
	c->w->requests++;
	__atomic_add_fetch(c->w->total_requests, 1, __ATOMIC_RELAXED);
	if (!sc)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t us = (uint64_t)((now.tv_sec - R.start.tv_sec) * 1000000LL + (now.tv_nsec - R.start.tv_nsec) / 1000);
	sc->requests++;
	sc->delta_requests++;
	sc->tx += R.body_sent + pending + R.resp_head_len;
	sc->running_time_us += us;
	sc->avg_rt_us = sc->avg_rt_us ? (sc->avg_rt_us * 7 + us) / 8 : us;
	/* the runtime answers an app exception with a 500: count those */
	if (R.fr.status == 500)
		sc->exceptions++;
}

/* The worker is idle again (harakiri stops watching) once the app returned. */
static void
score_request_done(struct worker_score *sc)
{
	__atomic_store_n(&sc->request_start_ms, 0, __ATOMIC_RELEASE);
	sc->status = WS_IDLE;
}

/* Runs the app; afterwards the connection is either positioned at the next
 * request (returns true) or must be closed. */
static bool run_app(struct conn *c, const struct kv *v, size_t n)
{
	struct request_io io = { NULL, body_read, resp_head, resp_body, resp_file };
	struct worker_score *sc = c->w->score;
	note_vars(v, n);
	c->served = true;
	if (sc) {
		sc->status = WS_BUSY;
		__atomic_store_n(&sc->request_start_ms, R.start.tv_sec * 1000LL + R.start.tv_nsec / 1000000,
		                 __ATOMIC_RELEASE);
	}
	int rc = static_serve(v, n, &io);   /* static-map: before the app, as uWSGI */
	if (rc == STATIC_PASS) {
		log_request_flush_stale();      /* in case this request hangs */
		rc = wsgi_handle(v, n, &io);
	}
	count_request(c, 0);   /* unless a block completing the body did */
	if (sc)
		score_request_done(sc);
	if (rc < 0 && !R.head_sent && R.body_error) {
		send_error_response(c, R.body_error);
		R.fr.status = R.body_error;
		log_request(c);
		return false;
	}
	if (rc == 0 && R.fr.chunked && R.fr.body_allowed && !R.discard)
		out_add(HTTP_CHUNK_LAST, sizeof(HTTP_CHUNK_LAST) - 1);
	out_flush();
	log_request(c);
	if (c->w->max_requests && c->w->requests >= c->w->max_requests && !c->w->stopping) {
		log_msg("...The work of process %d is done (max requests reached %llu). Seeya!", (int)getpid(),
		        (unsigned long long)c->w->max_requests);
		c->w->stopping = true;
	}
	if (rc < 0 || R.io_failed || !R.keep_alive)
		return false;
	/* (HEAD/304: the promised length describes a body that is never sent) */
	if (R.fr.body_allowed && R.fr.content_length >= 0 && R.body_sent != (uint64_t)R.fr.content_length)
		return false;   /* the app sent less than it promised: the client must see EOF */
	if (!body_skip_buffered())
		return false;
	/* move the pipelined rest to the front */
	size_t rest = c->len - R.dend;
	memmove(c->buf, c->buf + R.dend, rest);
	c->len = rest;
	return true;
}

/* Closing with unread input makes the kernel send RST, which can destroy the
 * error response before the client reads it: half-close, then discard what
 * the client still sends, bounded in bytes and time. */
static void drain_before_close(struct conn *c)
{
	char sink[16384];
	size_t total = 0;
	if (shutdown(c->fd, SHUT_WR) < 0)
		return;
	while (total < 1024 * 1024 && wait_fd(c->fd, POLLIN, 500) == 0) {
		ssize_t n = read(c->fd, sink, sizeof(sink));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

static void reject(struct conn *c, int status, const char *why)
{
	log_msg("%s: %s (%d %s)", c->remote_addr[0] ? c->remote_addr : c->l->name, why, status, reason(status));
	send_error_response(c, status);
	drain_before_close(c);
}

/* One HTTP request from the buffer: >0 served and kept, 0 need more bytes, <0 close. */
static int serve_http(struct conn *c)
{
	struct http_request req;
	int rc = http_parse_request(c->buf, c->len, c->w->buffer_size, &req);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		reject(c, c->len ? -rc : 400, "invalid HTTP request");
		return -1;
	}
	begin_request(c, (size_t)rc);
	R.minor = req.minor_version;
	R.keep_alive = req.keep_alive;
	R.head_request = req.method_len == 4 && memcmp(req.method, "HEAD", 4) == 0;
	R.expect_continue = req.expect_continue;
	if (req.chunked) {
		R.chunked = true;
		http_chunked_init(&R.dec);
		if (decode_buffered() < 0) {
			reject(c, 400, "invalid chunked body");
			return -1;
		}
		if (over_limit(R.body_total)) {
			reject(c, 413, "request body over limit-post");
			return -1;
		}
	} else if (req.content_length > 0) {
		uint64_t cl = (uint64_t)req.content_length;
		if (over_limit(cl)) {
			reject(c, 413, "request body over limit-post");
			return -1;
		}
		size_t have = c->len - R.head_len;
		size_t take = have < cl ? have : (size_t)cl;
		R.dend = R.head_len + take;
		R.body_left = cl - take;
	}
	struct http_conn_info ci = { c->remote_addr, NULL, c->w->hostname, c->l->port, false };
	int n = http_build_vars(&req, &ci, vars, MAX_VARS, arena, ARENA_CAP);
	if (n < 0) {
		reject(c, n == -400 ? 400 : 431, n == -400 ? "invalid request path" : "request head too large");
		return -1;
	}
	return run_app(c, vars, (size_t)n) ? 1 : -1;
}

static struct uwsgi_packet pkt;

static int serve_uwsgi(struct conn *c)
{
	int rc = uwsgi_parse_packet(c->buf, c->len, c->w->buffer_size, &pkt);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		log_msg("%s: invalid uwsgi packet: %s", c->remote_addr[0] ? c->remote_addr : c->l->name, pkt.error);
		return -1;
	}
	int64_t cl;
	if (uwsgi_content_length(&pkt, &cl) < 0) {
		log_msg("%s: invalid uwsgi packet: bad CONTENT_LENGTH", c->remote_addr[0] ? c->remote_addr : c->l->name);
		return -1;
	}
	begin_request(c, (size_t)rc);
	R.minor = 0;   /* close-delimited: one request per uwsgi connection */
	R.modifier1 = pkt.modifier1;
	R.modifier2 = pkt.modifier2;
	R.keep_alive = false;
	const struct kv *m = uwsgi_find_var(&pkt, "REQUEST_METHOD");
	R.head_request = m && m->val_len == 4 && memcmp(m->val, "HEAD", 4) == 0;
	if (cl > 0) {
		if (over_limit((uint64_t)cl)) {
			reject(c, 413, "request body over limit-post");
			return -1;
		}
		size_t have = c->len - R.head_len;
		size_t take = have < (uint64_t)cl ? have : (size_t)cl;
		R.dend = R.head_len + take;
		R.body_left = (uint64_t)cl - take;
	}
	run_app(c, pkt.vars, pkt.nvars);
	return -1;
}

static void on_readable(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	(void)mask;
	struct conn *c = data;
	size_t room = c->w->buffer_size + 1 > c->len ? c->w->buffer_size + 1 - c->len : 0;
	if (room == 0) {
		conn_close(c);
		return;
	}
	ssize_t n = read(c->fd, c->buf + c->len, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (!c->watched)
			conn_wait(c, true);
		return;
	}
	if (n <= 0) {
		conn_close(c);
		return;
	}
	/* socket-timeout bounds a whole request head, not each read: a head
	 * trickling in a byte at a time (slowloris) is not given a fresh
	 * deadline per byte. The clock restarts only with a new head. */
	bool new_head = c->len == 0, served = false;
	c->len += (size_t)n;
	for (;;) {
		int rc = c->l->proto == PROTO_HTTP ? serve_http(c) : serve_uwsgi(c);
		if (rc < 0 || (rc > 0 && c->w->stopping)) {
			conn_close(c);
			return;
		}
		served |= rc > 0;
		if (rc == 0 || c->len == 0)
			break;
	}
	conn_wait(c, new_head || served);
}
