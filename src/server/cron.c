/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's command crons (cron, cron2, unique-cron): each job runs through
 * binsh -c as an auxiliary process (AUX_ONCE), so inside the jail, as the
 * instance's user. The master checks the table every second against the
 * local time, as uWSGI does: a field of -1 matches any value, -N every N
 * (value % N == 0); day and weekday are ORed when both are given; a job
 * runs at most once a minute. A unique job is not started while its last
 * run is still running; other jobs may overlap.
 *
 * For tests only, STOCKADE_TEST_CRON_MINUTE_MS=N makes the cron clock
 * advance one minute every N ms (from the real time at start), so that a
 * test does not wait for wall-clock minutes.
 */
#include "server/daemons.h"
#include "request_features/kvlist.h"
#include "server/server_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "config/config.h"
#include "hooks/hooks.h"
#include "jail/fds.h"
#include "net/event.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { F_MIN, F_HOUR, F_DAY, F_MON, F_WDAY, NFIELDS };

struct cron_run {               /* one aux slot of a job */
	struct cron_job *job;
	int aux_id;
	long long started_ms;
	bool killed;
};

struct cron_job {
	int when[NFIELDS];
	char *command;
	bool unique;
	unsigned long long harakiri;    /* s, 0: none */
	bool harakiri_set;              /* cron2 harakiri= (0 too) overrides cron-harakiri */
	time_t last_run;
	struct cron_run **runs;
	size_t nruns;
};

static struct {
	struct cron_job *v;
	size_t n;
	const char *shell;
	long long minute_ms;    /* test clock: ms per minute, 0: real time */
	time_t test_now;
} crons;

static const char *const field_names[NFIELDS] = { "minute", "hour", "day", "month", "week" };
static const int field_max[NFIELDS] = { 59, 23, 31, 12, 7 };

static struct cron_job *
job_new(void)
{
	crons.v = xrealloc(crons.v, (crons.n + 1) * sizeof(*crons.v));
	struct cron_job *j = &crons.v[crons.n++];
	*j = (struct cron_job){ .when = { -1, -1, -1, -1, -1 } };
	return j;
}

static int
field_parse(struct origin o, const char *opt, int f, const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end) {
		config_error(o, "%s: %s '%s' is not a number", opt, field_names[f], s);
		return -1;
	}
	if (v > field_max[f] || v < -field_max[f] - 1 || (v == 0 && f >= F_DAY && f != F_WDAY)) {
		/* uWSGI takes it and the job never runs: say so */
		config_error(o, "%s: %s %ld never matches (0..%d, -N every N)", opt, field_names[f], v, field_max[f]);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* "MIN HOUR DAY MONTH WEEKDAY COMMAND" */
static int
parse_cron(struct origin o, const char *opt, const char *value, bool unique)
{
	struct cron_job *j = job_new();
	const char *p = value;

	j->unique = unique;
	for (int f = 0; f < NFIELDS; f++) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strcspn(p, " \t");
		if (len == 0 || len > 15) {
			config_error(o, "%s: expected MIN HOUR DAY MONTH WEEKDAY COMMAND, got '%s'", opt, value);
			return -1;
		}
		char tok[16];
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (field_parse(o, opt, f, tok, &j->when[f]) < 0)
			return -1;
		p += len;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		config_error(o, "%s: no command in '%s'", opt, value);
		return -1;
	}
	j->command = xstrdup(p);
	return 0;
}

