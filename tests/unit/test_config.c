/* SPDX-License-Identifier: MIT */
/* Configuration: sources, syntax, magic, passes, logic and errors. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"

#define FIX "tests/unit/fixtures/config/"

struct result {
	int rc;          /* 0 ok, -1 error */
	int exit_code;   /* for `exit` */
	char *out;       /* --show-config text */
	char *err;       /* log text */
};

static char *slurp_fd(int fd)
{
	lseek(fd, 0, SEEK_SET);
	struct strbuf sb;
	sb_init(&sb);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	close(fd);
	return sb_detach(&sb);
}

static int tmpfd(void)
{
	char path[] = "/tmp/stockade-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	unlink(path);
	return fd;
}

static struct result run_argv(int argc, char **argv)
{
	struct result r = { 0, 0, NULL, NULL };
	struct loader L;
	int errfd = tmpfd(), outfd = tmpfd();
	log_set_file(errfd);
	loader_init(&L);
	r.rc = config_read_argv(&L, argc, argv);
	if (r.rc == 0)
		r.rc = config_resolve(&L);
	if (r.rc == 0)
		config_show(&L, outfd);
	if (L.exit_requested)
		r.exit_code = L.exit_code;
	loader_free(&L);
	log_set_file(2);
	r.out = slurp_fd(outfd);
	r.err = slurp_fd(errfd);
	return r;
}

#define RUN(...) ({ char *a_[] = { "stockade", __VA_ARGS__, NULL }; \
	run_argv((int)(sizeof(a_) / sizeof(a_[0])) - 1, a_); })

static char *write_tmp(const char *name, const char *text)
{
	char *dir = xstrdup("/tmp/stockade-cfg-XXXXXX");
	cr_assert(mkdtemp(dir));
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	free(dir);
	return path;
}

static struct result run_ini_text(const char *text)
{
	char *path = write_tmp("t.ini", text);
	struct result r = RUN("--ini", path);
	free(path);
	return r;
}

static void expect_ok(struct result r, const char *expected)
{
	cr_assert_eq(r.rc, 0, "config failed: %s", r.err);
	cr_assert_str_eq(r.out, expected);
}

static void expect_err(struct result r, const char *needle)
{
	cr_assert_neq(r.rc, 0, "expected an error containing '%s', got output:\n%s", needle, r.out);
	cr_assert(strstr(r.err, needle), "error text '%s' lacks '%s'", r.err, needle);
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "error must be one line: %s", r.err);
}

/* ---- the seed page's five configurations ---------------------------------- */

Test(seed, jail_old_api)
{
	expect_ok(RUN("--ini", FIX "seed1-jail.ini"),
	          "jail = /jails/001 foobar\n"
	          "exec-pre-jail = ifconfig em0 192.168.0.40 alias\n"
	          "jail-ip4 = 192.168.0.40\n"
	          "http-socket = 192.168.0.40:8080\n"
	          "wsgi-file = myapp.wsgi\n"
	          "uid = kratos\n"
	          "gid = kratos\n"
	          "master = true\n"
	          "processes = 2\n");
}

Test(seed, jail2_params)
{
	expect_ok(RUN("--ini", FIX "seed2-jail2.ini"),
	          "jail2 = path=/jails/001\n"
	          "jail2 = host.hostname=foobar\n"
	          "exec-pre-jail = ifconfig em0 192.168.0.40 alias\n"
	          "jail2 = ip4.addr=192.168.0.40\n"
	          "http-socket = 192.168.0.40:8080\n"
	          "wsgi-file = myapp.wsgi\n"
	          "uid = kratos\n"
	          "gid = kratos\n"
	          "master = true\n"
	          "processes = 2\n");
}

Test(seed, sysvipc_libjail_alias)
{
	expect_ok(RUN("--ini", FIX "seed3-sysvipc.ini"),
	          "jail2 = path=/jails/001\n"
	          "jail2 = allow.sysvipc=1\n"
	          "http-socket = 192.168.0.40:8080\n"
	          "wsgi-file = myapp.wsgi\n");
}

