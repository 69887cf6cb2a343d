/* SPDX-License-Identifier: MIT */
/*
 * The uwsgi binary protocol (uWSGI's "socket"): a 4-byte header
 * (modifier1 u8, datasize u16 little-endian, modifier2 u8) and a vars block of
 * [u16le keylen][key][u16le vallen][value] records. The request body, if any,
 * follows the packet (CONTENT_LENGTH bytes).
 *
 * Pure parser: vars are slices into the caller's buffer; no allocation.
 */
#ifndef STOCKADE_UWSGI_H
#define STOCKADE_UWSGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/request.h"

#define UWSGI_HEADER_SIZE 4
#define UWSGI_MAX_VARS 128

/* modifier1 values Stockade cares about */
#define UWSGI_MODIFIER_WSGI 0
#define UWSGI_MODIFIER_FORK_SERVER 35
#define UWSGI_MODIFIER_EMPEROR_CONFIG 115

struct uwsgi_packet {
	uint8_t modifier1;
	uint8_t modifier2;
	uint16_t datasize;		/* bytes of the vars block */
	size_t nvars;
	struct kv vars[UWSGI_MAX_VARS];
	const char *error;		/* why -1 was returned: a literal or error_buf */
	char error_buf[64];
};

/*
 * Parses one packet from buf[0..len). max_size is the largest datasize
 * accepted (uWSGI's buffer-size, 4096 by default). Returns:
 *   > 0  the packet length (4 + datasize); the body starts at buf + return
 *     0  incomplete, call again with more bytes
 *    -1  invalid, pkt->error says why ("uwsgi key cannot be null",
 *        "truncated var", "invalid request block size N (max M)",
 *        "too many vars (max 128)")
 * Never reads past buf[len - 1].
 */
int uwsgi_parse_packet(const char *buf, size_t len, size_t max_size, struct uwsgi_packet *pkt);

/* Parses just a vars block (also used for the Emperor's config push). 0 or -1. */
int uwsgi_parse_vars(const char *block, size_t len, struct uwsgi_packet *pkt);

/* First var called key (exact, case-sensitive), or NULL. */
const struct kv *uwsgi_find_var(const struct uwsgi_packet *pkt, const char *key);
const struct kv *uwsgi_find_var_n(const struct uwsgi_packet *pkt, const char *key, size_t key_len);

/*
 * CONTENT_LENGTH as strict 1*DIGIT. A missing or empty var (nginx sends
 * CONTENT_LENGTH "" for bodiless requests) means 0. Returns 0 and sets *out,
 * or -1 for anything else (sign, spaces, junk, > INT64_MAX).
 */
int uwsgi_content_length(const struct uwsgi_packet *pkt, int64_t *out);

#endif
