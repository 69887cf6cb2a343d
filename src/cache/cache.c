/* SPDX-License-Identifier: MIT */
/*
 * The shared cache (see cache.h). One mapping per cache, laid out as
 *
 *	header | buckets[hashsize] | free stack[items] | items[items] | blocks[items]
 *
 * with 32-bit slot indices (0 is "none", as in uWSGI), a hash chain per
 * bucket, an LRU list for purge_lru, and one value block per slot. The
 * mapping is anonymous, or a store= file; the lock is always anonymous
 * shared memory (a file must not carry a mutex across restarts).
 */
#include "cache/cache.h"
#include "base/log.h"
#include "base/shm_locks.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_MAGIC "STKCACH1"
#define MAX_ITEMS (1U << 30)
#define MAX_BYTES (1ULL << 40)

struct cache_hdr {
	char		magic[8];
	uint64_t	items, blocksize, keysize, hashsize;
	uint64_t	nused;
	uint64_t	free_top;	/* entries on the free stack */
	uint32_t	lru_head, lru_tail;
	uint64_t	full;		/* times a new key found it full */
};

struct cache_item {
	uint32_t	hnext;		/* next in the bucket's chain */
	uint32_t	lru_prev, lru_next;
	uint32_t	keylen;		/* 0: free slot */
	uint64_t	vlen;
	int64_t		expires;	/* unix time, 0 never */
	char		key[];
};

struct cache {
	char		*name;
	char		*store;
	struct cache_hdr *h;
	size_t		 size, item_size;
	uint32_t	*buckets, *free_stack;
	char		*items, *data;
	struct shm_locks *lock;
	bool		 purge_lru, ignore_full, warned_big;
	int64_t		 math_initial;
	struct cache	*next;
};

static struct cache *caches, **caches_tail = &caches;

/* ---- layout ------------------------------------------------------------- */

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static struct cache_item *
item(struct cache *c, uint32_t i)
{
	return (struct cache_item *)(void *)(c->items + (size_t)i * c->item_size);
}

static char *
block(struct cache *c, uint32_t i)
{
	return c->data + (size_t)i * c->h->blocksize;
}

/* uWSGI's default hash (djb33x) */
static uint32_t
hash(const char *key, size_t len)
{
	uint32_t h = 5381;
	for (size_t i = 0; i < len; i++)
		h = (h * 33) ^ (uint8_t)key[i];
	return h;
}

static void
init_contents(struct cache *c)
{
	struct cache_hdr *h = c->h;

	memset(c->buckets, 0, h->hashsize * sizeof(uint32_t));
	memset(c->items, 0, h->items * c->item_size);
	/* slot 0 is reserved: items - 1 usable slots, handed out from 1 up */
	h->free_top = 0;
	for (uint64_t i = h->items - 1; i >= 1; i--)
		c->free_stack[h->free_top++] = (uint32_t)i;
	h->nused = 0;
	h->lru_head = h->lru_tail = 0;
}

static void
set_pointers(struct cache *c)
{
	char *p = (char *)c->h + align8(sizeof(struct cache_hdr));
	c->buckets = (uint32_t *)(void *)p;
	p += align8(c->h->hashsize * sizeof(uint32_t));
	c->free_stack = (uint32_t *)(void *)p;
	p += align8(c->h->items * sizeof(uint32_t));
	c->items = p;
	p += c->h->items * c->item_size;
	c->data = p;
}

/* Total bytes for these parameters, or 0 when too large. */
static size_t
layout_size(uint64_t items, uint64_t blocksize, uint64_t keysize, uint64_t hashsize, size_t *item_size)
{
	uint64_t isz = align8(sizeof(struct cache_item) + keysize), a, b;

	*item_size = (size_t)isz;
	if (__builtin_mul_overflow(items, blocksize, &a) || __builtin_mul_overflow(items, isz, &b))
		return 0;
	uint64_t total = align8(sizeof(struct cache_hdr)) + align8(hashsize * 4) +
	                 align8(items * 4) + b + a;
	return total > MAX_BYTES ? 0 : (size_t)total;
}

/* A store file with the same parameters is reused as it is. */
static void *
map_store(struct cache *c, size_t size, bool *reused, char *err, size_t errlen)
{
	int fd = open(c->store, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	void *p;

	*reused = false;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cache \"%s\": store %s: %s", c->name, c->store, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((size_t)st.st_size != size && (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)) {
		snprintf(err, errlen, "cache \"%s\": store %s: %s", c->name, c->store, strerror(errno));
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cache \"%s\": mmap %s: %s", c->name, c->store, strerror(errno));
		return NULL;
	}
	*reused = (size_t)st.st_size == size;
	return p;
}

