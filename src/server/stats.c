/* SPDX-License-Identifier: MIT */
/*
 * The stats server document, uWSGI-compatible (core/master_utils.c
 * uwsgi_master_generate_stats, server/stats.c uwsgi_send_stats), and the
 * probes that feed it. Scoreboard fields are written by the workers while
 * we read them: every load is a relaxed atomic one.
 */
#include "server/stats.h"
#include "net/event.h"
#include "net/socket.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOAD(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

#if JSON_INTEGER_IS_LONG_LONG
#define JINT_MAX	LLONG_MAX
#else
#define JINT_MAX	LONG_MAX
#endif

/* ---- JSON helpers --------------------------------------------------------- */

static void
oom(void)
{
	fatal("out of memory");
}

/* Every constructor's result: jansson returns NULL only when out of memory. */
static json_t *
made(json_t *j)
{
	if (!j)
		oom();
	return j;
}

static json_t *
jint(long long v)
{
	return made(json_integer((json_int_t)v));
}

/* Unsigned counters: clamped to the largest JSON integer jansson has. */
static json_t *
juint(uint64_t v)
{
	return jint(v > (uint64_t)JINT_MAX ? (long long)JINT_MAX : (long long)v);
}

/* A string that may not be UTF-8 (paths, socket names): bytes that break
 * the encoding become '?', so the document always serialises. */
static json_t *
jstr(const char *s)
{
	json_t *j;

	if (!s)
		s = "";
	j = json_string(s);
	if (!j) {
		char *copy = xstrdup(s);

		for (char *p = copy; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		j = json_string(copy);
		free(copy);
	}
	return made(j);
}

static json_t *
jobj(void)
{
	return made(json_object());
}

static json_t *
jarr(void)
{
	return made(json_array());
}

static void
set(json_t *obj, const char *key, json_t *val)
{
	if (json_object_set_new(obj, key, val) != 0)
		oom();
}

static void
push(json_t *arr, json_t *val)
{
	if (json_array_append_new(arr, val) != 0)
		oom();
}

static int
dump_cb(const char *buf, size_t size, void *data)
{
	sb_add(data, buf, size);
	return 0;
}

/* ---- the document ----------------------------------------------------------- */

static const char *
status_name(int status)
{
	switch (status) {
	case WS_BUSY:	return "busy";
	case WS_CHEAP:	return "cheap";
	case WS_PAUSE:	return "pause";
	case WS_SIG:	return "sig";
	case WS_IDLE:
	default:	return "idle";
	}
}

/* One thread of a worker (uWSGI's core, keys in its order). vars: uWSGI
 * lists the request's variables here; they stay in the worker's memory,
 * so the list is empty. w: the worker's counters (no threads). */
static void
core_json(json_t *core, json_t *req_info, const struct core_score *cs, int id,
          const struct worker_score *w, const struct stats_input *in)
{
	int64_t start_ms = cs ? LOAD(cs->request_start_ms) : 0;
	if (w && !start_ms)
		start_ms = LOAD(w->request_start_ms);
	bool in_request = start_ms != 0 || (w && LOAD(w->status) == WS_BUSY);

	set(core, "id", jint(id));
	set(core, "requests", juint(w ? LOAD(w->requests) : cs ? LOAD(cs->requests) : 0));
	set(core, "static_requests", juint(cs ? LOAD(cs->static_requests) : 0));
	set(core, "routed_requests", juint(cs ? LOAD(cs->routed_requests) : 0));
	set(core, "offloaded_requests", juint(cs ? LOAD(cs->offloaded_requests) : 0));
	set(core, "write_errors", juint(cs ? LOAD(cs->write_errors) : 0));
	set(core, "read_errors", juint(cs ? LOAD(cs->read_errors) : 0));
	set(core, "in_request", jint(in_request ? 1 : 0));
	set(core, "vars", jarr());
	if (in_request && start_ms > 0 && in->now_ms >= start_ms)
		set(req_info, "request_start",
		    jint(in->now - (in->now_ms - start_ms) / 1000));
	set(core, "req_info", req_info);
}

static json_t *
worker_json(const struct worker_score *w, int id, const struct stats_input *in)
{
	json_t *o = jobj(), *apps = jarr(), *app = jobj(), *cores = jarr(),
	    *core = jobj(), *req_info = jobj();
	uint64_t requests = LOAD(w->requests);
	uint64_t exceptions = LOAD(w->exceptions);
	int status = LOAD(w->status);
	int ncores = in->sb->ncores > 0 ? in->sb->ncores : 1;
	/* with threads, busy while any thread is in a request */
	for (int c = 0; c < in->sb->ncores && ncores > 1; c++)
		if (LOAD(sb_core(in->sb, id, c)->request_start_ms))
			status = WS_BUSY;

	set(o, "id", jint(id));
	set(o, "pid", jint(LOAD(w->pid)));
	set(o, "accepting", jint(LOAD(w->accepting) ? 1 : 0));
	set(o, "requests", juint(requests));
	set(o, "delta_requests", juint(LOAD(w->delta_requests)));
	set(o, "exceptions", juint(exceptions));
	set(o, "harakiri_count", juint(LOAD(w->harakiri_count)));
	set(o, "signals", jint(0));
	set(o, "signal_queue", jint(0));
	set(o, "status", jstr(status_name(status)));
	set(o, "rss", juint(LOAD(w->rss)));
	set(o, "vsz", juint(LOAD(w->vsz)));
	set(o, "uss", jint(0));
	set(o, "pss", jint(0));
	set(o, "running_time", juint(LOAD(w->running_time_us)));
	set(o, "last_spawn", jint(LOAD(w->last_spawn)));
	set(o, "respawn_count", juint(LOAD(w->respawn_count)));
	set(o, "tx", juint(LOAD(w->tx)));
	set(o, "avg_rt", juint(LOAD(w->avg_rt_us)));

	/* One app per worker (the WSGI callable), one core per thread. */
	set(app, "id", jint(0));
	set(app, "modifier1", jint(0));
	set(app, "mountpoint", jstr(""));
	set(app, "startup_time", jint(0));
	set(app, "requests", juint(requests));
	set(app, "exceptions", juint(exceptions));
	set(app, "chdir", jstr(""));
	push(apps, app);
	set(o, "apps", apps);

	for (int c = 0; c < ncores; c++) {
		const struct core_score *cs = in->sb->ncores > 0 ? sb_core(in->sb, id, c) : NULL;
		core = c ? jobj() : core;
		req_info = c ? jobj() : req_info;
		core_json(core, req_info, cs, c, ncores == 1 ? w : NULL, in);
		push(cores, core);
	}
	set(o, "cores", cores);
	return o;
}

/* issue 23: the jail's limits, [{"rule", "limit", "use" (null: unknown)}]
 * after uWSGI's keys (readers of uWSGI's document skip unknown ones). */
static json_t *
rctl_json(const char *text)
{
	json_t *arr = jarr();

	for (const char *p = text; *p; ) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len), *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t2) {
			json_t *o = jobj();
			*t1 = *t2 = '\0';
			set(o, "rule", jstr(line));
			set(o, "limit", juint(strtoull(t1 + 1, NULL, 10)));
			set(o, "use", strcmp(t2 + 1, "-") == 0 ? made(json_null()) : juint(strtoull(t2 + 1, NULL, 10)));
			push(arr, o);
		}
		free(line);
		p += len + (p[len] == '\n');
	}
	return arr;
}

