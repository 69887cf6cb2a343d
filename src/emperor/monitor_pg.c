/* SPDX-License-Identifier: MIT */
/* The `pg://` imperial monitor: vassal rows from PostgreSQL (monitor_pg.h). */
#include "emperor/monitor_pg.h"
#include "emperor/monitor.h"
#include "emperor/pq_dl.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum pg_state { PG_DOWN, PG_CONNECTING, PG_READY };
enum pg_step { STEP_NONE, STEP_LISTEN, STEP_SCAN };

struct pg_monitor {
	char *conninfo, *query, *node, *channel, *masked;
	bool tyrant;
	struct event_loop *loop;
	pg_scan_fn *fn;
	void *ctx;
	PGconn *conn;
	int fd, fd_mask;            /* what the loop watches for the connection */
	enum pg_state state;
	enum pg_step step;
	bool want_scan;
	bool outage_logged;
	char *last_error;           /* a query error is logged when it changes */
	long long backoff_ms;
	long long retry_timer;
	long long connect_timer;    /* libpq's connect_timeout does not apply to PQconnectPoll */
	char **refused;             /* "name: reason" of the last scan, logged once */
	size_t nrefused;
};

/* ---- argument, names, rows (no connection needed) ---------------------------------- */

int
pg_split_arg(const char *arg, char **conninfo, char **query, char *err, size_t errlen)
{
	const char *semi = strchr(arg, ';');
	*conninfo = semi ? xstrndup(arg, (size_t)(semi - arg)) : xstrdup(arg);
	*query = NULL;
	if (semi) {
		const char *q = semi + 1;
		while (isspace((unsigned char)*q))
			q++;
		if (*q)
			*query = xstrdup(q);
	}
	if (!*query && semi) {
		snprintf(err, errlen, "pg://: empty query after ';'");
		free(*conninfo);
		*conninfo = NULL;
		return -1;
	}
	return 0;
}

/* Length of a conninfo value at s: a single-quoted string with backslash
 * escapes, or up to white space. */
static size_t
value_len(const char *s, const char *stops)
{
	size_t i = 0;
	if (s[0] == '\'') {
		for (i = 1; s[i] && s[i] != '\''; i++)
			if (s[i] == '\\' && s[i + 1])
				i++;
		return s[i] ? i + 1 : i;
	}
	while (s[i] && !strchr(stops, s[i]))
		i++;
	return i;
}

char *
pg_mask_arg(const char *arg)
{
	/* "***" replaces a value after at least 9 bytes of "password=" or
	 * one ':' of a URI: the result is shorter than twice the input */
	char *out = xcalloc(2 * strlen(arg) + 8, 1);
	size_t k = 0;
	if (strncmp(arg, "pg://", 5) == 0) {
		memcpy(out, arg, 5);
		k = 5;
		arg += 5;
	}
	const char *scheme = strstr(arg, "://");
	if (scheme) {
		/* URI: scheme://user:password@host... */
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?;");
		const char *at = memrchr(auth, '@', alen);
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			memcpy(out + k, arg, (size_t)(colon + 1 - arg));
			k += (size_t)(colon + 1 - arg);
			memcpy(out + k, "***", 3);
			k += 3;
			arg = at;
		}
	}
	const char *p = arg;
	while (*p) {
		bool boundary = p == arg || isspace((unsigned char)p[-1]) || p[-1] == '?' || p[-1] == '&';
		if (boundary && strncasecmp(p, "password", 8) == 0) {
			const char *q = p + 8;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				memcpy(out + k, p, (size_t)(q - p));
				k += (size_t)(q - p);
				memcpy(out + k, "***", 3);
				k += 3;
				p = q + value_len(q, " \t\n&;");
				continue;
			}
		}
		out[k++] = *p++;
	}
	out[k] = '\0';
	return out;
}

bool
pg_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= VASSAL_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

int
pg_parse_epoch(const char *s, struct timespec *ts)
{
	unsigned long long sec = 0;
	long nsec = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (sec > (unsigned long long)LLONG_MAX / 10)
			return -1;
		sec = sec * 10 + (unsigned)(*p - '0');
	}
	if (*p == '.') {
		p++;
		long scale = 100000000;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			nsec += scale * (*p - '0');
	}
	if (*p || sec > (unsigned long long)LLONG_MAX)
		return -1;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = nsec;
	return 0;
}

