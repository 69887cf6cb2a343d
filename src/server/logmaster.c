/* SPDX-License-Identifier: MIT */
/*
 * log-master: loggers (file:, stdio, syslog, named ones reached through
 * log-route), request loggers the workers cannot write themselves
 * (syslog, several at once), rotation by size. See server/logmaster.h.
 *
 * A line matching a log-route goes to that route's named logger only;
 * any other line goes to every unnamed logger, or to the log file (stdout
 * or logto/daemonize) when there is none, as uWSGI does. Routes match
 * line by line (uWSGI matches each read chunk) with POSIX extended
 * regular expressions (uWSGI: PCRE).
 *
 * The syslog logger speaks RFC 3164 over the local datagram socket
 * (/dev/log inside the jail), the systemd logger the journal's native
 * protocol (/run/systemd/journal/socket); STOCKADE_TEST_SYSLOG_SOCKET and
 * STOCKADE_TEST_JOURNAL_SOCKET name others, for tests only.
 */
#include "server/logmaster.h"
#include "server/logformat.h"
#include "server/server_internal.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/util.h"
#include "config/config.h"
#include "net/event.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX (65536 + 1)

enum logger_type { LG_FILE, LG_STDIO, LG_SYSLOG, LG_JOURNAL };

struct logger {
	char *id;               /* named logger (log-route target), or NULL */
	enum logger_type type;
	int fd;                 /* file; syslog socket (-1: not connected) */
	char *ident;
	int facility;
	bool syslog_failed;     /* said once that syslog is unreachable */
};

/* A POSIX regex, or the negation of one: uWSGI configs write "lines not
 * containing X" as PCRE's ^((?!X).)*$, which POSIX cannot say. */
struct lre {
	regex_t re;
	bool negate;
};

struct route {
	struct lre re;
	struct logger *to;
};

struct encoder {
	struct log_encoder enc;
	char *use_for;          /* only for the logger of this name */
};

static struct {
	struct logger *loggers, *req_loggers;
	size_t nloggers, nreq;
	struct route *routes;
	size_t nroutes;
	struct lre *drains, *filters;
	size_t ndrains, nfilters;
	struct encoder *encoders;
	size_t nencoders;
	unsigned long long maxsize;
	const char *backupname;
	bool via_master;        /* request lines come through the master */
	int log_sock[2], req_sock[2];
	bool active, rotating;
} lm = { .log_sock = { -1, -1 }, .req_sock = { -1, -1 } };

