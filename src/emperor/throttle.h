/* SPDX-License-Identifier: MIT */
/*
 * Crash-loop protection for the Emperor, as uWSGI's core/emperor.c does it
 * (reference §5.3), but never sleeping: these functions only compute times,
 * the Emperor arms timers with them.
 *
 * Global throttle: a level in ms. After the first scan ("warming up"),
 * each spawn doubles the level if the previous spawn was less than a second
 * before, else halves it down to emperor-throttle; the next spawn may not
 * happen before the last one + level. While warming up, spawns are spaced
 * THROTTLE_WARMUP_MS apart and the level does not move.
 *
 * Blacklist: a vassal that ends before it became loyal is blacklisted; it
 * may not be spawned again before last_attempt + its level. The first
 * failure sets the level to emperor-throttle; each further one adds
 * emperor-throttle until emperor-max-throttle, where the level halves.
 * Loyalty (or SIGURG) removes the entry.
 */
#ifndef STOCKADE_EMPEROR_THROTTLE_H
#define STOCKADE_EMPEROR_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>

#define THROTTLE_WARMUP_MS 10
#define THROTTLE_FAST_MS 1000     /* spawns closer than this raise the level */

struct throttle {
	long long base_ms;        /* emperor-throttle */
	long long max_ms;         /* emperor-max-throttle */
	long long level_ms;
	long long last_spawn_ms;  /* < 0: none yet */
	bool warming;
};

void throttle_init(struct throttle *t, long long base_ms, long long max_ms);
/* Ends the warm-up: from now on the level applies. */
void throttle_warm(struct throttle *t);
/* Earliest (monotonic ms) time the next spawn may happen. */
long long throttle_next(const struct throttle *t);
/* Records a spawn at now and updates the level. */
void throttle_spawned(struct throttle *t, long long now);

struct blacklist_item {
	char *id;
	long long first_ms, last_ms;   /* monotonic */
	long long first_unix, last_unix;
	long long level_ms;
	int attempt;
};

struct blacklist {
	struct blacklist_item *v;
	size_t n, cap;
};

enum blacklist_event {
	BL_ADDED,          /* first failure */
	BL_RAISED,         /* level raised */
	BL_THROTTLING,     /* level raised, second further failure: "unloyal bad behaving vassal" */
	BL_MAX_REACHED,    /* level was at the maximum: halved */
};

/* Records a failure of id at now (monotonic ms; unix seconds for stats). */
enum blacklist_event blacklist_add(struct blacklist *b, const char *id, long long now_ms, long long now_unix,
                                   long long base_ms, long long max_ms);
/* ms to wait before id may be spawned again (0: now). */
long long blacklist_wait(const struct blacklist *b, const char *id, long long now_ms);
const struct blacklist_item *blacklist_find(const struct blacklist *b, const char *id);
/* true if id was listed */
bool blacklist_remove(struct blacklist *b, const char *id);
void blacklist_clear(struct blacklist *b);

#endif
