/* SPDX-License-Identifier: MIT */
/*
 * One hook line: the `action:args` actions of hook-<phase>, the mount-/umount-
 * lines and exec- commands. Each line is parsed by the same code at config
 * time (hook_line_check: nothing runs) and when its phase runs, so what was
 * checked is what runs. Reasons put in `why` never repeat the line's values.
 */
#include "hooks/hooks.h"
#include "hooks/mount_internal.h"
#include "config/config.h"
#include "base/log.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- arguments ----------------------------------------------------------- */

enum arg_shape {
	ARGS_TEXT,      /* the whole string, may be empty */
	ARGS_STRING,    /* the whole string, not empty */
	ARGS_WORDS,     /* min..max words separated by blanks */
	ARGS_FILE_TEXT  /* "<file> <text>": split at the first space */
};

#define MAX_WORDS 4

struct hargs {
	char *buf;                 /* owned copy, split in place */
	const char *w[MAX_WORDS];  /* ARGS_WORDS; w[0] is the file for ARGS_FILE_TEXT */
	int n;
	const char *text;          /* ARGS_TEXT/STRING: the string; FILE_TEXT: after the file */
};

struct action;
typedef int action_check_fn(const struct hargs *a, char *why, size_t len);
typedef int action_run_fn(const struct config *cfg, const struct action *act,
                          const struct hargs *a, char *why, size_t len);

struct action {
	const char *name;
	enum arg_shape shape;
	int min, max;           /* ARGS_WORDS only */
	const char *usage;      /* for argument errors */
	int arg;                /* action-specific (open flags, file type) */
	action_check_fn *check; /* extra config-time check, may be NULL */
	action_run_fn *run;
};

static int
args_split(const struct action *act, const char *s, struct hargs *a, char *why,
                      size_t len)
{
	memset(a, 0, sizeof(*a));
	a->buf = xstrdup(s);
	switch (act->shape) {
	case ARGS_STRING:
		if (!*s)
			goto usage;
		/* FALLTHROUGH */
	case ARGS_TEXT:
		a->text = a->buf;
		return 0;
	case ARGS_FILE_TEXT: {
		char *sp = strchr(a->buf, ' ');
		if (!sp || sp == a->buf)
			goto usage;
		*sp = '\0';
		a->w[0] = a->buf;
		a->n = 1;
		a->text = sp + 1;
		return 0;
	}
	case ARGS_WORDS:
		for (char *p = a->buf;;) {
			p += strspn(p, " \t");
			if (!*p)
				break;
			if (a->n == act->max || a->n == MAX_WORDS)
				goto usage;
			a->w[a->n++] = p;
			p += strcspn(p, " \t");
			if (*p)
				*p++ = '\0';
		}
		if (a->n < act->min)
			goto usage;
		return 0;
	}
usage:
	errbuf_set(why, len, "%s: expected %s", act->name, act->usage);
	free(a->buf);
	a->buf = NULL;
	return -1;
}

/* ---- small parsers (shared by check and run) ----------------------------- */

static int
parse_mode(const char *s, mode_t *out)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 07777)
		return -1;
	*out = (mode_t)v;
	return 0;
}

#define DEFAULT_WAIT_S 60

