/* SPDX-License-Identifier: MIT */
/* --help, --help-option and the generated option reference (markdown, man). */
#include "config/help.h"
#include "config/options.h"
#include "config/uwsgi_names.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Groups in the order the option table first names them, so that an
 * option of a new group can never be left out of --help and the docs. */
#define MAX_GROUPS 32
static const char *groups[MAX_GROUPS];
static size_t ngroups;

static void
collect_groups(void)
{
	if (ngroups)
		return;
	for (size_t i = 0; i < option_count; i++) {
		size_t g = 0;
		while (g < ngroups && strcmp(groups[g], option_table[i].group) != 0)
			g++;
		if (g == ngroups && ngroups < MAX_GROUPS)
			groups[ngroups++] = option_table[i].group;
	}
}

static void
emit(int fd, struct strbuf *sb)
{
	if (sb->len && write_full(fd, sb->buf, sb->len) < 0) { /* stdout gone */ }
	sb_free(sb);
}

/* "-s, --socket, --uwsgi-socket VALUE" */
static void
names_of(struct strbuf *out, const struct option_def *o, const char *dash2)
{
	if (o->short_opt)
		sb_addf(out, "-%c, ", o->short_opt);
	sb_addf(out, "%s%s", dash2, o->name);
	if (o->aliases) {
		char *a = xstrdup(o->aliases), *save = NULL;
		for (char *t = strtok_r(a, " ", &save); t; t = strtok_r(NULL, " ", &save))
			sb_addf(out, ", %s%s", dash2, t);
		free(a);
	}
	if (o->arg == ARG_REQUIRED)
		sb_adds(out, " VALUE");
	else if (o->arg == ARG_OPTIONAL)
		sb_adds(out, "[=VALUE]");
}

static const char *
type_name(const struct option_def *o)
{
	switch (o->type) {
	case T_LIST: return "list (repeatable)";
	case T_BOOL: return "boolean";
	case T_UINT: return "non-negative integer";
	case T_STRING: break;
	}
	return "string (last value wins)";
}

/*
 * Every option, group by group in collect_groups() order: group() writes
 * a group's heading, row() an option's entry given its names_of() text.
 */
typedef void group_fn(struct strbuf *sb, const char *group);
typedef void row_fn(struct strbuf *sb, const struct option_def *o, const char *names);

static void
each_option(struct strbuf *sb, group_fn *group, row_fn *row)
{
	struct strbuf n;

	collect_groups();
	for (size_t g = 0; g < ngroups; g++) {
		group(sb, groups[g]);
		for (size_t i = 0; i < option_count; i++) {
			const struct option_def *o = &option_table[i];
			if (strcmp(o->group, groups[g]) != 0)
				continue;
			sb_init(&n);
			names_of(&n, o, "--");
			row(sb, o, n.buf);
			sb_free(&n);
		}
	}
}

static void
help_group(struct strbuf *sb, const char *group)
{
	sb_addf(sb, "\n%s:\n", group);
}

static void
help_row(struct strbuf *sb, const struct option_def *o, const char *names)
{
	sb_addf(sb, "  %-38s %s%s\n", names, o->help, o->type == T_LIST ? " (repeatable)" : "");
}

void
print_help(int fd)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, "Usage: stockade [options] [config.ini|config.json ...]\n"
	             "Options may also come from [uwsgi] ini files, JSON files and UWSGI_*/STOCKADE_* variables.\n"
	             "stockade --help-option NAME explains one option.\n");
	each_option(&sb, help_group, help_row);
	emit(fd, &sb);
}

/* A uWSGI option the table lacks: where it comes from and what happens to it. */
static int
print_unsupported_help(int fd, const char *name)
{
	const char *plugin = uwsgi_option_plugin(name);
	struct strbuf sb;

	if (!plugin)
		return -1;
	sb_init(&sb);
	sb_addf(&sb, "--%s\n  option of ", name);
	uwsgi_option_origin(&sb, plugin);
	sb_adds(&sb, ", not supported by Stockade: an instance that sets it refuses to start\n");
	emit(fd, &sb);
	return 0;
}

