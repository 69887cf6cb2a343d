/* SPDX-License-Identifier: MIT */
/*
 * The vassal side of the Emperor protocol (uWSGI's, reference §5.4): a
 * stream socket inherited as UWSGI_EMPEROR_FD, one byte per message.
 *
 *   Emperor → vassal: 0 stop, 1 reload, 2 graceful stop; EOF: Emperor lost
 *   vassal → Emperor: 1 ready, 5 accepting, 17 loyal, 22 voluntary stop,
 *                     26 heartbeat
 *
 * A vassal is a normal instance: main.c calls vassal_early() before reading
 * the configuration and vassal_setup() after it; the master attaches the
 * socket to its event loop and reports through vassal_notify/vassal_tick.
 * Everything is a no-op when the process is not a vassal.
 */
#ifndef STOCKADE_EMPEROR_VASSAL_H
#define STOCKADE_EMPEROR_VASSAL_H

#include <stdbool.h>
#include <stddef.h>

#define EMPEROR_FD_ENV "UWSGI_EMPEROR_FD"
/* a pg:// vassal's config socket */
#define EMPEROR_FD_CONFIG_ENV "UWSGI_EMPEROR_FD_CONFIG"
/* uid:gid[:initgroups] of a tyrant-jail vassal's file owner (emperor.md) */
#define TYRANT_OWNER_ENV "STOCKADE_EMPEROR_TYRANT_OWNER"

enum {
	EMPEROR_MSG_STOP = 0,
	EMPEROR_MSG_RELOAD = 1,
	EMPEROR_MSG_GRACEFUL_STOP = 2,
};

enum {
	VASSAL_MSG_READY = 1,
	VASSAL_MSG_CONFIG = 2,         /* "push my config": answered for pg:// vassals */
	VASSAL_MSG_ACCEPTING = 5,
	VASSAL_MSG_LOYAL = 17,
	VASSAL_MSG_VOLUNTARY_STOP = 22,
	VASSAL_MSG_HEARTBEAT = 26,
	VASSAL_MSG_SOS = 30,           /* Broodlord: not supported */
};

#define VASSAL_EXILE_CODE 26       /* a vassal exiting 26 is not respawned */

enum vassal_cmd {
	VASSAL_CMD_STOP,               /* message 0: shut down */
	VASSAL_CMD_RELOAD,             /* message 1: graceful reload (re-exec), even when lazy */
	VASSAL_CMD_GRACEFUL_STOP,      /* message 2: shut down gracefully */
	VASSAL_CMD_LOST,               /* EOF: the Emperor is gone; shut down, exit 1 */
};

struct config;
struct event_loop;
struct scoreboard;

/* First thing in main(), before the configuration is read: a tyrant-jail
 * vassal started as root reads its files with its owner's rights (effective
 * ids only; root comes back in vassal_setup). 0, or -1 after a log line. */
int vassal_early(void);

/* After config_apply(), before anything acts on the configuration (actions,
 * emperor_run, server_run): takes UWSGI_EMPEROR_FD from the environment
 * (and unsets it), makes a vassal always run a master, and applies the
 * tyrant-jail policy (emperor.md). 0, or -1 after a one-line error. */
int vassal_setup(struct config *cfg);

bool vassal_active(void);
int vassal_fd(void);               /* -1 when not a vassal */
int vassal_config_fd(void);        /* a pg:// vassal's config socket, or -1 */
/* One byte to the Emperor (best effort, never blocks). */
void vassal_notify(int byte);
/* Next byte from the Emperor: 0..255, -2 when none is pending, -1 on EOF
 * or error (the Emperor is gone). */
int vassal_read_command(void);

/* Watches the Emperor's socket in the master's loop: logs each message,
 * runs the emperor-stop / emperor-reload / emperor-lost hooks (non-fatal)
 * and calls fn. 0, or -1 with errno. No-op (0) when not a vassal. */
typedef void vassal_cmd_fn(enum vassal_cmd cmd);
int vassal_attach(struct event_loop *loop, const struct config *cfg, vassal_cmd_fn *fn);

/* From the master's periodic tick: "accepting" once worker 1 accepts,
 * "loyal" after the first served request, heartbeats (`heartbeat` option). */
void vassal_tick(const struct config *cfg, const struct scoreboard *sb);

/* The config text of a pg:// vassal (`--ini emperor://<name>`): asks the
 * Emperor with byte 2 and reads one uwsgi packet (modifier1 115) from
 * UWSGI_EMPEROR_FD_CONFIG; before vassal_setup() (the environment still
 * names both sockets). A new NUL-terminated string and *len, or NULL with
 * err. vassal_config.c. */
char *vassal_config_fetch(size_t *len, char *err, size_t errlen);

/* Right before the master re-execs itself for a reload: puts
 * UWSGI_EMPEROR_FD (and UWSGI_EMPEROR_FD_CONFIG) back and lets the sockets
 * survive the exec. */
void vassal_before_exec(void);

/* The tyrant-jail policy (exposed for tests): owner is "uid:gid" or
 * "uid:gid:initgroups". Refuses options that would act as root before the
 * privilege drop and uid/gid other than the owner's; then sets cfg->uid,
 * cfg->gid (numeric) and cfg->no_initgroups. 0, or -1 with err. */
int vassal_tyrant_policy(struct config *cfg, const char *owner, char *err, size_t errlen);

#endif
