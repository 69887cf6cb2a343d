/* SPDX-License-Identifier: MIT */
/*
 * The executor of uWSGI internal routing rules, run by the worker for each
 * request before static files and the app (see route_rules.c for the
 * grammar, docs/routing.md for the semantics). The rule table is written
 * once at start-up and only read afterwards; every per-request value lives
 * in the caller's struct route_ctx, so threads need no locks.
 */
#include "request_features/route_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "config/config.h"
#include "server/conn_internal.h"
#include "server/static_files.h"

static struct route_rule *rules;
static size_t nrules;
static struct route_rule *rrules;       /* response-route* */
static size_t nrrules;

/* the last subject match: $0..$9 */
struct captures {
	char *subject;
	regmatch_t m[10];
	bool set;
};

static const char *const subject_vars[] = {
	[RS_PATH_INFO] = "PATH_INFO", [RS_REQUEST_URI] = "REQUEST_URI",
	[RS_QUERY_STRING] = "QUERY_STRING", [RS_HTTP_HOST] = "HTTP_HOST",
	[RS_USER_AGENT] = "HTTP_USER_AGENT", [RS_REMOTE_ADDR] = "REMOTE_ADDR",
};

static const char *
origin_file(const struct origin *o)
{
	return o->file ? o->file : "(command line)";
}

int
routes_init(const struct config *cfg)
{
	char err[512];
	const struct strlist *l = &cfg->route_rules;
	size_t *req_at = xcalloc(l->n + 1, sizeof(*req_at)), *resp_at = xcalloc(l->n + 1, sizeof(*resp_at));
	int rc = 0;

	/* one list in config order ("OPTION VALUE"), split into the request
	 * and the response phase; *_at map a rule back to its origin */
	rules = xcalloc(l->n + 1, sizeof(*rules));
	rrules = xcalloc(l->n + 1, sizeof(*rrules));
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		const char *v = l->v[i];
		size_t olen = strcspn(v, " ");
		char *opt = xstrndup(v, olen);
		bool resp = !strncmp(opt, "response-", 9);
		struct route_rule *r = resp ? &rrules[nrrules] : &rules[nrules];
		if (route_rule_parse(opt, v[olen] ? v + olen + 1 : "", r, err, sizeof(err)) < 0) {
			log_msg("%s:%d: %s: %s", origin_file(&l->origin[i]), l->origin[i].line, opt, err);
			rc = -1;
		} else if (resp) {
			resp_at[nrrules++] = i;
		} else {
			req_at[nrules++] = i;
		}
		free(opt);
	}
	size_t bad;
	if (rc == 0 && route_rules_link(rules, nrules, &bad, err, sizeof(err)) < 0) {
		log_msg("%s:%d: %s", origin_file(&l->origin[req_at[bad]]), l->origin[req_at[bad]].line, err);
		rc = -1;
	}
	if (rc == 0 && route_rules_link(rrules, nrrules, &bad, err, sizeof(err)) < 0) {
		log_msg("%s:%d: %s", origin_file(&l->origin[resp_at[bad]]), l->origin[resp_at[bad]].line, err);
		rc = -1;
	}
	free(req_at);
	free(resp_at);
	return rc;
}

bool
routes_enabled(void)
{
	return nrules > 0 || nrrules > 0;
}

static const struct kv *
var_find(const struct kv *v, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].key_len == len && !memcmp(v[i].key, name, len))
			return &v[i];
	return NULL;
}

/* "$1".."$9", "$0" (the subject's captures) and "${VAR}" (a request
 * variable, empty when missing) expanded into a new string. */
