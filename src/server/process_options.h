/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's process options (issue 19): process names (procname.c and
 * procname_<os>.c), resource limits (limits.c), recycling workers by age
 * and memory (recycle.c).
 */
#ifndef STOCKADE_PROCESS_OPTIONS_H
#define STOCKADE_PROCESS_OPTIONS_H

#include "config/config.h"
#include "server/conn.h"

#include <stddef.h>
#include <sys/types.h>

/* Takes note of the argv area that names the process and returns a copy
 * of argv (the area is overwritten by the names; a reload execs the copy). */
char	**procname_init(char **argv);
/* Name the master, or worker id, as uWSGI does (auto-procname, procname*). */
void	procname_master(const struct config *cfg);
void	procname_worker(const struct config *cfg, int id);

/* The OS part: set the name the process list shows (procname_<os>.c). */
void	procname_os_init(char **argv);
void	procname_os_set(const char *name);

/* limit-as, max-fd: 0, or -1 after a one-line error. */
int	process_limits_apply(const struct config *cfg);
/* umask at start (before logs, pidfiles, sockets): 0 or -1 after an error. */
int	process_umask_apply(const struct config *cfg);
/* chdir2, in a worker once the app is loaded: 0 or -1 after an error. */
int	process_chdir2(const struct config *cfg);

/* socket_options.c: the protocol of `socket` (0, or -1 after a one-line
 * error naming the line), the umask's value, and a unix socket's mode
 * under umask (0777 & ~umask, unless chmod-socket). */
int	socket_options_protocol(const struct config *cfg, enum proto *out);
int	socket_options_umask(const struct config *cfg, mode_t *out);
int	socket_options_umask_mode(const struct config *cfg, const char *path, char *err, size_t errlen);
/* abstract-socket: a unix path in *a becomes "@path" (0, or -1 with err). */
/* socket-write-timeout: SO_SNDTIMEO on a TCP listener (0, or -1 logged). */
int	socket_options_sndtimeo(const struct config *cfg, int fd, const struct sock_addr *a, const char *spec);
int	socket_options_abstract(const struct config *cfg, const char *spec, struct sock_addr *a, char *err,
	    size_t errlen);

/* harakiri-verbose: what a stuck worker is doing, logged before it is
 * killed (harakiri_verbose_<os>.c). */
void	harakiri_verbose(pid_t pid);
/* stdin to /dev/null unless honour-stdin (uWSGI's default): 0 or -1. */
int	process_stdin_apply(const struct config *cfg);

/* memory-report: the worker's own memory into its scoreboard slot, after
 * each request (memory_report.c). */
struct worker_score;
void	memory_report_refresh(struct worker_score *score);

/* From the master's tick, after the memory figures were refreshed:
 * max-worker-lifetime, reload-on-as, evil-reload-on-rss/-as. */
void	recycle_check(void);

#endif
