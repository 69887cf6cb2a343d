/* SPDX-License-Identifier: MIT */
/*
 * The jail-rctl rule grammar: FreeBSD rctl(8)'s "resource:action=amount"
 * with the jail as subject (the "jail:<name>:" prefix is added by the
 * FreeBSD backend), an optional "/jail" per-part, amounts in decimal with
 * rctl(8)'s (expand_number) suffixes K, M, G, T, P, E in powers of 1024.
 */
#include "jail/rctl.h"

#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FreeBSD 14's racct resources (sys/kern/kern_rctl.c). */
static const char *const resources[] = {
	"cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
	"maxproc", "openfiles", "vmemoryuse", "pseudoterminals", "swapuse", "nthr",
	"msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop", "nshm", "shmsize",
	"wallclock", "pcpu", "readbps", "writebps", "readiops", "writeiops",
};

static const char *const bytes_resources[] = {
	"datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked", "vmemoryuse",
	"swapuse", "msgqsize", "shmsize", "readbps", "writebps",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The signal names kern_rctl.c accepts after "sig" (sigkill, sigterm...). */
static const struct { const char *name; int sig; } signals[] = {
	{ "hup", SIGHUP }, { "int", SIGINT }, { "quit", SIGQUIT }, { "ill", SIGILL },
	{ "trap", SIGTRAP }, { "abrt", SIGABRT }, { "iot", SIGABRT }, { "bus", SIGBUS },
	{ "fpe", SIGFPE }, { "kill", SIGKILL }, { "usr1", SIGUSR1 }, { "segv", SIGSEGV },
	{ "usr2", SIGUSR2 }, { "pipe", SIGPIPE }, { "alrm", SIGALRM }, { "term", SIGTERM },
	{ "urg", SIGURG }, { "stop", SIGSTOP }, { "tstp", SIGTSTP }, { "cont", SIGCONT },
	{ "chld", SIGCHLD }, { "ttin", SIGTTIN }, { "ttou", SIGTTOU }, { "io", SIGIO },
	{ "xcpu", SIGXCPU }, { "xfsz", SIGXFSZ }, { "vtalrm", SIGVTALRM }, { "prof", SIGPROF },
	{ "winch", SIGWINCH }, { "sys", SIGSYS },
};

const char *
rctl_known_resources(void)
{
	return "cputime datasize stacksize coredumpsize memoryuse memorylocked maxproc openfiles "
	       "vmemoryuse pseudoterminals swapuse nthr msgqqueued msgqsize nmsgq nsem nsemop nshm "
	       "shmsize wallclock pcpu readbps writebps readiops writeiops";
}

bool
rctl_resource_is_bytes(const char *resource)
{
	for (size_t i = 0; i < NELEM(bytes_resources); i++)
		if (strcmp(resource, bytes_resources[i]) == 0)
			return true;
	return false;
}

static bool
known_resource(const char *s)
{
	for (size_t i = 0; i < NELEM(resources); i++)
		if (strcmp(s, resources[i]) == 0)
			return true;
	return false;
}

/* expand_number(3): digits, then at most one suffix; no overflow. */
static int
parse_amount(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (tolower((unsigned char)*p)) {
	case '\0': break;
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	case 'p': shift = 50; break;
	case 'e': shift = 60; break;
	default: return -1;
	}
	if (*p != '\0' && p[1] != '\0')
		return -1;
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

static int
parse_action(const char *s, struct rctl_rule *r)
{
	if (strlen(s) >= sizeof(r->action_name))
		return -1;
	static const struct { const char *name; enum rctl_action a; } plain[] = {
		{ "deny", RCTL_DENY }, { "log", RCTL_LOG }, { "devctl", RCTL_DEVCTL },
		{ "throttle", RCTL_THROTTLE },
	};

	for (size_t i = 0; i < NELEM(plain); i++) {
		if (strcmp(s, plain[i].name) == 0) {
			r->action = plain[i].a;
			return 0;
		}
	}
	if (strncmp(s, "sig", 3) == 0) {
		for (size_t i = 0; i < NELEM(signals); i++) {
			if (strcmp(s + 3, signals[i].name) == 0) {
				r->action = RCTL_SIGNAL;
				r->sig = signals[i].sig;
				return 0;
			}
		}
	}
	return -1;
}

int
rctl_rule_parse(const char *text, struct rctl_rule *out, char *err, size_t errlen)
{
	char buf[128], *colon, *eq, *slash, *action, *amount;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "rule too long (at most %zu characters)", sizeof(buf) - 1);
		return -1;
	}
	for (size_t i = 0; text[i]; i++) {
		if (iscntrl((unsigned char)text[i]) || (unsigned char)text[i] >= 0x7f) {
			/* never echoed: the error stays one printable line */
			snprintf(err, errlen, "rule has a control or non-ASCII character at offset %zu", i);
			return -1;
		}
		buf[i] = (char)tolower((unsigned char)text[i]);
	}
	buf[strlen(text)] = '\0';
	if ((colon = strchr(buf, ':')) == NULL || (eq = strchr(colon, '=')) == NULL) {
		snprintf(err, errlen, "'%s' is not a rule of the form resource:action=amount "
		    "(e.g. memoryuse:deny=512M)", text);
		return -1;
	}
	*colon = *eq = '\0';
	action = colon + 1;
	amount = eq + 1;
	if (strchr(action, ':') != NULL) {
		snprintf(err, errlen, "'%s': give resource:action=amount only; the jail is the subject", text);
		return -1;
	}
	if ((slash = strchr(amount, '/')) != NULL) {
		/* rctl(8): the per-part names what the amount is counted for;
		 * only the jail itself makes sense for a jail's own rule */
		if (strcmp(slash + 1, "jail") != 0) {
			snprintf(err, errlen, "'%s': '/%s' is not supported (only /jail: the amount is "
			    "the jail's total)", text, slash + 1);
			return -1;
		}
		*slash = '\0';
	}
	if (!known_resource(buf)) {
		snprintf(err, errlen, "unknown resource '%s' (known: %s)", buf, rctl_known_resources());
		return -1;
	}
	if (parse_action(action, out) < 0) {
		snprintf(err, errlen, "unknown action '%s' (deny, log, devctl, throttle or sig<name>, "
		    "e.g. sigterm)", action);
		return -1;
	}
	if (out->action == RCTL_THROTTLE && strcmp(buf, "readbps") != 0 && strcmp(buf, "writebps") != 0 &&
	    strcmp(buf, "readiops") != 0 && strcmp(buf, "writeiops") != 0) {
		snprintf(err, errlen, "'%s': throttle applies only to readbps, writebps, readiops "
		    "and writeiops", text);
		return -1;
	}
	if (parse_amount(amount, &out->amount) < 0) {
		snprintf(err, errlen, "'%s': amount '%s' is not a number with an optional K, M, G, T, "
		    "P or E suffix", text, amount);
		return -1;
	}
	if (strcmp(buf, "pcpu") == 0 && out->amount == 0) {
		snprintf(err, errlen, "'%s': pcpu must be at least 1 (percent of one CPU)", text);
		return -1;
	}
	/* known names only, so both fit */
	memcpy(out->resource, buf, strlen(buf) + 1);
	memcpy(out->action_name, action, strlen(action) + 1);
	return 0;
}

