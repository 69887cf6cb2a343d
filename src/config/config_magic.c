/* SPDX-License-Identifier: MIT */
/* Value rewriting: magic %x variables (per file, textual, as uWSGI), then
 * the $(ENV), @(file) and %(placeholder) passes. */
#include "config/config.h"
#include "base/log.h"
#include "base/platform.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- magic variables ---------------------------------------------------- */

struct file_magic {
	char *o, *p, *s, *d, *e, *n, *c, *x, *i, *j;
	char *comp[10];
};

static unsigned long
djb33x(const char *s)
{
	unsigned long h = 5381;
	for (; *s; s++)
		h = (h * 33) ^ (unsigned char)*s;
	return h;
}

static void
file_magic_fill(struct file_magic *m, const char *path, const char *section)
{
	memset(m, 0, sizeof(*m));
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		snprintf(abs, sizeof(abs), "%s", path);
	m->o = xstrdup(path);
	m->p = xstrdup(abs);
	const char *base = strrchr(abs, '/');
	base = base ? base + 1 : abs;
	m->s = xstrdup(base);
	m->d = xstrndup(abs, (size_t)(base - abs));           /* keeps the trailing slash */
	const char *dot = strrchr(base, '.');
	m->e = xstrdup(dot ? dot + 1 : "");
	m->n = dot ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
	m->x = xstrdup(section ? section : "");
	struct stat st;
	m->i = stat(abs, &st) == 0 ? xasprintf("%llu", (unsigned long long)st.st_ino) : xstrdup("");
	m->j = xasprintf("%lx", djb33x(abs));
	/* %c = last directory component, %0..%9 = directory components from the root */
	char *dir = xstrdup(m->d);
	size_t ncomp = 0;
	char *save = NULL, *last = NULL;
	for (char *tok = strtok_r(dir, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (ncomp < 10)
			m->comp[ncomp++] = xstrdup(tok);
		last = tok;
	}
	m->c = xstrdup(last ? last : "");
	free(dir);
}

static void
file_magic_free(struct file_magic *m)
{
	char *all[] = { m->o, m->p, m->s, m->d, m->e, m->n, m->c, m->x, m->i, m->j };
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		free(all[k]);
	for (size_t k = 0; k < 10; k++)
		free(m->comp[k]);
}

static const char *
file_magic_get(const struct file_magic *m, char c)
{
	switch (c) {
	case 'o': return m->o;
	case 'p': return m->p;
	case 's': return m->s;
	case 'd': return m->d;
	case 'e': return m->e;
	case 'n': return m->n;
	case 'c': return m->c;
	case 'x': return m->x;
	case 'i': return m->i;
	case 'j': return m->j;
	}
	if (c >= '0' && c <= '9')
		return m->comp[c - '0'] ? m->comp[c - '0'] : "";
	return NULL;
}

static void
add_global_magic(struct strbuf *sb, char c)
{
	char buf[PATH_MAX];
	struct timeval tv;
	switch (c) {
	case 'v':
		sb_adds(sb, getcwd(buf, sizeof(buf)) ? buf : "");
		break;
	case 'h':
		if (gethostname(buf, sizeof(buf)) == 0) {
			buf[sizeof(buf) - 1] = '\0';
			sb_adds(sb, buf);
		}
		break;
	case 'k':
		sb_addf(sb, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
		break;
	case 'u':
		sb_addf(sb, "%u", (unsigned)getuid());
		break;
	case 'U': {
		struct passwd *pw = getpwuid(getuid());
		sb_adds(sb, pw ? pw->pw_name : "");
		break;
	}
	case 'g':
		sb_addf(sb, "%u", (unsigned)getgid());
		break;
	case 'G': {
		struct group *gr = getgrgid(getgid());
		sb_adds(sb, gr ? gr->gr_name : "");
		break;
	}
	case 'b': {
		if (platform_binary_path(buf, sizeof(buf)) == 0)
			sb_adds(sb, buf);
		break;
	}
	case 'V':
		sb_adds(sb, STOCKADE_VERSION);
		break;
	case 't':
		gettimeofday(&tv, NULL);
		sb_addf(sb, "%lld", (long long)tv.tv_sec);
		break;
	case 'T':
		gettimeofday(&tv, NULL);
		sb_addf(sb, "%lld", (long long)tv.tv_sec * 1000000LL + tv.tv_usec);
		break;
	case '%':
		sb_addc(sb, '%');
		break;
	case '[':
		sb_addc(sb, 0x1b);
		break;
	default:
		/* uWSGI: any other %<char> becomes empty */
		break;
	}
}

static bool
is_upper_file_magic(char c)
{
	return c && strchr("OPSDENCXIJ", c) != NULL;
}

char *
magic_expand(const char *text, size_t len, const char *path, const char *section,
                   const char *first_file)
{
	struct file_magic self, first;
	file_magic_fill(&self, path, section);
	file_magic_fill(&first, first_file ? first_file : path, section);
	struct strbuf sb;
	sb_init(&sb);
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '%' || i + 1 >= len) {
			sb_addc(&sb, text[i]);
			continue;
		}
		char c = text[++i];
		const char *v;
		if (c == '(') {
			sb_add(&sb, "%(", 2);   /* placeholders are a later pass */
		} else if ((v = file_magic_get(&self, c)) != NULL) {
			sb_adds(&sb, v);
		} else if (is_upper_file_magic(c)) {
			sb_adds(&sb, file_magic_get(&first, (char)(c + 32)));
		} else {
			add_global_magic(&sb, c);
		}
	}
	file_magic_free(&self);
	file_magic_free(&first);
	return sb_detach(&sb);
}