static int
parse_timeout(const struct hargs *a, int i, unsigned *out, char *why, size_t len)
{
	unsigned long long v = DEFAULT_WAIT_S;

	if (a->n > i && !parse_uint(a->w[i], 86400, &v)) {
		errbuf_set(why, len, "timeout must be a number of seconds (0..86400)");
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* ---- mount and umount ---------------------------------------------------- */

struct flag_name {
	const char *name;
	unsigned bit;
};

static const struct flag_name mount_flag_names[] = {
	{ "bind", MF_BIND }, { "rec", MF_REC }, { "recursive", MF_REC },
	{ "ro", MF_RDONLY }, { "readonly", MF_RDONLY }, { "nosuid", MF_NOSUID },
	{ "nodev", MF_NODEV }, { "noexec", MF_NOEXEC }, { "noatime", MF_NOATIME },
	{ "remount", MF_REMOUNT }, { "private", MF_PRIVATE }, { "slave", MF_SLAVE },
	{ "shared", MF_SHARED }, { "unbindable", MF_UNBINDABLE }, { NULL, 0 },
};

static const struct flag_name umount_flag_names[] = {
	{ "detach", UF_DETACH }, { "force", UF_FORCE }, { NULL, 0 },
};

/* "a,b,c" → bits; unknown or unsupported names are errors. */
static int
parse_flags(const char *list, const struct flag_name *names, unsigned supported,
                       const char *what, unsigned *out, char *why, size_t len)
{
	const char *p = list;

	*out = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		const struct flag_name *f;
		for (f = names; f->name; f++)
			if (strlen(f->name) == n && strncmp(p, f->name, n) == 0)
				break;
		if (!f->name) {
			errbuf_set(why, len, "unknown %s flag '%.*s'", what, (int)n, p);
			return -1;
		}
		if (!(f->bit & supported)) {
			errbuf_set(why, len, "%s flag '%s' is not supported on this system", what, f->name);
			return -1;
		}
		*out |= f->bit;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int
mount_parse(const struct hargs *a, struct mount_spec *m, char *why, size_t len)
{
	unsigned prop;

	m->fstype = strcmp(a->w[0], "none") ? a->w[0] : NULL;
	m->src = a->w[1];
	m->dst = a->w[2];
	m->flags = 0;
	if (a->n > 3 &&
	    parse_flags(a->w[3], mount_flag_names, hook_mount_supported(), "mount", &m->flags, why, len) < 0)
		return -1;
	prop = m->flags & MF_PROPAGATION;
	if (prop & (prop - 1)) {
		errbuf_set(why, len, "mount flags: only one of private, slave, shared, unbindable");
		return -1;
	}
	return 0;
}

static int
umount_parse(const struct hargs *a, unsigned *flags, char *why, size_t len)
{
	*flags = 0;
	if (a->n > 1 &&
	    parse_flags(a->w[1], umount_flag_names, hook_umount_supported(), "umount", flags, why, len) < 0)
		return -1;
	return 0;
}

static int
check_mount(const struct hargs *a, char *why, size_t len)
{
	struct mount_spec m;
	return mount_parse(a, &m, why, len);
}

static int
run_mount(const struct config *cfg, const struct action *act, const struct hargs *a,
                     char *why, size_t len)
{
	struct mount_spec m;

	(void)cfg, (void)act;
	if (mount_parse(a, &m, why, len) < 0)
		return -1;
	return hook_sys_mount(&m, why, len);
}

static int
check_umount(const struct hargs *a, char *why, size_t len)
{
	unsigned flags;
	return umount_parse(a, &flags, why, len);
}

static int
run_umount(const struct config *cfg, const struct action *act, const struct hargs *a,
                      char *why, size_t len)
{
	unsigned flags;

	(void)cfg, (void)act;
	if (umount_parse(a, &flags, why, len) < 0)
		return -1;
	return hook_sys_umount(a->w[0], flags, why, len);
}

/* ---- file system actions ------------------------------------------------- */

int
hook_fail_errno(char *why, size_t len, const char *what)
{
	errbuf_set(why, len, "%s: %s", what, strerror(errno));
	return -1;
}

/*
 * Actions that are one call on the whole argument; a failure reads
 * "<what>: <errno text>". act->arg picks the call.
 */
enum { CALL_CHDIR, CALL_MKDIR, CALL_CREATE, CALL_UNLINK, CALL_HOSTNAME };

/* Unlike uWSGI, an existing directory is success: in-jail runs on every
 * start, and the state the action asks for already holds. */
static int
mkdir_or_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0777) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return -1;
}

static int
create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

	return fd < 0 ? -1 : close(fd);
}

static int
set_hostname(const char *name)
{
	return sethostname(name, (int)strlen(name));
}

