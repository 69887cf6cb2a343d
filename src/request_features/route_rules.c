/* SPDX-License-Identifier: MIT */
/*
 * The parser of uWSGI internal routing rules: "REGEX ACTION[:ARG]" for
 * route/route-uri/route-host/..., "COND:A[;B] ACTION[:ARG]" for
 * route-if/route-if-not, "ACTION[:ARG]" for route-run and "NAME" for
 * route-label; the response-route* family takes the same forms (plus
 * "NNN ACTION" for response-route-status) and only the actions that make
 * sense once the app has answered. Pure (no I/O, no globals): fuzzed by
 * tests/fuzz/fuzz_route.c.
 */
#include "request_features/route_rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const struct {
	const char *name;
	enum route_subject subject;
} subjects[] = {
	{ "route", RS_PATH_INFO }, { "route-uri", RS_REQUEST_URI },
	{ "route-qs", RS_QUERY_STRING }, { "route-host", RS_HTTP_HOST },
	{ "route-user-agent", RS_USER_AGENT }, { "route-remote-addr", RS_REMOTE_ADDR },
	{ "route-if", RS_IF }, { "route-if-not", RS_IF_NOT },
	{ "route-run", RS_RUN }, { "route-label", RS_LABEL },
	{ "response-route", RS_PATH_INFO }, { "response-route-uri", RS_REQUEST_URI },
	{ "response-route-qs", RS_QUERY_STRING }, { "response-route-host", RS_HTTP_HOST },
	{ "response-route-user-agent", RS_USER_AGENT }, { "response-route-remote-addr", RS_REMOTE_ADDR },
	{ "response-route-if", RS_IF }, { "response-route-if-not", RS_IF_NOT },
	{ "response-route-run", RS_RUN }, { "response-route-label", RS_LABEL },
	{ "response-route-status", RS_STATUS },
};

/* what a response rule may do: the head is not sent yet, the app has run */
static bool
response_action(enum route_action a)
{
	switch (a) {
	case RA_CONTINUE: case RA_BREAK: case RA_RETURN: case RA_GOTO: case RA_LOG:
	case RA_DONOTLOG: case RA_ADDHEADER: case RA_DELHEADER:
		return true;
	default:
		return false;
	}
}

static const struct {
	const char *name;
	enum route_cond cond;
	int nargs;
} conds[] = {
	{ "equal", RC_EQUAL, 2 }, { "isequal", RC_EQUAL, 2 }, { "eq", RC_EQUAL, 2 },
	{ "==", RC_EQUAL, 2 }, { "startswith", RC_STARTSWITH, 2 },
	{ "endswith", RC_ENDSWITH, 2 }, { "regexp", RC_REGEXP, 2 }, { "re", RC_REGEXP, 2 },
	{ "empty", RC_EMPTY, 1 }, { "isfile", RC_ISFILE, 1 }, { "isdir", RC_ISDIR, 1 },
	{ "contains", RC_CONTAINS, 2 }, { "contain", RC_CONTAINS, 2 },
};

/* arg: 0 none allowed, 1 required, 2 optional */
static const struct {
	const char *name;
	enum route_action action;
	int arg;
} actions[] = {
	{ "continue", RA_CONTINUE, 0 }, { "last", RA_CONTINUE, 0 },
	{ "break", RA_BREAK, 2 }, { "return", RA_RETURN, 1 },
	{ "break-with-status", RA_RETURN, 1 }, { "goto", RA_GOTO, 1 },
	{ "log", RA_LOG, 1 }, { "donotlog", RA_DONOTLOG, 0 },
	{ "addheader", RA_ADDHEADER, 1 }, { "delheader", RA_DELHEADER, 1 },
	{ "remheader", RA_DELHEADER, 1 }, { "setvar", RA_SETVAR, 1 },
	{ "addvar", RA_SETVAR, 1 },
	{ "redirect", RA_REDIRECT_302, 1 }, { "redirect-302", RA_REDIRECT_302, 1 },
	{ "redirect-301", RA_REDIRECT_301, 1 }, { "rewrite", RA_REWRITE, 1 },
	{ "rewrite-last", RA_REWRITE_LAST, 1 }, { "static", RA_STATIC, 1 },
	{ "send", RA_SEND, 2 }, { "send-crnl", RA_SEND_CRNL, 2 },
};

