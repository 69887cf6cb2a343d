/* SPDX-License-Identifier: MIT */
/*
 * jail-rctl on Linux: FreeBSD rctl(8) rules mapped to cgroup controllers
 * and rlimits (docs/jail-parameters.md, "jail-rctl"). A controller on the
 * unified hierarchy is used there (the jail's own cgroup2 directory, made
 * by linux_net.c); one on a v1 hierarchy (hybrid hosts) gets a directory
 * <own cgroup>/stockade/<name> in that hierarchy, joined by the init before
 * it runs anything, removed with the jail.
 */
#include "jail/linux_rctl.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/error.h"
#include "jail/linux_net.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const ctl_name[RC_NCTL] = { "memory", "pids", "cpu" };

#define LINUX_RESOURCES	"memoryuse swapuse maxproc pcpu openfiles vmemoryuse"
#define CPU_PERIOD_US	100000

/* The controller a resource needs, or -1 for the rlimit ones. */
int
jail_rctl_resource_ctl(const char *res)
{
	if (strcmp(res, "memoryuse") == 0 || strcmp(res, "swapuse") == 0)
		return RC_MEMORY;
	if (strcmp(res, "maxproc") == 0)
		return RC_PIDS;
	if (strcmp(res, "pcpu") == 0)
		return RC_CPU;
	return -1;
}

int
jail_rctl_validate(const struct jail_spec *spec)
{
	for (size_t i = 0; i < spec->nrctl; i++) {
		const struct rctl_rule *r = &spec->rctl[i];
		if (jail_rctl_resource_ctl(r->resource) < 0 && strcmp(r->resource, "openfiles") != 0 &&
		    strcmp(r->resource, "vmemoryuse") != 0) {
			jail_config_error(&r->origin, "jail-rctl: resource '%s' has no Linux equivalent "
			    "(Linux jails know: " LINUX_RESOURCES ")", r->resource);
			return -1;
		}
		if (strcmp(r->resource, "pcpu") == 0 && r->amount > 100000) {
			/* the quota is amount * 1000 us per 100 ms: keep it far from overflow */
			jail_config_error(&r->origin, "jail-rctl: pcpu=%llu is more than 1000 CPUs "
			    "(pcpu is a percentage of one CPU: 100000 at most)", (unsigned long long)r->amount);
			return -1;
		}
		if (r->action != RCTL_DENY) {
			jail_config_error(&r->origin, "jail-rctl: action '%s' is not available on Linux "
			    "(only deny: the kernel refuses what goes past the limit)", r->action_name);
			return -1;
		}
	}
	return 0;
}

/* ---- where the controllers live ------------------------------------------------------------ */

static bool
has_word(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);
	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, seps);
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

/* The v1 hierarchy mount of ctl and its root ("/" unless a container
 * mounts a subtree). */
static void
v1_mounts(char mnt[RC_NCTL][PATH_MAX], char root[RC_NCTL][PATH_MAX])
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *save = NULL, *fstype, *super, *fields[5], *p;
		int i;

		if (!sep)
			continue;
		*sep = '\0';
		fstype = strtok_r(sep + 3, " \n", &save);
		strtok_r(NULL, " \n", &save);           /* source */
		super = strtok_r(NULL, " \n", &save);
		if (!fstype || !super || strcmp(fstype, "cgroup") != 0)
			continue;
		save = NULL;
		for (i = 0, p = line; i < 5; i++, p = NULL)
			if ((fields[i] = strtok_r(p, " ", &save)) == NULL)
				break;
		if (i < 5 || strchr(fields[4], '\\'))
			continue;       /* escaped names: not a mount stockade picks */
		for (int c = 0; c < RC_NCTL; c++) {
			if (!mnt[c][0] && has_word(super, ctl_name[c], ",") &&
			    strlen(fields[4]) < PATH_MAX && strlen(fields[3]) < PATH_MAX) {
				snprintf(mnt[c], PATH_MAX, "%s", fields[4]);
				snprintf(root[c], PATH_MAX, "%s", fields[3]);
			}
		}
	}
	free(line);
	fclose(f);
}

