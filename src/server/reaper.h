/* SPDX-License-Identifier: MIT */
/* reaper: a worker collects its exited children after each request. */
#ifndef STOCKADE_SERVER_REAPER_H
#define STOCKADE_SERVER_REAPER_H

/* waitpid(-1, WNOHANG) until no exited child is left (uWSGI's reaper). */
void	worker_reap_children(void);

#endif