static const char *seed4_tail =
	"jail2 = host.hostname=foobar\n"
	"exec-pre-jail = ifconfig em0 192.168.0.40 alias\n"
	"jail2 = ip4.addr=192.168.0.40\n"
	"http-socket = 192.168.0.40:8080\n"
	"wsgi-file = myapp.wsgi\n"
	"uid = kratos\n"
	"gid = kratos\n"
	"master = true\n"
	"processes = 2\n";

Test(seed, devfs_prejail_when_missing)
{
	char root[] = "/tmp/stockade-jail-XXXXXX";
	cr_assert(mkdtemp(root));
	setenv("JAIL_ROOT", root, 1);
	char *expected = xasprintf("exec-pre-jail = mount -t devfs devfs %s/dev\njail2 = path=%s\n%s",
	                           root, root, seed4_tail);
	expect_ok(RUN("--ini", FIX "seed4-devfs-prejail.ini"), expected);
}

Test(seed, devfs_prejail_when_present)
{
	char root[] = "/tmp/stockade-jail-XXXXXX";
	cr_assert(mkdtemp(root));
	char *dev = xasprintf("%s/dev", root), *zero = xasprintf("%s/dev/zero", root);
	cr_assert(mkdir(dev, 0755) == 0);
	close(open(zero, O_CREAT | O_WRONLY, 0644));
	setenv("JAIL_ROOT", root, 1);
	char *expected = xasprintf("jail2 = path=%s\n%s", root, seed4_tail);
	expect_ok(RUN("--ini", FIX "seed4-devfs-prejail.ini"), expected);
}

Test(seed, devfs_postjail)
{
	/* /dev/zero exists on the host, so the post-jail mount line is skipped */
	expect_ok(RUN("--ini", FIX "seed5-devfs-postjail.ini"),
	          "jail2 = path=/jails/001\n"
	          "jail2 = host.hostname=foobar\n"
	          "exec-pre-jail = ifconfig em0 192.168.0.40 alias\n"
	          "jail2 = ip4.addr=192.168.0.40\n"
	          "jail2 = enforce_statfs=1\n"
	          "jail2 = allow.mount\n"
	          "jail2 = allow.mount.devfs\n"
	          "http-socket = 192.168.0.40:8080\n"
	          "wsgi-file = myapp.wsgi\n"
	          "uid = kratos\n"
	          "gid = kratos\n"
	          "master = true\n"
	          "processes = 2\n");
}

/* ---- ini syntax ------------------------------------------------------------ */

Test(ini, comments_bare_keys_no_inline_comments)
{
	expect_ok(run_ini_text("[other]\nworkers = 9\n[uwsgi]\n  ; comment\n# another\n\nmaster\n"
	                       "chdir = /srv ; not a comment\nvacuum = off\n"),
	          "master = true\nchdir = /srv ; not a comment\nvacuum = false\n");
}

Test(ini, stockade_section_and_explicit_section)
{
	char *p = write_tmp("s.ini", "[stockade]\nprocesses = 3\n[extra]\nprocesses = 5\n");
	expect_ok(RUN("--ini", p), "processes = 3\n");
	char *spec = xasprintf("%s:extra", p);
	expect_ok(RUN("--ini", spec), "processes = 5\n");
	expect_ok(RUN("--ini", p, "--ini", ":extra"), "processes = 3\nprocesses = 5\n");
}

Test(ini, repeated_keys_accumulate_scalars_last_wins)
{
	char *p = write_tmp("r.ini", "[uwsgi]\nhttp-socket = :1\nhttp-socket = :2\nprocesses = 1\nprocesses = 4\n");
	struct loader L;
	struct config cfg;
	char *argv[] = { "stockade", "--ini", p, NULL };
	loader_init(&L);
	cr_assert_eq(config_read_argv(&L, 3, argv), 0);
	cr_assert_eq(config_resolve(&L), 0);
	config_apply(&L, &cfg);
	cr_assert_eq(cfg.http_socket.n, 2);
	cr_assert_str_eq(cfg.http_socket.v[1], ":2");
	cr_assert_eq(cfg.processes, 4);
	cr_assert_str_eq(cfg.callable, "application");
	cr_assert_eq(cfg.listen_backlog, 1024, "listen default (uWSGI's 100 overflows behind nginx)");
	config_free(&cfg);
	loader_free(&L);
}

