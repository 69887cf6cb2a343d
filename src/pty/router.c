/* SPDX-License-Identifier: MIT */
/*
 * The forkpty router process (see router.h). One event loop; per connection
 * a session: the client socket, the pty master, the child on the pty, and
 * two bounded buffers (client -> pty, pty -> client). A full buffer stops
 * reading from the side that fills it, so a slow reader only slows its own
 * writer. Signals reach the loop through a self-pipe.
 *
 * Ending a session: the client closing (or an error, or the idle timeout)
 * hangs up the child's process group (and the terminal's foreground group)
 * with SIGHUP, closes the pty and keeps the session until the child is
 * reaped (SIGKILL after PTY_KILL_GRACE_MS). The child exiting (or the pty
 * reporting EOF) lets the rest of the output drain to the client, then the
 * connection is closed. Nothing outlives a session: no zombie, no fd.
 */
#include "pty/router.h"
#include "pty/frame.h"
#include "pty/router_os.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/proc.h"
#include "base/signal_pipe.h"
#include "base/util.h"
#include "net/event.h"
#include "net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define PTY_BUF			(64 * 1024)	/* per direction, per session */
#define PTY_DEFAULT_ROWS	24
#define PTY_DEFAULT_COLS	80
#define PTY_DEFAULT_COMMAND	"/bin/sh"
#define PTY_KILL_GRACE_MS	3000	/* SIGHUP ignored this long: SIGKILL */
#define PTY_DRAIN_MS		5000	/* output left after the child ended */
#define PTY_STOP_MS		(PTY_KILL_GRACE_MS + 2000)
#define PTY_ACCEPT_BATCH	32
#define PTY_EMFILE_PAUSE_MS	1000
#define PTY_SIGNAL_SLOTS	128	/* reset in the child: covers every OS's signals */

struct buf {
	uint8_t *p;
	size_t off, len;
};

struct session {
	struct session *prev, *next;
	int sock;			/* -1 once closed */
	int pty;			/* master side; -1 once closed */
	pid_t pid;			/* the child (also its process group); 0 once reaped */
	pid_t fg;			/* the terminal's foreground group at hang-up */
	bool framed;
	bool pty_done;			/* EOF/EIO on the master: nothing more to read */
	bool closing;			/* hung up, waiting for the child to be reaped */
	struct pty_decoder dec;
	struct buf in;			/* client -> pty */
	struct buf out;			/* pty -> client */
	struct winsize ws;
	long long last_ms;		/* last byte either way */
	long long idle_timer, drain_timer, kill_timer;
	char peer[SOCK_NAME_MAX];
};

struct listener {
	int fd;
	bool framed;
};

static struct {
	const struct config *cfg;
	struct event_loop *loop;
	struct listener *ls;
	size_t nls;
	struct session *sessions;
	size_t nsessions;
	char *argv[4];			/* the command */
	unsigned short rows, cols;
	long long timeout_ms;
	int sigfd;			/* read end of the signal pipe */
	bool stopping;
	long long accept_timer;
} router;

static uint8_t scratch[PTY_BUF];	/* framed input, before decoding */

/* ---- buffers ------------------------------------------------------------------- */

static size_t
buf_room(const struct buf *b)
{
	return PTY_BUF - b->len;
}

/* The free space, made contiguous at the end. */
static uint8_t *
buf_tail(struct buf *b)
{
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	return b->p + b->len;
}

