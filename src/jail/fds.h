/* SPDX-License-Identifier: MIT */
/*
 * The descriptors a jailed process keeps. A directory, device, pidfd or
 * namespace descriptor opened on the host before the jail reaches outside
 * it whatever the jail's root (fchdir + openat, chroot("."),
 * pidfd_send_signal): every backend closes all but the ones the start
 * pipeline names in jail_spec.keep_fds, as soon as the process is inside.
 */
#ifndef STOCKADE_JAIL_FDS_H
#define STOCKADE_JAIL_FDS_H

#include <stddef.h>

/*
 * Closes every descriptor >= 3 except those in keep (any order; negative
 * values, values < 3 and duplicates are ignored). 0, or -1 after one line.
 */
int jail_close_fds(const int *keep, size_t nkeep);

#endif
