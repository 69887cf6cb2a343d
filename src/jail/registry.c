/* SPDX-License-Identifier: MIT */
/* The jail registry: names and jids of the Linux jails under /run/stockade
 * (see registry.h for the layout). Plain files and flock(2); every change
 * is made under the registry-wide lock. */
#include "jail/registry.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JID_MAX 999999L         /* FreeBSD's JAIL_MAX */

static char root_dir[PATH_MAX] = "/run/stockade";

void
registry_set_root(const char *dir)
{
	snprintf(root_dir, sizeof(root_dir), "%s", dir);
}

const char *
registry_root(void)
{
	return root_dir;
}

bool
registry_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= REGISTRY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)name[i]) || name[i] == '/' || name[i] == '.')
			return false;
	return true;
}

/* snprintf for paths and names: truncation (never expected: the root is
 * short and names are checked) gives an empty string, never a wrong path. */
static void pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

static bool
all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* ---- files ------------------------------------------------------------------ */

static void
entry_dir(const char *name, char *buf, size_t len)
{
	pathf(buf, len, "%s/jails/%s", root_dir, name);
}

static void
jid_link(long jid, char *buf, size_t len)
{
	pathf(buf, len, "%s/jid/%ld", root_dir, jid);
}

/* An existing directory is trusted only if it is really ours: not a
 * symlink, owned by us, writable by nobody else. */