/* name as safe to print: non-printable bytes become '?', at most 64 shown */
static void
printable(const char *s, char *out, size_t len)
{
	size_t k = 0;
	for (; *s && k + 1 < len && k < 64; s++)
		out[k++] = isprint((unsigned char)*s) ? *s : '?';
	out[k] = '\0';
}

static bool
parse_id(const char *s, unsigned *out)
{
	unsigned long long n;
	if (!s || !parse_uint(s, UINT_MAX - 1, &n))
		return false;
	*out = (unsigned)n;
	return true;
}

int
pg_row_entry(char *const *col, int ncol, bool tyrant, struct scan_entry *e, char *err, size_t errlen)
{
	char shown[80];
	memset(e, 0, sizeof(*e));
	if (ncol < 3) {
		snprintf(err, errlen, "the query returns %d columns, needs name, config, epoch", ncol);
		return -1;
	}
	if (!col[0] || !pg_name_ok(col[0])) {
		printable(col[0] ? col[0] : "NULL", shown, sizeof(shown));
		snprintf(err, errlen, "name '%s' refused (want 1..254 of [A-Za-z0-9_.-], no leading '.')", shown);
		return -1;
	}
	printable(col[0], shown, sizeof(shown));
	if (!col[1]) {
		snprintf(err, errlen, "vassal %s: config is NULL", shown);
		return -1;
	}
	size_t clen = strlen(col[1]);
	if (clen > PG_CONFIG_MAX) {
		snprintf(err, errlen, "vassal %s: config is %zu bytes (at most %d)", shown, clen, PG_CONFIG_MAX);
		return -1;
	}
	if (!col[2] || pg_parse_epoch(col[2], &e->mtime) < 0) {
		snprintf(err, errlen, "vassal %s: modification time '%.32s' is not epoch seconds", shown,
		         col[2] ? col[2] : "NULL");
		return -1;
	}
	unsigned uid = 0, gid = 0;
	if (tyrant && (ncol < 5 || !parse_id(col[3], &uid) || !parse_id(col[4], &gid))) {
		snprintf(err, errlen, "vassal %s: tyrant mode needs numeric uid and gid columns", shown);
		return -1;
	}
	if (!tyrant && ncol >= 5 && !(parse_id(col[3], &uid) && parse_id(col[4], &gid)))
		uid = gid = 0;
	e->name = xstrdup(col[0]);
	/* JSON when the name says so (as for files), else ini */
	const char *flag = vassal_flag(col[0], NULL);
	e->flag = flag && strcmp(flag, "--json") == 0 ? "--json" : "--ini";
	e->uid = (uid_t)uid;
	e->gid = (gid_t)gid;
	e->config = xstrdup(col[1]);
	/* uWSGI's 6th column: the vassal is on demand on this socket */
	if (ncol >= 6 && col[5] && col[5][0])
		e->socket = xstrdup(col[5]);
	return 0;
}

/* ---- the connection ------------------------------------------------------------------- */

static void pg_connect(struct pg_monitor *pm);

/* The first line of PQerrorMessage (the rest is advice) */
static const char *
one_line(PGconn *conn, char *buf, size_t len)
{
	snprintf(buf, len, "%s", conn ? PQerrorMessage(conn) : "out of memory");
	buf[strcspn(buf, "\r\n")] = '\0';
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return buf;
}

static void watch(struct pg_monitor *pm, int fd, int mask);

static void
unwatch(struct pg_monitor *pm)
{
	if (pm->fd >= 0)
		event_del(pm->loop, pm->fd, EV_READ | EV_WRITE);
	pm->fd = -1;
	pm->fd_mask = EV_NONE;
}

static void lost(struct pg_monitor *pm, const char *why);

static void
on_connect_timeout(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	struct pg_monitor *pm = data;
	if (pm->state == PG_CONNECTING)
		lost(pm, "connection timed out");
}

static void
on_retry(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	pg_connect(data);
}

