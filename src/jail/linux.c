/* SPDX-License-Identifier: MIT */
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
 *
 * This file: validation, the effective parameters and the create steps.
 * linux_init.c is the init, linux_monitor.c the monitor, linux_attach.c
 * and linux_jls.c the other backend operations.
 */
#include "jail/linux_internal.h"

#include "base/log.h"
#include "base/util.h"
#include "jail/error.h"
#include "jail/linux_restrict.h"
#include "jail/linux_rootfs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

_Static_assert(sizeof(((struct jail_result *)0)->name) == REGISTRY_NAME_MAX, "jail names: one size");

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

static bool
value_true(const char *v)
{
	return v && strcmp(v, "0") != 0;
}

static bool
is_honoured(const char *key)
{
	for (size_t i = 0; i < sizeof(honoured) / sizeof(honoured[0]); i++)
		if (strcmp(key, honoured[i]) == 0)
			return true;
	return false;
}

static bool
is_mount_key(const char *key)
{
	return strcmp(key, "allow.mount") == 0 || strncmp(key, "allow.mount.", 12) == 0;
}

/* Booleans as params.c stores them ("1"/"0"); the rest are never "0"-able. */
static bool
boolean_key(const char *key)
{
	return strncmp(key, "allow.", 6) == 0 || strcmp(key, "zfs.mount_snapshot") == 0;
}

static const struct origin *
param_origin(const struct jail_spec *spec, const char *key)
{
	const struct jail_param *p = jail_spec_param(spec, key);
	return p ? &p->origin : &spec->origin;
}

static int
linux_validate(const struct jail_spec *spec)
{
	if (!spec->create)
		return 0;       /* attach: the jail's own parameters apply */
	for (size_t i = 0; i < spec->nparams; i++) {
		const struct jail_param *p = &spec->params[i];
		if (is_mount_key(p->key) || strcmp(p->key, "allow.set_hostname") == 0) {
			if (value_true(p->value)) {
				jail_config_error(&p->origin, "jail2: '%s' needs a user namespace (not supported yet)", p->key);
				return -1;
			}
			continue;
		}
		if (is_honoured(p->key) || (boolean_key(p->key) && !value_true(p->value)))
			continue;
		jail_config_error(&p->origin, "jail2: '%s' has no Linux equivalent", p->key);
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
		jail_config_error(o, "jail2: sysvmsg/sysvsem/sysvshm mix 'new' and 'inherit': on Linux the IPC "
		           "namespace is shared or private as a whole");
		return -1;
	}
	const struct jail_param *es = jail_spec_param(spec, "enforce_statfs");
	if (es && spec->enforce_statfs == 0)
		jail_config_error(&es->origin, "warning: jail2: enforce_statfs=0 is not possible in a mount namespace: "
		           "the jail sees only its own mounts (as with 1)");
	const struct jail_param *dr = jail_spec_param(spec, "devfs_ruleset");
	if (dr && spec->devfs_ruleset != 4)
		jail_config_error(&dr->origin, "warning: jail2: devfs_ruleset=%d: a Linux jail always gets the minimal "
		           "/dev of ruleset 4", spec->devfs_ruleset);
	if (jail_restrict_validate_ids(spec, spec->uid, spec->gid) < 0 || jail_rctl_validate(spec) < 0)
		return -1;
	return jail_restrict_validate(spec);
}

/* ---- the effective parameters (registry "params": jls and attach) ---------------------- */

static const char *
mode_name(enum jail_ns_mode m)
{
	return m == JAIL_MODE_NEW ? "new" : m == JAIL_MODE_INHERIT ? "inherit" : "disable";
}

static void
add_addrs(struct strbuf *sb, const char *key, const struct jail_addr *a, size_t n)
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
static char *
effective_params(const struct jail_spec *spec, const struct registry_entry *re, const char *path)
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

static void
absolute_path(const char *p, char *out, size_t len)
{
	char cwd[PATH_MAX];
	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(out, len, "%s", p);
	else if ((size_t)snprintf(out, len, "%s/%s", cwd, p) >= len)
		snprintf(out, len, "%s", p);
}

/* Root, a usable rootfs, the name/jid reserved in the registry. Nothing to
 * undo when this fails. */
static int
reserve(struct jail_run *r)
{
	const struct jail_spec *spec = r->spec;
	char err[1024];
	const char *key;

	if (geteuid() != 0) {
		jail_config_error(&spec->origin, "jail: creating a jail needs root");
		return -1;
	}
	if (jail_rootfs_check(r->path, err, sizeof(err)) < 0) {
		jail_config_error(&spec->origin, "jail: %s", err);
		return -1;
	}
	r->lockfd = registry_create(spec->name, spec->jid, &r->re, err, sizeof(err));
	if (r->lockfd < 0) {
		key = spec->jid != -1 && strstr(err, "jid ") == err ? "jid" : "name";
		jail_config_error(param_origin(spec, key), "jail: %s", err);
		return -1;
	}
	return 0;
}

/* What jls, attach and remove read back from the registry entry. */
static int
record(struct jail_run *r)
{
	const struct jail_spec *spec = r->spec;
	char host[256] = "";
	char *params, *line_host, *line_path, *line_cg, *line_jf, *rctl;
	int wrc;