static void
buf_consumed(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* ---- sessions -------------------------------------------------------------------- */

static void on_sock(struct event_loop *loop, int fd, void *data, int mask);
static void on_pty(struct event_loop *loop, int fd, void *data, int mask);

static void
cancel_timer(long long *id)
{
	if (*id > 0)
		event_timer_del(router.loop, *id);
	*id = 0;
}

static void
session_free(struct session *s)
{
	cancel_timer(&s->idle_timer);
	cancel_timer(&s->drain_timer);
	cancel_timer(&s->kill_timer);
	if (s->prev)
		s->prev->next = s->next;
	else
		router.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	router.nsessions--;
	free(s->in.p);
	free(s->out.p);
	free(s);
}

static void
on_kill_timer(struct event_loop *loop, long long id, void *data)
{
	struct session *s = data;
	(void)loop;
	(void)id;
	if (s->pid > 0) {
		log_msg("forkpty: pid %d ignored SIGHUP: killing it", (int)s->pid);
		kill(-s->pid, SIGKILL);
		kill(s->pid, SIGKILL);
		if (s->fg > 0)
			kill(-s->fg, SIGKILL);
	}
}

/*
 * Ends the connection side of a session: SIGHUP to the child's process
 * group and to the terminal's foreground group, the pty and the socket
 * closed. The session itself goes once its child is reaped; it may be
 * freed here already. Never touch s after this.
 */
static void
session_hangup(struct session *s, const char *why)
{
	if (s->closing)
		return;
	s->closing = true;
	log_msg("forkpty: session of %s (pid %d) closed: %s", s->peer[0] ? s->peer : "local",
	        (int)s->pid, why);
	if (s->sock >= 0) {
		event_del(router.loop, s->sock, EV_READ | EV_WRITE);
		close(s->sock);
		s->sock = -1;
	}
	if (s->pty >= 0) {
		pid_t fg = tcgetpgrp(s->pty);
		if (fg > 0 && fg != s->pid) {
			s->fg = fg;
			kill(-fg, SIGHUP);
			kill(-fg, SIGCONT);
		}
		event_del(router.loop, s->pty, EV_READ | EV_WRITE);
		close(s->pty);
		s->pty = -1;
	}
	if (s->pid > 0) {
		kill(-s->pid, SIGHUP);
		kill(-s->pid, SIGCONT);
	}
	cancel_timer(&s->idle_timer);
	cancel_timer(&s->drain_timer);
	free(s->in.p);
	free(s->out.p);
	s->in.p = s->out.p = NULL;
	if (s->pid <= 0)
		session_free(s);
	else
		event_timer_arm(router.loop, PTY_KILL_GRACE_MS, on_kill_timer, s, &s->kill_timer);
}

/* Interest in exactly mask on fd (adds and removes what differs). */
static int
want(int fd, int mask, event_fd_fn *cb, struct session *s)
{
	int cur = event_mask(router.loop, fd);
	if ((mask & ~cur) && event_add(router.loop, fd, mask & ~cur, cb, s) < 0)
		return -1;
	if (cur & ~mask)
		event_del(router.loop, fd, cur & ~mask);
	return 0;
}

static void
on_drain_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct session *s = data;
	session_hangup(s, "output not drained in time");
}

/*
 * After any I/O: the end of the session when nothing can flow any more,
 * otherwise the interest masks that match the buffers. -1 if s is gone.
 */
static int
session_update(struct session *s)
{
	if (s->pty_done && s->out.len == 0) {
		session_hangup(s, "command exited");
		return -1;
	}
	if ((s->pty_done || s->pid <= 0) && s->drain_timer == 0)
		event_timer_arm(router.loop, PTY_DRAIN_MS, on_drain_timer, s, &s->drain_timer);
	int sm = (s->out.len ? EV_WRITE : 0) | (buf_room(&s->in) ? EV_READ : 0);
	int pm = 0;
	if (!s->pty_done)
		pm = (s->in.len ? EV_WRITE : 0) | (buf_room(&s->out) ? EV_READ : 0);
	if (want(s->sock, sm, on_sock, s) < 0 || (s->pty >= 0 && want(s->pty, pm, on_pty, s) < 0)) {
		log_errno("forkpty: event loop");
		session_hangup(s, "event loop failure");
		return -1;
	}
	return 0;
}

static void
set_winsize(struct session *s)
{
	if (s->pty >= 0 && !s->pty_done && ioctl(s->pty, TIOCSWINSZ, &s->ws) < 0)
		log_errno("forkpty: TIOCSWINSZ");
}

/* Client input through the decoder into s->in: never more than the room. */
static int
feed_framed(struct session *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		struct pty_event ev;
		size_t used = pty_decode(&s->dec, p, n, &ev);
		p += used;
		n -= used;
		switch (ev.kind) {
		case PTY_EV_NONE:
			break;
		case PTY_EV_DATA:
			memcpy(buf_tail(&s->in), ev.data, ev.len);
			s->in.len += ev.len;
			break;
		case PTY_EV_ROWS:
			s->ws.ws_row = (unsigned short)ev.value;
			set_winsize(s);
			break;
		case PTY_EV_COLS:
			s->ws.ws_col = (unsigned short)ev.value;
			set_winsize(s);
			break;
		case PTY_EV_SIGNAL:
			if (s->pid > 0 && kill(s->pid, (int)ev.value) < 0 && errno != ESRCH)
				log_errno("forkpty: kill(%d, %u)", (int)s->pid, ev.value);
			break;
		case PTY_EV_UNKNOWN:
			/* signal numbers past the OS's, or unassigned modifiers */
			break;
		case PTY_EV_ERROR:
			session_hangup(s, "bad uwsgi frame");
			return -1;
		}
	}
	return 0;
}

