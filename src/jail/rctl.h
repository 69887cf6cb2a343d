/* SPDX-License-Identifier: MIT */
/*
 * jail-rctl: resource limits of a jail in FreeBSD rctl(8) rule syntax with
 * the jail as the subject ("resource:action=amount[/jail]", amounts with
 * K/M/G/T suffixes). The parser is OS-independent; the FreeBSD backend
 * hands the rules to rctl_add_rule(2), the Linux one maps a subset to the
 * jail's cgroups and rlimits (linux_rctl.c).
 */
#ifndef STOCKADE_JAIL_RCTL_H
#define STOCKADE_JAIL_RCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum rctl_action {
	RCTL_DENY, RCTL_LOG, RCTL_DEVCTL, RCTL_THROTTLE, RCTL_SIGNAL,
};

struct rctl_rule {
	char resource[24];          /* one of rctl(8)'s resources, lower case */
	enum rctl_action action;
	int sig;                    /* RCTL_SIGNAL: the signal number */
	char action_name[16];       /* as written, lower case ("deny", "sigterm") */
	uint64_t amount;            /* suffixes expanded */
	struct origin origin;
};

/* Parses one rule; 0, or -1 with why (one line, no file:line) in err. */
int	rctl_rule_parse(const char *text, struct rctl_rule *out, char *err, size_t errlen);
/* "memoryuse:deny=67108864": the rule as FreeBSD prints it, jail-relative. */
void	rctl_rule_format(const struct rctl_rule *r, char *buf, size_t len);
/* An amount for humans: "64M", "200", "1G". */
void	rctl_amount_human(uint64_t v, char *buf, size_t len);
/* "resource:action\tlimit\t-" lines for rules whose use is unknown (the
 * stats of a jailed master that cannot read it), malloc'd; NULL when n == 0. */
char	*rctl_rules_status(const struct rctl_rule *rules, size_t n);
/* "rule use=N" for jls: the rule as rctl_rule_format() prints it, the
 * amount made human, and the use when known (use < 0: unknown). */
void	rctl_describe(const char *resource, const char *action, uint64_t amount, long long use,
	    char *buf, size_t len);
/* The resource names rctl(8) knows, space-separated. */
const char *rctl_known_resources(void);
/* True for resources counted in bytes (memoryuse, vmemoryuse, ...). */
bool	rctl_resource_is_bytes(const char *resource);

#endif