static int
mkdir_0700(const char *path)
{
	struct stat st;
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST || lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int
ensure_dirs(void)
{
	char p[PATH_MAX];
	if (mkdir_0700(root_dir) < 0)
		return -1;
	pathf(p, sizeof(p), "%s/jails", root_dir);
	if (mkdir_0700(p) < 0)
		return -1;
	pathf(p, sizeof(p), "%s/jid", root_dir);
	return mkdir_0700(p);
}

/*
 * The registry-wide lock: an fd to close when done, or -1. Without wait,
 * the lock is taken only if it is free at once (*locked says whether);
 * else the fd comes alone: a reader that must not wait (the Emperor's
 * stats server runs in its event loop) lists without it; entries are
 * written atomically, so it sees whole entries, at worst one that is being
 * created or removed.
 */
static int
open_lock(bool wait, bool *locked)
{
	char p[PATH_MAX];
	int fd, saved;

	*locked = false;
	if (ensure_dirs() < 0)
		return -1;
	pathf(p, sizeof(p), "%s/registry.lock", root_dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (!wait && errno == EWOULDBLOCK)
			return fd;
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*locked = true;
	return fd;
}

static int
global_lock(void)
{
	bool locked;

	return open_lock(true, &locked);
}

static int
global_lock_try(bool *locked)
{
	return open_lock(false, locked);
}

static void
global_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* temp file + rename: a reader under another lock holder never sees a
 * half-written entry, a full disk leaves none. No fsync: the registry
 * describes running processes, and none of them outlives a crash of the
 * machine; on a disk-backed /run each fsync was a disk flush per file,
 * eight per jail start. */
static int
write_text(const char *dir, const char *file, const char *text)
{
	char dst[PATH_MAX], tmp[PATH_MAX];
	int fd, saved;

	pathf(dst, sizeof(dst), "%s/%s", dir, file);
	pathf(tmp, sizeof(tmp), "%s/.%s.tmp.%d", dir, file, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* left by an earlier process with our pid that died mid-write */
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_full(fd, text, strlen(text)) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, dst) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

static char *
read_text(const char *dir, const char *file)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	size_t cap = 256, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	return buf;
}

/* A one-line file into buf without the trailing newline. 0 or -1. */
static int
read_line(const char *dir, const char *file, char *buf, size_t len)
{
	char *t = read_text(dir, file);
	if (!t)
		return -1;
	t[strcspn(t, "\n")] = '\0';
	snprintf(buf, len, "%s", t);
	free(t);
	return 0;
}

static int
read_ull(const char *dir, const char *file, unsigned long long *out)
{
	char buf[64], *end;
	if (read_line(dir, file, buf, sizeof(buf)) < 0 || !isdigit((unsigned char)buf[0]))
		return -1;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno || *end ? -1 : 0;
}

int
registry_put(const struct registry_entry *e, const char *file, const char *text)
{
	char dir[PATH_MAX];
	entry_dir(e->name, dir, sizeof(dir));
	return write_text(dir, file, text);
}

char *
registry_get(const struct registry_entry *e, const char *file)
{
	char dir[PATH_MAX];
	entry_dir(e->name, dir, sizeof(dir));
	return read_text(dir, file);
}

/* Fills e from the entry directory `name`. 0, or -1 if it has no jid. */
static int
read_entry(const char *name, struct registry_entry *e)
{
	char dir[PATH_MAX];
	unsigned long long v;
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	entry_dir(name, dir, sizeof(dir));
	if (read_ull(dir, "jid", &v) < 0 || v == 0 || v > JID_MAX)
		return -1;
	e->jid = (long)v;
	if (read_ull(dir, "pid", &v) == 0 && v > 0 && v < (unsigned long long)INT32_MAX)
		e->pid = (pid_t)v;
	if (read_ull(dir, "starttime", &v) == 0)
		e->starttime = v;
	read_line(dir, "hostname", e->hostname, sizeof(e->hostname));
	read_line(dir, "path", e->path, sizeof(e->path));
	read_line(dir, "cgroup", e->cgroup, sizeof(e->cgroup));
	read_line(dir, "jidfile", e->jidfile, sizeof(e->jidfile));
	return 0;
}

/* ---- liveness ------------------------------------------------------------------ */

int
proc_starttime(pid_t pid, unsigned long long *out)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *s = strrchr(buf, ')');
	if (!s)
		return -1;
	s++;
	/* after "(comm)": field 3 (state) is token 0, field 22 (starttime) token 19 */
	char *save = NULL;
	char *tok = strtok_r(s, " ", &save);
	for (int i = 0; tok && i < 19; i++)
		tok = strtok_r(NULL, " ", &save);
	if (!tok || !isdigit((unsigned char)tok[0]))
		return -1;
	*out = strtoull(tok, NULL, 10);
	return 0;
}

/* Someone holds the entry's lock (tested with a fresh open file
 * description, so this works from the holder's own process too). */
static bool
lock_held(const char *name)
{
	char p[PATH_MAX];
	entry_dir(name, p, sizeof(p));
	strncat(p, "/lock", sizeof(p) - strlen(p) - 1);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	int r = flock(fd, LOCK_EX | LOCK_NB);
	bool held = r < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

bool
registry_alive(const struct registry_entry *e)
{
	if (!lock_held(e->name))
		return false;
	if (e->pid == 0)
		return true;    /* being created: the creator holds the lock */
	unsigned long long st;
	return proc_starttime(e->pid, &st) == 0 && st == e->starttime;
}

/* ---- removal and collection ------------------------------------------------------ */

/*
 * registry_alive()'s verdict for the entry `name`, reading only what it
 * needs: the lock first (a free lock is a dead jail, the common case of a
 * stale entry), then pid and starttime. Every create sweeps the whole
 * registry under the global lock, so this runs once per jail per start:
 * reading all seven files of each entry made a start cost grow with the
 * number of running jails (500 jails: 3,500 file reads per start).
 */
static bool
entry_stale(const char *name)
{
	char dir[PATH_MAX];
	unsigned long long pid, st, now;

	if (!lock_held(name))
		return true;
	entry_dir(name, dir, sizeof(dir));
	if (read_ull(dir, "pid", &pid) < 0 || pid == 0)
		return false;   /* being created: the creator holds the lock */
	if (pid >= (unsigned long long)INT32_MAX)
		return false;
	if (read_ull(dir, "starttime", &st) < 0)
		st = 0;         /* as read_entry(): never matches a live process */
	return proc_starttime((pid_t)pid, &now) < 0 || now != st;
}

static void
remove_entry(const char *name, long jid)
{
	char dir[PATH_MAX], p[PATH_MAX + 300];
	entry_dir(name, dir, sizeof(dir));
	if (jid > 0) {
		char link[PATH_MAX], target[PATH_MAX], want[PATH_MAX];
		jid_link(jid, link, sizeof(link));
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		pathf(want, sizeof(want), "../jails/%s", name);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, want) == 0)
				unlink(link);
		}
	}
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			pathf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* With the global lock held. */
static int
gc_locked(void)
{
	char p[PATH_MAX];
	int removed = 0;
	pathf(p, sizeof(p), "%s/jails", root_dir);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (entry_stale(de->d_name)) {
				char dir[PATH_MAX];
				unsigned long long jid;
				entry_dir(de->d_name, dir, sizeof(dir));
				/* no jid: a creator died half-way (it held the global lock) */
				if (read_ull(dir, "jid", &jid) < 0 || jid == 0 || jid > JID_MAX)
					jid = 0;
				remove_entry(de->d_name, (long)jid);
				removed++;
			}
		}
		closedir(d);
	}
	/* dangling jid links */
	pathf(p, sizeof(p), "%s/jid", root_dir);
	d = opendir(p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char link[PATH_MAX + 300];
			struct stat st;
			pathf(link, sizeof(link), "%s/%s", p, de->d_name);
			if (stat(link, &st) < 0 && errno == ENOENT)
				unlink(link);
		}
		closedir(d);
	}
	return removed;
}

int
registry_gc(void)
{
	int fd = global_lock();
	if (fd < 0)
		return 0;
	int n = gc_locked();
	global_unlock(fd);
	return n;
}

