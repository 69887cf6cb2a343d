/* SPDX-License-Identifier: MIT */
/*
 * Talking to vassals over their sockets: stop and reload bytes out, their
 * status bytes in, a pg vassal's config pushed on request, and the curse
 * (SIGKILL) for one that shows no sign of life after being told to stop.
 */
#include "emperor/emperor_internal.h"
#include "emperor/monitor_pg.h"
#include "base/log.h"
#include "server/vassal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

static void
on_curse(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct vassal *v = data;
	if (v->pid <= 0)
		return;
	emperor_log("[emperor] curse the uwsgi instance %s (pid: %d): no sign of life within %lld s, SIGKILL",
	            v->name, (int)v->pid, emperor.curse_ms / 1000);
	kill(v->pid, SIGKILL);
}

static void
arm_curse(struct vassal *v)
{
	if (v->curse_timer > 0)
		return;
	event_timer_arm(emperor.loop, emperor.curse_ms, on_curse, v, &v->curse_timer);
}

static bool
send_byte(struct vassal *v, unsigned char b)
{
	if (v->fd < 0)
		return false;
	ssize_t n;
	do
		n = send(v->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

void
emperor_stop(struct vassal *v, enum vassal_after_stop after)
{
	switch (v->state) {
	case V_STOPPING:
		v->after = after;
		return;
	case V_PENDING:
	case V_IDLE:
	case V_ONDEMAND:
		if (after == AFTER_FORGET)
			emperor_forget(v);
		else if (after == AFTER_IDLE)
			v->state = V_IDLE;
		return;
	case V_RUNNING:
		break;
	}
	v->state = V_STOPPING;
	v->after = after;
	v->cursed_at = now_unix();
	unsigned char msg = emperor.cfg->emperor_graceful_shutdown ? EMPEROR_MSG_GRACEFUL_STOP : EMPEROR_MSG_STOP;
	if (!send_byte(v, msg) && v->pid > 0)
		kill(v->pid, SIGTERM);      /* no pipe: the master stops on SIGTERM too */
	emperor_log("[emperor] stop the uwsgi instance %s", v->name);
	arm_curse(v);
}

void
emperor_reload(struct vassal *v)
{
	if (v->state != V_RUNNING)
		return;
	if (!send_byte(v, EMPEROR_MSG_RELOAD)) {
		emperor_log("[emperor] cannot tell vassal %s to reload: stopping it", v->name);
		emperor_stop(v, AFTER_RESPAWN);
		return;
	}
	v->respawns++;
	v->last_run = now_unix();
	v->ready = v->accepting = false;
	emperor_log("[emperor] reload the uwsgi instance %s", v->name);
}

/* Answers "push my config" (byte 2) on the config socket: one uwsgi
 * packet, modifier1 115, the row's text as body (at most 64 KiB - 1). */
static void
push_config(struct vassal *v)
{
	size_t len = strlen(v->config);
	unsigned char hdr[4] = { 115, (unsigned char)(len & 0xff), (unsigned char)(len >> 8), 0 };
	struct iovec iov[2] = { { hdr, 4 }, { v->config, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = v->cfg_fd >= 0 && len <= PG_CONFIG_MAX ? sendmsg(v->cfg_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) : -1;
	if (n != (ssize_t)(len + 4))
		emperor_log("[emperor] cannot push the config of vassal %s", v->name);
}

static void
vassal_message(struct vassal *v, unsigned char b)
{
	int64_t now = now_unix();
	switch (b) {
	case VASSAL_MSG_READY:
		v->ready = true;
		v->last_ready = now;
		emperor_log("[emperor] vassal %s has been spawned", v->name);
		break;
	case VASSAL_MSG_ACCEPTING:
		v->accepting = true;
		v->last_accepting = now;
		emperor_log("[emperor] vassal %s is ready to accept requests", v->name);
		break;
	case VASSAL_MSG_LOYAL:
		v->loyal = true;
		v->last_loyal = now;
		emperor_log("[emperor] vassal %s is now loyal", v->name);
		if (blacklist_remove(&emperor.bl, v->name))
			emperor_log("[emperor] vassal %s removed from the blacklist", v->name);
		break;
	case VASSAL_MSG_HEARTBEAT:
		v->last_heartbeat = now;
		break;
	case VASSAL_MSG_VOLUNTARY_STOP:
		if (v->od_fd >= 0) {
			emperor_log("[emperor] bringing back instance %s to on-demand mode", v->name);
			emperor_stop(v, AFTER_ONDEMAND);
			break;
		}
		emperor_log("[emperor] vassal %s asked to be stopped", v->name);
		emperor_stop(v, AFTER_IDLE);
		break;
	case VASSAL_MSG_CONFIG:
		if (v->config)
			push_config(v);
		else      /* a file vassal reads its file */
			emperor_log("[emperor] vassal %s asked for its config, which only pg:// vassals get", v->name);
		break;
	case VASSAL_MSG_SOS:
		emperor_log("[emperor] vassal %s sent message %d, which this Emperor does not support", v->name, b);
		break;
	default:
		emperor_log("[emperor] unknown message %d from vassal %s", b, v->name);
		break;
	}
}

void
emperor_on_vassal_msg(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)mask;
	struct vassal *v = data;
	unsigned char buf[64];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* the vassal closed its end: it is going; if it lingers, it
			 * has no way to hear us any more */
			emperor_close_pipe(v);
			if (v->pid > 0)
				arm_curse(v);
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			vassal_message(v, buf[i]);
	}
}
