/* SPDX-License-Identifier: MIT */
/*
 * The systemd notification protocol (sd_notify(3)) without libsystemd: one
 * datagram of "KEY=value" lines to the unix socket named by NOTIFY_SOCKET
 * ('@' = abstract namespace). Does nothing when NOTIFY_SOCKET is unset.
 *
 * The socket is opened by notify_init() before any jail or chroot hides the
 * path, and handed to the re-executed image on a reload (notify_before_exec),
 * so the new image can send READY=1 from inside its jail.
 */
#ifndef STOCKADE_NOTIFY_H
#define STOCKADE_NOTIFY_H

/* Opens the notification socket (or takes the inherited one). 0 or -1
 * (error logged once; notifications are then off, start-up goes on). */
int notify_init(void);
/* Sends the formatted lines ("READY=1\nSTATUS=..."). 0 or -1. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* In a child that must not talk to systemd: close and unset. */
void notify_forget(void);
/* Before re-exec on reload: keep the socket open for the new image. */
void notify_before_exec(void);

#endif
