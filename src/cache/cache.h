/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's cache (`cache2 = name=...,items=...` and the old `cache = N`):
 * fixed-size key/value stores in memory shared by every process of the
 * instance, made before the first fork, each behind one process-shared
 * lock. A store= file keeps the memory in a file (it survives restarts).
 *
 * Semantics follow uWSGI's core/cache.c: items = N holds N - 1 values
 * (slot 0 is reserved); a value is at most blocksize bytes, a key at most
 * keysize; set() never overwrites (update() does); a full cache refuses
 * new keys (logged), or drops its least recently used one with purge_lru;
 * inc/dec work on 8-byte native integers, starting at math_initial.
 */
#ifndef STOCKADE_CACHE_H
#define STOCKADE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;

/* Parses a cache2 spec and creates the cache (shared memory, or its store
 * file). NULL with a one-line reason in err. */
struct cache	*cache_create(const char *spec, char *err, size_t errlen);
/* The old `cache = N` (with cache-blocksize, cache-store; NULL/0 defaults). */
struct cache	*cache_create_default(uint64_t items, uint64_t blocksize, const char *store,
				      char *err, size_t errlen);

/* Caches are found by name; NULL or "" is the first one created. */
void		 cache_register(struct cache *c);
struct cache	*cache_find(const char *name);

enum cache_op { CACHE_SET, CACHE_UPDATE, CACHE_INC, CACHE_DEC, CACHE_MUL, CACHE_DIV };

/* Stores val (or applies the integer op with *(int64_t *)val, vlen 8).
 * expires: seconds from now, 0 never. 0, or -1 (empty or oversized key
 * or value, key exists for CACHE_SET, cache full). */
int	cache_put(struct cache *c, enum cache_op op, const char *key, size_t klen,
		  const void *val, size_t vlen, uint64_t expires);
/* A malloc'd copy of the value (*vlen set), or NULL when absent. */
char	*cache_get(struct cache *c, const char *key, size_t klen, size_t *vlen);
bool	 cache_exists(struct cache *c, const char *key, size_t klen);
/* 0, or -1 when absent */
int	 cache_del(struct cache *c, const char *key, size_t klen);
void	 cache_clear(struct cache *c);
/* Calls fn for each live key (under the lock: fn must not use the cache). */
void	 cache_each_key(struct cache *c, void (*fn)(void *arg, const char *key, size_t klen),
			void *arg);
const char *cache_name(const struct cache *c);

#endif