void
registry_release(const struct registry_entry *e)
{
	int fd = global_lock();
	if (fd < 0)
		return;
	struct registry_entry cur;
	if (read_entry(e->name, &cur) == 0 && cur.jid == e->jid &&
	    (e->pid == 0 || (cur.pid == e->pid && cur.starttime == e->starttime)))
		remove_entry(e->name, e->jid);
	global_unlock(fd);
}

/* ---- create, lookup, list ------------------------------------------------------- */

/*
 * A create sweeps the whole registry at most once a second (the time of
 * the last sweep is <root>/swept's mtime): with hundreds of jails starting
 * together, a sweep per create made every start read every entry under the
 * global lock. Between sweeps a create still frees what it needs itself:
 * the dead owner of the name it asks for (collect_name) and the dead
 * owners of the jids below the one it takes (jid_free), so names and the
 * lowest free jid are as with a full sweep.
 */
#define SWEEP_EVERY_NS 1000000000LL

static bool
sweep_due(void)
{
	char p[PATH_MAX];
	struct stat st;
	struct timespec now;

	pathf(p, sizeof(p), "%s/swept", root_dir);
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return true;
	if (stat(p, &st) == 0) {
		long long age = (now.tv_sec - st.st_mtim.tv_sec) * 1000000000LL + (now.tv_nsec - st.st_mtim.tv_nsec);
		if (age >= 0 && age < SWEEP_EVERY_NS)
			return false;
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
	return true;
}

/* The entry `name` is removed if its jail is dead. true if it was. */
static bool
collect_name(const char *name)
{
	char dir[PATH_MAX];
	unsigned long long jid;

	if (!entry_stale(name))
		return false;
	entry_dir(name, dir, sizeof(dir));
	if (read_ull(dir, "jid", &jid) < 0 || jid == 0 || jid > JID_MAX)
		jid = 0;
	remove_entry(name, (long)jid);
	return true;
}

/* Whether jid/<jid> is free, after removing the link if it dangles or its
 * jail is dead. Only the lock is read: this runs for every jid below the
 * one a create takes (a held lock whose init is gone waits for a sweep). */
static bool
jid_free(long jid)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct stat st;

	jid_link(jid, link, sizeof(link));
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT || (lstat(link, &st) < 0 && errno == ENOENT);
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	const char *name = slash ? slash + 1 : target;
	if (!registry_name_ok(name) || lock_held(name))
		return false;
	remove_entry(name, jid);        /* the link goes if it points there */
	return lstat(link, &st) < 0 && errno == ENOENT;
}

int
registry_create(const char *name, long jid, struct registry_entry *e, char *err, size_t errlen)
{
	char dir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	memset(e, 0, sizeof(*e));
	if (name && !*name)
		name = NULL;
	if (name && !registry_name_ok(name)) {
		errbuf_set(err, errlen, "invalid jail name '%s'", name);
		return -1;
	}
	if (jid != -1 && (jid < 1 || jid > JID_MAX)) {
		errbuf_set(err, errlen, "jid %ld out of range (1-%ld)", jid, JID_MAX);
		return -1;
	}
	if (name && all_digits(name)) {
		/* FreeBSD: a numeric name must be the jid */
		errno = 0;
		long n = strtol(name, NULL, 10);
		if (errno || n < 1 || n > JID_MAX || (jid != -1 && n != jid)) {
			errbuf_set(err, errlen, "jail name '%s' is numeric but not the jid", name);
			return -1;
		}
		jid = n;
	}
	int gl = global_lock();
	if (gl < 0) {
		errbuf_set(err, errlen, "registry %s: %s", root_dir, strerror(errno));
		return -1;
	}
	if (sweep_due())
		gc_locked();
	if (jid == -1) {
		for (jid = 1; jid <= JID_MAX; jid++) {
			if (jid_free(jid))
				break;
		}
		if (jid > JID_MAX) {
			global_unlock(gl);
			errbuf_set(err, errlen, "no free jid");
			return -1;
		}
		jid_link(jid, link, sizeof(link));
	} else {
		jid_link(jid, link, sizeof(link));
		jid_free(jid);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		struct stat st;
		if (n > 0 || lstat(link, &st) == 0) {
			target[n > 0 ? n : 0] = '\0';
			const char *slash = strrchr(target, '/');
			global_unlock(gl);
			errbuf_set(err, errlen, "jid %ld is already in use (jail '%s')", jid, slash ? slash + 1 : target);
			return -1;
		}
	}
	e->jid = jid;
	if (name)
		snprintf(e->name, sizeof(e->name), "%s", name);
	else
		snprintf(e->name, sizeof(e->name), "%ld", jid);
	entry_dir(e->name, dir, sizeof(dir));
	int made = mkdir(dir, 0700);
	if (made < 0 && errno == EEXIST) {
		if (collect_name(e->name))
			made = mkdir(dir, 0700);        /* a dead jail's name: free again */
		else
			errno = EEXIST;
	}
	if (made < 0) {
		int saved = errno;
		struct registry_entry other;
		if (saved == EEXIST && read_entry(e->name, &other) == 0)
			errbuf_set(err, errlen, "jail name '%s' is already in use (jid %ld)", e->name, other.jid);
		else if (saved == EEXIST)
			errbuf_set(err, errlen, "jail name '%s' is already in use", e->name);
		else
			errbuf_set(err, errlen, "registry %s: %s", dir, strerror(saved));
		global_unlock(gl);
		return -1;
	}
	char p[PATH_MAX + 8], num[32];
	pathf(p, sizeof(p), "%s/lock", dir);
	snprintf(num, sizeof(num), "%ld\n", jid);
	pathf(target, sizeof(target), "../jails/%s", e->name);
	int lock = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0 || write_text(dir, "jid", num) < 0 ||
	    symlink(target, link) < 0) {
		errbuf_set(err, errlen, "registry %s: %s", dir, strerror(errno));
		if (lock >= 0)
			close(lock);
		remove_entry(e->name, 0);
		global_unlock(gl);
		return -1;
	}
	global_unlock(gl);
	return lock;
}