void
jail_rctl_discover(struct rctl_hosts *h)
{
	char mnt[RC_NCTL][PATH_MAX], root[RC_NCTL][PATH_MAX], path[PATH_MAX + 32];
	char *line = NULL, *text;
	size_t cap = 0;
	FILE *f;

	memset(h, 0, sizeof(*h));
	memset(mnt, 0, sizeof(mnt));
	memset(root, 0, sizeof(root));
	if (cgroup2_mountpoint(h->v2root, sizeof(h->v2root)) == 0) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", h->v2root);
		if ((text = read_file(path, NULL)) != NULL) {
			for (int c = 0; c < RC_NCTL; c++)
				h->on_v2[c] = has_word(text, ctl_name[c], " \n");
			free(text);
		}
	}
	v1_mounts(mnt, root);
	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		/* "id:controllers:path" */
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *cg;
		if (!c2)
			continue;
		*c2 = '\0';
		cg = c2 + 1;
		cg[strcspn(cg, "\n")] = '\0';
		for (int c = 0; c < RC_NCTL; c++) {
			size_t rl = strlen(root[c]);
			if (!mnt[c][0] || !has_word(c1 + 1, ctl_name[c], ","))
				continue;
			/* the path is relative to the hierarchy; the mount shows root[c] of it */
			if (strcmp(root[c], "/") == 0)
				rl = 0;
			else if (strncmp(cg, root[c], rl) != 0 || (cg[rl] != '/' && cg[rl] != '\0'))
				continue;
			if ((size_t)snprintf(h->v1[c], PATH_MAX, "%s%s", mnt[c], cg + rl) >= PATH_MAX)
				h->v1[c][0] = '\0';
			else if (h->v1[c][strlen(h->v1[c]) - 1] == '/')
				h->v1[c][strlen(h->v1[c]) - 1] = '\0';
		}
	}
	free(line);
	fclose(f);
}

/* ---- making the cgroups --------------------------------------------------------------------- */

static int
write_text(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	int fd;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* O_APPEND: cgroupfs ignores offsets; a stand-in file (tests) keeps each write */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		return -1;
	n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* rmdir, retrying while the last processes of a killed jail leave (2 s). */
int
jail_rctl_rmdir_wait(const char *path)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 200; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* <base>/stockade/<name> in a v1 hierarchy: a leftover of a dead monitor
 * (no process) is replaced; one with processes belongs to a live jail. */
static int
v1_create(const char *base, const char *name, char *out, const struct origin *o)
{
	char parent[PATH_MAX + 16];

	snprintf(parent, sizeof(parent), "%s/stockade", base);
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", parent, name) >= PATH_MAX) {
		jail_config_error(o, "jail-rctl: cgroup path too long under %s", base);
		return -1;
	}
	if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
		jail_config_error(o, "jail-rctl: cannot create cgroup %s: %s", parent, strerror(errno));
		return -1;
	}
	if (mkdir(out, 0755) == 0)
		return 0;
	if (errno == EEXIST && rmdir(out) == 0 && mkdir(out, 0755) == 0)
		return 0;
	jail_config_error(o, "jail-rctl: cannot create cgroup %s: %s", out,
	    errno == EBUSY ? "it has processes (is a jail with this name running?)" : strerror(errno));
	return -1;
}

/* Turns ctl on for the children of every cgroup from the v2 root down to
 * the jail's parent ("no internal processes": these hold none). */
