/* SPDX-License-Identifier: MIT */
/*
 * The Emperor (uWSGI's, reference §5): supervises one vassal instance per
 * config file found by its monitors (`emperor = dir | glob`). A vassal is
 * `binary-path --ini <file>` with UWSGI_EMPEROR_FD set (vassal.h); the
 * Emperor reloads it when its file changes, stops it when the file goes,
 * respawns it when it dies (except exit 26), throttles crash loops, and
 * optionally runs it as its file's owner (tyrant). docs/emperor.md.
 */
#ifndef STOCKADE_EMPEROR_H
#define STOCKADE_EMPEROR_H

#include "config/config.h"

/* Runs the Emperor until SIGTERM/SIGINT/SIGQUIT and its vassals are gone.
 * argv is main()'s (unused today; kept for a future re-exec). Returns the
 * process exit status. */
int emperor_run(const struct config *cfg, char **argv);

/* A vassal's argv (NULL-terminated; the strings are cfg's and the
 * caller's, only the array is to be freed): binary, vassals-inherit-before,
 * vassals-include-before, vassals-set, flag path, vassals-inherit,
 * vassals-include. Exposed for tests. */
char **emperor_vassal_argv(const struct config *cfg, const char *binary, const char *flag, const char *path);

#endif
