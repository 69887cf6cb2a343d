/* SPDX-License-Identifier: MIT */
/*
 * A user or a group as configs give them: all digits is an id (at most
 * (uid_t)-2: -1 means "leave unchanged" to chown), anything else a name
 * looked up in the passwd or group database. Looked up when called: after
 * a jail or chroot, names come from its own /etc/passwd and /etc/group.
 */
#ifndef STOCKADE_BASE_IDS_H
#define STOCKADE_BASE_IDS_H

#include <sys/types.h>

/* 0, or -1 when the name is unknown (errno ENOENT). */
int	user_id(const char *spec, uid_t *uid);
int	group_id(const char *spec, gid_t *gid);

#endif
