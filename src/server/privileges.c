/* SPDX-License-Identifier: MIT */
#include "server/privileges.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_GROUPS 256

static bool dropped;

/* A name or a number (base/ids.h), looked up now: after jailing/chroot it
 * comes from the jail's own /etc/passwd. The passwd entry (for the
 * primary group and initgroups) is the name's own when a name was given:
 * several names may share a uid. */
static int
resolve_user(const char *spec, uid_t *uid, gid_t *pw_gid, char **name)
{
	struct passwd *pw;
	if (user_id(spec, uid) < 0) {
		log_msg("user %s not found", spec);
		return -1;
	}
	pw = getpwnam(spec);
	if (!pw || pw->pw_uid != *uid)
		pw = getpwuid(*uid);
	*pw_gid = pw ? pw->pw_gid : (gid_t)-1;
	*name = pw ? xstrdup(pw->pw_name) : NULL;
	return 0;
}

static int
resolve_group(const char *spec, gid_t *gid)
{
	if (group_id(spec, gid) < 0) {
		log_msg("group %s not found", spec);
		return -1;
	}
	return 0;
}

int
privileges_check_root_options(const struct config *cfg)
{
	if (geteuid() == 0)
		return 0;
	if (cfg->chroot_dir) {
		log_msg("cannot chroot() as non-root user");
		return -1;
	}
	if (cfg->jail || cfg->jail2.n || cfg->jail_attach) {
		log_msg("jail options need root (stockade does not ignore them as uWSGI does)");
		return -1;
	}
	return 0;
}

int
privileges_chroot(const struct config *cfg)
{
	if (!cfg->chroot_dir)
		return 0;
	if (chroot(cfg->chroot_dir) < 0 || chdir("/") < 0) {
		log_errno("chroot(%s)", cfg->chroot_dir);
		return -1;
	}
	log_msg("chroot() to %s done", cfg->chroot_dir);
	return 0;
}

/* The groups the process must end with: the user's (initgroups) unless
 * no-initgroups, plus add-gid. */
static int
build_groups(const struct config *cfg, const char *user, gid_t gid, gid_t *groups, int *n)
{
	*n = 0;
	if (user && !cfg->no_initgroups) {
		int count = MAX_GROUPS;
		if (getgrouplist(user, gid, groups, &count) < 0) {
			log_msg("user %s is in more than %d groups", user, MAX_GROUPS);
			return -1;
		}
		*n = count;
	}
	for (size_t i = 0; i < cfg->add_gid.n; i++) {
		if (*n >= MAX_GROUPS) {
			log_msg("too many supplementary groups");
			return -1;
		}
		if (resolve_group(cfg->add_gid.v[i], &groups[*n]) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
verify(uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		log_errno("getresuid/getresgid");
		return -1;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		log_msg("privilege drop did not stick (uid %d/%d/%d gid %d/%d/%d)", (int)ru, (int)eu,
		        (int)su, (int)rg, (int)eg, (int)sg);
		return -1;
	}
	gid_t now[MAX_GROUPS];
	int n = getgroups(MAX_GROUPS, now);
	if (n < 0 || n != ngroups) {
		log_msg("supplementary groups were not set as requested");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < ngroups; j++)
			found |= now[i] == groups[j];
		if (!found) {
			log_msg("unexpected supplementary group %d after the drop", (int)now[i]);
			return -1;
		}
	}
	if (uid != 0 && platform_caps_empty() != 1) {
		log_msg("capability sets not empty after the drop to uid %d: refusing to continue", (int)uid);
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_msg("could regain root after dropping privileges: refusing to continue");
		return -1;
	}
	return 0;
}

int
privileges_drop(const struct config *cfg)
{
	if (dropped) {
		log_msg("internal error: privileges dropped twice");
		return -1;
	}
	dropped = true;
	if (!cfg->uid && !cfg->gid && !cfg->add_gid.n) {
		if (geteuid() == 0)
			log_msg("*** WARNING: you are running stockade as root !!! (use the uid option) ***");
		return 0;
	}
	uid_t uid = getuid();
	gid_t gid = getgid(), pw_gid = (gid_t)-1;
	char *user = NULL;
	int rc = -1;
	if (cfg->uid && resolve_user(cfg->uid, &uid, &pw_gid, &user) < 0)
		goto out;
	if (cfg->gid) {
		if (resolve_group(cfg->gid, &gid) < 0)
			goto out;
	} else if (cfg->uid) {
		/* never keep root's group behind a dropped uid (uWSGI does) */
		if (pw_gid == (gid_t)-1) {
			log_msg("uid %s has no passwd entry: set gid too", cfg->uid);
			goto out;
		}
		gid = pw_gid;
	}
	if (geteuid() != 0) {
		/* a reload runs as the dropped user already: nothing to do if it matches */
		if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid) {
			rc = 0;
			goto out;
		}
		log_msg(cfg->uid ? "cannot setuid() as non-root user" : "cannot setgid() as non-root user");
		goto out;
	}
	gid_t groups[MAX_GROUPS];
	int ngroups;
	if (build_groups(cfg, user, gid, groups, &ngroups) < 0)
		goto out;
	/* the bounding set needs CAP_SETPCAP to shrink: while still root */
	if (uid != 0 && platform_caps_bound_clear() < 0) {
		log_errno("cannot empty the capability bounding set before dropping to uid %d", (int)uid);
		goto out;
	}
	if (setgroups((size_t)ngroups, groups) < 0) {
		log_errno("setgroups");
		goto out;
	}
	if (setresgid(gid, gid, gid) < 0) {
		log_errno("setgid(%d)", (int)gid);
		goto out;
	}
	if (setresuid(uid, uid, uid) < 0) {
		log_errno("setuid(%d)", (int)uid);
		goto out;
	}
	/* setuid() empties the permitted set but not the inheritable one */
	if (uid != 0 && platform_caps_clear() < 0) {
		log_errno("cannot clear the capability sets after dropping to uid %d", (int)uid);
		goto out;
	}
	if (verify(uid, gid, groups, ngroups) < 0)
		goto out;
	log_msg("privileges dropped: uid %d gid %d, %d supplementary groups", (int)uid, (int)gid, ngroups);
	if (uid == 0)
		log_msg("*** WARNING: you are running stockade as root !!! (use the uid option) ***");
	rc = 0;
out:
	free(user);
	return rc;
}