/* The database is gone (or never came): vassals stay, we retry later. */
static void
lost(struct pg_monitor *pm, const char *why)
{
	if (pm->connect_timer > 0)
		event_timer_del(pm->loop, pm->connect_timer);
	pm->connect_timer = 0;
	unwatch(pm);
	if (pm->conn)
		PQfinish(pm->conn);
	pm->conn = NULL;
	pm->state = PG_DOWN;
	pm->step = STEP_NONE;
	if (!pm->outage_logged)
		log_msg("[emperor-pg] database unreachable (%s): %s; running vassals are kept, retrying (%d s doubling to %d s)",
		        pm->masked, why, PG_BACKOFF_MIN_MS / 1000, PG_BACKOFF_MAX_MS / 1000);
	pm->outage_logged = true;
	pm->fn(pm->ctx, NULL);
	if (pm->retry_timer > 0)
		return;     /* one retry pending is enough */
	event_timer_arm(pm->loop, pm->backoff_ms, on_retry, pm, &pm->retry_timer);
	pm->backoff_ms = pm->backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS : pm->backoff_ms * 2;
}

static void
flush(struct pg_monitor *pm)
{
	char buf[512];
	int rc = PQflush(pm->conn);
	if (rc < 0)
		lost(pm, one_line(pm->conn, buf, sizeof(buf)));
	else
		watch(pm, PQsocket(pm->conn), rc == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void
send_scan(struct pg_monitor *pm)
{
	char buf[512];
	const char *params[1] = { pm->node };
	int nparams = strstr(pm->query, "$1") ? 1 : 0;
	if (!PQsendQueryParams(pm->conn, pm->query, nparams, NULL, params, NULL, NULL, 0)) {
		lost(pm, one_line(pm->conn, buf, sizeof(buf)));
		return;
	}
	pm->step = STEP_SCAN;
	flush(pm);
}

/* Runs the next command when none is in flight. */
static void
kick(struct pg_monitor *pm)
{
	if (pm->state == PG_READY && pm->step == STEP_NONE && pm->want_scan) {
		pm->want_scan = false;
		send_scan(pm);
	}
}

static bool
was_refused(const struct pg_monitor *pm, const char *s)
{
	for (size_t i = 0; i < pm->nrefused; i++)
		if (strcmp(pm->refused[i], s) == 0)
			return true;
	return false;
}

static void
free_refused(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct scan_entry *)a)->name, ((const struct scan_entry *)b)->name);
}

static void
scan_done(struct pg_monitor *pm, PGresult *res)
{
	int nrows = PQntuples(res), ncol = PQnfields(res);
	char *col[8];
	char err[512];
	struct scan_result r = { 0 };
	char **refused = NULL;
	size_t nrefused = 0;
	if (ncol < 3 || (pm->tyrant && ncol < 5)) {
		snprintf(err, sizeof(err), "the query returns %d columns, needs name, config, epoch%s", ncol,
		         pm->tyrant ? ", uid, gid (tyrant)" : "");
		if (!pm->last_error || strcmp(pm->last_error, err) != 0)
			log_msg("[emperor-pg] %s: %s", pm->masked, err);
		free(pm->last_error);
		pm->last_error = xstrdup(err);
		return;      /* a wrong query stops nobody */
	}
	free(pm->last_error);
	pm->last_error = NULL;
	if (ncol > 8)
		ncol = 8;
	for (int i = 0; i < nrows; i++) {
		for (int c = 0; c < ncol; c++)
			col[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
		struct scan_entry e;
		if (pg_row_entry(col, ncol, pm->tyrant, &e, err, sizeof(err)) < 0) {
			if (!was_refused(pm, err))
				log_msg("[emperor-pg] row %d refused: %s", i + 1, err);
			refused = xrealloc(refused, (nrefused + 1) * sizeof(char *));
			refused[nrefused++] = xstrdup(err);
			continue;
		}
		if (r.n == r.cap) {
			r.cap = r.cap ? r.cap * 2 : 32;
			r.v = xrealloc(r.v, r.cap * sizeof(*r.v));
		}
		r.v[r.n++] = e;
	}
	free_refused(pm->refused, pm->nrefused);
	pm->refused = refused;
	pm->nrefused = nrefused;
	if (r.n > 1)
		qsort(r.v, r.n, sizeof(*r.v), by_name);
	/* the same name twice (a custom query without a key): the first one wins */
	size_t k = 0;
	for (size_t i = 0; i < r.n; i++) {
		if (k > 0 && strcmp(r.v[k - 1].name, r.v[i].name) == 0) {
			free(r.v[i].name);
			free(r.v[i].config);
			continue;
		}
		r.v[k++] = r.v[i];
	}
	r.n = k;
	pm->fn(pm->ctx, &r);
	scan_result_free(&r);
}

static void
on_result(struct pg_monitor *pm, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	if (pm->step == STEP_SCAN && st == PGRES_TUPLES_OK) {
		scan_done(pm, res);
		return;
	}
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return;
	char err[512];
	snprintf(err, sizeof(err), "%s failed: %s", pm->step == STEP_LISTEN ? "LISTEN" : "the query",
	         PQresultErrorMessage(res));
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!pm->last_error || strcmp(pm->last_error, err) != 0)
		log_msg("[emperor-pg] %s: %s", pm->masked, err);
	free(pm->last_error);
	pm->last_error = xstrdup(err);
}

