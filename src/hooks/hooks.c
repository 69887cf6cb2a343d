/* SPDX-License-Identifier: MIT */
/*
 * Hook phases: names, the config-time check of every line, and running one
 * phase (hook chain, then mounts, then umounts, then execs, each in config
 * order) with one log line before each entry and one line per failure.
 * The lines themselves are parsed and run by actions.c and run.c.
 */
#include "hooks/hooks.h"
#include "config/config.h"
#include "base/log.h"

#include <stdio.h>

static const char *const phase_names[PH_COUNT] = {
	[PH_ASAP] = "asap",
	[PH_PRE_JAIL] = "pre-jail",
	[PH_IN_JAIL] = "in-jail",
	[PH_POST_JAIL] = "post-jail",
	[PH_AS_ROOT] = "as-root",
	[PH_AS_USER] = "as-user",
	[PH_AS_USER_ATEXIT] = "as-user-atexit",
	[PH_PRE_APP] = "pre-app",
	[PH_POST_APP] = "post-app",
	[PH_POST_FORK] = "post-fork",
	[PH_ACCEPTING] = "accepting",
	[PH_ACCEPTING1] = "accepting1",
	[PH_ACCEPTING_ONCE] = "accepting-once",
	[PH_ACCEPTING1_ONCE] = "accepting1-once",
	[PH_MASTER_START] = "master-start",
	[PH_AS_VASSAL] = "as-vassal",
	[PH_AS_EMPEROR] = "as-emperor",
	[PH_EMPEROR_START] = "emperor-start",
	[PH_EMPEROR_STOP] = "emperor-stop",
	[PH_EMPEROR_RELOAD] = "emperor-reload",
	[PH_EMPEROR_LOST] = "emperor-lost",
};

static const char *const family_names[HF_COUNT] = {
	[HF_HOOK] = "hook",
	[HF_MOUNT] = "mount",
	[HF_UMOUNT] = "umount",
	[HF_EXEC] = "exec",
};

const char *
hook_phase_name(enum hook_phase ph)
{
	return (unsigned)ph < PH_COUNT ? phase_names[ph] : "?";
}

const char *
hook_family_name(enum hook_family fam)
{
	return (unsigned)fam < HF_COUNT ? family_names[fam] : "?";
}

bool
hook_phase_fatal(enum hook_phase ph)
{
	return ph != PH_AS_USER_ATEXIT && ph != PH_AS_EMPEROR && ph != PH_EMPEROR_STOP &&
	       ph != PH_EMPEROR_RELOAD && ph != PH_EMPEROR_LOST;
}

bool
hooks_any(const struct config *cfg, enum hook_phase ph)
{
	for (int f = 0; f < HF_COUNT; f++)
		if (cfg->hooks[ph][f].n)
			return true;
	return false;
}

static struct origin
line_origin(const struct strlist *l, size_t i)
{
	struct origin none = { "?", 0 };
	return l->origin && l->origin[i].file ? l->origin[i] : none;
}

/* Every error is reported (one line each), not only the first. */
int
hooks_check(const struct config *cfg)
{
	char why[512];
	int rc = 0;

	for (int ph = 0; ph < PH_COUNT; ph++) {
		for (int f = 0; f < HF_COUNT; f++) {
			const struct strlist *l = &cfg->hooks[ph][f];
			for (size_t i = 0; i < l->n; i++) {
				if (hook_line_check(f, l->v[i], why, sizeof(why)) == 0)
					continue;
				config_error(line_origin(l, i), "%s-%s: %s", family_names[f],
				             phase_names[ph], why);
				rc = -1;
			}
		}
	}
	return rc;
}

/* Runs one entry: logs it, runs it, logs the failure. 0 or -1. */
static int
hook_run_entry(const struct config *cfg, enum hook_phase ph, enum hook_family f,
                          const char *value, struct origin o)
{
	static const char private_mark[] = "--- PRIVATE HOOK ---";
	const char *phase = phase_names[ph];
	bool private = f == HF_HOOK && value[0] == '!';
	char where[1024], shown[4096], why[512];

	if (o.line > 0)
		snprintf(where, sizeof(where), "%s:%d", o.file, o.line);
	else
		snprintf(where, sizeof(where), "%s", o.file);
	if (private)
		snprintf(shown, sizeof(shown), "%s", private_mark);
	else
		snprintf(shown, sizeof(shown), "\"%s\"", value);

	switch (f) {
	case HF_MOUNT:
		log_msg("mounting %s (%s)...", shown, phase);
		break;
	case HF_UMOUNT:
		log_msg("unmounting %s (%s)...", shown, phase);
		break;
	default:
		log_msg("running %s (%s)...", shown, phase);
		break;
	}
	if (hook_line_run(cfg, f, value, why, sizeof(why)) == 0)
		return 0;
	if (f == HF_EXEC)
		log_msg("exec-%s %s (%s) %s", phase, shown, where, why);
	else
		log_msg("%s-%s %s (%s) failed: %s", family_names[f], phase, shown, where, why);
	return -1;
}

int
hooks_run(const struct config *cfg, enum hook_phase ph)
{
	bool fatal = hook_phase_fatal(ph);

	if ((unsigned)ph >= PH_COUNT)
		return -1;
	for (int f = 0; f < HF_COUNT; f++) {
		const struct strlist *l = &cfg->hooks[ph][f];
		for (size_t i = 0; i < l->n; i++) {
			if (hook_run_entry(cfg, ph, f, l->v[i], line_origin(l, i)) == 0)
				continue;
			if (fatal)
				return -1;
		}
	}
	return 0;
}
