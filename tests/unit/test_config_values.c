/* SPDX-License-Identifier: MIT */
/* Option values read as uWSGI reads them (config/config_values.c) and the
 * %() pipeline (config/config_magic.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_values.h"
#include "base/log.h"
#include "base/util.h"

static void
bool_ok(const char *s, bool want, bool warned)
{
	struct value_note n;
	bool b = !want;
	cr_assert_eq(value_read_bool(s, &b, &n), 0, "'%s' refused: %s", s, n.text);
	cr_assert_eq(b, want, "'%s' read as %d", s, b);
	cr_assert_eq(n.text[0] != '\0', warned, "'%s' warning: '%s'", s, n.text);
}

static void
bool_refused(const char *s)
{
	struct value_note n;
	bool b;
	cr_assert_eq(value_read_bool(s, &b, &n), -1, "'%s' accepted", s);
	cr_assert(strstr(n.text, "uWSGI reads it as true"), "%s", n.text);
}

Test(values, booleans_as_uwsgi)
{
	bool_ok("true", true, false);
	bool_ok("", true, false);
	bool_ok("OFF", false, false);
	bool_ok("No", false, false);
	bool_ok("0", false, false);
	/* anything else is true in uWSGI, with a warning here */
	bool_ok("true ; delete sockets", true, true);
	bool_ok("1 # yes", true, true);
	bool_ok("enabled", true, true);
	bool_ok("2", true, true);
	bool_ok("nothing", true, true);     /* a word, not "no" + text */
	bool_ok("offline", true, true);
	/* false words followed by text: uWSGI turns the option on */
	bool_refused("false ; keep sockets");
	bool_refused("off # not now");
	bool_refused("no;");
	bool_refused("0 # zero");
	bool_refused("FALSE, really");
}

static void
uint_ok(const char *s, unsigned long long want, const char *warn)
{
	struct value_note n;
	unsigned long long v = 0;
	cr_assert_eq(value_read_uint(s, 1ULL << 53, &v, &n), 0, "'%s' refused: %s", s, n.text);
	cr_assert_eq(v, want, "'%s' read as %llu", s, v);
	if (warn)
		cr_assert(strstr(n.text, warn), "'%s': warning '%s' lacks '%s'", s, n.text, warn);
	else
		cr_assert_eq(n.text[0], '\0', "'%s' warned: %s", s, n.text);
}

static void
uint_refused(const char *s, const char *why)
{
	struct value_note n;
	unsigned long long v;
	cr_assert_eq(value_read_uint(s, 1ULL << 53, &v, &n), -1, "'%s' accepted", s);
	cr_assert(strstr(n.text, why), "'%s': '%s' lacks '%s'", s, n.text, why);
}

Test(values, integers_as_uwsgi)
{
	uint_ok("65536", 65536, NULL);
	uint_ok("0", 0, NULL);
	uint_ok("+8", 8, NULL);
	uint_ok("65536  # max", 65536, "inline comment (uWSGI has none): read as 65536");
	uint_ok("4 ; workers", 4, "inline comment");
	uint_ok("30 seconds", 30, "trailing text: read as 30");
	uint_refused("", "not a non-negative integer");
	uint_refused("-1", "not a non-negative integer");
	uint_refused("$(WORKERS)", "uWSGI would read 0");
	uint_refused("ten", "uWSGI would read 0");
	uint_refused("64k", "leading digits");
	uint_refused("1.5", "leading digits");
	uint_refused("1,000", "leading digits");
	uint_refused("99999999999999999999", "too large");
}

Test(values, inline_comment_position)
{
	cr_assert_null(value_inline_comment("/srv/app#1"));
	cr_assert_null(value_inline_comment("a;b"));
	cr_assert_str_eq(value_inline_comment("/srv # here"), "# here");
	cr_assert_str_eq(value_inline_comment("x\t; y"), "; y");
}

/* ---- %() as uWSGI's pipeline ----------------------------------------- */

static char *
show(const char *text, int *rc)
{
	char dir[] = "/tmp/stockade-values-XXXXXX";
	cr_assert(mkdtemp(dir));
	char *path = xasprintf("%s/t.ini", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	char out[] = "/tmp/stockade-values-out-XXXXXX";
	int fd = mkstemp(out);
	cr_assert(fd >= 0);
	unlink(out);
	int errfd = dup(fd);
	log_set_file(errfd);
	struct loader L;
	loader_init(&L);
	*rc = config_load_ini(&L, path, (struct origin){ "test", 0 }, false);
	if (*rc == 0)
		*rc = config_resolve(&L);
	if (*rc == 0)
		config_show(&L, fd);
	loader_free(&L);
	log_set_file(2);
	close(errfd);
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	unlink(path);
	rmdir(dir);
	free(path);
	return xstrdup(buf);
}

Test(placeholders, uwsgi_pipeline)
{
	int rc;
	/* the example in uWSGI's core/config.c: "2" "8" concatenated, then + 2 */
	char *o = show("[uwsgi]\np = 2\nc = 8\nenv = A=%(p c + 2)\n"
	               /* after an operation, back to concatenation: 1 + 2 3 is 33 */
	               "env = B=%(1 + 2 3)\n"
	               /* ++ returns to concatenation */
	               "env = C=%(p ++ c)\n"
	               /* operands are read as strtoll reads them */
	               "w = 4 ; four\nenv = D=%(w * 2)\n"
	               /* an unknown key is empty in a concatenation */
	               "env = E=[%(p nope)]\n"
	               "env = F=%(7 / 0)\n", &rc);
	cr_assert_eq(rc, 0, "%s", o);
	cr_assert(strstr(o, "env = A=30\nenv = B=33\nenv = C=38\n"), "%s", o);
	cr_assert(strstr(o, "env = D=8\nenv = E=[2]\nenv = F=0\n"), "%s", o);
	free(o);
	/* an unknown key as an arithmetic operand: uWSGI would use 0 */
	o = show("[uwsgi]\nprocesses = %(cores * 2)\n", &rc);
	cr_assert_eq(rc, -1);
	cr_assert(strstr(o, "t.ini:2: %(cores * 2): 'cores' is not a number"), "%s", o);
	free(o);
}
