/* SPDX-License-Identifier: MIT */
/*
 * Character classes and case-insensitive helpers shared by the HTTP parser
 * (http.c) and the CGI variable builder (http_cgi.c). Internal to src/proto.
 */
#ifndef STOCKADE_PROTO_HTTP_CHARS_H
#define STOCKADE_PROTO_HTTP_CHARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Character classes (RFC 9110 5.6.2, 5.5; RFC 9112 3.2, 7.1.1). */
#define CT_TCHAR	0x01	/* token character */
#define CT_TARGET	0x02	/* allowed in a request-target: VCHAR except '#', obs-text */
#define CT_VALUE	0x04	/* field-value: HTAB, SP, VCHAR, obs-text */
#define CT_HEX		0x08
#define CT_QDTEXT	0x10	/* inside a quoted-string without escaping */
#define CT_WS		0x20	/* SP, HTAB */

#define __c 0						/* CTL */
#define WS_ (CT_VALUE | CT_QDTEXT | CT_WS)		/* HTAB, SP */
#define TOK (CT_TCHAR | CT_TARGET | CT_VALUE | CT_QDTEXT)
#define HEX (TOK | CT_HEX)
#define VCH (CT_TARGET | CT_VALUE | CT_QDTEXT)		/* delimiters and obs-text */
#define HSH (CT_TCHAR | CT_VALUE | CT_QDTEXT)		/* '#': ends a target */
#define QBS (CT_TARGET | CT_VALUE)			/* '"' and '\' */

static const uint8_t char_class[256] = {
	__c, __c, __c, __c, __c, __c, __c, __c, __c, WS_, __c, __c, __c, __c, __c, __c,
	__c, __c, __c, __c, __c, __c, __c, __c, __c, __c, __c, __c, __c, __c, __c, __c,
	WS_, TOK, QBS, HSH, TOK, TOK, TOK, TOK, VCH, VCH, TOK, TOK, VCH, TOK, TOK, VCH,
	HEX, HEX, HEX, HEX, HEX, HEX, HEX, HEX, HEX, HEX, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, HEX, HEX, HEX, HEX, HEX, HEX, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK,
	TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, VCH, QBS, VCH, TOK, TOK,
	TOK, HEX, HEX, HEX, HEX, HEX, HEX, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK,
	TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, TOK, VCH, TOK, VCH, TOK, __c,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
	VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH, VCH,
};

#undef __c
#undef WS_
#undef TOK
#undef HEX
#undef VCH
#undef HSH
#undef QBS

static inline bool
is_class(char c, uint8_t cls)
{
	return char_class[(uint8_t)c] & cls;
}

static inline char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Case-insensitive compare of s[0..n) with a lowercase literal. */
static inline bool
equals_nocase(const char *s, size_t n, const char *lower)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (lower[i] == '\0' || ascii_lower(s[i]) != lower[i])
			return false;
	return lower[i] == '\0';
}

/* The value of a hex digit (c must be one: is_class(c, CT_HEX)). */
static inline int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* v in decimal, no NUL; out has room for 20 digits. Returns the length. */
static inline size_t
format_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

#endif
