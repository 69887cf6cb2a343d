/* SPDX-License-Identifier: MIT */
/*
 * The vassal side of the Emperor protocol: the inherited socket, the
 * messages both ways, and the tyrant-jail policy of a vassal started as
 * root on behalf of its file's owner.
 */
#include "server/vassal.h"
#include "config/config.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "server/scoreboard.h"
#include "base/util.h"
#include "hooks/hooks.h"
#include "net/event.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	int fd;
	int cfg_fd;                 /* a pg:// vassal's config socket, -1 */
	const struct config *cfg;
	vassal_cmd_fn *fn;
	bool accepting_sent;
	bool loyal_sent;
	long long next_heartbeat;
	bool euid_lowered;          /* vassal_early() lowered the effective ids */
} vassal = { .fd = -1, .cfg_fd = -1 };

bool
vassal_active(void)
{
	return vassal.fd >= 0;
}
int
vassal_fd(void)
{
	return vassal.fd;
}
int
vassal_config_fd(void)
{
	return vassal.cfg_fd;
}

/* ---- tyrant-jail ------------------------------------------------------------ */

struct owner {
	uid_t uid;
	gid_t gid;
	bool initgroups;
};

static int
parse_owner(const char *s, struct owner *o)
{
	char buf[64];
	unsigned long long u, g;
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	char *c1 = strchr(buf, ':');
	if (!c1)
		return -1;
	*c1++ = '\0';
	char *c2 = strchr(c1, ':');
	o->initgroups = false;
	if (c2) {
		*c2++ = '\0';
		if (strcmp(c2, "initgroups") != 0)
			return -1;
		o->initgroups = true;
	}
	if (!parse_uint(buf, UINT_MAX - 1, &u) || !parse_uint(c1, UINT_MAX - 1, &g) || u == 0 || g == 0)
		return -1;
	o->uid = (uid_t)u;
	o->gid = (gid_t)g;
	return 0;
}

int
vassal_early(void)
{
	const char *s = getenv(TYRANT_OWNER_ENV);
	struct owner o;
	config_set_remote_fetch(vassal_config_fetch);
	if (!s)
		return 0;
	if (parse_owner(s, &o) < 0) {
		log_msg("[emperor-tyrant] invalid %s '%s'", TYRANT_OWNER_ENV, s);
		return -1;
	}
	if (geteuid() != 0)
		return 0;       /* a reload: already running as the owner */
	/* the saved ids stay root: vassal_setup() takes root back for the jail */
	if (setgroups(1, &o.gid) < 0 || setresgid((gid_t)-1, o.gid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, o.uid, (uid_t)-1) < 0) {
		log_errno("[emperor-tyrant] cannot read the configuration as uid %d gid %d", (int)o.uid, (int)o.gid);
		return -1;
	}
	vassal.euid_lowered = true;
	return 0;
}

/* Options that act as root before the privilege drop (or on the host). */
static const char *const tyrant_refused[] = {
	"chroot", "shared-socket", "chown-socket", "jail-attach", "jail-remove", "pidfile", "safe-pidfile",
	"jidfile", "daemonize", "logto", "add-gid", "forkpty-router", "forkpty-urouter", "emperor",
};
static const enum hook_phase tyrant_root_phases[] = {
	PH_ASAP, PH_PRE_JAIL, PH_IN_JAIL, PH_POST_JAIL, PH_AS_ROOT,
};

