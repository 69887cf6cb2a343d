/* SPDX-License-Identifier: MIT */
/*
 * Linux jail networking: the BPF generator (every program must pass the
 * verifier), the shared-stack confinement seen from a jailed child, vnet
 * plumbing, cgroup lifecycle, Landlock scope. Root only (skipped otherwise).
 * Every test that touches a network first moves into its own network
 * namespace (Criterion forks one process per test) and uses only lo,
 * 127.x, 2001:db8::/32 on lo, and 198.18.0.0/15 on a veth it creates there.
 * cgroups are created under <cgroup2>/stockade/tjn<pid>* and removed.
 */
#include "jail/linux_bpf.h"
#include "jail/linux_net.h"
#include "jail/linux_netlink.h"
#include "base/log.h"

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static struct jail_net G[2];
static bool G_used[2];

static void
cleanup(void)
{
	for (int i = 0; i < 2; i++)
		if (G_used[i])
			jail_net_teardown(&G[i]);
}

TestSuite(jail_net, .fini = cleanup, .timeout = 60);

static void
need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (cgroup2, BPF, network namespaces)");
}

static void
netns_with_lo(void)
{
	struct rtnl nl;
	char err[256];

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	cr_assert_eq(rtnl_open(&nl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rtnl_link_up(&nl, (int)if_nametoindex("lo"), err, sizeof(err)), 0, "%s", err);
	rtnl_close(&nl);
}

static void
lo_add6(const char *addr)
{
	struct rtnl nl;
	struct in6_addr a;
	char err[256];

	cr_assert_eq(inet_pton(AF_INET6, addr, &a), 1);
	cr_assert_eq(rtnl_open(&nl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rtnl_addr_add(&nl, (int)if_nametoindex("lo"), AF_INET6, &a, 128,
				   RT_SCOPE_UNIVERSE, err, sizeof(err)), 0, "%s", err);
	rtnl_close(&nl);
}

static void
spec_init(struct jail_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->jid = -1;
	s->ip4_mode = JAIL_MODE_INHERIT;
	s->ip6_mode = JAIL_MODE_INHERIT;
	s->ip4_saddrsel = s->ip6_saddrsel = true;
}

static void
spec_add(struct jail_spec *s, const char *text, int prefix)
{
	struct jail_addr a;

	memset(&a, 0, sizeof(a));
	a.prefix = prefix;
	if (inet_pton(AF_INET, text, &a.u.v4) == 1) {
		a.family = AF_INET;
		s->ip4 = realloc(s->ip4, (s->nip4 + 1) * sizeof(a));
		s->ip4[s->nip4++] = a;
		s->ip4_mode = JAIL_MODE_NEW;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, text, &a.u.v6), 1, "bad test address %s", text);
		a.family = AF_INET6;
		s->ip6 = realloc(s->ip6, (s->nip6 + 1) * sizeof(a));
		s->ip6[s->nip6++] = a;
		s->ip6_mode = JAIL_MODE_NEW;
	}
}

static void
spec_clear(struct jail_spec *s)
{
	free(s->ip4);
	free(s->ip6);
	memset(s, 0, sizeof(*s));
}

static const char *
jname(const char *tag)
{
	static char buf[8][48];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, 48, "tjn%d%s", (int)getpid(), tag);
	return b;
}

static struct jail_net *
prepare(int slot, const struct jail_spec *spec, const char *tag)
{
	cr_assert_eq(jail_net_prepare(spec, jname(tag), &G[slot]), 0, "jail_net_prepare failed");
	G_used[slot] = true;
	return &G[slot];
}

/* "a.b.c.d:port" / "[v6]:port" of a socket's own or peer address */
static const char *
fmt_sa(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s", ip);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s", ip);
	} else {
		snprintf(buf, len, "af%d", ss->ss_family);
	}
	return buf;
}

static const char *
local_ip(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		snprintf(buf, len, "getsockname:%s", strerror(errno));
	else
		fmt_sa(&ss, buf, len);
	return buf;
}

static int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static socklen_t
mk_sa(const char *ip, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, ip, &s->sin6_addr) != 1)
			abort();
		return sizeof(*s);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, ip, &s->sin_addr) != 1)
			abort();
		return sizeof(*s);
	}
}

/* In the jailed child: bind a new socket of family/type to ip:port and
 * report "ok <local ip>" or the errno name. Keeps the socket open if
 * keep is not NULL. */
static const char *
try_bind(int family, int type, const char *ip, int port, int *keep, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(ip, port, &ss);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	char lip[64];

	if (fd < 0) {
		snprintf(buf, len, "socket:%s", strerror(errno));
		return buf;
	}
	if (family == AF_INET6 && ss.ss_family == AF_INET) {
		struct sockaddr_in6 m;      /* v4 text on a v6 socket: v4-mapped */
		memset(&m, 0, sizeof(m));
		m.sin6_family = AF_INET6;
		m.sin6_port = htons((uint16_t)port);
		m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m.sin6_addr.s6_addr[12], &((struct sockaddr_in *)&ss)->sin_addr, 4);
		memcpy(&ss, &m, sizeof(m));
		sl = sizeof(m);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		snprintf(buf, len, "bind:%s", strerror(errno));
		close(fd);
		return buf;
	}
	snprintf(buf, len, "ok %s", local_ip(fd, lip, sizeof(lip)));
	if (keep)
		*keep = fd;
	else
		close(fd);
	return buf;
}

