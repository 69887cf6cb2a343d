/* SPDX-License-Identifier: MIT */
/*
 * The stats document (uWSGI keys, types, order and values), the listen
 * queue and process memory probes, and serving a client. Sockets only on
 * 127.0.0.1 and in a private temp dir.
 */
#include "server/stats.h"

#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures ------------------------------------------------------------- */

static struct scoreboard *
make_sb(int n)
{
	struct scoreboard *sb = calloc(1, sizeof(*sb) + (size_t)n * sizeof(sb->workers[0]));

	cr_assert_not_null(sb);
	sb->nworkers = n;
	return sb;
}

/* Two workers with distinct known counters; worker 2 is busy. */
static struct scoreboard *
sample_sb(void)
{
	struct scoreboard *sb = make_sb(2);
	struct worker_score *w = sb->workers;

	sb->total_requests = 17;
	w[0] = (struct worker_score){
		.pid = 1001, .accepting = 1, .status = WS_IDLE,
		.requests = 10, .delta_requests = 3, .exceptions = 1,
		.harakiri_count = 2, .tx = 12345, .running_time_us = 500000,
		.avg_rt_us = 50000, .rss = 1 << 20, .vsz = 4 << 20,
		.last_spawn = 1700000000, .respawn_count = 1, .request_start_ms = 0,
	};
	w[1] = (struct worker_score){
		.pid = 1002, .accepting = 0, .status = WS_BUSY,
		.requests = 7, .delta_requests = 7, .exceptions = 0,
		.harakiri_count = 0, .tx = 999, .running_time_us = 70000,
		.avg_rt_us = 10000, .rss = 2 << 20, .vsz = 8 << 20,
		.last_spawn = 1700000100, .respawn_count = 4, .request_start_ms = 995000,
	};
	return sb;
}

static int
tcp_listener(int backlog, char *name, size_t namelen)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, backlog), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	if (name)
		snprintf(name, namelen, "127.0.0.1:%d", ntohs(a.sin_port));
	return fd;
}

static int
tcp_connect(int lfd)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, alen), 0, "connect: %s", strerror(errno));
	return fd;
}

static char tmpdir[64];

static int
unix_listener(char *path, size_t pathlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(tmpdir, "/tmp/stockade-stats-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(path, pathlen, "%s/s.sock", tmpdir);
	cr_assert_geq(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 5), 0);
	return fd;
}

static void
unix_cleanup(const char *path)
{
	unlink(path);
	rmdir(tmpdir);
}

static struct stats_input
sample_input(const struct scoreboard *sb, const struct stats_socket *socks, size_t n)
{
	return (struct stats_input){
		.sb = sb, .sockets = socks, .nsockets = n,
		.pid = 4242, .uid = 1000, .gid = 1001,
		.cwd = "/srv/app", .version = "0.1.0",
		.now = 1700001000, .now_ms = 1000000,
	};
}

static json_t *
parse(const char *doc, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(doc, len, 0, &err);

	cr_assert_not_null(j, "bad JSON (line %d col %d: %s):\n%s", err.line, err.column,
	    err.text, doc);
	cr_assert(json_is_object(j));
	return j;
}

static json_t *
get(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert_not_null(v, "missing key \"%s\"", key);
	return v;
}

static long long
get_int(const json_t *obj, const char *key)
{
	json_t *v = get(obj, key);

	cr_assert(json_is_integer(v), "\"%s\" is not an integer", key);
	return (long long)json_integer_value(v);
}