int
vassal_tyrant_policy(struct config *cfg, const char *owner, char *err, size_t errlen)
{
	struct owner o;
	if (parse_owner(owner, &o) < 0) {
		errbuf_set(err, errlen, "invalid owner '%s' (expected uid:gid with neither 0)", owner);
		return -1;
	}
	for (size_t i = 0; i < sizeof(tyrant_refused) / sizeof(tyrant_refused[0]); i++) {
		if (config_origin(cfg, tyrant_refused[i])) {
			errbuf_set(err, errlen, "option '%s' is not allowed in a tyrant vassal (it acts as root)",
			         tyrant_refused[i]);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(tyrant_root_phases) / sizeof(tyrant_root_phases[0]); i++) {
		if (hooks_any(cfg, tyrant_root_phases[i])) {
			errbuf_set(err, errlen, "%s hooks are not allowed in a tyrant vassal (they run as root)",
			         hook_phase_name(tyrant_root_phases[i]));
			return -1;
		}
	}
	uid_t u;
	gid_t g;
	if (cfg->uid && (user_id(cfg->uid, &u) < 0 || u != o.uid)) {
		errbuf_set(err, errlen, "uid '%s' is not the owner of the vassal file (uid %d)", cfg->uid, (int)o.uid);
		return -1;
	}
	if (cfg->gid && (group_id(cfg->gid, &g) < 0 || g != o.gid)) {
		errbuf_set(err, errlen, "gid '%s' is not the group of the vassal file (gid %d)", cfg->gid, (int)o.gid);
		return -1;
	}
	free(cfg->uid);
	free(cfg->gid);
	cfg->uid = xasprintf("%u", (unsigned)o.uid);
	cfg->gid = xasprintf("%u", (unsigned)o.gid);
	cfg->no_initgroups = !o.initgroups;
	return 0;
}

/* ---- setup -------------------------------------------------------------------- */

int
vassal_setup(struct config *cfg)
{
	const char *s = getenv(EMPEROR_FD_ENV);
	if (s) {
		unsigned long long n;
		struct stat st;
		if (!parse_uint(s, INT_MAX, &n) || n < 3 || fstat((int)n, &st) < 0 || !S_ISSOCK(st.st_mode)) {
			log_msg("%s=%s is not an Emperor socket: ignored", EMPEROR_FD_ENV, s);
		} else {
			vassal.fd = (int)n;
			fcntl(vassal.fd, F_SETFD, FD_CLOEXEC);
			fcntl(vassal.fd, F_SETFL, fcntl(vassal.fd, F_GETFL) | O_NONBLOCK);
			log_msg("*** has_emperor mode detected (fd: %d) ***", vassal.fd);
			/* a vassal always has a master to talk to its Emperor */
			cfg->master = true;
		}
		unsetenv(EMPEROR_FD_ENV);
	}
	const char *c = getenv(EMPEROR_FD_CONFIG_ENV);
	if (c) {
		unsigned long long n;
		struct stat st;
		/* kept for the next reload, which asks for the config again */
		if (vassal.fd >= 0 && parse_uint(c, INT_MAX, &n) && n >= 3 && fstat((int)n, &st) == 0 && S_ISSOCK(st.st_mode)) {
			vassal.cfg_fd = (int)n;
			fcntl(vassal.cfg_fd, F_SETFD, FD_CLOEXEC);
		}
		unsetenv(EMPEROR_FD_CONFIG_ENV);
	}
	const char *owner = getenv(TYRANT_OWNER_ENV);
	if (!owner)
		return 0;
	char err[512];
	int rc = vassal_tyrant_policy(cfg, owner, err, sizeof(err));
	if (rc < 0)
		log_msg("[emperor-tyrant] %s", err);
	if (vassal.euid_lowered) {
		if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 || setresgid((gid_t)-1, 0, (gid_t)-1) < 0 ||
		    setgroups(0, NULL) < 0) {
			log_errno("[emperor-tyrant] cannot take root back for the jail");
			return -1;
		}
		vassal.euid_lowered = false;
	}
	if (rc == 0 && geteuid() == 0)
		log_msg("[emperor-tyrant] the vassal drops to uid %s gid %s after its jail is set up", cfg->uid, cfg->gid);
	return rc;
}

/* ---- messages ------------------------------------------------------------------- */

