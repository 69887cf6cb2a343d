/* SPDX-License-Identifier: MIT */
/*
 * jail-rctl on Linux (issue 23): the rules a Linux jail can enforce
 * (memoryuse, swapuse, maxproc, pcpu with action deny through the memory,
 * pids and cpu controllers; openfiles and vmemoryuse as rlimits), on the
 * unified hierarchy where the controller lives there, else on its v1
 * hierarchy (hybrid hosts). Not for use outside src/jail.
 */
#ifndef STOCKADE_JAIL_LINUX_RCTL_H
#define STOCKADE_JAIL_LINUX_RCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jail/params.h"

enum { RC_MEMORY, RC_PIDS, RC_CPU, RC_NCTL };

#define RCTL_LINUX_MAX	6	/* resources Linux enforces, deny only: one rule each */

/* Where the controllers live on this host (the seam the unit tests fill
 * with directories of their own). */
struct rctl_hosts {
	char v2root[PATH_MAX];          /* cgroup2 mount point, "" when none */
	bool on_v2[RC_NCTL];            /* listed in <v2root>/cgroup.controllers */
	char v1[RC_NCTL][PATH_MAX];     /* v1: the caller's own cgroup in that hierarchy, "" none */
};

struct jail_rctl_cg {
	char dir[RC_NCTL][PATH_MAX];    /* the cgroup holding each controller's limit, "" unused */
	bool v2[RC_NCTL];
	bool created[RC_NCTL];          /* a v1 directory made here: removed at teardown */
	bool has_nofile, has_as;
	uint64_t nofile, as;            /* openfiles, vmemoryuse */
	uint64_t mem_limit;             /* memoryuse, 0 when none */
	int oom_fd;                     /* v1 eventfd / v2 memory.events, -1 none */
	int oom_ctl_fd;                 /* v1 memory.oom_control held for the eventfd */
	uint64_t oom_kills;             /* the count last reported */
	/* the stats of the jailed master: each rule, and a read-only fd on its
	 * use file (host cgroupfs, 0444: nothing to write through) or -1 */
	size_t nuse;
	char use_rule[RCTL_LINUX_MAX][48];
	uint64_t use_limit[RCTL_LINUX_MAX];
	int use_fd[RCTL_LINUX_MAX];
};

/* Shared by linux_rctl.c and linux_rctl_record.c: the controller of a
 * resource (-1: an rlimit), the file holding its current use (NULL: none),
 * rmdir retried while a killed jail's last processes leave. */
int	jail_rctl_resource_ctl(const char *res);
const char *jail_rctl_use_file(const char *res, bool v2);
int	jail_rctl_rmdir_wait(const char *path);

/* The rules Linux cannot enforce: a file:line error. 0 or -1. */
int	jail_rctl_validate(const struct jail_spec *spec);
/* /proc/self/mountinfo and /proc/self/cgroup into h. */
void	jail_rctl_discover(struct rctl_hosts *h);
/* Host side, after the jail's cgroup2 directory (v2_jail, "" when none)
 * exists: the controllers' cgroups and limits. 0, or -1 after one line with
 * nothing left. */
int	jail_rctl_prepare(const struct jail_spec *spec, const char *name, const struct rctl_hosts *h,
	    const char *v2_jail, struct jail_rctl_cg *cg);
/* Host side, init born and waiting: v1 cgroups joined, rlimits set. 0/-1. */
int	jail_rctl_attach_init(const struct jail_spec *spec, struct jail_rctl_cg *cg, pid_t pid);
/* The memoryuse OOM notification (POLLIN v1, POLLPRI v2) to poll, or -1. */
int	jail_rctl_oom_fd(const struct jail_rctl_cg *cg, short *events);
/* After the fd fired: logs the kills since the last call. */
void	jail_rctl_oom_report(struct jail_rctl_cg *cg, long jid, const char *name);
/* Removes what prepare made (the jail is gone). Safe twice. */
void	jail_rctl_teardown(struct jail_rctl_cg *cg);
/* The registry text (rules with where their use is read, the v1 dirs to
 * remove): malloc'd, "" when the jail has no rules. */
char	*jail_rctl_record(const struct jail_spec *spec, const struct jail_rctl_cg *cg);
/* jail-remove: removes the v1 dirs a record lists. */
void	jail_rctl_remove_recorded(const char *record);
/* In the master (init_run): the use fds it keeps; rctl_status reads them. */
size_t	jail_rctl_keep_fds(const struct jail_rctl_cg *cg, int *out, size_t max);
void	jail_rctl_entered(const struct jail_rctl_cg *cg);
char	*jail_rctl_status(const struct jail_spec *spec);
/* jail-attach, on the host: the recorded v1 cgroups' cgroup.procs opened
 * for writing (the attached process joins them after it entered the jail's
 * mount namespace, where they are out of sight). Count, or -1 after a line. */
int	jail_rctl_attach_open(const char *record, int *fds, size_t max);
/* In the attached process, still root: joins those cgroups ("0" = self),
 * closes the fds, sets the recorded openfiles/vmemoryuse rlimits. 0 or -1. */
int	jail_rctl_attach_enter(const char *record, int *fds, size_t n);
/* jls: the record as "rule (use N)" lines, malloc'd, or NULL. */
char	*jail_rctl_describe(const char *record);

#endif
