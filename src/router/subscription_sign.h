/* SPDX-License-Identifier: MIT */
/*
 * Signed subscriptions (uWSGI's subscriptions-sign-check and the
 * instance's sign=ALGO:keyfile): the only OpenSSL (libcrypto) user. The
 * router checks a packet against <dir>/<key>.pem, the public key of the
 * tenant owning that key; an instance signs with its private key.
 */
#ifndef STOCKADE_ROUTER_SUBSCRIPTION_SIGN_H
#define STOCKADE_ROUTER_SUBSCRIPTION_SIGN_H

#include <stddef.h>

#include "router/subscription.h"

/* "ALGO:DIR" (subscriptions-sign-check): the digest is known to OpenSSL and
 * DIR is a directory. 0, or -1 with err set. */
int sub_sign_check_spec(const char *spec, char *err, size_t errlen);

/* The router: remember the digest and directory (spec already checked). */
int sub_sign_setup(const char *spec, char *err, size_t errlen);

/* The public key file of key (uWSGI's name: each byte outside
 * [A-Za-z0-9._-] becomes '_'); -1 if it does not fit. */
int sub_sign_key_path(const char *dir, const char *key, size_t key_len, char *out, size_t outlen);

/* 0 if r carries a valid signature by the key's public key; else -1 with
 * *why saying what was wrong (no signature, no key file, bad signature). */
int sub_sign_verify(const struct sub_req *r, const char **why);

/* An instance's signing key: "ALGO:KEYFILE" read now (before a jail). */
struct sub_signer;
struct sub_signer *sub_signer_load(const char *spec, char *err, size_t errlen);

/* Signs msg into sig[0..cap): the signature's length, or -1. */
int sub_signer_sign(struct sub_signer *s, const void *msg, size_t len, unsigned char *sig, size_t cap);

#endif