static char *
interpolate(const char *s, const struct kv *v, size_t n, const struct captures *cap)
{
	struct strbuf sb;

	sb_init(&sb);
	for (const char *p = s; *p; p++) {
		if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
			int k = p[1] - '0';
			if (cap->set && cap->m[k].rm_so >= 0)
				sb_add(&sb, cap->subject + cap->m[k].rm_so, (size_t)(cap->m[k].rm_eo - cap->m[k].rm_so));
			p++;
		} else if (p[0] == '$' && p[1] == '{' && strchr(p + 2, '}')) {
			const char *end = strchr(p + 2, '}');
			const struct kv *kv = var_find(v, n, p + 2, (size_t)(end - p - 2));
			if (kv)
				sb_add(&sb, kv->val, kv->val_len);
			p = end;
		} else {
			sb_addc(&sb, *p);
		}
	}
	return sb_detach(&sb);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Keeps s alive until route_ctx_free (vars point into it). */
static char *
own(struct route_ctx *rx, char *s)
{
	rx->strings = xrealloc(rx->strings, (rx->nstrings + 1) * sizeof(*rx->strings));
	rx->strings[rx->nstrings++] = s;
	return s;
}

/* Sets (or adds) a variable in the request's private copy of the list. */
static void
var_set(struct route_ctx *rx, const struct kv **v, size_t *n, const char *name, size_t nlen, char *value)
{
	if (!rx->vars) {
		rx->vars = xcalloc(*n + 8, sizeof(*rx->vars));
		memcpy(rx->vars, *v, *n * sizeof(**v));
		rx->nvars = *n;
	}
	own(rx, value);
	for (size_t i = 0; i < rx->nvars; i++) {
		if (rx->vars[i].key_len == nlen && !memcmp(rx->vars[i].key, name, nlen)) {
			rx->vars[i].val = value;
			rx->vars[i].val_len = strlen(value);
			*v = rx->vars;
			*n = rx->nvars;
			return;
		}
	}
	rx->vars = xrealloc(rx->vars, (rx->nvars + 1) * sizeof(*rx->vars));
	rx->vars[rx->nvars++] = (struct kv){ own(rx, xstrndup(name, nlen)), nlen, value, strlen(value) };
	*v = rx->vars;
	*n = rx->nvars;
}

static bool
cond_true(const struct route_rule *r, const struct kv *v, size_t n, struct captures *cap)
{
	char *a = interpolate(r->cond_a, v, n, cap);
	char *b = r->cond_b ? interpolate(r->cond_b, v, n, cap) : NULL;
	size_t al = strlen(a), bl = b ? strlen(b) : 0;
	struct stat st;
	bool t = false;

	switch (r->cond) {
	case RC_EQUAL: t = !strcmp(a, b); break;
	case RC_STARTSWITH: t = al >= bl && !memcmp(a, b, bl); break;
	case RC_ENDSWITH: t = al >= bl && !memcmp(a + al - bl, b, bl); break;
	case RC_CONTAINS: t = strstr(a, b) != NULL; break;
	case RC_REGEXP: {
		regmatch_t m[10];
		t = regexec(&r->cond_re, a, 10, m, 0) == 0;
		if (t) {   /* as uWSGI: the condition's captures become $1.. */
			free(cap->subject);
			cap->subject = a;
			memcpy(cap->m, m, sizeof(m));
			cap->set = true;
			a = NULL;
		}
		break;
	}
	case RC_EMPTY: t = al == 0; break;
	case RC_ISFILE: t = stat(a, &st) == 0 && S_ISREG(st.st_mode); break;
	case RC_ISDIR: t = stat(a, &st) == 0 && S_ISDIR(st.st_mode); break;
	case RC_NONE: break;
	}
	free(a);
	free(b);
	return r->subject == RS_IF_NOT ? !t : t;
}

static int response_rules(struct route_ctx *rx, const char *status, size_t status_len, struct kv **out, size_t *k,
                          size_t *cap);

/* The app's headers minus delheader, plus addheader; then the
 * response-route* rules, which may change them or replace the response. */
