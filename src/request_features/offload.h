/* SPDX-License-Identifier: MIT */
/*
 * offload-threads: a worker hands the rest of a sendfile response (a file
 * range and the client socket) to one of its offload threads, which finishes
 * it without blocking and closes the connection, as uWSGI does.
 */
#ifndef STOCKADE_REQUEST_FEATURES_OFFLOAD_H
#define STOCKADE_REQUEST_FEATURES_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Hands len bytes of file_fd from offset to the client on sock: both fds are
 * duplicated, so the caller closes its own as usual (the connection must not
 * be used again). The threads (nthreads per worker process) start on first
 * use. Returns false (nothing handed over) when offloading is off or failed.
 */
bool	offload_sendfile(int nthreads, int sock, int file_fd, off_t offset, size_t len,
	    int timeout_ms);
/* Waits up to mercy_ms for the transfers in flight (graceful stop). */
void	offload_drain(long long mercy_ms);

#endif
