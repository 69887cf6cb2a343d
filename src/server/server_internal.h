/* SPDX-License-Identifier: MIT */
/*
 * Inside the server folder only: the master's state and what its files
 * share. server.c runs the start pipeline, listeners.c binds and hands over
 * the listening sockets, supervise.c forks and respawns workers, master.c
 * runs the master's loop (signals, reload, periodic checks, fifo, stats).
 */
#ifndef STOCKADE_SERVER_INTERNAL_H
#define STOCKADE_SERVER_INTERNAL_H

#include "config/config.h"
#include "jail/jail.h"
#include "server/aux.h"
#include "server/conn.h"
#include "server/scoreboard.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define EXIT_APP_FAILED 22      /* uWSGI's "no app loaded" status */
#define TICK_MS 1000

enum master_state { RUNNING, SHUTTING_DOWN, RELOADING };

struct worker_slot {
	pid_t pid;
	struct respawn_backoff backoff;
	long long respawn_timer;
	bool expected_exit;         /* recycled on purpose: not a crash */
	bool harakiri;
};

struct master {
	const struct config *cfg;
	unsigned long reloads;
	bool is_reload;
	char **argv;
	char binary_path[PATH_MAX];
	struct listener *ls;
	size_t nls;
	int *shared;
	size_t nshared;
	int *inherited;             /* fds from the previous image, by export name */
	const char **inherited_names;
	size_t ninherited;
	struct worker_slot *slots;
	size_t nslots;
	struct scoreboard *sb;
	struct event_loop *loop;
	int sigpipe;                /* read end of the signal pipe */
	enum master_state state;
	bool brutal;
	long long mercy_timer;
	pid_t pid;
	bool single;
	bool app_loaded;
	struct timespec *touch_mtime;
	struct timespec *logreopen_mtime;
	int fifo_fd, fifo_keep_fd;
	int stats_fd;
	struct jail_spec jail;
	int *pty_fds;               /* forkpty router sockets, bound on the host */
	size_t npty;
	int *router_fds;            /* issue 21: `http =` sockets, bound on the host */
	size_t nrouter;
	int *sub_fds;               /* http-subscription-server datagram sockets */
	size_t nsub;
	int router_stats_fd;        /* http-stats, -1 none */
};

extern struct master master;

/* Without a master the process becomes the worker: a stop signal that
 * arrives before the worker installs its own handlers is remembered here. */
extern volatile sig_atomic_t early_stop;

/* listeners.c */
int	take_inherited(const char *name);
int	import_inherited(void);
int	bind_shared_sockets(void);
int	bind_sockets(void);
void	vacuum(void);

/* stdin_socket.c: an on-demand vassal's socket, inherited as fd 0 */
bool	stdin_socket_present(void);
int	stdin_socket_take(const char *spec);
int	stdin_socket_add(void);

/* aux.c: fork() for a worker or an auxiliary process (see aux_fork) */
pid_t	fork_master_child(const char *what, bool ignore_usr2);

/* supervise.c */
int	load_app(void);
void	worker_main(int id) __attribute__((noreturn));
void	spawn_worker(size_t i);
size_t	live_workers(void);
void	reap(void);
void	signal_workers(int sig);
void	recycle_workers(int sig);

/* master.c */
int	setup_master_signals(void);
int	run_master(void);
void	master_shutdown(bool brutal);

/* cheaper.c: adaptive workers (cheaper), idle and cheap mode */
int	cheaper_init(void);
void	cheaper_start(void);
bool	cheaper_slot_cheaped(size_t i);
void	cheaper_tick(void);

#endif
