/* SPDX-License-Identifier: MIT */
/*
 * External processes the master supervises (uWSGI's attach-daemon family,
 * server/daemons.c) and cron jobs (server/cron.c), both run as auxiliary
 * processes (server/aux.h), so inside the instance's jail, as its user.
 */
#ifndef STOCKADE_SERVER_DAEMONS_H
#define STOCKADE_SERVER_DAEMONS_H

#include <stdbool.h>

struct config;
struct event_loop;

/* Parses every attach-daemon* option; 0, or -1 after a file:line error.
 * Run at start, before anything is created. */
int	daemons_check(const struct config *cfg);
/* Registers the daemons with aux_add() and starts the 1 s checks (smart
 * daemons' pidfiles, touch files). Call before aux_start_all(). */
void	daemons_register(const struct config *cfg, struct event_loop *loop);

/* Parses cron, cron2, unique-cron; 0, or -1 after a file:line error. */
int	cron_check(const struct config *cfg);
/* Registers the jobs and starts the cron clock. */
void	cron_register(const struct config *cfg, struct event_loop *loop);
/* uWSGI's cron matching of minute, hour, day, month, weekday (-1 any, -N
 * every N) against tm. */
struct tm;
bool	cron_when_due(const int when[5], const struct tm *tm);
/* issue 22: arms uwsgi.add_timer/add_rb_timer/add_cron (signal_cron.c). */
void	signal_timers_register(struct event_loop *loop);

/* A daemon or cron job is configured: the instance may run without a
 * socket (uWSGI's rule). */
bool	daemons_configured(const struct config *cfg);

#endif
