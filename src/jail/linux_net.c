/* SPDX-License-Identifier: MIT */
/*
 * Linux jail networking glue: the per-jail cgroup v2 (with stale-cgroup
 * collection), the shared-stack BPF confinement (linux_bpf.c), the vnet
 * veth plumbing (linux_netlink.c) and the Landlock abstract-unix scope.
 * It never touches interfaces other than the jail's own veth pair.
 */
#include "jail/linux_net.h"
#include "jail/linux_bpf.h"
#include "jail/linux_netlink.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The jail-side gateway: the host side of every vnet veth carries these
 * link-local addresses (the same on each veth, as CNI's ptp plugin does), so
 * no per-jail host address has to be allocated. */
#define VNET_GW4 "169.254.0.1"
#define VNET_GW6 "fe80::1"

/* Landlock ABI 6 (Linux 6.12), absent from the 6.1 uapi headers. */
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
struct landlock_ruleset_attr_v6 {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* ------------------------------------------------------------------------ */
/* cgroup2 */

/* Undoes mountinfo's octal escapes (\040 for a space, ...) in place. */
static void
unescape_mountinfo(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

int
cgroup2_mountpoint(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int found = -1;

	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *fields[5], *sep, *save = NULL, *fstype, *p;
		int i;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		fstype = strtok_r(sep + 3, " \n", &save);
		if (!fstype || strcmp(fstype, "cgroup2") != 0)
			continue;
		save = NULL;
		for (i = 0, p = line; i < 5; i++, p = NULL) {
			fields[i] = strtok_r(p, " ", &save);
			if (!fields[i])
				break;
		}
		if (i < 5)
			continue;
		unescape_mountinfo(fields[4]);
		if (strlen(fields[4]) >= len)
			continue;
		snprintf(buf, len, "%s", fields[4]);
		found = 0;
		break;
	}
	free(line);
	fclose(f);
	return found;
}

int
jail_cgroup_join(const char *cgroup_path, pid_t pid)
{
	char path[PATH_MAX + 16], num[32];
	int fd, n;
	ssize_t w;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_path) >= (int)sizeof(path)) {
		log_msg("jail cgroup path too long: %s", cgroup_path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		log_errno("open(%s)", path);
		return -1;
	}
	n = snprintf(num, sizeof(num), "%d\n", (int)pid);
	w = write_full(fd, num, (size_t)n) < 0 ? -1 : n;
	if (w != n) {
		log_errno("moving pid %d into cgroup %s", (int)pid, cgroup_path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* True when the cgroup (directory fd) has live processes; unreadable
 * cgroup.events counts as populated, so nothing is removed by mistake. */
static bool
cgroup_populated(int dfd)
{
	char buf[256];
	ssize_t n;
	int fd = openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	char *p;

	if (fd < 0)
		return true;
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return !p || p[10] != '0';
}

/*
 * Removes stockade/<x> cgroups left by jails whose monitor died: no live
 * process, and nobody holds the owner's flock (a monitor keeps its cgroup
 * fd locked from prepare until teardown, which covers the moment between
 * mkdir and clone3 when the cgroup is legitimately empty).
 */
static void
collect_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && !cgroup_populated(fd) &&
		    unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0)
			log_msg("jail: removed stale cgroup %s/%s", parent, de->d_name);
		close(fd);
	}
	closedir(d);
}

static bool
cgroup_name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strncmp(name, "cgroup.", 7) != 0 && strlen(name) < NAME_MAX;
}

/*
 * Creates <root>/stockade/<name> fresh (an unused leftover of the same name
 * is removed first, taking its BPF programs with it) and returns its
 * directory fd, locked. -1 after one line when the name is taken (a live
 * jail or another instance), -2 after one line when cgroup2 is not usable.
 */
