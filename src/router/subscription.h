/* SPDX-License-Identifier: MIT */
/*
 * uWSGI subscription packets (modifier1 224): an instance announces
 * "serve key K at address A with weight W" to a router's subscription
 * server; modifier2 is the command (0 subscribe, 1 unsubscribe). The
 * parser is pure (slices into the caller's buffer).
 */
#ifndef STOCKADE_ROUTER_SUBSCRIPTION_H
#define STOCKADE_ROUTER_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUB_MODIFIER1 224
#define SUB_KEY_MAX 255         /* uWSGI's key limit (a Host header) */
#define SUB_ADDR_MAX 107        /* a unix socket path */
#define SUB_SIGN_MAX 1024       /* an 8192-bit RSA signature */

struct sub_req {
	bool unsubscribe;
	const char *key;
	size_t key_len;
	const char *addr;
	size_t addr_len;
	uint8_t modifier1;
	unsigned weight;        /* >= 1 */
	/* signed subscriptions (uWSGI's scheme): "unix" is the signer's clock
	 * (+1 for an unsubscribe), "sign" the last var, a signature over the
	 * vars block before it (body[0..signed_len)); the header, which holds
	 * the command, is not signed */
	bool has_unix;
	unsigned long long unix_time;
	const char *sign;       /* NULL: unsigned */
	size_t sign_len;
	const char *body;       /* the vars block */
	size_t signed_len;
	const char *error;      /* why -1 */
};

/* Parses one datagram. 0, or -1 with req->error set. */
int subscription_parse(const char *buf, size_t len, struct sub_req *req);

/* Builds a datagram into out[0..cap), with a "unix" var when unix_time is
 * not 0; returns its length or -1 if it does not fit. */
int subscription_build(char *out, size_t cap, bool unsubscribe, const char *key, const char *addr,
                       unsigned modifier1, unsigned weight, unsigned long long unix_time);

/* Appends the "sign" var to the packet out[0..len) built above (the
 * signature covers out + 4 .. out + len); the new length, or -1. */
int subscription_append_sign(char *out, size_t cap, size_t len, const unsigned char *sig, size_t sig_len);

#endif
