/* SPDX-License-Identifier: MIT */
/*
 * Workers that follow the load (uWSGI's cheaper subsystem) and idle sites
 * that cost nothing: the cheaper algorithms (spare, spare2, busyness,
 * backlog, manual) run once per master tick and return how many workers
 * to add (> 0) or to stop (-1); the idle check puts the master in cheap
 * mode (no workers, the listeners watched by the master, the first
 * connection respawns them) or, with die-on-idle, ends the instance.
 */
#include "server/server_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"
#include "server/stats.h"
#include "server/vassal.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum cheaper_algo { ALGO_SPARE, ALGO_SPARE2, ALGO_BUSYNESS, ALGO_BACKLOG, ALGO_MANUAL };

static const char *const algo_names[] = { "spare", "spare2", "busyness", "backlog", "manual" };

struct busyness {
	uint64_t max, min, multi, min_multi, penalty;
	uint64_t backlog_alert, backlog_multi, backlog_step, backlog_nonzero;
	uint64_t *last_values;      /* running_time_us at the last measurement */
	uint64_t *was_busy;         /* ticks seen busy since the last measurement */
	int64_t tcheck, last_cheaped, next_cheap, nonzero_since;
	uint64_t tolerance;
	int last_action;            /* 1 spawned, 2 stopped */
	int emergency;
	bool nonzero;
	bool verbose;
};

static struct {
	bool on;                    /* cheaper = N given */
	enum cheaper_algo algo;
	size_t min, initial, step;
	uint64_t overload, idle_s;
	bool *cheaped;              /* per slot: stopped on purpose, not respawned */
	uint64_t overload_count, idle_count;   /* spare, spare2 */
	struct busyness busy;
	/* idle / cheap mode */
	bool cheap_mode;
	uint64_t last_requests;
	int64_t last_change_s;
	bool listeners_watched;
} cheaper;

/* ---- shared helpers -------------------------------------------------------------- */

static bool
slot_busy(size_t i)
{
	return __atomic_load_n(&master.sb->workers[i].request_start_ms, __ATOMIC_ACQUIRE) != 0;
}

static bool
slot_active(size_t i)
{
	return !cheaper.cheaped[i] && master.slots[i].pid > 0;
}

/* Cheaped slots with no process, at most `limit`: uWSGI's "decheaped" count. */
static int
free_slots(size_t limit)
{
	size_t n = 0;
	for (size_t i = 0; i < master.nslots; i++)
		if (cheaper.cheaped[i] && master.slots[i].pid == 0 && ++n >= limit)
			break;
	return (int)n;
}

static size_t
active_workers(size_t *busy)
{
	size_t n = 0, b = 0;
	for (size_t i = 0; i < master.nslots; i++)
		if (slot_active(i)) {
			n++;
			b += slot_busy(i);
		}
	if (busy)
		*busy = b;
	return n;
}

/* The longest accept queue of the TCP listeners (0 for UNIX sockets, as uWSGI). */
static uint64_t
backlog(void)
{
	uint64_t worst = 0;
	for (size_t i = 0; i < master.nls; i++) {
		uint64_t q, max;
		stats_listen_queue(master.ls[i].fd, &q, &max);
		if (q > worst)
			worst = q;
	}
	return worst;
}

/* ---- the algorithms: > 0 workers to spawn, -1 one to stop, 0 nothing ------------- */

/* spare: all busy for `overload` ticks → spawn `step`; one idle spare is
 * the stable state; more idle than that for `overload` ticks → stop one. */
static int
algo_spare(bool can_spawn)
{
	bool all_busy = true;
	for (size_t i = 0; i < master.nslots && all_busy; i++)
		if (slot_active(i) && !slot_busy(i))
			all_busy = false;
	if (all_busy) {
		cheaper.overload_count++;
		cheaper.idle_count = 0;
	} else if (cheaper.overload_count > 0) {
		cheaper.overload_count--;
	}
	if (can_spawn && cheaper.overload_count >= cheaper.overload) {
		cheaper.overload_count = 0;
		return free_slots(cheaper.step);
	}
	if (cheaper.overload_count != 0)
		return 0;
	size_t busy, active = active_workers(&busy);
	if (active > busy && active - busy == 1)
		return 0;
	cheaper.idle_count++;
	if (active > cheaper.min && cheaper.idle_count % cheaper.overload == 0)
		return -1;
	return 0;
}

