/* SPDX-License-Identifier: MIT */
/*
 * Privileges of jailed root on Linux: the capability set per allow.* and
 * securelevel (pure, any user), validation, and the restriction applied to
 * a real process (root only: a child forked by each test, see run_child()).
 * Anything that would touch the host if the restriction failed runs in a
 * namespace made beforehand.
 */
#include "jail/linux_restrict.h"

#include "base/log.h"
#include "base/util.h"

#include <criterion/criterion.h>

#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/securebits.h>

#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIT(c) (UINT64_C(1) << (c))
#define DEFAULT_CAPS UINT64_C(0xa00405fb)
#define NEVER_CAPS                                                           \
	(BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_ADMIN) | BIT(CAP_BPF) |                \
	 BIT(CAP_SYS_PTRACE) | BIT(CAP_SYS_MODULE) | BIT(CAP_SYS_RAWIO) |        \
	 BIT(CAP_MKNOD))

/* FreeBSD defaults, with the Linux ones where they differ (params.h). */
static struct jail_spec
spec_default(void)
{
	struct jail_spec s;

	memset(&s, 0, sizeof(s));
	s.create = true;
	s.path = "/";
	s.jid = -1;
	s.ip4_mode = JAIL_MODE_INHERIT;
	s.ip6_mode = JAIL_MODE_INHERIT;
	s.ip4_saddrsel = s.ip6_saddrsel = true;
	s.sysvmsg = s.sysvsem = s.sysvshm = JAIL_MODE_NEW;
	s.enforce_statfs = 2;
	s.devfs_ruleset = 4;
	s.securelevel = -1;
	s.children_max = 0;
	s.allow_reserved_ports = true;
	s.allow_suser = true;
	s.origin = (struct origin){ "test.ini", 3 };
	return s;
}

/* ---- jail_caps_for: pure ------------------------------------------------- */

Test(caps_for, default_set)
{
	struct jail_spec s = spec_default();

	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS, "%llx",
	    (unsigned long long)jail_caps_for(&s));
	cr_assert_eq(DEFAULT_CAPS,
	    BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) |
	    BIT(CAP_FSETID) | BIT(CAP_KILL) | BIT(CAP_SETGID) | BIT(CAP_SETUID) |
	    BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_CHROOT) |
	    BIT(CAP_AUDIT_WRITE) | BIT(CAP_SETFCAP));
}

Test(caps_for, allow_raw_sockets)
{
	struct jail_spec s = spec_default();

	s.allow_raw_sockets = true;
	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS | BIT(CAP_NET_RAW));
}

Test(caps_for, allow_chflags)
{
	struct jail_spec s = spec_default();

	s.allow_chflags = true;
	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS | BIT(CAP_LINUX_IMMUTABLE));
}

Test(caps_for, allow_mlock)
{
	struct jail_spec s = spec_default();

	s.allow_mlock = true;
	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS | BIT(CAP_IPC_LOCK));
}

Test(caps_for, allow_settime)
{
	struct jail_spec s = spec_default();

	s.allow_settime = true;
	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS | BIT(CAP_SYS_TIME));
}

Test(caps_for, no_reserved_ports)
{
	struct jail_spec s = spec_default();

	s.allow_reserved_ports = false;
	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS & ~BIT(CAP_NET_BIND_SERVICE));
}

Test(caps_for, no_suser_is_empty)
{
	struct jail_spec s = spec_default();

	s.allow_suser = false;
	cr_assert_eq(jail_caps_for(&s), 0);
	s.allow_raw_sockets = s.allow_chflags = s.allow_mlock = s.allow_settime = true;
	cr_assert_eq(jail_caps_for(&s), 0);
}

Test(caps_for, unmapped_allows_change_nothing)
{
	struct jail_spec s = spec_default();

	s.allow_set_hostname = s.allow_mount = s.allow_routing = true;
	s.allow_socket_af = s.allow_unprivileged_proc_debug = s.allow_sysvipc = true;
	s.children_max = 10;
	cr_assert_eq(jail_caps_for(&s), DEFAULT_CAPS);
}

