/* SPDX-License-Identifier: MIT */
/* Client connections: request heads through the event loop, then one
 * synchronous request at a time (blocking WSGI), responses buffered so that
 * a small response leaves in one write. The I/O of a request being served
 * (body, response) is in conn_io.c. */
#include "server/conn_internal.h"
#include "config/config.h"
#include "base/clock.h"
#include "base/log.h"
#include "server/logformat.h"
#include "server/process_options.h"
#include "base/platform.h"
#include "server/scoreboard.h"
#include "request_features/route_rules.h"
#include "server/static_files.h"
#include "server/post_buffer.h"
#include "server/reaper.h"
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

/* Per serving thread (issue 20: a worker with threads runs one loop per
 * thread, each with its own connections and request). */
__thread struct request_state request;   /* the request being served */
/* The large per-thread buffers live on the heap, made by conn_set_core():
 * the C library zeroes a thread's static TLS block when the thread starts,
 * which would make every page of them resident in every thread. */
struct thread_bufs {
	struct kv vars[MAX_VARS];
	char arena[ARENA_CAP];
	struct uwsgi_packet pkt;
	char out[OUT_CAP];
};
static __thread struct thread_bufs *tb;
static __thread struct conn *open_conns;
static __thread size_t n_open;
static __thread struct core_score *core;  /* this thread's scoreboard core */
static __thread int core_id;

/* Closed connections kept with their buffers for the next accept: in close
 * mode every request is a new connection, and this keeps malloc/free (and
 * the first-touch faults of a fresh buffer) off that path. */
#define CONN_CACHE_MAX 8
static __thread struct conn *conn_cache;
static __thread size_t n_cached;
static __thread bool conn_closed;   /* conn_close_idle: the one it served closed */
static __thread bool read_again;    /* issue 20: the pool's connection has more input */

size_t
conn_open_count(void)
{
	return n_open;
}

void
conn_set_core(struct core_score *cs, int id)
{
	core = cs;
	core_id = id;
	if (!tb)
		tb = xmalloc(sizeof(*tb));   /* kept until the thread ends: one per thread */
	request.out = tb->out;
}

/* issue 20: a serving thread ends; its buffers and cached connections go */
void
conn_thread_end(void)
{
	while (conn_cache) {
		struct conn *c = conn_cache;
		conn_cache = c->next;
		free(c->buf);
		free(c);
	}
	n_cached = 0;
	reqlog_thread_end();
	free(tb);
	tb = NULL;
	request.out = NULL;
}

static void on_readable(struct event_loop *loop, int fd, void *data, int mask);
static void on_timeout(struct event_loop *loop, long long id, void *data);

static void
conn_close(struct conn *c)
{
	if (c->w->pool) {
		/* issue 20: out of the pool before the fd number can be reused */
		pool_conn_del(c->w->pool, c);
	} else {
		if (c->watched)
			event_del(c->loop, c->fd, EV_READ | EV_WRITE);
		if (c->timer > 0)
			event_timer_del(c->loop, c->timer);
		if (c->prev)
			c->prev->next = c->next;
		else
			open_conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		n_open--;
	}
	close(c->fd);
	conn_closed = true;
	if (n_cached < CONN_CACHE_MAX && c->cap == c->w->buffer_size + BODY_SPACE) {
		c->next = conn_cache;
		conn_cache = c;
		n_cached++;
		return;
	}
	free(c->buf);
	free(c);
}

static struct conn *
conn_new(struct worker_ctx *w)
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
void
conn_close_idle(struct event_loop *loop, struct conn_pool *pool)
{
	/* a freshly accepted connection has a request on its way: wait for it a
	 * little (one budget for all), so that a reload refuses nobody.
	 * (threads: the last thread left, after the others ended) */
	int64_t t0 = clock_ms();
	struct conn *c;
	while ((c = pool ? pool_conn_first(pool) : open_conns)) {
		int64_t elapsed = clock_ms() - t0;
		int wait = (!c->served && c->len == 0 && elapsed < 1000) ? (int)(1000 - elapsed) : 0;
		struct pollfd p = { c->fd, POLLIN, 0 };
		conn_closed = false;
		if (poll(&p, 1, wait) > 0)
			on_readable(loop, c->fd, c, EV_READ);
		if (!conn_closed)
			conn_close(c);
	}
}