/* ---- $(ENV) -------------------------------------------------------------- */

/* Finds the ')' closing the '(' at s[0], allowing nested parentheses. */
static const char *
find_close(const char *s)
{
	int depth = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
	}
	return NULL;
}

/*
 * Copies in to *out with each "<sigil>(inner)" (nested parentheses allowed)
 * replaced by what one() appends to sb for it; call/len is the whole
 * "<sigil>(...)" text. 0, or -1 (nothing in *out) when one() fails.
 */
typedef int expand_one_fn(struct strbuf *sb, const char *call, size_t len, char *inner,
                          const void *arg);

static int
expand_calls(const char *in, char sigil, expand_one_fn *one, const void *arg, char **out)
{
	struct strbuf sb;
	const char *p = in, *close;
	char *inner;
	int rc;

	sb_init(&sb);
	while (*p) {
		if (p[0] != sigil || p[1] != '(' || !(close = find_close(p + 1))) {
			sb_addc(&sb, *p++);
			continue;
		}
		inner = xstrndup(p + 2, (size_t)(close - p - 2));
		rc = one(&sb, p, (size_t)(close - p + 1), inner, arg);
		free(inner);
		if (rc < 0) {
			sb_free(&sb);
			return -1;
		}
		p = close + 1;
	}
	*out = sb_detach(&sb);
	return 0;
}

/* $(NAME), $(NAME-default), $(NAME:-default when empty too) */
static int
env_one(struct strbuf *sb, const char *call, size_t len, char *inner, const void *arg)
{
	char *def = NULL;
	bool empty_counts = false;
	char *sep = strstr(inner, ":-");

	(void)arg;
	if (sep) {
		*sep = '\0';
		def = sep + 2;
		empty_counts = true;
	} else if ((sep = strchr(inner, '-')) != NULL) {
		*sep = '\0';
		def = sep + 1;
	}
	const char *v = getenv(inner);
	if (v && (!empty_counts || *v))
		sb_adds(sb, v);
	else if (def)
		sb_adds(sb, def);
	else
		sb_add(sb, call, len);  /* unresolved stays literal */
	return 0;
}

int
expand_env(const char *in, char **out)
{
	return expand_calls(in, '$', env_one, NULL, out);
}

/* ---- @(file) and @(exec://cmd) ------------------------------------------ */

