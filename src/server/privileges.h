/* SPDX-License-Identifier: MIT */
/* Dropping root: chroot, then supplementary groups, gid, uid — once, checked,
 * verified afterwards. */
#ifndef STOCKADE_PRIVILEGES_H
#define STOCKADE_PRIVILEGES_H

#include "config/config.h"

/* chroot(2) + chdir("/") when `chroot` is set (root only). 0 or -1. */
int privileges_chroot(const struct config *cfg);
/* Drops to uid/gid (names resolved now, i.e. inside the jail/chroot). A
 * second call is an error. Non-root asking for a different uid/gid is an
 * error; non-root already running as the requested ids (a reload) is fine.
 * Returns 0 or -1 after a one-line error. */
int privileges_drop(const struct config *cfg);
/* Refuses options that need root when not running as root. 0 or -1. */
int privileges_check_root_options(const struct config *cfg);

#endif