Test(caps_for, securelevel)
{
	struct jail_spec s = spec_default();
	uint64_t all = DEFAULT_CAPS | BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_SYS_TIME) |
	    BIT(CAP_NET_RAW) | BIT(CAP_IPC_LOCK);

	s.allow_chflags = s.allow_settime = s.allow_raw_sockets = s.allow_mlock = true;
	s.securelevel = -1;
	cr_assert_eq(jail_caps_for(&s), all);
	s.securelevel = 0;
	cr_assert_eq(jail_caps_for(&s), all);
	s.securelevel = 1;
	cr_assert_eq(jail_caps_for(&s), all & ~BIT(CAP_LINUX_IMMUTABLE));
	s.securelevel = 2;
	cr_assert_eq(jail_caps_for(&s),
	    all & ~(BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_SYS_TIME)));
	s.securelevel = 3;
	cr_assert_eq(jail_caps_for(&s),
	    all & ~(BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_SYS_TIME)));
	s.allow_suser = false;
	cr_assert_eq(jail_caps_for(&s), 0);
}

Test(caps_for, never_host_wide)
{
	for (unsigned m = 0; m < (1u << 12); m++) {
		struct jail_spec s = spec_default();

		s.allow_raw_sockets = m & 1;
		s.allow_chflags = m & 2;
		s.allow_set_hostname = m & 4;
		s.allow_socket_af = m & 8;
		s.allow_mlock = m & 16;
		s.allow_reserved_ports = m & 32;
		s.allow_suser = m & 64;
		s.allow_settime = m & 128;
		s.allow_unprivileged_proc_debug = m & 256;
		s.allow_routing = m & 512;
		s.allow_mount = m & 1024;
		s.securelevel = (m & 2048) ? 3 : -1;
		cr_assert_eq(jail_caps_for(&s) & NEVER_CAPS, 0, "mask %x", m);
		cr_assert_eq(jail_caps_for(&s) & ~(DEFAULT_CAPS | BIT(CAP_NET_RAW) |
		    BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_IPC_LOCK) | BIT(CAP_SYS_TIME)),
		    0, "mask %x", m);
	}
}

/* ---- validation ------------------------------------------------------------ */

static char *
capture_log(int (*fn)(void *), void *arg, int *rc)
{
	char path[] = "/tmp/stockade-jr-XXXXXX";
	int fd = mkstemp(path);
	int old = log_fd();
	size_t len;
	char *text;

	cr_assert_geq(fd, 0);
	unlink(path);
	log_set_file(fd);
	*rc = fn(arg);
	log_set_file(old);
	lseek(fd, 0, SEEK_SET);
	text = xmalloc(4096);
	len = (size_t)read(fd, text, 4095);
	text[len] = '\0';
	close(fd);
	return text;
}

static int
call_validate(void *arg)
{
	return jail_restrict_validate(arg);
}

Test(validate, default_ok)
{
	struct jail_spec s = spec_default();

	cr_assert_eq(jail_restrict_validate(&s), 0);
	cr_assert_eq(jail_restrict_validate_ids(&s, "www", "www"), 0);
	s.allow_suser = false;
	cr_assert_eq(jail_restrict_validate(&s), 0);
	cr_assert_eq(jail_restrict_validate_ids(&s, NULL, NULL), 0);
}

Test(validate, mount_refused_at_its_line)
{
	struct jail_spec s = spec_default();
	struct jail_param p[4] = {
		{ "host.hostname", "x", { "a.ini", 4 } },
		{ "allow.mount.tmpfs", "1", { "a.ini", 7 } },
		{ "allow.mountain", "1", { "a.ini", 8 } },
		{ "allow.mount.devfs", "0", { "a.ini", 9 } },
	};
	char *out;
	int rc;

	s.params = p;
	s.nparams = 4;
	s.allow_mount = true;
	out = capture_log(call_validate, &s, &rc);
	cr_assert_eq(rc, -1);
	cr_assert(strncmp(out, "a.ini:7: jail: allow.mount ", 27) == 0, "%s", out);
	cr_assert(strstr(out, "CAP_SYS_ADMIN") != NULL, "%s", out);
	free(out);
}