static const struct { const char *name; int facility; } facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON }, { "daemon", LOG_DAEMON },
	{ "ftp", LOG_FTP }, { "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "security", LOG_AUTH }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

bool
logmaster_wanted(const struct config *cfg)
{
	return cfg->log_master || cfg->logger.n || cfg->log_route.n || cfg->log_maxsize || cfg->log_encoder.n ||
	    cfg->log_drain.n || cfg->log_filter.n ||
	    cfg->req_logger.n > 1 || (cfg->req_logger.n == 1 && strncmp(cfg->req_logger.v[0], "syslog", 6) == 0);
}

/* "[id ]type[:arg]", as uWSGI reads it: a first word of letters and
 * digits followed by a space is the logger's name. */
static int
parse_logger(struct origin o, const char *opt, const char *value, struct logger *lg, bool named_ok)
{
	const char *v = value;
	const char *sp = strchr(v, ' ');

	*lg = (struct logger){ .fd = -1, .facility = LOG_DAEMON };
	if (sp && named_ok) {
		bool id = sp > v;
		for (const char *p = v; p < sp; p++)
			id = id && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
		if (id) {
			lg->id = xstrndup(v, (size_t)(sp - v));
			v = sp + 1;
		}
	}
	const char *colon = strchr(v, ':');
	size_t tlen = colon ? (size_t)(colon - v) : strlen(v);
	const char *arg = colon && colon[1] ? colon + 1 : NULL;
	if (tlen == 4 && !strncmp(v, "file", 4)) {
		lg->type = LG_FILE;
		if (arg && !strncmp(arg, "logfile=", 8) && !strchr(arg, ','))
			arg += 8;
		if (!arg || strchr(arg, '=')) {
			config_error(o, "%s: file logger: expected file:PATH (or file:logfile=PATH)", opt);
			return -1;
		}
		lg->fd = log_file_open(arg, opt);
		return lg->fd < 0 ? -1 : 0;
	}
	if (tlen == 5 && !strncmp(v, "stdio", 5)) {
		lg->type = LG_STDIO;
		return 0;
	}
	if (tlen == 6 && !strncmp(v, "syslog", 6)) {
		lg->type = LG_SYSLOG;
		lg->ident = xstrdup(arg ? arg : "uwsgi");
		char *comma = strchr(lg->ident, ',');
		if (comma) {
			*comma++ = '\0';
			size_t i;
			for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
				if (!strcmp(comma, facilities[i].name))
					break;
			if (i == sizeof(facilities) / sizeof(facilities[0])) {
				config_error(o, "%s: unknown syslog facility '%s'", opt, comma);
				return -1;
			}
			lg->facility = facilities[i].facility;
		}
		return 0;
	}
	if (tlen == 7 && !strncmp(v, "systemd", 7)) {
		lg->type = LG_JOURNAL;
		return 0;
	}
	config_error(o, "%s: logger '%.*s' is not supported by Stockade (file:PATH, stdio, syslog[:ident[,facility]], systemd)",
	    opt, (int)tlen, v);
	return -1;
}

/* PCRE reads a '{' that does not open a {n}, {n,} or {n,m} quantifier as
 * a literal (`log-route = applogger {` routes JSON lines); POSIX does not:
 * escape those. */
static char *
pcre_braces(const char *re)
{
	struct strbuf sb;

	sb_init(&sb);
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			sb_add(&sb, p, 2);
			p++;
			continue;
		}
		if (*p == '{') {
			size_t d = strspn(p + 1, "0123456789");
			const char *q = p + 1 + d;
			if (*q == ',')
				q += 1 + strspn(q + 1, "0123456789");
			if (d == 0 || *q != '}')
				sb_addc(&sb, '\\');
		}
		sb_addc(&sb, *p);
	}
	return sb_detach(&sb);
}

static bool
lre_match(const struct lre *l, const char *text)
{
	return (regexec(&l->re, text, 0, NULL, 0) == 0) != l->negate;
}

static int
regex_compile(struct origin o, const char *opt, const char *pattern, struct lre *l)
{
	static const char neg_open[] = "^((?!", neg_close[] = ").)*$";
	size_t len = strlen(pattern), lo = sizeof(neg_open) - 1, lc = sizeof(neg_close) - 1;
	char *inner;

	l->negate = len > lo + lc && !strncmp(pattern, neg_open, lo) && !strcmp(pattern + len - lc, neg_close);
	inner = l->negate ? xstrndup(pattern + lo, len - lo - lc) : xstrdup(pattern);
	char *posix = pcre_braces(inner);
	regex_t *re = &l->re;
	int rc = regcomp(re, posix, REG_EXTENDED | REG_NOSUB);

	free(inner);
	free(posix);
	if (rc != 0) {
		char why[128];
		regerror(rc, re, why, sizeof(why));
		config_error(o, "%s: '%s' is not a POSIX extended regex (%s; uWSGI's PCRE extensions "
		    "such as lookahead are not supported)", opt, pattern, why);
		return -1;
	}
	return 0;
}

/* "KIND[:NAME] ARGS": an encoder for every line, or only for logger NAME */
static int
parse_encoder(struct origin o, const char *value, struct encoder *e)
{
	char err[256];
	size_t word = strcspn(value, " \t");
	const char *colon = memchr(value, ':', word);
	char *spec;

	e->use_for = NULL;
	if (colon) {
		e->use_for = xstrndup(colon + 1, word - (size_t)(colon + 1 - value));
		spec = xasprintf("%.*s%s", (int)(colon - value), value, value + word);
	} else {
		spec = xstrdup(value);
	}
	int rc = log_encoder_compile(&e->enc, spec, err, sizeof(err));
	free(spec);
	if (rc < 0) {
		/* the compiler names the request-line option */
		const char *why = strncmp(err, "log-req-encoder: ", 17) == 0 ? err + 17 : err;
		config_error(o, "log-encoder: %s", why);
		return -1;
	}
	return 0;
}