Test(ini, malformed_section_and_missing_file)
{
	expect_err(run_ini_text("[uwsgi\nmaster\n"), "t.ini:1: malformed section header");
	expect_err(RUN("--ini", "/nonexistent/x.ini"), "cannot read ini file '/nonexistent/x.ini'");
}

Test(ini, include_in_place_and_loop)
{
	char *inc = write_tmp("inc.ini", "[uwsgi]\nprocesses = 7\n");
	char *text = xasprintf("[uwsgi]\nmaster\ninclude = %s\nvacuum\n", inc);
	expect_ok(run_ini_text(text), "master = true\nprocesses = 7\nvacuum = true\n");
	char *self = write_tmp("self.ini", "[uwsgi]\ninclude = %p\n");
	expect_err(RUN("--ini", self), "nested too deeply");
	expect_err(run_ini_text("[uwsgi]\ninclude = /nonexistent.ini\n"), "t.ini:2: cannot read ini file");
}

Test(ini, inherit_is_not_expanded)
{
	char *inc = write_tmp("inh.ini", "[uwsgi]\nchdir = $(HOME)/%(x)\n");
	char *text = xasprintf("[uwsgi]\nx = y\ninherit = %s\nenv = A=%%(x)\n", inc);
	expect_ok(run_ini_text(text), "chdir = $(HOME)/%(x)\nenv = A=y\n");
}

/* ---- command line ---------------------------------------------------------- */

Test(cli, forms)
{
	expect_ok(RUN("--master", "--processes=3", "--http-socket", ":8080", "-p", "2", "-Mb8192",
	              "--vacuum=false", "-s", "/tmp/s.sock"),
	          "master = true\nprocesses = 3\nhttp-socket = :8080\nprocesses = 2\nmaster = true\n"
	          "buffer-size = 8192\nvacuum = false\nsocket = /tmp/s.sock\n");
}

Test(cli, unknown_and_no_prefix_abbreviation)
{
	expect_err(RUN("--jial2", "x"), "unknown option --jial2 (did you mean --jail2?)");
	expect_err(RUN("--jail-ip"), "unknown option --jail-ip");
	expect_err(RUN("--mast"), "unknown option --mast");
	expect_err(RUN("-Y"), "unknown option -Y");
	expect_err(RUN("--http-socket"), "requires an argument");
	expect_err(RUN("--version=off ; x"), "option 'version': 'off ; x' starts with 'off'");
}

Test(cli, positional_files_by_extension)
{
	char *p = write_tmp("pos.ini", "[uwsgi]\nworkers = 2\n");
	expect_ok(RUN(p), "processes = 2\n");
	expect_err(RUN("/tmp/whatever.conf"), "unable to load configuration from '/tmp/whatever.conf'");
}

Test(cli, environment)
{
	struct loader L;
	char *env[] = { "UWSGI_PROCESSES=4", "STOCKADE_HTTP_SOCKET=:9", "UWSGI_RELOADS=3",
		"UWSGI_EMPEROR_FD=5", "PATH=/bin", NULL };
	int outfd = tmpfd();
	loader_init(&L);
	cr_assert_eq(config_read_env(&L, env), 0);
	cr_assert_eq(config_resolve(&L), 0);
	config_show(&L, outfd);
	char *out = slurp_fd(outfd);
	cr_assert_str_eq(out, "processes = 4\nhttp-socket = :9\n");
	loader_free(&L);
}

/* ---- magic, passes, placeholders ---------------------------------------------- */

Test(magic, file_variables)
{
	char *p = write_tmp("app.ini", "[uwsgi]\nchdir = %d|%s|%n|%e|%x|%%|100%z|%c\n");
	char *dir = xstrndup(p, (size_t)(strrchr(p, '/') - p + 1));
	char *last = xstrndup(dir + 5, strlen(dir) - 6);  /* /tmp/<last>/ */
	char *expected = xasprintf("chdir = %s|app.ini|app|ini||%%|100|%s\n", dir, last);
	expect_ok(RUN("--ini", p), expected);
	char *spec = xasprintf("%s:uwsgi", p);
	expected = xasprintf("chdir = %s|app.ini|app|ini|uwsgi|%%|100|%s\n", dir, last);
	expect_ok(RUN("--ini", spec), expected);
}

