/* SPDX-License-Identifier: MIT */
#include "base/clock.h"

#include <stdlib.h>
#include <time.h>

static struct timespec
monotonic(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC always exists; failing here means a broken libc. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		abort();
	return ts;
}

int64_t
clock_us(void)
{
	struct timespec ts = monotonic();

	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_ms(void)
{
	struct timespec ts = monotonic();

	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_s(void)
{
	return (int64_t)monotonic().tv_sec;
}
