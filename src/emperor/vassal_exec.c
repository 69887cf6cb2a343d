/* SPDX-License-Identifier: MIT */
/* The forked child that becomes a vassal, and the vassal's argv. */
#include "emperor/emperor.h"
#include "server/vassal.h"
#include "emperor/vassal_exec.h"
#include "emperor/vassal_table.h"
#include "base/log.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "net/socket.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

/* ---- argv ------------------------------------------------------------------------- */

char **
emperor_vassal_argv(const struct config *cfg, const char *binary, const char *flag, const char *path)
{
	const struct strlist *before[] = { &cfg->vassals_inherit_before, &cfg->vassals_include_before,
		&cfg->vassals_set };
	const char *before_flag[] = { "--inherit", "--include", "--set" };
	const struct strlist *after[] = { &cfg->vassals_inherit, &cfg->vassals_include };
	const char *after_flag[] = { "--inherit", "--include" };
	size_t n = 4;
	for (size_t i = 0; i < 3; i++)
		n += 2 * before[i]->n;
	for (size_t i = 0; i < 2; i++)
		n += 2 * after[i]->n;
	char **argv = xcalloc(n, sizeof(char *));
	size_t k = 0;
	argv[k++] = (char *)binary;
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < before[i]->n; j++) {
			argv[k++] = (char *)before_flag[i];
			argv[k++] = before[i]->v[j];
		}
	argv[k++] = (char *)flag;
	argv[k++] = (char *)path;
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < after[i]->n; j++) {
			argv[k++] = (char *)after_flag[i];
			argv[k++] = after[i]->v[j];
		}
	argv[k] = NULL;
	return argv;
}

/* UWSGI_VASSAL_X=v in the Emperor's environment becomes UWSGI_X=v in a vassal's. */
static void
rename_vassal_env(void)
{
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n += strncmp(*e, "UWSGI_VASSAL_", 13) == 0;
	if (!n)
		return;
	char **copy = xcalloc(n + 1, sizeof(char *));
	size_t k = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "UWSGI_VASSAL_", 13) == 0)
			copy[k++] = xstrdup(*e);
	for (size_t i = 0; i < k; i++) {
		char *eq = strchr(copy[i], '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *to = xasprintf("UWSGI_%s", copy[i] + 13);
		unsetenv(copy[i]);
		setenv(to, eq + 1, 1);
		free(to);
		free(copy[i]);
	}
	free(copy);
}

static int
tyrant_drop(const struct config *cfg, const struct vassal *v)
{
	log_msg("[emperor-tyrant] dropping privileges to %d %d for instance %s", (int)v->uid, (int)v->gid, v->name);
	if (setresgid(v->gid, v->gid, v->gid) < 0) {
		log_errno("[emperor-tyrant] setgid(%d)", (int)v->gid);
		return -1;
	}
	if (cfg->emperor_tyrant_initgroups) {
		struct passwd *pw = getpwuid(v->uid);
		if (!pw || initgroups(pw->pw_name, v->gid) < 0) {
			log_errno("[emperor-tyrant] initgroups(%d)", (int)v->uid);
			return -1;
		}
	} else if (setgroups(0, NULL) < 0) {
		log_errno("[emperor-tyrant] setgroups");
		return -1;
	}
	if (setresuid(v->uid, v->uid, v->uid) < 0) {
		log_errno("[emperor-tyrant] setuid(%d)", (int)v->uid);
		return -1;
	}
	return 0;
}

void
vassal_exec(const struct config *cfg, const struct vassal *v, int fd, int config_fd, char **argv,
                 const char *dir, const sigset_t *mask)
{
	int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGURG, SIGWINCH, SIGCHLD, SIGPIPE };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	log_set_file(2);
	if (chdir(dir) < 0) {
		log_errno("[emperor] chdir(%s) for vassal %s", dir, v->name);
		_exit(1);
	}
	/* fd 0: an on-demand vassal's socket (uWSGI's convention), else /dev/null */
	int null = v->od_fd >= 0 ? v->od_fd : open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0) {
		log_errno("[emperor] stdin for vassal %s", v->name);
		_exit(1);
	}
	if (null > 2 && null != v->od_fd)
		close(null);
	/* the vassal's end becomes fd 3 (the config socket's 4), everything
	 * else above 2 goes; copies first, so that neither lands on the other */
	int high = fcntl(fd, F_DUPFD, 10);
	int high_cfg = config_fd >= 0 ? fcntl(config_fd, F_DUPFD, 10) : -1;
	if (high < 0 || dup2(high, 3) < 0 || (config_fd >= 0 && (high_cfg < 0 || dup2(high_cfg, 4) < 0))) {
		log_errno("[emperor] socket for vassal %s", v->name);
		_exit(1);
	}
	int first_closed = config_fd >= 0 ? 5 : 4;
	if (close_range((unsigned)first_closed, ~0U, 0) < 0) {
		struct rlimit rl;
		int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (int)rl.rlim_cur : 65536;
		for (int i = first_closed; i < max; i++)
			close(i);
	}
	if (cfg->emperor_tyrant && !cfg->emperor_tyrant_jail && tyrant_drop(cfg, v) < 0)
		_exit(1);
	unsetenv("UWSGI_RELOADS");
	unsetenv("NOTIFY_SOCKET");
	unsetenv(SOCK_ENV);
	setenv(EMPEROR_FD_ENV, "3", 1);
	if (config_fd >= 0)
		setenv(EMPEROR_FD_CONFIG_ENV, "4", 1);
	else
		unsetenv(EMPEROR_FD_CONFIG_ENV);
	if (cfg->emperor_tyrant && cfg->emperor_tyrant_jail) {
		char owner[64];
		snprintf(owner, sizeof(owner), "%u:%u%s", (unsigned)v->uid, (unsigned)v->gid,
		         cfg->emperor_tyrant_initgroups ? ":initgroups" : "");
		setenv(TYRANT_OWNER_ENV, owner, 1);
	} else {
		unsetenv(TYRANT_OWNER_ENV);
	}
	rename_vassal_env();
	if (hooks_run(cfg, PH_AS_VASSAL) < 0)
		_exit(1);
	execv(argv[0], argv);
	log_errno("[emperor] execv(%s)", argv[0]);
	log_msg("[emperor] is binary-path right?");
	_exit(VASSAL_EXILE_CODE);
}