Test(passes, env_at_placeholders)
{
	setenv("STK_SET", "val", 1);
	setenv("STK_EMPTY", "", 1);
	unsetenv("STK_UNSET");
	char *f = write_tmp("content.txt", "from-file\n");
	char *text = xasprintf("[uwsgi]\n"
	                       "env = A=$(STK_SET) B=$(STK_UNSET) C=$(STK_UNSET:-d1) D=$(STK_EMPTY:-d2) E=[$(STK_EMPTY-d3)]\n"
	                       "env = F=@(%s) G=@(exec://echo hi)\n"
	                       "env = H=%%(later) I=%%(n + 2 * 3) J=%%(later n) K=%%(n ++) L=%%(nope) M=%%(n / 0)\n"
	                       "later = defined-after-use\n"
	                       "n = 40\n", f);
	expect_ok(run_ini_text(text),
	          "env = A=val B=$(STK_UNSET) C=d1 D=d2 E=[]\n"
	          "env = F=from-file G=hi\n"
	          "env = H=defined-after-use I=126 J=defined-after-use40 K=41 L=%(nope) M=0\n");
}

Test(passes, at_errors)
{
	expect_err(run_ini_text("[uwsgi]\nchdir = @(/nonexistent/file)\n"), "t.ini:2: @(/nonexistent/file)");
	expect_err(run_ini_text("[uwsgi]\nchdir = @(exec://exit 3)\n"), "command failed");
	expect_err(run_ini_text("[uwsgi]\na = %(b)\nb = %(a)\nchdir = %(a)\n"), "nested too deeply");
}

Test(passes, placeholder_can_name_an_option)
{
	expect_ok(run_ini_text("[uwsgi]\nhttp-socket = :8080\nenv = SOCK=%(http-socket)\n"),
	          "http-socket = :8080\nenv = SOCK=:8080\n");
}

/* ---- logic -------------------------------------------------------------------- */

Test(logic, else_and_negation)
{
	expect_ok(run_ini_text("[uwsgi]\nif-exists = /nonexistent\nenv = A=1\nelse =\nenv = B=1\nendif =\n"
	                       "if-dir = /tmp\nenv = C=%(_)\nelse\nenv = D=1\nend-if\n"
	                       "if-not-file = /tmp\nenv = E=%(_)\nendif\n"),
	          "env = B=1\nenv = C=/tmp\nenv = E=/tmp\n");
}

Test(logic, nesting)
{
	expect_ok(run_ini_text("[uwsgi]\n"
	                       "for = a b\n"
	                       "  if-not-exists = /nonexistent/%(_)\n"
	                       "    for-times = 2\n"
	                       "      env = X=%(_)\n"
	                       "    endfor\n"
	                       "    env = Y=%(_)\n"
	                       "  endif\n"
	                       "  if-exists = /nonexistent\n"
	                       "    if-exists = /tmp\n"
	                       "      env = NEVER=1\n"
	                       "    endif\n"
	                       "    env = NEVER=2\n"
	                       "  endif\n"
	                       "  env = Z=%(_)\n"
	                       "endfor\n"),
	          "env = X=1\nenv = X=2\nenv = Y=/nonexistent/a\nenv = Z=a\n"
	          "env = X=1\nenv = X=2\nenv = Y=/nonexistent/b\nenv = Z=b\n");
}

