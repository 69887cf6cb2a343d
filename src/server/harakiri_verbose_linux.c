/* SPDX-License-Identifier: MIT */
/*
 * harakiri-verbose on Linux (core/master_utils.c trigger_harakiri): before
 * a stuck worker is killed, the log gets the system call it is in
 * (/proc/<pid>/syscall) and the kernel function it waits in (wchan).
 */
#include "server/process_options.h"
#include "base/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
log_proc_file(pid_t pid, const char *file, const char *label)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	log_msg("HARAKIRI: -- %s> %s", label, buf);
}

void
harakiri_verbose(pid_t pid)
{
	log_proc_file(pid, "syscall", "syscall");
	log_proc_file(pid, "wchan", "wchan");
}