static void
drain(struct pg_monitor *pm)
{
	PGnotify *n;
	while ((n = PQnotifies(pm->conn)) != NULL) {
		PQfreemem(n);
		pm->want_scan = true;
	}
	while (pm->conn && !PQisBusy(pm->conn)) {
		PGresult *res = PQgetResult(pm->conn);
		if (res) {
			on_result(pm, res);
			PQclear(res);
			continue;
		}
		if (pm->step == STEP_NONE)
			break;
		pm->step = STEP_NONE;     /* the command is complete */
		kick(pm);
		if (pm->step == STEP_NONE)
			break;
	}
	if (pm->conn && PQstatus(pm->conn) == CONNECTION_BAD) {
		char buf[512];
		lost(pm, one_line(pm->conn, buf, sizeof(buf)));
		return;
	}
	if (pm->conn)
		kick(pm);
}

static void
connected(struct pg_monitor *pm)
{
	char buf[512];
	if (pm->outage_logged)
		log_msg("[emperor-pg] database reachable again (%s): rescanning", pm->masked);
	else
		log_msg("[emperor-pg] connected to %s (node '%s')", pm->masked, pm->node);
	pm->outage_logged = false;
	pm->backoff_ms = PG_BACKOFF_MIN_MS;
	if (pm->connect_timer > 0)
		event_timer_del(pm->loop, pm->connect_timer);
	pm->connect_timer = 0;
	pm->state = PG_READY;
	pm->step = STEP_NONE;
	pm->want_scan = true;     /* a reconnection reconciles everything */
	if (PQsetnonblocking(pm->conn, 1) < 0) {
		lost(pm, one_line(pm->conn, buf, sizeof(buf)));
		return;
	}
	if (*pm->channel) {
		char *id = PQescapeIdentifier(pm->conn, pm->channel, strlen(pm->channel));
		if (!id) {
			lost(pm, one_line(pm->conn, buf, sizeof(buf)));
			return;
		}
		char *sql = xasprintf("LISTEN %s", id);
		PQfreemem(id);
		int ok = PQsendQuery(pm->conn, sql);
		free(sql);
		if (!ok) {
			lost(pm, one_line(pm->conn, buf, sizeof(buf)));
			return;
		}
		pm->step = STEP_LISTEN;
		flush(pm);
		return;
	}
	watch(pm, PQsocket(pm->conn), EV_READ);
	kick(pm);
}

static void
on_io(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)fd;
	struct pg_monitor *pm = data;
	char buf[512];
	if (!pm->conn)
		return;
	if (pm->state == PG_CONNECTING) {
		switch (PQconnectPoll(pm->conn)) {
		case PGRES_POLLING_OK:
			connected(pm);
			return;
		case PGRES_POLLING_READING:
			watch(pm, PQsocket(pm->conn), EV_READ);
			return;
		case PGRES_POLLING_WRITING:
			watch(pm, PQsocket(pm->conn), EV_WRITE);
			return;
		default:
			lost(pm, one_line(pm->conn, buf, sizeof(buf)));
			return;
		}
	}
	if (mask & EV_WRITE) {
		flush(pm);
		if (!pm->conn)
			return;
	}
	if ((mask & EV_READ) && !PQconsumeInput(pm->conn)) {
		lost(pm, one_line(pm->conn, buf, sizeof(buf)));
		return;
	}
	drain(pm);
}