	if (spec->hostname)
		snprintf(host, sizeof(host), "%s", spec->hostname);
	else if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (spec->jidfile)
		absolute_path(spec->jidfile, r->jidfile, sizeof(r->jidfile));
	params = effective_params(spec, &r->re, r->path);
	line_host = xasprintf("%s\n", host);
	line_path = xasprintf("%s\n", r->path);
	line_cg = xasprintf("%s\n", r->net.cgroup_path);
	line_jf = xasprintf("%s\n", r->jidfile);
	wrc = registry_put(&r->re, "params", params) | registry_put(&r->re, "hostname", line_host) |
	      registry_put(&r->re, "path", line_path) | registry_put(&r->re, "cgroup", line_cg) |
	      registry_put(&r->re, "jidfile", line_jf);
	if (spec->nrctl > 0) {	/* no file (no cost) for a jail without limits */
		rctl = jail_rctl_record(spec, &r->rctl);
		wrc |= registry_put(&r->re, "rctl", rctl);
		free(rctl);
	}
	free(params);
	free(line_host);
	free(line_path);
	free(line_cg);
	free(line_jf);
	if (wrc < 0) {
		jail_config_error(&spec->origin, "jail: registry %s: %s", registry_root(), strerror(errno));
		return -1;
	}
	return 0;
}

/* The namespaces the jail gets. */
static uint64_t
clone_flags(const struct jail_spec *spec)
{
	uint64_t flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP;

	if (!spec->host_inherit)
		flags |= CLONE_NEWUTS;
	if (spec->sysvmsg != JAIL_MODE_INHERIT && spec->sysvsem != JAIL_MODE_INHERIT &&
	    spec->sysvshm != JAIL_MODE_INHERIT && !spec->allow_sysvipc)
		flags |= CLONE_NEWIPC;
	if (spec->vnet)
		flags |= CLONE_NEWNET;
	return flags;
}

/* Says why the init ended before "ready" without a word of its own. */
static void
report_silent_death(struct jail_run *r, pid_t pid)
{
	const struct jail_spec *spec = r->spec;
	int st;
	pid_t p;

	while ((p = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (p != pid)
		return;
	r->init_pid = 0;
	if (WIFSIGNALED(st))
		jail_config_error(&spec->origin, "jail: the jail's init was killed by signal %d before the jail was ready",
		                  WTERMSIG(st));
	else
		jail_config_error(&spec->origin, "jail: the jail's init exited with status %d before the jail was ready",
		                  jail_exit_code(st));
}

/* The monitor's side after clone(): cgroup and network of the init, its
 * pid in the registry, "go", and the jail's log until "ready". */
static int
start(struct jail_run *r, pid_t pid)
{
	const struct jail_spec *spec = r->spec;
	int rc;

	r->init_pid = pid;
	close(r->chan[1]);
	r->chan[1] = -1;
	if (r->init_pidfd < 0) {
		jail_config_error(&spec->origin, "jail: pidfd_open: %s", strerror(errno));
		return -1;
	}
	if ((r->late_cgroup && jail_cgroup_join(r->net.cgroup_path, pid) < 0) ||
	    jail_rctl_attach_init(spec, &r->rctl, pid) < 0 ||
	    jail_net_attach_init(spec, &r->net, pid) < 0)
		return -1;
	if (registry_set_init(&r->re, pid) < 0) {
		jail_config_error(&spec->origin, "jail: registry: init pid %d: %s", (int)pid, strerror(errno));
		return -1;
	}
	rc = jail_chan_send(r->chan[0], "go", -1) < 0 ? -2 : jail_monitor_wait_ready(r);
	if (rc == -2)
		report_silent_death(r, pid);
	return rc < 0 ? -1 : 0;
}

static int
linux_create(const struct jail_spec *spec, struct jail_result *res)
{
	static struct jail_run run;     /* the monitor's one jail */
	struct jail_run *r = &run;
	sigset_t set;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->spec = spec;
	r->path = spec->path ? spec->path : "/";
	r->lockfd = r->init_pidfd = r->master_pidfd = -1;
	r->chan[0] = r->chan[1] = -1;
	r->net.cgroup_fd = -1;
	r->rctl.oom_fd = r->rctl.oom_ctl_fd = -1;
	sigprocmask(SIG_SETMASK, NULL, &r->oldmask);

	if (reserve(r) < 0)
		return -1;
	if (jail_net_prepare(spec, r->re.name, &r->net) < 0) {
		r->net.cgroup_path[0] = '\0';
		goto fail;
	}
	if (spec->nrctl > 0) {
		struct rctl_hosts hosts;
		jail_rctl_discover(&hosts);
		if (jail_rctl_prepare(spec, r->re.name, &hosts, r->net.cgroup_path, &r->rctl) < 0)
			goto fail;
	}
	if (record(r) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->chan) < 0) {
		jail_config_error(&spec->origin, "jail: socketpair: %s", strerror(errno));
		goto fail;
	}
	/* signals wait (pending) until the master exists to receive them */
	jail_signal_set(&set, true);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = jail_monitor_clone(r, clone_flags(spec));
	if (pid < 0) {
		jail_config_error(&spec->origin, "jail: clone: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		if (jail_init_run(r) < 0)
			_exit(1);
		res->jid = r->re.jid;
		memcpy(res->name, r->re.name, sizeof(res->name));
		res->name[sizeof(res->name) - 1] = '\0';
		return 0;
	}
	if (start(r, pid) < 0)
		goto fail;
	/* init holds the registry lock from here on */
	close(r->lockfd);
	r->lockfd = -1;
	if (r->jidfile[0] && jail_monitor_write_jidfile(r) < 0)
		goto fail;
	jail_monitor_loop(r);

fail:
	jail_monitor_undo(r);
	return -1;
}

static const struct jail_backend linux_backend = {
	.name = "linux",
	.validate = linux_validate,
	.create_and_enter = linux_create,
	.attach = jail_linux_attach,
	.list = jail_linux_list,
	.remove = jail_linux_remove,
	.rctl_status = jail_rctl_status,
};

const struct jail_backend *
jail_backend(void)
{
	return &linux_backend;
}
