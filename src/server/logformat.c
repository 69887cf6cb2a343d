/* SPDX-License-Identifier: MIT */
/* The request log line: uWSGI's default, or a compiled `log-format`
 * (uWSGI core/logging.c: the same variable names, "-" for an empty value,
 * one line per request). */
#include "server/logformat.h"
#include "config/config.h"
#include "base/log.h"
#include "config/options.h"
#include "base/names.h"
#include "base/util.h"
#include "python/wsgi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum lf_op op;
} lf_names[] = {
	{ "uri", LF_URI }, { "method", LF_METHOD }, { "user", LF_USER }, { "addr", LF_ADDR },
	{ "host", LF_HOST }, { "proto", LF_PROTO }, { "uagent", LF_UAGENT }, { "referer", LF_REFERER },
	{ "status", LF_STATUS }, { "rsize", LF_RSIZE }, { "hsize", LF_HSIZE }, { "size", LF_SIZE },
	{ "cl", LF_CL }, { "micros", LF_MICROS }, { "msecs", LF_MSECS }, { "secs", LF_SECS },
	{ "tmsecs", LF_TMSECS }, { "tmicros", LF_TMICROS }, { "time", LF_TIME }, { "ltime", LF_LTIME },
	{ "ftime", LF_FTIME }, { "ctime", LF_CTIME }, { "epoch", LF_EPOCH }, { "pid", LF_PID },
	{ "wid", LF_WID }, { "switches", LF_SWITCHES }, { "vars", LF_VARS }, { "core", LF_CORE },
	{ "vsz", LF_VSZ }, { "rss", LF_RSS }, { "vszM", LF_VSZM }, { "rssM", LF_RSSM },
	{ "pktsize", LF_PKTSIZE }, { "modifier1", LF_MODIFIER1 }, { "modifier2", LF_MODIFIER2 },
	{ "headers", LF_HEADERS }, { "werr", LF_WERR }, { "rerr", LF_RERR }, { "ioerr", LF_IOERR },
};

#define NNAMES (sizeof(lf_names) / sizeof(lf_names[0]))

/* ---- compiling ------------------------------------------------------------------ */

static void
add_item(struct logformat *lf, size_t *cap, enum lf_op op, const char *text, size_t len)
{
	if (op == LF_TEXT && len == 0)
		return;
	if (op == LF_TEXT && lf->n > 0 && lf->items[lf->n - 1].op == LF_TEXT &&
	    lf->items[lf->n - 1].text + lf->items[lf->n - 1].len == text) {
		lf->items[lf->n - 1].len += len;   /* adjacent literals merge */
		return;
	}
	if (lf->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		lf->items = xrealloc(lf->items, *cap * sizeof(*lf->items));
	}
	lf->items[lf->n++] = (struct lf_item){ op, text, len };
}

/* "did you mean" for a mistyped variable: the closest name a few edits away
 * (none for a short name: an app's log variable, like %(x), is no typo) */
static const char *
suggest_variable(const char *name, size_t len)
{
	char buf[64];
	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return closest_name(buf, suggest_distance(buf), &lf_names[0].name, NNAMES, sizeof(lf_names[0]));
}

