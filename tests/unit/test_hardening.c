/* SPDX-License-Identifier: MIT */
/*
 * Hardening (issue 12): atomic file replacement, read/write helpers that
 * survive signals and short counts, unix socket files never wider than
 * asked and never chmod-ed through a symlink. Files only in a private
 * temp dir.
 */
#include "base/util.h"
#include "jail/registry.h"
#include "net/socket.h"

#include <criterion/criterion.h>

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/stockade-hard-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(hardening, .init = setup, .fini = teardown);

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static int count_entries(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	return system(cmd) == 0 ? 1 : 0;
}

/* ---- atomic files ------------------------------------------------------------ */

Test(hardening, atomic_write_replaces_and_leaves_no_temp)
{
	char p[128];
	path(p, sizeof(p), "app.pid");
	cr_assert_eq(write_file_atomic(p, "1\n", 2, 0644), 0);
	cr_assert_eq(write_file_atomic(p, "12345\n", 6, 0644), 0);
	char *s = read_file(p, NULL);
	cr_assert_str_eq(s, "12345\n");
	free(s);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644 & ~(mode_t)022 & 0777, "mode %o", st.st_mode & 0777);
	cr_assert(count_entries(), "only the target remains");
}

Test(hardening, atomic_write_replaces_a_symlink_not_its_target)
{
	char p[128], target[128];
	path(p, sizeof(p), "app.pid");
	path(target, sizeof(target), "precious");
	FILE *f = fopen(target, "w");
	fputs("keep\n", f);
	fclose(f);
	cr_assert_eq(symlink(target, p), 0);
	cr_assert_eq(write_file_atomic(p, "7\n", 2, 0644), 0);
	char *s = read_file(target, NULL);
	cr_assert_str_eq(s, "keep\n", "the symlink's target is untouched");
	free(s);
	struct stat st;
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
}

Test(hardening, atomic_temp_name_planted_as_symlink_is_not_followed)
{
	char p[128], tmp[160], target[128];
	path(p, sizeof(p), "app.pid");
	path(target, sizeof(target), "precious");
	snprintf(tmp, sizeof(tmp), "%s/.app.pid.tmp.%d", dir, (int)getpid());
	FILE *f = fopen(target, "w");
	fputs("keep\n", f);
	fclose(f);
	cr_assert_eq(symlink(target, tmp), 0);
	/* the planted name is removed (it is our pid's) and a fresh file made */
	cr_assert_eq(write_file_atomic(p, "7\n", 2, 0644), 0);
	char *s = read_file(target, NULL);
	cr_assert_str_eq(s, "keep\n");
	free(s);
	s = read_file(p, NULL);
	cr_assert_str_eq(s, "7\n");
	free(s);
}

Test(hardening, atomic_failure_leaves_old_file_and_no_temp)
{
	char p[128];
	path(p, sizeof(p), "app.pid");
	cr_assert_eq(write_file_atomic(p, "old\n", 4, 0644), 0);
	struct atomic_file af;
	cr_assert_eq(atomic_file_open(&af, p, 0644), 0);
	/* a failing write (the descriptor taken away) aborts the whole thing */
	close(af.fd);
	af.fd = open("/dev/null", O_RDONLY);
	cr_assert_eq(atomic_file_commit(&af, "new\n", 4), -1);
	cr_assert_eq(errno, EBADF);
	char *s = read_file(p, NULL);
	cr_assert_str_eq(s, "old\n");
	free(s);
	cr_assert(count_entries(), "the temp file is gone");
}

Test(hardening, atomic_missing_directory_is_an_error)
{
	char p[128];
	path(p, sizeof(p), "nodir/app.pid");
	cr_assert_eq(write_file_atomic(p, "1\n", 2, 0644), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(write_file_atomic("", "1\n", 2, 0644), -1);
	cr_assert_eq(errno, EINVAL);
}

/* ---- read_full / write_full under signals -------------------------------------- */

static void on_alarm(int sig) { (void)sig; }

Test(hardening, full_read_write_across_signals_and_short_counts)
{
	/* a pipe smaller than the data: the writer blocks, gets short counts
	 * and EINTR from a timer without SA_RESTART; the reader sees it all */
	int p[2];
	cr_assert_eq(pipe(p), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	size_t n = 1 << 20;
	char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		sigaction(SIGALRM, &sa, NULL);      /* no SA_RESTART */
		struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		close(p[0]);
		_exit(write_full(p[1], data, n) == 0 ? 0 : 1);
	}
	close(p[1]);
	char *got = malloc(n + 1);
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 1500 }, { 0, 1500 } };
	setitimer(ITIMER_REAL, &it, NULL);
	ssize_t r = read_full(p[0], got, n + 1);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "write_full failed");
	cr_assert_eq(r, (ssize_t)n, "read_full stops only at end of file");
	cr_assert_eq(memcmp(got, data, n), 0);
	close(p[0]);
	free(got);
	free(data);
}

/* ---- unix socket files ------------------------------------------------------------ */

static int listen_unix(const char *p)
{
	struct sock_addr a;
	char err[256];
	cr_assert_eq(sock_parse_addr(p, &a, err, sizeof(err)), 0, "%s", err);
	int fd = sock_listen(&a, 8, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	return fd;
}

Test(hardening, unix_socket_owner_only_whatever_the_umask)
{
	char p[128];
	path(p, sizeof(p), "s.sock");
	mode_t old = umask(0);
	int fd = listen_unix(p);
	mode_t now = umask(old);
	cr_assert_eq(now, 0, "the process umask is restored");
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "mode %o", st.st_mode & 0777);
	char err[256];
	cr_assert_eq(sock_chmod(p, "666", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0666);
	close(fd);
}

Test(hardening, chmod_and_chown_socket_do_not_follow_a_symlink)
{
	char p[128], target[128], err[256];
	path(target, sizeof(target), "precious");
	path(p, sizeof(p), "s.sock");
	int t = open(target, O_WRONLY | O_CREAT, 0600);
	close(t);
	chmod(target, 0600);
	cr_assert_eq(symlink(target, p), 0);
	cr_assert_eq(sock_chmod(p, "666", err, sizeof(err)), -1);
	cr_assert(strstr(err, "chmod"), "%s", err);
	struct stat st;
	cr_assert_eq(stat(target, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "the target kept its mode");
	if (geteuid() == 0) {
		cr_assert_eq(sock_chown(p, "65534", err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(stat(target, &st), 0);
		cr_assert_eq(st.st_uid, 0, "the target kept its owner");
	}
}

/* ---- the jail registry ------------------------------------------------------------ */

Test(hardening, registry_list_does_not_wait_for_a_held_lock)
{
	/* the Emperor's stats server lists jails from its event loop: a
	 * process sitting on the registry lock must not freeze it */
	registry_set_root(dir);
	struct registry_entry e;
	char err[256], lockpath[128];
	int lock = registry_create("held", -1, &e, err, sizeof(err));
	cr_assert_geq(lock, 0, "%s", err);
	cr_assert_eq(registry_set_init(&e, getpid()), 0);
	path(lockpath, sizeof(lockpath), "registry.lock");
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive a failed test */
		int fd = open(lockpath, O_RDWR);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char b;
	cr_assert_eq(read(p[0], &b, 1), 1, "the holder took the lock");
	alarm(20);      /* a blocked registry_list ends the test as a crash */
	struct registry_entry *v;
	size_t n;
	cr_assert_eq(registry_list(&v, &n), 0);
	alarm(0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].name, "held");
	free(v);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	registry_release(&e);
	close(lock);
}
