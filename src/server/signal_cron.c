/* SPDX-License-Identifier: MIT */
/*
 * issue 22: the master's side of uwsgi.add_timer/add_rb_timer/add_cron.
 * Timers are armed by the Python layer on the master's event loop; crons
 * are matched here each minute with cron.c's matching (and its test clock,
 * STOCKADE_TEST_CRON_MINUTE_MS), and their signal sent to its target.
 * File monitors are polled (stat) every FILEMON_MS: any change of the
 * file's (or directory's) mtime, ctime, inode, size or existence raises
 * its signal; portable, and a directory's mtime covers entries added or
 * removed in it.
 */
#include "server/server_internal.h"
#include "server/daemons.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"
#include "python/uwsgi_signal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FILEMON_MS 250

struct fm_state {
	bool exists;
	struct stat st;
};

static struct {
	long long minute_ms;	/* test clock: ms per minute, 0: real time */
	time_t test_now;
	time_t *last;		/* per cron: when it last fired */
	struct fm_state *fm;	/* per file monitor */
} sc;

static void
fm_stat(const char *path, struct fm_state *s)
{
	memset(s, 0, sizeof(*s));
	s->exists = stat(path, &s->st) == 0;
}

static bool
fm_changed(const struct fm_state *a, const struct fm_state *b)
{
	if (a->exists != b->exists)
		return true;
	if (!a->exists)
		return false;
	return a->st.st_ino != b->st.st_ino || a->st.st_size != b->st.st_size ||
	       a->st.st_mtim.tv_sec != b->st.st_mtim.tv_sec ||
	       a->st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec ||
	       a->st.st_ctim.tv_sec != b->st.st_ctim.tv_sec ||
	       a->st.st_ctim.tv_nsec != b->st.st_ctim.tv_nsec;
}

static void
on_filemon(struct event_loop *loop, long long id, void *data)
{
	size_t n;
	const struct uwsgi_signal_filemon *f = uwsgi_signal_filemons(&n);

	(void)id;
	(void)data;
	if (master.state != RUNNING)
		return;
	for (size_t i = 0; i < n; i++) {
		struct fm_state now;
		fm_stat(f[i].path, &now);
		if (fm_changed(&now, &sc.fm[i])) {
			sc.fm[i] = now;
			log_msg("[uwsgi-fsmon] %s has been modified", f[i].path);
			uwsgi_signal_send(f[i].sig);
		}
	}
	event_timer_add(loop, FILEMON_MS, on_filemon, NULL);
}

static void
on_tick(struct event_loop *loop, long long id, void *data)
{
	size_t n;
	const struct uwsgi_signal_cron *c = uwsgi_signal_crons(&n);
	time_t now;
	struct tm tm;

	(void)id;
	(void)data;
	if (master.state != RUNNING)
		return;
	if (sc.minute_ms) {
		sc.test_now += 60;
		now = sc.test_now;
	} else {
		now = time(NULL);
	}
	if (!localtime_r(&now, &tm)) {
		log_errno("signal cron: localtime");
	} else {
		for (size_t i = 0; i < n; i++) {
			/* once per matching minute, as uWSGI's last_job check */
			if (cron_when_due(c[i].when, &tm) && now - sc.last[i] >= 60) {
				sc.last[i] = now;
				log_msg("[uwsgi-cron] routing signal %d", c[i].sig);
				uwsgi_signal_send(c[i].sig);
			}
		}
	}
	event_timer_add(loop, sc.minute_ms ? sc.minute_ms : 1000, on_tick, NULL);
}

void
signal_timers_register(struct event_loop *loop)
{
	size_t n;
	const char *test = getenv("STOCKADE_TEST_CRON_MINUTE_MS");
	unsigned long long ms;

	uwsgi_signal_start_timers(loop);
	const struct uwsgi_signal_filemon *f = uwsgi_signal_filemons(&n);
	if (n) {
		sc.fm = xcalloc(n, sizeof(*sc.fm));
		for (size_t i = 0; i < n; i++) {
			fm_stat(f[i].path, &sc.fm[i]);
			log_msg("[uwsgi-fsmon] watching %s (signal %d)", f[i].path, f[i].sig);
		}
		event_timer_add(loop, FILEMON_MS, on_filemon, NULL);
	}
	uwsgi_signal_crons(&n);
	if (!n)
		return;
	sc.last = xcalloc(n, sizeof(*sc.last));
	if (test && parse_uint(test, 3600000, &ms) && ms >= 10) {
		sc.minute_ms = (long long)ms;
		sc.test_now = time(NULL) - 60;
	}
	/* crons due in the current minute fire at once, as in uWSGI */
	event_timer_add(loop, 0, on_tick, NULL);
}
