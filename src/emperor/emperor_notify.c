/* SPDX-License-Identifier: MIT */
/*
 * The change-notification handle both OS backends share: one descriptor
 * (inotify on Linux, a kqueue on FreeBSD) that the Emperor's loop watches.
 */
#include "emperor/emperor_os.h"
#include "base/util.h"

#include <stdlib.h>
#include <unistd.h>

struct notify {
	int fd;
};

struct notify *
notify_from_fd(int fd)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->fd = fd;
	return n;
}

void
notify_close(struct notify *n)
{
	if (n == NULL)
		return;
	close(n->fd);
	free(n);
}

int
notify_fd(const struct notify *n)
{
	return n->fd;
}