static int
parse_route(struct origin o, const char *value, struct route *r)
{
	const char *sp = strchr(value, ' ');

	if (!sp || sp == value || !sp[1]) {
		config_error(o, "log-route: expected NAME REGEX, got '%s'", value);
		return -1;
	}
	r->to = NULL;
	for (size_t i = 0; i < lm.nloggers; i++)
		if (lm.loggers[i].id && strlen(lm.loggers[i].id) == (size_t)(sp - value) &&
		    !strncmp(lm.loggers[i].id, value, (size_t)(sp - value)))
			r->to = &lm.loggers[i];
	if (!r->to) {
		config_error(o, "log-route: no logger named '%.*s' (logger = NAME TYPE)", (int)(sp - value), value);
		return -1;
	}
	return regex_compile(o, "log-route", sp + 1, &r->re);
}

/* logfile-chmod: three octal digits, as uWSGI */
static int
chmod_log(const struct config *cfg)
{
	const char *v = cfg->logfile_chmod;

	if (!v)
		return 0;
	if (strlen(v) != 3 || strspn(v, "01234567") != 3) {
		const struct origin *o = config_origin(cfg, "logfile-chmod");
		config_error(o ? *o : (struct origin){ "config", 0 }, "logfile-chmod: expected 3 octal digits, got '%s'", v);
		return -1;
	}
	if (log_file_size() >= 0 && fchmod(log_fd(), (mode_t)strtol(v, NULL, 8)) < 0) {
		log_errno("logfile-chmod");
		return -1;
	}
	return 0;
}

static int
chown_logs(const struct config *cfg)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (!cfg->logfile_chown)
		return 0;
	if ((cfg->uid && user_id(cfg->uid, &uid) < 0) || (cfg->gid && group_id(cfg->gid, &gid) < 0)) {
		log_msg("logfile-chown: unknown uid or gid");
		return -1;
	}
	if (fchown(log_fd(), uid, gid) < 0) {
		log_errno("logfile-chown");
		return -1;
	}
	for (size_t i = 0; i < lm.nloggers; i++)
		if (lm.loggers[i].type == LG_FILE && fchown(lm.loggers[i].fd, uid, gid) < 0) {
			log_errno("logfile-chown");
			return -1;
		}
	return 0;
}

int
logmaster_setup(const struct config *cfg)
{
	lm.maxsize = cfg->log_maxsize;
	lm.backupname = cfg->log_backupname;
	lm.loggers = xcalloc(cfg->logger.n + 1, sizeof(*lm.loggers));
	for (size_t i = 0; i < cfg->logger.n; i++, lm.nloggers++)
		if (parse_logger(cfg->logger.origin[i], "logger", cfg->logger.v[i], &lm.loggers[i], true) < 0)
			return -1;
	lm.routes = xcalloc(cfg->log_route.n + 1, sizeof(*lm.routes));
	for (size_t i = 0; i < cfg->log_route.n; i++, lm.nroutes++)
		if (parse_route(cfg->log_route.origin[i], cfg->log_route.v[i], &lm.routes[i]) < 0)
			return -1;
	lm.drains = xcalloc(cfg->log_drain.n + 1, sizeof(*lm.drains));
	for (size_t i = 0; i < cfg->log_drain.n; i++, lm.ndrains++)
		if (regex_compile(cfg->log_drain.origin[i], "log-drain", cfg->log_drain.v[i], &lm.drains[i]) < 0)
			return -1;
	lm.filters = xcalloc(cfg->log_filter.n + 1, sizeof(*lm.filters));
	for (size_t i = 0; i < cfg->log_filter.n; i++, lm.nfilters++)
		if (regex_compile(cfg->log_filter.origin[i], "log-filter", cfg->log_filter.v[i], &lm.filters[i]) < 0)
			return -1;
	lm.encoders = xcalloc(cfg->log_encoder.n + 1, sizeof(*lm.encoders));
	for (size_t i = 0; i < cfg->log_encoder.n; i++, lm.nencoders++)
		if (parse_encoder(cfg->log_encoder.origin[i], cfg->log_encoder.v[i], &lm.encoders[i]) < 0)
			return -1;
	lm.via_master = logmaster_wanted(cfg) && (cfg->req_logger.n > 1 ||
	    (cfg->req_logger.n == 1 && !strncmp(cfg->req_logger.v[0], "syslog", 6)));
	if (lm.via_master) {
		lm.req_loggers = xcalloc(cfg->req_logger.n + 1, sizeof(*lm.req_loggers));
		for (size_t i = 0; i < cfg->req_logger.n; i++, lm.nreq++)
			if (parse_logger(cfg->req_logger.origin[i], "req-logger", cfg->req_logger.v[i],
			    &lm.req_loggers[i], false) < 0)
				return -1;
	}
	return chmod_log(cfg) < 0 ? -1 : chown_logs(cfg);
}