Test(logic, env_opt_os_hostname_reload)
{
	setenv("STK_MODE", "prod", 1);
	char host[256];
	gethostname(host, sizeof(host));
	char *text = xasprintf("[uwsgi]\nprocesses = 2\n"
	                       "if-env = STK_MODE=prod\nenv = A=%%(_)\nendif\n"
	                       "if-env = STK_MODE=dev\nenv = NO=1\nendif\n"
	                       "if-not-env = STK_NOPE\nenv = B=1\nendif\n"
	                       "if-opt = processes=2\nenv = C=%%(_)\nendif\n"
	                       "if-not-opt = master\nenv = D=1\nendif\n"
	                       "if-os = linux|freebsd\nenv = E=%%(_)\nendif\n"
	                       "if-not-os = freebsd\nenv = F=1\nendif\n"
	                       "if-hostname = %s\nenv = G=1\nendif\n"
	                       "if-not-hostname = %s\nenv = NO=2\nendif\n"
	                       "if-reload\nenv = NO=3\nelse\nenv = H=1\nendif\n", host, host);
	expect_ok(run_ini_text(text), "processes = 2\nenv = A=prod\nenv = B=1\nenv = C=2\nenv = D=1\n"
	                             "env = E=linux\nenv = F=1\nenv = G=1\nenv = H=1\n");
}

Test(logic, loops)
{
	char *lines = write_tmp("lines.txt", "one\ntwo\n\nthree\n");
	char *dir = xstrndup(lines, (size_t)(strrchr(lines, '/') - lines));
	char *text = xasprintf("[uwsgi]\nfor-readline = %s\nenv = R=%%(_)\nendfor\n"
	                       "for-glob = %s/*.txt\nenv = G=%%(_)\nendfor\n"
	                       "for-times = 0\nenv = NEVER=1\nendfor\n", lines, dir);
	char *expected = xasprintf("env = R=one\nenv = R=two\nenv = R=three\nenv = G=%s\n", lines);
	expect_ok(run_ini_text(text), expected);
}

Test(logic, errors)
{
	expect_err(run_ini_text("[uwsgi]\nmaster\nif-exists = /tmp\nvacuum\n"),
	           "t.ini:3: unterminated 'if-exists' block");
	expect_err(run_ini_text("[uwsgi]\nendif =\n"), "t.ini:2: 'endif' without an open block");
	expect_err(run_ini_text("[uwsgi]\nelse\n"), "t.ini:2: 'else' without an open block");
	expect_err(run_ini_text("[uwsgi]\nfor = a\nelse\nendfor\n"), "t.ini:3: 'else' inside a 'for' loop");
	expect_err(run_ini_text("[uwsgi]\nfor-times = x\nendfor\n"), "t.ini:2: for-times: 'x' is not a number");
	expect_err(run_ini_text("[uwsgi]\nif-exists =\nendif\n"), "t.ini:2: 'if-exists' needs an argument");
}

Test(logic, command_line)
{
	expect_ok(RUN("--if-exists", "/tmp", "--master", "--endif", "--if-exists", "/nonexistent", "--vacuum", "--endif"),
	          "master = true\n");
}

/* ---- unknown keys, strict, values --------------------------------------------- */

Test(unknown, did_you_mean_and_placeholders)
{
	expect_err(run_ini_text("[uwsgi]\njial2 = path=/x\n"), "t.ini:2: unknown option 'jial2' (did you mean 'jail2'?)");
	expect_err(run_ini_text("[uwsgi]\nprocesess = 2\n"), "did you mean 'processes'?");
	/* referenced as a placeholder: fine */
	expect_ok(run_ini_text("[uwsgi]\njial2 = x\nenv = A=%(jial2)\n"), "env = A=x\n");
	/* far from any option: a placeholder, silently */
	expect_ok(run_ini_text("[uwsgi]\nmy-app-root = /srv\nmaster\n"), "master = true\n");
	expect_ok(run_ini_text("[uwsgi]\nset-ph = jial2=x\nmaster\n"), "master = true\n");
}

Test(unknown, strict)
{
	expect_err(run_ini_text("[uwsgi]\nstrict\nmy-app-root = /srv\n"), "t.ini:3: [strict] unknown config key 'my-app-root'");
	expect_ok(run_ini_text("[uwsgi]\nstrict = true\nset-placeholder = root=/srv\nchdir = %(root)\n"), "chdir = /srv\n");
}

