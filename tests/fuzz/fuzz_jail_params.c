/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the jail parameter parser: the input is split into
 * lines, each one an option of struct config, then jail_spec_build ->
 * jail_spec_param -> jail_spec_free -> config_free, with the log sent to
 * /dev/null. Finds memory errors (ASan), undefined behaviour (UBSan) and
 * leaks (LSan), and checks the spec's invariants after a successful build.
 *
 * Line forms (origin "fuzz", line = input line number):
 *   "j VALUE"   jail (the last one wins, as in struct config)
 *   "4 VALUE"   jail-ip4          "6 VALUE"   jail-ip6
 *   "a VALUE"   jail-attach       "f VALUE"   jidfile
 *   "J"         jailed            "r VALUE"   jail-rctl (issue 23)
 *   anything else: a jail2 value (key[=value])
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"
#include "base/log.h"
#include "base/util.h"
#include "jail/params.h"

#include <fcntl.h>
#include <unistd.h>

#define MAX_TEXT	16384

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int devnull;

	(void)argc;
	(void)argv;
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	log_set_file(devnull);
	return 0;
}

static void
push(struct strlist *l, const char *s, struct origin o)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->origin = xrealloc(l->origin, (l->n + 1) * sizeof(*l->origin));
	l->v[l->n] = xstrdup(s);
	l->origin[l->n] = o;
	l->n++;
}

static void
set(char **field, const char *s)
{
	free(*field);
	*field = xstrdup(s);
}

static void
feed_line(struct config *cfg, const char *line, int lineno)
{
	struct origin o = { "fuzz", lineno };

	if (line[0] != '\0' && line[1] == ' ') {
		const char *v = line + 2;
		switch (line[0]) {
		case 'j': set(&cfg->jail, v); return;
		case '4': push(&cfg->jail_ip4, v, o); return;
		case '6': push(&cfg->jail_ip6, v, o); return;
		case 'a': set(&cfg->jail_attach, v); return;
		case 'f': set(&cfg->jidfile, v); return;
		case 'r': push(&cfg->jail_rctl, v, o); return;
		default: break;
		}
	}
	if (strcmp(line, "J") == 0) {
		cfg->jailed = true;
		return;
	}
	push(&cfg->jail2, line, o);
}

static void
check_addrs(const struct jail_addr *a, size_t n, int family)
{
	if (n > 255)
		abort();
	for (size_t i = 0; i < n; i++)
		if (a[i].family != family || a[i].prefix < -1 ||
		    a[i].prefix > (family == AF_INET ? 32 : 128) || a[i].origin.line < 1)
			abort();
}

/* What a successful build promises. */
static void
check_spec(const struct config *cfg, const struct jail_spec *s)
{
	if (s->create && s->attach)
		abort();
	if (s->create && (s->path == NULL || s->path[0] != '/'))
		abort();
	if (!s->create && (s->path || s->nparams || s->nip4 || s->nip6))
		abort();
	if (s->attach && (cfg->jail || cfg->jail2.n || cfg->jail_ip4.n || cfg->jail_ip6.n))
		abort();
	if (s->nparams != (s->create ? cfg->jail2.n : 0))
		abort();
	/* jail-rctl: every rule kept, only for a jail this instance creates,
	 * no resource and action twice */
	if (s->nrctl != (s->create ? cfg->jail_rctl.n : 0))
		abort();
	for (size_t i = 0; i < s->nrctl; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->rctl[i].resource, s->rctl[j].resource) == 0 &&
			    s->rctl[i].action == s->rctl[j].action && s->rctl[i].sig == s->rctl[j].sig)
				abort();
	check_addrs(s->ip4, s->nip4, AF_INET);
	check_addrs(s->ip6, s->nip6, AF_INET6);
	if ((s->nip4 > 0 && s->ip4_mode != JAIL_MODE_NEW) ||
	    (s->nip6 > 0 && s->ip6_mode != JAIL_MODE_NEW))
		abort();
	if (s->enforce_statfs < 0 || s->enforce_statfs > 2 || s->securelevel < -1 ||
	    s->securelevel > 3 || s->devfs_ruleset < 0 || s->devfs_ruleset > 65535 ||
	    s->children_max < 0)
		abort();
	if (s->name && (strlen(s->name) > 63 || strchr(s->name, '.') || strchr(s->name, '/')))
		abort();
	for (size_t i = 0; i < s->nparams; i++) {
		const struct jail_param *p = &s->params[i];
		if (p->key[0] == '\0' || strncmp(p->key, "exec.", 5) == 0 ||
		    strncmp(p->key, "mount.", 6) == 0 || p->origin.line < 1)
			abort();
		if (jail_spec_param(s, p->key) == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct jail_spec spec;
	char *text, *line, *save = NULL;
	int lineno = 0;

	if (size > MAX_TEXT)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	text = xstrndup((const char *)data, size);	/* stops at a NUL byte */
	for (line = text; line != NULL; line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		lineno++;
		feed_line(&cfg, line, lineno);
	}
	free(text);

	bool wanted = jail_spec_wanted(&cfg);
	if (jail_spec_build(&cfg, &spec) == 0) {
		if (!wanted && (spec.create || spec.attach))
			abort();
		check_spec(&cfg, &spec);
	} else if (spec.nparams || spec.path || spec.ip4 || spec.ip6 || spec.attach) {
		abort();	/* a failed build leaves nothing behind */
	}
	jail_spec_free(&spec);
	jail_spec_free(&spec);	/* idempotent */
	config_free(&cfg);
	return 0;
}
