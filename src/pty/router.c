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
#include "base/log.h"
#include "base/platform.h"
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
#include <time.h>
#include <unistd.h>
#ifdef __FreeBSD__
#include <libutil.h>
#else
#include <pty.h>
#endif

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
	int sigpipe[2];
	bool stopping;
	long long accept_timer;
} R;

static uint8_t scratch[PTY_BUF];	/* framed input, before decoding */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- configuration --------------------------------------------------------------- */

size_t pty_router_count(const struct config *cfg)
{
	return cfg->forkpty_router.n + cfg->forkpty_urouter.n;
}

const char *pty_router_addr(const struct config *cfg, size_t i, bool *framed)
{
	bool f = i >= cfg->forkpty_router.n;
	if (framed)
		*framed = f;
	return f ? cfg->forkpty_urouter.v[i - cfg->forkpty_router.n] : cfg->forkpty_router.v[i];
}

static struct origin addr_origin(const struct config *cfg, size_t i)
{
	size_t raw = cfg->forkpty_router.n;
	return i >= raw ? cfg->forkpty_urouter.origin[i - raw] : cfg->forkpty_router.origin[i];
}

static int check_size(const struct config *cfg, const char *opt, unsigned long long v)
{
	if (v <= USHRT_MAX)
		return 0;
	const struct origin *o = config_origin(cfg, opt);
	if (o)
		config_error(*o, "%s: %llu is larger than %u", opt, v, USHRT_MAX);
	else
		log_msg("%s: %llu is larger than %u", opt, v, USHRT_MAX);
	return -1;
}