static const struct {
	const char *what;
	int (*call)(const char *);
} calls[] = {
	[CALL_CHDIR] = { "chdir", chdir },
	[CALL_MKDIR] = { "mkdir", mkdir_or_dir },
	[CALL_CREATE] = { "create", create_file },
	[CALL_UNLINK] = { "unlink", unlink },
	[CALL_HOSTNAME] = { "sethostname", set_hostname },
};

static int
run_call(const struct config *cfg, const struct action *act, const struct hargs *a, char *why,
    size_t len)
{
	(void)cfg;
	if (calls[act->arg].call(a->text) < 0)
		return hook_fail_errno(why, len, calls[act->arg].what);
	return 0;
}

static int
check_putenv(const struct hargs *a, char *why, size_t len)
{
	const char *eq = strchr(a->text, '=');
	if (!eq || eq == a->text) {
		errbuf_set(why, len, "putenv: expected putenv:NAME=value");
		return -1;
	}
	return 0;
}

static int
run_putenv(const struct config *cfg, const struct action *act, const struct hargs *a,
                      char *why, size_t len)
{
	const char *eq;
	char *name;
	int rc;

	(void)cfg, (void)act;
	if (check_putenv(a, why, len) < 0)
		return -1;
	eq = strchr(a->text, '=');
	name = xstrndup(a->text, (size_t)(eq - a->text));
	rc = setenv(name, eq + 1, 1);
	free(name);
	return rc < 0 ? hook_fail_errno(why, len, "setenv") : 0;
}

static int
check_chmod(const struct hargs *a, char *why, size_t len)
{
	mode_t mode;
	if (parse_mode(a->w[1], &mode) < 0) {
		errbuf_set(why, len, "chmod: mode must be octal, 0 to 7777");
		return -1;
	}
	return 0;
}

static int
run_chmod(const struct config *cfg, const struct action *act, const struct hargs *a,
                     char *why, size_t len)
{
	mode_t mode;

	(void)cfg, (void)act;
	if (parse_mode(a->w[1], &mode) < 0)
		return check_chmod(a, why, len);
	return chmod(a->w[0], mode) < 0 ? hook_fail_errno(why, len, "chmod") : 0;
}

/* A user or group: a number, or a name looked up now (inside the jail
 * the databases may differ from the host's, so not at config time). */
static int
run_chown(const struct config *cfg, const struct action *act, const struct hargs *a,
                     char *why, size_t len)
{
	uid_t uid;
	gid_t gid;

	(void)cfg, (void)act;
	if (user_id(a->w[1], &uid) < 0) {
		errbuf_set(why, len, "chown: unknown user");
		return -1;
	}
	if (group_id(a->w[2], &gid) < 0) {
		errbuf_set(why, len, "chown: unknown group");
		return -1;
	}
	return chown(a->w[0], uid, gid) < 0 ? hook_fail_errno(why, len, "chown") : 0;
}

#define WRITE_NEWLINE 0x10000000 /* act->arg bit, beside the open flags */

/* write, writen (truncate), append, appendn. */
static int
run_write(const struct config *cfg, const struct action *act, const struct hargs *a,
                     char *why, size_t len)
{
	int fd, err = 0;

	(void)cfg;
	fd = open(a->w[0], O_WRONLY | O_CREAT | O_CLOEXEC | (act->arg & ~WRITE_NEWLINE), 0666);
	if (fd < 0)
		return hook_fail_errno(why, len, act->name);
	if (write_full(fd, a->text, strlen(a->text)) < 0 ||
	    ((act->arg & WRITE_NEWLINE) && write_full(fd, "\n", 1) < 0))
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (err) {
		errno = err;
		return hook_fail_errno(why, len, act->name);
	}
	return 0;
}

/* ---- process and system actions ------------------------------------------ */

static int
run_exec(const struct config *cfg, const struct action *act, const struct hargs *a,
                    char *why, size_t len)
{
	(void)act;
	return hook_shell(cfg, a->text, why, len);
}

