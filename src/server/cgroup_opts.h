/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's `cgroup`, `cgroup-opt` and `cgroup-dir-mode` (issue 23): the
 * instance puts itself into the named cgroup directories (made with
 * cgroup-dir-mode when missing) and writes each cgroup-opt key=value into
 * them. Linux only (cgroup_opts_linux.c); FreeBSD refuses them
 * (cgroup_opts_freebsd.c). The grammar is shared (cgroup_opts.c).
 */
#ifndef STOCKADE_SERVER_CGROUP_OPTS_H
#define STOCKADE_SERVER_CGROUP_OPTS_H

#include "config/config.h"

#include <stdbool.h>
#include <sys/types.h>

/* The values: each cgroup-opt has a key ('=' or ':', as uWSGI), cgroup-dir-mode is
 * octal, cgroup paths are absolute. 0, or -1 after one file:line line. */
int	cgroup_opts_syntax(const struct config *cfg, mode_t *mode);
/* The OS's check (FreeBSD: refused). 0 or -1 after one line. */
int	cgroup_opts_check(const struct config *cfg);
/* Before the jail, first start only: join and configure. 0 or -1. */
int	cgroup_opts_apply(const struct config *cfg);
/* A cgroup-opt split at its first '=' (else ':'): key length, value. */
bool	cgroup_opt_split(const char *opt, size_t *keylen, const char **value);

#endif