int
logformat_compile(struct logformat *lf, const char *fmt, char *err, size_t errlen)
{
	size_t cap = 0;
	memset(lf, 0, sizeof(*lf));
	lf->src = xstrdup(fmt);
	const char *p = lf->src, *lit = p;
	while (*p) {
		const char *close;
		if (p[0] != '%' || p[1] != '(' || !(close = strchr(p + 2, ')')) || close == p + 2) {
			p++;
			continue;
		}
		add_item(lf, &cap, LF_TEXT, lit, (size_t)(p - lit));
		const char *name = p + 2;
		size_t len = (size_t)(close - name);
		enum lf_op op = LF_TEXT;
		for (size_t i = 0; i < NNAMES; i++)
			if (strlen(lf_names[i].name) == len && memcmp(lf_names[i].name, name, len) == 0)
				op = lf_names[i].op;
		if (op == LF_TEXT && len > 4 && memcmp(name, "var.", 4) == 0) {
			op = LF_VAR;
			name += 4;
			len -= 4;
		}
		if (op == LF_TEXT) {
			const char *hint = suggest_variable(name, len);
			bool upper = len > 0 && name[0] >= 'A' && name[0] <= 'Z';
			if (hint)
				errbuf_set(err, errlen, "log-format: unknown variable %%(%.*s) (did you mean %%(%s)?)",
				         (int)len, name, hint);
			else if (upper)
				errbuf_set(err, errlen, "log-format: unknown variable %%(%.*s) (a request variable is %%(var.%.*s))",
				         (int)len, name, (int)len, name);
			else
				op = LF_LOGVAR;	/* issue 22: uwsgi.set_logvar() */
			if (op == LF_TEXT) {
				logformat_free(lf);
				return -1;
			}
		}
		add_item(lf, &cap, op, name, len);
		p = close + 1;
		lit = p;
	}
	add_item(lf, &cap, LF_TEXT, lit, (size_t)(p - lit));
	if (lf->n == 0) {   /* an empty format: empty lines (uWSGI), not the default line */
		lf->items = xcalloc(1, sizeof(*lf->items));
		lf->items[0] = (struct lf_item){ LF_TEXT, lf->src, 0 };
		lf->n = 1;
	}
	return 0;
}

void
logformat_free(struct logformat *lf)
{
	free(lf->items);
	free(lf->src);
	lf->items = NULL;
	lf->src = NULL;
	lf->n = 0;
}

/* ---- rendering ------------------------------------------------------------------ */

const struct kv *
logreq_var(const struct logreq *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->nvars; i++)
		if (r->vars[i].key_len == len && memcmp(r->vars[i].key, name, len) == 0)
			return &r->vars[i];
	return NULL;
}

static size_t
utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Control characters are escaped, valid UTF-8 is kept, and a byte that is
 * not valid UTF-8 becomes U+FFFD: every line parses as JSON. */
size_t
json_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)src[i];
		char esc[8];
		size_t el = 0, take = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, el = 2;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2), el = 2;
		} else if (c == '\r') {
			memcpy(esc, "\\r", 2), el = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2), el = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4], esc[5] = hex[c & 15], el = 6;
		} else if (c >= 0x80) {
			take = utf8_seq_len((const unsigned char *)src + i, len - i);
			if (take) {
				memcpy(esc, src + i, take), el = take;
			} else {
				memcpy(esc, "\\ufffd", 6), el = 6, take = 1;
			}
		} else {
			esc[0] = (char)c, el = 1;
		}
		if (o + el > cap)
			break;
		memcpy(dst + o, esc, el);
		o += el;
		i += take;
	}
	return o;
}

struct out {
	char *buf;
	size_t len, cap;    /* cap excludes the room kept for '\n' */
	bool json;
};

