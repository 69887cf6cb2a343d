/* SPDX-License-Identifier: MIT */
/* Reading configuration: the loader, feeding entries, immediate options,
 * environment and command line sources, value passes and validation. */
#include "config/config.h"
#include "config/config_values.h"
#include "config/config_handlers.h"
#include "config/uwsgi_names.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_INCLUDE_DEPTH 32
/* Nested loops multiply: a few lines could otherwise expand to millions. */
#define MAX_REPLAYED_LINES 100000

/* ---- small shared helpers ------------------------------------------------ */

struct interned {
	struct interned *next;
	char s[];
};
static struct interned *interned_strings;

const char *
intern(const char *s)
{
	for (struct interned *i = interned_strings; i; i = i->next)
		if (strcmp(i->s, s) == 0)
			return i->s;
	size_t n = strlen(s);
	struct interned *i = xmalloc(sizeof(*i) + n + 1);
	memcpy(i->s, s, n + 1);
	i->next = interned_strings;
	interned_strings = i;
	return i->s;
}

void
config_error(struct origin o, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o.file && o.line > 0)
		log_msg("%s:%d: %s", o.file, o.line, msg);
	else if (o.file)
		log_msg("%s: %s", o.file, msg);
	else
		log_msg("%s", msg);
}

void
loader_init(struct loader *L)
{
	memset(L, 0, sizeof(*L));
	const char *r = getenv("UWSGI_RELOADS");
	unsigned long long v;
	if (r && parse_uint(r, 1000000000ULL, &v)) {
		L->is_reload = true;
		L->reloads = (unsigned long)v + 1;
	}
}

void
loader_free(struct loader *L)
{
	for (size_t i = 0; i < L->list.n; i++) {
		free(L->list.v[i].key);
		free(L->list.v[i].value);
	}
	free(L->list.v);
	free(L->last_ini);
	free(L->first_file);
	memset(L, 0, sizeof(*L));
}

struct config_entry *
config_append(struct loader *L, const struct option_def *opt,
                                   const char *key, const char *value, struct origin o)
{
	struct config_list *l = &L->list;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	struct config_entry *e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->opt = opt;
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	e->origin = o;
	return e;
}

static bool
entry_has_key(const struct config_entry *e, const char *key)
{
	if (strcmp(e->key, key) == 0)
		return true;
	return e->opt && option_find(key) == e->opt;
}

struct config_entry *
config_lookup(struct loader *L, const char *key, bool last)
{
	struct config_entry *found = NULL;
	for (size_t i = 0; i < L->list.n; i++) {
		struct config_entry *e = &L->list.v[i];
		if (e->opt && (e->opt->flags & OPT_IMMEDIATE))
			continue;
		if (entry_has_key(e, key)) {
			found = e;
			if (!last)
				break;
		}
	}
	return found;
}

/* ---- feeding: logic blocks are collected, then evaluated ----------------- */

struct body_line {
	char *key;
	char *value;
	struct origin o;
	const struct option_def *opt;
};

struct feed_ctx {
	struct loader *L;
	int depth;                      /* > 0 while collecting a block */
	const struct option_def *opener;
	char *opener_arg;
	struct origin opener_origin;
	bool opener_no_expand;
	struct body_line *body;
	size_t nbody, cap;
	ssize_t else_at;
};

struct feed_ctx *
feed_begin(struct loader *L)
{
	struct feed_ctx *fc = xcalloc(1, sizeof(*fc));
	fc->L = L;
	fc->else_at = -1;
	return fc;
}

static void
feed_reset_block(struct feed_ctx *fc)
{
	for (size_t i = 0; i < fc->nbody; i++) {
		free(fc->body[i].key);
		free(fc->body[i].value);
	}
	free(fc->body);
	free(fc->opener_arg);
	fc->body = NULL;
	fc->nbody = fc->cap = 0;
	fc->opener_arg = NULL;
	fc->opener = NULL;
	fc->depth = 0;
	fc->else_at = -1;
}

int
feed_finish(struct feed_ctx *fc, int rc)
{
	int out = rc < 0 ? -1 : 0;
	/* after an error, the open block is not reported again */
	if (rc >= 0 && fc->depth > 0) {
		config_error(fc->opener_origin, "unterminated '%s' block (no matching end)",
		             fc->opener->name);
		out = -1;
	}
	feed_reset_block(fc);
	free(fc);
	return out;
}