/* ---- writing ---------------------------------------------------------------------- */

/* The local socket of a syslog or journal logger; tests name their own. */
static const char *
dgram_path(const struct logger *lg)
{
	bool journal = lg->type == LG_JOURNAL;
	const char *test = getenv(journal ? "STOCKADE_TEST_JOURNAL_SOCKET" : "STOCKADE_TEST_SYSLOG_SOCKET");

	if (test && *test)
		return test;
	return journal ? "/run/systemd/journal/socket" : "/dev/log";
}

/* Connected when the first line comes (inside the jail) and again after a
 * failed send (the daemon restarted); unreachable: said once, lines dropped. */
static bool
dgram_connect(struct logger *lg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (lg->fd >= 0)
		return true;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", dgram_path(lg));
	lg->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (lg->fd >= 0 && connect(lg->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(lg->fd);
		lg->fd = -1;
	}
	if (lg->fd < 0) {
		if (!lg->syslog_failed) {
			char err[256];
			int n = snprintf(err, sizeof(err), "%s logger: %s: %s (lines dropped)\n",
			    lg->type == LG_JOURNAL ? "systemd" : "syslog", dgram_path(lg), strerror(errno));
			log_raw_write(err, (unsigned long)n);
		}
		lg->syslog_failed = true;
		return false;
	}
	lg->syslog_failed = false;
	return true;
}

static void
dgram_send(struct logger *lg, const char *msg, int n, size_t cap)
{
	if (n < 0)
		return;
	if (send(lg->fd, msg, (size_t)n < cap ? (size_t)n : cap - 1, MSG_NOSIGNAL) < 0) {
		close(lg->fd);
		lg->fd = -1;
	}
}

/* RFC 3164 (syslog) or the journal's native KEY=value lines (systemd) */
static void
dgram_log(struct logger *lg, const char *line, size_t len)
{
	char msg[MSG_MAX + 128], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!dgram_connect(lg))
		return;
	if (lg->type == LG_JOURNAL) {
		dgram_send(lg, msg, snprintf(msg, sizeof(msg), "PRIORITY=%d\nMESSAGE=%.*s\n", LOG_INFO, (int)len, line),
		    sizeof(msg));
		return;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	dgram_send(lg, msg, snprintf(msg, sizeof(msg), "<%d>%s %s[%d]: %.*s", lg->facility | LOG_INFO, stamp,
	    lg->ident, (int)getpid(), (int)len, line), sizeof(msg));
}

static void
logger_emit(struct logger *lg, const char *line, size_t len)
{
	if (!lg) {
		log_raw_write(line, (unsigned long)len);
		return;
	}
	switch (lg->type) {
	case LG_FILE:
		if (write_full(lg->fd, line, len) < 0)
			(void)0;        /* a full disk: nothing better to do than go on */
		break;
	case LG_STDIO:
		log_raw_write(line, (unsigned long)len);
		break;
	case LG_SYSLOG:
	case LG_JOURNAL:
		dgram_log(lg, line, len);
		break;
	}
}

/* The encoder chain (log-encoder) for this logger (NULL: the log itself),
 * then the logger: a named encoder applies to its logger only. */
static void
logger_write(struct logger *lg, const char *line, size_t len)
{
	static char bufs[2][MSG_MAX + 4096];
	const char *msg = line;
	int cur = 0;

	for (size_t i = 0; i < lm.nencoders; i++) {
		const struct encoder *e = &lm.encoders[i];
		if (e->use_for && (!lg || !lg->id || strcmp(e->use_for, lg->id) != 0))
			continue;
		len = log_encoder_apply(&e->enc, msg, len, bufs[cur], sizeof(bufs[cur]));
		msg = bufs[cur];
		cur ^= 1;
	}
	logger_emit(lg, msg, len);
}

static bool
matches_any(const struct lre *res, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (lre_match(&res[i], text))
			return true;
	return false;
}

/* log-drain drops a matching line; with log-filter only matching lines
 * are kept; then log-route. true: the line is dealt with. */
static bool
route_line(const char *line, size_t len)
{
	static char buf[MSG_MAX];
	bool routed = false;

	if (!lm.nroutes && !lm.ndrains && !lm.nfilters)
		return false;
	size_t n = len && line[len - 1] == '\n' ? len - 1 : len;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (matches_any(lm.drains, lm.ndrains, buf) || (lm.nfilters && !matches_any(lm.filters, lm.nfilters, buf)))
		return true;
	for (size_t i = 0; i < lm.nroutes; i++)
		if (lre_match(&lm.routes[i].re, buf)) {
			logger_write(lm.routes[i].to, line, len);
			routed = true;
		}
	return routed;
}

static void
dispatch_line(const char *line, size_t len)
{
	bool unnamed = false;

	if (route_line(line, len))
		return;
	for (size_t i = 0; i < lm.nloggers; i++)
		if (!lm.loggers[i].id) {
			logger_write(&lm.loggers[i], line, len);
			unnamed = true;
		}
	if (!unnamed)
		logger_write(NULL, line, len);
}

/* The master's own lines and the children's, line by line. */
static void
dispatch(const char *buf, unsigned long len)
{
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) + 1 : len;
		dispatch_line(buf, n);
		buf += n;
		len -= n;
	}
	logmaster_check();
}