/* spare2: keep `cheaper` idle workers; spawn before the overload, stop one
 * after `cheaper-idle` ticks with too many idle ones. */
static int
algo_spare2(bool can_spawn)
{
	size_t busy, active = active_workers(&busy), idle = active - busy;
	size_t cheaped = master.nslots - active;
	if (idle < cheaper.min) {
		cheaper.idle_count = 0;
		if (!can_spawn)
			return 0;
		size_t n = cheaper.min - idle;
		if (n > cheaped)
			n = cheaped;
		if (n > cheaper.step)
			n = cheaper.step;
		return (int)n;
	}
	if (idle == cheaper.min) {
		cheaper.idle_count = 0;
		return 0;
	}
	if (++cheaper.idle_count < cheaper.idle_s)
		return 0;
	cheaper.idle_count = 0;
	return -1;
}

/* backlog: the listen queue above `overload` → spawn, below → stop one. */
static int
algo_backlog(bool can_spawn)
{
	uint64_t q = backlog();
	if (can_spawn && q > cheaper.overload)
		return free_slots(cheaper.step);
	if (q < cheaper.overload && active_workers(NULL) > cheaper.min)
		return -1;
	return 0;
}

static void
busy_next_cheap(int64_t now)
{
	struct busyness *b = &cheaper.busy;
	uint64_t m = b->emergency > 0 ? b->backlog_multi : b->multi;
	b->next_cheap = now + (int64_t)(cheaper.overload * m * 1000000);
}

static void
busy_decrease_multi(void)
{
	if (cheaper.busy.multi > cheaper.busy.min_multi)
		cheaper.busy.multi--;
}

static int
busy_emergency(uint64_t q, int64_t now)
{
	struct busyness *b = &cheaper.busy;
	b->multi = b->min_multi;
	b->last_action = 1;
	int n = free_slots(b->backlog_step);
	busy_next_cheap(now);
	if (n > 0) {
		b->emergency += n;
		log_msg("[busyness] listen queue is %llu: spawning %d emergency worker(s) (%d now)",
		        (unsigned long long)q, n, b->emergency);
	} else {
		log_msg("[busyness] listen queue is %llu but all %zu workers are running",
		        (unsigned long long)q, master.nslots);
	}
	return n;
}

/* busyness: every `overload` seconds, the share of that period the active
 * workers spent in requests; above max → spawn `step`, below min for
 * overload * multiplier seconds → stop one; a long listen queue spawns
 * emergency workers in between. */