int pty_router_bind(const struct config *cfg, int *fds)
{
	size_t n = pty_router_count(cfg);
	char err[256], name[SOCK_NAME_MAX];

	if (n == 0)
		return 0;
	if (check_size(cfg, "forkptyrouter-rows", cfg->forkpty_rows) < 0 ||
	    check_size(cfg, "forkptyrouter-cols", cfg->forkpty_cols) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool framed;
		const char *spec = pty_router_addr(cfg, i, &framed);
		struct sock_addr a;
		if (sock_parse_addr(spec, &a, err, sizeof(err)) < 0) {
			config_error(addr_origin(cfg, i), "%s", err);
			return -1;
		}
		if (a.kind == SOCK_ADDR_SHARED) {
			config_error(addr_origin(cfg, i), "'%s': the forkpty router takes a path, @name or ip:port, not a shared socket", spec);
			return -1;
		}
		if (fds[i] < 0) {
			fds[i] = sock_listen(&a, (int)cfg->listen_backlog, err, sizeof(err));
			if (fds[i] < 0) {
				config_error(addr_origin(cfg, i), "%s", err);
				return -1;
			}
			if (a.kind == SOCK_ADDR_UNIX &&
			    ((cfg->chmod_socket && sock_chmod(a.u.un.sun_path, cfg->chmod_socket, err, sizeof(err)) < 0) ||
			     (cfg->chown_socket && sock_chown(a.u.un.sun_path, cfg->chown_socket, err, sizeof(err)) < 0))) {
				config_error(addr_origin(cfg, i), "%s", err);
				return -1;
			}
		}
		if (sock_name(fds[i], name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "%s", spec);
		log_msg("forkpty router (%s) bound to %s fd %d", framed ? "uwsgi" : "raw", name, fds[i]);
	}
	return 0;
}

/* ---- buffers ------------------------------------------------------------------- */

static size_t buf_room(const struct buf *b) { return PTY_BUF - b->len; }

/* The free space, made contiguous at the end. */
static uint8_t *buf_tail(struct buf *b)
{
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	return b->p + b->len;
}

static void buf_consumed(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* ---- sessions -------------------------------------------------------------------- */

static void on_sock(struct event_loop *loop, int fd, void *data, int mask);
static void on_pty(struct event_loop *loop, int fd, void *data, int mask);

static void cancel_timer(long long *id)
{
	if (*id > 0)
		event_timer_del(R.loop, *id);
	*id = 0;
}

static void session_free(struct session *s)
{
	cancel_timer(&s->idle_timer);
	cancel_timer(&s->drain_timer);
	cancel_timer(&s->kill_timer);
	if (s->prev)
		s->prev->next = s->next;
	else
		R.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	R.nsessions--;
	free(s->in.p);
	free(s->out.p);
	free(s);
}

static void on_kill_timer(struct event_loop *loop, long long id, void *data)
{
	struct session *s = data;
	(void)loop;
	(void)id;
	s->kill_timer = 0;
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
static void session_hangup(struct session *s, const char *why)
{
	if (s->closing)
		return;
	s->closing = true;
	log_msg("forkpty: session of %s (pid %d) closed: %s", s->peer[0] ? s->peer : "local",
	        (int)s->pid, why);
	if (s->sock >= 0) {
		event_del(R.loop, s->sock, EV_READ | EV_WRITE);
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
		event_del(R.loop, s->pty, EV_READ | EV_WRITE);
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
		s->kill_timer = event_timer_add(R.loop, PTY_KILL_GRACE_MS, on_kill_timer, s);
}

/* Interest in exactly mask on fd (adds and removes what differs). */
static int want(int fd, int mask, event_fd_fn *cb, struct session *s)
{
	int cur = event_mask(R.loop, fd);
	if ((mask & ~cur) && event_add(R.loop, fd, mask & ~cur, cb, s) < 0)
		return -1;
	if (cur & ~mask)
		event_del(R.loop, fd, cur & ~mask);
	return 0;
}

static void on_drain_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct session *s = data;
	s->drain_timer = 0;
	session_hangup(s, "output not drained in time");
}

/*
 * After any I/O: the end of the session when nothing can flow any more,
 * otherwise the interest masks that match the buffers. -1 if s is gone.
 */
static int session_update(struct session *s)
{
	if (s->pty_done && s->out.len == 0) {
		session_hangup(s, "command exited");
		return -1;
	}
	if ((s->pty_done || s->pid <= 0) && s->drain_timer == 0)
		s->drain_timer = event_timer_add(R.loop, PTY_DRAIN_MS, on_drain_timer, s);
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

static void set_winsize(struct session *s)
{
	if (s->pty >= 0 && !s->pty_done && ioctl(s->pty, TIOCSWINSZ, &s->ws) < 0)
		log_errno("forkpty: TIOCSWINSZ");
}

/* Client input through the decoder into s->in: never more than the room. */
static int feed_framed(struct session *s, const uint8_t *p, size_t n)
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

static int sock_read(struct session *s)
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
	s->last_ms = now_ms();
	if (s->framed)
		return feed_framed(s, scratch, (size_t)n);
	s->in.len += (size_t)n;
	return 0;
}

static int sock_write(struct session *s)
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
	s->last_ms = now_ms();
	buf_consumed(&s->out, (size_t)n);
	return 0;
}

/* The pty is finished (the slave side is closed everywhere, or broken). */
static void pty_finished(struct session *s)
{
	s->pty_done = true;
	s->in.len = s->in.off = 0;
	event_del(R.loop, s->pty, EV_READ | EV_WRITE);
}

static void pty_read(struct session *s)
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
	s->last_ms = now_ms();
	s->out.len += (size_t)n;
}

static void pty_write(struct session *s)
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
	s->last_ms = now_ms();
	buf_consumed(&s->in, (size_t)n);
}

static void on_sock(struct event_loop *loop, int fd, void *data, int mask)
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

static void on_pty(struct event_loop *loop, int fd, void *data, int mask)
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

static void on_idle_timer(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	struct session *s = data;
	long long idle = now_ms() - s->last_ms;
	s->idle_timer = 0;
	if (idle >= R.timeout_ms) {
		session_hangup(s, "idle timeout");
		return;
	}
	s->idle_timer = event_timer_add(loop, R.timeout_ms - idle, on_idle_timer, s);
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
	execv(R.argv[0], R.argv);
	static const char msg[] = "stockade: forkpty router: cannot run the command: ";
	const char *e = strerror(errno);
	ssize_t rc = write(2, msg, sizeof(msg) - 1);
	rc = write(2, R.argv[0], strlen(R.argv[0]));
	rc = write(2, ": ", 2);
	rc = write(2, e, strlen(e));
	rc = write(2, "\r\n", 2);
	(void)rc;
	_exit(127);
}

