/* SPDX-License-Identifier: MIT */
/*
 * uWSGI's external daemons, as auxiliary processes of the master:
 * - dumb ones (attach-daemon, attach-daemon2 without pidfile): a child of
 *   the master, in its own session; restarted with back-off when it dies,
 *   its process group gets the stop (or reload) signal on stop and reload;
 * - control ones (attach-control-daemon, control=1): their death stops the
 *   instance;
 * - smart ones (smart-attach-daemon[2], pidfile=): tracked through their
 *   pidfile, checked every second; they outlive reloads (the new image
 *   adopts the pid it finds) and are respawned when that pid is gone.
 */
#include "server/daemons.h"
#include "request_features/kvlist.h"
#include "server/server_internal.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/util.h"
#include "config/config.h"
#include "hooks/hooks.h"
#include "jail/fds.h"
#include "net/event.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEYS 32

extern char **environ;

struct daemon {
	char *command;
	char *pidfile;          /* smart daemon */
	bool daemonize;         /* we fork it away and write the pidfile */
	bool control;
	bool honour_stdin;
	bool notifypid;
	int stop_signal, reload_signal;
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	char *chdir;
	unsigned long long freq;
	char **touch;
	struct timespec *touch_mtime;
	size_t ntouch;
	/* run time */
	int aux_id;
	char *name;
	const char *shell;
	struct aux_spec spec;
	pid_t smart_pid;        /* the pid the pidfile names */
	bool monitored;         /* the pidfile named a live pid once */
	bool launched;          /* the launcher exited: it daemonized */
	unsigned long long checks;
};

static struct {
	struct daemon *v;
	size_t n;
	bool honour_stdin;
	struct event_loop *loop;
} daemons;

static struct daemon *
daemon_new(const char *command)
{
	daemons.v = xrealloc(daemons.v, (daemons.n + 1) * sizeof(*daemons.v));
	struct daemon *d = &daemons.v[daemons.n++];
	*d = (struct daemon){ .command = xstrdup(command), .stop_signal = SIGTERM, .freq = 10 };
	return d;
}

/* "PIDFILE[,FREQ] COMMAND" of smart-attach-daemon[2] */
static int
parse_smart(struct origin o, const char *opt, const char *value, bool daemonize)
{
	const char *sp = strchr(value, ' ');

	if (!sp || sp == value || !sp[1]) {
		config_error(o, "%s: expected PIDFILE[,FREQ] COMMAND, got '%s'", opt, value);
		return -1;
	}
	struct daemon *d = daemon_new(sp + 1);
	d->pidfile = xstrndup(value, (size_t)(sp - value));
	d->daemonize = daemonize;
	char *comma = strchr(d->pidfile, ',');
	if (comma) {
		*comma = '\0';
		if (!parse_uint(comma + 1, 3600, &d->freq) || d->freq == 0) {
			config_error(o, "%s: bad check frequency '%s' (seconds, 1-3600)", opt, comma + 1);
			return -1;
		}
	}
	return 0;
}

static bool
flag_value(const char *v)
{
	/* uWSGI sets the flag when the key is present at all */
	(void)v;
	return true;
}