static int
sock_read(struct session *s)
{
	size_t room = buf_room(&s->in);
	if (room == 0)
		return 0;
	uint8_t *dst = s->framed ? scratch : buf_tail(&s->in);
	ssize_t n = recv(s->sock, dst, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		session_hangup(s, n == 0 ? "client disconnected" : strerror(errno));
		return -1;
	}
	s->last_ms = clock_ms();
	if (s->framed)
		return feed_framed(s, scratch, (size_t)n);
	s->in.len += (size_t)n;
	return 0;
}

static int
sock_write(struct session *s)
{
	if (s->out.len == 0)
		return 0;
	ssize_t n = send(s->sock, s->out.p + s->out.off, s->out.len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n < 0) {
		session_hangup(s, strerror(errno));
		return -1;
	}
	s->last_ms = clock_ms();
	buf_consumed(&s->out, (size_t)n);
	return 0;
}

/* The pty is finished (the slave side is closed everywhere, or broken). */
static void
pty_finished(struct session *s)
{
	s->pty_done = true;
	s->in.len = s->in.off = 0;
	event_del(router.loop, s->pty, EV_READ | EV_WRITE);
}

static void
pty_read(struct session *s)
{
	size_t room = buf_room(&s->out);
	if (room == 0 || s->pty_done)
		return;
	ssize_t n = read(s->pty, buf_tail(&s->out), room);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* Linux: EIO once the last slave fd is closed; FreeBSD: 0 */
		pty_finished(s);
		return;
	}
	s->last_ms = clock_ms();
	s->out.len += (size_t)n;
}

static void
pty_write(struct session *s)
{
	if (s->in.len == 0 || s->pty_done)
		return;
	ssize_t n = write(s->pty, s->in.p + s->in.off, s->in.len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		pty_finished(s);
		return;
	}
	s->last_ms = clock_ms();
	buf_consumed(&s->in, (size_t)n);
}

static void
on_sock(struct event_loop *loop, int fd, void *data, int mask)
{
	struct session *s = data;
	(void)loop;
	(void)fd;
	if ((mask & EV_READ) && sock_read(s) < 0)
		return;
	if ((mask & EV_WRITE) && sock_write(s) < 0)
		return;
	/* move what arrived on at once: a round trip less per keystroke */
	pty_write(s);
	session_update(s);
}

static void
on_pty(struct event_loop *loop, int fd, void *data, int mask)
{
	struct session *s = data;
	(void)loop;
	(void)fd;
	if (mask & EV_READ)
		pty_read(s);
	if (mask & EV_WRITE)
		pty_write(s);
	if (sock_write(s) < 0)
		return;
	session_update(s);
}

static void
on_idle_timer(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	struct session *s = data;
	long long idle = clock_ms() - s->last_ms;
	if (idle >= router.timeout_ms) {
		session_hangup(s, "idle timeout");
		return;
	}
	event_timer_arm(loop, router.timeout_ms - idle, on_idle_timer, s, &s->idle_timer);
}

/* ---- the child ------------------------------------------------------------------ */

/* In the child on the pty: a clean signal state and no fd but 0-2, then exec. */
static void __attribute__((noreturn)) child_exec(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < PTY_SIGNAL_SLOTS; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);	/* EINVAL past the OS's last: harmless */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	closefrom(3);
	setenv("TERM", "xterm", 0);
	execv(router.argv[0], router.argv);
	static const char msg[] = "stockade: forkpty router: cannot run the command: ";
	const char *e = strerror(errno);
	ssize_t rc = write(2, msg, sizeof(msg) - 1);
	rc = write(2, router.argv[0], strlen(router.argv[0]));
	rc = write(2, ": ", 2);
	rc = write(2, e, strlen(e));
	rc = write(2, "\r\n", 2);
	(void)rc;
	_exit(127);
}

