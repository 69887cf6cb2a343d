/* SPDX-License-Identifier: MIT */
/*
 * mule-reload-mercy (uWSGI core/master_utils.c, uwsgi_curse_mule): a mule
 * asked to stop or reload that still runs after that many seconds is
 * killed with SIGKILL, whatever worker-reload-mercy says. Unset, mules go
 * with the workers' mercy as before.
 */
#include "server/mule_mercy.h"
#include "server/server_internal.h"
#include "base/log.h"
#include "net/event.h"
#include "server/aux.h"

#include <signal.h>

struct mercy {
	int aux_id;
	int mule_id;
};

static void
on_no_mercy(struct event_loop *loop, long long id, void *data)
{
	const struct mercy *m = data;
	pid_t pid = aux_pid(m->aux_id);

	(void)loop;
	(void)id;
	if (pid <= 0)
		return;
	log_msg("mule %d (pid: %d) did not stop within %llu s (mule-reload-mercy): NO MERCY", m->mule_id,
	    (int)pid, master.cfg->mule_reload_mercy);
	kill(pid, SIGKILL);
}

void
mule_mercy_start(int aux_id, int mule_id)
{
	static struct mercy slots[256];

	if (!master.cfg->mule_reload_mercy || mule_id < 1 || mule_id > 256 || aux_pid(aux_id) <= 0)
		return;
	struct mercy *m = &slots[mule_id - 1];
	*m = (struct mercy){ aux_id, mule_id };
	if (event_timer_add(master.loop, (long long)master.cfg->mule_reload_mercy * 1000, on_no_mercy, m) < 0)
		log_errno("mule %d: mercy timer", mule_id);
}
