/* SPDX-License-Identifier: MIT */
/*
 * The in-place chunked body decoder (RFC 9112 7.1): a byte-at-a-time state
 * machine, so input may be split anywhere; data is compacted in the
 * caller's buffer and the bytes after the body are kept behind it.
 */
#include "proto/http.h"
#include "proto/http_chars.h"

#include <string.h>

/*
 * chunked-body = *chunk last-chunk trailer-section CRLF       (RFC 9112 7.1)
 * chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 * One state per grammar position, so input may be split anywhere.
 */
enum chunk_state {
	CK_SIZE_FIRST = 0,	/* first hex digit of chunk-size */
	CK_SIZE,		/* more hex digits, ';', BWS or CR */
	CK_EXT_BWS,		/* BWS before ';' */
	CK_EXT_SEMI,		/* after ';': BWS or ext-name */
	CK_EXT_NAME,
	CK_EXT_NAME_BWS,	/* BWS after ext-name: '=' or ';' */
	CK_EXT_EQ,		/* after '=': BWS, token or quoted-string */
	CK_EXT_TOKEN,
	CK_EXT_QUOTED,
	CK_EXT_QPAIR,		/* after '\' in a quoted-string */
	CK_EXT_QEND,		/* after the closing quote */
	CK_SIZE_LF,		/* CR seen at the end of the chunk line */
	CK_DATA,
	CK_DATA_CR,
	CK_DATA_LF,
	CK_TRAILER_START,	/* start of a trailer line or of the final CRLF */
	CK_TRAILER_NAME,
	CK_TRAILER_VALUE,
	CK_TRAILER_LF,
	CK_FINAL_LF,
	CK_DONE,
	CK_ERROR,		/* sticky: a broken stream stays broken */
};

void
http_chunked_init(struct http_chunked *d)
{
	memset(d, 0, sizeof(*d));
}

bool
http_chunked_done(const struct http_chunked *d)
{
	return d->state == CK_DONE;
}

/* A state that allows one byte only (the CR or LF of a CRLF). */
static int
expect_byte(struct http_chunked *d, char c, char want, enum chunk_state next)
{
	if (c != want)
		return -1;
	d->state = next;
	return 0;
}

/* After ext-name, ext-val or a closing quote: what may follow. */
static int
chunk_ext_next(struct http_chunked *d, char c)
{
	if (c == ' ' || c == '\t')
		d->state = CK_EXT_BWS;
	else if (c == ';')
		d->state = CK_EXT_SEMI;
	else if (c == '\r')
		d->state = CK_SIZE_LF;
	else
		return -1;
	return 0;
}

/* The chunk-size line: size and extensions up to CR. */
static int
chunk_line_step(struct http_chunked *d, char c)
{
	if (++d->line_len > HTTP_CHUNK_LINE_MAX)
		return -1;
	switch (d->state) {
	case CK_SIZE_FIRST:
		if (!is_class(c, CT_HEX))
			return -1;	/* no sign, no "0x", no leading whitespace */
		d->size = (uint64_t)hex_value(c);
		d->state = CK_SIZE;
		return 0;
	case CK_SIZE:
		if (is_class(c, CT_HEX)) {
			if (d->size > (HTTP_CHUNK_SIZE_MAX - (uint64_t)hex_value(c)) / 16)
				return -1;
			d->size = d->size * 16 + (uint64_t)hex_value(c);
			return 0;
		}
		return chunk_ext_next(d, c);
	case CK_EXT_BWS:
		if (c == ';')
			d->state = CK_EXT_SEMI;
		else if (c != ' ' && c != '\t')
			return -1;	/* "5 \r\n", "2 junk": not in the grammar */
		return 0;
	case CK_EXT_SEMI:
		if (is_class(c, CT_TCHAR))
			d->state = CK_EXT_NAME;
		else if (c != ' ' && c != '\t')
			return -1;
		return 0;
	case CK_EXT_NAME:
		if (is_class(c, CT_TCHAR))
			return 0;
		if (c == '=') {
			d->state = CK_EXT_EQ;
			return 0;
		}
		if (c == ' ' || c == '\t') {
			d->state = CK_EXT_NAME_BWS;
			return 0;
		}
		return chunk_ext_next(d, c);
	case CK_EXT_NAME_BWS:
		if (c == '=')
			d->state = CK_EXT_EQ;
		else if (c == ';')
			d->state = CK_EXT_SEMI;
		else if (c != ' ' && c != '\t')
			return -1;
		return 0;
	case CK_EXT_EQ:
		if (is_class(c, CT_TCHAR))
			d->state = CK_EXT_TOKEN;
		else if (c == '"')
			d->state = CK_EXT_QUOTED;
		else if (c != ' ' && c != '\t')
			return -1;
		return 0;
	case CK_EXT_TOKEN:
		if (is_class(c, CT_TCHAR))
			return 0;
		return chunk_ext_next(d, c);
	case CK_EXT_QUOTED:
		if (c == '"')
			d->state = CK_EXT_QEND;
		else if (c == '\\')
			d->state = CK_EXT_QPAIR;
		else if (!is_class(c, CT_QDTEXT))
			return -1;
		return 0;
	case CK_EXT_QPAIR:
		if (!is_class(c, CT_VALUE))	/* HTAB / SP / VCHAR / obs-text */
			return -1;
		d->state = CK_EXT_QUOTED;
		return 0;
	case CK_EXT_QEND:
		return chunk_ext_next(d, c);
	}
	return -1;
}