static void
watch(struct pg_monitor *pm, int fd, int mask)
{
	if (fd == pm->fd && mask == pm->fd_mask)
		return;
	unwatch(pm);
	if (fd < 0 || event_add(pm->loop, fd, mask, on_io, pm) < 0) {
		lost(pm, fd < 0 ? "no connection socket" : "cannot watch the connection socket");
		return;
	}
	pm->fd = fd;
	pm->fd_mask = mask;
}

static void
pg_connect(struct pg_monitor *pm)
{
	char buf[512];
	if (pm->conn)
		return;
	pm->conn = PQconnectStart(pm->conninfo);
	if (!pm->conn || PQstatus(pm->conn) == CONNECTION_BAD) {
		lost(pm, one_line(pm->conn, buf, sizeof(buf)));
		return;
	}
	pm->state = PG_CONNECTING;
	event_timer_arm(pm->loop, PG_CONNECT_TIMEOUT_MS, on_connect_timeout, pm, &pm->connect_timer);
	watch(pm, PQsocket(pm->conn), EV_WRITE);
}

/* ---- life cycle ------------------------------------------------------------------------- */

struct pg_monitor *
pg_monitor_new(const char *arg, const struct pg_opts *o, char *err, size_t errlen)
{
	char *conninfo, *query;
	if (strncmp(arg, "pg://", 5) == 0)
		arg += 5;
	if (pq_load(err, errlen) < 0 || pg_split_arg(arg, &conninfo, &query, err, errlen) < 0)
		return NULL;
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		char *masked = pg_mask_arg(conninfo);
		snprintf(err, errlen, "pg://%s: %s", masked, perr ? strtok(perr, "\n") : "out of memory");
		free(masked);
		if (perr)
			PQfreemem(perr);
		free(conninfo);
		free(query);
		return NULL;
	}
	PQconninfoFree(opts);
	struct pg_monitor *pm = xcalloc(1, sizeof(*pm));
	pm->conninfo = conninfo;
	pm->query = query ? query : xstrdup(PG_DEFAULT_QUERY);
	char host[256];
	if (o && o->node)
		pm->node = xstrdup(o->node);
	else if (gethostname(host, sizeof(host)) == 0)
		pm->node = xstrndup(host, sizeof(host) - 1);
	else
		pm->node = xstrdup("localhost");
	pm->channel = xstrdup(o && o->channel ? o->channel : PG_DEFAULT_CHANNEL);
	pm->tyrant = o && o->tyrant;
	char *m = pg_mask_arg(conninfo);
	pm->masked = xasprintf("pg://%s", m);
	free(m);
	pm->fd = -1;
	pm->backoff_ms = PG_BACKOFF_MIN_MS;
	return pm;
}

void
pg_monitor_start(struct pg_monitor *pm, struct event_loop *loop, pg_scan_fn *fn, void *ctx)
{
	pm->loop = loop;
	pm->fn = fn;
	pm->ctx = ctx;
	pg_connect(pm);
}

void
pg_monitor_rescan(struct pg_monitor *pm)
{
	pm->want_scan = true;
	kick(pm);
}

void
pg_monitor_free(struct pg_monitor *pm)
{
	if (!pm)
		return;
	if (pm->loop) {
		unwatch(pm);
		if (pm->retry_timer > 0)
			event_timer_del(pm->loop, pm->retry_timer);
		if (pm->connect_timer > 0)
			event_timer_del(pm->loop, pm->connect_timer);
	}
	if (pm->conn)
		PQfinish(pm->conn);
	free_refused(pm->refused, pm->nrefused);
	free(pm->last_error);
	free(pm->conninfo);
	free(pm->query);
	free(pm->node);
	free(pm->channel);
	free(pm->masked);
	free(pm);
}