static struct cache *
create(struct cache *c, uint64_t items, uint64_t blocksize, uint64_t keysize, uint64_t hashsize,
       char *err, size_t errlen)
{
	size_t size, item_size;
	bool reused = false;
	void *p;

	if (items < 2 || items > MAX_ITEMS || !blocksize || !keysize || keysize >= 65536 ||
	    !hashsize || hashsize > MAX_ITEMS) {
		snprintf(err, errlen, "cache \"%s\": items must be 2..%u, keysize 1..65535, "
		         "blocksize and hashsize above 0", c->name, MAX_ITEMS);
		return NULL;
	}
	size = layout_size(items, blocksize, keysize, hashsize, &item_size);
	if (!size) {
		snprintf(err, errlen, "cache \"%s\": items x blocksize is too large", c->name);
		return NULL;
	}
	c->size = size;
	c->item_size = item_size;
	if (c->store)
		p = map_store(c, size, &reused, err, errlen);
	else if ((p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) ==
	         MAP_FAILED) {
		snprintf(err, errlen, "cache \"%s\": mmap of %zu bytes: %s", c->name, size, strerror(errno));
		p = NULL;
	}
	if (!p)
		return NULL;
	c->h = p;
	if (reused && (memcmp(c->h->magic, CACHE_MAGIC, 8) != 0 || c->h->items != items ||
	               c->h->blocksize != blocksize || c->h->keysize != keysize ||
	               c->h->hashsize != hashsize))
		reused = false;
	c->h->items = items;
	c->h->blocksize = blocksize;
	c->h->keysize = keysize;
	c->h->hashsize = hashsize;
	set_pointers(c);
	if (!reused) {
		init_contents(c);
		memcpy(c->h->magic, CACHE_MAGIC, 8);
	} else {
		log_msg("cache \"%s\": %" PRIu64 " items restored from %s", c->name, c->h->nused, c->store);
	}
	if (!(c->lock = shm_locks_new(1))) {
		snprintf(err, errlen, "cache \"%s\": no lock", c->name);
		return NULL;
	}
	log_msg("cache \"%s\": %" PRIu64 " items of up to %" PRIu64 " bytes, keys up to %" PRIu64
	        " bytes (%zu bytes%s%s)", c->name, items - 1, blocksize, keysize, size,
	        c->store ? " in " : "", c->store ? c->store : "");
	return c;
}

/* ---- spec --------------------------------------------------------------- */

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno)
		return -1;
	*out = v;
	return 0;
}

static void
cache_free(struct cache *c)
{
	if (c->h)
		munmap(c->h, c->size);
	free(c->name);
	free(c->store);
	free(c);
}

struct cache *
cache_create(const char *spec, char *err, size_t errlen)
{
	struct cache *c = xcalloc(1, sizeof(*c));
	char *copy = xstrdup(spec), *save = NULL;
	uint64_t items = 0, blocksize = 65536, keysize = 2048, hashsize = 0, blocks = 0;
	int rc = 0;

	for (char *kv = strtok_r(copy, ",", &save); kv && rc == 0; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		uint64_t n = 0;
		if (!v) {
			snprintf(err, errlen, "cache2: '%s' is not key=value", kv);
			rc = -1;
			break;
		}
		*v++ = '\0';
		bool num = strcmp(kv, "name") != 0 && strcmp(kv, "store") != 0 &&
		           strcmp(kv, "math_initial") != 0;
		if (num && parse_u64(v, &n) < 0) {
			snprintf(err, errlen, "cache2: %s=%s: not a number", kv, v);
			rc = -1;
		} else if (strcmp(kv, "name") == 0) {
			free(c->name);
			c->name = xstrdup(v);
		} else if (strcmp(kv, "store") == 0) {
			free(c->store);
			c->store = xstrdup(v);
		} else if (strcmp(kv, "items") == 0 || strcmp(kv, "maxitems") == 0) {
			items = n;
		} else if (strcmp(kv, "blocksize") == 0) {
			blocksize = n;
		} else if (strcmp(kv, "keysize") == 0) {
			keysize = n;
		} else if (strcmp(kv, "hashsize") == 0) {
			hashsize = n;
		} else if (strcmp(kv, "blocks") == 0) {
			blocks = n;
		} else if (strcmp(kv, "purge_lru") == 0) {
			c->purge_lru = n != 0;
		} else if (strcmp(kv, "ignore_full") == 0) {
			c->ignore_full = n != 0;
		} else if (strcmp(kv, "lazy_expire") == 0) {
			/* always so: an expired item is never returned */
		} else if (strcmp(kv, "math_initial") == 0) {
			c->math_initial = strtoll(v, NULL, 10);
		} else {
			snprintf(err, errlen, "cache2: key '%s' is not supported by Stockade "
			         "(name, items, blocksize, keysize, hashsize, blocks, store, purge_lru, "
			         "ignore_full, lazy_expire, math_initial)", kv);
			rc = -1;
		}
	}
	free(copy);
	if (rc == 0 && !c->name) {
		snprintf(err, errlen, "cache2: you have to specify a cache name");
		rc = -1;
	} else if (rc == 0 && !items) {
		snprintf(err, errlen, "cache2: you have to specify the maximum number of cache items");
		rc = -1;
	} else if (rc == 0 && blocks && blocks != items) {
		snprintf(err, errlen, "cache2: blocks=%" PRIu64 " differs from items (variable-size "
		         "items, bitmap mode, are not supported by Stockade)", blocks);
		rc = -1;
	} else if (rc == 0 && cache_find(c->name) && strcmp(cache_name(cache_find(c->name)), c->name) == 0) {
		snprintf(err, errlen, "cache2: a cache named \"%s\" already exists", c->name);
		rc = -1;
	}
	if (rc == 0 && create(c, items, blocksize, keysize, hashsize ? hashsize : items, err, errlen))
		return c;
	cache_free(c);
	return NULL;
}