static int
parse_daemon2(struct origin o, const char *value)
{
	char *buf = xstrdup(value);
	struct kvitem it[MAX_KEYS];
	int n = kvlist_split(buf, it, MAX_KEYS);
	const char *cmd = NULL;
	struct daemon tmp = { .stop_signal = SIGTERM, .freq = 10 };
	char **touch = NULL;
	size_t ntouch = 0;
	int rc = -1;

	if (n < 0) {
		config_error(o, "attach-daemon2: more than %d keys", MAX_KEYS);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const char *k = it[i].key, *v = it[i].value;
		if (!v) {
			config_error(o, "attach-daemon2: '%s' is not key=value", k);
			goto out;
		}
		if (!strcmp(k, "command") || !strcmp(k, "cmd") || !strcmp(k, "exec")) {
			cmd = v;
		} else if (!strcmp(k, "pidfile")) {
			tmp.pidfile = (char *)v;
		} else if (!strcmp(k, "daemonize") || !strcmp(k, "daemon")) {
			tmp.daemonize = flag_value(v);
		} else if (!strcmp(k, "control")) {
			tmp.control = flag_value(v);
		} else if (!strcmp(k, "stdin")) {
			tmp.honour_stdin = flag_value(v);
		} else if (!strcmp(k, "notifypid")) {
			tmp.notifypid = flag_value(v);
		} else if (!strcmp(k, "freq")) {
			if (!parse_uint(v, 3600, &tmp.freq) || tmp.freq == 0) {
				config_error(o, "attach-daemon2: bad freq '%s' (seconds, 1-3600)", v);
				goto out;
			}
		} else if (!strcmp(k, "stopsignal") || !strcmp(k, "stop_signal") ||
		    !strcmp(k, "reloadsignal") || !strcmp(k, "reload_signal")) {
			int sig = signal_parse(v);
			if (sig < 0) {
				config_error(o, "attach-daemon2: %s: unknown signal '%s'", k, v);
				goto out;
			}
			*(k[0] == 's' ? &tmp.stop_signal : &tmp.reload_signal) = sig;
		} else if (!strcmp(k, "uid")) {
			if (user_id(v, &tmp.uid) < 0) {
				config_error(o, "attach-daemon2: unknown user '%s'", v);
				goto out;
			}
			tmp.set_uid = tmp.uid != 0;
		} else if (!strcmp(k, "gid")) {
			if (group_id(v, &tmp.gid) < 0) {
				config_error(o, "attach-daemon2: unknown group '%s'", v);
				goto out;
			}
			tmp.set_gid = tmp.gid != 0;
		} else if (!strcmp(k, "chdir")) {
			tmp.chdir = (char *)v;
		} else if (!strcmp(k, "touch")) {
			/* several files separated by ';' */
			for (char *save = NULL, *t = strtok_r((char *)v, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
				touch = xrealloc(touch, (ntouch + 1) * sizeof(*touch));
				touch[ntouch++] = xstrdup(t);
			}
		} else if (!strcmp(k, "max_throttle")) {
			/* the back-off is Stockade's own (1 s doubling up to 30 s) */
			unsigned long long mt;
			if (!parse_uint(v, 1000000, &mt)) {
				config_error(o, "attach-daemon2: bad max_throttle '%s'", v);
				goto out;
			}
		} else if (!strcmp(k, "ns_pid") || !strcmp(k, "legion")) {
			config_error(o, "attach-daemon2: key '%s' is not supported by Stockade (see docs/daemons.md)", k);
			goto out;
		} else {
			config_error(o, "attach-daemon2: unknown key '%s' (cmd, pidfile, daemonize, control, touch, stopsignal, "
			    "reloadsignal, stdin, uid, gid, chdir, freq, notifypid, max_throttle)", k);
			goto out;
		}
	}
	if (!cmd || !*cmd) {
		config_error(o, "attach-daemon2: you need to specify a 'cmd' key");
		goto out;
	}
	if (tmp.daemonize && !tmp.pidfile) {
		config_error(o, "attach-daemon2: daemonize needs a pidfile key");
		goto out;
	}
	struct daemon *d = daemon_new(cmd);
	char *command = d->command;
	*d = tmp;
	d->command = command;
	d->pidfile = tmp.pidfile ? xstrdup(tmp.pidfile) : NULL;
	d->chdir = tmp.chdir ? xstrdup(tmp.chdir) : NULL;
	d->touch = touch;
	d->ntouch = ntouch;
	d->touch_mtime = xcalloc(ntouch + 1, sizeof(*d->touch_mtime));
	touch = NULL;
	rc = 0;
out:
	for (size_t i = 0; touch && i < ntouch; i++)
		free(touch[i]);
	free(touch);
	free(buf);
	return rc;
}

int
daemons_check(const struct config *cfg)
{
	const struct strlist *l;

	daemons.honour_stdin = cfg->daemons_honour_stdin;
	l = &cfg->attach_daemon;
	for (size_t i = 0; i < l->n; i++)
		daemon_new(l->v[i]);
	l = &cfg->attach_control_daemon;
	for (size_t i = 0; i < l->n; i++)
		daemon_new(l->v[i])->control = true;
	l = &cfg->smart_attach_daemon;
	for (size_t i = 0; i < l->n; i++)
		if (parse_smart(l->origin[i], "smart-attach-daemon", l->v[i], false) < 0)
			return -1;
	l = &cfg->smart_attach_daemon2;
	for (size_t i = 0; i < l->n; i++)
		if (parse_smart(l->origin[i], "smart-attach-daemon2", l->v[i], true) < 0)
			return -1;
	l = &cfg->attach_daemon2;
	for (size_t i = 0; i < l->n; i++)
		if (parse_daemon2(l->origin[i], l->v[i]) < 0)
			return -1;
	for (size_t i = 0; i < daemons.n; i++)
		if (!daemons.v[i].command[0]) {
			log_msg("attach-daemon: empty command");
			return -1;
		}
	return 0;
}

bool
daemons_configured(const struct config *cfg)
{
	return cfg->attach_daemon.n || cfg->attach_daemon2.n || cfg->smart_attach_daemon.n ||
	    cfg->smart_attach_daemon2.n || cfg->attach_control_daemon.n || cfg->cron.n ||
	    cfg->cron2.n || cfg->unique_cron.n;
}

/* ---- the child ------------------------------------------------------------------- */

static void __attribute__((noreturn))
child_fail(const struct daemon *d, const char *what)
{
	log_errno("daemon \"%s\": %s", d->command, what);
	_exit(1);
}

static void __attribute__((noreturn))
daemon_child(const struct daemon *d)
{
	/* a smart daemon outlives the master (it is adopted after a reload) */
	if (d->pidfile && platform_parent_death_signal(0) < 0)
		child_fail(d, "parent-death signal");
	if (jail_close_fds(NULL, 0) < 0)
		_exit(1);
	log_set_file(2);        /* the log's own fd is closed now; 2 is the same file or pipe */
	if (d->chdir && chdir(d->chdir) < 0)
		child_fail(d, "chdir");
	if (d->set_gid && (setgroups(0, NULL) < 0 || setgid(d->gid) < 0))
		child_fail(d, "setgid");
	if (d->set_uid && setuid(d->uid) < 0)
		child_fail(d, "setuid");
	if (d->daemonize) {
		pid_t pid = fork();
		if (pid < 0)
			child_fail(d, "fork");
		if (pid > 0)
			_exit(0);
		if (pidfile_write(d->pidfile, "pidfile") < 0)
			_exit(1);
	}
	if (!daemons.honour_stdin && !d->honour_stdin) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0)
			child_fail(d, "/dev/null");
		if (null > 0)
			close(null);
	}
	/* its own session: stop and reload signal its whole process group */
	if (setsid() < 0)
		child_fail(d, "setsid");
	char *argv[] = { (char *)d->shell, "-c", d->command, NULL };
	execve(d->shell, argv, environ);
	child_fail(d, "exec");
}

