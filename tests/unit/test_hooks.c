/* SPDX-License-Identifier: MIT */
/* Hooks: phases, family order, actions, the command runner, failures, check. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "hooks/hooks.h"

/* ---- helpers ------------------------------------------------------------- */

static struct config cfg;
static int logfd = -1;
static char dir[64];

static void setup(void)
{
	char path[] = "/tmp/stockade-hooklog-XXXXXX";
	char tmpl[] = "/tmp/stockade-hooks-XXXXXX";

	memset(&cfg, 0, sizeof(cfg));
	logfd = mkstemp(path);
	cr_assert(logfd >= 0);
	unlink(path);
	log_set_file(logfd);
	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
}

static void teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	log_set_file(2);
	config_free(&cfg);
	if (system(cmd) != 0) { /* best effort */ }
	free(cmd);
}

TestSuite(hooks, .init = setup, .fini = teardown);

/* Adds a line to cfg.hooks[ph][f], from test.ini:<line>. */
static void add(enum hook_phase ph, enum hook_family f, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(enum hook_phase ph, enum hook_family f, int line, const char *fmt, ...)
{
	struct strlist *l = &cfg.hooks[ph][f];
	va_list ap;
	char *s;

	va_start(ap, fmt);
	cr_assert(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->origin = xrealloc(l->origin, (l->n + 1) * sizeof(*l->origin));
	l->v[l->n] = s;
	l->origin[l->n] = (struct origin){ "test.ini", line };
	l->n++;
}

static void add_binsh(const char *sh)
{
	cfg.binsh.v = xrealloc(cfg.binsh.v, (cfg.binsh.n + 1) * sizeof(char *));
	cfg.binsh.origin = xrealloc(cfg.binsh.origin, (cfg.binsh.n + 1) * sizeof(struct origin));
	cfg.binsh.v[cfg.binsh.n] = xstrdup(sh);
	cfg.binsh.origin[cfg.binsh.n] = (struct origin){ "test.ini", 1 };
	cfg.binsh.n++;
}

/* The log so far. */
static char *logtext(void)
{
	struct strbuf sb;
	char buf[4096];
	ssize_t n;
	off_t at = 0;

	sb_init(&sb);
	while ((n = pread(logfd, buf, sizeof(buf), at)) > 0) {
		sb_add(&sb, buf, (size_t)n);
		at += n;
	}
	return sb_detach(&sb);
}

static char *path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *slurp(const char *name)
{
	char *p = path(name);
	size_t len;
	char *s = read_file(p, &len);
	free(p);
	return s;
}

#define assert_log_has(s) do { char *L_ = logtext(); \
	cr_assert(strstr(L_, s), "log lacks <%s>:\n%s", s, L_); free(L_); } while (0)
#define assert_log_lacks(s) do { char *L_ = logtext(); \
	cr_assert(!strstr(L_, s), "log has <%s>:\n%s", s, L_); free(L_); } while (0)

/* cr_skip_test() and exit() skip .fini: remove the (still empty) scratch dir first. */
#define SKIP(...) do { rmdir(dir); cr_skip_test(__VA_ARGS__); } while (0)

static void need_root(void)
{
	if (geteuid() != 0)
		SKIP("needs root");
}

/* ---- phases -------------------------------------------------------------- */

Test(hooks, phase_names_and_fatality)
{
	static const char *names[PH_COUNT] = { "asap", "pre-jail", "in-jail", "post-jail",
		"as-root", "as-user", "as-user-atexit", "pre-app", "post-app", "post-fork",
		"accepting", "accepting1", "accepting-once", "accepting1-once", "master-start",
		"as-vassal", "as-emperor", "emperor-start", "emperor-stop", "emperor-reload", "emperor-lost" };
	for (int i = 0; i < PH_COUNT; i++) {
		bool nonfatal = i == PH_AS_USER_ATEXIT || i == PH_AS_EMPEROR || i == PH_EMPEROR_STOP ||
		                i == PH_EMPEROR_RELOAD || i == PH_EMPEROR_LOST;
		cr_assert_str_eq(hook_phase_name(i), names[i]);
		cr_assert_eq(hook_phase_fatal(i), !nonfatal, "%s", names[i]);
	}
	cr_assert_str_eq(hook_family_name(HF_UMOUNT), "umount");
}

