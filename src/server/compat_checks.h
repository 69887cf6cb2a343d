/* SPDX-License-Identifier: MIT */
/* Start-up checks of uWSGI option values (issue 19). */
#ifndef STOCKADE_SERVER_COMPAT_CHECKS_H
#define STOCKADE_SERVER_COMPAT_CHECKS_H

struct config;

/* 0, or -1 after a one-line error naming file:line. */
int	compat_checks(const struct config *cfg);

#endif