static int
cgroup_create(const char *root, const char *name, char *path, size_t pathlen)
{
	char parent[PATH_MAX];

	if (snprintf(parent, sizeof(parent), "%s/stockade", root) >= (int)sizeof(parent) ||
	    snprintf(path, pathlen, "%s/%s", parent, name) >= (int)pathlen) {
		log_msg("jail %s: cgroup path too long", name);
		return -1;
	}
	if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
		log_errno("jail %s: mkdir(%s)", name, parent);
		return -2;
	}
	collect_stale(parent);
	for (int attempt = 0; attempt < 20; attempt++) {
		bool fresh;
		int fd;

		fresh = mkdir(path, 0755) == 0;
		if (!fresh && errno != EEXIST) {
			log_errno("jail %s: mkdir(%s)", name, path);
			return -2;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)    /* collected under our feet: again */
				continue;
			log_errno("jail %s: open(%s)", name, path);
			return -2;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			log_msg("jail %s: cgroup %s is in use by another stockade instance", name, path);
			close(fd);
			return -1;
		}
		if (faccessat(fd, "cgroup.procs", F_OK, 0) < 0) {
			close(fd);              /* removed between mkdir and flock: again */
			continue;
		}
		if (fresh)
			return fd;
		if (cgroup_populated(fd)) {
			log_msg("jail %s: cgroup %s still has processes (is a jail with this name "
				"running?)", name, path);
			close(fd);
			return -1;
		}
		/* An unused leftover may carry old programs: remove it and start over. */
		if (rmdir(path) < 0 && errno != ENOENT) {
			log_errno("jail %s: rmdir(%s)", name, path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	log_msg("jail %s: could not create cgroup %s (raced with another instance)", name, path);
	return -1;
}

/* SIGKILLs every process of the cgroup: cgroup.kill (5.14+, also catches
 * processes forking meanwhile), else the pids listed in cgroup.procs. */
static void
cgroup_kill_all(const char *path)
{
	char file[PATH_MAX + 32];
	FILE *f;
	int fd, pid;

	snprintf(file, sizeof(file), "%s/cgroup.kill", path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write_full(fd, "1", 1) < 0)
			log_errno("write(%s)", file);
		close(fd);
		return;
	}
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0)
			kill(pid, SIGKILL);
	fclose(f);
}

/* Kills what is left in the cgroup and removes it, retrying for about 2 s
 * while the killed processes exit. 0 or -1 (errno from rmdir). */
static int
cgroup_remove(const char *path)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 200; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		if (i % 50 == 0)
			cgroup_kill_all(path);
		nanosleep(&ts, NULL);
	}
	errno = EBUSY;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Shared stack */

static void
addr_str(const struct jail_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, &a->u, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* FreeBSD fails binds to an address the host lacks; warn at start instead
 * of leaving the first bind inside the jail to say it. The monitor is not in
 * the jail cgroup, so this probe is not confined. */
static void
warn_unconfigured(const char *name, const struct jail_addr *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct jail_addr *a = &addrs[i];
		struct sockaddr_storage ss;
		socklen_t sl;
		char str[INET6_ADDRSTRLEN];
		int fd, rc;

		memset(&ss, 0, sizeof(ss));
		if (a->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			sin->sin_family = AF_INET;
			sin->sin_addr = a->u.v4;
			sl = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = a->u.v6;
			sl = sizeof(*sin6);
		}
		fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		rc = bind(fd, (struct sockaddr *)&ss, sl);
		if (rc < 0 && errno == EADDRNOTAVAIL) {
			addr_str(a, str, sizeof(str));
			log_msg("jail %s: warning: address %s is not configured on this host, binds to it "
				"will fail (add it before the jail starts, e.g. exec-pre-jail = ip addr add "
				"%s/%s dev eth0)", name, str, str, a->family == AF_INET ? "24" : "64");
		}
		close(fd);
	}
}

static void
net_init(struct jail_net *net)
{
	memset(net, 0, sizeof(*net));
	net->cgroup_fd = -1;
}