Test(hooks, any_and_empty_phase)
{
	cr_assert(!hooks_any(&cfg, PH_PRE_APP));
	cr_assert_eq(hooks_run(&cfg, PH_PRE_APP), 0);
	add(PH_PRE_APP, HF_EXEC, 1, "true");
	cr_assert(hooks_any(&cfg, PH_PRE_APP));
	cr_assert(!hooks_any(&cfg, PH_POST_APP));
}

/* ---- order --------------------------------------------------------------- */

Test(hooks, family_order_then_config_order)
{
	/* Added exec first, hooks last: the hook chain still runs first. */
	add(PH_ASAP, HF_EXEC, 1, "echo exec1 >> %s/order", dir);
	add(PH_ASAP, HF_EXEC, 2, "echo exec2 >> %s/order", dir);
	add(PH_ASAP, HF_HOOK, 3, "appendn:%s/order hook1", dir);
	add(PH_ASAP, HF_HOOK, 4, "appendn:%s/order hook2", dir);
	add(PH_ASAP, HF_HOOK, 5, "appendn:%s/order hook3", dir);
	add(PH_PRE_APP, HF_HOOK, 6, "appendn:%s/order other-phase", dir);
	cr_assert_eq(hooks_check(&cfg), 0);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	char *s = slurp("order");
	cr_assert_str_eq(s, "hook1\nhook2\nhook3\nexec1\nexec2\n");
	free(s);
	char *want = xasprintf("running \"appendn:%s/order hook1\" (asap)...", dir);
	assert_log_has(want);
	free(want);
	assert_log_has("running \"echo exec1 >> ");
}

/* ---- actions ------------------------------------------------------------- */

