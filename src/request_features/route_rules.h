/* SPDX-License-Identifier: MIT */
/*
 * uWSGI internal routing rules (`route`, `route-uri`, `route-host`,
 * `route-if`, `route-run`, `route-label`...): the parsed form of one rule,
 * its parser (pure, fuzzed) and the executor run by the worker before
 * static files and the app. Rules are read-only once parsed, so threads
 * share them; all per-request state lives in struct route_ctx.
 */
#ifndef STOCKADE_REQUEST_FEATURES_ROUTE_RULES_H
#define STOCKADE_REQUEST_FEATURES_ROUTE_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto/request.h"

struct config;

enum route_subject {
	RS_PATH_INFO, RS_REQUEST_URI, RS_QUERY_STRING, RS_HTTP_HOST,
	RS_USER_AGENT, RS_REMOTE_ADDR, RS_IF, RS_IF_NOT, RS_RUN, RS_LABEL,
	RS_STATUS,      /* response-route-status: the app's status code */
};

enum route_cond {
	RC_NONE, RC_EQUAL, RC_STARTSWITH, RC_ENDSWITH, RC_REGEXP, RC_EMPTY,
	RC_ISFILE, RC_ISDIR, RC_CONTAINS,
};

enum route_action {
	RA_NONE, RA_CONTINUE, RA_BREAK, RA_RETURN, RA_GOTO, RA_LOG, RA_DONOTLOG,
	RA_ADDHEADER, RA_DELHEADER, RA_SETVAR, RA_REDIRECT_302, RA_REDIRECT_301,
	RA_REWRITE, RA_REWRITE_LAST, RA_STATIC, RA_SEND, RA_SEND_CRNL,
};

struct route_rule {
	enum route_subject subject;
	bool response;           /* a response-route* rule: run on the response head */
	int status;              /* RS_STATUS: the code */
	bool has_re;
	regex_t re;              /* the subject's regex (route, route-uri, ...) */
	enum route_cond cond;
	char *cond_a, *cond_b;   /* condition operands (interpolated per request) */
	regex_t cond_re;         /* RC_REGEXP: compiled cond_b */
	enum route_action action;
	char *arg;               /* action argument, NULL when none */
	char *label;             /* route-label / goto target */
	size_t target;           /* RA_GOTO: index of the label's rule */
};

/* Parses the value of option `opt` (route, route-uri, route-if...) into r.
 * On error fills err and returns -1; r then holds nothing to free. */
int route_rule_parse(const char *opt, const char *value, struct route_rule *r,
                     char *err, size_t errlen);
/* Reason phrase for a 3-digit status `return` knows, or NULL. */
const char *route_status_reason(const char *code);
void route_rule_free(struct route_rule *r);
/* Resolves goto targets (rules of one phase: request or response); -1
 * (with err and the bad rule's index) when a label is missing. */
int route_rules_link(struct route_rule *rules, size_t n, size_t *bad, char *err, size_t errlen);

/* ---- executor (server/routes.c) ---- */

#define ROUTES_PASS 1    /* go on to static files and the app */

struct route_hdr {
	char *name, *value;
};

struct route_ctx {
	struct request_io io;      /* what the app writes to (wraps inner) */
	struct request_io inner;
	struct kv *vars;           /* replaced variables, or NULL */
	size_t nvars;
	struct route_hdr *add;     /* addheader */
	size_t nadd;
	char **del;                /* delheader */
	size_t ndel;
	char **strings;            /* owned values referenced by vars */
	size_t nstrings;
	bool donotlog;
	/* response-route*: the request's final variables, and what the
	 * response rules decided */
	const struct kv *rv;
	size_t rn;
	bool req_headers;          /* addheader/delheader of route* apply */
	bool head_done;
	bool swallow;              /* a response rule replaced the app's response */
};

/* Parses every rule of cfg; errors name the option's file:line. 0 or -1. */
int routes_init(const struct config *cfg);
bool routes_enabled(void);
/* Runs the rules for one request. *v, *n and *io may be replaced (rewrite,
 * addheader, response-route*: *io then runs the response rules when the
 * head is sent). Returns 0 (the response was sent), -1 (connection broken)
 * or ROUTES_PASS. route_ctx_free() afterwards in every case. */
int routes_run(struct route_ctx *rx, const struct kv **v, size_t *n, struct request_io **io);
void route_ctx_free(struct route_ctx *rx);

#endif
