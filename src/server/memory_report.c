/* SPDX-License-Identifier: MIT */
/*
 * memory-report (uWSGI 2.0: a boolean): a worker measures its own memory
 * after each request, so that the stats and the request log's %(rss)
 * %(vsz) are those of the request just served, and uWSGI's default log
 * line starts with "{address space usage: ...} {rss usage: ...}".
 */
#include "server/process_options.h"
#include "server/scoreboard.h"
#include "server/stats.h"

#include <unistd.h>

void
memory_report_refresh(struct worker_score *score)
{
	uint64_t rss, vsz;
	if (score && stats_proc_mem(getpid(), &rss, &vsz) == 0) {
		score->rss = rss;
		score->vsz = vsz;
	}
}