static int
run_safeexec(const struct config *cfg, const struct action *act, const struct hargs *a,
                        char *why, size_t len)
{
	(void)act;
	(void)hook_shell(cfg, a->text, why, len);
	return 0;
}

static int
run_print(const struct config *cfg, const struct action *act, const struct hargs *a,
                     char *why, size_t len)
{
	(void)cfg, (void)act, (void)why, (void)len;
	log_msg("%s", a->text);
	return 0;
}

static int
check_exit(const struct hargs *a, char *why, size_t len)
{
	unsigned long long code;
	if (a->n > 0 && !parse_uint(a->w[0], 255, &code)) {
		errbuf_set(why, len, "exit: code must be 0 to 255");
		return -1;
	}
	return 0;
}

/* Default code 0, as uWSGI's exit action. */
static int
run_exit(const struct config *cfg, const struct action *act, const struct hargs *a,
                    char *why, size_t len)
{
	unsigned long long code = 0;

	(void)cfg, (void)act;
	if (check_exit(a, why, len) < 0)
		return -1;
	if (a->n > 0)
		parse_uint(a->w[0], 255, &code);
	exit((int)code);
}

/* ---- waiting ------------------------------------------------------------- */

#define WAIT_STEP_MS 100

static void
sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL); /* EINTR: the caller's deadline decides */
}

typedef int probe_fn(const void *arg, int budget_ms);

/* probe() every 100 ms until it returns 0 or timeout_s has passed. */
static int
wait_until(probe_fn *probe, const void *arg, unsigned timeout_s, char *why, size_t len)
{
	long long deadline = clock_ms() + (long long)timeout_s * 1000;

	for (;;) {
		long long left = deadline - clock_ms();
		if (probe(arg, (int)(left < 1000 ? (left > 0 ? left : 0) : 1000)) == 0)
			return 0;
		left = deadline - clock_ms();
		if (left <= 0) {
			errbuf_set(why, len, "timed out after %u s", timeout_s);
			return -1;
		}
		sleep_ms(left < WAIT_STEP_MS ? left : WAIT_STEP_MS);
	}
}

struct path_probe {
	const char *path;
	int type;  /* S_IFREG, S_IFDIR, or 0 for anything */
};

static int
probe_path(const void *arg, int budget_ms)
{
	const struct path_probe *p = arg;
	struct stat st;

	(void)budget_ms;
	if (stat(p->path, &st) < 0)
		return -1;
	return (!p->type || (st.st_mode & S_IFMT) == (mode_t)p->type) ? 0 : -1;
}

static int
check_wait_path(const struct hargs *a, char *why, size_t len)
{
	unsigned t;
	return parse_timeout(a, 1, &t, why, len);
}

/* wait_for_file, wait_for_dir, wait_for_fs <path> [timeout s] */
static int
run_wait_path(const struct config *cfg, const struct action *act, const struct hargs *a,
                         char *why, size_t len)
{
	struct path_probe p = { a->w[0], act->arg };
	unsigned t;

	(void)cfg;
	if (parse_timeout(a, 1, &t, why, len) < 0)
		return -1;
	return wait_until(probe_path, &p, t, why, len);
}

struct sock_target {
	char host[256];   /* empty for a unix socket */
	char port[6];
	struct sockaddr_un sun;
};

/* "<path with a '/'>" or "host:port" ("[v6]:port"; empty host = 127.0.0.1). */
static int
sock_parse(const char *s, struct sock_target *t, char *why, size_t len)
{
	const char *colon;
	size_t hl;
	unsigned long long port;

	memset(t, 0, sizeof(*t));
	if (strchr(s, '/')) {
		if (strlen(s) >= sizeof(t->sun.sun_path)) {
			errbuf_set(why, len, "wait_for_socket: unix socket path too long");
			return -1;
		}
		t->sun.sun_family = AF_UNIX;
		memcpy(t->sun.sun_path, s, strlen(s) + 1);
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon || !parse_uint(colon + 1, 65535, &port) || port == 0) {
		errbuf_set(why, len, "wait_for_socket: expected a unix socket path (with a '/') or host:port");
		return -1;
	}
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']')
		s++, hl -= 2;
	if (hl >= sizeof(t->host)) {
		errbuf_set(why, len, "wait_for_socket: host name too long");
		return -1;
	}
	if (hl == 0)
		snprintf(t->host, sizeof(t->host), "127.0.0.1");
	else
		memcpy(t->host, s, hl);
	snprintf(t->port, sizeof(t->port), "%llu", port);
	return 0;
}

