/* SPDX-License-Identifier: MIT */
/*
 * map-socket (uWSGI core/socket.c, uwsgi_map_sockets): a socket named by a
 * map-socket line is kept only by the workers that line lists; a socket no
 * line names is kept by every worker. When several lines name the same
 * socket the last one decides, as in uWSGI. Sockets are numbered from 0 in
 * the order the config gives them, whatever their kind (socket,
 * http-socket, ...), as uWSGI numbers its socket list.
 */
#include "server/map_socket.h"
#include "base/log.h"
#include "base/util.h"
#include "config/config.h"
#include "config/options.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The socket number a line maps, or -1 when its head is not a number. */
static long
line_socket(const char *line, const char **workers)
{
	const char *colon = strchr(line, ':');
	char *end;

	if (!colon || colon == line)
		return -1;
	long n = strtol(line, &end, 10);
	if (end != colon || n < 0)
		return -1;
	*workers = colon + 1;
	return n;
}

/* Whether worker ID is in the comma-separated list (uWSGI reads each item
 * with atoi); a bad item is reported with its origin when o is set. */
static int
list_has(const char *list, int id, unsigned long long nproc, const struct origin *o)
{
	char *copy = xstrdup(list), *save = NULL;
	int found = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		long w = strtol(t, &end, 10);
		if (end == t || *end || w < 1 || (unsigned long long)w > nproc) {
			if (o)
				config_error(*o, "map-socket: invalid worker '%s' (workers are 1..%llu)", t, nproc);
			found = -1;
			break;
		}
		if (w == id)
			found = 1;
	}
	free(copy);
	return found;
}

int
map_socket_check(const struct config *cfg)
{
	unsigned long long nproc = cfg->processes ? cfg->processes : 1;

	for (size_t i = 0; i < cfg->map_socket.n; i++) {
		const char *workers;
		if (line_socket(cfg->map_socket.v[i], &workers) < 0 || !*workers) {
			config_error(cfg->map_socket.origin[i],
			    "map-socket: '%s' is not SOCKET:WORKER[,WORKER...]", cfg->map_socket.v[i]);
			return -1;
		}
		if (list_has(workers, 0, nproc, &cfg->map_socket.origin[i]) < 0)
			return -1;
	}
	return 0;
}

static bool
is_socket_option(const char *key)
{
	static const char *const names[] = { "socket", "http-socket", "http11-socket", "uwsgi-socket" };
	const struct option_def *o = strlen(key) == 1 ? option_find_short(key[0]) : option_find(key);

	for (size_t i = 0; o && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(o->name, names[i]) == 0)
			return true;
	return false;
}

/* num[i]: uWSGI's number of listener i (config order; sockets Stockade adds
 * itself, such as the http router's internal one, come after). */
static void
number_listeners(const struct config *cfg, const struct listener *ls, size_t nls, long *num)
{
	long next = 0;

	for (size_t i = 0; i < nls; i++)
		num[i] = -1;
	for (size_t k = 0; k < cfg->nopt; k++) {
		if (!cfg->opt_values[k] || !is_socket_option(cfg->opt_keys[k]))
			continue;
		for (size_t i = 0; i < nls; i++) {
			if (num[i] < 0 && strcmp(ls[i].name, cfg->opt_values[k]) == 0) {
				num[i] = next;
				break;
			}
		}
		next++;
	}
	for (size_t i = 0; i < nls; i++)
		if (num[i] < 0)
			num[i] = next++;
}

struct listener *
map_socket_apply(const struct config *cfg, int id, struct listener *ls, size_t nls, size_t *nout)
{
	unsigned long long nproc = cfg->processes ? cfg->processes : 1;

	*nout = nls;
	if (!cfg->map_socket.n || !nls)
		return ls;
	/* a copy: the worker's master.ls keeps every listener for the code
	 * that walks it (stats, vacuum) */
	struct listener *out = xcalloc(nls, sizeof(*out));
	long *num = xcalloc(nls, sizeof(long));
	size_t kept = 0;
	number_listeners(cfg, ls, nls, num);
	for (size_t i = 0; i < nls; i++) {
		bool enabled = true, named = false;
		for (size_t j = 0; j < cfg->map_socket.n; j++) {
			const char *workers;
			if (line_socket(cfg->map_socket.v[j], &workers) != num[i])
				continue;
			/* each line naming this socket decides afresh: the last wins */
			named = true;
			enabled = list_has(workers, id, nproc, NULL) == 1;
		}
		if (enabled) {
			out[kept++] = ls[i];
			if (named)
				log_msg("mapped socket %ld (%s) to worker %d", num[i], ls[i].name, id);
			continue;
		}
		/* closed here; the number stays taken by /dev/null (as uWSGI) */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, ls[i].fd) < 0 || fcntl(ls[i].fd, F_SETFD, FD_CLOEXEC) < 0)
			close(ls[i].fd);
		if (null >= 0 && null != ls[i].fd)
			close(null);
	}
	free(num);
	*nout = kept;
	return out;
}
