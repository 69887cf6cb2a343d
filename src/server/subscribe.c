/* SPDX-License-Identifier: MIT */
/*
 * The instance's side of subscriptions (uWSGI's subscribe-to and
 * subscribe2): the master announces "key K is served at address A" to
 * each subscription server at start and every subscribe-freq seconds, and
 * withdraws it when it stops (on a graceful reload only with
 * unsubscribe-on-graceful-reload). The address defaults to where the first
 * uwsgi socket is bound. With sign=DIGEST:KEYFILE (subscribe2) or a third
 * item (subscribe-to = server:key,modifier1,DIGEST:KEYFILE) each packet
 * carries the time and a signature by the private key, read at start
 * (before a jail) as uWSGI does for subscriptions-sign-check routers.
 */
#include "server/server_internal.h"
#include "server/subscribe.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"
#include "net/socket.h"
#include "router/subscription.h"
#include "router/subscription_sign.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct target {
	struct sock_addr server;
	char *server_name, *key, *addr;
	char *sign;             /* DIGEST:KEYFILE, or NULL */
	struct sub_signer *signer;
	unsigned modifier1, weight;
	int fd;                 /* opened before the jail: reaches the host's server */
	bool connected;
};

static struct target *targets;
static size_t ntargets;
static long long timer;

static int
bad(struct origin o, const char *opt, const char *v, const char *why)
{
	log_msg("%s:%d: %s: '%s': %s", o.file, o.line, opt, v, why);
	return -1;
}

/* "server:key[,modifier1]" or "address=server:key[,modifier1]"; a server is
 * ip:port or a path, the key follows its last ':' (after the port). */
static int
parse_to(const char *v, struct origin o, struct target *t)
{
	char *s = xstrdup(v), *eq = strchr(s, '=');
	const char *server = s;
	if (eq) {
		*eq = '\0';
		t->addr = xstrdup(s);
		server = eq + 1;
	}
	char *colon = server[0] == '/' ? strchr(server, ':') : NULL;
	if (server[0] != '/') {
		char *port = strchr(server, ':');
		colon = port ? strchr(port + 1, ':') : NULL;
	}
	if (!colon || !colon[1]) {
		free(s);
		return bad(o, "subscribe-to", v, "expected server:key");
	}
	*colon = '\0';
	char *key = colon + 1, *comma = strchr(key, ',');
	if (comma) {
		*comma = '\0';
		unsigned long long m;
		char *sign = strchr(comma + 1, ',');
		if (sign) {
			*sign++ = '\0';
			t->sign = xstrdup(sign);
		}
		if (!parse_uint(comma + 1, 255, &m)) {
			free(s);
			return bad(o, "subscribe-to", v, "modifier1 is 0-255");
		}
		t->modifier1 = (unsigned)m;
	}
	t->server_name = xstrdup(server);
	t->key = xstrdup(key);
	t->weight = 1;
	free(s);
	return 0;
}

static int
parse_2(const char *v, struct origin o, struct target *t)
{
	char *s = xstrdup(v), *save = NULL;
	t->weight = 1;
	for (char *item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		unsigned long long n;
		if (!eq) {
			free(s);
			return bad(o, "subscribe2", v, "items are key=value");
		}
		*eq++ = '\0';
		if (strcmp(item, "server") == 0) {
			t->server_name = xstrdup(eq);
		} else if (strcmp(item, "key") == 0) {
			t->key = xstrdup(eq);
		} else if (strcmp(item, "addr") == 0 || strcmp(item, "address") == 0 || strcmp(item, "socket") == 0) {
			t->addr = xstrdup(eq);
		} else if (strcmp(item, "weight") == 0 && parse_uint(eq, 1000000, &n) && n > 0) {
			t->weight = (unsigned)n;
		} else if (strcmp(item, "modifier1") == 0 && parse_uint(eq, 255, &n)) {
			t->modifier1 = (unsigned)n;
		} else if (strcmp(item, "sign") == 0 && *eq) {
			free(t->sign);
			t->sign = xstrdup(eq);
		} else {
			free(s);
			return bad(o, "subscribe2", v, "unknown item or bad value");
		}
	}
	free(s);
	if (!t->server_name || !t->key)
		return bad(o, "subscribe2", v, "server= and key= are required");
	return 0;
}

static void
send_all(bool unsubscribe)
{
	char pkt[4096];
	for (size_t i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		if (!t->addr)
			continue;
		/* uWSGI's "unix" is the time + the command: an unsubscribe sent in
		 * the second of the last announce is still later than it */
		unsigned long long now = t->signer ? (unsigned long long)time(NULL) + unsubscribe : 0;
		int n = subscription_build(pkt, sizeof(pkt), unsubscribe, t->key, t->addr, t->modifier1, t->weight, now);
		if (n > 0 && t->signer) {
			unsigned char sig[SUB_SIGN_MAX];
			int sl = sub_signer_sign(t->signer, pkt + 4, (size_t)n - 4, sig, sizeof(sig));
			n = sl < 0 ? -1 : subscription_append_sign(pkt, sizeof(pkt), (size_t)n, sig, (size_t)sl);
			if (n < 0)
				log_msg("subscribing %s: cannot sign the packet", t->key);
		}
		/* a unix server that was not there yet: connect now (outside a jail) */
		if (!t->connected && connect(t->fd, &t->server.u.sa, t->server.len) == 0)
			t->connected = true;
		ssize_t w = n < 0 ? -1 : t->connected ? send(t->fd, pkt, (size_t)n, 0) :
		            sendto(t->fd, pkt, (size_t)n, 0, &t->server.u.sa, t->server.len);
		if (w != n)
			log_errno("%s %s: cannot send to %s", unsubscribe ? "unsubscribing" : "subscribing", t->key,
			          t->server_name);
	}
}