static pid_t
spawn_daemon(void *data)
{
	struct daemon *d = data;
	pid_t pid = aux_fork(d->name);

	if (pid == 0)
		daemon_child(d);
	if (pid > 0)
		log_msg("[daemons] spawned \"%s\" (pid: %d)", d->command, (int)pid);
	return pid;
}

static void
daemon_exited(void *data, pid_t pid, int status)
{
	struct daemon *d = data;

	(void)status;
	if (d->pidfile) {
		d->launched = true;     /* the launcher exits once the daemon has forked away */
		return;
	}
	if (d->control && master.state == RUNNING) {
		log_msg("control daemon \"%s\" (pid: %d) died: stopping the instance", d->command, (int)pid);
		/* through the master's own signal path: a graceful stop */
		kill(getpid(), SIGTERM);
	}
}

static void
daemon_stopping(void *data, bool reloading)
{
	struct daemon *d = data;

	if (!d->pidfile || !d->notifypid || d->smart_pid <= 0)
		return;
	int sig = reloading ? (d->reload_signal ? d->reload_signal : SIGHUP) : d->stop_signal;
	if (kill(-d->smart_pid, sig) < 0)
		kill(d->smart_pid, sig);
}

/* ---- smart daemons and touch files: checked every second --------------------------- */

/* The live pid a pidfile names, or 0. */
static pid_t
pidfile_pid(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long pid = strtol(buf, NULL, 10);
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	return (pid_t)pid;
}