static int
listen_on(const char *ip, int port, int type)
{
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(ip, port, &ss);
	int one = 1, fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sl), 0, "bind %s:%d: %s", ip, port, strerror(errno));
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 16), 0);
	return fd;
}

/* Connects with a timeout; 0 or an errno value (ETIMEDOUT when no answer). */
static int
connect_timeout(int fd, const char *ip, int port, int ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(ip, port, &ss);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL), e = 0;
	socklen_t el = sizeof(e);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		goto done;
	if (errno != EINPROGRESS)
		return errno;
	if (poll(&p, 1, ms) != 1)
		return ETIMEDOUT;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
	if (e)
		return e;
done:
	fcntl(fd, F_SETFL, fl);
	return 0;
}

static void
rep(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

/* Reads from fd until EOF or a line containing `until` (NULL: EOF). */
static void
read_report(int fd, char *out, size_t len, const char *until)
{
	size_t o = 0;

	out[0] = '\0';
	while (o + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		cr_assert_eq(poll(&p, 1, 10000), 1, "child report timed out; so far: %s", out);
		n = read(fd, out + o, len - 1 - o);
		if (n <= 0)
			break;
		o += (size_t)n;
		out[o] = '\0';
		if (until && strstr(out, until))
			break;
	}
}

typedef void jailed_fn(int report_fd, int ctl_fd, void *arg);

struct child {
	pid_t pid;
	int report;     /* parent reads */
	int ctl;        /* parent writes; EOF tells the child to finish */
};

/* The parent's ends of the live children's pipes: a new child closes
 * them, so that each child sees EOF on its ctl pipe when the parent closes
 * it (and not only when every later child has exited too). */
static int parent_ends[16];
static int nparent_ends;

/* Forks a child that joins the jail cgroup, then runs fn. */
static struct child
spawn_jailed(const struct jail_net *net, jailed_fn *fn, void *arg)
{
	int rp[2], cp[2];
	struct child c;

	cr_assert_eq(pipe2(rp, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(cp, O_CLOEXEC), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		close(rp[0]);
		close(cp[1]);
		for (int i = 0; i < nparent_ends; i++)
			close(parent_ends[i]);
		if (jail_cgroup_join(net->cgroup_path, getpid()) < 0) {
			rep(rp[1], "join failed");
			_exit(2);
		}
		fn(rp[1], cp[0], arg);
		_exit(0);
	}
	close(rp[1]);
	close(cp[0]);
	c.report = rp[0];
	c.ctl = cp[1];
	if (nparent_ends + 2 <= (int)(sizeof(parent_ends) / sizeof(parent_ends[0]))) {
		parent_ends[nparent_ends++] = c.report;
		parent_ends[nparent_ends++] = c.ctl;
	}
	return c;
}

static void
finish(struct child *c)
{
	int st;

	close(c->ctl);
	close(c->report);
	cr_assert_eq(waitpid(c->pid, &st, 0), c->pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "jailed child status %#x", st);
}

static void
wait_ctl(int ctl)
{
	char b;

	while (read(ctl, &b, 1) > 0)
		;
}

/* ---- the generator and the verifier -------------------------------------- */

/* One configuration of the matrix: loads every program the policy needs. */
static int
load_all(const struct jail_spec *spec, size_t *insns_total)
{
	struct jail_bpf_policy pol;
	char err[2048];
	int loaded = 0;

	cr_assert_eq(jail_bpf_policy_build(spec, &pol, err, sizeof(err)), 0, "%s", err);
	*insns_total = 0;
	for (int h = 0; h < JAIL_BPF_NHOOKS; h++) {
		struct bpf_insn *insns;
		size_t n = jail_bpf_generate(&pol, (enum jail_bpf_hook)h, &insns);
		int fd;

		if (!n)
			continue;
		fd = jail_bpf_load((enum jail_bpf_hook)h, insns, n, err, sizeof(err));
		free(insns);
		cr_assert_geq(fd, 0, "%s (ip4 %zu, ip6 %zu, raw %d): %s",
			      jail_bpf_hook_name((enum jail_bpf_hook)h), spec->nip4, spec->nip6,
			      spec->allow_raw_sockets, err);
		close(fd);
		*insns_total += n;
		loaded++;
	}
	return loaded;
}

Test(jail_net, verifier_accepts_every_generated_program)
{
	static const size_t counts[] = { 1, 2, 64 };
	static const enum jail_ns_mode other[] = { JAIL_MODE_INHERIT, JAIL_MODE_NEW, JAIL_MODE_DISABLE };
	int configs = 0, programs = 0;
	size_t total, one_addr_total = 0;

	need_root();
	for (int fam = 0; fam < 3; fam++) {             /* v4 only, v6 only, both */
		for (size_t ci = 0; ci < 3; ci++) {
			for (int raw = 0; raw < 2; raw++) {
				for (int sel = 0; sel < 2; sel++) {
					for (size_t oi = 0; oi < 3; oi++) {
						struct jail_spec s;
						char a[64];

						if (fam == 2 && oi)   /* both families listed: nothing to vary */
							continue;
						spec_init(&s);
						for (size_t i = 0; i < counts[ci]; i++) {
							if (fam != 1) {
								snprintf(a, sizeof(a), "127.0.%zu.%zu", 5 + i / 200, 1 + i % 200);
								spec_add(&s, a, i % 3 == 2 ? 20 : -1);
							}
							if (fam != 0) {
								snprintf(a, sizeof(a), "2001:db8:%zx::%zx", i, i + 1);
								spec_add(&s, a, i % 3 == 2 ? 56 : -1);
							}
						}
						/* the family without addresses: inherit, new (none), disable */
						if (fam == 0)
							s.ip6_mode = other[oi];
						else if (fam == 1)
							s.ip4_mode = other[oi];
						s.allow_raw_sockets = raw;
						s.ip4_saddrsel = s.ip6_saddrsel = sel;
						programs += load_all(&s, &total);
						if (fam == 0 && ci == 0 && !raw && sel && oi == 1)
							one_addr_total = total;
						configs++;
						spec_clear(&s);
					}
				}
			}
		}
	}
	/* Both families disabled, and nothing restricted but raw sockets. */
	{
		struct jail_spec s;

		spec_init(&s);
		s.ip4_mode = s.ip6_mode = JAIL_MODE_DISABLE;
		cr_assert_eq(load_all(&s, &total), 9);
		spec_init(&s);
		cr_assert_eq(load_all(&s, &total), 1);     /* sock_create only */
		s.allow_raw_sockets = true;
		cr_assert_eq(load_all(&s, &total), 0);
		configs += 3;
	}
	cr_log_info("verifier: %d configurations, %d programs loaded; one IPv4 address: %zu insns",
		    configs, programs, one_addr_total);
	cr_expect_lt(one_addr_total, 300);
}

Test(jail_net, verifier_refusal_reports_the_log)
{
	/* A bind4 program reading past the end of its context: refused. */
	struct bpf_insn bad[3];
	char err[2048];

	need_root();
	memset(bad, 0, sizeof(bad));
	bad[0].code = BPF_LDX | BPF_MEM | BPF_W;
	bad[0].dst_reg = BPF_REG_2;
	bad[0].src_reg = BPF_REG_1;
	bad[0].off = 1000;
	bad[1].code = BPF_ALU64 | BPF_MOV | BPF_K;
	bad[1].imm = 1;
	bad[2].code = BPF_JMP | BPF_EXIT;
	cr_assert_eq(jail_bpf_load(JAIL_BPF_BIND4, bad, 3, err, sizeof(err)), -1);
	cr_assert(strstr(err, "PROG_LOAD bind4"), "%s", err);
	cr_assert(strstr(err, "verifier:"), "%s", err);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(jail_net, too_many_addresses_is_an_error)
{
	struct jail_spec s;
	struct jail_bpf_policy pol;
	struct jail_net net;
	char err[256], a[32];

	spec_init(&s);
	for (int i = 0; i <= JAIL_BPF_MAX_ADDRS; i++) {
		snprintf(a, sizeof(a), "127.0.9.%d", i + 1);
		spec_add(&s, a, -1);
	}
	cr_assert_eq(jail_bpf_policy_build(&s, &pol, err, sizeof(err)), -1);
	cr_assert(strstr(err, "too many jail addresses"), "%s", err);
	cr_assert_eq(jail_net_prepare(&s, jname("many"), &net), -1);
	cr_assert_eq(net.cgroup_fd, -1);
	spec_clear(&s);
}

Test(jail_net, veth_names_fit_ifnamsiz)
{
	char n[16];

	jail_net_veth_name("web", n);
	cr_assert_str_eq(n, "vj-web");
	jail_net_veth_name("abcdefghijkl", n);            /* 12 chars: still plain */
	cr_assert_str_eq(n, "vj-abcdefghijkl");
	jail_net_veth_name("abcdefghijklm", n);           /* 13: hashed */
	cr_assert_eq(strlen(n), 15);
	cr_assert_eq(strncmp(n, "vj-", 3), 0);
	char m[16];
	jail_net_veth_name("abcdefghijkln", m);
	cr_assert_str_neq(n, m);
	jail_net_veth_name("a:b", n);                     /* not an ifname character */
	cr_assert_eq(strlen(n), 15);
}

Test(jail_net, finds_cgroup2)
{
	char root[4096], f[4200];
	struct stat st;

	cr_assert_eq(cgroup2_mountpoint(root, sizeof(root)), 0, "no cgroup2 mount on this machine");
	snprintf(f, sizeof(f), "%s/cgroup.controllers", root);
	cr_assert_eq(stat(f, &st), 0, "%s", f);
}

/* ---- shared stack, seen from a jailed child ------------------------------ */

static void
child_bind_rules(int out, int ctl, void *arg)
{
	char b[128];
	int raw;

	(void)ctl;
	(void)arg;
	rep(out, "own %s", try_bind(AF_INET, SOCK_STREAM, "127.0.5.1", 0, NULL, b, sizeof(b)));
	rep(out, "other %s", try_bind(AF_INET, SOCK_STREAM, "127.0.0.2", 0, NULL, b, sizeof(b)));
	rep(out, "any %s", try_bind(AF_INET, SOCK_STREAM, "0.0.0.0", 0, NULL, b, sizeof(b)));
	rep(out, "loop %s", try_bind(AF_INET, SOCK_DGRAM, "127.0.0.1", 0, NULL, b, sizeof(b)));
	rep(out, "v6sock %s", try_bind(AF_INET6, SOCK_STREAM, "::", 0, NULL, b, sizeof(b)));
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	rep(out, "raw %s", raw >= 0 ? "ok" : strerror(errno));
}

Test(jail_net, bind_is_confined_to_the_jail_address)
{
	struct jail_spec s;
	struct jail_net *net;
	struct child c;
	char out[2048];

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	s.ip6_mode = JAIL_MODE_NEW;                       /* no ip6 addresses: no IPv6 */
	net = prepare(0, &s, "b");
	cr_assert_neq(net->cgroup_path[0], '\0');
	cr_assert_geq(net->cgroup_fd, 0);
	c = spawn_jailed(net, child_bind_rules, NULL);
	read_report(c.report, out, sizeof(out), NULL);
	finish(&c);
	cr_expect(strstr(out, "own ok 127.0.5.1\n"), "%s", out);
	cr_expect(strstr(out, "other bind:Operation not permitted\n"), "%s", out);
	cr_expect(strstr(out, "any ok 127.0.5.1\n"), "%s", out);
	cr_expect(strstr(out, "loop ok 127.0.5.1\n"), "%s", out);
	cr_expect(strstr(out, "v6sock socket:Operation not permitted\n"), "%s", out);
	cr_expect(strstr(out, "raw Operation not permitted\n"), "%s", out);
	spec_clear(&s);
}

static void
child_raw_allowed(int out, int ctl, void *arg)
{
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	(void)ctl;
	(void)arg;
	rep(out, "raw %s", raw >= 0 ? "ok" : strerror(errno));
}

Test(jail_net, raw_sockets_with_allow_raw_sockets)
{
	struct jail_spec s;
	struct child c;
	char out[256];

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	s.allow_raw_sockets = true;
	c = spawn_jailed(prepare(0, &s, "r"), child_raw_allowed, NULL);
	read_report(c.report, out, sizeof(out), NULL);
	finish(&c);
	cr_expect(strstr(out, "raw ok\n"), "%s", out);
	spec_clear(&s);
}

struct conn_arg {
	const char *dst;
	int port;
};

static void
child_connect(int out, int ctl, void *arg)
{
	const struct conn_arg *a = arg;
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(a->dst, a->port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char b[64];

	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		rep(out, "connect %s", strerror(errno));
		return;
	}
	rep(out, "connected from %s", local_ip(fd, b, sizeof(b)));
	wait_ctl(ctl);
}

/* The jailed child connects to dst:port, where the parent (outside the
 * jail) listens on lip; returns the peer address the listener saw. */
static void
peer_of_jailed_connect(const struct jail_net *net, const char *lip, const char *dst, int port,
		       char *peer, size_t len, char *out, size_t outlen)
{
	struct conn_arg a = { dst, port };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int l = listen_on(lip, port, SOCK_STREAM), fd;
	struct child c = spawn_jailed(net, child_connect, &a);

	read_report(c.report, out, outlen, "\n");
	cr_assert(strstr(out, "connected"), "%s", out);
	fd = accept(l, (struct sockaddr *)&ss, &sl);
	cr_assert_geq(fd, 0);
	fmt_sa(&ss, peer, len);
	close(fd);
	close(l);
	finish(&c);
}

Test(jail_net, outgoing_connections_use_the_jail_address)
{
	struct jail_spec s;
	struct jail_net *net;
	char peer[64], out[256];

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	net = prepare(0, &s, "c");
	/* a host service on another loopback address sees the jail address */
	peer_of_jailed_connect(net, "127.0.0.7", "127.0.0.7", 7001, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "127.0.5.1", "%s", out);
	/* 127.0.0.1 inside the jail means the jail address */
	peer_of_jailed_connect(net, "127.0.5.1", "127.0.0.1", 7002, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "127.0.5.1", "%s", out);
	spec_clear(&s);
}

Test(jail_net, saddrsel_picks_the_address_in_the_destination_subnet)
{
	struct jail_spec s;
	struct jail_net *net;
	char peer[64], out[256];

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	spec_add(&s, "127.0.6.1", -1);
	net = prepare(0, &s, "s1");
	peer_of_jailed_connect(net, "127.0.6.9", "127.0.6.9", 7003, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "127.0.6.1", "%s", out);
	peer_of_jailed_connect(net, "127.0.0.7", "127.0.0.7", 7004, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "127.0.5.1", "primary outside every jail subnet: %s", out);

	s.ip4_saddrsel = false;                           /* nosaddrsel: always the primary */
	net = prepare(1, &s, "s2");
	peer_of_jailed_connect(net, "127.0.6.9", "127.0.6.9", 7005, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "127.0.5.1", "%s", out);
	spec_clear(&s);
}

static void
child_udp(int out, int ctl, void *arg)
{
	const struct conn_arg *a = arg;
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(a->dst, a->port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	(void)ctl;
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, sl) != 1)
		rep(out, "sendto %s", strerror(errno));
	else
		rep(out, "sent");
	close(fd);
}

static void
udp_source(const struct jail_net *net, const char *lip, const char *dst, int port, char *src,
	   size_t len)
{
	struct conn_arg a = { dst, port };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pollfd p;
	int u = listen_on(lip, port, SOCK_DGRAM);
	struct child c = spawn_jailed(net, child_udp, &a);
	char out[256], b;

	read_report(c.report, out, sizeof(out), NULL);
	finish(&c);
	cr_assert(strstr(out, "sent"), "%s", out);
	p.fd = u;
	p.events = POLLIN;
	cr_assert_eq(poll(&p, 1, 2000), 1, "no datagram");
	cr_assert_eq(recvfrom(u, &b, 1, 0, (struct sockaddr *)&ss, &sl), 1);
	fmt_sa(&ss, src, len);
	close(u);
}

Test(jail_net, udp_sendto_uses_the_jail_address)
{
	struct jail_spec s;
	char src[64];

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	udp_source(prepare(0, &s, "u"), "127.0.0.7", "127.0.0.7", 7100, src, sizeof(src));
	cr_expect_str_eq(src, "127.0.5.1");
	spec_clear(&s);
}

static void
child_autobind_listener(int out, int ctl, void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	char b[64];

	(void)arg;
	if (listen(fd, 8) < 0) {                /* no bind(): autobind to 0.0.0.0:port */
		rep(out, "listen %s", strerror(errno));
		return;
	}
	rep(out, "port %d %s", local_port(fd), local_ip(fd, b, sizeof(b)));
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		if (write(c, "J", 1) != 1)
			break;
		close(c);
	}
	(void)ctl;
}

Test(jail_net, autobound_listener_is_reachable_only_on_the_jail_address)
{
	struct jail_spec s;
	struct child c;
	char out[256], ip[64], b;
	int port = 0, fd;

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	c = spawn_jailed(prepare(0, &s, "a"), child_autobind_listener, NULL);
	read_report(c.report, out, sizeof(out), "\n");
	cr_assert_eq(sscanf(out, "port %d %63s", &port, ip), 2, "%s", out);
	cr_expect_str_eq(ip, "0.0.0.0", "listen() autobinds to the wildcard, bypassing bind4");
	/* the ingress filter drops SYNs to any other local address */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_expect_eq(connect_timeout(fd, "127.0.0.1", port, 400), ETIMEDOUT);
	close(fd);
	/* the jail address works */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect_timeout(fd, "127.0.5.1", port, 2000), 0);
	cr_expect_eq(read(fd, &b, 1), 1);
	cr_expect_eq(b, 'J');
	close(fd);
	kill(c.pid, SIGKILL);
	close(c.ctl);
	close(c.report);
	waitpid(c.pid, NULL, 0);
	spec_clear(&s);
}

