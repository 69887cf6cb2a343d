/* SPDX-License-Identifier: MIT */
/*
 * The monotonic clock, in the units callers compare deadlines in. One
 * place, so that every timeout in the tree ticks on the same clock.
 */
#ifndef STOCKADE_BASE_CLOCK_H
#define STOCKADE_BASE_CLOCK_H

#include <stdint.h>

int64_t	clock_us(void);		/* microseconds since an arbitrary start */
int64_t	clock_ms(void);		/* milliseconds, same start */
int64_t	clock_s(void);		/* seconds, same start */

#endif