void
rctl_rule_format(const struct rctl_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s=%llu", r->resource, r->action_name, (unsigned long long)r->amount);
}

void
rctl_amount_human(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "KMGTPE";
	int i = -1;

	while (v >= 1024 && v % 1024 == 0 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, suffix[i]);
}

char *
rctl_rules_status(const struct rctl_rule *rules, size_t n)
{
	struct strbuf sb;

	if (n == 0)
		return NULL;
	sb_init(&sb);
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%s:%s\t%llu\t-\n", rules[i].resource, rules[i].action_name,
		    (unsigned long long)rules[i].amount);
	sb_addc(&sb, '\0');
	return sb.buf;
}

void
rctl_describe(const char *resource, const char *action, uint64_t amount, long long use,
    char *buf, size_t len)
{
	char human[32];
	int n;

	/* K/M/G for sizes only: "maxproc:deny=2K" would read as a size */
	if (rctl_resource_is_bytes(resource))
		rctl_amount_human(amount, human, sizeof(human));
	else
		snprintf(human, sizeof(human), "%llu", (unsigned long long)amount);
	n = snprintf(buf, len, "%s:%s=%s", resource, action, human);
	if (use < 0 || n < 0 || (size_t)n >= len)
		return;
	if (rctl_resource_is_bytes(resource))
		snprintf(buf + n, len - (size_t)n, " use=%.1fM", (double)use / 1048576.0);
	else
		snprintf(buf + n, len - (size_t)n, " use=%lld", use);
}