static int
algo_busyness(bool can_spawn)
{
	struct busyness *b = &cheaper.busy;
	int64_t period = (int64_t)cheaper.overload * 1000000, now = clock_us();
	size_t active = 0;
	for (size_t i = 0; i < master.nslots; i++) {
		if (slot_active(i)) {
			active++;
			b->was_busy[i] += slot_busy(i);
		} else {
			b->was_busy[i] = 0;
		}
	}
	uint64_t q = backlog();
	if (now - b->tcheck < period) {
		if (can_spawn && q > b->backlog_alert && active < master.nslots)
			return busy_emergency(q, now);
		if (q == 0) {
			b->nonzero = false;
		} else if (!b->nonzero) {
			b->nonzero = true;
			b->nonzero_since = now;
		} else if (can_spawn && (uint64_t)(now - b->nonzero_since) / 1000000 >= b->backlog_nonzero) {
			b->nonzero_since = now;
			return busy_emergency(q, now);
		}
		return 0;
	}
	b->tcheck = now;
	uint64_t total = 0;
	for (size_t i = 0; i < master.nslots; i++) {
		uint64_t rt = master.sb->workers[i].running_time_us;
		if (slot_active(i)) {
			uint64_t delta = rt - b->last_values[i];
			uint64_t pct = delta * 100 / (uint64_t)period;
			/* one request longer than the period has not ended yet */
			if (pct > 100 || (delta == 0 && b->was_busy[i] > 0))
				pct = 100;
			b->was_busy[i] = 0;
			total += pct;
		}
		b->last_values[i] = rt;
	}
	uint64_t avg = active ? total / active : 0;
	if (b->verbose)
		log_msg("[busyness] %llus average busyness is at %llu%% with %zu workers",
		        (unsigned long long)cheaper.overload, (unsigned long long)avg, active);
	if (avg > b->max) {
		b->tolerance = 0;
		int n = can_spawn ? free_slots(cheaper.step) : 0;
		if (n > 0) {
			b->last_action = 1;
			if ((uint64_t)(now - b->last_cheaped) / cheaper.overload / 1000000 <= b->multi)
				b->multi += b->penalty;
			else
				busy_decrease_multi();
			busy_next_cheap(now);
			log_msg("[busyness] %llus average busyness is at %llu%%, will spawn %d new worker(s)",
			        (unsigned long long)cheaper.overload, (unsigned long long)avg, n);
		}
		return n;
	}
	if (can_spawn && q > b->backlog_alert && active < master.nslots)
		return busy_emergency(q, now);
	if (active <= 1)
		return 0;
	if (avg < b->min) {
		b->tolerance = 0;
		if (active > cheaper.min && now >= b->next_cheap) {
			if (b->last_action == 2)
				busy_decrease_multi();
			busy_next_cheap(now);
			log_msg("[busyness] %llus average busyness is at %llu%%, cheap one of %zu running workers",
			        (unsigned long long)cheaper.overload, (unsigned long long)avg, active);
			b->last_cheaped = now;
			b->last_action = 2;
			if (b->emergency > 0)
				b->emergency--;
			return -1;
		}
		return 0;
	}
	if (b->emergency > 0)
		b->emergency--;
	if (++b->tolerance >= 3)
		busy_next_cheap(now);
	else
		b->next_cheap += period;
	return 0;
}

/* ---- acting on the verdict ------------------------------------------------------- */

/* Stops the idle active worker spawned first (gracefully: it ends its
 * connections); its slot is not respawned until the load asks. */
static void
cheap_one(void)
{
	size_t best = master.nslots;
	for (size_t i = 0; i < master.nslots; i++)
		if (slot_active(i) && !slot_busy(i) &&
		    (best == master.nslots || master.sb->workers[i].last_spawn < master.sb->workers[best].last_spawn))
			best = i;
	if (best == master.nslots)
		return;
	cheaper.cheaped[best] = true;
	master.sb->workers[best].status = WS_CHEAP;
	log_msg("cheaper: stopping worker %zu (pid: %d)", best + 1, (int)master.slots[best].pid);
	kill(master.slots[best].pid, SIGHUP);
}

static void
spawn_cheaped(int n)
{
	for (size_t i = 0; i < master.nslots && n > 0; i++) {
		if (!cheaper.cheaped[i] || master.slots[i].pid != 0 || master.slots[i].respawn_timer > 0)
			continue;
		cheaper.cheaped[i] = false;
		spawn_worker(i);
		n--;
	}
}

static void
calc_cheaper(void)
{
	const struct config *cfg = master.cfg;
	bool can_spawn = true;
	int needed = 0;
	if (cfg->cheaper_rss_limit_soft) {
		uint64_t total = 0;
		for (size_t i = 0; i < master.nslots; i++)
			if (slot_active(i))
				total += master.sb->workers[i].rss;
		size_t active = active_workers(NULL);
		if (cfg->cheaper_rss_limit_hard && active > 1 && total >= cfg->cheaper_rss_limit_hard) {
			log_msg("cheaper hard rss memory limit exceeded, cheap one of %zu workers", active);
			cheap_one();
			return;
		}
		if (total >= cfg->cheaper_rss_limit_soft)
			can_spawn = false;
	}
	switch (cheaper.algo) {
	case ALGO_SPARE: needed = algo_spare(can_spawn); break;
	case ALGO_SPARE2: needed = algo_spare2(can_spawn); break;
	case ALGO_BUSYNESS: needed = algo_busyness(can_spawn); break;
	case ALGO_BACKLOG: needed = algo_backlog(can_spawn); break;
	case ALGO_MANUAL: needed = 0; break;
	}
	if (needed > 0 && can_spawn)
		spawn_cheaped(needed);
	else if (needed < 0)
		cheap_one();
}