struct cache *
cache_create_default(uint64_t items, uint64_t blocksize, const char *store, char *err, size_t errlen)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup("default");
	c->store = store ? xstrdup(store) : NULL;
	if (create(c, items, blocksize ? blocksize : 65536, 2048, items, err, errlen))
		return c;
	cache_free(c);
	return NULL;
}

void
cache_register(struct cache *c)
{
	*caches_tail = c;
	caches_tail = &c->next;
}

struct cache *
cache_find(const char *name)
{
	if (!name || !*name)
		return caches;
	for (struct cache *c = caches; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *
cache_name(const struct cache *c)
{
	return c->name;
}

/* ---- operations (called with the lock held) ----------------------------- */

static void
lru_unlink(struct cache *c, uint32_t i)
{
	struct cache_item *it = item(c, i);
	if (it->lru_prev)
		item(c, it->lru_prev)->lru_next = it->lru_next;
	else
		c->h->lru_head = it->lru_next;
	if (it->lru_next)
		item(c, it->lru_next)->lru_prev = it->lru_prev;
	else
		c->h->lru_tail = it->lru_prev;
	it->lru_prev = it->lru_next = 0;
}

static void
lru_append(struct cache *c, uint32_t i)
{
	struct cache_item *it = item(c, i);
	it->lru_prev = c->h->lru_tail;
	it->lru_next = 0;
	if (c->h->lru_tail)
		item(c, c->h->lru_tail)->lru_next = i;
	else
		c->h->lru_head = i;
	c->h->lru_tail = i;
}

static void
remove_slot(struct cache *c, uint32_t i)
{
	struct cache_item *it = item(c, i);
	uint32_t *link = &c->buckets[hash(it->key, it->keylen) % c->h->hashsize];

	while (*link && *link != i)
		link = &item(c, *link)->hnext;
	if (*link == i)
		*link = it->hnext;
	lru_unlink(c, i);
	it->keylen = 0;
	it->hnext = 0;
	c->free_stack[c->h->free_top++] = i;
	c->h->nused--;
}

static bool
expired(const struct cache_item *it)
{
	return it->expires && it->expires <= (int64_t)time(NULL);
}

/* The live slot of key, or 0; an expired one is dropped on the way. */
static uint32_t
lookup(struct cache *c, const char *key, size_t klen)
{
	uint32_t i = c->buckets[hash(key, klen) % c->h->hashsize];

	for (; i; i = item(c, i)->hnext) {
		struct cache_item *it = item(c, i);
		if (it->keylen == klen && memcmp(it->key, key, klen) == 0) {
			if (!expired(it))
				return i;
			remove_slot(c, i);
			return 0;
		}
	}
	return 0;
}

/* A free slot for a new key, or 0 when full (uWSGI's cache_full()). */
static uint32_t
take_slot(struct cache *c)
{
	if (!c->h->free_top) {
		c->h->full++;
		if (!c->ignore_full)
			log_msg(c->purge_lru ? "LRU item will be purged from cache \"%s\"" :
			        "*** DANGER cache \"%s\" is FULL !!! ***", c->name);
		if (c->purge_lru && c->h->lru_head)
			remove_slot(c, c->h->lru_head);
		if (!c->h->free_top)
			return 0;
	}
	return c->free_stack[--c->h->free_top];
}

static void
apply_math(enum cache_op op, int64_t *num, int64_t delta)
{
	switch (op) {
	case CACHE_INC: *num = (int64_t)((uint64_t)*num + (uint64_t)delta); break;
	case CACHE_DEC: *num = (int64_t)((uint64_t)*num - (uint64_t)delta); break;
	case CACHE_MUL: *num = (int64_t)((uint64_t)*num * (uint64_t)delta); break;
	case CACHE_DIV: *num = delta == 0 ? 0 : (delta == -1 ? -*num : *num / delta); break;
	default: break;
	}
}

static int
put_locked(struct cache *c, enum cache_op op, const char *key, size_t klen,
           const void *val, size_t vlen, uint64_t expires)
{
	bool math = op >= CACHE_INC;
	uint32_t i = lookup(c, key, klen);
	int64_t when = expires ? (int64_t)time(NULL) + (int64_t)expires : 0;

	if (i) {
		struct cache_item *it = item(c, i);
		if (op == CACHE_SET)
			return -1;	/* set never overwrites */
		if (math) {
			int64_t num = 0, delta;
			if (it->vlen == 8)
				memcpy(&num, block(c, i), 8);
			memcpy(&delta, val, 8);
			apply_math(op, &num, delta);
			memcpy(block(c, i), &num, 8);
			it->vlen = 8;	/* uWSGI keeps the expiry on math ops */
		} else {
			memcpy(block(c, i), val, vlen);
			it->vlen = vlen;
			it->expires = when;
		}
		if (c->purge_lru) {
			lru_unlink(c, i);
			lru_append(c, i);
		}
		return 0;
	}
	if (!(i = take_slot(c)))
		return -1;
	struct cache_item *it = item(c, i);
	uint32_t *bucket = &c->buckets[hash(key, klen) % c->h->hashsize];
	memcpy(it->key, key, klen);
	it->keylen = (uint32_t)klen;
	it->expires = when;
	if (math) {
		int64_t num = c->math_initial, delta;
		memcpy(&delta, val, 8);
		apply_math(op, &num, delta);
		memcpy(block(c, i), &num, 8);
		it->vlen = 8;
	} else {
		memcpy(block(c, i), val, vlen);
		it->vlen = vlen;
	}
	it->hnext = *bucket;
	*bucket = i;
	lru_append(c, i);
	c->h->nused++;
	return 0;
}

int
cache_put(struct cache *c, enum cache_op op, const char *key, size_t klen,
          const void *val, size_t vlen, uint64_t expires)
{
	if (!klen || !vlen || klen > c->h->keysize)
		return -1;
	if (op >= CACHE_INC && vlen != 8)
		return -1;
	if (vlen > c->h->blocksize) {
		if (!c->warned_big)
			log_msg("cache \"%s\": a value of %zu bytes is over blocksize %" PRIu64
			        ": not stored (logged once per process)", c->name, vlen, c->h->blocksize);
		c->warned_big = true;
		return -1;
	}
	if (shm_lock(c->lock, 0) < 0)
		return -1;
	int rc = put_locked(c, op, key, klen, val, vlen, expires);
	shm_unlock(c->lock, 0);
	return rc;
}

char *
cache_get(struct cache *c, const char *key, size_t klen, size_t *vlen)
{
	char *out = NULL;

	if (!klen || klen > c->h->keysize || shm_lock(c->lock, 0) < 0)
		return NULL;
	uint32_t i = lookup(c, key, klen);
	if (i) {
		struct cache_item *it = item(c, i);
		*vlen = (size_t)it->vlen;
		out = xmalloc(*vlen + 1);
		memcpy(out, block(c, i), *vlen);
		out[*vlen] = '\0';
		if (c->purge_lru) {
			lru_unlink(c, i);
			lru_append(c, i);
		}
	}
	shm_unlock(c->lock, 0);
	return out;
}

bool
cache_exists(struct cache *c, const char *key, size_t klen)
{
	if (!klen || klen > c->h->keysize || shm_lock(c->lock, 0) < 0)
		return false;
	bool found = lookup(c, key, klen) != 0;
	shm_unlock(c->lock, 0);
	return found;
}

int
cache_del(struct cache *c, const char *key, size_t klen)
{
	if (!klen || klen > c->h->keysize || shm_lock(c->lock, 0) < 0)
		return -1;
	uint32_t i = lookup(c, key, klen);
	if (i)
		remove_slot(c, i);
	shm_unlock(c->lock, 0);
	return i ? 0 : -1;
}

void
cache_clear(struct cache *c)
{
	if (shm_lock(c->lock, 0) < 0)
		return;
	init_contents(c);
	shm_unlock(c->lock, 0);
}

void
cache_each_key(struct cache *c, void (*fn)(void *arg, const char *key, size_t klen), void *arg)
{
	if (shm_lock(c->lock, 0) < 0)
		return;
	for (uint64_t i = 1; i < c->h->items; i++) {
		struct cache_item *it = item(c, (uint32_t)i);
		if (it->keylen && !expired(it))
			fn(arg, it->key, it->keylen);
	}
	shm_unlock(c->lock, 0);
}