/* "key=value,... COMMAND" (keys: minute hour day month week unique harakiri) */
static int
parse_cron2(struct origin o, const char *value)
{
	const char *sp = strchr(value, ' ');
	const char *cmd = value;
	char *keys = NULL;
	int rc = -1;

	if (sp && memchr(value, '=', (size_t)(sp - value))) {
		keys = xstrndup(value, (size_t)(sp - value));
		cmd = sp + 1;
	} else if (!sp && strchr(value, '=')) {
		config_error(o, "cron2: no command in '%s'", value);
		return -1;
	}
	struct cron_job *j = job_new();
	struct kvitem it[16];
	int n = keys ? kvlist_split(keys, it, 16) : 0;
	if (n < 0) {
		config_error(o, "cron2: too many keys in '%s'", value);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int f;
		for (f = 0; f < NFIELDS && strcmp(it[i].key, field_names[f]); f++)
			;
		if (!it[i].value) {
			config_error(o, "cron2: '%s' is not key=value", it[i].key);
			goto out;
		}
		if (f < NFIELDS) {
			if (field_parse(o, "cron2", f, it[i].value, &j->when[f]) < 0)
				goto out;
		} else if (!strcmp(it[i].key, "unique")) {
			j->unique = strcmp(it[i].value, "0") != 0;
		} else if (!strcmp(it[i].key, "harakiri")) {
			if (!parse_uint(it[i].value, 1000000, &j->harakiri)) {
				config_error(o, "cron2: bad harakiri '%s' (seconds)", it[i].value);
				goto out;
			}
			j->harakiri_set = true;
		} else if (!strcmp(it[i].key, "legion")) {
			config_error(o, "cron2: key 'legion' is not supported by Stockade (no legions)");
			goto out;
		} else {
			config_error(o, "cron2: unknown key '%s' (minute, hour, day, month, week, unique, harakiri)", it[i].key);
			goto out;
		}
	}
	while (*cmd == ' ')
		cmd++;
	if (!*cmd) {
		config_error(o, "cron2: no command in '%s'", value);
		goto out;
	}
	j->command = xstrdup(cmd);
	rc = 0;
out:
	free(keys);
	return rc;
}

int
cron_check(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->cron.n; i++)
		if (parse_cron(cfg->cron.origin[i], "cron", cfg->cron.v[i], false) < 0)
			return -1;
	for (size_t i = 0; i < cfg->unique_cron.n; i++)
		if (parse_cron(cfg->unique_cron.origin[i], "unique-cron", cfg->unique_cron.v[i], true) < 0)
			return -1;
	for (size_t i = 0; i < cfg->cron2.n; i++)
		if (parse_cron2(cfg->cron2.origin[i], cfg->cron2.v[i]) < 0)
			return -1;
	/* issue 19: cron-harakiri is the default of every job without its own */
	for (size_t i = 0; i < crons.n; i++)
		if (!crons.v[i].harakiri_set)
			crons.v[i].harakiri = cfg->cron_harakiri;
	return 0;
}

/* uWSGI's matching: a negative field matches when the value is a multiple
 * of its magnitude; day and weekday are ORed only when both are fixed. */
bool
cron_when_due(const int when[5], const struct tm *tm)
{
	const int now[NFIELDS] = { tm->tm_min, tm->tm_hour, tm->tm_mday, tm->tm_mon + 1, tm->tm_wday };
	bool ok[NFIELDS];

	for (int f = 0; f < NFIELDS; f++) {
		int w = when[f];
		if (f == F_WDAY && w == 7)
			w = 0;  /* 7 is Sunday too, as in crontab */
		ok[f] = w < 0 ? now[f] % -w == 0 : now[f] == w;
	}
	if (!ok[F_MIN] || !ok[F_HOUR] || !ok[F_MON])
		return false;
	if (when[F_DAY] >= 0 && when[F_WDAY] >= 0)
		return ok[F_DAY] || ok[F_WDAY];
	return ok[F_DAY] && ok[F_WDAY];
}

static bool
job_due(const struct cron_job *j, const struct tm *tm)
{
	return cron_when_due(j->when, tm);
}

/* ---- running a job ---------------------------------------------------------------- */

static pid_t
spawn_run(void *data)
{
	struct cron_run *r = data;
	pid_t pid = aux_fork("cron job");

	if (pid == 0) {
		if (jail_close_fds(NULL, 0) < 0)
			_exit(1);
		log_set_file(2);        /* the log's own fd is closed now */
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0)
			_exit(1);
		if (null > 0)
			close(null);
		/* its own process group, as uWSGI: harakiri kills the whole command */
		if (setsid() < 0)
			_exit(1);
		char *argv[] = { (char *)crons.shell, "-c", r->job->command, NULL };
		execve(crons.shell, argv, environ);
		log_errno("cron: exec %s", crons.shell);
		_exit(127);
	}
	return pid;
}