/* ---- cheap mode and idle ---------------------------------------------------------- */

static void on_listener(struct event_loop *loop, int fd, void *data, int mask);

static void
watch_listeners(bool on)
{
	if (on == cheaper.listeners_watched)
		return;
	cheaper.listeners_watched = on;
	for (size_t i = 0; i < master.nls; i++) {
		if (on && event_add(master.loop, master.ls[i].fd, EV_READ, on_listener, NULL) < 0)
			log_errno("cheap mode: cannot watch %s", master.ls[i].name);
		else if (!on)
			event_del(master.loop, master.ls[i].fd, EV_READ);
	}
}

/* Workers back: `cheaper` of them with adaptive workers, else all. */
static void
leave_cheap_mode(void)
{
	watch_listeners(false);
	cheaper.cheap_mode = false;
	cheaper.last_change_s = 0;
	size_t n = cheaper.on ? cheaper.min : master.nslots;
	for (size_t i = 0; i < master.nslots; i++)
		cheaper.cheaped[i] = i >= n;
	for (size_t i = 0; i < n; i++)
		if (master.slots[i].pid == 0 && master.slots[i].respawn_timer <= 0)
			spawn_worker(i);
}

static void
on_listener(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	if (!cheaper.cheap_mode || master.state != RUNNING)
		return;
	log_msg("cheap mode: connection on fd %d, spawning workers", fd);
	leave_cheap_mode();
}

static void
enter_cheap_mode(void)
{
	cheaper.cheap_mode = true;
	for (size_t i = 0; i < master.nslots; i++) {
		cheaper.cheaped[i] = true;
		if (master.slots[i].pid > 0) {
			master.sb->workers[i].status = WS_CHEAP;
			kill(master.slots[i].pid, SIGTERM);
		}
	}
	watch_listeners(true);
	log_msg("cheap mode enabled: waiting for socket connection...");
}

static void
check_idle(void)
{
	const struct config *cfg = master.cfg;
	if (!cfg->idle || cheaper.cheap_mode)
		return;
	int64_t now = clock_s();
	if (!cheaper.last_change_s)
		cheaper.last_change_s = now;
	for (size_t i = 0; i < master.nslots; i++)
		if (master.slots[i].pid > 0 && slot_busy(i))
			return;
	uint64_t total = __atomic_load_n(&master.sb->total_requests, __ATOMIC_RELAXED);
	if (total != cheaper.last_requests) {
		cheaper.last_requests = total;
		cheaper.last_change_s = now;
		return;
	}
	if (now - cheaper.last_change_s <= (int64_t)cfg->idle)
		return;
	log_msg("workers have been inactive for more than %llu seconds", cfg->idle);
	if (cfg->die_on_idle) {
		cheaper.cheap_mode = true;     /* no more checks: the end is near */
		if (vassal_active()) {
			log_msg("die-on-idle: asking the Emperor to stop this vassal");
			vassal_notify(VASSAL_MSG_VOLUNTARY_STOP);
		} else {
			master_shutdown(false);
		}
		return;
	}
	enter_cheap_mode();
}

/* ---- the master's interface ------------------------------------------------------- */

static int
parse_algo(const char *name)
{
	if (!name)
		return ALGO_SPARE;
	for (size_t i = 0; i < sizeof(algo_names) / sizeof(algo_names[0]); i++)
		if (strcasecmp(name, algo_names[i]) == 0)
			return (int)i;
	return -1;
}

