/* SPDX-License-Identifier: MIT */
/*
 * Auxiliary processes: everything the master supervises besides its
 * workers (the forkpty router, the HTTP router, mules, the spooler,
 * attach-daemons, cron jobs). A subsystem registers one with aux_add(); the
 * master starts it with the workers, reaps it, respawns it when it dies
 * (with the workers' back-off for one dying at start-up), signals it on
 * stop and reload, and waits for it before exiting or re-executing.
 *
 * The master forks every auxiliary process after the jail and the
 * privilege drop, so each runs inside the instance's jail, as its user.
 */
#ifndef STOCKADE_SERVER_AUX_H
#define STOCKADE_SERVER_AUX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum aux_respawn {
	AUX_RESPAWN,    /* restarted whenever it dies while the master runs */
	AUX_ONCE,       /* run once per aux_spawn() call (a cron job) */
};

struct aux_spec {
	const char *name;               /* for the log: "forkpty router", "mule 1" */
	/* Forks the process (aux_fork() does the common child set-up) and
	 * returns its pid, or -1 after logging why. */
	pid_t (*spawn)(void *data);
	void *data;
	int stop_signal;                /* sent on stop and reload; 0 = SIGTERM */
	int reload_signal;              /* sent on reload instead; 0 = stop_signal */
	bool signal_group;              /* signal its process group (it called setsid) */
	/* Called once when the master begins a graceful stop or reload, for
	 * a process that is not running too (may be NULL). */
	void (*stopping)(void *data, bool reloading);
	enum aux_respawn respawn;
	bool manual_start;              /* not started with the workers: aux_spawn() */
	/* Called after the process was reaped (may be NULL). */
	void (*exited)(void *data, pid_t pid, int status);
};

/* Registers a process before run_master() starts the workers; returns its
 * id. The spec (and its name) must outlive the master. */
int	aux_add(const struct aux_spec *spec);

/* Starts process id now (a manual_start one, or a cron job); false when
 * it is already running or the master is stopping. */
bool	aux_spawn(int id);

/* The running pid of process id, or 0. */
pid_t	aux_pid(int id);

/*
 * fork() for an auxiliary process: in the child, the master's signal
 * handling is undone (every signal at its default disposition, the signal
 * pipe closed), the child dies with the master (parent-death signal) and
 * does not talk to systemd. Returns as fork() does; logs a failed fork
 * naming `what`.
 */
pid_t	aux_fork(const char *what);

/* For the master (server folder only). */
void	aux_start_all(void);
bool	aux_reap(pid_t pid, int status);
void	aux_signal_all(bool brutal);
void	aux_cancel_respawns(void);
size_t	aux_live(void);

/*
 * The back-off shared by workers and auxiliary processes: a process that
 * lived less than a second died "fast"; after three fast deaths in a row
 * each respawn waits twice as long as the last, 1 s up to 30 s.
 */
struct respawn_backoff {
	long long born_ms;
	int fast_deaths;
};

/* At death: 0 to respawn now, or the delay in ms. */
long long respawn_backoff_delay(struct respawn_backoff *b, long long now_ms);

#endif