static void
put_raw(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A value from the request: a control byte (a newline from a uwsgi packet,
 * say) would forge or break lines, so it is written as \xNN, as nginx does.
 * HTTP requests cannot carry them (the parser refuses them). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Some byte of x is below 0x20 or is 0x7f (exact: the "hasless" trick for n <= 128). */
static bool
has_control(uint64_t x)
{
	uint64_t del = x ^ (ONES * 0x7f);
	return (((x - ONES * 0x20) & ~x) | ((del - ONES) & ~del)) & HIGHS;
}

static void
put_text(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0, i = 0;
	/* clean values are the rule: skip them eight bytes at a time */
	for (uint64_t x; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		if (has_control(x))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		put_raw(o, s + start, i - start);
		if (o->cap - o->len < 4)
			return;   /* an escape is never cut: the value ends here */
		char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
		put_raw(o, esc, 4);
		start = i + 1;
	}
	put_raw(o, s + start, n - start);
}

/* A variable's value: "-" when empty (as uWSGI), escaped in JSON mode. */
static void
put_val(struct out *o, const char *s, size_t n)
{
	if (n == 0) {
		put_raw(o, "-", 1);
		return;
	}
	if (o->json)
		o->len += json_escape(o->buf + o->len, o->cap - o->len, s, n);
	else
		put_text(o, s, n);
}

static void
put_u64(struct out *o, uint64_t v)
{
	char b[24];
	size_t i = sizeof(b);
	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put_raw(o, b + i, sizeof(b) - i);
}

static void
put_var(struct out *o, const struct logreq *r, const char *name, size_t len)
{
	const struct kv *v = logreq_var(r, name, len);
	put_val(o, v ? v->val : "", v ? v->val_len : 0);
}

/* An app's log variable: "-" when unset or empty, as uWSGI */
static void
put_logvar(struct out *o, const char *name, size_t len)
{
	size_t n = 0;
	const char *v = wsgi_logvar(name, len, &n);

	put_val(o, v ? v : "", v ? n : 0);
}

/* localtime + strftime is the costly part of a line: once per second.
 * (A worker serves one request at a time: the caches are not shared.) */
struct time_cache {
	time_t sec;
	const char *fmt;
	size_t len;
	char buf[64];
};

static void
put_time(struct out *o, struct time_cache *tc, time_t t, const char *fmt)
{
	if (tc->sec != t || tc->fmt != fmt || tc->len == 0) {
		struct tm tm;
		localtime_r(&t, &tm);
		tc->len = strftime(tc->buf, sizeof(tc->buf), fmt, &tm);
		tc->sec = t;
		tc->fmt = fmt;
	}
	put_val(o, tc->buf, tc->len);
}

#define CTIME_FMT "%a %b %e %H:%M:%S %Y"
#define LTIME_FMT "%d/%b/%Y:%H:%M:%S %z"

/* per thread: the serving threads of a worker format lines at once */
static __thread struct time_cache ctime_cache, ltime_cache, ftime_cache;

static void
render_item(struct out *o, const struct lf_item *it, const struct logreq *r, const struct logformat *lf)
{
	uint64_t start_us = (uint64_t)r->start.tv_sec * 1000000u + (uint64_t)r->start.tv_nsec / 1000u;
	switch (it->op) {
	case LF_TEXT: put_raw(o, it->text, it->len); break;
	case LF_URI: put_var(o, r, "REQUEST_URI", 11); break;
	case LF_METHOD: put_var(o, r, "REQUEST_METHOD", 14); break;
	case LF_USER: put_var(o, r, "REMOTE_USER", 11); break;
	case LF_ADDR: put_val(o, r->addr, r->addr_len); break;
	case LF_HOST: put_var(o, r, "HTTP_HOST", 9); break;
	case LF_PROTO: put_var(o, r, "SERVER_PROTOCOL", 15); break;
	case LF_UAGENT: put_var(o, r, "HTTP_USER_AGENT", 15); break;
	case LF_REFERER: put_var(o, r, "HTTP_REFERER", 12); break;
	case LF_VAR: put_var(o, r, it->text, it->len); break;
	case LF_LOGVAR: put_logvar(o, it->text, it->len); break;
	case LF_STATUS: put_u64(o, (uint64_t)(r->status > 0 ? r->status : 0)); break;
	case LF_RSIZE: put_u64(o, r->rsize); break;
	case LF_HSIZE: put_u64(o, r->hsize); break;
	case LF_SIZE: put_u64(o, r->rsize + r->hsize); break;
	case LF_CL: {
		uint64_t cl = r->cl;
		const struct kv *v = cl ? NULL : logreq_var(r, "CONTENT_LENGTH", 14);
		for (size_t i = 0; v && i < v->val_len && v->val[i] >= '0' && v->val[i] <= '9'; i++)
			cl = cl * 10 + (uint64_t)(v->val[i] - '0');
		put_u64(o, cl);
		break;
	}
	case LF_MICROS: put_u64(o, r->duration_us); break;
	case LF_MSECS: put_u64(o, r->duration_us / 1000); break;
	case LF_SECS: {
		char b[32];
		int n = snprintf(b, sizeof(b), "%.6f", (double)r->duration_us / 1e6);
		put_raw(o, b, n > 0 ? (size_t)n : 0);
		break;
	}
	case LF_TMSECS: put_u64(o, start_us / 1000); break;
	case LF_TMICROS: put_u64(o, start_us); break;
	case LF_TIME: put_u64(o, (uint64_t)r->start.tv_sec); break;
	case LF_LTIME: put_time(o, &ltime_cache, r->start.tv_sec, LTIME_FMT); break;
	case LF_FTIME:
		put_time(o, &ftime_cache, r->start.tv_sec, lf->ftime_fmt ? lf->ftime_fmt : LTIME_FMT);
		break;
	case LF_CTIME: put_time(o, &ctime_cache, r->start.tv_sec, CTIME_FMT); break;
	case LF_EPOCH: put_u64(o, (uint64_t)time(NULL)); break;
	case LF_PID: put_u64(o, (uint64_t)r->pid); break;
	case LF_WID: put_u64(o, (uint64_t)r->wid); break;
	case LF_SWITCHES: put_u64(o, 1); break;   /* one synchronous request: one switch, as uWSGI counts */
	case LF_VARS: put_u64(o, 2 * (uint64_t)r->nvars); break;   /* uWSGI counts keys and values */
	case LF_CORE: put_u64(o, (uint64_t)r->core); break;
	case LF_VSZ: put_u64(o, r->vsz); break;
	case LF_RSS: put_u64(o, r->rss); break;
	case LF_VSZM: put_u64(o, r->vsz >> 20); break;
	case LF_RSSM: put_u64(o, r->rss >> 20); break;
	case LF_PKTSIZE: put_u64(o, r->vars_bytes); break;
	case LF_MODIFIER1: put_u64(o, (uint64_t)r->modifier1); break;
	case LF_MODIFIER2: put_u64(o, (uint64_t)r->modifier2); break;
	case LF_HEADERS: put_u64(o, r->headers); break;
	case LF_WERR: put_u64(o, r->write_errors); break;
	case LF_RERR: put_u64(o, r->read_errors); break;
	case LF_IOERR: put_u64(o, (uint64_t)r->read_errors + r->write_errors); break;
	}
}

#define PUT_LIT(o, s) put_raw(o, s, sizeof(s) - 1)

static void
put_kv_val(struct out *o, const struct kv *v)
{
	if (v)
		put_text(o, v->val, v->val_len);
}

/* uWSGI's default line (core/logging.c uwsgi_logit_simple), built without
 * printf: this runs for every request. */
static void
render_default(struct out *o, const struct logreq *r, const struct logformat *lf)
{
	if (lf->memory_report) {
		PUT_LIT(o, "{address space usage: ");
		put_u64(o, r->vsz);
		PUT_LIT(o, " bytes/");
		put_u64(o, r->vsz >> 20);
		PUT_LIT(o, "MB} {rss usage: ");
		put_u64(o, r->rss);
		PUT_LIT(o, " bytes/");
		put_u64(o, r->rss >> 20);
		PUT_LIT(o, "MB} ");
	}
	PUT_LIT(o, "[pid: ");
	put_u64(o, (uint64_t)r->pid);
	PUT_LIT(o, "|app: 0|req: ");
	put_u64(o, r->app_requests);
	put_raw(o, "/", 1);
	put_u64(o, r->total_requests);
	PUT_LIT(o, "] ");
	put_text(o, r->addr, r->addr_len);
	PUT_LIT(o, " (");
	put_kv_val(o, logreq_var(r, "REMOTE_USER", 11));
	PUT_LIT(o, ") {");
	put_u64(o, 2 * (uint64_t)r->nvars);   /* uWSGI counts keys and values as "vars" */
	PUT_LIT(o, " vars in ");
	put_u64(o, r->vars_bytes);
	PUT_LIT(o, " bytes} [");
	put_time(o, &ctime_cache, r->start.tv_sec, CTIME_FMT);
	PUT_LIT(o, "] ");
	put_kv_val(o, logreq_var(r, "REQUEST_METHOD", 14));
	put_raw(o, " ", 1);
	put_kv_val(o, logreq_var(r, "REQUEST_URI", 11));
	PUT_LIT(o, " => generated ");
	put_u64(o, r->rsize);   /* the body only, as uWSGI */
	PUT_LIT(o, " bytes in ");
	put_u64(o, lf->micros ? r->duration_us : r->duration_us / 1000);
	if (lf->micros)
		PUT_LIT(o, " micros");
	else
		PUT_LIT(o, " msecs");
	if (r->via_sendfile)
		PUT_LIT(o, " via sendfile() (");
	else
		PUT_LIT(o, " (");
	put_kv_val(o, logreq_var(r, "SERVER_PROTOCOL", 15));
	put_raw(o, " ", 1);
	put_u64(o, (uint64_t)(r->status > 0 ? r->status : 0));
	PUT_LIT(o, ") ");
	put_u64(o, r->headers);
	PUT_LIT(o, " headers in ");
	put_u64(o, r->hsize);
	PUT_LIT(o, " bytes (1 switches on core ");
	put_u64(o, (uint64_t)r->core);
	PUT_LIT(o, ")");
}

size_t
logformat_render(const struct logformat *lf, const struct logreq *r, char *out, size_t cap)
{
	struct out o = { out, 0, cap - 1, lf->json };
	if (!lf->items) {
		o.json = false;
		render_default(&o, r, lf);
	} else {
		for (size_t i = 0; i < lf->n; i++)
			render_item(&o, &lf->items[i], r, lf);
	}
	out[o.len++] = '\n';
	return o.len;
}

/* ---- log-req-encoder -------------------------------------------------------------- */

static void
enc_add(struct log_encoder *e, size_t *cap, enum enc_op op, const char *text, size_t len)
{
	if (op == EO_TEXT && len == 0)
		return;
	if (e->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		e->items = xrealloc(e->items, *cap * sizeof(*e->items));
	}
	e->items[e->n++] = (struct enc_item){ op, text, len };
}

/* A template: literal text and ${name} chunks ("$" not followed by "{"
 * stays literal, as uWSGI). */
static int
enc_template(struct log_encoder *e, char *t, char *err, size_t errlen)
{
	size_t cap = 0;
	char *lit = t, *p = t;
	while (*p) {
		char *close;
		if (p[0] != '$' || p[1] != '{' || !(close = strchr(p + 2, '}'))) {
			p++;
			continue;
		}
		enc_add(e, &cap, EO_TEXT, lit, (size_t)(p - lit));
		char *name = p + 2;
		size_t len = (size_t)(close - name);
		static const struct { const char *n; enum enc_op op; } vars[] = {
			{ "msg", EO_MSG }, { "msgnl", EO_MSGNL }, { "unix", EO_UNIX },
			{ "micros", EO_MICROS }, { "millis", EO_MILLIS },
		};
		bool found = false;
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			if (strlen(vars[i].n) == len && memcmp(vars[i].n, name, len) == 0) {
				enc_add(e, &cap, vars[i].op, NULL, 0);
				found = true;
			}
		}
		if (!found && len > 9 && memcmp(name, "strftime:", 9) == 0) {
			*close = '\0';   /* the format, NUL-terminated in our copy */
			enc_add(e, &cap, EO_STRFTIME, name + 9, len - 9);
			found = true;
		}
		if (!found) {
			errbuf_set(err, errlen, "log-req-encoder: unknown variable ${%.*s} (known: msg msgnl unix micros millis strftime:FMT)",
			         (int)len, name);
			return -1;
		}
		p = close + 1;
		lit = p;
	}
	enc_add(e, &cap, EO_TEXT, lit, (size_t)(p - lit));
	return 0;
}