static void
on_timer(struct event_loop *loop, long long id, void *data)
{
	(void)loop;
	(void)id;
	(void)data;
	if (master.state != RUNNING)
		return;
	send_all(false);
	long long freq = (long long)(master.cfg->subscribe_freq ? master.cfg->subscribe_freq : 10) * 1000;
	event_timer_arm(master.loop, freq, on_timer, NULL, &timer);
}

/*
 * The address a router outside the jail reaches the first uwsgi socket at:
 * a unix path inside the jail's root is announced by its host-side path,
 * an unspecified IPv4 address (0.0.0.0) by the jail's first jail-ip4.
 */
static void
announced_address(char *out, size_t len)
{
	char name[SOCK_NAME_MAX] = "";
	struct listener *l = NULL;
	for (size_t i = 0; i < master.nls && !l; i++)
		if (master.ls[i].proto == PROTO_UWSGI)
			l = &master.ls[i];
	out[0] = '\0';
	if (!l)
		return;
	if (sock_name(l->fd, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "%s", l->name);
	const char *root = master.jail.create ? master.jail.path : NULL;
	if (name[0] == '/' && root && strcmp(root, "/") != 0) {
		snprintf(out, len, "%s%s", root, name);
		return;
	}
	if (strncmp(name, "0.0.0.0:", 8) == 0 && master.jail.create && master.jail.nip4 > 0) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &master.jail.ip4[0].u.v4, ip, sizeof(ip));
		snprintf(out, len, "%s%s", ip, name + 7);
		return;
	}
	snprintf(out, len, "%s", name);
}

int
subscribe_prepare(int *keep, size_t *nkeep)
{
	const struct config *cfg = master.cfg;
	size_t n = cfg->subscribe_to.n + cfg->subscribe2.n;
	if (n == 0 || targets)
		return 0;
	targets = xcalloc(n, sizeof(*targets));
	for (size_t i = 0; i < n; i++) {
		struct target *t = &targets[ntargets];
		bool two = i >= cfg->subscribe_to.n;
		size_t j = two ? i - cfg->subscribe_to.n : i;
		const char *v = two ? cfg->subscribe2.v[j] : cfg->subscribe_to.v[j];
		struct origin o = two ? cfg->subscribe2.origin[j] : cfg->subscribe_to.origin[j];
		if ((two ? parse_2(v, o, t) : parse_to(v, o, t)) < 0)
			return -1;
		char err[256];
		if (sock_parse_addr(t->server_name, &t->server, err, sizeof(err)) < 0 ||
		    t->server.kind == SOCK_ADDR_SHARED)
			return bad(o, two ? "subscribe2" : "subscribe-to", v, "bad subscription server address");
		if (strlen(t->key) > SUB_KEY_MAX || (t->addr && strlen(t->addr) > SUB_ADDR_MAX))
			return bad(o, two ? "subscribe2" : "subscribe-to", v, "key or address too long");
		if (!t->addr && cfg->uwsgi_socket.n == 0)
			return bad(o, two ? "subscribe2" : "subscribe-to", v,
			           "no uwsgi socket to announce (add socket = or addr=)");
		if (t->sign && !(t->signer = sub_signer_load(t->sign, err, sizeof(err))))
			return bad(o, two ? "subscribe2" : "subscribe-to", v, err);
		t->fd = socket(t->server.u.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (t->fd < 0) {
			log_errno("subscribe: socket()");
			return -1;
		}
		t->connected = connect(t->fd, &t->server.u.sa, t->server.len) == 0;
		if (keep)
			keep[(*nkeep)++] = t->fd;
		ntargets++;
	}
	return 0;
}

size_t
subscribe_count(void)
{
	return master.cfg->subscribe_to.n + master.cfg->subscribe2.n;
}

void
subscribe_start(void)
{
	char addr[SOCK_NAME_MAX + PATH_MAX];
	announced_address(addr, sizeof(addr));
	for (size_t i = 0; i < ntargets; i++)
		if (!targets[i].addr) {
			if (strlen(addr) > SUB_ADDR_MAX) {
				log_msg("subscribe: the address %s is too long to announce", addr);
				continue;
			}
			targets[i].addr = xstrdup(addr);
		}
	for (size_t i = 0; i < ntargets; i++)
		log_msg("subscribing to %s: %s => %s (weight %u)", targets[i].server_name, targets[i].key,
		        targets[i].addr, targets[i].weight);
	if (ntargets)
		on_timer(master.loop, 0, NULL);
}

void
subscribe_stop(bool reload)
{
	if (timer > 0) {
		event_timer_del(master.loop, timer);
		timer = 0;
	}
	if (ntargets == 0 || (reload && !master.cfg->unsubscribe_on_graceful_reload))
		return;
	for (size_t i = 0; i < ntargets; i++)
		log_msg("unsubscribing from %s: %s", targets[i].server_name, targets[i].key);
	send_all(true);
}