int
print_option_help(int fd, const char *name)
{
	const struct option_def *o = option_find(name);
	if (!o)
		return print_unsupported_help(fd, name);
	struct strbuf sb, n;
	sb_init(&sb);
	sb_init(&n);
	names_of(&n, o, "--");
	sb_addf(&sb, "%s\n  %s\n  type: %s; group: %s%s\n", n.buf, o->help, type_name(o), o->group,
	        (o->flags & OPT_IMMEDIATE) ? "; acts while the config is read" : "");
	if (o->flags & OPT_ALREADY_SO)
		sb_adds(&sb, "  state: a uWSGI option Stockade already obeys: accepted, no effect\n");
	sb_addf(&sb, "  ini: %s = ...\n", o->name);
	sb_free(&n);
	emit(fd, &sb);
	return 0;
}

static void
md_group(struct strbuf *sb, const char *group)
{
	sb_addf(sb, "\n## %s\n\n| option | type | meaning |\n|---|---|---|\n", group);
}

static void
md_row(struct strbuf *sb, const struct option_def *o, const char *names)
{
	sb_addf(sb, "| `%s` | %s | %s |\n", names, type_name(o), o->help);
}

/* Every uWSGI option name the table lacks, plugin by plugin. */
static void
md_unsupported(struct strbuf *sb)
{
	sb_adds(sb, "\n## uWSGI options not supported\n\n"
	            "An instance that sets one of these refuses to start with one line naming the\n"
	            "option and its uWSGI plugin.\n");
	for (size_t i = 0; i < uwsgi_plugin_names_count; i++) {
		char *names = xstrdup(uwsgi_plugin_names[i].names), *save = NULL;
		size_t n = 0;
		sb_adds(sb, "\n### ");
		uwsgi_option_origin(sb, uwsgi_plugin_names[i].plugin);
		sb_adds(sb, "\n\n");
		for (char *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (option_find(t))
				continue;
			sb_addf(sb, "%s`%s`", n++ ? ", " : "", t);
		}
		sb_adds(sb, n ? "\n" : "(none: all implemented)\n");
		free(names);
	}
}

void
print_options_markdown(int fd)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, "# Option reference\n\n"
	             "Generated from the option table (`stockade --options-markdown`); do not edit.\n"
	             "Every option works on the command line (`--name value`), in `[uwsgi]` ini files\n"
	             "(`name = value`), in JSON and as `UWSGI_NAME` / `STOCKADE_NAME` variables.\n\n"
	             "Every uWSGI 2.0 option name is in one of three states: implemented (the\n"
	             "groups below), already so (group `uwsgi`: accepted with no effect because\n"
	             "Stockade already behaves as the option asks; the row says why) or not\n"
	             "supported (the last section: the instance refuses to start). A key that is\n"
	             "no uWSGI option is a placeholder, as in uWSGI.\n");
	each_option(&sb, md_group, md_row);
	md_unsupported(&sb);
	emit(fd, &sb);
}

/* roff needs '-' escaped and lines must not start with '.' or '\''. */
static void
roff(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			sb_adds(sb, "\\-");
		else if (*s == '\\')
			sb_adds(sb, "\\e");
		else
			sb_addc(sb, *s);
	}
}

static void
man_group(struct strbuf *sb, const char *group)
{
	sb_adds(sb, ".SH ");
	for (const char *p = group; *p; p++)
		sb_addc(sb, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
	sb_adds(sb, " OPTIONS\n");
}

static void
man_row(struct strbuf *sb, const struct option_def *o, const char *names)
{
	sb_adds(sb, ".TP\n.B ");
	roff(sb, names);
	sb_adds(sb, "\n");
	roff(sb, o->help);
	sb_addf(sb, " (%s)\n", type_name(o));
}

void
print_options_man(int fd)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, ".TH STOCKADE 1 \"\" \"stockade " STOCKADE_VERSION "\" \"User Commands\"\n"
	             ".SH NAME\nstockade \\- uWSGI\\-compatible WSGI server with built\\-in jails\n"
	             ".SH SYNOPSIS\n.B stockade\n[\\fIoptions\\fR] [\\fIconfig.ini\\fR|\\fIconfig.json\\fR ...]\n"
	             ".SH DESCRIPTION\nStockade runs Python WSGI applications with a master and preforked workers, "
	             "reads uWSGI option names and [uwsgi] ini files, and can put each instance in a jail "
	             "(FreeBSD jails, or namespaces on Linux) straight from its configuration.\n");
	each_option(&sb, man_group, man_row);
	sb_adds(&sb, ".SH SEE ALSO\nuwsgi(1), jail(8)\n");
	emit(fd, &sb);
}