void
vassal_notify(int byte)
{
	if (vassal.fd < 0)
		return;
	unsigned char b = (unsigned char)byte;
	ssize_t n;
	do
		n = send(vassal.fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
}

int
vassal_read_command(void)
{
	if (vassal.fd < 0)
		return -1;
	unsigned char b;
	ssize_t n;
	do
		n = recv(vassal.fd, &b, 1, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return b;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	return -1;
}

static void
on_emperor(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)data;
	(void)mask;
	for (;;) {
		int b = vassal_read_command();
		if (b == -2)
			return;
		if (b == -1) {
			log_msg("lost connection with my emperor !!!");
			event_del(loop, fd, EV_READ);
			close(vassal.fd);
			vassal.fd = -1;
			hooks_run(vassal.cfg, PH_EMPEROR_LOST);
			vassal.fn(VASSAL_CMD_LOST);
			return;
		}
		log_msg("received message %d from emperor", b);
		switch (b) {
		case EMPEROR_MSG_STOP:
			hooks_run(vassal.cfg, PH_EMPEROR_STOP);
			vassal.fn(VASSAL_CMD_STOP);
			break;
		case EMPEROR_MSG_RELOAD:
			hooks_run(vassal.cfg, PH_EMPEROR_RELOAD);
			vassal.fn(VASSAL_CMD_RELOAD);
			break;
		case EMPEROR_MSG_GRACEFUL_STOP:
			hooks_run(vassal.cfg, PH_EMPEROR_STOP);
			vassal.fn(VASSAL_CMD_GRACEFUL_STOP);
			break;
		default:
			log_msg("unknown message %d from emperor: ignored", b);
			break;
		}
		if (vassal.fd < 0)
			return;
	}
}

int
vassal_attach(struct event_loop *loop, const struct config *cfg, vassal_cmd_fn *fn)
{
	if (vassal.fd < 0)
		return 0;
	vassal.cfg = cfg;
	vassal.fn = fn;
	vassal.accepting_sent = vassal.loyal_sent = false;
	vassal.next_heartbeat = 0;
	return event_add(loop, vassal.fd, EV_READ, on_emperor, NULL);
}

void
vassal_tick(const struct config *cfg, const struct scoreboard *sb)
{
	if (vassal.fd < 0)
		return;
	/* a served request proves it too (and survives the scoreboard being
	 * reset by the master after the worker already set it) */
	if (sb && !vassal.accepting_sent && sb->nworkers > 0 &&
	    (__atomic_load_n(&sb->workers[0].accepting, __ATOMIC_RELAXED) ||
	     __atomic_load_n(&sb->total_requests, __ATOMIC_RELAXED) > 0)) {
		vassal_notify(VASSAL_MSG_ACCEPTING);
		vassal.accepting_sent = true;
	}
	if (sb && !vassal.loyal_sent && __atomic_load_n(&sb->total_requests, __ATOMIC_RELAXED) > 0) {
		log_msg("announcing my loyalty to the Emperor...");
		vassal_notify(VASSAL_MSG_LOYAL);
		vassal.loyal_sent = true;
	}
	if (cfg && cfg->heartbeat) {
		long long now = clock_s();
		if (now >= vassal.next_heartbeat) {
			vassal_notify(VASSAL_MSG_HEARTBEAT);
			vassal.next_heartbeat = now + (long long)cfg->heartbeat;
		}
	}
}

void
vassal_before_exec(void)
{
	if (vassal.fd < 0)
		return;
	char num[16];
	snprintf(num, sizeof(num), "%d", vassal.fd);
	setenv(EMPEROR_FD_ENV, num, 1);
	fcntl(vassal.fd, F_SETFD, 0);
	if (vassal.cfg_fd >= 0) {
		snprintf(num, sizeof(num), "%d", vassal.cfg_fd);
		setenv(EMPEROR_FD_CONFIG_ENV, num, 1);
		fcntl(vassal.cfg_fd, F_SETFD, 0);
	}
}
