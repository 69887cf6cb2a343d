/* SPDX-License-Identifier: MIT */
/* Closing what a jail must not inherit (fds.h). OS-neutral: close_range()
 * exists on Linux >= 5.9 and FreeBSD >= 12.2, with a close() loop for
 * older kernels. */
#include "jail/fds.h"

#include "base/log.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* [lo, hi] closed; 0 or -1. */
static int
close_span(unsigned lo, unsigned hi)
{
	if (close_range(lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS) {
		log_errno("jail: close_range(%u, %u)", lo, hi);
		return -1;
	}
	struct rlimit rl;
	unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < 1048576 ? (unsigned)rl.rlim_max : 1048576;
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
	return 0;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int
jail_close_fds(const int *keep, size_t nkeep)
{
	int *sorted = NULL;
	if (nkeep > 0) {
		sorted = malloc(nkeep * sizeof(*sorted));
		if (!sorted) {
			log_errno("jail: close descriptors");
			return -1;
		}
		for (size_t i = 0; i < nkeep; i++)
			sorted[i] = keep[i];
		qsort(sorted, nkeep, sizeof(*sorted), cmp_int);
	}
	/* close the gaps between the kept descriptors, then everything above */
	unsigned lo = 3;
	int rc = 0;
	for (size_t i = 0; i < nkeep && rc == 0; i++) {
		if (sorted[i] < 0 || (unsigned)sorted[i] < lo)
			continue;
		if ((unsigned)sorted[i] > lo)
			rc = close_span(lo, (unsigned)sorted[i] - 1);
		lo = (unsigned)sorted[i] + 1;
	}
	free(sorted);
	return rc == 0 ? close_span(lo, ~0U) : -1;
}