static uint64_t
or_default(uint64_t v, uint64_t dflt)
{
	return v ? v : dflt;
}

int
cheaper_init(void)
{
	const struct config *cfg = master.cfg;
	memset(&cheaper, 0, sizeof(cheaper));
	cheaper.cheaped = xcalloc(master.nslots, sizeof(bool));
	cheaper.on = cfg->cheaper > 0;
	int algo = parse_algo(cfg->cheaper_algo);
	if (algo < 0) {
		const struct origin *o = config_origin(cfg, "cheaper-algo");
		config_error(o ? *o : (struct origin){ NULL, 0 },
		             "cheaper-algo: unknown algorithm '%s' (spare, spare2, busyness, backlog, manual)",
		             cfg->cheaper_algo);
		return -1;
	}
	cheaper.algo = (enum cheaper_algo)algo;
	if (cheaper.on && cfg->cheaper >= master.nslots) {
		const struct origin *o = config_origin(cfg, "cheaper");
		config_error(o ? *o : (struct origin){ NULL, 0 },
		             "invalid cheaper value %llu: must be lower than processes (%zu)", cfg->cheaper, master.nslots);
		return -1;
	}
	cheaper.min = cfg->cheaper;
	cheaper.initial = cfg->cheaper_initial;
	if (cheaper.on && (cheaper.initial < cheaper.min || cheaper.initial > master.nslots)) {
		if (cheaper.initial)
			log_msg("warning: invalid cheaper-initial value (%zu), must be between cheaper (%zu) and processes (%zu)",
			        cheaper.initial, cheaper.min, master.nslots);
		cheaper.initial = cheaper.initial > master.nslots ? master.nslots : cheaper.min;
	}
	cheaper.step = or_default(cfg->cheaper_step, 1);
	cheaper.overload = or_default(cfg->cheaper_overload, 3);
	cheaper.idle_s = or_default(cfg->cheaper_idle, 10);
	struct busyness *b = &cheaper.busy;
	b->max = or_default(cfg->busyness_max, 50);
	b->min = or_default(cfg->busyness_min, 25);
	b->multi = b->min_multi = or_default(cfg->busyness_multiplier, 10);
	b->penalty = or_default(cfg->busyness_penalty, 2);
	b->backlog_alert = or_default(cfg->busyness_backlog_alert, 33);
	b->backlog_multi = or_default(cfg->busyness_backlog_multiplier, 3);
	b->backlog_step = or_default(cfg->busyness_backlog_step, 1);
	b->backlog_nonzero = or_default(cfg->busyness_backlog_nonzero, 60);
	b->verbose = cfg->busyness_verbose;
	b->last_values = xcalloc(master.nslots, sizeof(uint64_t));
	b->was_busy = xcalloc(master.nslots, sizeof(uint64_t));
	b->tcheck = clock_us();
	busy_next_cheap(b->tcheck);
	if (cheaper.on) {
		log_msg("cheaper: %s algorithm, %zu to %zu workers (%zu at start, step %zu)",
		        algo_names[cheaper.algo], cheaper.min, master.nslots, cheaper.initial, cheaper.step);
		for (size_t i = cheaper.initial; i < master.nslots; i++)
			cheaper.cheaped[i] = true;
	}
	return 0;
}

/* Spawns the workers the start asks for: none in cheap mode, `cheaper-initial`
 * with adaptive workers, else all. */
void
cheaper_start(void)
{
	if (master.cfg->cheap) {
		enter_cheap_mode();
		return;
	}
	for (size_t i = 0; i < master.nslots; i++)
		if (!cheaper.cheaped[i])
			spawn_worker(i);
}

bool
cheaper_slot_cheaped(size_t i)
{
	return cheaper.cheaped && i < master.nslots && cheaper.cheaped[i];
}

void
cheaper_tick(void)
{
	if (master.state != RUNNING)
		return;
	check_idle();
	if (cheaper.on && !cheaper.cheap_mode)
		calc_cheaper();
}
