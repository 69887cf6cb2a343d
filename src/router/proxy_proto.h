/* SPDX-License-Identifier: MIT */
/*
 * The PROXY protocol header (HAProxy's spec, v1 text and v2 binary) that a
 * load balancer puts in front of a connection to name the real client.
 * Pure parser: no I/O, no allocation.
 */
#ifndef STOCKADE_ROUTER_PROXY_PROTO_H
#define STOCKADE_ROUTER_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_V1_MAX 107	/* the spec's longest v1 line, CRLF included */

struct proxy_info {
	bool has_addr;		/* false for "UNKNOWN", LOCAL and non-IP families */
	char addr[46];		/* source address, numeric */
	char port[6];		/* source port */
};

/*
 * Parses a PROXY header at the start of buf[0..len). Returns the header
 * length (> 0), 0 when more bytes are needed, -1 when buf is not a valid
 * PROXY header, -2 when it starts with no PROXY signature at all (the
 * header is optional, as in uWSGI).
 */
int proxy_parse(const char *buf, size_t len, struct proxy_info *pi);

#endif
