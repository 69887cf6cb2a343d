/* SPDX-License-Identifier: MIT */
/*
 * The Emperor's vassals: one record per vassal file (monitor + name), kept
 * from the file's discovery until it is removed and its process is gone
 * (or it is pending and its file goes). Lookup by (monitor, name) through a
 * hash; iteration in insertion order.
 */
#ifndef STOCKADE_EMPEROR_VASSAL_TABLE_H
#define STOCKADE_EMPEROR_VASSAL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum vassal_state {
	V_PENDING,     /* waiting for its turn to be spawned (throttle, blacklist) */
	V_RUNNING,
	V_STOPPING,    /* told to stop; SIGKILL after emperor-curse-tolerance */
	V_IDLE,        /* not running, not respawned until its file changes (exile, refused) */
	V_ONDEMAND,    /* not running: the Emperor holds its socket, a connection spawns it */
};

enum vassal_after_stop {
	AFTER_FORGET,  /* its file is gone */
	AFTER_RESPAWN, /* owner changed, or the file came back */
	AFTER_IDLE,    /* voluntary stop */
	AFTER_ONDEMAND,/* voluntary stop of an on-demand vassal: its socket is watched again */
};

struct vassal {
	char *name;                 /* stats id: file name (dir) or path (glob) */
	int monitor;
	const char *flag;           /* "--ini" / "--json" */
	enum vassal_state state;
	enum vassal_after_stop after;
	pid_t pid;                  /* 0: no process */
	int fd;                     /* the Emperor's end of the socket; -1 */
	int cfg_fd;                 /* the Emperor's end of the config socket (pg rows); -1 */
	char *config;               /* a pg row's config text, pushed on request; NULL: a file */
	struct timespec mtime;
	uid_t uid;
	gid_t gid;
	int64_t born, last_mod, last_heartbeat, last_loyal, last_ready, last_accepting;
	int64_t first_run, last_run, cursed_at;
	bool loyal, ready, accepting;
	unsigned respawns;
	unsigned long long seq;     /* order of spawn requests */
	long long not_before_ms;    /* retry after a failed fork (monotonic) */
	unsigned gen;               /* last scan that saw the file */
	long long curse_timer;
	long jid;                   /* 0: none or not known yet */
	char jail[64];
	bool jail_checked;
	int file_wd;                /* kqueue file watch, -1 */
	int od_fd;                  /* on-demand: the socket the Emperor holds; -1 */
	char *od_name;              /* on-demand: its address */
	size_t idx;                 /* position in the table */
	struct vassal *hnext;
};

struct vassal_table {
	struct vassal **v;
	size_t n, cap;
	struct vassal **bucket;
	size_t nbucket;
};

void vt_init(struct vassal_table *t);
void vt_free(struct vassal_table *t);
struct vassal *vt_find(const struct vassal_table *t, int monitor, const char *name);
/* A new record (PENDING, no process); the name must not be present. */
struct vassal *vt_add(struct vassal_table *t, int monitor, const char *name);
/* Unlinks and frees v (its fd and timers are the caller's business). */
void vt_remove(struct vassal_table *t, struct vassal *v);
struct vassal *vt_by_pid(const struct vassal_table *t, pid_t pid);

#endif
