/* SPDX-License-Identifier: MIT */
/* The Emperor's spawn throttle and blacklist: times only, see throttle.h. */
#include "emperor/throttle.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void
throttle_init(struct throttle *t, long long base_ms, long long max_ms)
{
	t->base_ms = base_ms > 0 ? base_ms : 1;
	t->max_ms = max_ms >= t->base_ms ? max_ms : t->base_ms;
	t->level_ms = t->base_ms;
	t->last_spawn_ms = -1;
	t->warming = true;
}

void
throttle_warm(struct throttle *t)
{
	t->warming = false;
}

long long
throttle_next(const struct throttle *t)
{
	if (t->last_spawn_ms < 0)
		return 0;
	return t->last_spawn_ms + (t->warming ? THROTTLE_WARMUP_MS : t->level_ms);
}

void
throttle_spawned(struct throttle *t, long long now)
{
	if (!t->warming && t->last_spawn_ms >= 0) {
		if (now - t->last_spawn_ms < THROTTLE_FAST_MS) {
			t->level_ms *= 2;
			if (t->level_ms > t->max_ms)
				t->level_ms = t->max_ms;
		} else {
			t->level_ms /= 2;
			if (t->level_ms < t->base_ms)
				t->level_ms = t->base_ms;
		}
	}
	t->last_spawn_ms = now;
}

static struct blacklist_item *
find(const struct blacklist *b, const char *id)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].id, id) == 0)
			return &b->v[i];
	return NULL;
}

const struct blacklist_item *
blacklist_find(const struct blacklist *b, const char *id)
{
	return find(b, id);
}

enum blacklist_event
blacklist_add(struct blacklist *b, const char *id, long long now_ms, long long now_unix,
                                   long long base_ms, long long max_ms)
{
	struct blacklist_item *it = find(b, id);
	if (it) {
		enum blacklist_event ev = BL_RAISED;
		it->last_ms = now_ms;
		it->last_unix = now_unix;
		if (it->level_ms < max_ms) {
			it->level_ms += base_ms;
			if (it->level_ms > max_ms)
				it->level_ms = max_ms;
		} else {
			it->level_ms /= 2;
			ev = BL_MAX_REACHED;
		}
		if (++it->attempt == 2 && ev == BL_RAISED)
			ev = BL_THROTTLING;
		return ev;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	it = &b->v[b->n++];
	memset(it, 0, sizeof(*it));
	it->id = xstrdup(id);
	it->first_ms = it->last_ms = now_ms;
	it->first_unix = it->last_unix = now_unix;
	it->level_ms = base_ms;
	return BL_ADDED;
}

long long
blacklist_wait(const struct blacklist *b, const char *id, long long now_ms)
{
	const struct blacklist_item *it = find(b, id);
	if (!it || it->last_ms + it->level_ms <= now_ms)
		return 0;
	return it->last_ms + it->level_ms - now_ms;
}

bool
blacklist_remove(struct blacklist *b, const char *id)
{
	struct blacklist_item *it = find(b, id);
	if (!it)
		return false;
	free(it->id);
	size_t i = (size_t)(it - b->v);
	memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof(*b->v));
	b->n--;
	return true;
}

void
blacklist_clear(struct blacklist *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].id);
	free(b->v);
	memset(b, 0, sizeof(*b));
}
