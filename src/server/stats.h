/* SPDX-License-Identifier: MIT */
/*
 * The stats server document: uWSGI-compatible JSON built from the
 * scoreboard (uwsgitop and friends read it), the listen-queue and process
 * memory probes the master uses to fill it, and serving it to one client.
 * Library code: nothing here logs; running out of memory is fatal (xmalloc).
 */
#ifndef STOCKADE_STATS_H
#define STOCKADE_STATS_H

#include "server/scoreboard.h"

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bound on the whole of stats_send() writing the document. */
#define STATS_SEND_TIMEOUT_MS	2000
/* After the document: how long to wait for the client to close first, so
 * an unread request (stats-http) does not turn our close into a reset. */
#define STATS_LINGER_MS		250

struct stats_socket {
	const char *name;	/* printable address, as given */
	const char *proto;	/* "uwsgi", "http", ...; NULL → "uwsgi" */
	int fd;			/* listening fd, probed for its accept queue; -1: none */
	bool shared;
};

struct stats_input {
	const struct scoreboard *sb;	/* NULL → no workers */
	const struct stats_socket *sockets;
	size_t nsockets;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	const char *cwd;
	const char *version;
	int64_t now;		/* unix time */
	int64_t now_ms;		/* monotonic ms (same clock as request_start_ms) */
	const char *rctl;	/* issue 23: "rule\tlimit\tuse" lines of the jail, or NULL */
};

/*
 * The uWSGI-compatible stats document (core/master_utils.c
 * uwsgi_master_generate_stats, keys in uWSGI's order). listen_queue is the
 * sum of the sockets' current accept queues (probed with
 * stats_listen_queue()); listen_queue_errors, signal_queue, load, uss, pss
 * and the per-app/per-core extras are always 0. A busy core's req_info
 * holds request_start (unix time) like uWSGI. delta_requests is reported
 * as is: resetting it after a read is the caller's job.
 * minified: no whitespace at all; otherwise indented by one space.
 * Returns a malloc'd NUL-terminated string and its length in *len (if
 * len is not NULL).
 */
char *stats_json(const struct stats_input *in, bool minified, size_t *len);

/*
 * Current accept-queue length and its maximum (the listen backlog) of a
 * listening socket (stats_linux.c, stats_freebsd.c): Linux TCP_INFO (tcpi_unacked / tcpi_sacked) on a TCP
 * listener; FreeBSD SO_LISTENQLEN / SO_LISTENQLIMIT. Anything else (unix
 * sockets on Linux, non-listening sockets, errors) → 0, 0.
 */
void stats_listen_queue(int fd, uint64_t *queue, uint64_t *max);

/*
 * Resident and virtual size of a process in bytes (Linux /proc/<pid>/statm,
 * FreeBSD kern.proc.pid). Returns 0 on success; -1 with errno set and both
 * values 0 on failure.
 */
int stats_proc_mem(pid_t pid, uint64_t *rss, uint64_t *vsz);

/*
 * Serves one stats client and closes fd: with http, an "HTTP/1.0 200 OK"
 * header (Content-Type: application/json, Content-Length, Connection: close)
 * precedes the document. Whatever the client already sent is read and
 * discarded. The writing is bounded by STATS_SEND_TIMEOUT_MS (fd is made
 * non-blocking; no SIGPIPE), a client that stops reading is dropped.
 */
void stats_send(int fd, const char *doc, size_t len, bool http);

/*
 * The listening socket of a stats server (master `stats`, `emperor-stats`):
 * TCP when addr has a ':', else a unix socket, chmod'ed to chmod_socket when
 * given. Returns the fd, or -1 with a one-line reason in err.
 */
int stats_listen(const char *addr, const char *chmod_socket, char *err, size_t errlen);

/*
 * stats_listen() plus the loop's read callback, which accepts a client and
 * hands it to answer (which sends the document and closes it), and the
 * "enabled" log line. option names the setting in the error line. One
 * stats server per process (the master's or the Emperor's). Returns the
 * listening fd, or -1 (logged).
 */
struct event_loop;
int stats_serve(struct event_loop *loop, const char *option, const char *addr, const char *chmod_socket,
                const char *label, void (*answer)(int client));

#endif