/* One non-blocking connect, waiting at most budget_ms for it. */
static int
connect_once(int family, const struct sockaddr *sa, socklen_t salen, int budget_ms)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc = -1, err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) == 0) {
		rc = 0;
	} else if (errno == EINPROGRESS) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		if (poll(&pfd, 1, budget_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			rc = 0;
	}
	close(fd);
	return rc;
}

static int
probe_socket(const void *arg, int budget_ms)
{
	const struct sock_target *t = arg;
	struct addrinfo hints, *res, *ai;
	int rc = -1;

	if (!t->host[0])
		return connect_once(AF_UNIX, (const struct sockaddr *)&t->sun, sizeof(t->sun), budget_ms);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(t->host, t->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai && rc < 0; ai = ai->ai_next)
		rc = connect_once(ai->ai_family, ai->ai_addr, ai->ai_addrlen, budget_ms);
	freeaddrinfo(res);
	return rc;
}

static int
check_wait_socket(const struct hargs *a, char *why, size_t len)
{
	struct sock_target t;
	unsigned s;
	if (sock_parse(a->w[0], &t, why, len) < 0)
		return -1;
	return parse_timeout(a, 1, &s, why, len);
}

static int
run_wait_socket(const struct config *cfg, const struct action *act,
                           const struct hargs *a, char *why, size_t len)
{
	struct sock_target t;
	unsigned s;

	(void)cfg, (void)act;
	if (sock_parse(a->w[0], &t, why, len) < 0 || parse_timeout(a, 1, &s, why, len) < 0)
		return -1;
	return wait_until(probe_socket, &t, s, why, len);
}

/* ---- the table ----------------------------------------------------------- */

#define PATH_WAIT_USAGE "<path> [timeout seconds]"

static const struct action actions[] = {
	{ "cd", ARGS_STRING, 0, 0, "<dir>", CALL_CHDIR, NULL, run_call },
	{ "chdir", ARGS_STRING, 0, 0, "<dir>", CALL_CHDIR, NULL, run_call },
	{ "mkdir", ARGS_STRING, 0, 0, "<dir>", CALL_MKDIR, NULL, run_call },
	{ "putenv", ARGS_STRING, 0, 0, "NAME=value", 0, check_putenv, run_putenv },
	{ "chmod", ARGS_WORDS, 2, 2, "<file> <octal mode>", 0, check_chmod, run_chmod },
	{ "chown", ARGS_WORDS, 3, 3, "<file> <user> <group>", 0, NULL, run_chown },
	{ "exec", ARGS_STRING, 0, 0, "<shell command>", 0, NULL, run_exec },
	{ "safeexec", ARGS_STRING, 0, 0, "<shell command>", 0, NULL, run_safeexec },
	{ "create", ARGS_STRING, 0, 0, "<file>", CALL_CREATE, NULL, run_call },
	{ "creat", ARGS_STRING, 0, 0, "<file>", CALL_CREATE, NULL, run_call },
	{ "write", ARGS_FILE_TEXT, 0, 0, "<file> <text>", O_TRUNC, NULL, run_write },
	{ "writen", ARGS_FILE_TEXT, 0, 0, "<file> <text>", O_TRUNC | WRITE_NEWLINE, NULL, run_write },
	{ "append", ARGS_FILE_TEXT, 0, 0, "<file> <text>", O_APPEND, NULL, run_write },
	{ "appendn", ARGS_FILE_TEXT, 0, 0, "<file> <text>", O_APPEND | WRITE_NEWLINE, NULL, run_write },
	{ "unlink", ARGS_STRING, 0, 0, "<file>", CALL_UNLINK, NULL, run_call },
	{ "mount", ARGS_WORDS, 3, 4, "<fstype> <src> <dst> [flags]", 0, check_mount, run_mount },
	{ "umount", ARGS_WORDS, 1, 2, "<dst> [flags]", 0, check_umount, run_umount },
	{ "hostname", ARGS_STRING, 0, 0, "<name>", CALL_HOSTNAME, NULL, run_call },
	{ "print", ARGS_TEXT, 0, 0, "<text>", 0, NULL, run_print },
	{ "log", ARGS_TEXT, 0, 0, "<text>", 0, NULL, run_print },
	{ "exit", ARGS_WORDS, 0, 1, "[code]", 0, check_exit, run_exit },
	{ "wait_for_file", ARGS_WORDS, 1, 2, PATH_WAIT_USAGE, S_IFREG, check_wait_path, run_wait_path },
	{ "wait_for_dir", ARGS_WORDS, 1, 2, PATH_WAIT_USAGE, S_IFDIR, check_wait_path, run_wait_path },
	{ "wait_for_fs", ARGS_WORDS, 1, 2, PATH_WAIT_USAGE, 0, check_wait_path, run_wait_path },
	{ "wait_for_socket", ARGS_WORDS, 1, 2, "<unix path|host:port> [timeout seconds]", 0,
	  check_wait_socket, run_wait_socket },
};

