/* SPDX-License-Identifier: MIT */
/*
 * Signed subscriptions with OpenSSL's EVP interface (see
 * subscription_sign.h). A signature is EVP's for the key type and digest
 * (PKCS#1 v1.5 for RSA, DER ECDSA for EC keys), as uWSGI's
 * EVP_SignFinal/EVP_VerifyFinal make them, so uWSGI instances and routers
 * interoperate with Stockade's.
 *
 * The router reads <dir>/<key>.pem for every packet it checks instead of
 * caching it: a tenant's key can be replaced or revoked (the file removed)
 * without a restart, and announces are rare (one per node every
 * subscribe-freq seconds).
 */
#include "router/subscription_sign.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sub_signer {
	const EVP_MD *md;
	EVP_PKEY *pkey;
};

static const EVP_MD *check_md;
static char check_dir[PATH_MAX];

/* "ALGO:REST": the digest, and REST copied to rest[0..restlen). */
static const EVP_MD *
split(const char *spec, char *rest, size_t restlen, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char algo[64];
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(algo) || !colon[1]) {
		snprintf(err, errlen, "'%s': expected DIGEST:PATH (e.g. SHA256:/etc/keys)", spec);
		return NULL;
	}
	memcpy(algo, spec, (size_t)(colon - spec));
	algo[colon - spec] = '\0';
	const EVP_MD *md = EVP_get_digestbyname(algo);
	if (!md) {
		snprintf(err, errlen, "unknown digest algorithm '%s'", algo);
		return NULL;
	}
	if ((size_t)snprintf(rest, restlen, "%s", colon + 1) >= restlen) {
		snprintf(err, errlen, "'%s': path too long", spec);
		return NULL;
	}
	return md;
}

int
sub_sign_check_spec(const char *spec, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	if (!split(spec, dir, sizeof(dir), err, errlen))
		return -1;
	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	return 0;
}

int
sub_sign_setup(const char *spec, char *err, size_t errlen)
{
	check_md = split(spec, check_dir, sizeof(check_dir), err, errlen);
	return check_md ? 0 : -1;
}

int
sub_sign_key_path(const char *dir, const char *key, size_t key_len, char *out, size_t outlen)
{
	size_t dl = strlen(dir);
	if (key_len == 0 || dl + 1 + key_len + 5 > outlen)
		return -1;
	memcpy(out, dir, dl);
	out[dl] = '/';
	for (size_t i = 0; i < key_len; i++) {
		char c = key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		          c == '-' || c == '_';
		out[dl + 1 + i] = ok ? c : '_';
	}
	memcpy(out + dl + 1 + key_len, ".pem", 5);
	return 0;
}

/* NULL with *err_no set when the file cannot be opened, 0 when it holds no
 * key of that kind */
static EVP_PKEY *
read_key(const char *path, bool private, int *err_no)
{
	FILE *f = fopen(path, "re");
	*err_no = f ? 0 : errno;
	if (!f)
		return NULL;
	EVP_PKEY *k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

int
sub_sign_verify(const struct sub_req *r, const char **why)
{
	char path[PATH_MAX];
	if (!r->sign || r->signed_len == 0) {
		*why = "unsigned";
		return -1;
	}
	if (!check_md || sub_sign_key_path(check_dir, r->key, r->key_len, path, sizeof(path)) < 0) {
		*why = "no public key for this key";
		return -1;
	}
	int e;
	EVP_PKEY *pk = read_key(path, false, &e);
	if (!pk) {
		*why = "no public key for this key (missing or unreadable <key>.pem)";
		return -1;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, check_md, NULL, pk) == 1 &&
	         EVP_DigestVerifyUpdate(ctx, r->body, r->signed_len) == 1 &&
	         EVP_DigestVerifyFinal(ctx, (const unsigned char *)r->sign, r->sign_len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	if (!ok) {
		*why = "bad signature";
		return -1;
	}
	return 0;
}

struct sub_signer *
sub_signer_load(const char *spec, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const EVP_MD *md = split(spec, path, sizeof(path), err, errlen);
	if (!md)
		return NULL;
	int e;
	EVP_PKEY *pk = read_key(path, true, &e);
	if (!pk) {
		snprintf(err, errlen, "%s: %s", path, e ? strerror(e) : "not a PEM private key");
		return NULL;
	}
	if (EVP_PKEY_size(pk) <= 0 || EVP_PKEY_size(pk) > SUB_SIGN_MAX) {
		snprintf(err, errlen, "%s: signatures of this key do not fit a packet", path);
		EVP_PKEY_free(pk);
		return NULL;
	}
	struct sub_signer *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		EVP_PKEY_free(pk);
		return NULL;
	}
	s->md = md;
	s->pkey = pk;
	return s;
}

int
sub_signer_sign(struct sub_signer *s, const void *msg, size_t len, unsigned char *sig, size_t cap)
{
	size_t n = cap;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, s->md, NULL, s->pkey) == 1 &&
	         EVP_DigestSignUpdate(ctx, msg, len) == 1 && EVP_DigestSignFinal(ctx, NULL, &n) == 1 && n <= cap &&
	         EVP_DigestSignFinal(ctx, sig, &n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? (int)n : -1;
}