void
jail_net_veth_name(const char *name, char out[16])
{
	size_t len = strlen(name);
	bool plain = len > 0 && len <= 12;
	uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '-' && c != '_')
			plain = false;
		h = (h ^ c) * 0x100000001b3ULL;
	}
	if (plain)
		snprintf(out, 16, "vj-%s", name);
	else
		snprintf(out, 16, "vj-%012llx", (unsigned long long)(h & 0xffffffffffffULL));
}

int
jail_net_prepare(const struct jail_spec *spec, const char *name, struct jail_net *net)
{
	struct jail_bpf_policy pol;
	char root[PATH_MAX], err[2048];
	bool confine;
	int fd, n;

	net_init(net);
	if (!cgroup_name_ok(name)) {
		log_msg("jail: bad jail name for a cgroup: \"%s\"", name ? name : "");
		return -1;
	}
	if (spec->vnet)
		jail_net_veth_name(name, net->veth_host);
	if (jail_bpf_policy_build(spec, &pol, err, sizeof(err)) < 0) {
		log_msg("jail %s: %s", name, err);
		return -1;
	}
	/* ip4/ip6 = new (listed addresses, or none: no such family) can only be
	 * enforced by BPF in the shared stack; "disable" is seccomp's job too. */
	confine = !spec->vnet && (spec->ip4_mode == JAIL_MODE_NEW || spec->ip6_mode == JAIL_MODE_NEW);

	if (cgroup2_mountpoint(root, sizeof(root)) < 0) {
		if (confine) {
			log_msg("jail %s: cgroup2 unavailable: cannot confine jail addresses", name);
			return -1;
		}
		log_msg("jail %s: warning: cgroup2 unavailable, the jail gets no cgroup", name);
		return 0;
	}
	fd = cgroup_create(root, name, net->cgroup_path, sizeof(net->cgroup_path));
	if (fd < 0) {
		net->cgroup_path[0] = '\0';
		if (fd == -1)
			return -1;
		if (confine) {
			log_msg("jail %s: cgroup2 unavailable: cannot confine jail addresses", name);
			return -1;
		}
		log_msg("jail %s: warning: continuing without a cgroup", name);
		return 0;
	}
	net->cgroup_fd = fd;
	if (spec->vnet)
		return 0;

	n = jail_bpf_install(&pol, fd, err, sizeof(err));
	if (n < 0) {
		if (confine) {
			log_msg("jail %s: BPF refused: %s", name, err);
			jail_net_teardown(net);
			return -1;
		}
		log_msg("jail %s: warning: BPF refused (raw sockets stay limited by capabilities "
			"only): %s", name, err);
		return 0;
	}
	if (confine) {
		warn_unconfigured(name, spec->ip4, pol.mode4 == JAIL_BPF_LIST ? spec->nip4 : 0);
		warn_unconfigured(name, spec->ip6, pol.mode6 == JAIL_BPF_LIST ? spec->nip6 : 0);
		log_msg("jail %s: addresses confined by %d BPF programs on %s", name, n,
			net->cgroup_path);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* vnet */

/*
 * Host side of a vnet jail: one RTM_NEWLINK makes the veth pair with the
 * peer "eth0" born in the jail's netns; the host end gets the link-local
 * gateway addresses, goes up, and routes each jail address (/32, /128)
 * through it. The routes have universe scope so that host-originated
 * connections to the jail pick a real host address as their source.
 */
int
jail_net_attach_init(const struct jail_spec *spec, struct jail_net *net, pid_t init_pid)
{
	struct rtnl nl;
	int64_t t0;
	struct in_addr gw4;
	struct in6_addr gw6;
	char err[512];
	int idx;

	if (!spec->vnet)
		return 0;
	if (!net->veth_host[0]) {
		log_msg("vnet: no interface name (jail_net_prepare was not called)");
		return -1;
	}
	t0 = clock_us();
	if (rtnl_open(&nl, err, sizeof(err)) < 0) {
		log_msg("vnet: %s", err);
		return -1;
	}
	if (rtnl_veth_create(&nl, net->veth_host, "eth0", init_pid, err, sizeof(err)) < 0) {
		if (errno == EEXIST)
			log_msg("vnet: interface %s already exists (another jail with this name?)",
				net->veth_host);
		else
			log_msg("vnet: %s", err);
		rtnl_close(&nl);
		net->veth_host[0] = '\0';
		return -1;
	}
	idx = (int)if_nametoindex(net->veth_host);
	if (idx == 0) {
		snprintf(err, sizeof(err), "%s vanished after creation", net->veth_host);
		goto fail;
	}
	inet_pton(AF_INET, VNET_GW4, &gw4);
	inet_pton(AF_INET6, VNET_GW6, &gw6);
	if (spec->nip4 && rtnl_addr_add(&nl, idx, AF_INET, &gw4, 32, RT_SCOPE_LINK, err, sizeof(err)) < 0)
		goto fail;
	if (spec->nip6 && rtnl_addr_add(&nl, idx, AF_INET6, &gw6, 64, RT_SCOPE_LINK, err, sizeof(err)) < 0)
		goto fail;
	if (rtnl_link_up(&nl, idx, err, sizeof(err)) < 0)
		goto fail;
	for (size_t i = 0; i < spec->nip4; i++)
		if (rtnl_route_add(&nl, AF_INET, &spec->ip4[i].u.v4, 32, NULL, idx, RT_SCOPE_UNIVERSE,
				   err, sizeof(err)) < 0)
			goto fail;
	for (size_t i = 0; i < spec->nip6; i++)
		if (rtnl_route_add(&nl, AF_INET6, &spec->ip6[i].u.v6, 128, NULL, idx, RT_SCOPE_UNIVERSE,
				   err, sizeof(err)) < 0)
			goto fail;
	rtnl_close(&nl);
	log_msg("vnet: veth %s up in %.1f ms", net->veth_host, (double)(clock_us() - t0) / 1e3);
	return 0;
fail:
	log_msg("vnet: %s: %s", net->veth_host, err);
	(void)rtnl_link_del(&nl, net->veth_host, NULL, 0);
	rtnl_close(&nl);
	net->veth_host[0] = '\0';
	return -1;
}

/*
 * Waits (up to about 2 s) until the interface is operationally up. The
 * kernel turns the veth's carrier on at once but may batch the operstate
 * change for up to a second (when both ends have the same ifindex in their
 * namespaces), and IPv6 ignores the link until then: neighbour solicitations
 * for the jail's addresses would go unanswered. IPv4 does not wait for it.
 */
static void
wait_running(const char *ifname)
{
	struct ifreq ifr;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	for (int i = 0; i < 400; i++) {
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_RUNNING))
			break;
		nanosleep(&ts, NULL);
	}
	if (!(ifr.ifr_flags & IFF_RUNNING))
		log_msg("vnet: warning: %s is not running yet (IPv6 may need a moment)", ifname);
	close(fd);
}

