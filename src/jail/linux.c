/*
 * The Linux jail backend: FreeBSD jail semantics from namespaces.
 *
 * Process shape (docs/jails-linux.md):
 *
 *   monitor (the process that reached the jail step; stays on the host)
 *     └─ stub init: PID 1 of the jail's PID namespace, reaps, holds the
 *        registry lock, exits when the jail is empty (unless persist)
 *          └─ master: PID 2, restrictions applied; create_and_enter()
 *             returns 0 here and the start pipeline goes on inside
 *
 * The monitor prepares the cgroup, reserves the name/jid, clone3()s the
 * init into new namespaces (and straight into the cgroup), and talks to it
 * over a SOCK_SEQPACKET socketpair: "go" down; log lines, the master's
 * pidfd, "ready" or "fail", and the master's exit status up. Until "ready"
 * everything the jail logs goes through the monitor, which undoes
 * everything on failure (registry entry, cgroup; mounts live and die in the
 * jail's mount namespace). Afterwards the monitor forwards signals to the
 * master, writes and removes the jidfile, and exits with the master's
 * status when the jail is gone.
 */
#include "jail/jail.h"

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "jail/fds.h"
#include "jail/linux_net.h"
#include "jail/linux_restrict.h"
#include "jail/linux_rootfs.h"
#include "jail/jls.h"
#include "jail/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2), spelled out so
 * that <linux/sched.h> and glibc's <sched.h> never meet. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

_Static_assert(sizeof(((struct jail_result *)0)->name) == REGISTRY_NAME_MAX, "jail names: one size");

#define CTL '\001'                      /* control messages; log lines never start with it */
#define INIT_COMM "stockade-init"

/* Signals the monitor passes on to the jailed master. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* ---- small helpers -------------------------------------------------------------- */

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static int pidfd_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

/* "file:line: jail: msg", or "jail: msg" when the spec has no line (only
 * the `jail` option, or jail-attach). */