static void
smart_spawn(struct daemon *d)
{
	d->launched = false;
	d->monitored = false;
	d->checks = 0;
	aux_spawn(d->aux_id);
}

static void
smart_check(struct daemon *d)
{
	pid_t pid = pidfile_pid(d->pidfile);

	if (pid > 0) {
		if (pid != d->smart_pid && d->smart_pid > 0)
			log_msg("[daemons] pid of \"%s\" changed (old: %d new: %d)", d->command, (int)d->smart_pid, (int)pid);
		d->smart_pid = pid;
		d->monitored = true;
		return;
	}
	if (aux_pid(d->aux_id) > 0)
		return;         /* the launcher still runs */
	if (d->monitored) {
		log_msg("[daemons] \"%s\" (pid: %d) is gone: respawning", d->command, (int)d->smart_pid);
		d->smart_pid = 0;
		smart_spawn(d);
		return;
	}
	if (++d->checks < d->freq)
		return;
	d->checks = 0;
	if (!d->launched) {
		log_msg("[daemons] \"%s\" did not daemonize", d->command);
		return;
	}
	log_msg("[daemons] \"%s\" wrote no live pid to %s: respawning", d->command, d->pidfile);
	smart_spawn(d);
}

static void
check_touch(struct daemon *d)
{
	for (size_t i = 0; i < d->ntouch; i++) {
		if (!file_touched(d->touch[i], &d->touch_mtime[i]))
			continue;
		pid_t pid = d->pidfile ? d->smart_pid : aux_pid(d->aux_id);
		if (pid <= 0)
			continue;
		log_msg("*** %s has been touched... reloading daemon \"%s\" (pid: %d) !!! ***", d->touch[i], d->command, (int)pid);
		if (kill(-pid, d->stop_signal) < 0 && kill(pid, d->stop_signal) < 0)
			log_errno("kill(%d)", (int)pid);
	}
}

static void
on_daemons_tick(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	if (master.state != RUNNING)
		return;
	for (size_t i = 0; i < daemons.n; i++) {
		if (daemons.v[i].pidfile)
			smart_check(&daemons.v[i]);
		check_touch(&daemons.v[i]);
	}
	event_timer_add(loop, 1000, on_daemons_tick, NULL);
}

void
daemons_register(const struct config *cfg, struct event_loop *loop)
{
	const char *shell = hooks_binsh(cfg);

	daemons.loop = loop;
	for (size_t i = 0; i < daemons.n; i++) {
		struct daemon *d = &daemons.v[i];
		d->shell = shell;
		d->name = xasprintf("daemon \"%s\"", d->command);
		d->spec = (struct aux_spec){
			.name = d->name, .spawn = spawn_daemon, .data = d,
			.stop_signal = d->stop_signal, .reload_signal = d->reload_signal,
			.signal_group = true, .exited = daemon_exited, .stopping = daemon_stopping,
			/* a smart daemon's launcher runs once per spawn; a control
			 * daemon is never respawned: its death stops the instance */
			.respawn = d->pidfile || d->control ? AUX_ONCE : AUX_RESPAWN,
			.manual_start = d->pidfile != NULL,
		};
		d->aux_id = aux_add(&d->spec);
		for (size_t t = 0; t < d->ntouch; t++)
			file_touched(d->touch[t], &d->touch_mtime[t]);
		if (!d->pidfile)
			continue;
		d->smart_pid = pidfile_pid(d->pidfile);
		if (d->smart_pid > 0) {
			log_msg("[daemons] found valid/active pidfile for \"%s\" (pid: %d)", d->command, (int)d->smart_pid);
			d->monitored = true;
		}
	}
	if (!daemons.n)
		return;
	/* smart daemons with no live pid start now (after the workers) */
	for (size_t i = 0; i < daemons.n; i++)
		if (daemons.v[i].pidfile && daemons.v[i].smart_pid <= 0)
			smart_spawn(&daemons.v[i]);
	event_timer_add(loop, 1000, on_daemons_tick, NULL);
}