/* Jail side of vnet: lo up, the jail addresses on eth0 (their given prefix,
 * else /32 and /128), eth0 up, default routes via the host end's link-local
 * gateway (onlink, so no connected route is needed). */
static int
vnet_inside(const struct jail_spec *spec)
{
	struct rtnl nl;
	struct in_addr gw4;
	struct in6_addr gw6;
	char err[512];
	int lo, eth;

	if (rtnl_open(&nl, err, sizeof(err)) < 0)
		goto fail_open;
	lo = (int)if_nametoindex("lo");
	if (lo == 0 || rtnl_link_up(&nl, lo, err, sizeof(err)) < 0) {
		if (lo == 0)
			snprintf(err, sizeof(err), "no lo interface");
		goto fail;
	}
	eth = (int)if_nametoindex("eth0");
	if (eth == 0) {
		snprintf(err, sizeof(err), "no eth0 in the jail (the host side was not created)");
		goto fail;
	}
	for (size_t i = 0; i < spec->nip4; i++) {
		const struct jail_addr *a = &spec->ip4[i];
		if (rtnl_addr_add(&nl, eth, AF_INET, &a->u.v4, a->prefix >= 0 ? a->prefix : 32,
				  RT_SCOPE_UNIVERSE, err, sizeof(err)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < spec->nip6; i++) {
		const struct jail_addr *a = &spec->ip6[i];
		if (rtnl_addr_add(&nl, eth, AF_INET6, &a->u.v6, a->prefix >= 0 ? a->prefix : 128,
				  RT_SCOPE_UNIVERSE, err, sizeof(err)) < 0)
			goto fail;
	}
	if (rtnl_link_up(&nl, eth, err, sizeof(err)) < 0)
		goto fail;
	if (spec->nip6)
		wait_running("eth0");
	inet_pton(AF_INET, VNET_GW4, &gw4);
	inet_pton(AF_INET6, VNET_GW6, &gw6);
	if (spec->nip4 && rtnl_route_add(&nl, AF_INET, NULL, 0, &gw4, eth, RT_SCOPE_UNIVERSE, err,
					 sizeof(err)) < 0)
		goto fail;
	if (spec->nip6 && rtnl_route_add(&nl, AF_INET6, NULL, 0, &gw6, eth, RT_SCOPE_UNIVERSE, err,
					 sizeof(err)) < 0)
		goto fail;
	rtnl_close(&nl);
	return 0;
fail:
	rtnl_close(&nl);
fail_open:
	log_msg("vnet: inside the jail: %s", err);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Landlock */

/*
 * Shared stack: abstract AF_UNIX sockets live in the (host's) netns, so a
 * jail could reach another tenant's @socket. Landlock ABI 6 scopes them to
 * the jail's domain. Needs no_new_privs (set here; it is idempotent and the
 * restriction code sets it anyway).
 */
static int
landlock_scope_abstract_unix(void)
{
	struct landlock_ruleset_attr_v6 attr;
	long abi;
	int fd;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 6) {
		static bool warned;
		if (!warned)
			log_msg("jail: warning: %s%ld: abstract unix sockets are shared with the host "
				"and other shared-stack jails; use vnet to isolate them",
				abi < 0 ? "Landlock unavailable, errno " : "Landlock ABI ",
				abi < 0 ? (long)errno : abi);
		warned = true;
		return 0;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_errno("jail: prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0) {
		log_errno("jail: landlock_create_ruleset(scope abstract unix)");
		return -1;
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		log_errno("jail: landlock_restrict_self");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
jail_net_inside(const struct jail_spec *spec)
{
	if (spec->vnet)
		return vnet_inside(spec);
	return landlock_scope_abstract_unix();
}

/* ------------------------------------------------------------------------ */
/* Teardown */

void
jail_net_teardown(struct jail_net *net)
{
	if (net->cgroup_path[0]) {
		if (cgroup_remove(net->cgroup_path) < 0)
			log_errno("jail: cannot remove cgroup %s", net->cgroup_path);
		net->cgroup_path[0] = '\0';
	}
	/* Normally gone with the jail's netns already; still held by a leftover
	 * process otherwise. Deleting one end removes both. */
	if (net->veth_host[0]) {
		struct rtnl nl;
		char err[256];

		if (rtnl_open(&nl, err, sizeof(err)) == 0) {
			if (rtnl_link_del(&nl, net->veth_host, err, sizeof(err)) < 0)
				log_msg("vnet: %s", err);
			rtnl_close(&nl);
		}
		net->veth_host[0] = '\0';
	}
	if (net->cgroup_fd >= 0) {
		close(net->cgroup_fd);
		net->cgroup_fd = -1;
	}
}