static char *
run_capture(const char *cmd, int *status)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	struct strbuf sb;
	sb_init(&sb);
	char buf[4096];
	for (;;) {
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sb_add(&sb, buf, (size_t)n);
	}
	close(pfd[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return sb_detach(&sb);
}

static char *
at_content(const char *what, struct origin o)
{
	char *content;
	if (strncmp(what, "exec://", 7) == 0) {
		int status = 0;
		content = run_capture(what + 7, &status);
		if (!content || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			config_error(o, "@(%s): command failed (status %d)", what,
			             content && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			free(content);
			return NULL;
		}
	} else {
		content = read_file(what, NULL);
		if (!content) {
			config_error(o, "@(%s): %s", what, strerror(errno));
			return NULL;
		}
	}
	size_t n = strlen(content);
	if (n && content[n - 1] == '\n')
		content[--n] = '\0';
	return content;
}

static int
at_one(struct strbuf *sb, const char *call, size_t len, char *inner, const void *arg)
{
	const struct origin *o = arg;
	char *content = at_content(inner, *o);

	(void)call, (void)len;
	if (!content)
		return -1;
	sb_adds(sb, content);
	free(content);
	return 0;
}

int
expand_at(const char *in, char **out, struct origin o)
{
	return expand_calls(in, '@', at_one, &o, out);
}

/* ---- %(placeholder) and %(a + b) ---------------------------------------- */

#define MAX_PLACEHOLDER_DEPTH 16
#define MAX_VALUE_LEN (1024 * 1024)   /* %(a)%(a)... fan-out grows exponentially */

/* Fully expanded value of a key, or NULL when unknown. */
static char *
placeholder_value(struct loader *L, const char *name, struct origin o, int depth,
                               int *err)
{
	struct config_entry *e = config_lookup(L, name, false);
	if (!e)
		return NULL;
	e->referenced = true;
	char *value = xstrdup(e->value);
	if (!e->no_expand && strstr(value, "%(")) {
		char *out;
		if (expand_placeholders(L, value, &out, o, depth + 1) < 0) {
			*err = 1;
			free(value);
			return NULL;
		}
		free(value);
		value = out;
	}
	return value;
}

/* An arithmetic operand as uWSGI reads it (strtoll: the leading number);
 * a text with none is refused: uWSGI would compute with 0. */
static bool
leading_number(const char *s, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return end != s && errno == 0;
}

enum calc_state { CALC_CONCAT, CALC_SUM, CALC_SUB, CALC_MUL, CALC_DIV };

static bool
calc_operator(const char *t, enum calc_state *st)
{
	static const char ops[] = "+-*/";
	const char *c = t[0] && !t[1] ? strchr(ops, t[0]) : NULL;
	if (!c)
		return false;
	*st = (enum calc_state)(CALC_SUM + (c - ops));
	return true;
}

static bool
all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * %(a b + 2) is uWSGI's pipeline (core/config.c uwsgi_manage_placeholder):
 * tokens left to right; a number or a key's value is concatenated to the
 * result, or combined with it by the operator just before it (then back to
 * concatenating, so "1 + 2 3" is "33"); ++ and -- change the result;
 * ÷0 gives 0. An unknown key is empty, as in uWSGI, except
 * as an arithmetic operand: a typo there would silently compute with 0.
 */
static char *
evaluate(struct loader *L, const char *expr, struct origin o, int depth, int *err)
{
	char *copy = xstrdup(expr);
	char *cur = NULL;
	const char *unknown = NULL;   /* a key concatenated as empty */
	enum calc_state st = CALC_CONCAT;
	char *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t && !*err; t = strtok_r(NULL, " ", &save)) {
		if (calc_operator(t, &st))
			continue;
		if (!strcmp(t, "++") || !strcmp(t, "--")) {
			long long n;
			if (cur) {
				if (!leading_number(cur, &n)) {
					config_error(o, "%%(%s): '%s' is not a number", expr, cur);
					*err = 1;
					break;
				}
				n = (long long)((unsigned long long)n + (t[0] == '+' ? 1ULL : -1ULL));
				free(cur);
				cur = xasprintf("%lld", n);
			}
			st = CALC_CONCAT;
			continue;
		}
		char *v = all_digits(t) ? xstrdup(t) : placeholder_value(L, t, o, depth, err);
		if (*err)
			break;
		if (st == CALC_CONCAT) {
			if (!v)
				unknown = t;
			char *joined = xasprintf("%s%s", cur ? cur : "", v ? v : "");
			free(cur);
			cur = joined;
			free(v);
			continue;
		}
		long long a = 0, b = 0;
		if ((cur && !leading_number(cur, &a)) || !v || !leading_number(v, &b)) {
			bool left = cur && !leading_number(cur, &a);
			const char *what = left ? (unknown && !*cur ? unknown : cur) : v ? v : t;
			config_error(o, "%%(%s): '%s' is not a number%s", expr, what,
			    (left ? unknown && !*cur : !v) ? " (no such key: uWSGI would compute with 0)" : "");
			*err = 1;
			free(v);
			break;
		}
		free(v);
		unsigned long long ua = (unsigned long long)a, ub = (unsigned long long)b;
		switch (st) {
		case CALC_SUM: a = (long long)(ua + ub); break;
		case CALC_SUB: a = (long long)(ua - ub); break;
		case CALC_MUL: a = (long long)(ua * ub); break;
		case CALC_DIV: a = (b == 0 || (a == INT64_MIN && b == -1)) ? 0 : a / b; break;
		case CALC_CONCAT: break;
		}
		free(cur);
		cur = xasprintf("%lld", a);
		st = CALC_CONCAT;
	}
	free(copy);
	if (*err) {
		free(cur);
		return NULL;
	}
	return cur;
}

int
expand_placeholders(struct loader *L, const char *in, char **out, struct origin o, int depth)
{
	if (depth > MAX_PLACEHOLDER_DEPTH) {
		config_error(o, "placeholders nested too deeply (a placeholder refers to itself?)");
		return -1;
	}
	struct strbuf sb;
	sb_init(&sb);
	const char *p = in;
	int err = 0;
	while (*p && !err) {
		const char *close;
		if (sb.len > MAX_VALUE_LEN) {
			config_error(o, "value longer than %d bytes after %%() expansion", MAX_VALUE_LEN);
			err = 1;
			break;
		}
		if (p[0] != '%' || p[1] != '(' || !(close = find_close(p + 1))) {
			sb_addc(&sb, *p++);
			continue;
		}
		char *name = xstrndup(p + 2, (size_t)(close - p - 2));
		char *v = NULL;
		if (strcmp(name, "_") == 0)
			v = NULL;   /* logic context outside a block: stays literal */
		else if (strchr(name, ' '))
			v = evaluate(L, name, o, depth, &err);
		else
			v = placeholder_value(L, name, o, depth, &err);
		if (v)
			sb_adds(&sb, v);
		else
			sb_add(&sb, p, (size_t)(close - p + 1));  /* unknown stays literal */
		free(v);
		free(name);
		p = close + 1;
	}
	if (err) {
		sb_free(&sb);
		return -1;
	}
	*out = sb_detach(&sb);
	return 0;
}
