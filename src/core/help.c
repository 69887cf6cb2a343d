/* --help: every option from the table, grouped by subsystem. */
#include "core/help.h"
#include "core/options.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const groups[] = {
	"config", "logic", "process", "socket", "python", "logging", "privileges", "jail", "hooks",
};

static void option_line(struct strbuf *sb, const struct option_def *o)
{
	struct strbuf names;
	sb_init(&names);
	if (o->short_opt)
		sb_addf(&names, "-%c, ", o->short_opt);
	sb_addf(&names, "--%s", o->name);
	if (o->aliases) {
		char *a = xstrdup(o->aliases), *save = NULL;
		for (char *t = strtok_r(a, " ", &save); t; t = strtok_r(NULL, " ", &save))
			sb_addf(&names, ", --%s", t);
		free(a);
	}
	if (o->arg == ARG_REQUIRED)
		sb_adds(&names, " VALUE");
	else if (o->arg == ARG_OPTIONAL)
		sb_adds(&names, "[=VALUE]");
	sb_addf(sb, "  %-38s %s%s%s\n", names.buf, o->help,
	        o->type == T_LIST ? " (repeatable)" : "",
	        (o->flags & OPT_PENDING) ? " [not yet active]" : "");
	sb_free(&names);
}

void print_help(int fd)
{
	struct strbuf sb;
	sb_init(&sb);
	sb_adds(&sb, "Usage: stockade [options] [config.ini|config.json ...]\n"
	             "Options may also come from [uwsgi] ini files, JSON files and UWSGI_*/STOCKADE_* variables.\n");
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		sb_addf(&sb, "\n%s:\n", groups[g]);
		for (size_t i = 0; i < option_count; i++)
			if (strcmp(option_table[i].group, groups[g]) == 0)
				option_line(&sb, &option_table[i]);
	}
	if (write(fd, sb.buf, sb.len) < 0) { /* nothing to do */ }
	sb_free(&sb);
}