static int
wrapped_head(void *ctx, const char *status, size_t status_len, const struct kv *h, size_t nh, int64_t clen)
{
	struct route_ctx *rx = ctx;
	size_t cap = nh + rx->nadd + 8;
	struct kv *out = xcalloc(cap, sizeof(*out));
	size_t k = 0;

	for (size_t i = 0; i < nh; i++) {
		bool drop = false;
		for (size_t d = 0; rx->req_headers && d < rx->ndel && !drop; d++)
			drop = strlen(rx->del[d]) == h[i].key_len && !strncasecmp(rx->del[d], h[i].key, h[i].key_len);
		if (!drop)
			out[k++] = h[i];
	}
	for (size_t i = 0; rx->req_headers && i < rx->nadd; i++)
		out[k++] = (struct kv){ rx->add[i].name, strlen(rx->add[i].name), rx->add[i].value, strlen(rx->add[i].value) };
	int rc = ROUTES_PASS;
	if (nrrules && !rx->head_done) {
		rx->head_done = true;
		rc = response_rules(rx, status, status_len, &out, &k, &cap);
	}
	if (rc == ROUTES_PASS)
		rc = rx->inner.send_head(rx->inner.ctx, status, status_len, out, k, clen);
	free(out);
	return rc;
}

/* After a response rule replaced the response, the app's body goes
 * nowhere (as uWSGI's ignore_body). */
static int
wrapped_body(void *ctx, const char *data, size_t len)
{
	struct route_ctx *rx = ctx;
	return rx->swallow ? 0 : rx->inner.send_body(rx->inner.ctx, data, len);
}

static ssize_t
wrapped_read(void *ctx, char *buf, size_t n)
{
	struct route_ctx *rx = ctx;
	return rx->inner.read_body(rx->inner.ctx, buf, n);
}

static int
wrapped_file(void *ctx, int fd, off_t off, int64_t count)
{
	struct route_ctx *rx = ctx;
	return rx->swallow ? 0 : rx->inner.send_file(rx->inner.ctx, fd, off, count);
}

static void
header_add(struct route_ctx *rx, char *line)
{
	char *colon = strchr(line, ':');
	if (!colon) {
		free(line);
		return;
	}
	*colon = '\0';
	char *val = colon + 1;
	val += strspn(val, " \t");
	rx->add = xrealloc(rx->add, (rx->nadd + 1) * sizeof(*rx->add));
	rx->add[rx->nadd].name = line;
	rx->add[rx->nadd++].value = val;
}

static int
respond(struct request_io *io, const char *status, const struct kv *h, size_t nh, const char *body)
{
	size_t blen = body ? strlen(body) : 0;
	if (io->send_head(io->ctx, status, strlen(status), h, nh, (int64_t)blen) < 0)
		return -1;
	if (blen && io->send_body(io->ctx, body, blen) < 0)
		return -1;
	return 0;
}

/* The static action: one file, by its (interpolated) path. */
static int
serve_file(struct request_io *io, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		const struct kv h[] = { { "Content-Type", 12, "text/plain", 10 } };
		return respond(io, "404 Not Found", h, 1, "Not Found");
	}
	const char *mime = static_mime_type(path);
	if (!mime)
		mime = "application/octet-stream";
	const struct kv h[] = { { "Content-Type", 12, mime, strlen(mime) } };
	int rc = io->send_head(io->ctx, "200 OK", 6, h, 1, (int64_t)st.st_size);
	if (rc == 0 && st.st_size > 0)
		rc = io->send_file(io->ctx, fd, 0, (int64_t)st.st_size);
	close(fd);
	return rc;
}

/* uWSGI's rewrite: the new PATH_INFO (up to a '?', percent-decoded) and,
 * after a '?', a query string placed before the original one. */