Test(validate, routing_refused)
{
	struct jail_spec s = spec_default();
	char *out;
	int rc;

	s.allow_routing = true;
	out = capture_log(call_validate, &s, &rc);
	cr_assert_eq(rc, -1);
	cr_assert(strncmp(out, "test.ini:3: jail: allow.routing", 31) == 0, "%s", out);
	free(out);
}

static int
call_validate_uid(void *arg)
{
	return jail_restrict_validate_ids(arg, "65534", NULL);
}

static int
call_validate_gid(void *arg)
{
	return jail_restrict_validate_ids(arg, NULL, "nogroup");
}

Test(validate, no_suser_with_uid_refused)
{
	struct jail_spec s = spec_default();
	char *out;
	int rc;

	s.allow_suser = false;
	out = capture_log(call_validate_uid, &s, &rc);
	cr_assert_eq(rc, -1);
	cr_assert(strstr(out, "allow.suser=0") != NULL, "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
	free(out);
	out = capture_log(call_validate_gid, &s, &rc);
	cr_assert_eq(rc, -1);
	free(out);
}

/* ---- applied to a process (root) --------------------------------------------
 *
 * Capabilities are per thread and the Criterion worker has a helper thread,
 * so jail_linux_restrict() refuses to run in it. Each body runs in a forked
 * (single-threaded) child; CHECK() failures and skips travel back through a
 * pipe and the parent turns them into Criterion results.
 */

#define CHILD_SKIP 77

static int report_fd = -1;

__attribute__((format(printf, 3, 4), noreturn)) static void
child_exit(int code, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (write(report_fd, msg, strlen(msg)) < 0)
		_exit(3);
	_exit(code);
}

#define CHECK(cond, ...)                                                     \
	do {                                                                     \
		if (!(cond))                                                         \
			child_exit(1, __LINE__, __VA_ARGS__);                            \
	} while (0)
#define SKIP(msg) child_exit(CHILD_SKIP, __LINE__, "%s", msg)

#define CHECK_ERRNO(expr, err)                                               \
	do {                                                                     \
		errno = 0;                                                           \
		long r_ = (long)(expr);                                              \
		int e_ = errno;                                                      \
		CHECK(r_ == -1 && e_ == (err), "%s: r=%ld errno=%s, expected %s",    \
		    #expr, r_, strerror(e_), strerror(err));                         \
	} while (0)

#define CHECK_OK(expr)                                                       \
	do {                                                                     \
		errno = 0;                                                           \
		long r_ = (long)(expr);                                              \
		CHECK(r_ >= 0, "%s: %s", #expr, strerror(errno));                    \
	} while (0)

static void
run_child(void (*body)(void))
{
	char msg[600];
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		report_fd = pfd[1];
		body();
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SKIP)
		cr_skip_test("%s", msg);
	cr_assert(WIFEXITED(status), "child killed by signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "%s", msg);
}

/* Test(restrict, name) whose body runs in the child. */
#define JAILED_TEST(name)                                                    \
	static void name##_body(void);                                           \
	Test(restrict, name) { run_child(name##_body); }                         \
	static void name##_body(void)

static void
apply(const struct jail_spec *s)
{
	CHECK(jail_linux_restrict(s) == 0, "jail_linux_restrict failed");
}

static uint64_t
status_value(const char *key, int base)
{
	size_t len, klen = strlen(key);
	char *st = read_file("/proc/self/status", &len);
	uint64_t v = UINT64_MAX;

	CHECK(st != NULL, "/proc/self/status: %s", strerror(errno));
	for (char *p = st; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			v = strtoull(p + klen + 1, NULL, base);
			break;
		}
	}
	free(st);
	CHECK(v != UINT64_MAX, "no %s in /proc/self/status", key);
	return v;
}

#define CHECK_STATUS(key, base, want)                                        \
	do {                                                                     \
		uint64_t got_ = status_value(key, base);                             \
		CHECK(got_ == (want), "%s is %llx, expected %llx", key,              \
		    (unsigned long long)got_, (unsigned long long)(want));           \
	} while (0)

JAILED_TEST(default_status)
{
	struct jail_spec s = spec_default();

	apply(&s);
	CHECK_STATUS("CapEff", 16, DEFAULT_CAPS);
	CHECK_STATUS("CapPrm", 16, DEFAULT_CAPS);
	CHECK_STATUS("CapInh", 16, 0);	/* nothing handed across exec */
	CHECK_STATUS("CapBnd", 16, DEFAULT_CAPS);
	CHECK_STATUS("CapAmb", 16, 0);
	CHECK_STATUS("NoNewPrivs", 10, 1);
	CHECK_STATUS("Seccomp", 10, 2);
	CHECK(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) == 0, "securebits set");
}

static void *
idle_thread(void *arg)
{
	pause();
	return arg;
}

JAILED_TEST(refuses_threads)
{
	struct jail_spec s = spec_default();
	pthread_t t;

	CHECK(pthread_create(&t, NULL, idle_thread, NULL) == 0, "pthread_create");
	log_set_file(open("/dev/null", O_WRONLY));   /* the expected error */
	CHECK(jail_linux_restrict(&s) == -1, "restricted a 2-thread process");
	CHECK_STATUS("NoNewPrivs", 10, 0);
	CHECK_STATUS("Seccomp", 10, 0);
}

JAILED_TEST(mount_denied)
{
	struct jail_spec s = spec_default();
	char dir[] = "/tmp/stockade-jr-XXXXXX";

	/* a private mount namespace, in case the filter let it through */
	CHECK_OK(unshare(CLONE_NEWNS));
	CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	apply(&s);
	CHECK_ERRNO(mount("none", dir, "tmpfs", 0, NULL), EPERM);
	rmdir(dir);
	CHECK_ERRNO(umount2("/proc", MNT_DETACH), EPERM);
	CHECK_ERRNO(syscall(SYS_pivot_root, ".", "."), EPERM);
	CHECK_ERRNO(syscall(SYS_fsopen, "tmpfs", 0), EPERM);
	CHECK_ERRNO(syscall(SYS_open_tree, AT_FDCWD, "/", 0), EPERM);
	CHECK_ERRNO(syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, NULL, 0), EPERM);
}

JAILED_TEST(no_new_namespaces)
{
	struct jail_spec s = spec_default();
	long r;

	apply(&s);
	CHECK_ERRNO(unshare(CLONE_NEWUSER), EPERM);
	CHECK_ERRNO(unshare(CLONE_NEWNS), EPERM);
	CHECK_ERRNO(unshare(CLONE_NEWNET), EPERM);
	CHECK_ERRNO(unshare(CLONE_NEWPID), EPERM);
	CHECK_ERRNO(unshare(0x80 /* CLONE_NEWTIME */), EPERM);
	CHECK_ERRNO(setns(0, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
	errno = 0;
	r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	CHECK(r == -1 && errno == EPERM, "clone(CLONE_NEWUSER): %ld %s", r,
	    strerror(errno));
	/* namespace-free unshare flags still work */
	CHECK_OK(unshare(CLONE_FS | CLONE_FILES));
}

static void *
thread_main(void *arg)
{
	return arg;
}

JAILED_TEST(fork_and_threads_still_work)
{
	struct jail_spec s = spec_default();
	pthread_t t;
	void *ret = NULL;
	int status;
	pid_t pid;

	apply(&s);
	/* glibc tries clone3 first, gets ENOSYS, falls back to clone */
	CHECK(pthread_create(&t, NULL, thread_main, &s) == 0, "pthread_create");
	CHECK(pthread_join(t, &ret) == 0 && ret == &s, "pthread_join");
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(7);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status %x", status);
}

JAILED_TEST(children_max_allows_namespaces)
{
	struct jail_spec s = spec_default();
	int status;
	pid_t pid;

	/* Can this kernel make a user namespace at all? */
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		SKIP("no user namespaces here");

	s.children_max = 1;
	apply(&s);
	errno = 0;
	CHECK(!(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS), "clone3 filtered");
	CHECK_OK(unshare(CLONE_NEWUSER));
}

JAILED_TEST(socket_families)
{
	struct jail_spec s = spec_default();
	int fd, sv[2];

	apply(&s);
	CHECK_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_BLUETOOTH, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_ALG, SOCK_SEQPACKET, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socketpair(AF_PACKET, SOCK_DGRAM, 0, sv), EAFNOSUPPORT);
	CHECK_OK(fd = socket(AF_UNIX, SOCK_STREAM, 0));
	close(fd);
	CHECK_OK(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	close(fd);
	CHECK_OK(fd = socket(AF_NETLINK, SOCK_RAW, 0));
	close(fd);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[0]);
	close(sv[1]);
}

JAILED_TEST(socket_af_allowed)
{
	struct jail_spec s = spec_default();

	s.allow_socket_af = true;
	apply(&s);
	/* through the filter, then refused for lack of CAP_NET_RAW */
	CHECK_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
}

JAILED_TEST(raw_socket_denied)
{
	struct jail_spec s = spec_default();

	apply(&s);
	CHECK_ERRNO(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
}

JAILED_TEST(raw_socket_allowed)
{
	struct jail_spec s = spec_default();
	int fd;

	s.allow_raw_sockets = true;
	apply(&s);
	CHECK_STATUS("CapEff", 16, DEFAULT_CAPS | BIT(CAP_NET_RAW));
	CHECK_OK(fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	close(fd);
}

static bool
have_inet6(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

JAILED_TEST(ip4_disabled)
{
	struct jail_spec s = spec_default();
	bool v6 = have_inet6();
	int fd, sv[2];

	s.ip4_mode = JAIL_MODE_DISABLE;
	apply(&s);
	CHECK_ERRNO(socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), EAFNOSUPPORT);
	CHECK_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	CHECK_OK(fd = socket(AF_UNIX, SOCK_DGRAM, 0));
	close(fd);
	if (v6) {
		CHECK_OK(fd = socket(AF_INET6, SOCK_STREAM, 0));
		close(fd);
	}
	CHECK_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
}

JAILED_TEST(ip6_disabled_socket_af_allowed)
{
	struct jail_spec s = spec_default();
	int fd;

	s.ip6_mode = JAIL_MODE_DISABLE;
	s.allow_socket_af = true;
	apply(&s);
	CHECK_ERRNO(socket(AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_OK(fd = socket(AF_INET, SOCK_STREAM, 0));
	close(fd);
	CHECK_OK(fd = socket(AF_UNIX, SOCK_STREAM, 0));
	close(fd);
	CHECK_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
}

JAILED_TEST(both_ip_disabled)
{
	struct jail_spec s = spec_default();
	int fd;

	s.ip4_mode = s.ip6_mode = JAIL_MODE_DISABLE;
	apply(&s);
	CHECK_ERRNO(socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	CHECK_OK(fd = socket(AF_NETLINK, SOCK_RAW, 0));
	close(fd);
	CHECK_OK(fd = socket(AF_UNIX, SOCK_STREAM, 0));
	close(fd);
}

JAILED_TEST(sysvshm_disabled)
{
	struct jail_spec s = spec_default();
	int id;

	/* a private IPC namespace: the objects below are not the host's */
	CHECK_OK(unshare(CLONE_NEWIPC));
	s.sysvshm = JAIL_MODE_DISABLE;
	apply(&s);
	CHECK_ERRNO(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), ENOSYS);
	CHECK_ERRNO(shmat(0, NULL, 0), ENOSYS);
	CHECK_ERRNO(shmdt((void *)4096), ENOSYS);
	CHECK_ERRNO(shmctl(0, IPC_STAT, NULL), ENOSYS);
	CHECK_OK(id = msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	CHECK_OK(id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

JAILED_TEST(sysv_all_disabled)
{
	struct jail_spec s = spec_default();
	struct sembuf op = { 0, 1, 0 };
	long msg[2] = { 1, 0 };

	CHECK_OK(unshare(CLONE_NEWIPC));
	s.sysvmsg = s.sysvsem = s.sysvshm = JAIL_MODE_DISABLE;
	apply(&s);
	CHECK_ERRNO(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSYS);
	CHECK_ERRNO(msgsnd(0, msg, sizeof(long), 0), ENOSYS);
	CHECK_ERRNO(msgrcv(0, msg, sizeof(long), 0, IPC_NOWAIT), ENOSYS);
	CHECK_ERRNO(msgctl(0, IPC_STAT, NULL), ENOSYS);
	CHECK_ERRNO(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600), ENOSYS);
	CHECK_ERRNO(semop(0, &op, 1), ENOSYS);
	CHECK_ERRNO(semtimedop(0, &op, 1, NULL), ENOSYS);
	CHECK_ERRNO(semctl(0, 0, IPC_RMID), ENOSYS);
	CHECK_ERRNO(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), ENOSYS);
}

JAILED_TEST(proc_debug_denied)
{
	struct jail_spec s = spec_default();
	char src[8] = "abc", dst[8] = "";
	struct iovec l = { dst, 4 }, r = { src, 4 };

	apply(&s);
	CHECK_ERRNO(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	CHECK_ERRNO(process_vm_readv(getpid(), &l, 1, &r, 1, 0), EPERM);
	CHECK_ERRNO(process_vm_writev(getpid(), &l, 1, &r, 1, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_pidfd_getfd, 0, 0, 0), EPERM);
}

JAILED_TEST(proc_debug_allowed)
{
	struct jail_spec s = spec_default();
	char src[8] = "abc", dst[8] = "";
	struct iovec l = { dst, 4 }, r = { src, 4 };

	s.allow_unprivileged_proc_debug = true;
	apply(&s);
	CHECK(process_vm_readv(getpid(), &l, 1, &r, 1, 0) == 4, "process_vm_readv: %s",
	    strerror(errno));
	CHECK(strcmp(dst, "abc") == 0, "read %s", dst);
}

JAILED_TEST(mknod_denied)
{
	struct jail_spec s = spec_default();
	char dir[] = "/tmp/stockade-jr-XXXXXX", path[64];

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/null", dir);
	apply(&s);
	errno = 0;
	int r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
	int e = errno;
	if (r == 0)
		unlink(path);
	rmdir(dir);
	CHECK(r == -1 && e == EPERM, "mknod: %d %s", r, strerror(e));
}

JAILED_TEST(sethostname_denied)
{
	struct jail_spec s = spec_default();

	/* a private UTS namespace, in case it got through */
	CHECK_OK(unshare(CLONE_NEWUTS));
	apply(&s);
	CHECK_ERRNO(sethostname("jailed", 6), EPERM);
}

JAILED_TEST(host_wide_syscalls_denied)
{
	struct jail_spec s = spec_default();

	apply(&s);
	CHECK_ERRNO(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
	    KEY_SPEC_SESSION_KEYRING, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_add_key, "user", "k", "v", 1,
	    KEY_SPEC_PROCESS_KEYRING), EPERM);
	CHECK_ERRNO(syscall(SYS_request_key, "user", "k", NULL, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	CHECK_ERRNO(syscall(SYS_finit_module, -1, "", 0), EPERM);
	CHECK_ERRNO(syscall(SYS_delete_module, "x", 0), EPERM);
	CHECK_ERRNO(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_kexec_file_load, -1, -1, 0, "", 0), EPERM);
	CHECK_ERRNO(syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_userfaultfd, 0), EPERM);
	CHECK_ERRNO(syscall(SYS_swapon, "/nonexistent", 0), EPERM);
	CHECK_ERRNO(syscall(SYS_swapoff, "/nonexistent"), EPERM);
}

JAILED_TEST(io_uring_denied)
{
	struct jail_spec s = spec_default();
	char params[120];               /* struct io_uring_params */
	int ring;

	/* the control: a ring can be made here before the restriction */
	memset(params, 0, sizeof(params));
	ring = (int)syscall(SYS_io_uring_setup, 1, params);
	CHECK(ring >= 0, "io_uring_setup before the jail: %s", strerror(errno));
	close(ring);
	apply(&s);
	memset(params, 0, sizeof(params));
	CHECK_ERRNO(syscall(SYS_io_uring_setup, 1, params), ENOSYS);
	CHECK_ERRNO(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0), ENOSYS);
	CHECK_ERRNO(syscall(SYS_io_uring_register, -1, 0, NULL, 0), ENOSYS);
}

JAILED_TEST(uid_drop_still_works)
{
	struct jail_spec s = spec_default();
	uid_t r, e, sv;

	apply(&s);
	CHECK_OK(setgroups(0, NULL));
	CHECK_OK(setresgid(65534, 65534, 65534));
	CHECK_OK(setresuid(65534, 65534, 65534));
	CHECK(getresuid(&r, &e, &sv) == 0 && r == 65534 && e == 65534 && sv == 65534,
	    "uids %u %u %u", r, e, sv);
	CHECK(getegid() == 65534 && getgid() == 65534, "gid");
	CHECK_STATUS("CapEff", 16, 0);
	CHECK_STATUS("CapPrm", 16, 0);
	/* and no way back */
	CHECK_ERRNO(setresuid(0, 0, 0), EPERM);
}

JAILED_TEST(no_suser)
{
	struct jail_spec s = spec_default();
	int bits;

	s.allow_suser = false;
	apply(&s);
	CHECK_STATUS("CapEff", 16, 0);
	CHECK_STATUS("CapPrm", 16, 0);
	CHECK_STATUS("CapBnd", 16, 0);
	CHECK(getuid() == 0, "uid %u", getuid());
	bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	CHECK((bits & (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED)) ==
	    (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED), "securebits %x", bits);
	CHECK_ERRNO(setresuid(65534, 65534, 65534), EPERM);
	CHECK_ERRNO(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM);
	CHECK_ERRNO(chown("/", 1, 1), EPERM);
}

JAILED_TEST(securelevel_applied)
{
	struct jail_spec s = spec_default();
	struct timespec ts;

	s.allow_settime = s.allow_chflags = true;
	s.securelevel = 2;
	apply(&s);
	CHECK_STATUS("CapEff", 16, DEFAULT_CAPS);
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &ts));
	CHECK_ERRNO(clock_settime(CLOCK_REALTIME, &ts), EPERM);
}

JAILED_TEST(x32_abi_refused)
{
#if defined(__x86_64__)
	struct jail_spec s = spec_default();

	apply(&s);
	CHECK_ERRNO(syscall(0x40000000L | SYS_getpid), ENOSYS);
#else
	SKIP("x86_64 only");
#endif
}

#if defined(__x86_64__)
static long
int80_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80"
	    : "=a"(ret)
	    : "a"(20L /* i386 getpid */)
	    : "memory", "r8", "r9", "r10", "r11");
	return ret;
}
#endif

JAILED_TEST(foreign_arch_killed)
{
#if defined(__x86_64__)
	struct jail_spec s = spec_default();
	int status;
	pid_t pid;

	/* Does this kernel run i386 syscalls at all? */
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(int80_getpid() > 0 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		SKIP("no IA32 emulation");

	apply(&s);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int80_getpid();
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %x", status);
#else
	SKIP("x86_64 only");
#endif
}