Test(hooks, write_writen_append_appendn)
{
	add(PH_ASAP, HF_HOOK, 1, "write:%s/f first line", dir);
	add(PH_ASAP, HF_HOOK, 2, "write:%s/f truncated ", dir);
	add(PH_ASAP, HF_HOOK, 3, "append:%s/f  two spaces", dir);
	add(PH_ASAP, HF_HOOK, 4, "appendn:%s/f end", dir);
	add(PH_ASAP, HF_HOOK, 5, "writen:%s/g x", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	char *f = slurp("f"), *g = slurp("g");
	cr_assert_str_eq(f, "truncated  two spacesend\n");
	cr_assert_str_eq(g, "x\n");
	free(f), free(g);
}

Test(hooks, mkdir_uses_umask_and_accepts_existing_dir)
{
	struct stat st;
	char *d = path("d");
	umask(022);
	add(PH_ASAP, HF_HOOK, 1, "mkdir:%s", d);
	add(PH_ASAP, HF_HOOK, 2, "mkdir:%s", d);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	cr_assert_eq(stat(d, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0755);
	free(d);
}

Test(hooks, mkdir_over_a_file_fails)
{
	add(PH_ASAP, HF_HOOK, 1, "create:%s/file", dir);
	add(PH_ASAP, HF_HOOK, 2, "mkdir:%s/file", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	char *want = xasprintf("hook-asap \"mkdir:%s/file\" (test.ini:2) failed: mkdir: File exists", dir);
	assert_log_has(want);
	free(want);
}

Test(hooks, create_chmod_chown_unlink)
{
	struct stat st;
	char *f = path("c");
	add(PH_ASAP, HF_HOOK, 1, "creat:%s", f);
	add(PH_ASAP, HF_HOOK, 2, "chmod:%s 640", f);
	if (geteuid() == 0)
		add(PH_ASAP, HF_HOOK, 3, "chown:%s 1234 5678", f);
	else
		add(PH_ASAP, HF_HOOK, 3, "chown:%s %u %u", f, (unsigned)getuid(), (unsigned)getgid());
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	cr_assert_eq(stat(f, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		cr_assert_eq(st.st_uid, 1234);
		cr_assert_eq(st.st_gid, 5678);
	}
	config_free(&cfg);
	add(PH_ASAP, HF_HOOK, 4, "unlink:%s", f);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	cr_assert_eq(stat(f, &st), -1);
	/* A second unlink fails: the file is gone (as uWSGI). */
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("(test.ini:4) failed: unlink: No such file or directory");
	free(f);
}

Test(hooks, chown_by_name)
{
	struct stat st;
	need_root();
	add(PH_ASAP, HF_HOOK, 1, "create:%s/n", dir);
	add(PH_ASAP, HF_HOOK, 2, "chown:%s/n nobody root", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	char *f = path("n");
	cr_assert_eq(stat(f, &st), 0);
	cr_assert_neq(st.st_uid, 0);
	cr_assert_eq(st.st_gid, 0);
	free(f);
	config_free(&cfg);
	add(PH_ASAP, HF_HOOK, 3, "chown:%s/n no-such-user-xyz root", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("(test.ini:3) failed: chown: unknown user");
}

Test(hooks, putenv_cd_print)
{
	char cwd[4096], real[4096];
	unsetenv("HOOK_TEST_VAR");
	add(PH_AS_USER, HF_HOOK, 1, "putenv:HOOK_TEST_VAR=a=b c");
	add(PH_AS_USER, HF_HOOK, 2, "cd:%s", dir);
	add(PH_AS_USER, HF_HOOK, 3, "print:hello from a hook");
	add(PH_AS_USER, HF_HOOK, 4, "log:");
	cr_assert_eq(hooks_check(&cfg), 0);
	cr_assert_eq(hooks_run(&cfg, PH_AS_USER), 0);
	cr_assert_str_eq(getenv("HOOK_TEST_VAR"), "a=b c");
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_not_null(realpath(dir, real));
	cr_assert_str_eq(cwd, real);
	assert_log_has("\nhello from a hook\n");
}

Test(hooks, wait_for_file_dir_fs)
{
	add(PH_ASAP, HF_HOOK, 1, "create:%s/present", dir);
	add(PH_ASAP, HF_HOOK, 2, "wait_for_file:%s/present 1", dir);
	add(PH_ASAP, HF_HOOK, 3, "wait_for_dir:%s", dir);
	add(PH_ASAP, HF_HOOK, 4, "wait_for_fs:%s/present 0", dir);
	cr_assert_eq(hooks_check(&cfg), 0);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
}

Test(hooks, wait_for_file_times_out)
{
	add(PH_ASAP, HF_HOOK, 7, "wait_for_file:%s/missing 1", dir);
	add(PH_ASAP, HF_HOOK, 8, "create:%s/never", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	char *want = xasprintf("hook-asap \"wait_for_file:%s/missing 1\" (test.ini:7) failed: timed out after 1 s", dir);
	assert_log_has(want);
	free(want);
	char *n = path("never");
	cr_assert_eq(access(n, F_OK), -1, "the chain must stop at the failure");
	free(n);
}

Test(hooks, wait_for_dir_rejects_a_file)
{
	add(PH_ASAP, HF_HOOK, 1, "create:%s/plain", dir);
	add(PH_ASAP, HF_HOOK, 2, "wait_for_dir:%s/plain 0", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("(test.ini:2) failed: timed out after 0 s");
}

Test(hooks, wait_for_file_sees_a_late_file)
{
	/* A child creates the file after 300 ms. */
	char *f = path("late");
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		usleep(300000);
		int fd = open(f, O_CREAT | O_WRONLY, 0644);
		_exit(fd < 0);
	}
	add(PH_ASAP, HF_HOOK, 1, "wait_for_file:%s 5", f);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	free(f);
}

Test(hooks, wait_for_socket_unix_and_tcp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int u = socket(AF_UNIX, SOCK_STREAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s.sock", dir);
	cr_assert_eq(bind(u, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(u, 4), 0);
	cr_assert_eq(bind(t, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(t, 4), 0);
	cr_assert_eq(getsockname(t, (struct sockaddr *)&sin, &sl), 0);
	add(PH_ASAP, HF_HOOK, 1, "wait_for_socket:%s 1", sun.sun_path);
	add(PH_ASAP, HF_HOOK, 2, "wait_for_socket:127.0.0.1:%u 1", ntohs(sin.sin_port));
	add(PH_ASAP, HF_HOOK, 3, "wait_for_socket::%u", ntohs(sin.sin_port));
	cr_assert_eq(hooks_check(&cfg), 0);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);

	config_free(&cfg);
	close(t);
	add(PH_ASAP, HF_HOOK, 4, "wait_for_socket:127.0.0.1:%u 0", ntohs(sin.sin_port));
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("(test.ini:4) failed: timed out after 0 s");
	config_free(&cfg);
	add(PH_ASAP, HF_HOOK, 5, "wait_for_socket:%s/nothing.sock 1", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("(test.ini:5) failed: timed out after 1 s");
}

Test(hooks, hostname_in_private_uts_namespace)
{
	struct utsname u;
	need_root();
	if (unshare(CLONE_NEWUTS) < 0)
		SKIP("unshare(CLONE_NEWUTS): %s", strerror(errno));
	add(PH_ASAP, HF_HOOK, 1, "hostname:hook-test-host");
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	cr_assert_eq(uname(&u), 0);
	cr_assert_str_eq(u.nodename, "hook-test-host");
}

Test(hooks, exit_action, .exit_code = 3)
{
	rmdir(dir);
	add(PH_ASAP, HF_HOOK, 1, "exit:3");
	hooks_run(&cfg, PH_ASAP);
}

Test(hooks, exit_action_default_zero, .exit_code = 0)
{
	rmdir(dir);
	add(PH_ASAP, HF_HOOK, 1, "exit:");
	hooks_run(&cfg, PH_ASAP);
	cr_assert_fail("exit did not exit");
}

Test(hooks, exec_and_safeexec_actions)
{
	add(PH_ASAP, HF_HOOK, 1, "safeexec:exit 5");
	add(PH_ASAP, HF_HOOK, 2, "exec:touch %s/ran", dir);
	add(PH_ASAP, HF_HOOK, 3, "exec:exit 4");
	add(PH_ASAP, HF_HOOK, 4, "exec:touch %s/not-reached", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("hook-asap \"exec:exit 4\" (test.ini:3) failed: exited with status 4\n");
	char *a = path("ran"), *b = path("not-reached");
	cr_assert_eq(access(a, F_OK), 0);
	cr_assert_eq(access(b, F_OK), -1);
	free(a), free(b);
}

/* ---- exec- lines and the runner ------------------------------------------ */

Test(hooks, exec_nonzero_is_fatal)
{
	add(PH_PRE_JAIL, HF_EXEC, 7, "exit 3");
	add(PH_PRE_JAIL, HF_EXEC, 8, "touch %s/after", dir);
	cr_assert_eq(hooks_run(&cfg, PH_PRE_JAIL), -1);
	assert_log_has("running \"exit 3\" (pre-jail)...\n");
	assert_log_has("\nexec-pre-jail \"exit 3\" (test.ini:7) exited with status 3\n");
	char *a = path("after");
	cr_assert_eq(access(a, F_OK), -1);
	free(a);
}

Test(hooks, exec_killed_by_signal_is_a_failure)
{
	add(PH_AS_ROOT, HF_EXEC, 9, "kill -9 $$");
	cr_assert_eq(hooks_run(&cfg, PH_AS_ROOT), -1);
	assert_log_has("exec-as-root \"kill -9 $$\" (test.ini:9) killed by signal 9\n");
}

Test(hooks, exec_origin_without_line)
{
	struct strlist *l;
	add(PH_ASAP, HF_EXEC, 0, "false");
	l = &cfg.hooks[PH_ASAP][HF_EXEC];
	l->origin[0].file = "environment";
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("exec-asap \"false\" (environment) exited with status 1\n");
}

Test(hooks, atexit_failures_are_logged_and_ignored)
{
	add(PH_AS_USER_ATEXIT, HF_HOOK, 1, "unlink:%s/nope", dir);
	add(PH_AS_USER_ATEXIT, HF_HOOK, 2, "write:%s/after-hook x", dir);
	add(PH_AS_USER_ATEXIT, HF_EXEC, 3, "exit 2");
	add(PH_AS_USER_ATEXIT, HF_EXEC, 4, "touch %s/after-exec", dir);
	cr_assert_eq(hooks_run(&cfg, PH_AS_USER_ATEXIT), 0);
	assert_log_has("(test.ini:1) failed: unlink: No such file or directory\n");
	assert_log_has("exec-as-user-atexit \"exit 2\" (test.ini:3) exited with status 2\n");
	char *a = path("after-hook"), *b = path("after-exec");
	cr_assert_eq(access(a, F_OK), 0);
	cr_assert_eq(access(b, F_OK), 0);
	free(a), free(b);
}

Test(hooks, private_hook_is_not_logged)
{
	add(PH_ASAP, HF_HOOK, 1, "!write:%s/secret s3cr3t-value", dir);
	add(PH_ASAP, HF_HOOK, 2, "!putenv:TOKEN=s3cr3t-value");
	add(PH_ASAP, HF_HOOK, 3, "!exec:echo s3cr3t-value >/dev/null; exit 1");
	cr_assert_eq(hooks_check(&cfg), 0);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("running --- PRIVATE HOOK --- (asap)...\n");
	assert_log_has("hook-asap --- PRIVATE HOOK --- (test.ini:3) failed: exited with status 1\n");
	assert_log_lacks("s3cr3t");
	char *s = slurp("secret");
	cr_assert_str_eq(s, "s3cr3t-value");
	free(s);
	cr_assert_str_eq(getenv("TOKEN"), "s3cr3t-value");
}

Test(hooks, exec_environment_is_clean)
{
	setenv("HOOK_SECRET_ENV", "leak", 1);
	setenv("UWSGI_RELOADS", "3", 1);
	add(PH_ASAP, HF_EXEC, 1, "env > %s/env", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	char *e = slurp("env");
	cr_assert_not_null(e);
	cr_assert(strstr(e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"), "%s", e);
	cr_assert(strstr(e, "UWSGI_RELOADS=3\n"), "%s", e);
	cr_assert(!strstr(e, "HOOK_SECRET_ENV"), "%s", e);
	cr_assert(!strstr(e, "HOME="), "%s", e);
	free(e);

	/* Without UWSGI_RELOADS in our environment, none in the child's. */
	unsetenv("UWSGI_RELOADS");
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	e = slurp("env");
	cr_assert(!strstr(e, "UWSGI_RELOADS"), "%s", e);
	free(e);
}

Test(hooks, exec_gets_no_inherited_fds_and_devnull_stdin)
{
	/* A listening socket without CLOEXEC, as the server's would be after fork. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert(s > 2);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(s, 4), 0);
	int hi = fcntl(s, F_DUPFD, 200); /* a high one too, for the close() loop case */
	cr_assert(hi >= 200);
	/* Sanity: a shell started by system() does see it. */
	char *seen = xasprintf("test -e /proc/$$/fd/%d", s);
	cr_assert_eq(system(seen), 0);
	free(seen);

	add(PH_ASAP, HF_EXEC, 1, "test ! -e /proc/$$/fd/%d", s);
	add(PH_ASAP, HF_EXEC, 2, "test ! -e /proc/$$/fd/%d", hi);
	add(PH_ASAP, HF_EXEC, 3, "test \"$(readlink /proc/$$/fd/0)\" = /dev/null");
	/* `exec >file` redirects the shell itself, without a saved copy of fd 1. */
	add(PH_ASAP, HF_EXEC, 4, "exec >%s/fds; ls /proc/$$/fd", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	char *fds = slurp("fds");
	/* ls may be exec'd in place of the shell: then its directory fd is extra. */
	cr_assert(strcmp(fds, "0\n1\n2\n") == 0 || strcmp(fds, "0\n1\n2\n3\n") == 0,
	          "unexpected fds:\n%s", fds);
	free(fds);
}

Test(hooks, binsh_override)
{
	if (access("/bin/bash", X_OK) != 0)
		SKIP("no /bin/bash");
	/* [[ ]] is bash-only: /bin/sh (dash) fails it. */
	add(PH_ASAP, HF_EXEC, 1, "[[ -n \"$BASH_VERSION\" ]] && [[ $0 == /bin/bash ]]");
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1, "default shell should not be bash");
	add_binsh("/nonexistent/shell");
	add_binsh(dir); /* a directory is not a shell */
	add_binsh("/bin/bash");
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
}

/* ---- hooks_check --------------------------------------------------------- */

struct bad_line {
	enum hook_family fam;
	const char *value;
	const char *error;  /* expected log text after "test.ini:N: " */
};

static const struct bad_line bad_lines[] = {
	{ HF_HOOK, "no colon here", "hook-asap: invalid hook syntax, must be action:args" },
	{ HF_HOOK, "frobnicate:x", "hook-asap: unknown hook action 'frobnicate'" },
	{ HF_HOOK, "!frobnicate:x", "hook-asap: unknown hook action 'frobnicate'" },
	{ HF_HOOK, ":x", "hook-asap: unknown hook action ''" },
	{ HF_HOOK, "Mkdir:/x", "hook-asap: unknown hook action 'Mkdir'" },
	{ HF_HOOK, "chmod:/x", "hook-asap: chmod: expected <file> <octal mode>" },
	{ HF_HOOK, "chmod:/x 0644 extra", "hook-asap: chmod: expected <file> <octal mode>" },
	{ HF_HOOK, "chmod:/x 0689", "hook-asap: chmod: mode must be octal, 0 to 7777" },
	{ HF_HOOK, "chmod:/x 17777", "hook-asap: chmod: mode must be octal, 0 to 7777" },
	{ HF_HOOK, "chown:/x root", "hook-asap: chown: expected <file> <user> <group>" },
	{ HF_HOOK, "mkdir:", "hook-asap: mkdir: expected <dir>" },
	{ HF_HOOK, "cd:", "hook-asap: cd: expected <dir>" },
	{ HF_HOOK, "exec:", "hook-asap: exec: expected <shell command>" },
	{ HF_HOOK, "putenv:NOEQUALS", "hook-asap: putenv: expected putenv:NAME=value" },
	{ HF_HOOK, "putenv:=x", "hook-asap: putenv: expected putenv:NAME=value" },
	{ HF_HOOK, "write:/only-a-file", "hook-asap: write: expected <file> <text>" },
	{ HF_HOOK, "appendn: text", "hook-asap: appendn: expected <file> <text>" },
	{ HF_HOOK, "exit:x", "hook-asap: exit: code must be 0 to 255" },
	{ HF_HOOK, "exit:256", "hook-asap: exit: code must be 0 to 255" },
	{ HF_HOOK, "exit:1 2", "hook-asap: exit: expected [code]" },
	{ HF_HOOK, "wait_for_file:", "hook-asap: wait_for_file: expected <path> [timeout seconds]" },
	{ HF_HOOK, "wait_for_dir:/x soon", "hook-asap: timeout must be a number of seconds (0..86400)" },
	{ HF_HOOK, "wait_for_socket:localhost", "hook-asap: wait_for_socket: expected a unix socket path (with a '/') or host:port" },
	{ HF_HOOK, "wait_for_socket:host:0", "hook-asap: wait_for_socket: expected a unix socket path (with a '/') or host:port" },
	{ HF_HOOK, "mount:tmpfs none", "hook-asap: mount: expected <fstype> <src> <dst> [flags]" },
	{ HF_HOOK, "mount:none /a /b bind,frob", "hook-asap: unknown mount flag 'frob'" },
	{ HF_HOOK, "umount:/a lazy", "hook-asap: unknown umount flag 'lazy'" },
	{ HF_MOUNT, "tmpfs none /x ro,,nosuid", "mount-asap: unknown mount flag ''" },
	{ HF_MOUNT, "none none /x private,shared", "mount-asap: mount flags: only one of private, slave, shared, unbindable" },
	{ HF_MOUNT, "tmpfs /x", "mount-asap: mount: expected <fstype> <src> <dst> [flags]" },
	{ HF_UMOUNT, "", "umount-asap: umount: expected <dst> [flags]" },
	{ HF_UMOUNT, "/x detach,bogus", "umount-asap: unknown umount flag 'bogus'" },
	{ HF_UMOUNT, "/x detach extra", "umount-asap: umount: expected <dst> [flags]" },
	{ HF_EXEC, "   ", "exec-asap: empty command" },
};

Test(hooks, check_rejects_bad_lines)
{
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line *b = &bad_lines[i];
		config_free(&cfg);
		cr_assert_eq(ftruncate(logfd, 0), 0);
		cr_assert_eq(lseek(logfd, 0, SEEK_SET), 0);
		add(PH_ASAP, b->fam, (int)i + 10, "%s", b->value);
		cr_assert_eq(hooks_check(&cfg), -1, "accepted: %s", b->value);
		char *want = xasprintf("test.ini:%zu: %s\n", i + 10, b->error);
		char *L = logtext();
		cr_assert_str_eq(L, want, "for <%s>", b->value);
		free(L), free(want);
	}
}

Test(hooks, check_reports_every_error_and_runs_nothing)
{
	add(PH_AS_USER_ATEXIT, HF_HOOK, 3, "nosuch:x"); /* non-fatal phase: still an error */
	add(PH_ASAP, HF_HOOK, 1, "write:%s/ran x", dir);
	add(PH_ASAP, HF_EXEC, 2, "touch %s/ran2", dir);
	add(PH_MASTER_START, HF_HOOK, 4, "nocolon");
	cr_assert_eq(hooks_check(&cfg), -1);
	assert_log_has("test.ini:3: hook-as-user-atexit: unknown hook action 'nosuch'\n");
	assert_log_has("test.ini:4: hook-master-start: invalid hook syntax, must be action:args\n");
	char *a = path("ran"), *b = path("ran2");
	cr_assert_eq(access(a, F_OK), -1);
	cr_assert_eq(access(b, F_OK), -1);
	free(a), free(b);
}

Test(hooks, check_accepts_every_action)
{
	static const char *ok[] = {
		"cd:/tmp", "chdir:/tmp", "mkdir:/tmp/x", "putenv:A=", "chmod:/x 0755", "chmod:/x 4755",
		"chown:/x www 80", "exec:true", "safeexec:false", "create:/x", "creat:/x",
		"write:/x ", "writen:/x a b", "append:/x a", "appendn:/x a", "unlink:/x",
		"mount:tmpfs tmpfs /x", "mount:none /a /b rec,bind,ro,nosuid,nodev,noexec,noatime",
		"mount:none none / rec,private", "mount:none none /x remount,ro", "mount:none none /x slave",
		"mount:none none /x shared", "mount:none none /x unbindable", "umount:/x",
		"umount:/x detach,force", "hostname:h", "print:", "log:x y", "exit:", "exit:255",
		"wait_for_file:/x", "wait_for_dir:/x 0", "wait_for_fs:/x 86400",
		"wait_for_socket:/run/x.sock", "wait_for_socket:127.0.0.1:80 5",
		"wait_for_socket:[::1]:80", "!print:private",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		add(PH_ASAP, HF_HOOK, (int)i + 1, "%s", ok[i]);
	add(PH_ASAP, HF_MOUNT, 100, "proc none /proc nosuid,nodev,noexec");
	add(PH_ASAP, HF_UMOUNT, 101, "/proc detach");
	add(PH_ASAP, HF_EXEC, 102, "echo hi");
	cr_assert_eq(hooks_check(&cfg), 0);
	char *L = logtext();
	cr_assert_str_eq(L, "");
	free(L);
}

/* ---- mount and umount (root, private mount namespace) ---------------------- */

static void private_mount_ns(void)
{
	need_root();
	if (unshare(CLONE_NEWNS) < 0)
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	/* Nothing below may propagate to the host. */
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
}

Test(hooks, bind_mount_then_umount_in_phase_order)
{
	private_mount_ns();
	/* hook (mkdir, write) → mount → umount → exec, whatever the config order. */
	add(PH_PRE_JAIL, HF_EXEC, 1, "test ! -e %s/dst/marker && touch %s/exec-ok", dir, dir);
	add(PH_PRE_JAIL, HF_UMOUNT, 2, "%s/dst", dir);
	add(PH_PRE_JAIL, HF_MOUNT, 3, "none %s/src %s/dst bind", dir, dir);
	add(PH_PRE_JAIL, HF_HOOK, 4, "mkdir:%s/src", dir);
	add(PH_PRE_JAIL, HF_HOOK, 5, "mkdir:%s/dst", dir);
	add(PH_PRE_JAIL, HF_HOOK, 6, "write:%s/src/marker m", dir);
	/* Visible through the bind mount while it exists. */
	add(PH_PRE_JAIL, HF_HOOK, 7, "mount:none %s/src %s/dst bind", dir, dir);
	add(PH_PRE_JAIL, HF_HOOK, 8, "wait_for_file:%s/dst/marker 0", dir);
	add(PH_PRE_JAIL, HF_HOOK, 9, "umount:%s/dst", dir);
	cr_assert_eq(hooks_check(&cfg), 0);
	cr_assert_eq(hooks_run(&cfg, PH_PRE_JAIL), 0);
	char *ok = path("exec-ok"), *m = path("dst/marker");
	cr_assert_eq(access(ok, F_OK), 0);
	cr_assert_eq(access(m, F_OK), -1);
	free(ok), free(m);
	assert_log_has("mounting \"none ");
	assert_log_has("unmounting \"");
}

Test(hooks, bind_mount_read_only)
{
	private_mount_ns();
	add(PH_AS_ROOT, HF_HOOK, 1, "mkdir:%s/src", dir);
	add(PH_AS_ROOT, HF_HOOK, 2, "mkdir:%s/dst", dir);
	add(PH_AS_ROOT, HF_MOUNT, 3, "none %s/src %s/dst bind,ro,private", dir, dir);
	cr_assert_eq(hooks_run(&cfg, PH_AS_ROOT), 0);
	char *f = path("dst/x");
	cr_assert_eq(open(f, O_CREAT | O_WRONLY, 0644), -1);
	cr_assert_eq(errno, EROFS);
	free(f);
	config_free(&cfg);
	add(PH_AS_ROOT, HF_UMOUNT, 4, "%s/dst detach", dir);
	cr_assert_eq(hooks_run(&cfg, PH_AS_ROOT), 0);
}

Test(hooks, tmpfs_mount_and_bad_fstype)
{
	private_mount_ns();
	add(PH_ASAP, HF_HOOK, 1, "mkdir:%s/t", dir);
	add(PH_ASAP, HF_MOUNT, 2, "tmpfs tmpfs %s/t nosuid,nodev", dir);
	add(PH_ASAP, HF_HOOK, 3, "write:%s/t/before-mount x", dir);
	add(PH_ASAP, HF_UMOUNT, 4, "%s/t", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), 0);
	char *f = path("t/before-mount");
	/* The write ran before the mount (hook chain first), so it is back. */
	cr_assert_eq(access(f, F_OK), 0);
	free(f);

	config_free(&cfg);
	add(PH_ASAP, HF_MOUNT, 5, "nosuchfs none %s/t", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	char *want = xasprintf("mount-asap \"nosuchfs none %s/t\" (test.ini:5) failed: mount: unknown filesystem type", dir);
	assert_log_has(want);
	free(want);

	config_free(&cfg);
	add(PH_ASAP, HF_UMOUNT, 6, "%s/t", dir);
	cr_assert_eq(hooks_run(&cfg, PH_ASAP), -1);
	assert_log_has("(test.ini:6) failed: umount: Invalid argument");
}