static void
body_push(struct feed_ctx *fc, const char *key, const char *value,
                      struct origin o, const struct option_def *opt)
{
	if (fc->nbody == fc->cap) {
		fc->cap = fc->cap ? fc->cap * 2 : 16;
		fc->body = xrealloc(fc->body, fc->cap * sizeof(*fc->body));
	}
	fc->body[fc->nbody++] = (struct body_line){ xstrdup(key), xstrdup(value), o, opt };
}

/* Replaces every "%(_)" in s with ctx. */
static char *
subst_context(const char *s, const char *ctx)
{
	struct strbuf sb;
	sb_init(&sb);
	const char *p;
	while ((p = strstr(s, "%(_)")) != NULL) {
		sb_add(&sb, s, (size_t)(p - s));
		sb_adds(&sb, ctx);
		s = p + 4;
	}
	sb_adds(&sb, s);
	return sb_detach(&sb);
}

static bool
is_loop(const struct option_def *opt)
{
	long kind = opt->cond & COND_KIND_MASK;
	return kind >= LOOP_WORDS && kind <= LOOP_READLINE;
}

/* Feeds body[from..to) into a fresh context; %(_) at this block's own level
 * (not inside nested blocks) becomes ctx. */
static int
replay(struct feed_ctx *fc, size_t from, size_t to, const char *ctx, bool no_expand)
{
	struct feed_ctx *sub = feed_begin(fc->L);
	int level = 0, rc = 0;
	for (size_t i = from; i < to && rc == 0; i++) {
		struct body_line *b = &fc->body[i];
		if (++fc->L->replayed > MAX_REPLAYED_LINES) {
			config_error(b->o, "config logic produced more than %d lines (runaway loop?)",
			             MAX_REPLAYED_LINES);
			rc = -1;
			break;
		}
		bool closer = b->opt && (b->opt->flags & OPT_CLOSER);
		if (closer)
			level--;
		char *v = (ctx && level == 0) ? subst_context(b->value, ctx) : xstrdup(b->value);
		rc = feed(sub, b->key, v, b->o, no_expand);
		free(v);
		if (b->opt && (b->opt->flags & OPT_OPENER))
			level++;
	}
	return feed_finish(sub, rc);
}

static int
run_block(struct feed_ctx *fc)
{
	char **items = NULL;
	size_t nitems = 0;
	int rc = 0;
	if (fc->L->depth >= MAX_INCLUDE_DEPTH) {
		config_error(fc->opener_origin, "config logic nested too deeply");
		return -1;
	}
	if (logic_evaluate(fc->L, fc->opener, fc->opener_arg, fc->opener_origin, &items, &nitems) < 0)
		return -1;
	size_t then_end = fc->else_at >= 0 ? (size_t)fc->else_at : fc->nbody;
	fc->L->depth++;
	if (is_loop(fc->opener)) {
		for (size_t i = 0; i < nitems && rc == 0; i++)
			rc = replay(fc, 0, fc->nbody, items[i], fc->opener_no_expand);
	} else if (nitems > 0) {
		rc = replay(fc, 0, then_end, items[0], fc->opener_no_expand);
	} else if (fc->else_at >= 0) {
		rc = replay(fc, then_end, fc->nbody, NULL, fc->opener_no_expand);
	}
	fc->L->depth--;
	for (size_t i = 0; i < nitems; i++)
		free(items[i]);
	free(items);
	return rc;
}

/* Values of immediate options and logic arguments see the environment and
 * the placeholders known so far (so `include = %(base)/x.ini` and
 * `if-exists = $(ROOT)/dev` work); uWSGI takes both raw. */
static char *
expand_immediate(struct loader *L, const char *v, struct origin o)
{
	char *a = NULL, *b = NULL;
	if (expand_env(v, &a) < 0)
		return NULL;
	if (expand_placeholders(L, a, &b, o, 0) < 0) {
		free(a);
		return NULL;
	}
	free(a);
	return b;
}

