/* SPDX-License-Identifier: MIT */
/*
 * The request log line: uWSGI's default line, or a `log-format` compiled
 * once (at start-up) into a list of ops and rendered per request into a
 * caller's buffer: no parsing and no allocation on the request path.
 */
#ifndef STOCKADE_LOGFORMAT_H
#define STOCKADE_LOGFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/request.h"

/* What one finished request gives the log. */
struct logreq {
	const struct kv *vars;      /* the request variables (CGI names) */
	size_t nvars;
	size_t vars_bytes;          /* uWSGI's packet size: sum of key+value+4 */
	const char *addr;           /* peer address (REMOTE_ADDR) */
	size_t addr_len;
	int status;
	uint64_t rsize;             /* response body bytes sent */
	uint64_t hsize;             /* response head bytes */
	size_t headers;             /* response header count */
	uint64_t cl;                /* request body bytes (CONTENT_LENGTH) */
	struct timespec start;      /* wall clock at the start of the request */
	uint64_t duration_us;
	int pid, wid;
	int core;                   /* the worker's thread that served it (0 without threads) */
	unsigned long app_requests, total_requests;  /* default line: req: a/b */
	int modifier1, modifier2;
	uint64_t rss, vsz;          /* bytes, as last measured by the master */
	unsigned read_errors, write_errors;
	bool via_sendfile;
};

enum lf_op {
	LF_TEXT,
	/* request variables */
	LF_URI, LF_METHOD, LF_USER, LF_ADDR, LF_HOST, LF_PROTO, LF_UAGENT, LF_REFERER,
	LF_VAR,                     /* var.NAME: any request variable */
	LF_LOGVAR,                  /* issue 22: NAME set by uwsgi.set_logvar() */
	/* computed */
	LF_STATUS, LF_RSIZE, LF_HSIZE, LF_SIZE, LF_CL,
	LF_MICROS, LF_MSECS, LF_SECS, LF_TMSECS, LF_TMICROS,
	LF_TIME, LF_LTIME, LF_FTIME, LF_CTIME, LF_EPOCH,
	LF_PID, LF_WID, LF_SWITCHES, LF_VARS, LF_CORE,
	LF_VSZ, LF_RSS, LF_VSZM, LF_RSSM, LF_PKTSIZE,
	LF_MODIFIER1, LF_MODIFIER2, LF_HEADERS, LF_WERR, LF_RERR, LF_IOERR,
};

struct lf_item {
	enum lf_op op;
	const char *text;           /* LF_TEXT: literal; LF_VAR: variable name */
	size_t len;
};

struct logformat {
	struct lf_item *items;      /* NULL: uWSGI's default line */
	size_t n;
	char *src;                  /* the format (items point into it) */
	bool json;                  /* JSON-escape every variable's value */
	bool micros;                /* default line: time in micros (log-micros) */
	bool memory_report;         /* default line: starts with the memory (memory-report) */
	const char *ftime_fmt;      /* strftime for %(ftime); NULL: as ltime */
};

/* Compiles fmt (uWSGI's %(name) syntax) into *lf, options off (set json,
 * micros, ftime_fmt after). 0, or -1 with a one-line reason
 * in err (a name close to a known one, or in capitals, is an error, see
 * docs/migration.md; any other unknown name is an app-defined log variable). */
int logformat_compile(struct logformat *lf, const char *fmt, char *err, size_t errlen);
void logformat_free(struct logformat *lf);

/* Renders one line, '\n' included, into out (values that do not fit are
 * cut, the newline always fits; cap >= 2). Returns its length. */
size_t logformat_render(const struct logformat *lf, const struct logreq *r, char *out, size_t cap);

/* A `log-req-encoder` (uWSGI's encoder chain applied to each request line):
 * "prefix TEXT", "suffix TEXT", "nl", "format TEMPLATE", "json TEMPLATE";
 * a template has ${msg} (the line without its newline), ${msgnl}, ${unix},
 * ${micros}, ${millis}, ${strftime:FMT}; json escapes msg/msgnl/strftime. */
enum enc_kind { ENC_PREFIX, ENC_SUFFIX, ENC_NL, ENC_FORMAT, ENC_JSON };
enum enc_op { EO_TEXT, EO_MSG, EO_MSGNL, EO_UNIX, EO_MICROS, EO_MILLIS, EO_STRFTIME };

struct enc_item {
	enum enc_op op;
	const char *text;           /* EO_TEXT: literal; EO_STRFTIME: NUL-terminated format */
	size_t len;
};

struct log_encoder {
	enum enc_kind kind;
	struct enc_item *items;
	size_t n;
	char *src;
};

int log_encoder_compile(struct log_encoder *e, const char *spec, char *err, size_t errlen);
void log_encoder_free(struct log_encoder *e);
/* msg → out (cut to cap). Returns the length written. */
size_t log_encoder_apply(const struct log_encoder *e, const char *msg, size_t len, char *out, size_t cap);

struct config;
/* The request log of this instance, from the config (log-format, filters,
 * encoders, x-forwarded-for). 0, or -1 after a file:line error. */
int reqlog_setup(const struct config *cfg);
/* The req-logger file (file:PATH), or NULL: with the other lines; NULL
 * with a reason in err when the value is not supported. */
const char *reqlog_file(const struct config *cfg, char *err, size_t errlen);
/* false: no request can be logged (disable-logging and no filter). */
bool reqlog_active(void);
/* Filters, renders and writes one request line (one write). */
/* A serving thread ends (threads): its line buffer goes. */
void reqlog_thread_end(void);
void reqlog_write(struct logreq *r);

/* A request variable by name, or NULL. */
const struct kv *logreq_var(const struct logreq *r, const char *name, size_t len);

/* JSON string escaping of src into dst (no quotes added); returns the bytes
 * written, never more than cap, and never a cut escape sequence. */
size_t json_escape(char *dst, size_t cap, const char *src, size_t len);

#endif