static void
arm_timer(struct conn *c)
{
	if (c->timer > 0)
		event_timer_del(c->loop, c->timer);
	event_timer_arm(c->loop, c->w->timeout_ms, on_timeout, c, &c->timer);
}

/* Dotted quad of 4 bytes network order; out has room for 16. inet_ntop()
 * formats through sprintf, ~2000 instructions: a tenth of a close-mode
 * request's user time. */
static void
format_ipv4(const unsigned char *b, char *out)
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

static void
format_remote(const struct sock_addr *peer, char *out, size_t len)
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

void
conn_start(struct event_loop *loop, struct worker_ctx *w, struct listener *l, int fd,
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
	if (w->pool) {
		pool_conn_add(w->pool, c);
	} else {
		c->next = open_conns;
		if (open_conns)
			open_conns->prev = c;
		open_conns = c;
		n_open++;
	}
	/* With TCP_DEFER_ACCEPT the request is usually here already: serve it
	 * now, before the connection joins the event loop, so that one answered
	 * and closed right away costs no epoll_ctl (or kevent) at all. */
	if (w->pool)
		conn_ready(c);
	else
		on_readable(loop, fd, c, EV_READ);
}

/* The connection waits for more input: in the event loop, under the
 * socket-timeout. The clock restarts only when asked (a new request head):
 * more bytes of the same head keep the deadline it already has. */
