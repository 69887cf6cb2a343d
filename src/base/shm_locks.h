/* SPDX-License-Identifier: MIT */
/*
 * Locks shared by every process of an instance: process-shared robust
 * mutexes in an anonymous shared mapping made before the first fork (the
 * user locks of `locks = N`, the cache's lock). A holder that dies with a
 * lock held does not wedge the others: the next locker takes it over.
 */
#ifndef STOCKADE_BASE_SHM_LOCKS_H
#define STOCKADE_BASE_SHM_LOCKS_H

#include <stdbool.h>
#include <stddef.h>

struct shm_locks;

/* n locks, all free. NULL after logging why. */
struct shm_locks	*shm_locks_new(size_t n);
size_t			 shm_locks_count(const struct shm_locks *l);
/* Blocks until lock i is ours. 0, or -1 (bad index, or an error). */
int			 shm_lock(struct shm_locks *l, size_t i);
/* 0, or -1 (bad index, or not held by this thread). */
int			 shm_unlock(struct shm_locks *l, size_t i);
/* Whether someone holds lock i right now (a snapshot). */
bool			 shm_is_locked(struct shm_locks *l, size_t i);

#endif