static void
dispatch_req(const char *buf, size_t len)
{
	for (size_t i = 0; i < lm.nreq; i++)
		logger_write(&lm.req_loggers[i], buf, len);
}

void
logmaster_check(void)
{
	if (!lm.active || !lm.maxsize || lm.rotating)
		return;
	long long size = log_file_size();
	if (size < 0 || (unsigned long long)size <= lm.maxsize)
		return;
	/* only the master writes the file: no line is cut or lost between
	 * the rename and the reopen */
	lm.rotating = true;
	if (log_rotate(lm.backupname) < 0) {
		/* said once, not at every line from now on */
		log_msg("log-maxsize: rotation failed, disabled until the next reload");
		lm.maxsize = 0;
	}
	lm.rotating = false;
}

static void
on_readable(struct event_loop *loop, int fd, void *data, int mask)
{
	static char buf[MSG_MAX];
	bool req = data != NULL;

	(void)loop;
	(void)mask;
	for (int i = 0; i < 256; i++) {     /* then let the loop breathe */
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		if (req)
			dispatch_req(buf, (size_t)n);
		else
			dispatch(buf, (unsigned long)n);
	}
}

void
logmaster_drain(void)
{
	if (!lm.active)
		return;
	on_readable(NULL, lm.log_sock[0], NULL, 0);
	if (lm.via_master)
		on_readable(NULL, lm.req_sock[0], (void *)1, 0);
}

static int
make_pair(int sv[2], struct event_loop *loop, bool req)
{
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_errno("log-master: socketpair");
		return -1;
	}
	int size = 1 << 20;
	/* room for bursts: a worker blocks on a full socket until the master reads */
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return event_add(loop, sv[0], EV_READ, on_readable, req ? (void *)1 : NULL);
}

int
logmaster_start(struct event_loop *loop)
{
	if (!logmaster_wanted(master.cfg))
		return 0;
	if (make_pair(lm.log_sock, loop, false) < 0 || (lm.via_master && make_pair(lm.req_sock, loop, true) < 0))
		return -1;
	lm.active = true;
	log_set_sink(dispatch);
	return 0;
}

void
logmaster_child(void)
{
	if (!lm.active)
		return;
	if (log_to_pipe(lm.log_sock[1], lm.via_master ? lm.req_sock[1] : -1) < 0)
		_exit(1);
	/* the child's own end keeps close-on-exec: an exec'ed daemon writes
	 * through fds 1 and 2 */
	close(lm.log_sock[0]);
	if (lm.via_master)
		close(lm.req_sock[0]);
}