/* Best effort: tells the client why there is no terminal for it. */
static void
refuse(int fd, const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "stockade: forkpty router: %s: %s\r\n", what, strerror(errno));
	if (n > 0 && send(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, MSG_NOSIGNAL) < 0) {
		/* the client is gone already */
	}
}

static void
session_start(int fd, bool framed, const struct sock_addr *peer)
{
	struct session *s = xcalloc(1, sizeof(*s));
	s->sock = fd;
	s->pty = -1;
	s->framed = framed;
	s->ws.ws_row = router.rows;
	s->ws.ws_col = router.cols;
	pty_decoder_init(&s->dec, 0);
	if (peer->kind == SOCK_ADDR_UNIX || peer->kind == SOCK_ADDR_ABSTRACT)
		s->peer[0] = '\0';
	else
		sock_format(&peer->u.sa, peer->len, s->peer, sizeof(s->peer));

	/* signals stay blocked in the child until its handlers are reset */
	sigset_t old;
	signals_block_all(&old);
	int master = -1;
	pid_t pid = router_forkpty(&master, &s->ws);
	if (pid == 0)
		child_exec();
	signals_restore(&old);
	if (pid < 0) {
		log_errno("forkpty: cannot open a terminal (is /dev/ptmx there?)");
		refuse(fd, "cannot open a terminal");
		close(fd);
		free(s);
		return;
	}
	/* before anything else forks: no other child may inherit it */
	if (sock_set_cloexec(master, true) < 0 || sock_set_nonblock(master, true) < 0)
		log_errno("forkpty: fcntl(pty)");
	s->pty = master;
	s->pid = pid;
	s->in.p = xmalloc(PTY_BUF);
	s->out.p = xmalloc(PTY_BUF);
	s->last_ms = clock_ms();
	s->next = router.sessions;
	if (router.sessions)
		router.sessions->prev = s;
	router.sessions = s;
	router.nsessions++;
	log_msg("forkpty: session of %s (%s) started: pid %d, %ux%u", s->peer[0] ? s->peer : "local",
	        framed ? "uwsgi" : "raw", (int)pid, router.rows, router.cols);
	if (router.timeout_ms > 0)
		event_timer_arm(router.loop, router.timeout_ms, on_idle_timer, s, &s->idle_timer);
	session_update(s);
}

/* ---- accepting ------------------------------------------------------------------- */

static void on_listen(struct event_loop *loop, int fd, void *data, int mask);

static void
resume_accepting(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	for (size_t i = 0; i < router.nls && !router.stopping; i++)
		if (event_add(loop, router.ls[i].fd, EV_READ, on_listen, &router.ls[i]) < 0)
			log_errno("forkpty: event_add(listener)");
}

static void
on_listen(struct event_loop *loop, int fd, void *data, int mask)
{
	struct listener *l = data;
	(void)mask;
	for (int i = 0; i < PTY_ACCEPT_BATCH && !router.stopping; i++) {
		struct sock_addr peer;
		int c = sock_accept(fd, &peer);
		if (c >= 0) {
			session_start(c, l->framed, &peer);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of descriptors: let sessions end before trying again */
			log_errno("forkpty: accept");
			for (size_t k = 0; k < router.nls; k++)
				event_del(loop, router.ls[k].fd, EV_READ);
			if (router.accept_timer == 0)
				event_timer_arm(loop, PTY_EMFILE_PAUSE_MS, resume_accepting, NULL, &router.accept_timer);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
			log_errno("forkpty: accept");
		}
		return;
	}
}

/* ---- signals and the process ---------------------------------------------------------- */

static void
reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct session *s = router.sessions; s; s = s->next) {
			if (s->pid != pid)
				continue;
			s->pid = 0;
			if (s->closing)
				session_free(s);
			else
				session_update(s);	/* drain what is left, then close */
			break;
		}
	}
}

static void
stop_router(void)
{
	if (router.stopping)
		return;
	router.stopping = true;
	cancel_timer(&router.accept_timer);
	for (size_t i = 0; i < router.nls; i++) {
		event_del(router.loop, router.ls[i].fd, EV_READ);
		close(router.ls[i].fd);
	}
	struct session *s = router.sessions;
	while (s) {
		struct session *next = s->next;
		session_hangup(s, "router stopping");
		s = next;
	}
}