int
log_encoder_compile(struct log_encoder *e, const char *spec, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->src = xstrdup(spec);
	char *args = e->src + strcspn(e->src, " \t");
	size_t nlen = (size_t)(args - e->src);
	if (*args)
		*args++ = '\0';
	char *colon = memchr(e->src, ':', nlen);
	if (colon) {
		errbuf_set(err, errlen, "log-req-encoder: '%s': named loggers (%s) are not supported", spec, colon);
		goto fail;
	}
	static const struct { const char *n; enum enc_kind k; } kinds[] = {
		{ "prefix", ENC_PREFIX }, { "suffix", ENC_SUFFIX }, { "nl", ENC_NL },
		{ "format", ENC_FORMAT }, { "json", ENC_JSON },
	};
	size_t i;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].n, e->src) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		errbuf_set(err, errlen, "log-req-encoder: unknown encoder '%s' (prefix suffix nl format json)", e->src);
		goto fail;
	}
	e->kind = kinds[i].k;
	if (e->kind == ENC_FORMAT || e->kind == ENC_JSON) {
		if (enc_template(e, args, err, errlen) < 0)
			goto fail;
	} else if (e->kind != ENC_NL) {
		size_t cap = 0;
		enc_add(e, &cap, EO_TEXT, args, strlen(args));
	}
	return 0;