static const struct {
	const char *code, *reason;
} reasons[] = {
	{ "200", "OK" }, { "201", "Created" }, { "202", "Accepted" }, { "204", "No Content" },
	{ "301", "Moved Permanently" }, { "302", "Found" }, { "303", "See Other" },
	{ "304", "Not Modified" }, { "307", "Temporary Redirect" }, { "308", "Permanent Redirect" },
	{ "400", "Bad Request" }, { "401", "Unauthorized" }, { "403", "Forbidden" },
	{ "404", "Not Found" }, { "405", "Method Not Allowed" }, { "406", "Not Acceptable" },
	{ "408", "Request Timeout" }, { "409", "Conflict" }, { "410", "Gone" },
	{ "413", "Payload Too Large" }, { "429", "Too Many Requests" },
	{ "500", "Internal Server Error" }, { "501", "Not Implemented" }, { "502", "Bad Gateway" },
	{ "503", "Service Unavailable" }, { "504", "Gateway Timeout" },
};

const char *
route_status_reason(const char *code)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (!strcmp(reasons[i].code, code))
			return reasons[i].reason;
	return NULL;
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* POSIX extended regex via regcomp. PCRE syntax POSIX would read with
 * another meaning (\d, lookaround) is refused rather than silently
 * matching something else. */
static int
compile_re(const char *pattern, regex_t *re, char *err, size_t errlen)
{
	for (const char *p = pattern; *p; p++) {
		if (*p == '[') {   /* a bracket expression: its ']' may come first */
			const char *q = p + 1 + (p[1] == '^');
			q += *q == ']';
			q = strchr(q, ']');
			if (!q)
				break;   /* regcomp says why */
			p = q;
		} else if (*p == '\\' && p[1]) {
			if (strchr("dDhHvVzZAQEK", p[1]))
				return fail(err, errlen, "'%s': \\%c is PCRE syntax; Stockade uses POSIX extended regexes", pattern, p[1]);
			p++;
		} else if (*p == '(' && p[1] == '?') {
			return fail(err, errlen, "'%s': (? groups are PCRE syntax; Stockade uses POSIX extended regexes", pattern);
		} else if (strchr("*+?}", *p) && p[1] && strchr("*+?{", p[1]) && p != pattern) {
			/* PCRE's lazy/possessive quantifiers (*? ++); stacked
			 * quantifiers also make glibc's regcomp blow up */
			return fail(err, errlen, "'%s': '%c%c' (a lazy, possessive or stacked quantifier) is PCRE syntax; "
			    "Stockade uses POSIX extended regexes", pattern, p[0], p[1]);
		}
	}
	int rc = regcomp(re, pattern, REG_EXTENDED);
	if (rc != 0) {
		char why[128];
		regerror(rc, re, why, sizeof(why));
		regfree(re);
		return fail(err, errlen, "'%s' is not a POSIX extended regex (%s)", pattern, why);
	}
	return 0;
}

static int
parse_action(const char *s, struct route_rule *r, char *err, size_t errlen)
{
	size_t nlen = strcspn(s, ":");
	const char *arg = s[nlen] == ':' ? s + nlen + 1 : NULL;

	if (nlen == 0)
		return fail(err, errlen, "missing action");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strlen(actions[i].name) != nlen || strncmp(actions[i].name, s, nlen))
			continue;
		if (actions[i].arg == 0 && arg && *arg)
			return fail(err, errlen, "action '%s' takes no argument", actions[i].name);
		if (actions[i].arg == 1 && (!arg || !*arg))
			return fail(err, errlen, "action '%s' needs an argument (%s:...)", actions[i].name, actions[i].name);
		r->action = actions[i].action;
		r->arg = arg && *arg ? xstrdup(arg) : NULL;
		if (r->action == RA_RETURN && (strlen(arg) != 3 || strspn(arg, "0123456789") != 3 || arg[0] < '1' || arg[0] > '5'))
			goto bad_status;
		if (r->action == RA_BREAK && arg && *arg && (strspn(arg, "0123456789") != 3 || arg[0] < '1' || arg[0] > '5' ||
		    (arg[3] != '\0' && arg[3] != ' ')))
			goto bad_status;
		if (r->action == RA_ADDHEADER && !strchr(arg, ':'))
			goto bad_header;
		if (r->action == RA_SETVAR && !strchr(arg, '=')) {
			free(r->arg);
			r->arg = NULL;
			return fail(err, errlen, "setvar needs NAME=VALUE, not '%s'", arg);
		}
		if (r->action == RA_RETURN && !route_status_reason(arg))
			goto bad_status;
		if (r->action == RA_GOTO)
			r->label = xstrdup(arg);
		return 0;
bad_status:
		free(r->arg);
		r->arg = NULL;
		return fail(err, errlen, "%s: '%s' is not an HTTP status (3 digits%s)", actions[i].name, arg,
		    r->action == RA_BREAK ? ", optionally followed by a reason" : "");
