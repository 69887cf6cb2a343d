/* SPDX-License-Identifier: MIT */
#include "base/ids.h"
#include "base/util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>

int
user_id(const char *spec, uid_t *uid)
{
	unsigned long long n;
	struct passwd *pw;

	if (parse_uint(spec, (uid_t)-2, &n)) {
		*uid = (uid_t)n;
		return 0;
	}
	if ((pw = getpwnam(spec)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	*uid = pw->pw_uid;
	return 0;
}

int
group_id(const char *spec, gid_t *gid)
{
	unsigned long long n;
	struct group *gr;

	if (parse_uint(spec, (gid_t)-2, &n)) {
		*gid = (gid_t)n;
		return 0;
	}
	if ((gr = getgrnam(spec)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}
