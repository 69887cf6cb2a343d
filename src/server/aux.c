/* SPDX-License-Identifier: MIT */
/*
 * Auxiliary processes the master supervises (server/aux.h): a small table
 * of specs and pids, the fork that undoes the master's signal set-up in the
 * child, and the respawn back-off shared with the workers.
 */
#include "server/aux.h"
#include "server/server_internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/proc.h"
#include "base/signal_pipe.h"
#include "base/util.h"
#include "net/event.h"
#include "server/logmaster.h"
#include "server/notify.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAST_DEATH_MS 1000      /* a process that lives less than this died "fast" */
#define MAX_RESPAWN_DELAY_MS 30000

struct aux_proc {
	struct aux_spec spec;
	pid_t pid;
	long long respawn_timer;
	struct respawn_backoff backoff;
};

static struct aux_proc *procs;
static size_t nprocs;

long long
respawn_backoff_delay(struct respawn_backoff *b, long long now_ms)
{
	if (now_ms - b->born_ms < FAST_DEATH_MS)
		b->fast_deaths++;
	else
		b->fast_deaths = 0;
	if (b->fast_deaths < 3)
		return 0;
	int shift = b->fast_deaths - 3 > 5 ? 5 : b->fast_deaths - 3;
	long long delay = 1000LL << shift;
	return delay > MAX_RESPAWN_DELAY_MS ? MAX_RESPAWN_DELAY_MS : delay;
}

pid_t
fork_master_child(const char *what, bool ignore_usr2)
{
	/* Signals are blocked across fork so that the child never runs the
	 * master's handler; it resets them to default before unblocking, so a
	 * stop signal that raced the fork still stops it. */
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };
	sigset_t old;
	pid_t pid = fork_signals_blocked(&old);

	if (pid < 0) {
		log_errno("fork(%s)", what);
		return -1;
	}
	if (pid == 0) {
		for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
			signal(sigs[k], SIG_DFL);
		/* log reopening reaches workers through the shared counter; a
		 * SIGUSR2 sent to the whole process group must not kill them */
		if (ignore_usr2)
			signal(SIGUSR2, SIG_IGN);
		signal_pipe_close(NULL, 0, NULL);
		signals_restore(&old);
		/* a child must not outlive its master (it would hold the sockets) */
		if (platform_parent_death_signal(SIGTERM) < 0 || getppid() != master.pid)
			_exit(1);
		notify_forget();   /* only the master talks to systemd */
		logmaster_child(); /* log-master: the master alone writes the files */
		return 0;
	}
	signals_restore(&old);
	return pid;
}

pid_t
aux_fork(const char *what)
{
	return fork_master_child(what, false);
}

int
aux_add(const struct aux_spec *spec)
{
	procs = xrealloc(procs, (nprocs + 1) * sizeof(*procs));
	procs[nprocs] = (struct aux_proc){ .spec = *spec };
	if (procs[nprocs].spec.stop_signal == 0)
		procs[nprocs].spec.stop_signal = SIGTERM;
	return (int)nprocs++;
}

static void
start(struct aux_proc *p)
{
	p->respawn_timer = 0;
	p->backoff.born_ms = clock_ms();
	p->pid = p->spec.spawn(p->spec.data);
	if (p->pid < 0)
		p->pid = 0;
}

bool
aux_spawn(int id)
{
	if (id < 0 || (size_t)id >= nprocs || master.state != RUNNING || procs[id].pid > 0)
		return false;
	start(&procs[id]);
	return procs[id].pid > 0;
}

pid_t
aux_pid(int id)
{
	return id >= 0 && (size_t)id < nprocs ? procs[id].pid : 0;
}

void
aux_start_all(void)
{
	for (size_t i = 0; i < nprocs; i++)
		if (!procs[i].spec.manual_start)
			start(&procs[i]);
}

static void
on_respawn_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct aux_proc *p = &procs[(uintptr_t)data];

	p->respawn_timer = 0;
	if (master.state == RUNNING)
		start(p);
}

static void
died(size_t i, int status)
{
	struct aux_proc *p = &procs[i];
	pid_t pid = p->pid;

	p->pid = 0;
	if (p->spec.exited)
		p->spec.exited(p->spec.data, pid, status);
	if (master.state != RUNNING || p->spec.respawn != AUX_RESPAWN)
		return;
	if (WIFSIGNALED(status))
		log_msg("%s (pid: %d) died (signal %d), respawning", p->spec.name, (int)pid, WTERMSIG(status));
	else
		log_msg("%s (pid: %d) exited with status %d, respawning", p->spec.name, (int)pid, WEXITSTATUS(status));
	long long delay = respawn_backoff_delay(&p->backoff, clock_ms());
	if (delay == 0) {
		start(p);
		return;
	}
	log_msg("%s is dying at start-up repeatedly: respawn throttled for %lld ms", p->spec.name, delay);
	p->respawn_timer = event_timer_add(master.loop, delay, on_respawn_timer, (void *)(uintptr_t)i);
}

bool
aux_reap(pid_t pid, int status)
{
	for (size_t i = 0; i < nprocs; i++)
		if (procs[i].pid == pid) {
			died(i, status);
			return true;
		}
	return false;
}

static void
signal_proc(const struct aux_proc *p, int sig)
{
	/* a process that made itself a group leader is signalled with its
	 * children (a shell running the real daemon); if the group is gone
	 * already, the process itself */
	if (p->spec.signal_group && kill(-p->pid, sig) == 0)
		return;
	kill(p->pid, sig);
}

void
aux_signal_all(bool brutal)
{
	bool reloading = master.state == RELOADING;

	for (size_t i = 0; i < nprocs; i++) {
		const struct aux_spec *s = &procs[i].spec;
		if (!brutal && s->stopping)
			s->stopping(s->data, reloading);
		if (procs[i].pid <= 0)
			continue;
		if (brutal)
			signal_proc(&procs[i], SIGKILL);
		else
			signal_proc(&procs[i], reloading && s->reload_signal ? s->reload_signal : s->stop_signal);
	}
}

void
aux_cancel_respawns(void)
{
	for (size_t i = 0; i < nprocs; i++)
		if (procs[i].respawn_timer > 0) {
			event_timer_del(master.loop, procs[i].respawn_timer);
			procs[i].respawn_timer = 0;
		}
}

size_t
aux_live(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nprocs; i++)
		n += procs[i].pid > 0;
	return n;
}