static void jail_error(const struct origin *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jail_error(const struct origin *o, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_error(o ? *o : (struct origin){ 0 }, "jail: %s", msg);
}

/* "file:line: msg" (the parser's form for jail2 lines), or "msg". */
static void param_error(const struct origin *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void param_error(const struct origin *o, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o && o->file)
		config_error(*o, "%s", msg);
	else
		log_msg("%s", msg);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static bool value_true(const char *v) { return v && strcmp(v, "0") != 0; }

static void signal_set(sigset_t *set, bool with_chld)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	if (with_chld)
		sigaddset(set, SIGCHLD);
}

/* ---- the monitor <-> jail channel ---------------------------------------------------- */

/* One message, optionally carrying an fd. Never raises SIGPIPE. */
static int chan_send(int fd, const char *text, int passfd)
{
	struct iovec iov = { (void *)text, strlen(text) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* One message into buf (NUL-terminated); *passfd gets a received fd or -1.
 * Returns the length, 0 at EOF, -1 on error. */
static ssize_t chan_recv(int fd, char *buf, size_t len, int *passfd)
{
	struct iovec iov = { buf, len - 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	*passfd = -1;
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(passfd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* ---- validate ----------------------------------------------------------------------- */

/* jail2 parameters Linux honours (the rest of FreeBSD's kernel parameters
 * are refused, except booleans set to 0: that is what Linux gives anyway). */
static const char *const honoured[] = {
	"jid", "name", "path", "host.hostname", "host.domainname", "host", "persist",
	"allow.sysvipc", "sysvmsg", "sysvsem", "sysvshm", "enforce_statfs", "devfs_ruleset",
	"allow.raw_sockets", "allow.chflags", "allow.socket_af", "allow.mlock", "allow.reserved_ports",
	"allow.suser", "allow.settime", "allow.unprivileged_proc_debug", "children.max", "securelevel",
	/* networking: linux_net.c */
	"ip4.addr", "ip6.addr", "ip4", "ip6", "ip4.saddrsel", "ip6.saddrsel", "vnet", "allow.routing",
};

static bool is_honoured(const char *key)
{
	for (size_t i = 0; i < sizeof(honoured) / sizeof(honoured[0]); i++)
		if (strcmp(key, honoured[i]) == 0)
			return true;
	return false;
}

static bool is_mount_key(const char *key)
{
	return strcmp(key, "allow.mount") == 0 || strncmp(key, "allow.mount.", 12) == 0;
}

/* Booleans as params.c stores them ("1"/"0"); the rest are never "0"-able. */
static bool boolean_key(const char *key)
{
	return strncmp(key, "allow.", 6) == 0 || strcmp(key, "zfs.mount_snapshot") == 0;
}

static const struct origin *param_origin(const struct jail_spec *spec, const char *key)
{
	const struct jail_param *p = jail_spec_param(spec, key);
	return p ? &p->origin : &spec->origin;
}

static int linux_validate(const struct jail_spec *spec)
{
	if (!spec->create)
		return 0;       /* attach: the jail's own parameters apply */
	for (size_t i = 0; i < spec->nparams; i++) {
		const struct jail_param *p = &spec->params[i];
		if (is_mount_key(p->key) || strcmp(p->key, "allow.set_hostname") == 0) {
			if (value_true(p->value)) {
				param_error(&p->origin, "jail2: '%s' needs a user namespace (not supported yet)", p->key);
				return -1;
			}
			continue;
		}
		if (is_honoured(p->key) || (boolean_key(p->key) && !value_true(p->value)))
			continue;
		param_error(&p->origin, "jail2: '%s' has no Linux equivalent", p->key);
		return -1;
	}
	/* the Linux IPC namespace is all or nothing */
	enum jail_ns_mode m[3] = { spec->sysvmsg, spec->sysvsem, spec->sysvshm };
	bool inherit = false, fresh = false;
	for (int i = 0; i < 3; i++) {
		inherit |= m[i] == JAIL_MODE_INHERIT;
		fresh |= m[i] == JAIL_MODE_NEW;
	}
	if (inherit && fresh) {
		const struct origin *o = param_origin(spec, "sysvshm");
		if (!jail_spec_param(spec, "sysvshm"))
			o = param_origin(spec, jail_spec_param(spec, "sysvsem") ? "sysvsem" : "sysvmsg");
		param_error(o, "jail2: sysvmsg/sysvsem/sysvshm mix 'new' and 'inherit': on Linux the IPC "
		           "namespace is shared or private as a whole");
		return -1;
	}
	const struct jail_param *es = jail_spec_param(spec, "enforce_statfs");
	if (es && spec->enforce_statfs == 0)
		param_error(&es->origin, "warning: jail2: enforce_statfs=0 is not possible in a mount namespace: "
		           "the jail sees only its own mounts (as with 1)");
	const struct jail_param *dr = jail_spec_param(spec, "devfs_ruleset");
	if (dr && spec->devfs_ruleset != 4)
		param_error(&dr->origin, "warning: jail2: devfs_ruleset=%d: a Linux jail always gets the minimal "
		           "/dev of ruleset 4", spec->devfs_ruleset);
	if (jail_restrict_validate_ids(spec, spec->uid, spec->gid) < 0)
		return -1;
	return jail_restrict_validate(spec);
}

/* ---- the effective parameters (registry "params": jls and attach) ---------------------- */

static const char *mode_name(enum jail_ns_mode m)
{
	return m == JAIL_MODE_NEW ? "new" : m == JAIL_MODE_INHERIT ? "inherit" : "disable";
}

static void add_addrs(struct strbuf *sb, const char *key, const struct jail_addr *a, size_t n)
{
	if (!n)
		return;
	sb_addf(sb, "%s=", key);
	for (size_t i = 0; i < n; i++) {
		char buf[INET6_ADDRSTRLEN];
		inet_ntop(a[i].family, a[i].family == AF_INET ? (const void *)&a[i].u.v4 : (const void *)&a[i].u.v6,
		          buf, sizeof(buf));
		sb_addf(sb, "%s%s", i ? "," : "", buf);
		if (a[i].prefix >= 0)
			sb_addf(sb, "/%d", a[i].prefix);
	}
	sb_addc(sb, '\n');
}

/* key=value lines that jail_spec_build() turns back into an equivalent
 * spec (allow.sysvipc first: it resets the sysv* modes). */
static char *effective_params(const struct jail_spec *spec, const struct registry_entry *re, const char *path)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_addf(&sb, "path=%s\nname=%s\njid=%ld\n", path, re->name, re->jid);
	sb_addf(&sb, "host=%s\n", spec->host_inherit ? "inherit" : "new");
	if (!spec->host_inherit && spec->hostname && *spec->hostname)
		sb_addf(&sb, "host.hostname=%s\n", spec->hostname);
	if (!spec->host_inherit && spec->domainname)
		sb_addf(&sb, "host.domainname=%s\n", spec->domainname);
	sb_addf(&sb, "persist=%d\nvnet=%s\n", spec->persist, spec->vnet ? "new" : "inherit");
	add_addrs(&sb, "ip4.addr", spec->ip4, spec->nip4);
	add_addrs(&sb, "ip6.addr", spec->ip6, spec->nip6);
	if (!spec->nip4)
		sb_addf(&sb, "ip4=%s\n", mode_name(spec->ip4_mode));
	if (!spec->nip6)
		sb_addf(&sb, "ip6=%s\n", mode_name(spec->ip6_mode));
	sb_addf(&sb, "ip4.saddrsel=%d\nip6.saddrsel=%d\n", spec->ip4_saddrsel, spec->ip6_saddrsel);
	sb_addf(&sb, "allow.sysvipc=%d\n", spec->allow_sysvipc);
	sb_addf(&sb, "sysvmsg=%s\nsysvsem=%s\nsysvshm=%s\n", mode_name(spec->sysvmsg), mode_name(spec->sysvsem),
	        mode_name(spec->sysvshm));
	sb_addf(&sb, "enforce_statfs=%d\ndevfs_ruleset=%d\n", spec->enforce_statfs, spec->devfs_ruleset);
	sb_addf(&sb, "securelevel=%d\nchildren.max=%ld\n", spec->securelevel, spec->children_max);
	sb_addf(&sb, "allow.set_hostname=0\nallow.mount=0\n");
	sb_addf(&sb, "allow.raw_sockets=%d\nallow.chflags=%d\nallow.socket_af=%d\nallow.mlock=%d\n",
	        spec->allow_raw_sockets, spec->allow_chflags, spec->allow_socket_af, spec->allow_mlock);
	sb_addf(&sb, "allow.reserved_ports=%d\nallow.suser=%d\nallow.settime=%d\n", spec->allow_reserved_ports,
	        spec->allow_suser, spec->allow_settime);
	sb_addf(&sb, "allow.unprivileged_proc_debug=%d\nallow.routing=%d\n", spec->allow_unprivileged_proc_debug,
	        spec->allow_routing);
	return sb_detach(&sb);
}

/* The spec of a running jail from its params file, through the parser. */
static int spec_from_registry(const struct registry_entry *re, struct jail_spec *spec)
{
	char *text = registry_get(re, "params");
	if (!text) {
		log_errno("jail-attach: jail '%s': cannot read its parameters", re->name);
		return -1;
	}
	static char file[PATH_MAX + 32];       /* origins must outlive the spec */
	snprintf(file, sizeof(file), "%s/jails/%s/params", registry_root(), re->name);
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	size_t cap = 8;
	cfg.jail2.v = xcalloc(cap, sizeof(char *));
	cfg.jail2.origin = xcalloc(cap, sizeof(struct origin));
	int line = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		if (cfg.jail2.n == cap) {
			cap *= 2;
			cfg.jail2.v = xrealloc(cfg.jail2.v, cap * sizeof(char *));
			cfg.jail2.origin = xrealloc(cfg.jail2.origin, cap * sizeof(struct origin));
		}
		cfg.jail2.v[cfg.jail2.n] = l;
		cfg.jail2.origin[cfg.jail2.n++] = (struct origin){ file, line };
	}
	int rc = jail_spec_build(&cfg, spec);
	free(cfg.jail2.v);
	free(cfg.jail2.origin);
	free(text);
	return rc;
}

/* ---- the jail's init (PID 1) ------------------------------------------------------------ */

struct jail_run {
	const struct jail_spec *spec;
	const char *path;
	struct registry_entry re;
	int lockfd;
	struct jail_net net;
	int chan[2];                /* [0] monitor, [1] jail */
	pid_t init_pid;
	int init_pidfd;
	int master_pidfd;
	bool late_cgroup;           /* clone() fallback: joined the cgroup after birth */
	sigset_t oldmask;
	char jidfile[PATH_MAX];
	bool jidfile_written;
	bool ready, got_master;
};

/* Closes every fd >= 3 except the listed ones (init keeps no socket or
 * file of the server's: a persistent jail must not hold a listener). */
static void close_all_but(const int *keep, size_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *de;
	int fds[1024];
	size_t n = 0;
	while ((de = readdir(d)) != NULL && n < sizeof(fds) / sizeof(fds[0])) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int fd = atoi(de->d_name);
		bool k = fd < 3 || fd == dfd;
		for (size_t i = 0; i < nkeep; i++)
			k |= fd == keep[i];
		if (!k)
			fds[n++] = fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static bool is_zombie(pid_t pid)
{
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;    /* gone */
	ssize_t n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	char *c = strrchr(buf, ')');
	return c && c[1] == ' ' && (c[2] == 'Z' || c[2] == 'X');
}

/* Waits for processes of the jail that are not init's children (attached
 * ones, whose parent is the attach monitor outside). Returns true if there
 * were any (the caller reaps and looks again), false if the jail is empty. */
static bool wait_others(int sfd)
{
	struct pollfd p[65];
	int n = 1;
	p[0] = (struct pollfd){ sfd, POLLIN, 0 };
	DIR *d = opendir("/proc");
	if (!d)
		return false;
	struct dirent *de;
	bool any = false;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid == 1 || is_zombie(pid))
			continue;       /* a zombie is its (outside) parent's to reap */
		any = true;
		if (n < 65) {
			int fd = pidfd_open(pid);
			if (fd >= 0)
				p[n++] = (struct pollfd){ fd, POLLIN, 0 };
		}
	}
	closedir(d);
	if (any)
		poll(p, (nfds_t)n, n < 65 ? 1000 : 100);
	for (int i = 1; i < n; i++)
		close(p[i].fd);
	return any;
}

/* PID 1 of the jail: reaps; reports the master's exit status to the
 * monitor; exits when the jail is empty (with that status), or never when
 * persist (the jail is removed by SIGKILL). */
static void __attribute__((noreturn)) init_loop(const struct jail_spec *spec, int ch, int sfd, pid_t master)
{
	int code = 0;
	for (;;) {
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p == master) {
				char msg[32];
				code = exit_code(st);
				master = 0;
				snprintf(msg, sizeof(msg), "%cexit %d", CTL, code);
				chan_send(ch, msg, -1);
			}
		}
		if (p < 0 && errno == ECHILD && !spec->persist) {
			if (!wait_others(sfd))
				_exit(code);
			continue;
		}
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) < 0 && errno != EINTR && errno != EAGAIN)
			_exit(code);
	}
}

