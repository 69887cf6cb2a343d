/* SPDX-License-Identifier: MIT */
/* jail_close_fds(): what a jailed process keeps of its descriptors. Each
 * case runs in a child, since it closes everything else (Criterion's own
 * descriptors included); the child answers with its exit status. */
#include <criterion/criterion.h>

#include "jail/fds.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Runs body in a child; its exit status (0 = all checks held). */
static int in_child(int (*body)(void))
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(body());
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "child died: status %d", st);
	return WEXITSTATUS(st);
}

static int keeps_only_the_listed(void)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY);           /* would lead out of a jail */
	int null = open("/dev/null", O_RDONLY);
	int pipefd[2];
	if (dir < 0 || null < 0 || pipe(pipefd) < 0 || dup2(null, 200) != 200 || dup2(null, 201) != 201)
		return 10;
	int keep[] = { 201, pipefd[1], -1, 1, pipefd[1] };    /* unsorted, junk, < 3, duplicate */
	if (jail_close_fds(keep, sizeof(keep) / sizeof(keep[0])) < 0)
		return 11;
	if (is_open(dir) || is_open(null) || is_open(pipefd[0]) || is_open(200))
		return 1;
	if (!is_open(201) || !is_open(pipefd[1]))
		return 2;
	if (!is_open(0) || !is_open(1) || !is_open(2))
		return 3;
	return 0;
}

Test(jail_fds, keeps_only_the_listed_descriptors)
{
	cr_assert_eq(in_child(keeps_only_the_listed), 0);
}

static int closes_everything_without_a_list(void)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	if (dir < 0 || dup2(dir, 1000) != 1000)
		return 10;
	if (jail_close_fds(NULL, 0) < 0)
		return 11;
	if (is_open(dir) || is_open(1000))
		return 1;
	return is_open(0) && is_open(2) ? 0 : 3;
}

Test(jail_fds, closes_everything_above_2_without_a_list)
{
	cr_assert_eq(in_child(closes_everything_without_a_list), 0);
}
