/* SPDX-License-Identifier: MIT */
/*
 * What the Emperor needs from the OS beyond POSIX: change notification for
 * the vassal directories (Linux inotify in emperor_linux.c, FreeBSD kqueue
 * EVFILT_VNODE in emperor_freebsd.c) and the jail a vassal runs in. The
 * periodic rescan stays the fallback for anything not reported.
 * Library code: nothing here logs.
 */
#ifndef STOCKADE_EMPEROR_OS_H
#define STOCKADE_EMPEROR_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct notify;

/* NULL with errno when the OS offers nothing: periodic scans only. */
struct notify *notify_open(void);
void notify_close(struct notify *n);
/* Readable when events are pending (close-on-exec). */
int notify_fd(const struct notify *n);
/* For the backends (emperor_notify.c): a handle that owns fd. */
struct notify *notify_from_fd(int fd);
/* Watches a directory for entries created, removed, renamed, written or
 * changed in their attributes. A watch id >= 0, or -1 with errno. */
int notify_watch_dir(struct notify *n, const char *dir);
/* True when changes inside a file are not seen through its directory's
 * watch (kqueue): the Emperor then also watches each vassal file. */
bool notify_wants_file_watches(void);
/* Watches one file (only where notify_wants_file_watches()). */
int notify_watch_file(struct notify *n, const char *path);
void notify_unwatch(struct notify *n, int wd);
/* Reads every pending event; calls cb once per event with its watch id and
 * the name of the entry it is about (NULL: the watched object itself, or
 * not known), or with wd -1 when events were lost (rescan everything). */
void notify_drain(struct notify *n, void (*cb)(int wd, const char *name, void *data), void *data);

/* The jail a vassal process (or its direct child: the Linux jail's init, or
 * an attached master) runs in: 0 with jid and name filled, -1 if none. */
int emperor_jail_of(pid_t pid, long *jid, char *name, size_t len);

#endif