static void
rewrite(struct route_ctx *rx, const struct kv **v, size_t *n, const char *to)
{
	const char *q = strchr(to, '?');
	size_t plen = q ? (size_t)(q - to) : strlen(to);
	char *path = xmalloc(plen + 1);
	size_t k = 0;
	for (size_t i = 0; i < plen; i++) {
		int hi, lo;
		if (to[i] == '%' && i + 2 < plen && (hi = hexval(to[i + 1])) >= 0 && (lo = hexval(to[i + 2])) >= 0) {
			path[k++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			path[k++] = to[i];
		}
	}
	path[k] = '\0';
	var_set(rx, v, n, "PATH_INFO", 9, path);
	if (q) {
		const struct kv *old = var_find(*v, *n, "QUERY_STRING", 12);
		char *qs = old && old->val_len ? xasprintf("%s&%.*s", q + 1, (int)old->val_len, old->val) : xstrdup(q + 1);
		var_set(rx, v, n, "QUERY_STRING", 12, qs);
	}
}

/* send/send-crnl: raw bytes to the client, ahead of any response head (as
 * uWSGI: nothing frames them), so the connection is not kept alive after
 * this request. */
static void
send_raw(const char *s, bool crnl)
{
	request.keep_alive = false;
	if (s && *s)
		out_add(s, strlen(s));
	if (crnl)
		out_add("\r\n", 2);
}

/* Whether rule r applies to this request (status: the response's code in
 * the response phase); a subject regex's captures become $0..$9. */
static bool
rule_matches(const struct route_rule *r, const struct kv *v, size_t n, int status, struct captures *cap)
{
	switch (r->subject) {
	case RS_LABEL:
		return false;
	case RS_RUN:
		return true;
	case RS_IF:
	case RS_IF_NOT:
		return cond_true(r, v, n, cap);
	case RS_STATUS:
		return status == r->status;
	default:
		break;
	}
	const char *name = subject_vars[r->subject];
	const struct kv *kv = var_find(v, n, name, strlen(name));
	char *subj = kv ? xstrndup(kv->val, kv->val_len) : xstrdup("");
	regmatch_t m[10];
	if (regexec(&r->re, subj, 10, m, 0) != 0) {
		free(subj);
		return false;
	}
	free(cap->subject);
	cap->subject = subj;
	memcpy(cap->m, m, sizeof(m));
	cap->set = true;
	return true;
}

/* break (no status: the connection is closed without a response),
 * break:NNN [reason] (that status, no body) or return:NNN (the reason as
 * body): the response a rule sends instead of the app's. */
static int
answer_instead(struct request_io *io, enum route_action a, const char *arg)
{
	if (a == RA_BREAK && !arg)
		return -1;
	if (a == RA_BREAK) {
		const struct kv h[] = { { "Content-Type", 12, "text/plain", 10 }, { "Connection", 10, "close", 5 } };
		return respond(io, arg, h, 2, NULL);
	}
	const char *reason = route_status_reason(arg);
	char *status = xasprintf("%s %s", arg, reason);
	const struct kv h[] = { { "Content-Type", 12, "text/plain", 10 } };
	int rc = respond(io, status, h, 1, reason);
	free(status);
	return rc;
}

static int
response_rules(struct route_ctx *rx, const char *status, size_t status_len, struct kv **out, size_t *k, size_t *cap)
{
	struct captures caps = { 0 };
	int code = status_len >= 3 ? (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0') : 0;
	int ret = ROUTES_PASS;

	for (size_t i = 0; i < nrrules && ret == ROUTES_PASS; i++) {
		const struct route_rule *r = &rrules[i];
		if (!rule_matches(r, rx->rv, rx->rn, code, &caps))
			continue;
		char *arg = r->arg ? interpolate(r->arg, rx->rv, rx->rn, &caps) : NULL;
		char *colon;
		switch (r->action) {
		case RA_CONTINUE:
			i = nrrules;
			break;
		case RA_GOTO:
			i = r->target;
			break;
		case RA_LOG:
			log_msg("%s", arg);
			break;
		case RA_DONOTLOG:
			rx->donotlog = true;
			break;
		case RA_ADDHEADER: {
			if (!(colon = strchr(arg, ':')))
				break;
			if (*k == *cap) {
				*cap *= 2;
				*out = xrealloc(*out, *cap * sizeof(**out));
			}
			own(rx, arg);   /* the head is written after this returns */
			*colon = '\0';
			const char *val = colon + 1 + strspn(colon + 1, " \t");
			(*out)[(*k)++] = (struct kv){ arg, strlen(arg), val, strlen(val) };
			arg = NULL;
			break;
		}
		case RA_DELHEADER:
			for (size_t j = 0; j < *k;)
				if ((*out)[j].key_len == strlen(arg) && !strncasecmp((*out)[j].key, arg, (*out)[j].key_len))
					(*out)[j] = (*out)[--(*k)];
				else
					j++;
			break;
		case RA_BREAK:
		case RA_RETURN:
			rx->swallow = true;
			ret = answer_instead(&rx->inner, r->action, arg);
			break;
		default:        /* refused by the parser */
			break;
		}
		free(arg);
	}
	free(caps.subject);
	return ret;
}

int
routes_run(struct route_ctx *rx, const struct kv **v, size_t *n, struct request_io **io)
{
	struct captures cap = { 0 };
	int ret = ROUTES_PASS;

	memset(rx, 0, sizeof(*rx));
	rx->inner = **io;
	rx->io = (struct request_io){ rx, wrapped_read, wrapped_head, wrapped_body, wrapped_file, rx->inner.fd };
	/* a response a rule makes goes through the response rules too */
	struct request_io *answer = nrrules ? &rx->io : &rx->inner;
	for (size_t i = 0; i < nrules; i++) {
		const struct route_rule *r = &rules[i];
		if (!rule_matches(r, *v, *n, 0, &cap))
			continue;
		char *arg = r->arg ? interpolate(r->arg, *v, *n, &cap) : NULL;
		rx->rv = *v;
		rx->rn = *n;
		switch (r->action) {
		case RA_NONE:
		case RA_CONTINUE:
			goto out;
		case RA_BREAK:
		case RA_RETURN:
			ret = answer_instead(answer, r->action, arg);
			goto out;
		case RA_REDIRECT_301:
		case RA_REDIRECT_302: {
			const struct kv h[] = { { "Location", 8, arg, strlen(arg) } };
			ret = respond(answer, r->action == RA_REDIRECT_301 ? "301 Moved Permanently" : "302 Found",
			    h, 1, NULL);
			goto out;
		}
		case RA_STATIC:
			ret = serve_file(answer, arg);
			goto out;
		case RA_GOTO:
			i = r->target;
			break;
		case RA_LOG:
			log_msg("%s", arg);
			break;
		case RA_DONOTLOG:
			rx->donotlog = true;
			break;
		case RA_ADDHEADER:
			header_add(rx, arg);
			arg = NULL;
			break;
		case RA_DELHEADER:
			rx->del = xrealloc(rx->del, (rx->ndel + 1) * sizeof(*rx->del));
			rx->del[rx->ndel++] = arg;
			arg = NULL;
			break;
		case RA_SETVAR: {
			char *eq = strchr(arg, '=');
			if (eq)
				var_set(rx, v, n, arg, (size_t)(eq - arg), xstrdup(eq + 1));
			break;
		}
		case RA_SEND:
		case RA_SEND_CRNL:
			send_raw(arg, r->action == RA_SEND_CRNL);
			break;
		case RA_REWRITE:
		case RA_REWRITE_LAST:
			rewrite(rx, v, n, arg);
			if (r->action == RA_REWRITE_LAST)
				goto out;
			break;
		}
		free(arg);
		continue;
out:
		free(arg);
		break;
	}
	free(cap.subject);
	rx->rv = *v;
	rx->rn = *n;
	if (ret == ROUTES_PASS && (rx->nadd || rx->ndel || nrrules)) {
		rx->req_headers = true;
		*io = &rx->io;
	}
	return ret;
}

void
route_ctx_free(struct route_ctx *rx)
{
	for (size_t i = 0; i < rx->nstrings; i++)
		free(rx->strings[i]);
	free(rx->strings);
	free(rx->vars);
	for (size_t i = 0; i < rx->nadd; i++)
		free(rx->add[i].name);
	free(rx->add);
	for (size_t i = 0; i < rx->ndel; i++)
		free(rx->del[i]);
	free(rx->del);
	memset(rx, 0, sizeof(*rx));
}
