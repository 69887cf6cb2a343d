/* SPDX-License-Identifier: MIT */
/*
 * Chain reload (touch-chain-reload, master fifo 'c'): the workers are
 * recycled one at a time, and the next only once the new one accepts, so
 * that capacity never drops by more than one worker and no request is
 * refused. As uWSGI's (core/master_checks.c uwsgi_master_check_chain), a
 * worker forked from a master that holds the app gets the app the master
 * loaded: new code needs lazy-apps.
 */
#include "server/chain_reload.h"
#include "server/server_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define CHAIN_POLL_MS 50   /* how soon the next worker follows one that accepts */

static struct {
	bool active;
	size_t next;              /* slot to recycle next */
	long victim;              /* slot being recycled, -1 none */
	pid_t victim_pid;         /* its old process */
	long long cursed_ms;
	long long waiting_logged;
	long long timer;
	pid_t *old;               /* per slot: the process when the chain began */
	struct timespec *mtime;   /* per touch-chain-reload file */
} chain = { .victim = -1 };

static void on_chain_timer(struct event_loop *loop, long long id, void *data);

void
chain_reload_init(void)
{
	const struct strlist *files = &master.cfg->touch_chain_reload;
	chain.mtime = xcalloc(files->n + 1, sizeof(*chain.mtime));
	chain.old = xcalloc(master.nslots + 1, sizeof(*chain.old));
	for (size_t i = 0; i < files->n; i++)
		file_touched(files->v[i], &chain.mtime[i]);
}

void
chain_reload_start(const char *why)
{
	if (master.state != RUNNING)
		return;
	if (chain.active) {
		log_msg("%s: chain reload already running", why);
		return;
	}
	log_msg("%s: chain reload starting", why);
	chain.active = true;
	chain.next = 0;
	chain.victim = -1;
	for (size_t i = 0; i < master.nslots; i++)
		chain.old[i] = master.slots[i].pid;
	chain_reload_step();
}

/* The victim is done once its slot runs a new process that accepts. */
static bool
victim_done(long long now)
{
	struct worker_slot *s = &master.slots[chain.victim];
	const struct worker_score *sc = &master.sb->workers[chain.victim];
	if (s->pid == chain.victim_pid) {
		/* still the old process: it finishes its requests, within mercy */
		unsigned long long mercy = master.cfg->worker_reload_mercy * 1000ULL;
		if (mercy && now - chain.cursed_ms > (long long)mercy) {
			log_msg("chain: worker %ld did not stop within %llu s: killing it", chain.victim + 1,
			        master.cfg->worker_reload_mercy);
			kill(s->pid, SIGKILL);
			chain.cursed_ms = now;
		}
		return false;
	}
	if (s->pid > 0 && __atomic_load_n(&sc->accepting, __ATOMIC_ACQUIRE))
		return true;
	if (now - chain.waiting_logged >= 1000) {
		log_msg("chain is still waiting for worker %ld...", chain.victim + 1);
		chain.waiting_logged = now;
	}
	return false;
}

void
chain_reload_step(void)
{
	if (!chain.active)
		return;
	if (master.state != RUNNING) {
		/* a reload or stop took over: every worker goes anyway */
		chain.active = false;
		return;
	}
	long long now = clock_ms();
	if (chain.victim >= 0 && !victim_done(now))
		goto again;
	chain.victim = -1;
	while (chain.next < master.nslots) {
		size_t i = chain.next;
		struct worker_slot *s = &master.slots[i];
		/* a process forked since the chain began, or one already going
		 * (max-requests...) whose successor will be, is new already */
		if (s->pid <= 0 || s->pid != chain.old[i] || s->expected_exit) {
			chain.next++;
			continue;
		}
		/* still starting (it may hold the old code): recycled once it
		 * accepts, so that the chain never takes two at a time */
		if (!__atomic_load_n(&master.sb->workers[i].accepting, __ATOMIC_ACQUIRE))
			goto again;
		chain.next++;
		log_msg("chain next victim is worker %zu (pid: %d)", i + 1, (int)s->pid);
		s->expected_exit = true;
		chain.victim = (long)i;
		chain.victim_pid = s->pid;
		chain.cursed_ms = chain.waiting_logged = now;
		kill(s->pid, SIGHUP);
		goto again;
	}
	chain.active = false;
	log_msg("chain reloading complete");
	return;
again:
	if (chain.timer <= 0)
		event_timer_arm(master.loop, CHAIN_POLL_MS, on_chain_timer, NULL, &chain.timer);
}

static void
on_chain_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	chain.timer = 0;
	chain_reload_step();
}

void
chain_reload_check_touch(void)
{
	const struct strlist *files = &master.cfg->touch_chain_reload;
	for (size_t i = 0; i < files->n; i++) {
		if (file_touched(files->v[i], &chain.mtime[i]) && master.state == RUNNING) {
			char why[512];
			snprintf(why, sizeof(why), "*** %s has been touched", files->v[i]);
			chain_reload_start(why);
		}
	}
}