fail:
	log_encoder_free(e);
	return -1;
}

void
log_encoder_free(struct log_encoder *e)
{
	free(e->items);
	free(e->src);
	memset(e, 0, sizeof(*e));
}

size_t
log_encoder_apply(const struct log_encoder *e, const char *msg, size_t len, char *out, size_t cap)
{
	struct out o = { out, 0, cap, e->kind == ENC_JSON };
	struct timespec now;
	if (e->kind == ENC_SUFFIX || e->kind == ENC_NL)
		put_raw(&o, msg, len);
	if (e->kind == ENC_NL)
		put_raw(&o, "\n", 1);
	if (e->kind == ENC_PREFIX || e->kind == ENC_SUFFIX)
		for (size_t i = 0; i < e->n; i++)
			put_raw(&o, e->items[i].text, e->items[i].len);
	if (e->kind == ENC_PREFIX)
		put_raw(&o, msg, len);
	if (e->kind != ENC_FORMAT && e->kind != ENC_JSON)
		return o.len;
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < e->n; i++) {
		const struct enc_item *it = &e->items[i];
		size_t mlen = len;
		switch (it->op) {
		case EO_TEXT: put_raw(&o, it->text, it->len); break;
		case EO_MSG:
			if (mlen && msg[mlen - 1] == '\n')
				mlen--;
			/* fall through */
		case EO_MSGNL:
			if (o.json)
				o.len += json_escape(o.buf + o.len, o.cap - o.len, msg, mlen);
			else
				put_raw(&o, msg, mlen);
			break;
		case EO_UNIX: put_u64(&o, (uint64_t)now.tv_sec); break;
		case EO_MICROS: put_u64(&o, (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u); break;
		case EO_MILLIS: put_u64(&o, (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u); break;
		case EO_STRFTIME: {
			char b[128];
			struct tm tm;
			time_t t = now.tv_sec;
			localtime_r(&t, &tm);
			size_t n = strftime(b, sizeof(b), it->text, &tm);
			if (o.json)
				o.len += json_escape(o.buf + o.len, o.cap - o.len, b, n);
			else
				put_raw(&o, b, n);
			break;
		}
		}
	}
	return o.len;
}

/* ---- the request log of this instance ------------------------------------------------ */

/* log-format-json without log-format: these fields, one JSON object a line */
#define DEFAULT_JSON_FORMAT \
	"{\"time\":\"%(ltime)\",\"addr\":\"%(addr)\",\"method\":\"%(method)\",\"uri\":\"%(uri)\"," \
	"\"proto\":\"%(proto)\",\"status\":%(status),\"size\":%(size),\"micros\":%(micros)," \
	"\"host\":\"%(host)\",\"referer\":\"%(referer)\",\"uagent\":\"%(uagent)\",\"pid\":%(pid),\"wid\":%(wid)}"

#define LINE_MAX_BYTES 16384

static struct {
	struct logformat fmt;
	struct log_encoder *enc;
	size_t nenc;
	bool enabled, x_forwarded_for;
	bool zero, s4xx, s5xx, sendfile, ioerror;
	uint64_t slow_ms, big;
} reqlog;

const char *
reqlog_file(const struct config *cfg, char *err, size_t errlen)
{
	err[0] = '\0';
	if (cfg->req_logger.n == 0)
		return NULL;
	if (cfg->req_logger.n > 1)
		return NULL;   /* several: through the master (server/logmaster.c) */
	const char *v = cfg->req_logger.v[0];
	if (strncmp(v, "syslog", 6) == 0)
		return NULL;   /* through the master (server/logmaster.c) */
	if (strcmp(v, "stdio") == 0)
		return NULL;   /* with the other lines */
	if (strncmp(v, "file:", 5) == 0) {
		const char *path = v + 5;
		if (strncmp(path, "logfile=", 8) == 0 && !strchr(path, ','))
			path += 8;   /* uWSGI's key=value form */
		if (*path && !strchr(path, '='))
			return path;
	}
	errbuf_set(err, errlen, "req-logger: '%s': supported are file:PATH (or file:logfile=PATH), stdio and syslog[:ident[,facility]]", v);
	return NULL;
}

/* An error in an option's value, where it was given ("config" when the
 * value comes from elsewhere, log-format-json's default format say). */
static void
option_error(const struct config *cfg, const char *option, const char *msg)
{
	const struct origin *o = config_origin(cfg, option);

	config_error(o ? *o : (struct origin){ "config", 0 }, "%s", msg);
}

int
reqlog_setup(const struct config *cfg)
{
	char err[256];
	memset(&reqlog, 0, sizeof(reqlog));
	const char *fmt = cfg->log_format;
	if (!fmt && cfg->log_format_json)
		fmt = DEFAULT_JSON_FORMAT;
	if (fmt && logformat_compile(&reqlog.fmt, fmt, err, sizeof(err)) < 0) {
		option_error(cfg, cfg->log_format ? "log-format" : "log-format-json", err);
		return -1;
	}
	reqlog.fmt.json = cfg->log_format_json;
	reqlog.fmt.micros = cfg->log_micros;
	reqlog.fmt.memory_report = cfg->memory_report;
	/* uWSGI: %(ftime) takes log-date's strftime format with logformat-strftime */
	if (cfg->logformat_strftime && cfg->log_date && !log_date_is_flag(cfg->log_date))
		reqlog.fmt.ftime_fmt = cfg->log_date;
	reqlog.nenc = cfg->log_req_encoder.n;
	reqlog.enc = xcalloc(reqlog.nenc + 1, sizeof(*reqlog.enc));
	for (size_t i = 0; i < reqlog.nenc; i++) {
		if (log_encoder_compile(&reqlog.enc[i], cfg->log_req_encoder.v[i], err, sizeof(err)) < 0) {
			config_error(cfg->log_req_encoder.origin[i], "%s", err);
			return -1;
		}
	}
	if (reqlog_file(cfg, err, sizeof(err)) == NULL && err[0]) {
		option_error(cfg, "req-logger", err);
		return -1;
	}
	reqlog.enabled = !cfg->disable_logging;
	reqlog.x_forwarded_for = cfg->log_x_forwarded_for;
	reqlog.zero = cfg->log_zero;
	reqlog.s4xx = cfg->log_4xx;
	reqlog.s5xx = cfg->log_5xx;
	reqlog.sendfile = cfg->log_sendfile;
	reqlog.ioerror = cfg->log_ioerror;
	reqlog.slow_ms = cfg->log_slow;
	reqlog.big = cfg->log_big;
	return 0;
}

/* disable-logging silences every line except those a filter asks for (uWSGI) */
static bool
wanted(const struct logreq *r)
{
	if (reqlog.enabled)
		return true;
	uint64_t size = r->rsize + r->hsize;
	return (reqlog.zero && r->rsize == 0) || (reqlog.slow_ms && r->duration_us / 1000 >= reqlog.slow_ms) ||
	       (reqlog.s4xx && r->status >= 400 && r->status <= 499) ||
	       (reqlog.s5xx && r->status >= 500 && r->status <= 599) || (reqlog.big && size >= reqlog.big) ||
	       (reqlog.sendfile && r->via_sendfile) || (reqlog.ioerror && r->read_errors + r->write_errors > 0);
}

bool
reqlog_active(void)
{
	return reqlog.enabled || reqlog.zero || reqlog.s4xx || reqlog.s5xx || reqlog.sendfile || reqlog.ioerror || reqlog.slow_ms || reqlog.big;
}

/* per serving thread, on the heap: see conn.c's thread_bufs */
static __thread char (*line)[LINE_MAX_BYTES];

void
reqlog_thread_end(void)
{
	free(line);
	line = NULL;
}

void
reqlog_write(struct logreq *r)
{
	if (!wanted(r))
		return;
	if (!line)
		line = xmalloc(2 * sizeof(*line));
	if (reqlog.x_forwarded_for) {
		const struct kv *xff = logreq_var(r, "HTTP_X_FORWARDED_FOR", 20);
		if (xff) {
			r->addr = xff->val;
			r->addr_len = xff->val_len;
		}
	}
	size_t len = logformat_render(&reqlog.fmt, r, line[0], LINE_MAX_BYTES);
	int cur = 0;
	for (size_t i = 0; i < reqlog.nenc; i++) {
		len = log_encoder_apply(&reqlog.enc[i], line[cur], len, line[!cur], LINE_MAX_BYTES);
		cur = !cur;
	}
	log_write_request(line[cur], len);
}
