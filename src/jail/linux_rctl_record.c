/* SPDX-License-Identifier: MIT */
/*
 * jail-rctl on Linux, after the jail exists: the registry record of the
 * rules and the v1 cgroups (jls shows it with the current use,
 * jail-remove removes the cgroups), the jailed master's view for the
 * stats, and jail-attach joining the v1 cgroups and rlimits. linux_rctl.c
 * makes the cgroups.
 */
#include "jail/linux_rctl.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/linux_net.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- registry, jls, jail-remove --------------------------------------------------------------- */


char *
jail_rctl_record(const struct jail_spec *spec, const struct jail_rctl_cg *cg)
{
	struct strbuf sb;
	char rule[96];

	sb_init(&sb);
	for (size_t i = 0; i < spec->nrctl; i++) {
		const struct rctl_rule *r = &spec->rctl[i];
		int c = jail_rctl_resource_ctl(r->resource);
		const char *uf = c >= 0 ? jail_rctl_use_file(r->resource, cg->v2[c]) : NULL;
		rctl_rule_format(r, rule, sizeof(rule));
		if (uf)
			sb_addf(&sb, "rule\t%s\t%s/%s\n", rule, cg->dir[c], uf);
		else
			sb_addf(&sb, "rule\t%s\t-\n", rule);
	}
	for (int c = 0; c < RC_NCTL; c++)
		if (cg->created[c])
			sb_addf(&sb, "dir\t%s\n", cg->dir[c]);
	sb_addc(&sb, '\0');
	return sb.buf;
}

/* Calls fn for each line of a record with its two or three fields. */
static void
each_line(const char *record, void (*fn)(char *kind, char *a, char *b, void *arg), void *arg)
{
	char *copy = xstrdup(record ? record : ""), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1)
			continue;
		*t1 = '\0';
		if (t2)
			*t2 = '\0';
		fn(line, t1 + 1, t2 ? t2 + 1 : NULL, arg);
	}
	free(copy);
}

static void
remove_dir(char *kind, char *a, char *b, void *arg)
{
	(void)b;
	(void)arg;
	if (strcmp(kind, "dir") == 0 && jail_rctl_rmdir_wait(a) < 0)
		log_msg("jail-remove: cannot remove cgroup %s: %s", a, strerror(errno));
}

void
jail_rctl_remove_recorded(const char *record)
{
	each_line(record, remove_dir, NULL);
}

static void
describe_rule(char *kind, char *a, char *b, void *arg)
{
	struct strbuf *sb = arg;
	char *text, *eq = strchr(a, '='), *colon = strchr(a, ':'), line[160];
	long long use = -1;

	if (strcmp(kind, "rule") != 0 || !eq || !colon || colon > eq)
		return;
	*eq = *colon = '\0';
	if (b && strcmp(b, "-") != 0 && (text = read_file(b, NULL)) != NULL) {
		use = (long long)strtoull(text, NULL, 10);
		free(text);
	}
	rctl_describe(a, colon + 1, strtoull(eq + 1, NULL, 10), use, line, sizeof(line));
	sb_addf(sb, "%s\n", line);
}

char *
jail_rctl_describe(const char *record)
{
	struct strbuf sb;

	if (!record || !*record)
		return NULL;
	sb_init(&sb);
	each_line(record, describe_rule, &sb);
	sb_addc(&sb, '\0');
	return sb.buf;
}

/* ---- the jailed master's view (stats) ------------------------------------------------------ */

static const struct jail_rctl_cg *entered;

size_t
jail_rctl_keep_fds(const struct jail_rctl_cg *cg, int *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < cg->nuse && n < max; i++)
		if (cg->use_fd[i] >= 0)
			out[n++] = cg->use_fd[i];
	return n;
}

void
jail_rctl_entered(const struct jail_rctl_cg *cg)
{
	entered = cg;
}

char *
jail_rctl_status(const struct jail_spec *spec)
{
	struct strbuf sb;
	char buf[64];

	/* after a reload (exec): the descriptors are gone, the limits known */
	if (entered == NULL || entered->nuse == 0)
		return rctl_rules_status(spec->rctl, spec->nrctl);
	sb_init(&sb);
	for (size_t i = 0; i < entered->nuse; i++) {
		ssize_t n = entered->use_fd[i] >= 0 ?
		    pread(entered->use_fd[i], buf, sizeof(buf) - 1, 0) : -1;
		sb_addf(&sb, "%s\t%" PRIu64 "\t", entered->use_rule[i], entered->use_limit[i]);
		if (n > 0) {
			buf[n] = '\0';
			sb_addf(&sb, "%llu\n", strtoull(buf, NULL, 10));
		} else {
			sb_adds(&sb, "-\n");
		}
	}
	sb_addc(&sb, '\0');
	return sb.buf;
}

/* ---- jail-attach ---------------------------------------------------------------------------- */

struct attach_open {
	int *fds;
	size_t n, max;
	int rc;
};

static void
open_procs(char *kind, char *a, char *b, void *arg)
{
	struct attach_open *ao = arg;
	char path[PATH_MAX + 16];
	int fd;

	(void)b;
	if (strcmp(kind, "dir") != 0 || ao->rc < 0 || ao->n >= ao->max)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", a);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		log_msg("jail-attach: cannot join the jail's cgroup %s: %s", a, strerror(errno));
		ao->rc = -1;
		return;
	}
	ao->fds[ao->n++] = fd;
}

int
jail_rctl_attach_open(const char *record, int *fds, size_t max)
{
	struct attach_open ao = { fds, 0, max, 0 };

	each_line(record, open_procs, &ao);
	if (ao.rc < 0) {
		while (ao.n > 0)
			close(fds[--ao.n]);
		return -1;
	}
	return (int)ao.n;
}

static void
set_rlimit(char *kind, char *a, char *b, void *arg)
{
	int *rc = arg, res;
	char *eq = strchr(a, '=');
	struct rlimit rl;

	(void)b;
	if (strcmp(kind, "rule") != 0 || !eq)
		return;
	if (strncmp(a, "openfiles:", 10) == 0)
		res = RLIMIT_NOFILE;
	else if (strncmp(a, "vmemoryuse:", 11) == 0)
		res = RLIMIT_AS;
	else
		return;
	rl.rlim_cur = rl.rlim_max = (rlim_t)strtoull(eq + 1, NULL, 10);
	if (setrlimit(res, &rl) < 0) {
		log_msg("jail-attach: jail-rctl %s: setrlimit: %s", a, strerror(errno));
		*rc = -1;
	}
}

int
jail_rctl_attach_enter(const char *record, int *fds, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (write(fds[i], "0", 1) != 1) {
			log_msg("jail-attach: cannot join the jail's v1 cgroup: %s", strerror(errno));
			rc = -1;
		}
		close(fds[i]);
	}
	if (rc == 0)
		each_line(record, set_rlimit, &rc);
	return rc;
}
