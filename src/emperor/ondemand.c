/* SPDX-License-Identifier: MIT */
/*
 * On-demand vassals (emperor-on-demand-directory / -extension / -exec): the
 * Emperor binds each vassal's socket itself and holds it while the vassal
 * is not running; the first connection spawns the vassal, which gets the
 * socket as its fd 0 (uWSGI's convention) and accepts the waiting
 * connection. A vassal that exits on idle (die-on-idle) comes back here and
 * its socket is watched again.
 */
#include "emperor/emperor_internal.h"
#include "emperor/ondemand.h"
#include "base/log.h"
#include "base/util.h"
#include "net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

bool
ondemand_enabled(const struct config *cfg)
{
	return cfg->emperor_on_demand_directory || cfg->emperor_on_demand_extension || cfg->emperor_on_demand_exec;
}

/* The first line of text (up to a control character), or NULL when empty. */
static char *
first_line(char *buf)
{
	size_t i = 0;
	while (buf[i] && (unsigned char)buf[i] >= 32)
		i++;
	buf[i] = '\0';
	return buf[0] ? xstrdup(buf) : NULL;
}

static char *
read_first_line(FILE *f)
{
	char buf[SOCK_NAME_MAX + 2];
	if (!fgets(buf, sizeof(buf), f))
		return NULL;
	return first_line(buf);
}

/* `<exec> "<path>"` through the shell, as uWSGI runs it. */
static char *
name_from_exec(const char *cmd, const char *path)
{
	if (strchr(path, '"')) {
		log_msg("[emperor] on-demand: vassal path %s holds a '\"': not passed to %s", path, cmd);
		return NULL;
	}
	char *line = xasprintf("%s \"%s\"", cmd, path);
	FILE *f = popen(line, "re");
	free(line);
	if (!f) {
		log_errno("[emperor] on-demand: cannot run %s", cmd);
		return NULL;
	}
	char *name = read_first_line(f);
	/* read to the end so that the command never dies of SIGPIPE */
	char drain[256];
	while (fread(drain, 1, sizeof(drain), f) > 0)
		;
	int st = pclose(f);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		log_msg("[emperor] on-demand: %s \"%s\" ended with status %d", cmd, path, st);
	return name;
}

char *
ondemand_socket_name(const struct config *cfg, const char *name, const char *path)
{
	if (cfg->emperor_on_demand_extension) {
		if (!path)
			return NULL;
		char *file = xasprintf("%s%s", path, cfg->emperor_on_demand_extension);
		FILE *f = fopen(file, "re");
		free(file);
		if (!f)
			return NULL;
		char *s = read_first_line(f);
		fclose(f);
		return s;
	}
	if (cfg->emperor_on_demand_directory) {
		const char *base = strrchr(name, '/');
		base = base ? base + 1 : name;
		const char *dot = strrchr(base, '.');
		size_t len = dot ? (size_t)(dot - base) : strlen(base);
		return xasprintf("%s/%.*s.socket", cfg->emperor_on_demand_directory, (int)len, base);
	}
	if (cfg->emperor_on_demand_exec)
		return name_from_exec(cfg->emperor_on_demand_exec, path ? path : name);
	return NULL;
}

static void
on_connection(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)mask;
	struct vassal *v = data;
	event_del(loop, fd, EV_READ);
	if (v->state != V_ONDEMAND)
		return;
	emperor_log("[emperor] on-demand: connection on %s, spawning vassal %s", v->od_name, v->name);
	emperor_spawn_now(v);
}

static int
watch(struct vassal *v)
{
	if (event_add(emperor.loop, v->od_fd, EV_READ, on_connection, v) < 0) {
		log_errno("[emperor] on-demand: cannot watch %s", v->od_name);
		return -1;
	}
	return 0;
}

/* The vassal's file as spawn() names it; NULL for a pg row. Caller frees. */
static char *
vassal_path(const struct vassal *v)
{
	const struct monitor *m = &emperor.mon[v->monitor];
	if (m->kind == MON_PG)
		return NULL;
	if (m->kind == MON_DIR)
		return xasprintf("%s/%s", m->path, v->name);
	return v->name[0] == '/' ? xstrdup(v->name) : xasprintf("%s/%s", emperor.cwd, v->name);
}

int
ondemand_arm(struct vassal *v)
{
	if (v->od_fd < 0) {
		char *path = vassal_path(v);
		/* a pg row may name its socket (6th column) */
		char *name = v->od_name ? v->od_name : ondemand_socket_name(emperor.cfg, v->name, path);
		v->od_name = NULL;
		free(path);
		if (!name)
			return 1;      /* not an on-demand vassal: spawned as usual */
		struct sock_addr a;
		char err[256];
		int fd = -1;
		if (sock_parse_addr(name, &a, err, sizeof(err)) == 0)
			fd = sock_listen(&a, emperor.cfg->listen_backlog ? (int)emperor.cfg->listen_backlog : 100,
			                 err, sizeof(err));
		/* the web server connects before any vassal runs: the Emperor's
		 * chmod-socket / chown-socket open the file to it */
		if (fd >= 0 && a.kind == SOCK_ADDR_UNIX &&
		    ((emperor.cfg->chmod_socket && sock_chmod(a.u.un.sun_path, emperor.cfg->chmod_socket, err, sizeof(err)) < 0) ||
		     (emperor.cfg->chown_socket && sock_chown(a.u.un.sun_path, emperor.cfg->chown_socket, err, sizeof(err)) < 0))) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			log_msg("[emperor] on-demand socket of vassal %s: %s", v->name, err);
			free(name);
			v->state = V_IDLE;
			return -1;
		}
		v->od_fd = fd;
		v->od_name = name;
	}
	if (watch(v) < 0) {
		v->state = V_IDLE;
		return -1;
	}
	v->state = V_ONDEMAND;
	emperor_log("[uwsgi-emperor] %s -> \"on demand\" mode, waiting for connections on socket \"%s\" ...",
	            v->name, v->od_name);
	return 0;
}

void
ondemand_release(struct vassal *v)
{
	if (v->od_fd < 0)
		return;
	event_del(emperor.loop, v->od_fd, EV_READ);
	close(v->od_fd);
	v->od_fd = -1;
	/* the socket file is the Emperor's: gone with the vassal */
	struct sock_addr a;
	char err[64];
	if (v->od_name && sock_parse_addr(v->od_name, &a, err, sizeof(err)) == 0 && a.kind == SOCK_ADDR_UNIX)
		unlink(a.u.un.sun_path);
	free(v->od_name);
	v->od_name = NULL;
}
