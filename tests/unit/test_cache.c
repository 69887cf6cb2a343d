/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/cache/cache.c (uWSGI's cache semantics) and
 * src/proto/spool.c: the cache shared with a forked child, set/update, a
 * full cache with and without purge_lru, integer ops, oversized values,
 * bad specs; spool packets built and parsed back, truncated ones refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache.h"
#include "proto/spool.h"

static struct cache *
make(const char *spec)
{
	char err[256];
	struct cache *c = cache_create(spec, err, sizeof(err));
	cr_assert_not_null(c, "%s: %s", spec, err);
	return c;
}

static char *
get(struct cache *c, const char *key)
{
	size_t n = 0;
	return cache_get(c, key, strlen(key), &n);
}

static int
put(struct cache *c, enum cache_op op, const char *key, const char *val)
{
	return cache_put(c, op, key, strlen(key), val, strlen(val), 0);
}

Test(cache, shared_with_a_forked_child)
{
	struct cache *c = make("name=t1,items=8,blocksize=32");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(put(c, CACHE_SET, "k", "from-child") == 0 ? 0 : 1);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *v = get(c, "k");
	cr_assert_str_eq(v, "from-child");
	free(v);
}

Test(cache, set_never_overwrites_update_does)
{
	struct cache *c = make("name=t2,items=8,blocksize=32");
	cr_assert_eq(put(c, CACHE_SET, "k", "one"), 0);
	cr_assert_eq(put(c, CACHE_SET, "k", "two"), -1);
	cr_assert_eq(put(c, CACHE_UPDATE, "k", "three"), 0);
	char *v = get(c, "k");
	cr_assert_str_eq(v, "three");
	free(v);
	cr_assert(cache_exists(c, "k", 1));
	cr_assert_eq(cache_del(c, "k", 1), 0);
	cr_assert_eq(cache_del(c, "k", 1), -1);
	cr_assert_null(get(c, "k"));
	/* empty keys and values, oversized ones */
	cr_assert_eq(put(c, CACHE_SET, "", "x"), -1);
	cr_assert_eq(put(c, CACHE_SET, "e", ""), -1);
	char big[40];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(put(c, CACHE_SET, "big", big), -1);
}

Test(cache, items_n_hold_n_minus_one)
{
	struct cache *c = make("name=t3,items=3,blocksize=8");
	cr_assert_eq(put(c, CACHE_SET, "a", "1"), 0);
	cr_assert_eq(put(c, CACHE_SET, "b", "2"), 0);
	cr_assert_eq(put(c, CACHE_SET, "c", "3"), -1);
	cache_clear(c);
	cr_assert_eq(put(c, CACHE_SET, "c", "3"), 0);
	cr_assert_null(get(c, "a"));
}

Test(cache, purge_lru_drops_the_least_recently_used)
{
	struct cache *c = make("name=t4,items=3,blocksize=8,purge_lru=1");
	cr_assert_eq(put(c, CACHE_SET, "a", "1"), 0);
	cr_assert_eq(put(c, CACHE_SET, "b", "2"), 0);
	free(get(c, "a"));	/* "b" is now the oldest */
	cr_assert_eq(put(c, CACHE_SET, "c", "3"), 0);
	cr_assert_null(get(c, "b"));
	char *v = get(c, "a");
	cr_assert_str_eq(v, "1");
	free(v);
}

Test(cache, integer_ops)
{
	struct cache *c = make("name=t5,items=4,blocksize=8,math_initial=10");
	int64_t d = 5, n;
	size_t len;
	cr_assert_eq(cache_put(c, CACHE_INC, "n", 1, &d, 8, 0), 0);	/* 10 + 5 */
	cr_assert_eq(cache_put(c, CACHE_MUL, "n", 1, &d, 8, 0), 0);	/* 75 */
	d = 0;
	cr_assert_eq(cache_put(c, CACHE_DIV, "z", 1, &d, 8, 0), 0);	/* x / 0 = 0 */
	char *v = cache_get(c, "n", 1, &len);
	cr_assert_eq(len, 8);
	memcpy(&n, v, 8);
	cr_assert_eq(n, 75);
	free(v);
	cr_assert_eq(cache_put(c, CACHE_INC, "n", 1, "abc", 3, 0), -1);	/* not 8 bytes */
}

Test(cache, bad_specs)
{
	const char *bad[] = { "items=10", "name=x", "name=x,items=1", "name=x,items=ten",
		"name=x,items=10,bitmap=1", "name=x,items=10,blocks=20", "name=x,items=10,keysize=70000",
		"name=x,items=4,blocksize=99999999999999", "name=x,items" };
	char err[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_null(cache_create(bad[i], err, sizeof(err)), "%s", bad[i]);
		cr_assert(err[0], "no reason for %s", bad[i]);
	}
}

static int
count_vars(void *arg, const char *key, size_t klen, const char *val, size_t vlen)
{
	(void)key;
	(void)val;
	cr_assert(klen > 0 && vlen < 100);
	(*(int *)arg)++;
	return 0;
}

Test(spool, build_and_parse)
{
	char buf[4 + 256];
	size_t used = 0;
	const char *body, *err = NULL;
	size_t blen;
	int n = 0;
	cr_assert_eq(spool_add_var(buf + 4, sizeof(buf) - 4, &used, "name", 4, "x", 1), 0);
	cr_assert_eq(spool_add_var(buf + 4, sizeof(buf) - 4, &used, "e", 1, "", 0), 0);
	cr_assert_eq(spool_add_var(buf + 4, sizeof(buf) - 4, &used, "", 0, "v", 1), -1);
	spool_header(buf, used);
	memcpy(buf + 4 + used, "BODY", 4);
	cr_assert_eq(spool_parse(buf, 4 + used + 4, count_vars, &n, &body, &blen, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(blen, 4);
	cr_assert_eq(memcmp(body, "BODY", 4), 0);
	/* every truncation of the vars is refused with a reason */
	for (size_t len = 0; len < 4 + used; len++) {
		err = NULL;
		cr_assert_eq(spool_parse(buf, len, NULL, NULL, &body, &blen, &err), -1, "len %zu", len);
		cr_assert_not_null(err);
	}
	buf[0] = 0;
	cr_assert_eq(spool_parse(buf, 4 + used, NULL, NULL, &body, &blen, &err), -1);
	cr_assert_str_eq(err, "not a spooler packet");
}
