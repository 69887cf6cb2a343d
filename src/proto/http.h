/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x for the http-socket: a strict request-head parser, an in-place
 * chunked body decoder, the CGI/uWSGI variable builder and the response head
 * formatter.
 *
 * Everything here is pure: no I/O, no allocation, no global state. Parsed
 * fields are slices into the caller's buffer, so the buffer must outlive them.
 *
 * The parser is deliberately strict (RFC 9110/9112, smuggling-safe):
 * bare LF, obs-fold, whitespace before ':', CTLs in values, Transfer-Encoding
 * with Content-Length, conflicting Content-Length values and malformed
 * chunk framing are all rejected instead of being "repaired".
 */
#ifndef STOCKADE_HTTP_H
#define STOCKADE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/request.h"

#define HTTP_MAX_HEADERS 100

struct http_header {
	const char *name;
	size_t name_len;
	const char *value;	/* leading and trailing OWS removed */
	size_t value_len;
};

struct http_request {
	const char *method;
	size_t method_len;
	const char *target;	/* raw request-target, as sent */
	size_t target_len;
	/* target without scheme/authority, up to '?'. For an absolute-form
	 * target without a path this points to a static "/". */
	const char *path;
	size_t path_len;
	const char *query;	/* after the first '?'; empty if none */
	size_t query_len;
	int minor_version;	/* 0 or 1 */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t num_headers;

	/* Body framing, decided from the whole head. */
	int64_t content_length;	/* -1: no Content-Length */
	bool chunked;		/* Transfer-Encoding: chunked (never with content_length) */
	bool keep_alive;	/* the client allows another request on this connection */
	bool expect_continue;	/* HTTP/1.1 "Expect: 100-continue" */
};

/*
 * Parses a request head (request-line, fields, empty line) from buf[0..len).
 * Empty lines before the request-line are skipped (RFC 9112 2.2) and count
 * in the returned length. Returns:
 *   > 0   length of the head; the body (if any) starts at buf + return value
 *     0   incomplete: call again with more bytes (only when len < max_head)
 *  -400   malformed
 *  -431   head longer than max_head bytes, or more than HTTP_MAX_HEADERS fields
 *  -501   Transfer-Encoding other than a lone "chunked"
 *  -505   well-formed HTTP version other than 1.0 / 1.1
 * Errors are reported as soon as the bytes seen prove them, even before the
 * head is complete. Never reads past buf[len - 1] (nor past max_head).
 */
int http_parse_request(const char *buf, size_t len, size_t max_head, struct http_request *req);

/*
 * Incremental in-place decoder for a chunked request body. Zero the struct
 * (or call http_chunked_init) before the first call.
 *
 * Decodes the raw bytes buf[0..*len) and packs the body data to the front of
 * buf; on return *len is the number of body bytes now at buf[0..*len).
 * Returns:
 *    -2   needs more input (all raw bytes consumed)
 *    -1   malformed framing, or a chunk line / trailer over the limits below;
 *         every later call returns -1 too
 *   >= 0  the body ended (last-chunk, trailers and final CRLF consumed); the
 *         return value is the number of bytes that followed it (the start of
 *         a pipelined request). They are moved to buf + *len, right behind
 *         the body data.
 * Chunk extensions are checked against RFC 9112 7.1.1 and ignored; trailer
 * fields are checked with the header rules and discarded.
 */
#define HTTP_CHUNK_SIZE_MAX	(1ULL << 62)
#define HTTP_CHUNK_LINE_MAX	4096	/* chunk-size + extensions */
#define HTTP_CHUNK_TRAILER_MAX	8192	/* all trailer fields together */

struct http_chunked {
	uint64_t size;		/* chunk-size being read */
	uint64_t remaining;	/* data bytes left in the current chunk */
	uint32_t line_len;	/* bytes in the current chunk line */
	uint32_t trailer_len;	/* bytes of trailer fields so far */
	uint8_t state;
};