static void
handle_signal(int sig)
{
	if (sig == SIGCHLD)
		reap();
	else
		stop_router();
}

static int
loop_size(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
		return 65536;
	return rl.rlim_cur < 256 ? 256 : (int)rl.rlim_cur;
}

static void
set_command(const struct config *cfg)
{
	const char *cmd = cfg->forkpty_command && cfg->forkpty_command[0] ? cfg->forkpty_command : PTY_DEFAULT_COMMAND;
	if (!strchr(cmd, ' ')) {
		router.argv[0] = (char *)cmd;
		router.argv[1] = NULL;
		return;
	}
	/* like uWSGI: a command with a space runs through the binsh shell */
	const char *sh = "/bin/sh";
	struct stat st;
	for (size_t i = 0; i < cfg->binsh.n; i++) {
		const char *p = cfg->binsh.v[i];
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
			sh = p;
			break;
		}
	}
	router.argv[0] = (char *)sh;
	router.argv[1] = "-c";
	router.argv[2] = (char *)cmd;
	router.argv[3] = NULL;
}

static void __attribute__((noreturn)) router_main(const struct config *cfg, const int *fds)
{
	memset(&router, 0, sizeof(router));
	router.cfg = cfg;
	router.rows = cfg->forkpty_rows ? (unsigned short)cfg->forkpty_rows : PTY_DEFAULT_ROWS;
	router.cols = cfg->forkpty_cols ? (unsigned short)cfg->forkpty_cols : PTY_DEFAULT_COLS;
	router.timeout_ms = (long long)cfg->forkpty_timeout * 1000;
	set_command(cfg);
	router.nls = pty_router_count(cfg);
	router.ls = xcalloc(router.nls ? router.nls : 1, sizeof(*router.ls));

	/* everything the master catches is ours now (SIGPIPE ignored) */
	static const int ours[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	router.sigfd = signal_pipe_open(ours, sizeof(ours) / sizeof(ours[0]), true, NULL, NULL);
	if (router.sigfd < 0) {
		log_errno("forkpty router: pipe");
		_exit(1);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	router.loop = event_loop_new(loop_size());
	if (!router.loop || event_add_signal_pipe(router.loop, router.sigfd, handle_signal) < 0) {
		log_errno("forkpty router: event loop");
		_exit(1);
	}
	for (size_t i = 0; i < router.nls; i++) {
		router.ls[i].fd = fds[i];
		pty_router_addr(cfg, i, &router.ls[i].framed);
		if (event_add(router.loop, fds[i], EV_READ, on_listen, &router.ls[i]) < 0) {
			log_errno("forkpty router: event_add(fd %d)", fds[i]);
			_exit(1);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	log_msg("forkpty router ready (pid: %d, command: %s)", (int)getpid(),
	        cfg->forkpty_command ? cfg->forkpty_command : PTY_DEFAULT_COMMAND);

	while (!router.stopping)
		if (event_loop_run_once(router.loop, -1) < 0 && errno != EINTR) {
			log_errno("forkpty router: event loop");
			stop_router();
		}
	long long deadline = clock_ms() + PTY_STOP_MS;
	while (router.sessions && clock_ms() < deadline)
		event_loop_run_once(router.loop, 100);
	for (struct session *s = router.sessions; s; s = s->next)
		if (s->pid > 0)
			kill(s->pid, SIGKILL);
	log_msg("forkpty router (pid: %d) stopped", (int)getpid());
	_exit(0);
}

pid_t
pty_router_spawn(const struct config *cfg, const int *fds)
{
	pid_t parent = getpid();
	sigset_t old;
	pid_t pid = fork_signals_blocked(&old);
	if (pid < 0) {
		log_errno("fork(forkpty router)");
		return -1;
	}
	if (pid == 0) {
		/* the router must not outlive the master (it holds the sockets) */
		if (platform_parent_death_signal(SIGTERM) < 0 || getppid() != parent)
			_exit(1);
		router_main(cfg, fds);	/* unblocks signals once its handlers are set */
	}
	signals_restore(&old);
	log_msg("spawned forkpty router (pid: %d)", (int)pid);
	return pid;
}
