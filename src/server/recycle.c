/* SPDX-License-Identifier: MIT */
/*
 * Recycling workers by age and memory, from the master's tick
 * (core/master_checks.c): max-worker-lifetime (+ delta per worker id) and
 * reload-on-as recycle gracefully (the request in flight completes);
 * evil-reload-on-rss/-as kill at once, for a worker too busy to finish.
 */
#include "server/process_options.h"
#include "server/server_internal.h"
#include "base/log.h"

#include <signal.h>
#include <time.h>

static void
recycle(size_t i, int sig)
{
	master.slots[i].expected_exit = true;
	kill(master.slots[i].pid, sig);
}

void
recycle_check(void)
{
	const struct config *cfg = master.cfg;
	const unsigned long long mib = 1024ULL * 1024;
	long long now = (long long)time(NULL);

	/* a reload or stop is taking every worker anyway */
	if (master.state != RUNNING)
		return;

	for (size_t i = 0; i < master.nslots; i++) {
		struct worker_slot *s = &master.slots[i];
		struct worker_score *sc = &master.sb->workers[i];
		if (s->pid <= 0 || s->expected_exit)
			continue;
		if (cfg->evil_reload_on_as && sc->vsz >= cfg->evil_reload_on_as * mib) {
			log_msg("*** EVIL RELOAD ON WORKER %zu ADDRESS SPACE: %llu (pid: %d) ***", i + 1,
			        (unsigned long long)sc->vsz, (int)s->pid);
			recycle(i, SIGKILL);
			continue;
		}
		if (cfg->evil_reload_on_rss && sc->rss >= cfg->evil_reload_on_rss * mib) {
			log_msg("*** EVIL RELOAD ON WORKER %zu RSS: %llu (pid: %d) ***", i + 1,
			        (unsigned long long)sc->rss, (int)s->pid);
			recycle(i, SIGKILL);
			continue;
		}
		if (cfg->reload_on_as && sc->vsz >= cfg->reload_on_as * mib) {
			log_msg("worker %zu (pid: %d) address space %llu MiB (reload-on-as %llu): recycling",
			        i + 1, (int)s->pid, (unsigned long long)(sc->vsz / mib), cfg->reload_on_as);
			recycle(i, SIGHUP);
			continue;
		}
		/* worker N may live max + (N-1) * delta seconds, so that the
		 * workers are not all recycled at the same moment */
		long long lifetime = now - (long long)sc->last_spawn;
		if (cfg->max_worker_lifetime &&
		    lifetime > (long long)(cfg->max_worker_lifetime + i * cfg->max_worker_lifetime_delta)) {
			log_msg("worker %zu lifetime reached, it was running for %lld second(s)", i + 1, lifetime);
			recycle(i, SIGHUP);
		}
	}
}