/* Best effort: tells the client why there is no terminal for it. */
static void refuse(int fd, const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "stockade: forkpty router: %s: %s\r\n", what, strerror(errno));
	if (n > 0 && send(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, MSG_NOSIGNAL) < 0) {
		/* the client is gone already */
	}
}

static void session_start(int fd, bool framed, const struct sock_addr *peer)
{
	struct session *s = xcalloc(1, sizeof(*s));
	s->sock = fd;
	s->pty = -1;
	s->framed = framed;
	s->ws.ws_row = R.rows;
	s->ws.ws_col = R.cols;
	pty_decoder_init(&s->dec, 0);
	if (peer->kind == SOCK_ADDR_UNIX || peer->kind == SOCK_ADDR_ABSTRACT)
		s->peer[0] = '\0';
	else
		sock_format(&peer->u.sa, peer->len, s->peer, sizeof(s->peer));

	/* signals stay blocked in the child until its handlers are reset */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	int master = -1;
	pid_t pid = forkpty(&master, NULL, NULL, &s->ws);
	if (pid == 0)
		child_exec();
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = saved;
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
	s->last_ms = now_ms();
	s->next = R.sessions;
	if (R.sessions)
		R.sessions->prev = s;
	R.sessions = s;
	R.nsessions++;
	log_msg("forkpty: session of %s (%s) started: pid %d, %ux%u", s->peer[0] ? s->peer : "local",
	        framed ? "uwsgi" : "raw", (int)pid, R.rows, R.cols);
	if (R.timeout_ms > 0)
		s->idle_timer = event_timer_add(R.loop, R.timeout_ms, on_idle_timer, s);
	session_update(s);
}

/* ---- accepting ------------------------------------------------------------------- */

static void on_listen(struct event_loop *loop, int fd, void *data, int mask);

static void resume_accepting(struct event_loop *loop, long long id, void *data)
{
	(void)id;
	(void)data;
	R.accept_timer = 0;
	for (size_t i = 0; i < R.nls && !R.stopping; i++)
		if (event_add(loop, R.ls[i].fd, EV_READ, on_listen, &R.ls[i]) < 0)
			log_errno("forkpty: event_add(listener)");
}

static void on_listen(struct event_loop *loop, int fd, void *data, int mask)
{
	struct listener *l = data;
	(void)mask;
	for (int i = 0; i < PTY_ACCEPT_BATCH && !R.stopping; i++) {
		struct sock_addr peer;
		int c = sock_accept(fd, &peer);
		if (c >= 0) {
			session_start(c, l->framed, &peer);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of descriptors: let sessions end before trying again */
			log_errno("forkpty: accept");
			for (size_t k = 0; k < R.nls; k++)
				event_del(loop, R.ls[k].fd, EV_READ);
			if (R.accept_timer == 0)
				R.accept_timer = event_timer_add(loop, PTY_EMFILE_PAUSE_MS, resume_accepting, NULL);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
			log_errno("forkpty: accept");
		}
		return;
	}
}

/* ---- signals and the process ---------------------------------------------------------- */