static int
v2_enable(const char *v2root, const char *jail_dir, int ctl, const struct origin *o)
{
	char dir[PATH_MAX], want[16];
	size_t rl = strlen(v2root);
	char *slash;

	snprintf(want, sizeof(want), "+%s", ctl_name[ctl]);
	if (strncmp(jail_dir, v2root, rl) != 0 || jail_dir[rl] != '/') {
		jail_config_error(o, "jail-rctl: the jail's cgroup %s is not under %s", jail_dir, v2root);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", v2root);
	for (const char *p = jail_dir + rl + 1; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		if (write_text(dir, "cgroup.subtree_control", want) < 0) {
			jail_config_error(o, "jail-rctl: cannot enable the %s controller in %s: %s",
			    ctl_name[ctl], dir, strerror(errno));
			return -1;
		}
		size_t len = strlen(dir);
		snprintf(dir + len, sizeof(dir) - len, "/%.*s", (int)(slash - p), p);
	}
	if (write_text(dir, "cgroup.subtree_control", want) < 0) {
		jail_config_error(o, "jail-rctl: cannot enable the %s controller in %s: %s",
		    ctl_name[ctl], dir, strerror(errno));
		return -1;
	}
	return 0;
}

static const struct rctl_rule *
find_rule(const struct jail_spec *spec, const char *res)
{
	for (size_t i = 0; i < spec->nrctl; i++)
		if (strcmp(spec->rctl[i].resource, res) == 0)
			return &spec->rctl[i];
	return NULL;
}

static int
set_value(const struct jail_rctl_cg *cg, int ctl, const char *file, uint64_t v,
    const struct rctl_rule *r)
{
	char num[48];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	if (write_text(cg->dir[ctl], file, num) == 0)
		return 0;
	jail_config_error(&r->origin, "jail-rctl: %s: cannot write %s to %s/%s: %s", r->resource, num,
	    cg->dir[ctl], file, errno == ENOENT ? "no such file (is the controller's accounting "
	    "enabled? swapuse needs swap accounting)" : strerror(errno));
	return -1;
}

/* The limits themselves, in an order the kernel accepts (v1 memsw after
 * the memory limit it must not be below). */
static int
write_limits(const struct jail_spec *spec, struct jail_rctl_cg *cg)
{
	const struct rctl_rule *mem = find_rule(spec, "memoryuse"), *swap = find_rule(spec, "swapuse");
	const struct rctl_rule *pids = find_rule(spec, "maxproc"), *cpu = find_rule(spec, "pcpu");
	char text[64];

	if (mem && set_value(cg, RC_MEMORY, cg->v2[RC_MEMORY] ? "memory.max" : "memory.limit_in_bytes",
	    mem->amount, mem) < 0)
		return -1;
	if (swap) {
		if (cg->v2[RC_MEMORY]) {
			if (set_value(cg, RC_MEMORY, "memory.swap.max", swap->amount, swap) < 0)
				return -1;
		} else if (!mem) {
			jail_config_error(&swap->origin, "jail-rctl: swapuse on a v1 memory hierarchy needs "
			    "memoryuse too (v1 limits memory and swap together: memoryuse + swapuse)");
			return -1;
		} else if (set_value(cg, RC_MEMORY, "memory.memsw.limit_in_bytes",
		    mem->amount + swap->amount, swap) < 0) {
			return -1;
		}
	}
	if (pids && set_value(cg, RC_PIDS, "pids.max", pids->amount, pids) < 0)
		return -1;
	if (cpu) {
		uint64_t quota = cpu->amount * (CPU_PERIOD_US / 100);
		if (cg->v2[RC_CPU]) {
			snprintf(text, sizeof(text), "%" PRIu64 " %d", quota, CPU_PERIOD_US);
			if (write_text(cg->dir[RC_CPU], "cpu.max", text) < 0) {
				jail_config_error(&cpu->origin, "jail-rctl: pcpu: cannot write %s/cpu.max: %s",
				    cg->dir[RC_CPU], strerror(errno));
				return -1;
			}
		} else if (set_value(cg, RC_CPU, "cpu.cfs_period_us", CPU_PERIOD_US, cpu) < 0 ||
		    set_value(cg, RC_CPU, "cpu.cfs_quota_us", quota, cpu) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The memoryuse OOM notification: an eventfd on memory.oom_control (v1),
 * memory.events itself (v2). Without it the limit still holds. */
static void
watch_oom(struct jail_rctl_cg *cg, const char *name)
{
	char path[PATH_MAX + 32], ctl[64];

	if (cg->v2[RC_MEMORY]) {
		snprintf(path, sizeof(path), "%s/memory.events", cg->dir[RC_MEMORY]);
		cg->oom_fd = open(path, O_RDONLY | O_CLOEXEC);
		return;
	}
	snprintf(path, sizeof(path), "%s/memory.oom_control", cg->dir[RC_MEMORY]);
	cg->oom_ctl_fd = open(path, O_RDONLY | O_CLOEXEC);
	cg->oom_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	snprintf(ctl, sizeof(ctl), "%d %d", cg->oom_fd, cg->oom_ctl_fd);
	if (cg->oom_ctl_fd < 0 || cg->oom_fd < 0 ||
	    write_text(cg->dir[RC_MEMORY], "cgroup.event_control", ctl) < 0) {
		log_msg("jail %s: warning: no OOM notification from %s (%s): kills at the memoryuse "
		    "limit will not be logged here", name, cg->dir[RC_MEMORY], strerror(errno));
		if (cg->oom_fd >= 0)
			close(cg->oom_fd);
		if (cg->oom_ctl_fd >= 0)
			close(cg->oom_ctl_fd);
		cg->oom_fd = cg->oom_ctl_fd = -1;
	}
}

/* Read-only fds on the use files for the jailed master's stats (its cgroupfs
 * is out of sight). A missing one only means "use unknown". */
static void
open_use(const struct jail_spec *spec, struct jail_rctl_cg *cg)
{
	char path[PATH_MAX + 48];

	for (size_t i = 0; i < spec->nrctl && cg->nuse < RCTL_LINUX_MAX; i++) {
		const struct rctl_rule *r = &spec->rctl[i];
		int c = jail_rctl_resource_ctl(r->resource);
		const char *uf = c >= 0 ? jail_rctl_use_file(r->resource, cg->v2[c]) : NULL;
		size_t k = cg->nuse++;
		rctl_rule_format(r, cg->use_rule[k], sizeof(cg->use_rule[k]));
		*strchr(cg->use_rule[k], '=') = '\0';
		cg->use_limit[k] = r->amount;
		cg->use_fd[k] = -1;
		if (uf) {
			snprintf(path, sizeof(path), "%s/%s", cg->dir[c], uf);
			cg->use_fd[k] = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
}

int
jail_rctl_prepare(const struct jail_spec *spec, const char *name, const struct rctl_hosts *h,
    const char *v2_jail, struct jail_rctl_cg *cg)
{
	const struct rctl_rule *first[RC_NCTL] = { NULL, NULL, NULL };

	memset(cg, 0, sizeof(*cg));
	cg->oom_fd = cg->oom_ctl_fd = -1;
	for (size_t i = 0; i < spec->nrctl; i++) {
		const struct rctl_rule *r = &spec->rctl[i];
		int c = jail_rctl_resource_ctl(r->resource);
		if (c >= 0 && !first[c])
			first[c] = r;
		if (strcmp(r->resource, "openfiles") == 0) {
			cg->has_nofile = true;
			cg->nofile = r->amount;
		} else if (strcmp(r->resource, "vmemoryuse") == 0) {
			cg->has_as = true;
			cg->as = r->amount;
		} else if (strcmp(r->resource, "memoryuse") == 0) {
			cg->mem_limit = r->amount;
		}
	}
	for (int c = 0; c < RC_NCTL; c++) {
		if (!first[c])
			continue;
		if (h->on_v2[c] && v2_jail && v2_jail[0]) {
			if (v2_enable(h->v2root, v2_jail, c, &first[c]->origin) < 0)
				goto fail;
			snprintf(cg->dir[c], PATH_MAX, "%s", v2_jail);
			cg->v2[c] = true;
		} else if (h->v1[c][0]) {
			/* several v1 controllers may share one hierarchy (cpu,cpuacct) */
			int same = -1;
			for (int d = 0; d < c; d++)
				if (cg->created[d] && strcmp(h->v1[d], h->v1[c]) == 0)
					same = d;
			if (same >= 0) {
				memcpy(cg->dir[c], cg->dir[same], sizeof(cg->dir[c]));
			} else {
				if (v1_create(h->v1[c], name, cg->dir[c], &first[c]->origin) < 0) {
					cg->dir[c][0] = '\0';
					goto fail;
				}
				cg->created[c] = true;
			}
		} else {
			jail_config_error(&first[c]->origin, "jail-rctl: %s needs the %s cgroup controller, "
			    "which this host has neither on cgroup2 nor on a v1 hierarchy",
			    first[c]->resource, ctl_name[c]);
			goto fail;
		}
	}
	if (write_limits(spec, cg) < 0)
		goto fail;
	open_use(spec, cg);
	if (first[RC_MEMORY] && cg->mem_limit > 0)
		watch_oom(cg, name);
	return 0;
fail:
	jail_rctl_teardown(cg);
	return -1;
}

int
jail_rctl_attach_init(const struct jail_spec *spec, struct jail_rctl_cg *cg, pid_t pid)
{
	struct rlimit rl;

	for (int c = 0; c < RC_NCTL; c++) {
		if (!cg->created[c])
			continue;
		if (jail_cgroup_join(cg->dir[c], pid) < 0)
			return -1;
	}
	/* rlimits are per process: set on init, inherited by everything in the jail */
	if (cg->has_nofile) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)cg->nofile;
		if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) < 0) {
			jail_config_error(&find_rule(spec, "openfiles")->origin, "jail-rctl: openfiles: "
			    "setrlimit(RLIMIT_NOFILE, %" PRIu64 "): %s", cg->nofile, strerror(errno));
			return -1;
		}
	}
	if (cg->has_as) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)cg->as;
		if (prlimit(pid, RLIMIT_AS, &rl, NULL) < 0) {
			jail_config_error(&find_rule(spec, "vmemoryuse")->origin, "jail-rctl: vmemoryuse: "
			    "setrlimit(RLIMIT_AS, %" PRIu64 "): %s", cg->as, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---- the OOM notification --------------------------------------------------------------------- */

int
jail_rctl_oom_fd(const struct jail_rctl_cg *cg, short *events)
{
	*events = cg->v2[RC_MEMORY] ? POLLPRI : POLLIN;
	return cg->oom_fd;
}

/* "oom_kill N" in memory.oom_control (v1) or memory.events (v2). */
static uint64_t
oom_kills(const struct jail_rctl_cg *cg)
{
	char path[PATH_MAX + 32], *text, *p;
	uint64_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", cg->dir[RC_MEMORY],
	    cg->v2[RC_MEMORY] ? "memory.events" : "memory.oom_control");
	if ((text = read_file(path, NULL)) == NULL)
		return 0;
	if ((p = strstr(text, "oom_kill ")) != NULL)
		n = strtoull(p + 9, NULL, 10);
	free(text);
	return n;
}

void
jail_rctl_oom_report(struct jail_rctl_cg *cg, long jid, const char *name)
{
	char lim[32];
	uint64_t ev, n;

	if (!cg->v2[RC_MEMORY] && read(cg->oom_fd, &ev, sizeof(ev)) < 0)
		return;         /* spurious: nothing pending */
	n = oom_kills(cg);
	/* v2 memory.events also changes for "max" and "high" events: only kills count */
	if (cg->v2[RC_MEMORY] && n <= cg->oom_kills)
		return;
	rctl_amount_human(cg->mem_limit, lim, sizeof(lim));
	log_msg("jail %ld (%s): memoryuse limit %s reached: the kernel's OOM killer stops the "
	    "jail's biggest process (%" PRIu64 " killed so far)", jid, name, lim,
	    n > cg->oom_kills ? n : cg->oom_kills + 1);
	cg->oom_kills = n > cg->oom_kills ? n : cg->oom_kills + 1;
}

void
jail_rctl_teardown(struct jail_rctl_cg *cg)
{
	for (size_t i = 0; i < cg->nuse; i++) {
		if (cg->use_fd[i] >= 0)
			close(cg->use_fd[i]);
		cg->use_fd[i] = -1;
	}
	if (cg->oom_fd >= 0)
		close(cg->oom_fd);
	if (cg->oom_ctl_fd >= 0)
		close(cg->oom_ctl_fd);
	cg->oom_fd = cg->oom_ctl_fd = -1;
	for (int c = 0; c < RC_NCTL; c++) {
		if (cg->created[c] && jail_rctl_rmdir_wait(cg->dir[c]) < 0)
			log_msg("jail: cannot remove cgroup %s: %s", cg->dir[c], strerror(errno));
		cg->created[c] = false;
	}
}

const char *
jail_rctl_use_file(const char *res, bool v2)
{
	if (strcmp(res, "memoryuse") == 0)
		return v2 ? "memory.current" : "memory.usage_in_bytes";
	if (strcmp(res, "swapuse") == 0)
		return v2 ? "memory.swap.current" : "memory.memsw.usage_in_bytes";
	if (strcmp(res, "maxproc") == 0)
		return "pids.current";
	return NULL;
}