static void
child_udp_autobound(int out, int ctl, void *arg)
{
	const struct conn_arg *a = arg;
	struct sockaddr_storage ss;
	socklen_t sl = mk_sa(a->dst, a->port, &ss);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char got[16] = "", b;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	(void)ctl;
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, sl) != 1) {   /* autobinds to 0.0.0.0 */
		rep(out, "sendto %s", strerror(errno));
		return;
	}
	rep(out, "port %d", local_port(fd));
	while (poll(&p, 1, 700) == 1 && recv(fd, &b, 1, 0) == 1 && strlen(got) < sizeof(got) - 1)
		strncat(got, &b, 1);
	rep(out, "got [%s]", got);
}

Test(jail_net, autobound_udp_socket_receives_only_on_the_jail_address)
{
	struct jail_spec s;
	struct conn_arg a = { "127.0.0.7", 7110 };
	struct sockaddr_storage ss;
	socklen_t sl;
	struct child c;
	char out[256];
	int u, port = 0;

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	u = listen_on("127.0.0.7", 7110, SOCK_DGRAM);
	c = spawn_jailed(prepare(0, &s, "ua"), child_udp_autobound, &a);
	read_report(c.report, out, sizeof(out), "\n");
	cr_assert_eq(sscanf(out, "port %d", &port), 1, "%s", out);
	/* only the ingress filter stands between these and the socket */
	sl = mk_sa("127.0.0.1", port, &ss);
	cr_assert_eq(sendto(u, "A", 1, 0, (struct sockaddr *)&ss, sl), 1);
	sl = mk_sa("127.0.5.1", port, &ss);
	cr_assert_eq(sendto(u, "B", 1, 0, (struct sockaddr *)&ss, sl), 1);
	read_report(c.report, out, sizeof(out), "got");
	finish(&c);
	cr_expect(strstr(out, "got [B]"), "%s", out);
	close(u);
	spec_clear(&s);
}