/* A terminal on stdin is the host's (the jail has a session of its own):
 * the jail must not read what is typed there. 0, or -1 after one line. */
static int stdin_off_the_terminal(void)
{
	if (!isatty(0))
		return 0;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0) {
		log_errno("jail: /dev/null as stdin");
		if (null >= 0)
			close(null);
		return -1;
	}
	close(null);
	return 0;
}

/* Everything the monitor held came along through clone() and fork():
 * only the start pipeline's own descriptors (and the channel and log this
 * file still needs) may enter the jail. */
static int drop_inherited(const struct jail_spec *spec, int ch, int logfd)
{
	size_t n = spec->nkeep_fds;
	int *keep = xcalloc(n + 2, sizeof(int));
	for (size_t i = 0; i < n; i++)
		keep[i] = spec->keep_fds[i];
	keep[n++] = ch;
	keep[n++] = logfd;
	int rc = jail_close_fds(keep, n);
	free(keep);
	return rc < 0 ? -1 : stdin_off_the_terminal();
}

/* A failure inside before "ready": the reason is already logged (through
 * the monitor); "fail" tells the monitor it was expected. */
static void __attribute__((noreturn)) init_fail(int ch)
{
	chan_send(ch, "\001fail", -1);
	_exit(1);
}

/* The child of clone(): builds the jail around itself, then forks the
 * master. Returns 0 in the master only; init and failures never return. */