/* The mount-/umount- families are the mount/umount actions without a name. */
static const struct action *
family_action(enum hook_family fam)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, fam == HF_MOUNT ? "mount" : "umount") == 0)
			return &actions[i];
	return NULL;
}

/*
 * Finds the action and splits its arguments. *args is the text after the
 * first ':' of "[!]action:args" (or the whole mount/umount line).
 */
static const struct action *
line_parse(enum hook_family fam, const char *value, struct hargs *a,
                                       char *why, size_t len)
{
	const struct action *act = NULL;
	const char *args = value;

	if (fam == HF_HOOK) {
		const char *name = value[0] == '!' ? value + 1 : value;
		const char *colon = strchr(name, ':');
		size_t n;
		if (!colon) {
			errbuf_set(why, len, "invalid hook syntax, must be action:args");
			return NULL;
		}
		n = (size_t)(colon - name);
		for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			if (strlen(actions[i].name) == n && strncmp(actions[i].name, name, n) == 0)
				act = &actions[i];
		if (!act) {
			errbuf_set(why, len, "unknown hook action '%.*s'", (int)(n > 64 ? 64 : n), name);
			return NULL;
		}
		args = colon + 1;
	} else {
		act = family_action(fam);
	}
	if (!act || args_split(act, args, a, why, len) < 0)
		return NULL;
	if (act->check && act->check(a, why, len) < 0) {
		free(a->buf);
		return NULL;
	}
	return act;
}

int
hook_line_check(enum hook_family fam, const char *value, char *why, size_t len)
{
	const struct action *act;
	struct hargs a;

	if (fam == HF_EXEC) {
		if (value[strspn(value, " \t")] == '\0') {
			errbuf_set(why, len, "empty command");
			return -1;
		}
		return 0;
	}
	act = line_parse(fam, value, &a, why, len);
	if (!act)
		return -1;
	free(a.buf);
	return 0;
}

int
hook_line_run(const struct config *cfg, enum hook_family fam, const char *value, char *why,
                  size_t len)
{
	const struct action *act;
	struct hargs a;
	int rc;

	if (fam == HF_EXEC) {
		if (hook_line_check(fam, value, why, len) < 0)
			return -1;
		return hook_shell(cfg, value, why, len);
	}
	act = line_parse(fam, value, &a, why, len);
	if (!act)
		return -1;
	rc = act->run(cfg, act, &a, why, len);
	free(a.buf);
	return rc;
}