void http_chunked_init(struct http_chunked *d);
ssize_t http_chunked_decode(struct http_chunked *d, char *buf, size_t *len);
/* True once the terminating chunk and trailers were consumed. */
bool http_chunked_done(const struct http_chunked *d);

/*
 * Connection facts for the CGI variables. Strings are NUL-terminated and are
 * copied into the arena.
 */
struct http_conn_info {
	const char *remote_addr;	/* "127.0.0.1" (v4-mapped v6 already shown as v4) */
	const char *remote_port;	/* NULL: no REMOTE_PORT (uWSGI sets it only with PROXY) */
	const char *server_name;	/* the host name, not the Host header (uWSGI) */
	const char *server_port;	/* from the socket name, "80" if none */
	bool https;
};

/*
 * Builds the request variables as uWSGI's http-socket does: REQUEST_METHOD,
 * REQUEST_URI (raw target), PATH_INFO (percent-decoded path), QUERY_STRING,
 * SERVER_PROTOCOL, SCRIPT_NAME (""), SERVER_NAME, SERVER_PORT, REMOTE_ADDR,
 * [REMOTE_PORT], [HTTPS=on], CONTENT_LENGTH, CONTENT_TYPE and HTTP_<NAME> for
 * every other field. Fields of the same name are joined with ", " ("; " for
 * Cookie). Fields whose name contains '_' are dropped (HTTP_X_FOO could
 * otherwise be spoofed by "X_Foo"), and so is "Proxy" (httpoxy).
 *
 * Values are slices of the request buffer or of the arena (generated names,
 * joined values, the decoded path); both must outlive vars.
 * Returns the number of vars, -1 if vars[max_vars] or the arena is too
 * small, -400 if the path has a malformed %-escape or decodes to a NUL.
 */
int http_build_vars(const struct http_request *req, const struct http_conn_info *conn,
                    struct kv *vars, size_t max_vars, char *arena, size_t arena_size);

/* How the response body must be sent, as decided by http_format_head(). */
struct http_resp_framing {
	int status;		/* numeric status code */
	bool body_allowed;	/* false for HEAD, 1xx, 204 and 304: send no body bytes */
	bool chunked;		/* frame the body with http_chunk_head() and HTTP_CHUNK_LAST */
	bool close;		/* close the connection after the response */
	int64_t content_length;	/* body length promised in the head, -1 if none */
};

/*
 * Writes "HTTP/1.<minor> <status>\r\n", the application's headers, framing
 * headers and the empty line into out[0..cap). Framing: an application
 * Content-Length wins; else a known content_length (>= 0) is sent; else
 * HTTP/1.1 gets "Transfer-Encoding: chunked"; else the body is delimited by
 * closing the connection. HEAD, 1xx, 204 and 304 responses have no body.
 * "Connection: close" is added when not keeping the connection alive,
 * "Connection: keep-alive" for a kept HTTP/1.0 connection. The application's
 * own Connection and Transfer-Encoding headers are not copied (hop-by-hop,
 * PEP 3333); "Connection: close" from it is honoured.
 * Returns the head length, -1 for an invalid status line or header (name not
 * a token, CR/LF/NUL in a value: response splitting; bad Content-Length),
 * -2 if cap is too small.
 */
int http_format_head(char *out, size_t cap, int minor_version,
                     const char *status, size_t status_len,
                     const struct kv *headers, size_t n, int64_t content_length,
                     bool keep_alive, bool head_request, struct http_resp_framing *fr);

/* Chunked response framing: http_chunk_head() writes "<hex size>\r\n"
 * (at most HTTP_CHUNK_HEAD_MAX bytes) and returns its length; every chunk's
 * data is followed by HTTP_CHUNK_END, the body by HTTP_CHUNK_LAST.
 * Never frame an empty chunk: that is the terminator. */
#define HTTP_CHUNK_HEAD_MAX 18
#define HTTP_CHUNK_END "\r\n"
#define HTTP_CHUNK_LAST "0\r\n\r\n"

size_t http_chunk_head(char *out, uint64_t data_len);

#endif