static int run_init(struct jail_run *r)
{
	const struct jail_spec *spec = r->spec;
	int ch = r->chan[1];
	char err[1024], comm[17] = "";
	close(r->chan[0]);
	if (r->net.cgroup_fd >= 0)
		close(r->net.cgroup_fd);
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	prctl(PR_SET_NAME, INIT_COMM, 0, 0, 0);
	/* a non-persistent jail goes with its monitor */
	if (!spec->persist)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int logfd = log_fd();
	log_set_file(ch);           /* until "ready", the monitor prints for us */

	char go[8];
	int nofd;
	if (chan_recv(ch, go, sizeof(go), &nofd) != 2 || memcmp(go, "go", 2) != 0)
		_exit(1);
	if (r->late_cgroup && unshare(CLONE_NEWCGROUP) < 0) {
		jail_error(&spec->origin, "unshare(CLONE_NEWCGROUP): %s", strerror(errno));
		init_fail(ch);
	}
	/* a session of the jail's own, without a controlling terminal: the
	 * host's would take TIOCSTI input from the jail (typed into the shell
	 * that started stockade) */
	if (setsid() < 0) {
		jail_error(&spec->origin, "setsid: %s", strerror(errno));
		init_fail(ch);
	}
	if (jail_rootfs_prepare(r->path, spec->vnet, err, sizeof(err)) < 0) {
		jail_error(&spec->origin, "%s", err);
		init_fail(ch);
	}
	if (!spec->host_inherit) {
		if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
			jail_error(&spec->origin, "sethostname(%s): %s", spec->hostname, strerror(errno));
			init_fail(ch);
		}
		if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
			jail_error(&spec->origin, "setdomainname(%s): %s", spec->domainname, strerror(errno));
			init_fail(ch);
		}
	}
	if (jail_rootfs_enter(r->path, err, sizeof(err)) < 0) {
		jail_error(&spec->origin, "%s", err);
		init_fail(ch);
	}
	if (jail_net_inside(spec) < 0)
		init_fail(ch);

	sigset_t all, chld;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sfd < 0) {
		jail_error(&spec->origin, "signalfd: %s", strerror(errno));
		init_fail(ch);
	}
	pid_t master = fork();
	if (master < 0) {
		jail_error(&spec->origin, "fork: %s", strerror(errno));
		init_fail(ch);
	}
	if (master == 0) {
		close(sfd);
		close(r->lockfd);
		prctl(PR_SET_NAME, comm, 0, 0, 0);
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
		if (drop_inherited(spec, ch, logfd) < 0 || jail_linux_restrict(spec) < 0)
			init_fail(ch);
		chan_send(ch, "\001ready", -1);
		log_set_file(logfd);
		close(ch);
		return 0;
	}
	int pfd = pidfd_open(master);
	chan_send(ch, "\001master", pfd);
	if (pfd >= 0)
		close(pfd);
	/* init keeps the channel, the registry lock and its signalfd: nothing
	 * else of the server's (sockets, log files), and no terminal */
	int keep[] = { ch, r->lockfd, sfd };
	close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	init_loop(spec, ch, sfd, master);
}

/* ---- the monitor ------------------------------------------------------------------------ */

static pid_t clone_jail(struct jail_run *r, uint64_t flags)
{
	struct clone3_args a;
	int pidfd = -1;
	memset(&a, 0, sizeof(a));
	a.flags = flags | CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	a.exit_signal = SIGCHLD;
	if (r->net.cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)r->net.cgroup_fd;
	}
	pid_t pid = getenv("STOCKADE_NO_CLONE3") ? (errno = ENOSYS, -1) : (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && (errno == ENOSYS || (errno == EINVAL && (a.flags & CLONE_INTO_CGROUP)))) {
		/* no clone3 (old kernel, or filtered) or no CLONE_INTO_CGROUP:
		 * the child waits for "go" while the monitor moves it into the
		 * cgroup, then unshares its cgroup namespace itself */
		uint64_t f = flags;
		if (r->net.cgroup_fd >= 0) {
			f &= ~(uint64_t)CLONE_NEWCGROUP;
			r->late_cgroup = true;
		}
#if defined(__s390__) || defined(__CRIS__)
		pid = (pid_t)syscall(SYS_clone, NULL, (unsigned long)f | SIGCHLD, NULL, NULL, NULL);
#else
		pid = (pid_t)syscall(SYS_clone, (unsigned long)f | SIGCHLD, NULL, NULL, NULL, NULL);
#endif
		if (pid > 0)
			pidfd = pidfd_open(pid);
	}
	if (pid > 0)
		r->init_pidfd = pidfd;
	return pid;
}

