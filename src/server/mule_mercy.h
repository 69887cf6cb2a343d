/* SPDX-License-Identifier: MIT */
/* mule-reload-mercy: how long a mule may take to stop (uWSGI's). */
#ifndef STOCKADE_SERVER_MULE_MERCY_H
#define STOCKADE_SERVER_MULE_MERCY_H

/* Called as the master asks mule MULE_ID (auxiliary process AUX_ID) to
 * stop or reload: with mule-reload-mercy set, the mule gets SIGKILL if it
 * still runs that many seconds later. */
void	mule_mercy_start(int aux_id, int mule_id);

#endif