int
feed(struct feed_ctx *fc, const char *key, const char *value, struct origin o, bool no_expand)
{
	const struct option_def *opt = option_find(key);
	unsigned flags = opt ? opt->flags : 0;

	if (fc->depth > 0) {
		if (flags & OPT_OPENER) {
			fc->depth++;
		} else if (flags & OPT_CLOSER) {
			if (--fc->depth == 0) {
				int rc = run_block(fc);
				feed_reset_block(fc);
				return rc;
			}
		} else if ((flags & OPT_ELSE) && fc->depth == 1) {
			if (is_loop(fc->opener)) {
				config_error(o, "'else' inside a '%s' loop", fc->opener->name);
				return -1;
			}
			if (fc->else_at >= 0) {
				config_error(o, "second 'else' in the same block");
				return -1;
			}
			fc->else_at = (ssize_t)fc->nbody;
			return 0;
		}
		body_push(fc, key, value, o, opt);
		return 0;
	}
	if (flags & OPT_OPENER) {
		char *arg = no_expand ? xstrdup(value) : expand_immediate(fc->L, value, o);
		if (!arg)
			return -1;
		fc->depth = 1;
		fc->opener = opt;
		fc->opener_arg = arg;
		fc->opener_origin = o;
		fc->opener_no_expand = no_expand;
		return 0;
	}
	if (flags & (OPT_CLOSER | OPT_ELSE)) {
		config_error(o, "'%s' without an open block", key);
		return -1;
	}
	if (opt && opt->arg == ARG_REQUIRED && !(flags & OPT_IMMEDIATE) && *value == '\0') {
		config_error(o, "option '%s' needs a value", opt->name);
		return -1;
	}
	struct config_entry *e = config_append(fc->L, opt, key, value, o);
	e->no_expand = no_expand;
	if (!(flags & OPT_IMMEDIATE))
		return 0;
	if (opt->arg == ARG_REQUIRED && *value == '\0') {
		config_error(o, "option '%s' needs a value", opt->name);
		return -1;
	}
	/* the entry may move when the list grows: hand a copy to the handler */
	struct config_entry copy = *e;
	char *expanded = NULL;
	if (!no_expand) {
		expanded = expand_immediate(fc->L, value, o);
		if (!expanded)
			return -1;
		copy.value = expanded;
	}
	int rc = opt->immediate(fc->L, &copy);
	free(expanded);
	return rc;
}

/* ---- immediate options -------------------------------------------------- */

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Strips an optional ":section" for the extension test. */
static bool
spec_has_ext(const char *spec, const char *ext)
{
	char *copy = xstrdup(spec);
	char *colon = strrchr(copy, ':');
	char *slash = strrchr(copy, '/');
	if (colon && (!slash || colon > slash))
		*colon = '\0';
	bool r = has_suffix(copy, ext);
	free(copy);
	return r;
}

int
config_load_file(struct loader *L, const char *spec, struct origin from, bool no_expand)
{
	if (spec_has_ext(spec, ".ini"))
		return config_load_ini(L, spec, from, no_expand);
	if (spec_has_ext(spec, ".json") || spec_has_ext(spec, ".js"))
		return config_load_json(L, spec, from, no_expand);
	config_error(from, "unable to load configuration from '%s' (unknown extension: use .ini or .json)", spec);
	return -1;
}

int
h_ini(struct loader *L, const struct config_entry *e)
{
	return config_load_ini(L, e->value, e->origin, false);
}

int
h_json(struct loader *L, const struct config_entry *e)
{
	return config_load_json(L, e->value, e->origin, false);
}

int
h_include(struct loader *L, const struct config_entry *e)
{
	return config_load_file(L, e->value, e->origin, false);
}

int
h_inherit(struct loader *L, const struct config_entry *e)
{
	return config_load_file(L, e->value, e->origin, true);
}

static int
split_kv(const struct config_entry *e, char **k, char **v)
{
	const char *eq = strchr(e->value, '=');
	if (!eq || eq == e->value) {
		config_error(e->origin, "'%s' needs key=value, got '%s'", e->opt->name, e->value);
		return -1;
	}
	*k = xstrndup(e->value, (size_t)(eq - e->value));
	*v = xstrdup(eq + 1);
	return 0;
}

int
h_set(struct loader *L, const struct config_entry *e)
{
	char *k, *v;
	if (split_kv(e, &k, &v) < 0)
		return -1;
	const struct option_def *opt = option_find(k);
	int rc = 0;
	if (opt && (opt->flags & (OPT_IMMEDIATE | OPT_LOGIC))) {
		config_error(e->origin, "'set' cannot set '%s' (it is read immediately)", k);
		rc = -1;
	} else {
		config_append(L, opt, k, v, e->origin);
	}
	free(k);
	free(v);
	return rc;
}

int
h_set_placeholder(struct loader *L, const struct config_entry *e)
{
	char *k, *v;
	if (split_kv(e, &k, &v) < 0)
		return -1;
	int rc = 0;
	if (option_find(k)) {
		config_error(e->origin, "'%s' is an option, not a placeholder name", k);
		rc = -1;
	} else {
		config_append(L, NULL, k, v, e->origin)->explicit_placeholder = true;
	}
	free(k);
	free(v);
	return rc;
}