static const char *
get_str(const json_t *obj, const char *key)
{
	json_t *v = get(obj, key);

	cr_assert(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

static json_t *
get_arr(const json_t *obj, const char *key, size_t n)
{
	json_t *v = get(obj, key);

	cr_assert(json_is_array(v), "\"%s\" is not an array", key);
	cr_assert_eq(json_array_size(v), n, "\"%s\" has %zu entries, want %zu", key,
	    json_array_size(v), n);
	return v;
}

/* The object's keys, in document order, are exactly keys[]. */
static void
assert_keys(const json_t *obj, const char *const *keys, size_t n)
{
	size_t i = 0;
	const char *k;
	json_t *v;

	cr_assert_eq(json_object_size(obj), n, "%zu keys, want %zu", json_object_size(obj), n);
	json_object_foreach((json_t *)obj, k, v) {
		(void)v;
		cr_assert_str_eq(k, keys[i], "key %zu is \"%s\", want \"%s\"", i, k, keys[i]);
		i++;
	}
}

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const top_keys[] = {
	"version", "listen_queue", "listen_queue_errors", "signal_queue", "load",
	"pid", "uid", "gid", "cwd", "locks", "sockets", "workers",
};
static const char *const socket_keys[] = {
	"name", "proto", "queue", "max_queue", "shared", "can_offload",
};
static const char *const worker_keys[] = {
	"id", "pid", "accepting", "requests", "delta_requests", "exceptions",
	"harakiri_count", "signals", "signal_queue", "status", "rss", "vsz", "uss",
	"pss", "running_time", "last_spawn", "respawn_count", "tx", "avg_rt",
	"apps", "cores",
};
static const char *const app_keys[] = {
	"id", "modifier1", "mountpoint", "startup_time", "requests", "exceptions", "chdir",
};
static const char *const core_keys[] = {
	"id", "requests", "static_requests", "routed_requests", "offloaded_requests",
	"write_errors", "read_errors", "in_request", "vars", "req_info",
};

static char *
make_doc(const struct stats_input *in, bool minified, size_t *len)
{
	char *doc = stats_json(in, minified, len);

	cr_assert_not_null(doc);
	cr_assert_eq(strlen(doc), *len);
	return doc;
}

/* ---- the document ------------------------------------------------------------- */

Test(stats_json, full_document)
{
	struct scoreboard *sb = sample_sb();
	char tcpname[64], upath[108];
	int tfd = tcp_listener(16, tcpname, sizeof(tcpname));
	int ufd = unix_listener(upath, sizeof(upath));
	struct stats_socket socks[2] = {
		{ .name = tcpname, .proto = "uwsgi", .fd = tfd, .shared = false },
		{ .name = upath, .proto = "http", .fd = ufd, .shared = true },
	};
	struct stats_input in = sample_input(sb, socks, 2);
	size_t len;
	char *doc = make_doc(&in, false, &len);
	json_t *root = parse(doc, len), *a, *w, *o;

	assert_keys(root, top_keys, NKEYS(top_keys));
	cr_assert_str_eq(get_str(root, "version"), "0.1.0");
	cr_assert_eq(get_int(root, "listen_queue"), 0);
	cr_assert_eq(get_int(root, "listen_queue_errors"), 0);
	cr_assert_eq(get_int(root, "signal_queue"), 0);
	cr_assert_eq(get_int(root, "load"), 0);
	cr_assert_eq(get_int(root, "pid"), 4242);
	cr_assert_eq(get_int(root, "uid"), 1000);
	cr_assert_eq(get_int(root, "gid"), 1001);
	cr_assert_str_eq(get_str(root, "cwd"), "/srv/app");
	get_arr(root, "locks", 0);

	a = get_arr(root, "sockets", 2);
	o = json_array_get(a, 0);
	assert_keys(o, socket_keys, NKEYS(socket_keys));
	cr_assert_str_eq(get_str(o, "name"), tcpname);
	cr_assert_str_eq(get_str(o, "proto"), "uwsgi");
	cr_assert_eq(get_int(o, "queue"), 0);
#ifdef __linux__
	cr_assert_eq(get_int(o, "max_queue"), 16);
#endif
	cr_assert_eq(get_int(o, "shared"), 0);
	cr_assert_eq(get_int(o, "can_offload"), 0);
	o = json_array_get(a, 1);
	assert_keys(o, socket_keys, NKEYS(socket_keys));
	cr_assert_str_eq(get_str(o, "name"), upath);
	cr_assert_str_eq(get_str(o, "proto"), "http");
	cr_assert_eq(get_int(o, "queue"), 0);
#ifdef __linux__
	cr_assert_eq(get_int(o, "max_queue"), 0);
#endif
	cr_assert_eq(get_int(o, "shared"), 1);
	cr_assert_eq(get_int(o, "can_offload"), 0);

	a = get_arr(root, "workers", 2);
	for (int i = 0; i < 2; i++) {
		const struct worker_score *ws = &sb->workers[i];
		json_t *apps, *cores, *app, *core, *ri;

		w = json_array_get(a, (size_t)i);
		assert_keys(w, worker_keys, NKEYS(worker_keys));
		cr_assert_eq(get_int(w, "id"), i + 1);
		cr_assert_eq(get_int(w, "pid"), ws->pid);
		cr_assert_eq(get_int(w, "accepting"), ws->accepting);
		cr_assert_eq(get_int(w, "requests"), (long long)ws->requests);
		cr_assert_eq(get_int(w, "delta_requests"), (long long)ws->delta_requests);
		cr_assert_eq(get_int(w, "exceptions"), (long long)ws->exceptions);
		cr_assert_eq(get_int(w, "harakiri_count"), (long long)ws->harakiri_count);
		cr_assert_eq(get_int(w, "signals"), 0);
		cr_assert_eq(get_int(w, "signal_queue"), 0);
		cr_assert_str_eq(get_str(w, "status"), i == 0 ? "idle" : "busy");
		cr_assert_eq(get_int(w, "rss"), (long long)ws->rss);
		cr_assert_eq(get_int(w, "vsz"), (long long)ws->vsz);
		cr_assert_eq(get_int(w, "uss"), 0);
		cr_assert_eq(get_int(w, "pss"), 0);
		cr_assert_eq(get_int(w, "running_time"), (long long)ws->running_time_us);
		cr_assert_eq(get_int(w, "last_spawn"), ws->last_spawn);
		cr_assert_eq(get_int(w, "respawn_count"), (long long)ws->respawn_count);
		cr_assert_eq(get_int(w, "tx"), (long long)ws->tx);
		cr_assert_eq(get_int(w, "avg_rt"), (long long)ws->avg_rt_us);

		apps = get_arr(w, "apps", 1);
		app = json_array_get(apps, 0);
		assert_keys(app, app_keys, NKEYS(app_keys));
		cr_assert_eq(get_int(app, "id"), 0);
		cr_assert_eq(get_int(app, "modifier1"), 0);
		cr_assert_str_eq(get_str(app, "mountpoint"), "");
		cr_assert_eq(get_int(app, "startup_time"), 0);
		cr_assert_eq(get_int(app, "requests"), (long long)ws->requests);
		cr_assert_eq(get_int(app, "exceptions"), (long long)ws->exceptions);
		cr_assert_str_eq(get_str(app, "chdir"), "");

		cores = get_arr(w, "cores", 1);
		core = json_array_get(cores, 0);
		assert_keys(core, core_keys, NKEYS(core_keys));
		cr_assert_eq(get_int(core, "id"), 0);
		cr_assert_eq(get_int(core, "requests"), (long long)ws->requests);
		cr_assert_eq(get_int(core, "static_requests"), 0);
		cr_assert_eq(get_int(core, "routed_requests"), 0);
		cr_assert_eq(get_int(core, "offloaded_requests"), 0);
		cr_assert_eq(get_int(core, "write_errors"), 0);
		cr_assert_eq(get_int(core, "read_errors"), 0);
		cr_assert_eq(get_int(core, "in_request"), i == 0 ? 0 : 1);
		get_arr(core, "vars", 0);
		ri = get(core, "req_info");
		cr_assert(json_is_object(ri));
		if (i == 0) {
			cr_assert_eq(json_object_size(ri), 0);
		} else {
			/* started 5 s before now (1000000 - 995000 ms) */
			cr_assert_eq(json_object_size(ri), 1);
			cr_assert_eq(get_int(ri, "request_start"), 1700001000 - 5);
		}
	}

	/* indented, not minified; reading does not reset delta_requests */
	cr_assert_not_null(strchr(doc, '\n'));
	cr_assert_eq(sb->workers[0].delta_requests, 3);
	cr_assert_eq(sb->workers[1].delta_requests, 7);

	json_decref(root);
	free(doc);
	close(tfd);
	close(ufd);
	unix_cleanup(upath);
	free(sb);
}

Test(stats_json, minified_same_content)
{
	struct scoreboard *sb = sample_sb();
	struct stats_socket socks[1] = { { .name = ":0", .proto = NULL, .fd = -1 } };
	struct stats_input in = sample_input(sb, socks, 1);
	size_t flen, mlen;
	char *full = make_doc(&in, false, &flen);
	char *mini = make_doc(&in, true, &mlen);
	json_t *a = parse(full, flen), *b = parse(mini, mlen);

	cr_assert_null(strchr(mini, '\n'), "minified has a newline:\n%s", mini);
	cr_assert_null(strchr(mini, ' '), "minified has a space:\n%s", mini);
	cr_assert_lt(mlen, flen);
	cr_assert(json_equal(a, b));
	cr_assert_eq(mini[0], '{');
	cr_assert_eq(mini[mlen - 1], '}');
	/* NULL proto → "uwsgi"; fd -1 → queue 0 */
	json_t *s = json_array_get(get(b, "sockets"), 0);
	cr_assert_str_eq(get_str(s, "proto"), "uwsgi");
	cr_assert_eq(get_int(s, "queue"), 0);
	cr_assert_eq(get_int(s, "max_queue"), 0);
	/* key order survives minification too */
	assert_keys(b, top_keys, NKEYS(top_keys));
	json_decref(a);
	json_decref(b);
	free(full);
	free(mini);
	free(sb);
}

Test(stats_json, statuses)
{
	static const char *const names[] = { "idle", "busy", "cheap", "pause", "sig", "idle" };
	struct scoreboard *sb = make_sb(6);
	struct stats_input in = sample_input(sb, NULL, 0);
	size_t len;

	for (int i = 0; i < 5; i++)
		sb->workers[i].status = i;
	sb->workers[5].status = 99;	/* unknown → idle */
	char *doc = make_doc(&in, true, &len);
	json_t *root = parse(doc, len), *ws = get_arr(root, "workers", 6);

	for (size_t i = 0; i < 6; i++) {
		json_t *w = json_array_get(ws, i);
		json_t *core = json_array_get(get(w, "cores"), 0);

		cr_assert_str_eq(get_str(w, "status"), names[i], "worker %zu", i + 1);
		cr_assert_eq(get_int(w, "id"), (long long)i + 1);
		cr_assert_eq(get_int(w, "pid"), 0);
		/* busy with no start time: in a request, but no request_start */
		cr_assert_eq(get_int(core, "in_request"), i == 1 ? 1 : 0);
		cr_assert_eq(json_object_size(get(core, "req_info")), 0);
	}
	get_arr(root, "sockets", 0);
	cr_assert_eq(get_int(root, "listen_queue"), 0);
	json_decref(root);
	free(doc);
	free(sb);
}

Test(stats_json, no_scoreboard_and_odd_strings)
{
	struct stats_socket socks[1] = { { .name = NULL, .proto = "http", .fd = -1 } };
	struct stats_input in = sample_input(NULL, socks, 1);
	size_t len;

	in.cwd = "/srv/\xff\xfe/caf\xc3";	/* not UTF-8 */
	in.version = NULL;
	char *doc = make_doc(&in, false, &len);
	json_t *root = parse(doc, len);

	get_arr(root, "workers", 0);
	cr_assert_str_eq(get_str(root, "version"), "");
	cr_assert_str_eq(get_str(root, "cwd"), "/srv/?" "?/caf?");
	cr_assert_str_eq(get_str(json_array_get(get(root, "sockets"), 0), "name"), "");
	json_decref(root);
	free(doc);

	/* valid UTF-8 and JSON specials pass through untouched */
	in.cwd = "/srv/caf\xc3\xa9/\"q\"\\";
	doc = make_doc(&in, true, &len);
	root = parse(doc, len);
	cr_assert_str_eq(get_str(root, "cwd"), "/srv/caf\xc3\xa9/\"q\"\\");
	json_decref(root);
	free(doc);
}

Test(stats_json, huge_counters_clamped)
{
	struct scoreboard *sb = make_sb(1);
	struct stats_input in = sample_input(sb, NULL, 0);
	size_t len;

	sb->workers[0].tx = UINT64_MAX;
	sb->workers[0].requests = (uint64_t)LLONG_MAX;
	char *doc = make_doc(&in, true, &len);
	json_t *root = parse(doc, len), *w = json_array_get(get(root, "workers"), 0);

	cr_assert_eq(get_int(w, "tx"), (long long)LLONG_MAX);
	cr_assert_eq(get_int(w, "requests"), (long long)LLONG_MAX);
	json_decref(root);
	free(doc);
	free(sb);
}

/* ---- listen queue ----------------------------------------------------------- */

Test(stats_listen_queue, tcp_pending_connections)
{
#ifndef __linux__
	cr_skip_test("TCP_INFO listen queue is Linux-only");
#else
	char name[64];
	int lfd = tcp_listener(8, name, sizeof(name));
	uint64_t q = 99, max = 99;

	stats_listen_queue(lfd, &q, &max);
	cr_assert_eq(q, 0);
	cr_assert_eq(max, 8);

	int c1 = tcp_connect(lfd), c2 = tcp_connect(lfd);

	stats_listen_queue(lfd, &q, &max);
	cr_assert_eq(q, 2);
	cr_assert_eq(max, 8);

	/* and in the document: per socket and summed at the top */
	struct stats_socket socks[2] = {
		{ .name = name, .proto = "uwsgi", .fd = lfd },
		{ .name = "dup", .proto = "uwsgi", .fd = lfd },
	};
	struct stats_input in = sample_input(NULL, socks, 2);
	size_t len;
	char *doc = make_doc(&in, true, &len);
	json_t *root = parse(doc, len);

	cr_assert_eq(get_int(root, "listen_queue"), 4);
	cr_assert_eq(get_int(json_array_get(get(root, "sockets"), 0), "queue"), 2);
	cr_assert_eq(get_int(json_array_get(get(root, "sockets"), 0), "max_queue"), 8);
	json_decref(root);
	free(doc);

	/* accepting one drains the queue by one */
	int a = accept(lfd, NULL, NULL);
	cr_assert_geq(a, 0);
	stats_listen_queue(lfd, &q, &max);
	cr_assert_eq(q, 1);
	close(a);
	close(c1);
	close(c2);
	close(lfd);
#endif
}

Test(stats_listen_queue, others_are_zero)
{
	char path[108];
	int ufd = unix_listener(path, sizeof(path));
	int sv[2];
	uint64_t q = 99, max = 99;

	/* unix sockets (on Linux TCP_INFO does not apply) */
#ifdef __linux__
	stats_listen_queue(ufd, &q, &max);
	cr_assert_eq(q, 0);
	cr_assert_eq(max, 0);
#endif
	/* a connected TCP socket is not a listener */
	int lfd = tcp_listener(4, NULL, 0), c = tcp_connect(lfd);

	q = max = 99;
	stats_listen_queue(c, &q, &max);
	cr_assert_eq(q, 0);
	cr_assert_eq(max, 0);

	/* not a socket, closed, negative */
	cr_assert_eq(pipe(sv), 0);
	q = max = 99;
	stats_listen_queue(sv[0], &q, &max);
	cr_assert(q == 0 && max == 0);
	close(sv[0]);
	close(sv[1]);
	q = max = 99;
	stats_listen_queue(sv[0], &q, &max);
	cr_assert(q == 0 && max == 0);
	q = max = 99;
	stats_listen_queue(-1, &q, &max);
	cr_assert(q == 0 && max == 0);

	close(c);
	close(lfd);
	close(ufd);
	unix_cleanup(path);
}

/* ---- process memory ---------------------------------------------------------- */

Test(stats_proc_mem, self)
{
	uint64_t rss = 0, vsz = 0;

	cr_assert_eq(stats_proc_mem(getpid(), &rss, &vsz), 0, "%s", strerror(errno));
	cr_assert_gt(rss, 0);
	cr_assert_geq(vsz, rss);
	cr_assert_eq(rss % (uint64_t)sysconf(_SC_PAGESIZE), 0);
}

Test(stats_proc_mem, failures)
{
	uint64_t rss = 1, vsz = 1;

	cr_assert_eq(stats_proc_mem(0, &rss, &vsz), -1);
	cr_assert(rss == 0 && vsz == 0);
	rss = vsz = 1;
	cr_assert_eq(stats_proc_mem(-5, &rss, &vsz), -1);
	cr_assert(rss == 0 && vsz == 0);
	/* beyond pid_max (at most 2^22 on Linux) */
	rss = vsz = 1;
	cr_assert_eq(stats_proc_mem(0x7ffffff0, &rss, &vsz), -1);
	cr_assert(rss == 0 && vsz == 0);
}

/* ---- serving a client -------------------------------------------------------- */

/* Everything the peer sent until EOF. */
static char *
read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);

	cr_assert_not_null(buf);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			cr_assert_not_null(buf);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		cr_assert_geq(r, 0, "read: %s", strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(stats_send, http_header_then_json)
{
	struct scoreboard *sb = sample_sb();
	struct stats_input in = sample_input(sb, NULL, 0);
	size_t dlen, rlen;
	char *doc = make_doc(&in, false, &dlen);
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* the client's request is there already; it half-closes after it */
	cr_assert_eq(write(sv[1], req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	cr_assert_eq(shutdown(sv[1], SHUT_WR), 0);

	int64_t t0 = now_ms();
	stats_send(sv[0], doc, dlen, true);
	cr_assert_lt(now_ms() - t0, 1000, "stats_send lingered although the client closed");
	/* sv[0] is closed: a second close fails */
	cr_assert_eq(close(sv[0]), -1);
	cr_assert_eq(errno, EBADF);

	char *resp = read_all(sv[1], &rlen);
	const char *body = strstr(resp, "\r\n\r\n");
	char clen[64];

	cr_assert_eq(strncmp(resp, "HTTP/1.0 200 OK\r\n", 17), 0, "got: %.40s", resp);
	cr_assert_not_null(body);
	cr_assert_not_null(strstr(resp, "\r\nContent-Type: application/json\r\n"));
	snprintf(clen, sizeof(clen), "\r\nContent-Length: %zu\r\n", dlen);
	cr_assert(strstr(resp, clen) && strstr(resp, clen) < body);
	body += 4;
	cr_assert_eq((size_t)(resp + rlen - body), dlen);
	cr_assert_eq(memcmp(body, doc, dlen), 0);
	json_decref(parse(body, dlen));

	free(resp);
	close(sv[1]);
	free(doc);
	free(sb);
}

Test(stats_send, raw_document_only)
{
	struct scoreboard *sb = sample_sb();
	struct stats_input in = sample_input(sb, NULL, 0);
	size_t dlen, rlen;
	char *doc = make_doc(&in, true, &dlen);
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* a client that stays open (uwsgitop closes only after EOF): the
	 * linger is bounded */
	int64_t t0 = now_ms();
	stats_send(sv[0], doc, dlen, false);
	cr_assert_lt(now_ms() - t0, STATS_LINGER_MS + 500);

	char *resp = read_all(sv[1], &rlen);

	cr_assert_eq(rlen, dlen);
	cr_assert_str_eq(resp, doc);
	free(resp);
	close(sv[1]);
	free(doc);
	free(sb);
}

Test(stats_send, over_tcp)
{
	struct scoreboard *sb = sample_sb();
	struct stats_input in = sample_input(sb, NULL, 0);
	size_t dlen, rlen;
	char *doc = make_doc(&in, false, &dlen);
	int lfd = tcp_listener(4, NULL, 0), c = tcp_connect(lfd);
	int s = accept(lfd, NULL, NULL);

	cr_assert_geq(s, 0);
	cr_assert_eq(shutdown(c, SHUT_WR), 0);
	stats_send(s, doc, dlen, false);

	char *resp = read_all(c, &rlen);

	cr_assert_eq(rlen, dlen);
	cr_assert_eq(memcmp(resp, doc, dlen), 0);
	free(resp);
	close(c);
	close(lfd);
	free(doc);
	free(sb);
}

Test(stats_send, stalled_client_is_dropped)
{
	size_t big = 8u << 20;
	char *doc = malloc(big);
	int sv[2], sz = 4096;

	cr_assert_not_null(doc);
	memset(doc, 'x', big);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));

	/* nobody reads sv[1]: bounded by the write timeout, no SIGPIPE */
	int64_t t0 = now_ms();
	stats_send(sv[0], doc, big, true);
	int64_t took = now_ms() - t0;

	cr_assert_geq(took, STATS_SEND_TIMEOUT_MS - 50);
	cr_assert_lt(took, STATS_SEND_TIMEOUT_MS + 1000);
	cr_assert_eq(close(sv[0]), -1);
	close(sv[1]);
	free(doc);
}

Test(stats_send, peer_gone)
{
	static const char doc[] = "{}";
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	/* EPIPE, not SIGPIPE (the test would die) */
	stats_send(sv[0], doc, 2, true);
	cr_assert_eq(close(sv[0]), -1);
	stats_send(-1, doc, 2, false);
}