char *
stats_json(const struct stats_input *in, bool minified, size_t *len)
{
	json_t *root = jobj(), *sockets = jarr(), *workers = jarr();
	uint64_t total_queue = 0;
	struct strbuf out;
	size_t flags;
	int n = 0;

	for (size_t i = 0; i < in->nsockets; i++) {
		const struct stats_socket *s = &in->sockets[i];
		json_t *so = jobj();
		uint64_t queue, max;

		stats_listen_queue(s->fd, &queue, &max);
		total_queue += queue;
		set(so, "name", jstr(s->name));
		set(so, "proto", jstr(s->proto ? s->proto : "uwsgi"));
		set(so, "queue", juint(queue));
		set(so, "max_queue", juint(max));
		set(so, "shared", jint(s->shared ? 1 : 0));
		set(so, "can_offload", jint(0));
		push(sockets, so);
	}

	if (in->sb)
		n = in->sb->nworkers;
	for (int i = 0; i < n; i++)
		push(workers, worker_json(&in->sb->workers[i], i + 1, in));

	set(root, "version", jstr(in->version));
	set(root, "listen_queue", juint(total_queue));
	set(root, "listen_queue_errors", jint(0));
	set(root, "signal_queue", jint(0));
	set(root, "load", jint(0));
	set(root, "pid", jint(in->pid));
	set(root, "uid", jint(in->uid));
	set(root, "gid", jint(in->gid));
	set(root, "cwd", jstr(in->cwd));
	set(root, "locks", jarr());
	set(root, "sockets", sockets);
	set(root, "workers", workers);
	if (in->rctl != NULL)
		set(root, "rctl", rctl_json(in->rctl));

	flags = JSON_PRESERVE_ORDER | (minified ? JSON_COMPACT : JSON_INDENT(1));
	sb_init(&out);
	if (json_dump_callback(root, dump_cb, &out, flags) != 0)
		oom();
	json_decref(root);
	if (len)
		*len = out.len;
	return sb_detach(&out);
}