static int sigpipe_w = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(sigpipe_w, &b, 1) < 0) { /* full: a wake-up is pending anyway */ }
	errno = saved;
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct session *s = R.sessions; s; s = s->next) {
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

static void stop_router(void)
{
	if (R.stopping)
		return;
	R.stopping = true;
	cancel_timer(&R.accept_timer);
	for (size_t i = 0; i < R.nls; i++) {
		event_del(R.loop, R.ls[i].fd, EV_READ);
		close(R.ls[i].fd);
	}
	struct session *s = R.sessions;
	while (s) {
		struct session *next = s->next;
		session_hangup(s, "router stopping");
		s = next;
	}
}

static void on_sigpipe(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	unsigned char sigs[64];
	ssize_t n = read(fd, sigs, sizeof(sigs));
	for (ssize_t i = 0; i < n; i++) {
		if (sigs[i] == SIGCHLD)
			reap();
		else
			stop_router();
	}
}

static int loop_size(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
		return 65536;
	return rl.rlim_cur < 256 ? 256 : (int)rl.rlim_cur;
}

static void set_command(const struct config *cfg)
{
	const char *cmd = cfg->forkpty_command && cfg->forkpty_command[0] ? cfg->forkpty_command : PTY_DEFAULT_COMMAND;
	if (!strchr(cmd, ' ')) {
		R.argv[0] = (char *)cmd;
		R.argv[1] = NULL;
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
	R.argv[0] = (char *)sh;
	R.argv[1] = "-c";
	R.argv[2] = (char *)cmd;
	R.argv[3] = NULL;
}

static void __attribute__((noreturn)) router_main(const struct config *cfg, const int *fds)
{
	memset(&R, 0, sizeof(R));
	R.cfg = cfg;
	R.rows = cfg->forkpty_rows ? (unsigned short)cfg->forkpty_rows : PTY_DEFAULT_ROWS;
	R.cols = cfg->forkpty_cols ? (unsigned short)cfg->forkpty_cols : PTY_DEFAULT_COLS;
	R.timeout_ms = (long long)cfg->forkpty_timeout * 1000;
	set_command(cfg);
	R.nls = pty_router_count(cfg);
	R.ls = xcalloc(R.nls ? R.nls : 1, sizeof(*R.ls));

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (pipe(R.sigpipe) < 0 || sock_set_cloexec(R.sigpipe[0], true) < 0 ||
	    sock_set_cloexec(R.sigpipe[1], true) < 0 || sock_set_nonblock(R.sigpipe[0], true) < 0 ||
	    sock_set_nonblock(R.sigpipe[1], true) < 0) {
		log_errno("forkpty router: pipe");
		_exit(1);
	}
	sigpipe_w = R.sigpipe[1];
	/* everything the master catches is ours now: its handler writes to its pipe */
	int ours[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		sigaction(ours[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	R.loop = event_loop_new(loop_size());
	if (!R.loop || event_add(R.loop, R.sigpipe[0], EV_READ, on_sigpipe, NULL) < 0) {
		log_errno("forkpty router: event loop");
		_exit(1);
	}
	for (size_t i = 0; i < R.nls; i++) {
		R.ls[i].fd = fds[i];
		pty_router_addr(cfg, i, &R.ls[i].framed);
		if (event_add(R.loop, fds[i], EV_READ, on_listen, &R.ls[i]) < 0) {
			log_errno("forkpty router: event_add(fd %d)", fds[i]);
			_exit(1);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	log_msg("forkpty router ready (pid: %d, command: %s)", (int)getpid(),
	        cfg->forkpty_command ? cfg->forkpty_command : PTY_DEFAULT_COMMAND);

	while (!R.stopping)
		if (event_loop_run_once(R.loop, -1) < 0 && errno != EINTR) {
			log_errno("forkpty router: event loop");
			stop_router();
		}
	long long deadline = now_ms() + PTY_STOP_MS;
	while (R.sessions && now_ms() < deadline)
		event_loop_run_once(R.loop, 100);
	for (struct session *s = R.sessions; s; s = s->next)
		if (s->pid > 0)
			kill(s->pid, SIGKILL);
	log_msg("forkpty router (pid: %d) stopped", (int)getpid());
	_exit(0);
}

pid_t pty_router_spawn(const struct config *cfg, const int *fds)
{
	pid_t parent = getpid();
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		log_errno("fork(forkpty router)");
		return -1;
	}
	if (pid == 0) {
		/* the router must not outlive the master (it holds the sockets) */
		if (platform_parent_death_signal(SIGTERM) < 0 || getppid() != parent)
			_exit(1);
		router_main(cfg, fds);	/* unblocks signals once its handlers are set */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	log_msg("spawned forkpty router (pid: %d)", (int)pid);
	return pid;
}