/* Trailer fields: same rules as header fields, then thrown away. */
static int
chunk_trailer_step(struct http_chunked *d, char c)
{
	if (++d->trailer_len > HTTP_CHUNK_TRAILER_MAX)
		return -1;
	switch (d->state) {
	case CK_TRAILER_START:
		if (c == '\r')
			d->state = CK_FINAL_LF;
		else if (is_class(c, CT_TCHAR))
			d->state = CK_TRAILER_NAME;
		else
			return -1;	/* obs-fold, whitespace, bare LF */
		return 0;
	case CK_TRAILER_NAME:
		if (c == ':')
			d->state = CK_TRAILER_VALUE;
		else if (!is_class(c, CT_TCHAR))
			return -1;
		return 0;
	case CK_TRAILER_VALUE:
		if (c == '\r')
			d->state = CK_TRAILER_LF;
		else if (!is_class(c, CT_VALUE))
			return -1;
		return 0;
	case CK_TRAILER_LF:
		return expect_byte(d, c, '\n', CK_TRAILER_START);
	case CK_FINAL_LF:
		return expect_byte(d, c, '\n', CK_DONE);
	}
	return -1;
}

/* One framing byte (anything but chunk data). */
static int
chunk_step(struct http_chunked *d, char c)
{
	switch (d->state) {
	case CK_SIZE_LF:
		if (c != '\n')
			return -1;
		d->line_len = 0;
		if (d->size == 0) {
			d->state = CK_TRAILER_START;
		} else {
			d->remaining = d->size;
			d->state = CK_DATA;
		}
		return 0;
	case CK_DATA_CR:
		return expect_byte(d, c, '\r', CK_DATA_LF);
	case CK_DATA_LF:
		return expect_byte(d, c, '\n', CK_SIZE_FIRST);
	case CK_TRAILER_START:
	case CK_TRAILER_NAME:
	case CK_TRAILER_VALUE:
	case CK_TRAILER_LF:
	case CK_FINAL_LF:
		return chunk_trailer_step(d, c);
	default:
		return chunk_line_step(d, c);
	}
}

ssize_t
http_chunked_decode(struct http_chunked *d, char *buf, size_t *len)
{
	size_t src = 0, dst = 0, n = *len;

	if (d->state == CK_ERROR) {
		*len = 0;
		return -1;
	}
	while (src < n && d->state != CK_DONE) {
		if (d->state == CK_DATA) {
			size_t take = n - src;
			if (take > d->remaining)
				take = (size_t)d->remaining;
			if (dst != src)
				memmove(buf + dst, buf + src, take);
			src += take;
			dst += take;
			d->remaining -= take;
			if (d->remaining == 0)
				d->state = CK_DATA_CR;
			continue;
		}
		if (chunk_step(d, buf[src]) < 0) {
			d->state = CK_ERROR;
			*len = dst;
			return -1;
		}
		src++;
	}
	*len = dst;
	if (d->state != CK_DONE)
		return -2;
	/* keep the next request's bytes right behind the body */
	if (dst != src)
		memmove(buf + dst, buf + src, n - src);
	return (ssize_t)(n - src);
}