static void
child_server_any(int out, int ctl, void *arg)
{
	int fd = -1, cfd;
	char b[128];
	const char *r = try_bind(AF_INET, SOCK_STREAM, "0.0.0.0", 7200, &fd, b, sizeof(b));

	/* listening before the report: the parent connects as soon as it reads it */
	if (fd >= 0 && listen(fd, 8) < 0) {
		snprintf(b, sizeof(b), "listen:%s", strerror(errno));
		fd = -1;
	}
	rep(out, "%s %s", (const char *)arg, r);
	if (fd < 0)
		return;
	cfd = accept(fd, NULL, NULL);
	if (cfd >= 0) {
		if (write(cfd, arg, strlen(arg)) < 0)
			_exit(4);
		close(cfd);
	}
	wait_ctl(ctl);
}

static void
read_banner(const char *ip, int port, char *buf, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	cr_assert_eq(connect_timeout(fd, ip, port, 2000), 0, "connect %s:%d", ip, port);
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

Test(jail_net, two_jails_share_a_port_on_their_own_addresses)
{
	struct jail_spec s1, s2;
	struct child c1, c2;
	char out1[256], out2[256], b[64];

	need_root();
	netns_with_lo();
	spec_init(&s1);
	spec_add(&s1, "127.0.5.1", -1);
	spec_init(&s2);
	spec_add(&s2, "127.0.6.1", -1);
	c1 = spawn_jailed(prepare(0, &s1, "j1"), child_server_any, "one");
	read_report(c1.report, out1, sizeof(out1), "\n");
	c2 = spawn_jailed(prepare(1, &s2, "j2"), child_server_any, "two");
	read_report(c2.report, out2, sizeof(out2), "\n");
	cr_assert(strstr(out1, "one ok 127.0.5.1"), "%s", out1);
	cr_assert(strstr(out2, "two ok 127.0.6.1"), "%s", out2);
	read_banner("127.0.5.1", 7200, b, sizeof(b));
	cr_expect_str_eq(b, "one");
	read_banner("127.0.6.1", 7200, b, sizeof(b));
	cr_expect_str_eq(b, "two");
	finish(&c1);
	finish(&c2);
	spec_clear(&s1);
	spec_clear(&s2);
}

static void
child_v6_rules(int out, int ctl, void *arg)
{
	char b[128];

	(void)ctl;
	(void)arg;
	rep(out, "own %s", try_bind(AF_INET6, SOCK_STREAM, "2001:db8::5", 0, NULL, b, sizeof(b)));
	rep(out, "other %s", try_bind(AF_INET6, SOCK_STREAM, "2001:db8::6", 0, NULL, b, sizeof(b)));
	rep(out, "any %s", try_bind(AF_INET6, SOCK_STREAM, "::", 0, NULL, b, sizeof(b)));
	rep(out, "loop %s", try_bind(AF_INET6, SOCK_DGRAM, "::1", 0, NULL, b, sizeof(b)));
	rep(out, "mapped-other %s", try_bind(AF_INET6, SOCK_STREAM, "127.0.0.2", 0, NULL, b, sizeof(b)));
	rep(out, "mapped-own %s", try_bind(AF_INET6, SOCK_STREAM, "127.0.5.1", 0, NULL, b, sizeof(b)));
	rep(out, "mapped-any %s", try_bind(AF_INET6, SOCK_STREAM, "0.0.0.0", 0, NULL, b, sizeof(b)));
}

Test(jail_net, ipv6_and_v4_mapped_follow_the_same_rules)
{
	struct jail_spec s;
	struct jail_net *net;
	struct child c;
	char out[1024], peer[64];

	need_root();
	netns_with_lo();
	lo_add6("2001:db8::5");
	lo_add6("2001:db8::6");
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	spec_add(&s, "2001:db8::5", -1);
	net = prepare(0, &s, "6");
	c = spawn_jailed(net, child_v6_rules, NULL);
	read_report(c.report, out, sizeof(out), NULL);
	finish(&c);
	cr_expect(strstr(out, "own ok 2001:db8::5\n"), "%s", out);
	cr_expect(strstr(out, "other bind:Operation not permitted\n"), "%s", out);
	cr_expect(strstr(out, "any ok 2001:db8::5\n"), "%s", out);
	cr_expect(strstr(out, "loop ok 2001:db8::5\n"), "%s", out);
	cr_expect(strstr(out, "mapped-other bind:Operation not permitted\n"), "%s", out);
	cr_expect(strstr(out, "mapped-own ok ::ffff:127.0.5.1\n"), "%s", out);
	cr_expect(strstr(out, "mapped-any ok ::ffff:127.0.5.1\n"), "%s", out);

	peer_of_jailed_connect(net, "2001:db8::6", "2001:db8::6", 7300, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "2001:db8::5", "%s", out);
	peer_of_jailed_connect(net, "2001:db8::5", "::1", 7301, peer, sizeof(peer), out, sizeof(out));
	cr_expect_str_eq(peer, "2001:db8::5", "::1 means the jail address: %s", out);
	udp_source(net, "2001:db8::6", "2001:db8::6", 7302, peer, sizeof(peer));
	cr_expect_str_eq(peer, "2001:db8::5");
	spec_clear(&s);
}

static void
child_v4_disabled(int out, int ctl, void *arg)
{
	char b[128];

	(void)ctl;
	(void)arg;
	rep(out, "v4 %s", try_bind(AF_INET, SOCK_STREAM, "127.0.0.1", 0, NULL, b, sizeof(b)));
	rep(out, "v6 %s", try_bind(AF_INET6, SOCK_STREAM, "::1", 0, NULL, b, sizeof(b)));
	rep(out, "mapped %s", try_bind(AF_INET6, SOCK_STREAM, "127.0.0.1", 0, NULL, b, sizeof(b)));
}

Test(jail_net, ip4_disable_denies_ipv4_only)
{
	struct jail_spec s;
	struct child c;
	char out[512];

	need_root();
	netns_with_lo();
	spec_init(&s);
	s.ip4_mode = JAIL_MODE_DISABLE;
	c = spawn_jailed(prepare(0, &s, "d"), child_v4_disabled, NULL);
	read_report(c.report, out, sizeof(out), NULL);
	finish(&c);
	cr_expect(strstr(out, "v4 socket:Operation not permitted\n"), "%s", out);
	cr_expect(strstr(out, "v6 ok ::1\n"), "%s", out);
	cr_expect(strstr(out, "mapped bind:Operation not permitted\n"), "%s", out);
	spec_clear(&s);
}

/* ---- Landlock ----------------------------------------------------------- */

static void
child_abstract(int out, int ctl, void *arg)
{
	const struct jail_spec *s = arg;
	struct sockaddr_un sa;
	socklen_t sl;
	int fd;

	(void)ctl;
	if (jail_net_inside(s) < 0) {
		rep(out, "inside failed");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "stockade-tjn-%d", (int)getppid());
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rep(out, "abstract %s", connect(fd, (struct sockaddr *)&sa, sl) == 0 ? "ok" : strerror(errno));
}

Test(jail_net, landlock_scopes_abstract_unix_sockets)
{
	struct jail_spec s;
	struct sockaddr_un sa;
	struct child c;
	socklen_t sl;
	char out[256];
	int l, abi;

	need_root();
	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);
	if (abi < 6)
		cr_skip_test("Landlock ABI %d < 6", abi);
	netns_with_lo();
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "stockade-tjn-%d", (int)getpid());
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1));
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sl), 0);
	cr_assert_eq(listen(l, 4), 0);
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	c = spawn_jailed(prepare(0, &s, "l"), child_abstract, &s);
	read_report(c.report, out, sizeof(out), NULL);
	finish(&c);
	cr_expect(strstr(out, "abstract Operation not permitted\n"), "%s", out);
	close(l);
	spec_clear(&s);
}