bad_header:
		free(r->arg);
		r->arg = NULL;
		return fail(err, errlen, "addheader needs 'Name: value', not '%s'", arg);
	}
	return fail(err, errlen, "unknown routing action '%.*s' (see docs/routing.md)", (int)nlen, s);
}

static int
parse_cond(const char *s, size_t len, struct route_rule *r, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len);
	size_t nlen = colon ? (size_t)(colon - s) : len;

	if (!colon)
		return fail(err, errlen, "condition '%.*s' needs COND:ARGS", (int)len, s);
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		if (strlen(conds[i].name) != nlen || strncmp(conds[i].name, s, nlen))
			continue;
		char *args = xstrndup(colon + 1, len - nlen - 1);
		char *semi = strchr(args, ';');
		if (conds[i].nargs == 2 && !semi) {
			fail(err, errlen, "condition '%s' needs two arguments separated by ';'", conds[i].name);
			free(args);
			return -1;
		}
		r->cond = conds[i].cond;
		if (conds[i].nargs == 2) {
			*semi = '\0';
			r->cond_b = xstrdup(semi + 1);
		}
		r->cond_a = args;
		if (r->cond == RC_REGEXP && compile_re(r->cond_b, &r->cond_re, err, errlen) < 0) {
			free(r->cond_a);
			free(r->cond_b);
			r->cond_a = r->cond_b = NULL;
			r->cond = RC_NONE;
			return -1;
		}
		return 0;
	}
	return fail(err, errlen, "unknown routing condition '%.*s'", (int)nlen, s);
}

static int
check_phase(const char *opt, struct route_rule *r, char *err, size_t errlen)
{
	if (!r->response || response_action(r->action))
		return 0;
	route_rule_free(r);
	return fail(err, errlen, "%s: this action cannot run once the app has answered (response rules: addheader, "
	    "delheader, log, donotlog, continue, last, goto, break, return)", opt);
}

int
route_rule_parse(const char *opt, const char *value, struct route_rule *r, char *err, size_t errlen)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		if (!strcmp(subjects[i].name, opt))
			break;
	if (i == sizeof(subjects) / sizeof(subjects[0]))
		return fail(err, errlen, "'%s' is not a routing option", opt);
	r->subject = subjects[i].subject;
	r->response = !strncmp(opt, "response-", 9);
	value += strspn(value, " \t");
	if (!*value)
		return fail(err, errlen, "%s: empty rule", opt);
	if (r->subject == RS_LABEL) {
		r->label = xstrdup(value);
		return 0;
	}
	if (r->subject == RS_RUN)
		return parse_action(value, r, err, errlen) < 0 ? -1 : check_phase(opt, r, err, errlen);
	size_t len = strcspn(value, " \t");
	const char *rest = value + len;
	rest += strspn(rest, " \t");
	if (!*rest)
		return fail(err, errlen, "'%s' has no action (%s = %s ACTION)", value, opt,
		    r->subject == RS_IF || r->subject == RS_IF_NOT ? "COND:ARGS" : "REGEX");
	if (r->subject == RS_IF || r->subject == RS_IF_NOT) {
		if (parse_cond(value, len, r, err, errlen) < 0)
			return -1;
	} else if (r->subject == RS_STATUS) {
		if (len != 3 || strspn(value, "0123456789") < 3 || value[0] < '1' || value[0] > '5')
			return fail(err, errlen, "'%.*s' is not an HTTP status code", (int)len, value);
		r->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
	} else {
		char *pat = xstrndup(value, len);
		int rc = compile_re(pat, &r->re, err, errlen);
		free(pat);
		if (rc < 0)
			return -1;
		r->has_re = true;
	}
	if (parse_action(rest, r, err, errlen) < 0) {
		route_rule_free(r);
		return -1;
	}
	return check_phase(opt, r, err, errlen);
}

void
route_rule_free(struct route_rule *r)
{
	if (r->has_re)
		regfree(&r->re);
	if (r->cond == RC_REGEXP)
		regfree(&r->cond_re);
	free(r->cond_a);
	free(r->cond_b);
	free(r->arg);
	free(r->label);
	memset(r, 0, sizeof(*r));
}

int
route_rules_link(struct route_rule *rules, size_t n, size_t *bad, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (rules[i].action != RA_GOTO)
			continue;
		size_t j;
		for (j = 0; j < n; j++)
			if (rules[j].subject == RS_LABEL && rules[j].response == rules[i].response &&
			    !strcmp(rules[j].label, rules[i].label))
				break;
		if (j == n) {
			*bad = i;
			return fail(err, errlen, "goto: no %s '%s'", rules[i].response ? "response-route-label" : "route-label",
			    rules[i].label);
		}
		rules[i].target = j;
	}
	return 0;
}