/* Kills what there is of the jail and removes every trace on the host. */
static void undo(struct jail_run *r)
{
	if (r->init_pid > 0) {
		if (r->init_pidfd >= 0)
			pidfd_signal(r->init_pidfd, SIGKILL);
		else
			kill(r->init_pid, SIGKILL);
		while (waitpid(r->init_pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->init_pid = 0;
	}
	jail_net_teardown(&r->net);
	if (r->jidfile_written)
		unlink(r->jidfile);
	registry_release(&r->re);
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->lockfd = -1;
	for (int i = 0; i < 2; i++)
		if (r->chan[i] >= 0)
			close(r->chan[i]);
	r->chan[0] = r->chan[1] = -1;
	if (r->init_pidfd >= 0)
		close(r->init_pidfd);
	if (r->master_pidfd >= 0)
		close(r->master_pidfd);
	r->init_pidfd = r->master_pidfd = -1;
	sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
}

/* One message from the jail: log lines are printed; "master" brings the
 * master's pidfd; "ready", "fail" and "exit N" are returned as MSG_*. */
enum { MSG_OTHER, MSG_READY, MSG_FAIL, MSG_EXIT };

static int handle_msg(struct jail_run *r, const char *buf, ssize_t n, int fd, int *code)
{
	int kind = MSG_OTHER;
	if (buf[0] != CTL) {
		log_write(buf, (unsigned long)n);
	} else if (strcmp(buf + 1, "master") == 0) {
		r->got_master = true;
		if (fd >= 0 && r->master_pidfd < 0) {
			r->master_pidfd = fd;
			fd = -1;
		}
	} else if (strcmp(buf + 1, "ready") == 0) {
		r->ready = true;
		kind = MSG_READY;
	} else if (strcmp(buf + 1, "fail") == 0) {
		kind = MSG_FAIL;
	} else if (strncmp(buf + 1, "exit ", 5) == 0) {
		*code = atoi(buf + 6);
		kind = MSG_EXIT;
	}
	if (fd >= 0)
		close(fd);
	return kind;
}

/* Forwards the jail's log lines until the master is ready and init has
 * passed its pidfd (0), the jail failed after saying why (-1), or it ended
 * without a word (-2). */
static int wait_ready(struct jail_run *r)
{
	char buf[4200];
	int code;
	while (!r->ready || !r->got_master) {
		int fd;
		ssize_t n = chan_recv(r->chan[0], buf, sizeof(buf), &fd);
		if (n <= 0)
			return -2;
		int m = handle_msg(r, buf, n, fd, &code);
		if (m == MSG_FAIL || m == MSG_EXIT)
			return -1;
	}
	return 0;
}

static int write_jidfile(struct jail_run *r)
{
	char num[32];
	int len = snprintf(num, sizeof(num), "%ld\n", r->re.jid);
	/* atomic: a reader never sees an empty jidfile; a failure leaves none */
	if (write_file_atomic(r->jidfile, num, (size_t)len, 0644) < 0) {
		log_errno("jidfile %s", r->jidfile);
		return -1;
	}
	r->jidfile_written = true;
	return 0;
}

/* The monitor's life after "ready": signals in, exit status out. */
static void __attribute__((noreturn)) monitor_loop(struct jail_run *r)
{
	sigset_t set;
	signal_set(&set, true);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int master_code = -1;
	bool persist = r->spec->persist;
	for (;;) {
		struct pollfd p[3] = {
			{ sfd, POLLIN, 0 }, { r->init_pidfd, POLLIN, 0 }, { r->chan[0], POLLIN, 0 },
		};
		if (poll(p, r->chan[0] >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_errno("jail monitor: poll");
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGCHLD &&
			    r->master_pidfd >= 0)
				pidfd_signal(r->master_pidfd, (int)si.ssi_signo);
		}
		if (r->chan[0] >= 0 && p[2].revents) {
			char buf[4200];
			int fd;
			ssize_t n = chan_recv(r->chan[0], buf, sizeof(buf), &fd);
			if (n <= 0) {
				if (fd >= 0)
					close(fd);
				close(r->chan[0]);
				r->chan[0] = -1;
			} else if (handle_msg(r, buf, n, fd, &master_code) == MSG_EXIT) {
				if (persist) {
					/* the jail stays, as on FreeBSD; --jail-remove ends it */
					log_msg("jail %ld (%s) persists without its master", r->re.jid, r->re.name);
					exit(master_code);
				}
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP))
			break;
	}
	/* what the jail said last */
	if (r->chan[0] >= 0)
		fcntl(r->chan[0], F_SETFL, O_NONBLOCK);
	while (r->chan[0] >= 0) {
		char buf[4200];
		int fd;
		ssize_t n = chan_recv(r->chan[0], buf, sizeof(buf), &fd);
		if (n <= 0) {
			if (fd >= 0)
				close(fd);
			break;
		}
		handle_msg(r, buf, n, fd, &master_code);
	}
	int st = 0;
	while (waitpid(r->init_pid, &st, 0) < 0 && errno == EINTR)
		;
	r->init_pid = 0;
	int code = master_code >= 0 ? master_code : exit_code(st);
	undo(r);
	exit(code);
}

static void absolute_path(const char *p, char *out, size_t len)
{
	char cwd[PATH_MAX];
	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(out, len, "%s", p);
	else if ((size_t)snprintf(out, len, "%s/%s", cwd, p) >= len)
		snprintf(out, len, "%s", p);
}

static int linux_create(const struct jail_spec *spec, struct jail_result *res)
{
	static struct jail_run run;     /* the monitor's one jail */
	struct jail_run *r = &run;
	char err[1024];
	memset(r, 0, sizeof(*r));
	r->spec = spec;
	r->path = spec->path ? spec->path : "/";
	r->lockfd = r->init_pidfd = r->master_pidfd = -1;
	r->chan[0] = r->chan[1] = -1;
	r->net.cgroup_fd = -1;
	sigprocmask(SIG_SETMASK, NULL, &r->oldmask);

	if (geteuid() != 0) {
		jail_error(&spec->origin, "creating a jail needs root");
		return -1;
	}
	if (jail_rootfs_check(r->path, err, sizeof(err)) < 0) {
		jail_error(&spec->origin, "%s", err);
		return -1;
	}
	r->lockfd = registry_create(spec->name, spec->jid, &r->re, err, sizeof(err));
	if (r->lockfd < 0) {
		jail_error(param_origin(spec, spec->jid != -1 && strstr(err, "jid ") == err ? "jid" : "name"), "%s", err);
		return -1;
	}
	if (jail_net_prepare(spec, r->re.name, &r->net) < 0) {
		r->net.cgroup_path[0] = '\0';
		undo(r);
		return -1;
	}
	char host[256] = "";
	if (spec->hostname)
		snprintf(host, sizeof(host), "%s", spec->hostname);
	else if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (spec->jidfile)
		absolute_path(spec->jidfile, r->jidfile, sizeof(r->jidfile));
	char *params = effective_params(spec, &r->re, r->path);
	char *line_host = xasprintf("%s\n", host), *line_path = xasprintf("%s\n", r->path);
	char *line_cg = xasprintf("%s\n", r->net.cgroup_path), *line_jf = xasprintf("%s\n", r->jidfile);
	int wrc = registry_put(&r->re, "params", params) | registry_put(&r->re, "hostname", line_host) |
	          registry_put(&r->re, "path", line_path) | registry_put(&r->re, "cgroup", line_cg) |
	          registry_put(&r->re, "jidfile", line_jf);
	free(params);
	free(line_host);
	free(line_path);
	free(line_cg);
	free(line_jf);
	if (wrc < 0) {
		jail_error(&spec->origin, "registry %s: %s", registry_root(), strerror(errno));
		undo(r);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->chan) < 0) {
		jail_error(&spec->origin, "socketpair: %s", strerror(errno));
		undo(r);
		return -1;
	}

	uint64_t flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP;
	if (!spec->host_inherit)
		flags |= CLONE_NEWUTS;
	if (spec->sysvmsg != JAIL_MODE_INHERIT && spec->sysvsem != JAIL_MODE_INHERIT &&
	    spec->sysvshm != JAIL_MODE_INHERIT && !spec->allow_sysvipc)
		flags |= CLONE_NEWIPC;
	if (spec->vnet)
		flags |= CLONE_NEWNET;
	/* signals wait (pending) until the master exists to receive them */
	sigset_t set;
	signal_set(&set, true);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = clone_jail(r, flags);
	if (pid < 0) {
		jail_error(&spec->origin, "clone: %s", strerror(errno));
		undo(r);
		return -1;
	}
	if (pid == 0) {
		if (run_init(r) < 0)
			_exit(1);
		res->jid = r->re.jid;
		memcpy(res->name, r->re.name, sizeof(res->name));
		res->name[sizeof(res->name) - 1] = '\0';
		return 0;
	}
	r->init_pid = pid;
	close(r->chan[1]);
	r->chan[1] = -1;
	if (r->init_pidfd < 0) {
		jail_error(&spec->origin, "pidfd_open: %s", strerror(errno));
		undo(r);
		return -1;
	}
	if ((r->late_cgroup && jail_cgroup_join(r->net.cgroup_path, pid) < 0) || jail_net_attach_init(spec, &r->net, pid) < 0) {
		undo(r);
		return -1;
	}
	if (registry_set_init(&r->re, pid) < 0) {
		jail_error(&spec->origin, "registry: init pid %d: %s", (int)pid, strerror(errno));
		undo(r);
		return -1;
	}
	int rc = chan_send(r->chan[0], "go", -1) < 0 ? -2 : wait_ready(r);
	if (rc == -2) {
		int st;
		pid_t p;
		while ((p = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
			;
		if (p == pid) {
			r->init_pid = 0;
			if (WIFSIGNALED(st))
				jail_error(&spec->origin, "the jail's init was killed by signal %d before the jail was ready",
				           WTERMSIG(st));
			else
				jail_error(&spec->origin, "the jail's init exited with status %d before the jail was ready",
				           exit_code(st));
		}
	}
	if (rc < 0) {
		undo(r);
		return -1;
	}
	/* init holds the registry lock from here on */
	close(r->lockfd);
	r->lockfd = -1;
	if (r->jidfile[0] && write_jidfile(r) < 0) {
		undo(r);
		return -1;
	}
	monitor_loop(r);
}

/* ---- attach ------------------------------------------------------------------------------ */

static const struct {
	const char *name;
	int flag;
} ns_types[] = {
	/* the /proc/<pid>/ns fallback joins in this order: mnt last */
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
	{ "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
};
#define NNS (sizeof(ns_types) / sizeof(ns_types[0]))

/* The namespaces of pid that differ from ours. */
static int differing_ns(pid_t pid)
{
	int flags = 0;
	for (size_t i = 0; i < NNS; i++) {
		char a[64], b[64];
		struct stat sa, sb;
		snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, ns_types[i].name);
		snprintf(b, sizeof(b), "/proc/self/ns/%s", ns_types[i].name);
		if (stat(a, &sa) < 0 || stat(b, &sb) < 0 || sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
			flags |= ns_types[i].flag;
	}
	return flags;
}

static int join_ns(int pidfd, pid_t pid, int flags, const char *id)
{
	if (setns(pidfd, flags) == 0)
		return 0;
	if (errno != EINVAL) {
		log_errno("jail-attach %s: setns", id);
		return -1;
	}
	/* before 5.8: one fd per namespace, all opened before the first
	 * setns (after setns(mnt) /proc would be the jail's) */
	int fds[NNS];
	for (size_t i = 0; i < NNS; i++) {
		char p[64];
		fds[i] = -1;
		if (!(flags & ns_types[i].flag))
			continue;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns_types[i].name);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			log_errno("jail-attach %s: %s", id, p);
			for (size_t k = 0; k < i; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			return -1;
		}
	}
	int rc = 0;
	for (size_t i = 0; i < NNS; i++) {
		if (fds[i] < 0)
			continue;
		if (rc == 0 && setns(fds[i], ns_types[i].flag) < 0) {
			log_errno("jail-attach %s: setns(%s)", id, ns_types[i].name);
			rc = -1;
		}
		close(fds[i]);
	}
	return rc;
}

/* An fd of our own cgroup's cgroup.procs, to leave the jail's cgroup after
 * the fork (best effort), or -1. */
static int own_cgroup_procs(void)
{
	char mnt[PATH_MAX], *text, *p;
	size_t len;
	if (cgroup2_mountpoint(mnt, sizeof(mnt)) < 0 || !(text = read_file("/proc/self/cgroup", &len)))
		return -1;
	int fd = -1;
	if ((p = strstr(text, "0::")) && (p == text || p[-1] == '\n')) {
		p += 3;
		p[strcspn(p, "\n")] = '\0';
		char *path = xasprintf("%s%s/cgroup.procs", mnt, p);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		free(path);
	}
	free(text);
	return fd;
}

/* The running jail id (name or jid) for `what` (jail-attach, jail-remove):
 * a pidfd on its init, or -1 with the reason logged. The pidfd is opened
 * before the liveness check, so the pid can't be reused under it; a dead
 * jail's stale entry is collected. */
static int open_running_jail(const char *what, const char *doing, const char *id, struct registry_entry *e)
{
	char err[512];
	if (geteuid() != 0) {
		log_msg("%s: %s a jail needs root", what, doing);
		return -1;
	}
	if (registry_lookup(id, e, err, sizeof(err)) < 0) {
		log_msg("%s: %s", what, err);
		return -1;
	}
	int pidfd = pidfd_open(e->pid);
	if (pidfd < 0 || !registry_alive(e)) {
		log_msg("%s: jail '%s' is not running", what, id);
		if (pidfd >= 0)
			close(pidfd);
		registry_gc();
		return -1;
	}
	return pidfd;
}

static int linux_attach(const struct jail_spec *spec, struct jail_result *res)
{
	const char *id = spec->attach;
	struct registry_entry e;
	int pidfd = open_running_jail("jail-attach", "joining", id, &e);
	if (pidfd < 0)
		return -1;
	struct jail_spec js;
	if (spec_from_registry(&e, &js) < 0) {
		close(pidfd);
		return -1;
	}
	int flags = differing_ns(e.pid);
	int back = e.cgroup[0] ? own_cgroup_procs() : -1;
	/* the cgroup first: the jail's BPF programs apply from the first
	 * instruction run inside */
	if ((e.cgroup[0] && jail_cgroup_join(e.cgroup, getpid()) < 0) ||
	    (flags && join_ns(pidfd, e.pid, flags, id) < 0) || chdir("/") < 0) {
		if (back >= 0 && write(back, "0", 1) < 0) { /* stays in the jail cgroup */ }
		log_msg("jail-attach: cannot join jail '%s'", id);
		close(pidfd);
		jail_spec_free(&js);
		return -1;
	}
	close(pidfd);
	sigset_t set, old;
	signal_set(&set, true);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t child = fork();
	if (child < 0) {
		log_errno("jail-attach: fork");
		sigprocmask(SIG_SETMASK, &old, NULL);
		jail_spec_free(&js);
		return -1;
	}
	if (child == 0) {
		if (back >= 0)
			close(back);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* what init and the master did for the jail: a session of its
		 * own, host descriptors closed, Landlock scope (shared stack),
		 * then capabilities, no_new_privs, seccomp */
		if (setsid() < 0) {
			log_errno("jail-attach: setsid");
			_exit(1);
		}
		if (jail_close_fds(spec->keep_fds, spec->nkeep_fds) < 0 || stdin_off_the_terminal() < 0 ||
		    (!js.vnet && jail_net_inside(&js) < 0) || jail_linux_restrict(&js) < 0)
			_exit(1);
		jail_spec_free(&js);
		res->jid = e.jid;
		snprintf(res->name, sizeof(res->name), "%s", e.name);
		return 0;
	}
	/* the monitor of the attached process: outside the jail's cgroup again */
	if (back >= 0) {
		if (write(back, "0", 1) < 0) { /* best effort */ }
		close(back);
	}
	jail_spec_free(&js);
	int cfd = pidfd_open(child);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			if (cfd >= 0)
				pidfd_signal(cfd, (int)si.ssi_signo);
			continue;
		}
		int st;
		pid_t p = waitpid(child, &st, WNOHANG);
		if (p == child)
			exit(exit_code(st));
	}
}

/* ---- jls and jail -r ------------------------------------------------------------------------ */

static double uptime_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The value of key in "key=value" lines, malloc'd, or NULL. */
static char *param_value(const char *params, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = params; p && *p; ) {
		size_t n = strcspn(p, "\n");
		if (n > klen && p[klen] == '=' && strncmp(p, key, klen) == 0)
			return xstrndup(p + klen + 1, n - klen - 1);
		p += n;
		if (*p == '\n')
			p++;
	}
	return NULL;
}

