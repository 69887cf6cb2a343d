/* SPDX-License-Identifier: MIT */
/*
 * http-stats: a stream socket served by router process 1; each connection
 * gets one JSON document in uWSGI's corerouter layout (static nodes,
 * subscription keys and their nodes with requests and failures) and is
 * closed.
 */
#include "router/router_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef STOCKADE_VERSION
#define STOCKADE_VERSION "0"
#endif

static char *
document(void)
{
	char cwd[PATH_MAX];
	long long now = clock_ms();
	json_t *statics = json_array();
	for (size_t i = 0; statics && i < R.nnodes; i++)
		json_array_append_new(statics, json_pack("{s:s, s:I, s:i}", "name", R.nodes[i].name,
		    "hits", (json_int_t)R.nodes[i].requests, "grace", R.nodes[i].dead_until > now ? 1 : 0));
	json_t *doc = json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:o*, s:o*, s:i}",
	    "version", STOCKADE_VERSION, "pid", (json_int_t)getpid(), "uid", (json_int_t)getuid(),
	    "gid", (json_int_t)getgid(), "cwd", getcwd(cwd, sizeof(cwd)) ? cwd : "",
	    "active_sessions", (json_int_t)R.nsessions, "static_nodes", statics, "subscriptions", subs_json(),
	    "cheap", 0);
	char *out = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	return out;
}

static void
on_stats(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	int c = sock_accept(fd, NULL);
	if (c < 0) {
		if (errno != EAGAIN && errno != ECONNABORTED)
			log_errno("http router: stats accept");
		return;
	}
	char *doc = document();
	/* a small document to a fresh socket: one blocking write, bounded */
	if (!doc || sock_set_nonblock(c, false) < 0 || write_full(c, doc, strlen(doc)) < 0)
		log_msg("http router: cannot send the stats");
	free(doc);
	close(c);
}

int
stats_setup(int fd)
{
	if (fd < 0)
		return 0;
	if (event_add(R.loop, fd, EV_READ, on_stats, NULL) < 0) {
		log_errno("http router: event_add(stats fd %d)", fd);
		return -1;
	}
	return 0;
}