int
h_strict(struct loader *L, const struct config_entry *e)
{
	bool b;
	struct value_note note;
	if (value_read_bool(e->value, &b, &note) < 0) {
		config_error(e->origin, "option 'strict': %s", note.text);
		return -1;
	}
	L->strict = b;
	return 0;
}

int
h_print(struct loader *L, const struct config_entry *e)
{
	(void)L;
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, e->value);
	sb_addc(&sb, '\n');
	fflush(stdout);
	if (write_full(1, sb.buf, sb.len) < 0) { /* nothing useful to do */ }
	sb_free(&sb);
	return 0;
}

int
h_exit(struct loader *L, const struct config_entry *e)
{
	unsigned long long code = 1;
	if (*e->value && !parse_uint(e->value, 255, &code)) {
		config_error(e->origin, "option 'exit': '%s' is not an exit status (0-255)", e->value);
		return -1;
	}
	L->exit_requested = true;
	L->exit_code = (int)code;
	return -1;  /* stops reading; the caller sees exit_requested */
}

int
h_logic(struct loader *L, const struct config_entry *e)
{
	(void)L;
	(void)e;
	return 0;
}

/* ---- environment and command line -------------------------------------- */

static const char *const reserved_env[] = {
	"RELOADS", "VASSALS_DIR", "EMPEROR_FD", "EMPEROR_FD_CONFIG", "EMPEROR_PROXY",
	"BROODLORD_NUM", "JAIL_PID", "ORIGINAL_PROC_NAME", "SOCKETS",
};

int
config_read_env(struct loader *L, char **envp)
{
	struct feed_ctx *fc = feed_begin(L);
	int rc = 0;
	for (char **ep = envp; ep && *ep && rc == 0; ep++) {
		const char *s = *ep;
		size_t plen;
		if (strncmp(s, "UWSGI_", 6) == 0)
			plen = 6;
		else if (strncmp(s, "STOCKADE_", 9) == 0)
			plen = 9;
		else
			continue;
		const char *eq = strchr(s, '=');
		if (!eq || eq == s + plen)
			continue;
		char *name = xstrndup(s + plen, (size_t)(eq - s - plen));
		bool skip = false;
		for (size_t i = 0; i < sizeof(reserved_env) / sizeof(reserved_env[0]); i++)
			if (strcmp(name, reserved_env[i]) == 0)
				skip = true;
		if (!skip) {
			for (char *p = name; *p; p++)
				*p = *p == '_' ? '-' : (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
			char *label = xasprintf("environment %.*s", (int)(eq - s), s);
			struct origin o = { intern(label), 0 };
			free(label);
			size_t before = L->list.n;
			rc = feed(fc, name, eq + 1, o, false);
			for (size_t i = before; i < L->list.n; i++)
				L->list.v[i].from_env = true;
		}
		free(name);
	}
	return feed_finish(fc, rc);
}

static void
unknown_cli_option(struct origin o, const char *dashes, const char *name)
{
	const char *s = option_suggest(name);
	if (s)
		config_error(o, "unknown option %s%s (did you mean --%s?)", dashes, name, s);
	else
		config_error(o, "unknown option %s%s (see --help)", dashes, name);
}

static int
cli_long(struct feed_ctx *fc, int argc, char **argv, int *i, struct origin o)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	char *name = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
	const struct option_def *opt = option_find(name);
	const char *value = eq ? eq + 1 : NULL;
	int rc = -1;
	if (!opt) {
		if (uwsgi_refuse_option(o, name) == 0)
			unknown_cli_option(o, "--", name);
		goto out;
	}
	if (!value && opt->arg == ARG_REQUIRED) {
		if (*i + 1 >= argc) {
			config_error(o, "option --%s requires an argument", name);
			goto out;
		}
		value = argv[++*i];
	}
	if (value && opt->arg == ARG_NONE && opt->type != T_BOOL) {
		config_error(o, "option --%s does not take an argument", name);
		goto out;
	}
	rc = feed(fc, name, value ? value : (opt->type == T_BOOL ? "true" : ""), o, false);
out:
	free(name);
	return rc;
}

static int
cli_short(struct feed_ctx *fc, int argc, char **argv, int *i, struct origin o)
{
	const char *p = argv[*i] + 1;
	while (*p) {
		const struct option_def *opt = option_find_short(*p);
		if (!opt) {
			char n[2] = { *p, 0 };
			config_error(o, "unknown option -%s (see --help)", n);
			return -1;
		}
		if (opt->arg == ARG_NONE) {
			if (feed(fc, opt->name, opt->type == T_BOOL ? "true" : "", o, false) < 0)
				return -1;
			p++;
			continue;
		}
		const char *value = p[1] ? p + 1 : NULL;
		if (!value && opt->arg == ARG_REQUIRED) {
			if (*i + 1 >= argc) {
				config_error(o, "option -%c requires an argument", *p);
				return -1;
			}
			value = argv[++*i];
		}
		return feed(fc, opt->name, value ? value : "", o, false);
	}
	return 0;
}