/* ---- cgroup lifecycle ---------------------------------------------------- */

static void
child_sleep(int out, int ctl, void *arg)
{
	(void)arg;
	rep(out, "in");
	wait_ctl(ctl);
	pause();
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

Test(jail_net, teardown_kills_and_removes_the_cgroup_and_is_idempotent)
{
	struct jail_spec s;
	struct jail_net *net;
	struct child c;
	char out[64], path[4096];
	int st;

	need_root();
	spec_init(&s);
	net = prepare(0, &s, "t");
	snprintf(path, sizeof(path), "%s", net->cgroup_path);
	cr_assert(exists(path), "%s", path);
	c = spawn_jailed(net, child_sleep, NULL);
	read_report(c.report, out, sizeof(out), "in");
	jail_net_teardown(net);                           /* a process is still inside */
	cr_expect_not(exists(path), "%s still there", path);
	cr_expect_eq(waitpid(c.pid, &st, 0), c.pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	cr_expect_eq(net->cgroup_fd, -1);
	jail_net_teardown(net);                           /* twice: harmless */
	close(c.ctl);
	close(c.report);
	spec_clear(&s);
}

Test(jail_net, stale_cgroups_are_collected_and_live_ones_kept)
{
	struct jail_spec s;
	struct jail_net other;
	char root[4096], stale[4200];

	need_root();
	cr_assert_eq(cgroup2_mountpoint(root, sizeof(root)), 0);
	spec_init(&s);
	prepare(0, &s, "live");
	/* a leftover of a monitor that died: empty and unlocked */
	snprintf(stale, sizeof(stale), "%s/stockade/%s", root, jname("stale"));
	cr_assert_eq(mkdir(stale, 0755), 0, "%s: %s", stale, strerror(errno));
	prepare(1, &s, "new");
	cr_expect_not(exists(stale), "stale cgroup %s not collected", stale);
	cr_expect(exists(G[0].cgroup_path), "live cgroup collected");
	/* the same name again while the first owner lives: refused */
	cr_expect_eq(jail_net_prepare(&s, jname("live"), &other), -1);
	cr_expect(exists(G[0].cgroup_path));
	spec_clear(&s);
}

static void
capture_log_begin(int p[2])
{
	cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_set_file(p[1]);
}

static void
capture_log_end(int p[2], char *buf, size_t len)
{
	ssize_t n;

	log_set_file(2);
	close(p[1]);
	n = read(p[0], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

Test(jail_net, without_cgroup2_confinement_is_an_error)
{
	struct jail_spec s;
	struct jail_net net;
	char root[4096], logbuf[1024];
	int p[2];

	need_root();
	cr_assert_eq(cgroup2_mountpoint(root, sizeof(root)), 0);
	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(umount2(root, MNT_DETACH), 0, "umount %s: %s", root, strerror(errno));
	cr_assert_eq(cgroup2_mountpoint(root, sizeof(root)), -1);

	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);
	capture_log_begin(p);
	cr_expect_eq(jail_net_prepare(&s, jname("n"), &net), -1);
	capture_log_end(p, logbuf, sizeof(logbuf));
	cr_expect(strstr(logbuf, "cgroup2 unavailable: cannot confine jail addresses"), "%s", logbuf);
	spec_clear(&s);

	spec_init(&s);                                    /* nothing to confine: a warning */
	capture_log_begin(p);
	cr_expect_eq(jail_net_prepare(&s, jname("n"), &net), 0);
	capture_log_end(p, logbuf, sizeof(logbuf));
	cr_expect_str_eq(net.cgroup_path, "");
	cr_expect_eq(net.cgroup_fd, -1);
	cr_expect(strstr(logbuf, "warning"), "%s", logbuf);
	jail_net_teardown(&net);
}

Test(jail_net, warns_about_jail_addresses_missing_on_the_host)
{
	struct jail_spec s;
	char logbuf[1024];
	int p[2];

	need_root();
	netns_with_lo();
	spec_init(&s);
	spec_add(&s, "127.0.5.1", -1);                   /* on lo: fine */
	spec_add(&s, "198.18.5.5", -1);                  /* nowhere in this netns */
	capture_log_begin(p);
	prepare(0, &s, "w");
	capture_log_end(p, logbuf, sizeof(logbuf));
	cr_expect(strstr(logbuf, "warning: address 198.18.5.5 is not configured on this host"),
		  "%s", logbuf);
	cr_expect_null(strstr(logbuf, "127.0.5.1 is not"), "%s", logbuf);
	spec_clear(&s);
}

/* ---- vnet ---------------------------------------------------------------- */

struct vnet_child_arg {
	const struct jail_spec *spec;
	int ready, go;          /* child writes ready, reads go */
};

static void
vnet_child(int out, int ctl, void *arg)
{
	struct vnet_child_arg *a = arg;
	struct if_nameindex *ifs, *i;
	char list[256] = "", b;
	int l, c;

	if (unshare(CLONE_NEWNET) < 0) {
		rep(out, "unshare %s", strerror(errno));
		return;
	}
	if (write(a->ready, "r", 1) != 1 || read(a->go, &b, 1) != 1)
		return;
	if (jail_net_inside(a->spec) < 0) {
		rep(out, "inside failed");
		return;
	}
	ifs = if_nameindex();
	for (i = ifs; i && i->if_index; i++) {
		strncat(list, i->if_name, sizeof(list) - strlen(list) - 2);
		strcat(list, ",");
	}
	if_freenameindex(ifs);
	l = listen_on("::", 8080, SOCK_STREAM);           /* dual stack: both jail addresses */
	rep(out, "ifs %s listening", list);
	for (int k = 0; k < 2; k++) {
		c = accept(l, NULL, NULL);
		if (c >= 0 && write(c, "vnet", 4) != 4)
			_exit(5);
		if (c >= 0)
			close(c);
	}
	wait_ctl(ctl);
}

static void
vnet_fetch(const char *ip)
{
	char b[8];
	ssize_t n;
	int fd = socket(strchr(ip, ':') ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(connect_timeout(fd, ip, 8080, 3000), 0, "connect to %s through the veth", ip);
	n = read(fd, b, sizeof(b) - 1);
	b[n > 0 ? n : 0] = '\0';
	cr_expect_str_eq(b, "vnet", "from %s", ip);
	close(fd);
}

Test(jail_net, vnet_jail_is_reachable_through_its_veth)
{
	struct jail_spec s;
	struct jail_net *net;
	struct vnet_child_arg a;
	struct child c;
	struct rtnl nl;
	struct in_addr host;
	char out[512], err[256], b[8], veth[16], logbuf[512];
	int rp[2], gp[2], lp[2];

	need_root();
	netns_with_lo();
	/* the "host" address of this test netns, used as the client's source */
	cr_assert_eq(rtnl_open(&nl, err, sizeof(err)), 0, "%s", err);
	inet_pton(AF_INET, "198.18.0.1", &host);
	cr_assert_eq(rtnl_addr_add(&nl, (int)if_nametoindex("lo"), AF_INET, &host, 32,
				   RT_SCOPE_UNIVERSE, err, sizeof(err)), 0, "%s", err);
	rtnl_close(&nl);
	lo_add6("2001:db8:18::1");

	spec_init(&s);
	s.vnet = true;
	spec_add(&s, "198.18.0.2", -1);
	spec_add(&s, "2001:db8:18::2", -1);
	net = prepare(0, &s, "v");
	snprintf(veth, sizeof(veth), "%s", net->veth_host);
	cr_assert_eq(strncmp(veth, "vj-", 3), 0, "%s", veth);

	cr_assert_eq(pipe2(rp, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(gp, O_CLOEXEC), 0);
	a.spec = &s;
	a.ready = rp[1];
	a.go = gp[0];
	c = spawn_jailed(net, vnet_child, &a);
	close(rp[1]);
	close(gp[0]);
	cr_assert_eq(read(rp[0], b, 1), 1, "child did not make its netns");
	capture_log_begin(lp);
	cr_assert_eq(jail_net_attach_init(&s, net, c.pid), 0);
	capture_log_end(lp, logbuf, sizeof(logbuf));
	cr_log_info("%s", logbuf);
	cr_expect(strstr(logbuf, "vnet: veth ") && strstr(logbuf, " up in ") && strstr(logbuf, " ms"),
		  "%s", logbuf);
	cr_assert_neq(if_nametoindex(veth), 0);
	cr_assert_eq(write(gp[1], "g", 1), 1);
	read_report(c.report, out, sizeof(out), "listening");
	cr_expect(strstr(out, "ifs lo,eth0, listening"), "the jail sees only lo and eth0: %s", out);

	vnet_fetch("198.18.0.2");
	vnet_fetch("2001:db8:18::2");

	/* the jail's last process exits: its netns and the veth pair go with it */
	close(gp[1]);
	close(rp[0]);
	finish(&c);
	for (int i = 0; i < 200 && if_nametoindex(veth) != 0; i++)
		usleep(10000);
	cr_expect_eq(if_nametoindex(veth), 0, "%s still exists", veth);
	jail_net_teardown(net);
	cr_expect_eq(net->veth_host[0], '\0');
	spec_clear(&s);
}