static int linux_list(int fd, unsigned flags)
{
	struct registry_entry *v;
	size_t n;
	if (registry_list(&v, &n) < 0) {
		log_errno("jls: %s", registry_root());
		return -1;
	}
	long hz = sysconf(_SC_CLK_TCK);
	double up = uptime_seconds();
	struct jls_row *rows = xcalloc(n + 1, sizeof(*rows));
	char **owned = xcalloc(3 * n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		/* the effective parameters: addresses and everything --json shows */
		char *params = registry_get(&v[i], "params");
		owned[3 * i] = params;
		owned[3 * i + 1] = param_value(params, "ip4.addr");
		owned[3 * i + 2] = param_value(params, "ip6.addr");
		rows[i] = (struct jls_row){
			.jid = v[i].jid, .name = v[i].name, .hostname = v[i].hostname, .path = v[i].path,
			.state = "ACTIVE", .ip4 = owned[3 * i + 1], .ip6 = owned[3 * i + 2],
			.cpusetid = -1, .pid = (long)v[i].pid, .params = params,
			.age_seconds = hz > 0 && up > (double)v[i].starttime / (double)hz ?
			               (long long)(up - (double)v[i].starttime / (double)hz) : 0,
		};
	}
	int rc = jls_print(fd, flags, "PID", rows, n);
	for (size_t i = 0; i < 3 * n; i++)
		free(owned[i]);
	free(owned);
	free(rows);
	free(v);
	return rc;
}

