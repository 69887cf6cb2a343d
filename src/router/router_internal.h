/* SPDX-License-Identifier: MIT */
/*
 * Inside the router folder only: the router process's state (one per
 * process, single-threaded) and a session, the life of one client
 * connection: request head, body, backend connection, response, and
 * possibly a tunnel after 101.
 */
#ifndef STOCKADE_ROUTER_INTERNAL_H
#define STOCKADE_ROUTER_INTERNAL_H

#include "config/config.h"
#include "net/socket.h"
#include "proto/http.h"
#include "proto/request.h"
#include "router/buf.h"
#include "router/subscription.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_BODY_BUFFER (64 * 1024)    /* body read before a backend is picked */
#define ROUTER_DOWN_CAP (64 * 1024)       /* response bytes held per session */
#define ROUTER_CHUNKED_MAX (1024 * 1024)  /* de-chunked request body limit */
#define ROUTER_LINGER_MS 2000

struct node {
	struct sock_addr addr;
	char name[SOCK_NAME_MAX];
	long long dead_until;           /* ms; 0: alive */
	unsigned long requests, failures;
	bool subscribed;                /* a struct sub_node (subs.c) */
};

struct listen_sock {
	int fd;
	char port[8];                   /* SERVER_PORT */
};

struct router {
	const struct config *cfg;
	struct event_loop *loop;
	struct node *nodes;
	size_t nnodes, rr;
	struct listen_sock *ls;
	size_t nls;
	size_t buffer_size;
	long long timeout_ms, headers_ms, connect_ms, grace_ms;
	bool manage_expect;
	uint64_t expect_limit;          /* 0: none */
	struct kv *vars;                /* http-var */
	size_t nvars;
	uint8_t mod1, mod2;
	bool keepalive, auto_chunked, proxy_proto;
	bool fastrouter;                /* uwsgi clients (fastrouter =), not HTTP */
	const char *hostname;
	struct session *sessions;
	struct session *graveyard;     /* closed, freed after the callback */
	size_t nsessions;
	bool stopping;
	int index;
};

extern struct router R;

enum sstate {
	S_HEAD,         /* reading a request head (or idle between requests) */
	S_BODY,         /* reading the body before a backend is picked */
	S_CONNECT,      /* connecting to a backend */
	S_RESPONSE,     /* forwarding the request, relaying the response */
	S_TUNNEL,       /* after a 101: raw bytes both ways */
	S_CLOSING,      /* flushing a router-made error page */
	S_LINGER,       /* reading what the client still sends, then closing */
};

struct session {
	struct session *prev, *next;
	int cfd, bfd;
	uint8_t state;
	uint8_t cmask, bmask;           /* registered event masks */
	uint8_t minor;                  /* request's HTTP minor version */
	int listener;
	struct node *nd;                /* the backend, NULL none */
	char host[SUB_KEY_MAX + 1];     /* the Host header: the subscription key */
	unsigned tries;
	long long deadline;             /* ms */
	struct buf in, up, down;
	uint64_t body_left;             /* request body bytes still to come */
	int64_t resp_left;              /* response body bytes promised, -1: until EOF */
	struct http_chunked ck;
	size_t head_len, dec_len;
	bool chunked_req, keep, head_req, upgrade, proxy_done;
	bool resp_head_done, frame_chunks, body_allowed, close_after, sent_any;
	bool backend_eof, client_eof, dead;
	char addr[46], port[8];
};

/* session.c */
void	session_accept(int listener, int fd, const struct sock_addr *peer);
void	session_close(struct session *s);
void	session_bury(void);
void	session_forward(struct session *s, size_t head_len, uint64_t content_length);

/* fastrouter.c: a uwsgi request from the client: 0 (forwarded or waiting
 * for more bytes) or -1 (invalid: logged, the caller closes) */
int	fastrouter_request(struct session *s);
void	session_timeout(struct session *s, long long now);
/* appends response body bytes to s->down: framed, cut or dropped as the
 * response head decided */
void	session_body_bytes(struct session *s, const char *p, size_t n);

/* response.c: rewrite the backend's response head in s->down for the
 * client; 0, or an HTTP status for the router to send instead (502) */
int	response_head(struct session *s, size_t head_len);
/* the reason phrase of a status the router sends itself */
const char *router_reason(int code);
/* the end of a response head in buf[0..len): its length, or 0 */
size_t	response_head_end(const char *buf, size_t len);

/* subs.c: the subscription table (http-subscription-server) */
int	subs_setup(const int *fds, size_t n, long long tolerance_ms);
/* subscriptions-sign-check and its tolerance, subscriptions-use-credentials,
 * subscriptions-sign-skip-uid */
int	subs_sign_setup(const struct config *cfg);
bool	subs_enabled(void);
/* A node for key by weighted round-robin, or NULL with *status 404
 * (unknown key) or 503 (every node of the key is down). */
struct node *subs_pick(const char *key, int *status);
void	subs_node_failed(struct node *nd);
void	subs_sweep(long long now);
size_t	subs_count(const char *key);
/* the uWSGI stats layout of the table (a jansson array) */
struct json_t;
struct json_t *subs_json(void);

/* stats.c: http-stats, served by router process 1 */
int	stats_setup(int fd);

/* backend.c */
const char *node_name(const struct session *s);
int	backend_connect(struct session *s);
void	backend_failed(struct session *s, const char *why);
int	backend_setup(const char *const *addrs, size_t n);
int	packet_build(struct session *s, const struct http_request *req, uint64_t content_length);

#endif