int
registry_set_init(struct registry_entry *e, pid_t pid)
{
	char dir[PATH_MAX], num[32];
	unsigned long long st;
	if (proc_starttime(pid, &st) < 0)
		return -1;
	entry_dir(e->name, dir, sizeof(dir));
	snprintf(num, sizeof(num), "%llu\n", st);
	if (write_text(dir, "starttime", num) < 0)
		return -1;
	snprintf(num, sizeof(num), "%d\n", (int)pid);
	if (write_text(dir, "pid", num) < 0)
		return -1;
	e->pid = pid;
	e->starttime = st;
	return 0;
}

int
registry_lookup(const char *id, struct registry_entry *e, char *err, size_t errlen)
{
	char name[REGISTRY_NAME_MAX];
	memset(e, 0, sizeof(*e));
	if (!id || !*id) {
		errbuf_set(err, errlen, "jail '' not found");
		return -1;
	}
	int gl = global_lock();
	if (gl < 0) {
		errbuf_set(err, errlen, "jail '%s' not found (registry %s: %s)", id, root_dir, strerror(errno));
		return -1;
	}
	gc_locked();
	if (all_digits(id)) {
		char link[PATH_MAX], target[PATH_MAX];
		errno = 0;
		long jid = strtol(id, NULL, 10);
		jid_link(errno ? 0 : jid, link, sizeof(link));
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0) {
			global_unlock(gl);
			errbuf_set(err, errlen, "jail %s not found", id);
			return -1;
		}
		target[n] = '\0';
		const char *slash = strrchr(target, '/');
		pathf(name, sizeof(name), "%s", slash ? slash + 1 : target);
	} else {
		if (!registry_name_ok(id)) {
			global_unlock(gl);
			errbuf_set(err, errlen, "jail '%s' not found", id);
			return -1;
		}
		snprintf(name, sizeof(name), "%s", id);
	}
	int rc = read_entry(name, e);
	global_unlock(gl);
	if (rc < 0 || e->pid == 0) {
		errbuf_set(err, errlen, rc < 0 ? "jail '%s' not found" : "jail '%s' is still being created", id);
		return -1;
	}
	return 0;
}

static int
by_jid(const void *a, const void *b)
{
	const struct registry_entry *x = a, *y = b;
	return (x->jid > y->jid) - (x->jid < y->jid);
}

int
registry_list(struct registry_entry **v, size_t *n)
{
	char p[PATH_MAX];
	*v = NULL;
	*n = 0;
	bool locked;
	int gl = global_lock_try(&locked);
	if (gl < 0)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	if (locked)
		gc_locked();    /* dead jails are swept by whoever holds the lock */
	pathf(p, sizeof(p), "%s/jails", root_dir);
	DIR *d = opendir(p);
	if (!d) {
		global_unlock(gl);
		return 0;
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct registry_entry e;
		if (de->d_name[0] == '.' || read_entry(de->d_name, &e) < 0 || e.pid == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct registry_entry *nv = realloc(*v, cap * sizeof(**v));
			if (!nv) {
				closedir(d);
				global_unlock(gl);
				free(*v);
				*v = NULL;
				*n = 0;
				return -1;
			}
			*v = nv;
		}
		(*v)[(*n)++] = e;
	}
	closedir(d);
	global_unlock(gl);
	if (*n)
		qsort(*v, *n, sizeof(**v), by_jid);
	return 0;
}
