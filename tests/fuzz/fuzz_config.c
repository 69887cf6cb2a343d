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
 *  - for-glob only lists directories.
 * The input lives in /tmp/stockade-fuzz-<pid>.ini, rewritten per run and
 * removed at exit.
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

#include "core/config.h"
#include "core/log.h"

#define MAX_TEXT	8192
#define MAX_READ	(1 << 20)
#define PROC_MAGIC	0x9fa0
#define SYSFS_MAGIC	0x62656572

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ini_path[64];
static int devnull = -1;

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

	if (size > MAX_TEXT)
		return 0;
	if (!write_ini(data, size))
		abort();	/* /tmp full: the run would test nothing */
	loader_init(&L);
	if (config_load_ini(&L, ini_path, from, false) == 0 && !asks_for_exec(&L) &&
	    config_resolve(&L) == 0) {
		if (config_apply(&L, &cfg) != 0)
			abort();	/* a resolved config must apply */
		config_show(&L, devnull);
		config_free(&cfg);
	}
	loader_free(&L);
	return 0;
}
