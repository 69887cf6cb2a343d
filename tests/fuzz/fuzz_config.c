/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the configuration reader: the input is an ini file,
 * run through loader_init -> config_load_ini -> config_resolve ->
 * config_apply/config_show/config_free -> loader_free, with the log sent
 * to /dev/null. Finds memory errors (ASan), undefined behaviour (UBSan)
 * and leaks (LSan); also checks that a resolved config always applies.
 *
 * The config language can reach outside the process; the harness keeps
 * the fuzzer from doing so, whatever the input builds out of magic %x
 * variables, $(ENV) defaults and placeholders:
 *  - @(exec://cmd): execl() below is a stub that fails, so the forked
 *    child only _exit()s; entries that visibly ask for it are not
 *    resolved at all, which saves the fork.
 *  - include/inherit/ini/json, @(file) and for-readline read through
 *    read_file() -> open(), which open() below limits to regular files of
 *    at most 1 MiB outside /proc and /sys, opened read-only (no /dev/zero,
 *    FIFO, terminal or /proc/kmsg to hang on; no writes).
 *  - print writes to stdout, which is /dev/null here.
 *  - exit only sets a flag in the loader; it never ends the process.
 *  - for-glob and for-readline are not run (see too_costly()).
 * The language can also ask for unbounded work: loops nest and multiply
 * (a 1.5 KB input made 63 million entries), placeholders fan out, files
 * include each other. Inputs that could are skipped or cut short:
 * too_costly() bounds loops and parentheses, open() allows a few file
 * loads per input, and big entry lists are not resolved.
 * The input lives in /tmp/stockade-fuzz-<pid>.ini, rewritten per run and
 * removed at a normal exit (a crash or timeout leaves it behind).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "config/options.h"

#define MAX_TEXT	4096
#define MAX_READ	(1 << 20)
#define MAX_OPENS	8	/* file loads per input */
#define MAX_PARENS	32	/* '(' per input: $( @( %( */
#define MAX_LOOPS	8	/* product of all loop iteration counts */
#define MAX_ENTRIES	2000	/* resolved and applied */
#define PROC_MAGIC	0x9fa0
#define SYSFS_MAGIC	0x62656572

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ini_path[64];
static int devnull = -1;
static int opens_left;

/* Replaces libc's for this program: the config code never runs a command. */
int
execl(const char *path, const char *arg, ...)
{
	(void)path;
	(void)arg;
	errno = EACCES;
	return -1;
}

/* Replaces libc's open() for this program (libc and the fuzzer runtime
 * open files through internal names): read-only, small regular files. */
int
open(const char *path, int flags, ...)
{
	struct statfs sfs;
	struct stat st;
	int fd;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))) {
		errno = EACCES;
		return -1;
	}
	if (opens_left <= 0) {
		errno = EMFILE;
		return -1;
	}
	opens_left--;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = openat(AT_FDCWD, path, flags | O_NONBLOCK | O_NOCTTY)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_READ || sfs.f_type == PROC_MAGIC ||
	    sfs.f_type == SYSFS_MAGIC) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	return fd;
}

static void
remove_ini(void)
{
	unlink(ini_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(ini_path, sizeof(ini_path), "/tmp/stockade-fuzz-%ld.ini", (long)getpid());
	atexit(remove_ini);
	if ((devnull = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	log_set_file(devnull);
	fflush(stdout);
	dup2(devnull, 1);	/* `print` */
	unsetenv("UWSGI_RELOADS");
	return 0;
}

static bool
write_ini(const uint8_t *data, size_t size)
{
	FILE *f = fopen(ini_path, "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok;
}

static char *
trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r");
	end = s + strlen(s);
	while (end > s && strchr(" \t\r", end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Whether the input could ask for more work than a fuzzing run should do.
 * Looks at the raw text, split as config_ini.c does (the loader too stops
 * at a NUL). Magic variables can change values but never add a line, so
 * keys with no '%' are the keys of every section's expansion.
 */
static bool
too_costly(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), *cursor = text, *line, *s, *eq, *arg, *save;
	const struct option_def *opt;
	unsigned long long n, product = 1;
	size_t parens = 0;
	bool costly = false;

	if (text == NULL)
		abort();
	for (s = text; *s; s++)
		parens += *s == '(';
	if (parens > MAX_PARENS)
		costly = true;
	while (!costly && (line = strsep(&cursor, "\n")) != NULL) {
		s = trim(line);
		if (*s == '\0' || *s == ';' || *s == '#' || *s == '[')
			continue;
		arg = (char *)"";
		if ((eq = strchr(s, '=')) != NULL) {
			*eq = '\0';
			arg = trim(eq + 1);
		}
		s = trim(s);
		if (strchr(s, '%')) {
			costly = true;	/* a key magic could turn into a loop */
			break;
		}
		opt = option_find(s);
		if (opt == NULL || !(opt->flags & OPT_OPENER) || strncmp(opt->name, "for", 3) != 0)
			continue;
		if (strpbrk(arg, "%$@") || (strcmp(opt->name, "for") != 0 &&
		    strcmp(opt->name, "for-times") != 0)) {
			costly = true;	/* for-glob, for-readline, or a count we cannot see */
			break;
		}
		n = 0;
		if (strcmp(opt->name, "for") == 0) {
			for (s = strtok_r(arg, " ", &save); s; s = strtok_r(NULL, " ", &save))
				n++;
		} else {
			n = strtoull(arg, NULL, 10);
		}
		product *= n > 1 ? (n > MAX_LOOPS ? MAX_LOOPS + 1 : n) : 1;
		costly = product > MAX_LOOPS;
	}
	free(text);
	return costly;
}

/* An entry whose value names exec:// would only fork the stubbed child. */
static bool
asks_for_exec(const struct loader *L)
{
	for (size_t i = 0; i < L->list.n; i++)
		if (strstr(L->list.v[i].value, "exec://"))
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct origin from = { "fuzz", 0 };
	struct config cfg;
	struct loader L;

	if (size > MAX_TEXT || too_costly(data, size))
		return 0;
	if (!write_ini(data, size))
		abort();	/* /tmp full: the run would test nothing */
	opens_left = MAX_OPENS;
	loader_init(&L);
	if (config_load_ini(&L, ini_path, from, false) == 0 && !asks_for_exec(&L) &&
	    L.list.n <= MAX_ENTRIES && config_resolve(&L) == 0) {
		if (config_apply(&L, &cfg) != 0)
			abort();	/* a resolved config must apply */
		config_show(&L, devnull);
		config_free(&cfg);
	}
	loader_free(&L);
	return 0;
}
