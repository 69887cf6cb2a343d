/* SPDX-License-Identifier: MIT */
/*
 * Inside the server folder only: a connection and the request being
 * served, shared by conn.c (the connection and serving) and conn_io.c
 * (blocking I/O, the request body, the response).
 */
#ifndef STOCKADE_SERVER_CONN_INTERNAL_H
#define STOCKADE_SERVER_CONN_INTERNAL_H

#include "server/conn.h"
#include "proto/http.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	/* issue 20: in a worker's pool (threads), any thread serves it */
	uint32_t pool_gen;        /* tags its events: a stale one names an older gen */
	uint8_t pool_state;       /* POOL_*, under the pool's lock */
	bool pool_pending;        /* input arrived while held (its edge is gone) */
	bool read_full;           /* the last read filled the buffer: more may wait */
	int64_t deadline_ms;      /* socket-timeout while it waits (monotonic) */
};

/* issue 20: a threaded worker's shared connections (worker_pool.c). A
 * connection is held by one thread from the event that hands it over to
 * its pool_conn_wait() or conn_close(); nothing else touches it meanwhile. */
enum { POOL_HELD, POOL_WAITING, POOL_CLOSED };
struct conn_pool;
/* an accepted connection joins the pool, held by the accepting thread */
void	pool_conn_add(struct conn_pool *p, struct conn *c);
/* the holder lets go: the connection waits for input, any thread takes it
 * (0; 1: input may have arrived meanwhile, still held: read again; -1 with
 * errno: still held) */
int	pool_conn_wait(struct conn_pool *p, struct conn *c, bool restart_clock);
/* the holder closes it (before close()) */
void	pool_conn_del(struct conn_pool *p, struct conn *c);
/* an open connection of the pool, for the graceful stop (NULL: none) */
struct conn *pool_conn_first(struct conn_pool *p);
/* conn.c: serve a held connection that became readable; close one timed out */
void	conn_ready(struct conn *c);
void	conn_expire(struct conn *c);

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
	uint64_t body_received;   /* raw body bytes read from the socket */
	bool expect_continue, continue_sent;
	int body_error;           /* 413 when limit-post is exceeded, 400 bad chunking */
	/* response */
	int minor;
	bool keep_alive, head_request, head_sent, io_failed, discard;
	bool counted;             /* in the worker's request counters */
	struct http_resp_framing fr;
	uint64_t body_sent;
	size_t resp_head_len, resp_nheaders;
	char *out;                /* OUT_CAP bytes, per thread (conn_set_core) */
	size_t olen;
	/* log */
	int64_t start_us;         /* monotonic */
	bool via_sendfile;
	uint8_t modifier1, modifier2;   /* of a uwsgi packet */
	const struct kv *vars;    /* valid until the request is logged */
	size_t nvars, vars_bytes;
};

extern __thread struct request_state request;

/* issue 19: one more request handed to an offload thread (stats). */
void	conn_count_offload(void);

/* Blocking I/O bounded by socket-timeout. */
int	wait_fd(int fd, short events, int timeout_ms);
int	out_flush(void);
int	out_add(const char *data, size_t len);

/* The request body. */
bool	over_limit(uint64_t total);
int	decode_buffered(void);
ssize_t	body_read(void *ctx, char *dst, size_t n);
bool	body_skip_buffered(void);

/* The response. */
const char *status_reason(int status);
void	send_error_response(struct conn *c, int status);
int	resp_head(void *ctx, const char *status, size_t status_len, const struct kv *headers,
	    size_t nheaders, int64_t content_length);
int	resp_body(void *ctx, const char *data, size_t len);
int	resp_file(void *ctx, int fd, off_t offset, int64_t count);

/* Counts the request (worker, master total, scoreboard) before the last
 * byte of its response is written (pending: body bytes about to be), so
 * that a client holding the whole response finds it in the stats. Once
 * per request. */
void	count_request(struct conn *c, size_t pending);
/* The worker's shared counters when several threads serve (worker_threads.c). */
void	count_request_shared(struct worker_ctx *w, struct worker_score *sc, uint64_t tx,
	    uint64_t us, bool exception);

#endif