static void
conn_wait(struct conn *c, bool restart_clock)
{
	if (c->w->pool) {   /* issue 20: handed back, any thread takes it next */
		int rc = pool_conn_wait(c->w->pool, c, restart_clock);
		if (rc < 0) {
			log_errno("epoll_ctl(%s)", c->remote_addr);
			conn_close(c);
		}
		read_again = rc > 0;
		return;
	}
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

static void
on_timeout(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	conn_close(data);
}

void
conn_expire(struct conn *c)
{
	conn_close(c);
}

void
conn_ready(struct conn *c)
{
	do {
		read_again = false;
		on_readable(NULL, c->fd, c, EV_READ);
	} while (read_again);
}

/* ---- logging ------------------------------------------------------------------- */

/* getpid() is a system call: once per worker process (requests are only
 * served after the fork, and a worker does not fork again) */
static int
worker_pid(void)
{
	static __thread pid_t pid;
	if (!pid)
		pid = getpid();
	return (int)pid;
}

static void
log_request(struct conn *c)
{
	struct worker_ctx *w = c->w;
	if (w->cfg->memory_report)
		memory_report_refresh(w->score);
	if (!reqlog_active())
		return;
	struct timespec wall;
	int64_t us = clock_us() - request.start_us;
	clock_gettime(CLOCK_REALTIME, &wall);
	if (us < 0)
		us = 0;
	/* the wall-clock start, from the monotonic duration */
	int64_t start_ns = wall.tv_sec * 1000000000LL + wall.tv_nsec - us * 1000;
	struct logreq r = {
		.vars = request.vars, .nvars = request.nvars, .vars_bytes = request.vars_bytes,
		.addr = c->remote_addr, .addr_len = strlen(c->remote_addr),
		.status = request.fr.status, .rsize = request.body_sent, .hsize = request.resp_head_len,
		.headers = request.resp_nheaders, .cl = request.chunked ? request.body_total : 0,
		.start = { (time_t)(start_ns / 1000000000LL), (long)(start_ns % 1000000000LL) },
		.duration_us = (uint64_t)us, .pid = worker_pid(), .wid = w->id, .core = core_id,
		.app_requests = __atomic_load_n(&w->requests, __ATOMIC_RELAXED),
		.total_requests = __atomic_load_n(w->total_requests, __ATOMIC_RELAXED),
		.modifier1 = request.modifier1, .modifier2 = request.modifier2,
		.rss = w->score ? w->score->rss : 0, .vsz = w->score ? w->score->vsz : 0,
		.read_errors = request.body_error ? 1 : 0, .write_errors = request.io_failed ? 1 : 0,
		.via_sendfile = request.via_sendfile,
	};
	reqlog_write(&r);
}

/* ---- serving ------------------------------------------------------------------- */

static void
begin_request(struct conn *c, size_t head_len)
{
	memset(&request, 0, offsetof(struct request_state, out));
	request.olen = 0;
	request.via_sendfile = false;   /* after `out`: not cleared by the memset */
	request.vars = NULL;
	request.nvars = request.vars_bytes = 0;
	request.c = c;
	request.head_len = head_len;
	request.dpos = request.dend = head_len;
	request.start_us = clock_us();
}

static void
note_vars(const struct kv *v, size_t n)
{
	request.vars = v;
	request.nvars = n;
	for (size_t i = 0; i < n; i++)
		request.vars_bytes += v[i].key_len + v[i].val_len + 4;
}

void
count_request(struct conn *c, size_t pending)
{
	struct worker_score *sc = c->w->score;
	uint64_t us;

	if (request.counted)
		return;
	request.counted = true;
	if (!sc) {
		__atomic_add_fetch(&c->w->requests, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(c->w->total_requests, 1, __ATOMIC_RELAXED);
		return;
	}
	us = (uint64_t)(clock_us() - request.start_us);
	if (core)   /* written by this thread only: no locked add */
		__atomic_store_n(&core->requests, core->requests + 1, __ATOMIC_RELAXED);
	if (c->w->nthreads > 1) {
		count_request_shared(c->w, sc, request.body_sent + pending + request.resp_head_len, us,
		                     request.fr.status == 500);
		return;
	}
	c->w->requests++;
	__atomic_add_fetch(c->w->total_requests, 1, __ATOMIC_RELAXED);
	sc->requests++;
	sc->delta_requests++;
	sc->tx += request.body_sent + pending + request.resp_head_len;
	sc->running_time_us += us;
	sc->avg_rt_us = sc->avg_rt_us ? (sc->avg_rt_us * 7 + us) / 8 : us;
	/* the runtime answers an app exception with a 500: count those */
	if (request.fr.status == 500)
		sc->exceptions++;
}

/* issue 19: offloaded_requests of this thread's core */
void
conn_count_offload(void)
{
	if (core)
		__atomic_store_n(&core->offloaded_requests, core->offloaded_requests + 1, __ATOMIC_RELAXED);
}

/* A core's error counters, after its request. */
static void
core_request_done(void)
{
	if (!core)
		return;
	__atomic_store_n(&core->request_start_ms, 0, __ATOMIC_RELEASE);
	if (request.body_error)
		__atomic_store_n(&core->read_errors, core->read_errors + 1, __ATOMIC_RELAXED);
	if (request.io_failed)
		__atomic_store_n(&core->write_errors, core->write_errors + 1, __ATOMIC_RELAXED);
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
static bool
run_app(struct conn *c, const struct kv *v, size_t n)
{
	struct request_io io0 = { NULL, body_read, resp_head, resp_body, resp_file, c->fd }, *io = &io0;
	struct route_ctx rx = { 0 };
	struct worker_score *sc = c->w->score;
	note_vars(v, n);
	c->served = true;
	bool threaded = c->w->nthreads > 1;
	if (core)
		__atomic_store_n(&core->request_start_ms, request.start_us / 1000, __ATOMIC_RELEASE);
	if (sc && !threaded) {
		sc->status = WS_BUSY;
		__atomic_store_n(&sc->request_start_ms, request.start_us / 1000,
		                 __ATOMIC_RELEASE);
	}
	/* route* rules, then static-map, then the app: uWSGI's order */
	int rc = routes_enabled() ? routes_run(&rx, &v, &n, &io) : ROUTES_PASS;
	bool routed = rc != ROUTES_PASS;   /* a rule answered */
	if (!routed)
		rc = static_serve(v, n, io);
	/* (post_buffer_fill may point io's read_body, also the routes' wrapper,
	 * at the buffered body: its reader ignores ctx) */
	if (!routed && rc == STATIC_PASS && post_buffer_fill(c, io) < 0) {
		if (!request.body_error && !request.io_failed)
			request.body_error = 500;   /* no temp file: nothing reached the app */
		rc = -1;
	} else if (!routed && rc == STATIC_PASS) {
		if (c->w->cfg->post_buffering) {
			/* harakiri times the app, not the upload (uWSGI resets it too) */
			int64_t now_ms = clock_us() / 1000;
			if (core)
				__atomic_store_n(&core->request_start_ms, now_ms, __ATOMIC_RELEASE);
			if (sc && !threaded)
				__atomic_store_n(&sc->request_start_ms, now_ms, __ATOMIC_RELEASE);
		}
		log_request_flush_stale();      /* in case this request hangs */
		rc = wsgi_handle(v, n, io);
		post_buffer_release();
	} else if (core && !routed) {
		__atomic_store_n(&core->static_requests, core->static_requests + 1, __ATOMIC_RELAXED);
	}
	count_request(c, 0);   /* unless a block completing the body did */
	core_request_done();
	if (sc && !threaded)
		score_request_done(sc);
	if (rc < 0 && !request.head_sent && request.body_error) {
		send_error_response(c, request.body_error);
		request.fr.status = request.body_error;
		log_request(c);
		route_ctx_free(&rx);
		return false;
	}
	if (rc == 0 && request.fr.chunked && request.fr.body_allowed && !request.discard)
		out_add(HTTP_CHUNK_LAST, sizeof(HTTP_CHUNK_LAST) - 1);
	out_flush();
	if (!rx.donotlog)
		log_request(c);
	route_ctx_free(&rx);
	if (c->w->cfg->reaper)     /* issue 19 */
		worker_reap_children();
	if (c->w->max_requests && __atomic_load_n(&c->w->requests, __ATOMIC_RELAXED) >= c->w->max_requests &&
	    worker_stop(c->w))   /* all threads of the worker together */
		log_msg("...The work of process %d is done (max requests reached %llu). Seeya!", (int)getpid(),
		        (unsigned long long)c->w->max_requests);
	if (rc < 0 || request.io_failed || !request.keep_alive)
		return false;
	/* (HEAD/304: the promised length describes a body that is never sent) */
	if (request.fr.body_allowed && request.fr.content_length >= 0 && request.body_sent != (uint64_t)request.fr.content_length)
		return false;   /* the app sent less than it promised: the client must see EOF */
	if (!body_skip_buffered())
		return false;
	/* move the pipelined rest to the front */
	size_t rest = c->len - request.dend;
	memmove(c->buf, c->buf + request.dend, rest);
	c->len = rest;
	return true;
}

/* Closing with unread input makes the kernel send RST, which can destroy the
 * error response before the client reads it: half-close, then discard what
 * the client still sends, bounded in bytes and time. */
static void
drain_before_close(struct conn *c)
{
	char sink[16384];
	size_t total = 0;
	/* best effort, and bounded in time too: a peer trickling bytes must
	 * not keep the worker here */
	int64_t deadline = clock_ms() + 2000, left;
	if (shutdown(c->fd, SHUT_WR) < 0)
		return;
	while (total < 1024 * 1024 && (left = deadline - clock_ms()) > 0 &&
	    wait_fd(c->fd, POLLIN, left < 500 ? (int)left : 500) == 0) {
		ssize_t n = read(c->fd, sink, sizeof(sink));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

static void
reject(struct conn *c, int status, const char *why)
{
	log_msg("%s: %s (%d %s)", c->remote_addr[0] ? c->remote_addr : c->l->name, why, status, status_reason(status));
	send_error_response(c, status);
	drain_before_close(c);
}

/* One HTTP request from the buffer: >0 served and kept, 0 need more bytes, <0 close. */
static int
serve_http(struct conn *c)
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
	request.minor = req.minor_version;
	request.keep_alive = req.keep_alive;
	request.head_request = req.method_len == 4 && memcmp(req.method, "HEAD", 4) == 0;
	request.expect_continue = req.expect_continue;
	if (req.chunked) {
		request.chunked = true;
		http_chunked_init(&request.dec);
		if (decode_buffered() < 0) {
			reject(c, 400, "invalid chunked body");
			return -1;
		}
		if (over_limit(request.body_total)) {
			reject(c, 413, "request body over limit-post");
			return -1;
		}
	} else if (req.content_length > 0) {
		uint64_t cl = (uint64_t)req.content_length;
		if (over_limit(cl)) {
			reject(c, 413, "request body over limit-post");
			return -1;
		}
		size_t have = c->len - request.head_len;
		size_t take = have < cl ? have : (size_t)cl;
		request.dend = request.head_len + take;
		request.body_left = cl - take;
	}
	struct http_conn_info ci = { c->remote_addr, NULL, c->w->hostname, c->l->port, false };
	int n = http_build_vars(&req, &ci, tb->vars, MAX_VARS, tb->arena, ARENA_CAP);
	if (n < 0) {
		reject(c, n == -400 ? 400 : 431, n == -400 ? "invalid request path" : "request head too large");
		return -1;
	}
	return run_app(c, tb->vars, (size_t)n) ? 1 : -1;
}

static int
serve_uwsgi(struct conn *c)
{
	int rc = uwsgi_parse_packet(c->buf, c->len, c->w->buffer_size, &tb->pkt);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		log_msg("%s: invalid uwsgi packet: %s", c->remote_addr[0] ? c->remote_addr : c->l->name, tb->pkt.error);
		return -1;
	}
	int64_t cl;
	if (uwsgi_content_length(&tb->pkt, &cl) < 0) {
		log_msg("%s: invalid uwsgi packet: bad CONTENT_LENGTH", c->remote_addr[0] ? c->remote_addr : c->l->name);
		return -1;
	}
	begin_request(c, (size_t)rc);
	request.minor = 0;   /* close-delimited: one request per uwsgi connection */
	request.modifier1 = tb->pkt.modifier1;
	request.modifier2 = tb->pkt.modifier2;
	request.keep_alive = false;
	const struct kv *m = uwsgi_find_var(&tb->pkt, "REQUEST_METHOD");
	request.head_request = m && m->val_len == 4 && memcmp(m->val, "HEAD", 4) == 0;
	if (cl > 0) {
		if (over_limit((uint64_t)cl)) {
			reject(c, 413, "request body over limit-post");
			return -1;
		}
		size_t have = c->len - request.head_len;
		size_t take = have < (uint64_t)cl ? have : (size_t)cl;
		request.dend = request.head_len + take;
		request.body_left = (uint64_t)cl - take;
	}
	run_app(c, tb->pkt.vars, tb->pkt.nvars);
	return -1;
}

static void
on_readable(struct event_loop *loop, int fd, void *data, int mask)
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
		if (!c->watched || c->w->pool)   /* (a pool's is disarmed once reported) */
			conn_wait(c, !c->watched);
		return;
	}
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->read_full = (size_t)n == room;
	/* socket-timeout bounds a whole request head, not each read: a head
	 * trickling in a byte at a time (slowloris) is not given a fresh
	 * deadline per byte. The clock restarts only with a new head. */
	bool new_head = c->len == 0, served = false;
	c->len += (size_t)n;
	for (;;) {
		int rc = c->l->proto == PROTO_HTTP ? serve_http(c) : serve_uwsgi(c);
		if (rc < 0 || (rc > 0 && worker_stopping(c->w))) {
			conn_close(c);
			return;
		}
		served |= rc > 0;
		if (rc == 0 || c->len == 0)
			break;
	}
	conn_wait(c, new_head || served);
}