Test(values, booleans_and_integers)
{
	expect_ok(run_ini_text("[uwsgi]\nmaster = yes\nvacuum = OFF\nenable-threads = 1\nlazy-apps = no\n"),
	          "master = true\nvacuum = false\nenable-threads = true\nlazy-apps = false\n");
	/* uWSGI's readings (core/uwsgi.c): anything but false/off/no/0 is true,
	 * an integer is its leading digits; each such value gets a warning */
	expect_ok(run_ini_text("[uwsgi]\nmaster = maybe\nvacuum = true ; delete sockets\n"
	                       "processes = 2 ; two\nbuffer-size = 65536  # max\n"),
	          "master = true\nvacuum = true\nprocesses = 2\nbuffer-size = 65536\n");
	expect_err(run_ini_text("[uwsgi]\nmaster = false ; no master\n"),
	           "t.ini:2: option 'master': 'false ; no master' starts with 'false' but uWSGI reads it as true");
	expect_err(run_ini_text("[uwsgi]\nprocesses = -1\n"), "not a non-negative integer");
	expect_err(run_ini_text("[uwsgi]\nharakiri = $(STK_NEVER_SET)\n"),
	           "t.ini:2: option 'harakiri': '$(STK_NEVER_SET)' is not a non-negative integer (uWSGI would read 0");
	expect_err(run_ini_text("[uwsgi]\nlimit-post = 10M\n"), "t.ini:2: option 'limit-post': '10M': uWSGI would read only its leading digits");
	expect_err(run_ini_text("[uwsgi]\nhttp-socket =\n"), "t.ini:2: option 'http-socket' needs a value");
}

Test(values, set_and_set_placeholder)
{
	expect_ok(run_ini_text("[uwsgi]\nset = processes=3\nset = root=/srv\nchdir = %(root)\n"),
	          "processes = 3\nchdir = /srv\n");
	expect_err(run_ini_text("[uwsgi]\nset-ph = master=1\n"), "'master' is an option, not a placeholder name");
	expect_err(run_ini_text("[uwsgi]\nset = novalue\n"), "needs key=value");
}

Test(values, print_and_exit)
{
	struct result r = run_ini_text("[uwsgi]\nmaster\nexit = 17\nvacuum\n");
	cr_assert_eq(r.rc, -1);
	cr_assert_eq(r.exit_code, 17);
	r = run_ini_text("[uwsgi]\nexit\n");
	cr_assert_eq(r.exit_code, 1);
	expect_err(run_ini_text("[uwsgi]\nexit = lots\n"), "not an exit status");
}

/* ---- JSON ------------------------------------------------------------------------ */

Test(json, arrays_booleans_sections)
{
	char *p = write_tmp("c.json", "{\"uwsgi\": {\"master\": true, \"processes\": 2, "
	                             "\"http-socket\": [\":1\", \":2\"], \"vacuum\": false, \"chdir\": \"%d\"},"
	                             " \"other\": {\"processes\": 8}}");
	char *dir = xstrndup(p, (size_t)(strrchr(p, '/') - p + 1));
	char *expected = xasprintf("master = true\nprocesses = 2\nhttp-socket = :1\nhttp-socket = :2\n"
	                           "vacuum = false\nchdir = %s\n", dir);
	expect_ok(RUN("--json", p), expected);
	char *spec = xasprintf("%s:other", p);
	expect_ok(RUN(spec), "processes = 8\n");
	char *bad = write_tmp("bad.json", "{\"uwsgi\": {\"master\": tru}}");
	expect_err(RUN("--json", bad), "bad.json:1: invalid JSON");
	char *nested = write_tmp("n.json", "{\"uwsgi\": {\"env\": {\"a\": 1}}}");
	expect_err(RUN("--json", nested), "key 'env': value must be");
}

Test(limits, runaway_loops_and_placeholder_fanout)
{
	expect_err(run_ini_text("[uwsgi]\nfor-times = 1000\nfor-times = 1000\nenv = A=%(_)\nendfor\nendfor\n"),
	           "config logic produced more than 100000 lines");
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, "[uwsgi]\na0 = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	for (int i = 1; i < 16; i++)
		sb_addf(&sb, "a%d = %%(a%d)%%(a%d)%%(a%d)\n", i, i - 1, i - 1, i - 1);
	sb_adds(&sb, "chdir = %(a15)\n");
	expect_err(run_ini_text(sb.buf), "after %() expansion");
	sb_free(&sb);
}
