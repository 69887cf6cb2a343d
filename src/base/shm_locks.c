/* SPDX-License-Identifier: MIT */
/*
 * Process-shared robust mutexes in an anonymous MAP_SHARED mapping: every
 * process forked after shm_locks_new() sees the same locks.
 */
#include "base/shm_locks.h"
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>

struct shm_locks {
	size_t		 n;
	pthread_mutex_t	 m[];
};

struct shm_locks *
shm_locks_new(size_t n)
{
	size_t size = sizeof(struct shm_locks) + n * sizeof(pthread_mutex_t);
	struct shm_locks *l = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t attr;
	int rc;

	if (l == MAP_FAILED) {
		log_errno("mmap(%zu locks)", n);
		return NULL;
	}
	l->n = n;
	if ((rc = pthread_mutexattr_init(&attr)) != 0 ||
	    (rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
	    (rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (rc = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = pthread_mutex_init(&l->m[i], &attr)) != 0)
			goto fail;
	pthread_mutexattr_destroy(&attr);
	return l;
fail:
	errno = rc;
	log_errno("shared locks");
	munmap(l, size);
	return NULL;
}

size_t
shm_locks_count(const struct shm_locks *l)
{
	return l ? l->n : 0;
}

int
shm_lock(struct shm_locks *l, size_t i)
{
	if (!l || i >= l->n)
		return -1;
	int rc = pthread_mutex_lock(&l->m[i]);
	/* the last holder died holding it: its data may be half-written, but
	 * a wedged instance is worse (uWSGI does the same) */
	if (rc == EOWNERDEAD)
		rc = pthread_mutex_consistent(&l->m[i]);
	return rc == 0 ? 0 : -1;
}

int
shm_unlock(struct shm_locks *l, size_t i)
{
	if (!l || i >= l->n)
		return -1;
	return pthread_mutex_unlock(&l->m[i]) == 0 ? 0 : -1;
}

bool
shm_is_locked(struct shm_locks *l, size_t i)
{
	if (!l || i >= l->n)
		return false;
	int rc = pthread_mutex_trylock(&l->m[i]);
	if (rc == EOWNERDEAD) {
		pthread_mutex_consistent(&l->m[i]);
		rc = 0;
	}
	if (rc == 0) {
		pthread_mutex_unlock(&l->m[i]);
		return false;
	}
	/* EBUSY, or EDEADLK: we hold it ourselves */
	return true;
}