static int linux_remove(const char *id)
{
	struct registry_entry e;
	int pidfd = open_running_jail("jail-remove", "removing", id, &e);
	if (pidfd < 0)
		return -1;
	if (pidfd_signal(pidfd, SIGKILL) < 0 && errno != ESRCH) {
		log_errno("jail-remove: kill jail '%s' (init pid %d)", id, (int)e.pid);
		close(pidfd);
		return -1;
	}
	/* init's exit is reported once the whole PID namespace is reaped */
	struct pollfd p = { pidfd, POLLIN, 0 };
	if (poll(&p, 1, 10000) <= 0)
		log_msg("jail-remove: jail '%s' (init pid %d) is slow to die", id, (int)e.pid);
	close(pidfd);
	struct jail_net net;
	memset(&net, 0, sizeof(net));
	net.cgroup_fd = -1;
	snprintf(net.cgroup_path, sizeof(net.cgroup_path), "%s", e.cgroup);
	jail_net_teardown(&net);
	if (e.jidfile[0])
		unlink(e.jidfile);
	registry_release(&e);
	log_msg("jail %ld (%s) removed", e.jid, e.name);
	return 0;
}

static const struct jail_backend linux_backend = {
	.name = "linux",
	.validate = linux_validate,
	.create_and_enter = linux_create,
	.attach = linux_attach,
	.list = linux_list,
	.remove = linux_remove,
};

const struct jail_backend *jail_backend(void)
{
	return &linux_backend;
}