static void
run_exited(void *data, pid_t pid, int status)
{
	struct cron_run *r = data;
	long long secs = (clock_ms() - r->started_ms) / 1000;

	if (WIFSIGNALED(status))
		log_msg("[cron] command \"%s\" (pid %d) killed by signal %d after %lld s", r->job->command, (int)pid,
		    WTERMSIG(status), secs);
	else
		log_msg("[cron] command \"%s\" (pid %d) exited with status %d after %lld s", r->job->command, (int)pid,
		    WEXITSTATUS(status), secs);
}

static struct cron_run *
free_run(struct cron_job *j)
{
	for (size_t i = 0; i < j->nruns; i++)
		if (aux_pid(j->runs[i]->aux_id) == 0)
			return j->runs[i];
	if (j->unique && j->nruns)
		return NULL;
	/* a new slot: an overlapping run of a job that is not unique */
	struct cron_run *r = xcalloc(1, sizeof(*r));
	struct aux_spec *spec = xcalloc(1, sizeof(*spec));
	*spec = (struct aux_spec){ .name = xasprintf("cron \"%s\"", j->command), .spawn = spawn_run, .data = r,
		.respawn = AUX_ONCE, .manual_start = true, .exited = run_exited,
		.signal_group = true };	/* its own session (spawn_run) */
	r->job = j;
	r->aux_id = aux_add(spec);
	j->runs = xrealloc(j->runs, (j->nruns + 1) * sizeof(*j->runs));
	j->runs[j->nruns++] = r;
	return r;
}

static void
job_run(struct cron_job *j)
{
	struct cron_run *r = free_run(j);

	if (!r) {
		log_msg("[cron] unique \"%s\" still running: skipped", j->command);
		return;
	}
	r->started_ms = clock_ms();
	r->killed = false;
	if (aux_spawn(r->aux_id))
		log_msg("[cron] running \"%s\" (pid %d)", j->command, (int)aux_pid(r->aux_id));
}

static void
check_harakiri(struct cron_job *j)
{
	for (size_t i = 0; j->harakiri && i < j->nruns; i++) {
		struct cron_run *r = j->runs[i];
		pid_t pid = aux_pid(r->aux_id);
		if (pid > 0 && !r->killed && clock_ms() - r->started_ms >= (long long)j->harakiri * 1000) {
			log_msg("[cron] command \"%s\" (pid %d) ran %llu s: harakiri", j->command, (int)pid, j->harakiri);
			r->killed = true;
			if (kill(-pid, SIGKILL) < 0)    /* not yet its group leader */
				kill(pid, SIGKILL);
		}
	}
}

static void
on_cron_tick(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	if (master.state != RUNNING)
		return;
	time_t now;
	if (crons.minute_ms) {
		crons.test_now += 60;
		now = crons.test_now;
	} else {
		now = time(NULL);
	}
	struct tm tm;
	if (!localtime_r(&now, &tm)) {
		log_errno("cron: localtime");
	} else {
		for (size_t i = 0; i < crons.n; i++) {
			struct cron_job *j = &crons.v[i];
			check_harakiri(j);
			/* a unique job still running is not even considered */
			if (j->unique && j->nruns && aux_pid(j->runs[0]->aux_id) > 0)
				continue;
			if (job_due(j, &tm) && now - j->last_run >= 60) {
				j->last_run = now;
				job_run(j);
			}
		}
	}
	event_timer_add(loop, crons.minute_ms ? crons.minute_ms : 1000, on_cron_tick, NULL);
}

void
cron_register(const struct config *cfg, struct event_loop *loop)
{
	if (!crons.n)
		return;
	crons.shell = hooks_binsh(cfg);
	const char *test = getenv("STOCKADE_TEST_CRON_MINUTE_MS");
	unsigned long long ms;
	if (test && parse_uint(test, 3600000, &ms) && ms >= 10) {
		crons.minute_ms = (long long)ms;
		/* the first tick is the minute the instance started in */
		crons.test_now = time(NULL) - 60;
		log_msg("cron: test clock, one minute every %llu ms", ms);
	}
	/* jobs due in the current minute run at once, as in uWSGI */
	event_timer_add(loop, 0, on_cron_tick, NULL);
}