/* ---- serving a client ------------------------------------------------------ */

/* Waits until fd is ready for events or deadline passes: 1 ready, 0 timeout,
 * -1 error/hang-up. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - clock_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (p.revents & events)
			return 1;
		return -1;	/* POLLERR / POLLHUP / POLLNVAL only */
	}
}

/* Writes every iov byte before deadline. 0 done, -1 error or timeout. */
static int
send_iov(int fd, struct iovec *iov, int iovcnt, int64_t deadline)
{
	bool is_socket = true;

	while (iovcnt > 0) {
		ssize_t n;

		if (iov->iov_len == 0) {
			iov++, iovcnt--;
			continue;
		}
		if (is_socket) {
			struct msghdr msg = { .msg_iov = iov, .msg_iovlen = iovcnt };

			n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == ENOTSOCK) {
				is_socket = false;
				continue;
			}
		} else {
			n = writev(fd, iov, iovcnt);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (wait_fd(fd, POLLOUT, deadline) != 1)
				return -1;
			continue;
		}
		while (n > 0 && iovcnt > 0) {
			if ((size_t)n >= iov->iov_len) {
				n -= (ssize_t)iov->iov_len;
				iov++, iovcnt--;
			} else {
				iov->iov_base = (char *)iov->iov_base + n;
				iov->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

/* Reads and discards what the client sent (at most DRAIN_MAX bytes, so a
 * flooding client cannot hold us). With a deadline, waits for its EOF
 * until then; without (deadline 0), only what is already there.
 * Returns 1 once EOF or an error was seen. */
#define DRAIN_MAX	(64 * 1024)

static int
drain(int fd, int64_t deadline)
{
	char buf[4096];
	size_t total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			total += (size_t)n;
			if (total >= DRAIN_MAX || (deadline && clock_ms() >= deadline))
				return 0;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return 1;
		if (!deadline || wait_fd(fd, POLLIN, deadline) == 0)
			return 0;
	}
}

void
stats_send(int fd, const char *doc, size_t len, bool http)
{
	char hdr[192];
	struct iovec iov[2];
	int flags, hlen = 0;

	if (fd < 0)
		return;
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && !(flags & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);

	/* an HTTP client's request, if it is already there (EOF here is
	 * fine: a client may half-close after its request) */
	(void)drain(fd, 0);

	if (http) {
		hlen = snprintf(hdr, sizeof(hdr),
		    "HTTP/1.0 200 OK\r\n"
		    "Connection: close\r\n"
		    "Access-Control-Allow-Origin: *\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n"
		    "\r\n", len);
		if (hlen < 0 || (size_t)hlen >= sizeof(hdr))
			goto out;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hlen;
	iov[1].iov_base = (void *)(uintptr_t)doc;
	iov[1].iov_len = doc ? len : 0;
	if (send_iov(fd, iov, 2, clock_ms() + STATS_SEND_TIMEOUT_MS) != 0)
		goto out;

	/* Half-close, then let the client close first: closing with unread
	 * bytes (a late request) would reset the connection and could make
	 * the client lose the document. */
	if (shutdown(fd, SHUT_WR) == 0)
		(void)drain(fd, clock_ms() + STATS_LINGER_MS);
out:
	close(fd);
}

int
stats_listen(const char *addr, const char *chmod_socket, char *err, size_t errlen)
{
	struct sock_addr a;
	int fd;

	if (sock_parse_addr(addr, &a, err, errlen) < 0 || (fd = sock_listen(&a, 64, err, errlen)) < 0)
		return -1;
	if (a.kind == SOCK_ADDR_UNIX && chmod_socket &&
	    sock_chmod(a.u.un.sun_path, chmod_socket, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The answer of this process's stats server (stats_serve). */
static void (*stats_answer)(int client);

static void
on_stats_client(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	int c = sock_accept(fd, NULL);
	if (c >= 0)
		stats_answer(c);
}

int
stats_serve(struct event_loop *loop, const char *option, const char *addr, const char *chmod_socket,
                const char *label, void (*answer)(int client))
{
	char err[256];
	int fd = stats_listen(addr, chmod_socket, err, sizeof(err));
	if (fd < 0) {
		log_msg("%s: %s", option, err);
		return -1;
	}
	stats_answer = answer;
	if (event_add(loop, fd, EV_READ, on_stats_client, NULL) < 0) {
		log_errno("%s: event_add", option);
		close(fd);
		return -1;
	}
	log_msg("%s enabled on %s fd: %d", label, addr, fd);
	return fd;
}