int
config_read_argv(struct loader *L, int argc, char **argv)
{
	struct feed_ctx *fc = feed_begin(L);
	bool only_files = false;
	int rc = 0;
	for (int i = 1; i < argc && rc == 0; i++) {
		const char *a = argv[i];
		struct origin o = { "command line", 0 };
		if (!only_files && strcmp(a, "--") == 0) {
			only_files = true;
		} else if (!only_files && a[0] == '-' && a[1] == '-') {
			rc = cli_long(fc, argc, argv, &i, o);
		} else if (!only_files && a[0] == '-' && a[1]) {
			rc = cli_short(fc, argc, argv, &i, o);
		} else {
			rc = config_load_file(L, a, o, false);
		}
	}
	return feed_finish(fc, rc);
}

/* ---- passes and validation ---------------------------------------------- */

typedef int (*pass_fn)(struct loader *L, struct config_entry *e, char **out);

static int
pass_env(struct loader *L, struct config_entry *e, char **out)
{
	(void)L;
	return expand_env(e->value, out);
}

static int
pass_at(struct loader *L, struct config_entry *e, char **out)
{
	(void)L;
	return expand_at(e->value, out, e->origin);
}

static int
pass_placeholders(struct loader *L, struct config_entry *e, char **out)
{
	return expand_placeholders(L, e->value, out, e->origin, 0);
}

static int
run_pass(struct loader *L, pass_fn fn)
{
	for (size_t i = 0; i < L->list.n; i++) {
		struct config_entry *e = &L->list.v[i];
		if (e->no_expand || (e->opt && (e->opt->flags & OPT_IMMEDIATE)))
			continue;
		char *out = NULL;
		if (fn(L, e, &out) < 0)
			return -1;
		e = &L->list.v[i];
		free(e->value);
		e->value = out;
	}
	return 0;
}

/* Reads a value as uWSGI does; a warning or refusal names file:line and the key. */
static int
value_check(const struct config_entry *e)
{
	struct value_note note = { "" };
	bool b;
	unsigned long long u;
	int rc = 0;

	switch (e->opt->type) {
	case T_BOOL:
		rc = value_read_bool(e->value, &b, &note);
		break;
	case T_UINT:
		rc = value_read_uint(e->value, 1ULL << 53, &u, &note);
		break;
	default:
		/* uWSGI keeps the comment in the value: a path, a module... */
		if (value_inline_comment(e->value))
			snprintf(note.text, sizeof(note.text), "'%.60s' carries an inline comment "
			    "(uWSGI has none): the whole text is the value", e->value);
		break;
	}
	if (rc < 0)
		config_error(e->origin, "option '%s': %s", e->key, note.text);
	else if (note.text[0])
		config_error(e->origin, "warning: option '%s': %s", e->key, note.text);
	return rc;
}

static int
validate_entry(struct loader *L, struct config_entry *e)
{
	const struct option_def *opt = e->opt;
	if (!opt) {
		if (e->explicit_placeholder)
			return 0;
		/* a uWSGI option Stockade lacks is refused, never taken as a placeholder */
		if (uwsgi_refuse_option(e->origin, e->key) < 0)
			return -1;
		if (e->from_env)
			return 0;
		if (L->strict) {
			config_error(e->origin, "[strict] unknown config key '%s'", e->key);
			return -1;
		}
		const char *s = e->referenced ? NULL : option_suggest(e->key);
		if (s) {
			config_error(e->origin, "unknown option '%s' (did you mean '%s'?)", e->key, s);
			return -1;
		}
		return 0;
	}
	if (opt->flags & OPT_IMMEDIATE)
		return 0;
	if (value_check(e) < 0)
		return -1;
	if (opt->flags & OPT_PLUGINS)
		return uwsgi_plugins_check(e->origin, e->value);
	return 0;
}

int
config_resolve(struct loader *L)
{
	if (run_pass(L, pass_env) < 0 || run_pass(L, pass_at) < 0 || run_pass(L, pass_placeholders) < 0)
		return -1;
	for (size_t i = 0; i < L->list.n; i++)
		if (validate_entry(L, &L->list.v[i]) < 0)
			return -1;
	return 0;
}
