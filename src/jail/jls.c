/* SPDX-License-Identifier: MIT */
/* --jls layouts (see jls.h): text as FreeBSD's jls(8), or JSON. */
#include "jail/jls.h"
#include "base/log.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The addresses of "a,b/24,c" without their prefixes, in order. */
static void
each_addr(const char *list, void (*fn)(const char *addr, void *arg), void *arg)
{
	if (!list)
		return;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t a = strcspn(p, ",/");
		if (a > 0) {
			char addr[128];
			snprintf(addr, sizeof(addr), "%.*s", (int)(a < sizeof(addr) ? a : sizeof(addr) - 1), p);
			fn(addr, arg);
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

static void
keep_first(const char *addr, void *arg)
{
	char *out = arg;
	if (!out[0])
		snprintf(out, 128, "%s", addr);
}

static void
print_indented(const char *addr, void *arg)
{
	struct strbuf *sb = arg;
	sb_addf(sb, "        %s\n", addr);
}

static void
add_json(const char *addr, void *arg)
{
	json_array_append_new((json_t *)arg, json_string(addr));
}

static const char *
or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void
text_row(struct strbuf *sb, unsigned flags, const struct jls_row *r)
{
	if (!(flags & JLS_VERBOSE)) {
		/* jls shows one address: the first IPv4 one, else the first IPv6 one */
		char ip[128] = "";
		each_addr(r->ip4, keep_first, ip);
		if (!ip[0])
			each_addr(r->ip6, keep_first, ip);
		sb_addf(sb, "%6ld  %-15.15s %-29.29s %.74s\n", r->jid, or_dash(ip), or_dash(r->hostname), or_dash(r->path));
		return;
	}
	sb_addf(sb, "%6ld  %-29.29s %.74s\n", r->jid, or_dash(r->hostname), or_dash(r->path));
	sb_addf(sb, "        %-29.29s %.74s\n", or_dash(r->name), or_dash(r->state));
	if (r->cpusetid >= 0 || r->pid >= 0)
		sb_addf(sb, "        %ld\n", r->cpusetid >= 0 ? r->cpusetid : r->pid);
	else
		sb_adds(sb, "        -\n");
	each_addr(r->ip4, print_indented, sb);
	each_addr(r->ip6, print_indented, sb);
	for (const char *p = r->rctl; p && *p; ) {	/* issue 23: the limits and their use */
		size_t len = strcspn(p, "\n");
		sb_addf(sb, "        rctl %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

static json_t *
params_object(const char *text)
{
	json_t *o = json_object();
	if (!text)
		return o;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *eq = memchr(p, '=', n);
		if (eq) {
			char *key = xstrndup(p, (size_t)(eq - p));
			char *val = xstrndup(eq + 1, n - (size_t)(eq - p) - 1);
			json_object_set_new(o, key, json_string(val));
			free(key);
			free(val);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return o;
}

static json_t *
json_row(const struct jls_row *r)
{
	json_t *ip4 = json_array(), *ip6 = json_array();
	each_addr(r->ip4, add_json, ip4);
	each_addr(r->ip6, add_json, ip6);
	json_t *o = json_object();
	json_object_set_new(o, "jid", json_integer(r->jid));
	json_object_set_new(o, "name", json_string(r->name ? r->name : ""));
	json_object_set_new(o, "hostname", json_string(r->hostname ? r->hostname : ""));
	json_object_set_new(o, "path", json_string(r->path ? r->path : ""));
	json_object_set_new(o, "state", json_string(r->state ? r->state : ""));
	json_object_set_new(o, "ip4", ip4);
	json_object_set_new(o, "ip6", ip6);
	json_object_set_new(o, "cpusetid", r->cpusetid >= 0 ? json_integer(r->cpusetid) : json_null());
	json_object_set_new(o, "pid", r->pid >= 0 ? json_integer(r->pid) : json_null());
	json_object_set_new(o, "age_seconds", r->age_seconds >= 0 ? json_integer(r->age_seconds) : json_null());
	json_object_set_new(o, "params", params_object(r->params));
	if (r->rctl && *r->rctl) {
		json_t *a = json_array();
		for (const char *p = r->rctl; *p; ) {
			size_t len = strcspn(p, "\n");
			json_array_append_new(a, json_stringn(p, len));
			p += len + (p[len] == '\n');
		}
		json_object_set_new(o, "rctl", a);
	}
	return o;
}

int
jls_print(int fd, unsigned flags, const char *id_label, const struct jls_row *rows, size_t n)
{
	struct strbuf sb;
	sb_init(&sb);
	if (flags & JLS_JSON) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_row(&rows[i]));
		char *s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(a);
		if (!s) {
			log_msg("jls: cannot encode JSON");
			return -1;
		}
		sb_adds(&sb, s);
		sb_addc(&sb, '\n');
		free(s);
	} else {
		if (flags & JLS_VERBOSE)
			sb_addf(&sb, "   JID  %-29s Path\n        %-29s State\n        %s\n        IP Address(es)\n",
			        "Hostname", "Name", id_label);
		else
			sb_addf(&sb, "   JID  %-15s %-29s Path\n", "IP Address", "Hostname");
		for (size_t i = 0; i < n; i++)
			text_row(&sb, flags, &rows[i]);
	}
	size_t off = 0;
	int rc = 0;
	while (off < sb.len) {
		ssize_t w = write(fd, sb.buf + off, sb.len - off);
		if (w < 0) {
			log_errno("jls: write");
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	sb_free(&sb);
	return rc;
}
