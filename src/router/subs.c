/* SPDX-License-Identifier: MIT */
/*
 * The router's subscription table: keys (the Host a request names) with
 * their nodes, fed by subscription datagrams on the
 * http-subscription-server sockets. A node is refreshed by each announce
 * and expires after subscription-tolerance seconds without one; a node
 * that refused a connection is skipped until it announces itself again.
 * Several nodes of a key share its requests by smooth weighted
 * round-robin (each node gets weight/total of them, evenly spread).
 *
 * With subscriptions-sign-check every packet must be signed by the key's
 * owner (subscription_sign.c) and carry a "unix" time within the
 * tolerance, and each node only accepts a time later than the last one it
 * accepted: a captured packet cannot be replayed, nor its unsigned header
 * flipped from subscribe to unsubscribe or back. A removed or expired node
 * is kept as a tombstone (not routed to) until its last time falls out of
 * the tolerance, so its old packets cannot resurrect it either.
 */
#include "router/router_internal.h"
#include "router/sub_creds.h"
#include "router/subscription_sign.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "net/event.h"

#include <jansson.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUCKETS 256

struct sub_node {
	struct node base;               /* first: a struct node * is a struct sub_node * */
	struct sub_node *next;
	unsigned weight;
	long long current;              /* smooth weighted round-robin state */
	long long last_seen;            /* ms */
	unsigned long long unix_time;   /* signed mode: the last accepted "unix" */
	bool down;
	bool gone;                      /* signed mode: a tombstone, not routed to */
};

struct sub_key {
	struct sub_key *next;
	char key[SUB_KEY_MAX + 1];
	struct sub_node *nodes;
	unsigned long hits;
};

static struct sub_key *buckets[NBUCKETS];
static bool enabled;
static long long tolerance_ms;
static bool sign_check;
static long long sign_tolerance;       /* s */
static bool use_creds;
static long long *skip_uids;           /* subscriptions-sign-skip-uid */
static size_t nskip;

bool
subs_enabled(void)
{
	return enabled;
}

static unsigned
hash(const char *k)
{
	unsigned h = 5381;
	for (; *k; k++)
		h = h * 33 + (unsigned char)*k;
	return h % NBUCKETS;
}

static struct sub_key *
find_key(const char *key)
{
	for (struct sub_key *k = buckets[hash(key)]; k; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

size_t
subs_count(const char *key)
{
	struct sub_key *k = find_key(key);
	size_t n = 0;
	for (struct sub_node *nd = k ? k->nodes : NULL; nd; nd = nd->next)
		n += !nd->gone;
	return n;
}

struct node *
subs_pick(const char *key, int *status)
{
	struct sub_key *k = find_key(key);
	if (!k) {
		*status = 404;
		return NULL;
	}
	struct sub_node *best = NULL;
	long long total = 0;
	size_t live = 0;
	for (struct sub_node *nd = k->nodes; nd; nd = nd->next) {
		live += !nd->gone;
		if (nd->down || nd->gone)
			continue;
		nd->current += nd->weight;
		total += nd->weight;
		if (!best || nd->current > best->current)
			best = nd;
	}
	if (!live) {
		*status = 404;
		return NULL;
	}
	k->hits++;
	if (!best) {
		*status = 503;
		return NULL;
	}
	best->current -= total;
	return &best->base;
}

void
subs_node_failed(struct node *nd)
{
	((struct sub_node *)nd)->down = true;
}

/* Sessions may still point at a node being freed. */
static void
forget_node(struct sub_node *nd)
{
	for (struct session *s = R.sessions; s; s = s->next)
		if (s->nd == &nd->base)
			s->nd = NULL;
	free(nd);
}

static void
remove_key_if_empty(struct sub_key *k)
{
	if (k->nodes)
		return;
	struct sub_key **pp = &buckets[hash(k->key)];
	while (*pp != k)
		pp = &(*pp)->next;
	*pp = k->next;
	free(k);
}

/* trusted: sent by a subscriptions-sign-skip-uid uid (no signature, no
 * time checks, as uWSGI) */
static void
apply(const struct sub_req *r, const char *peer, bool trusted)
{
	char key[SUB_KEY_MAX + 1], addr[SUB_ADDR_MAX + 1];
	memcpy(key, r->key, r->key_len);
	key[r->key_len] = '\0';
	memcpy(addr, r->addr, r->addr_len);
	addr[r->addr_len] = '\0';
	struct sub_key *k = find_key(key);
	struct sub_node **pp = NULL;
	if (k)
		for (pp = &k->nodes; *pp && strcmp((*pp)->base.name, addr) != 0; pp = &(*pp)->next)
			;
	if (sign_check && !trusted && k && *pp && r->unix_time <= (*pp)->unix_time) {
		log_msg("[uwsgi-subscription for pid %d] subscription from %s: %s => %s: replayed or out-of-order "
		        "packet (unix %llu, last accepted %llu), dropped", (int)getpid(), peer, key, addr, r->unix_time,
		        (*pp)->unix_time);
		return;
	}
	if (r->unsubscribe) {
		if (!k || !*pp || (*pp)->gone)
			return;
		struct sub_node *nd = *pp;
		log_msg("[uwsgi-subscription for pid %d] %s => removing node %s", (int)getpid(), key, addr);
		if (sign_check) {
			if (!trusted)
				nd->unix_time = r->unix_time;
			nd->gone = true;
			return;
		}
		*pp = nd->next;
		forget_node(nd);
		remove_key_if_empty(k);
		return;
	}
	if (k && *pp) {
		struct sub_node *nd = *pp;
		nd->last_seen = clock_ms();
		nd->weight = r->weight;
		if (!trusted)
			nd->unix_time = r->unix_time;
		if (nd->gone)
			log_msg("[uwsgi-subscription for pid %d] new node: %s => %s (weight: %u)", (int)getpid(), key,
			        addr, nd->weight);
		else if (nd->down)
			log_msg("[uwsgi-subscription for pid %d] %s => node %s is back", (int)getpid(), key, addr);
		nd->down = false;
		nd->gone = false;
		return;
	}
	struct sub_node *nd = xcalloc(1, sizeof(*nd));
	char err[256];
	if (sock_parse_addr(addr, &nd->base.addr, err, sizeof(err)) < 0 || nd->base.addr.kind == SOCK_ADDR_SHARED) {
		log_msg("http router: subscription from %s: bad address '%s'", peer, addr);
		free(nd);
		return;
	}
	snprintf(nd->base.name, sizeof(nd->base.name), "%s", addr);
	nd->base.subscribed = true;
	nd->weight = r->weight;
	nd->last_seen = clock_ms();
	nd->unix_time = trusted ? 0 : r->unix_time;
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		snprintf(k->key, sizeof(k->key), "%s", key);
		unsigned h = hash(key);
		k->next = buckets[h];
		buckets[h] = k;
	}
	nd->next = k->nodes;
	k->nodes = nd;
	log_msg("[uwsgi-subscription for pid %d] new node: %s => %s (weight: %u)", (int)getpid(), key, addr,
	        nd->weight);
}

/* Signed mode: a valid signature by the key's owner, made within the
 * tolerance (both ways: clocks differ). The replay check is per node, in
 * apply(). */
static int
signed_ok(const struct sub_req *r, const char *peer)
{
	const char *why = NULL;
	long long now = (long long)time(NULL);
	if (sub_sign_verify(r, &why) == 0) {
		if (r->has_unix && (long long)r->unix_time >= now - sign_tolerance &&
		    (long long)r->unix_time <= now + sign_tolerance)
			return 0;
		why = r->has_unix ? "timestamp outside subscriptions-sign-check-tolerance (old or replayed packet)" :
		      "no unix timestamp";
	}
	log_msg("[uwsgi-subscription for pid %d] subscription from %s for key '%.*s': %s, dropped", (int)getpid(),
	        peer, (int)r->key_len, r->key, why);
	return -1;
}

static void
on_datagram(struct event_loop *loop, int fd, void *data, int mask)
{
	(void)loop;
	(void)data;
	(void)mask;
	static char buf[65536 + 4];

	session_bury();
	for (int n = 0; n < 64; n++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		long long uid = -1;
		ssize_t len = use_creds ? sub_creds_recv(fd, buf, sizeof(buf), &ss, &sl, &uid) :
		              recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (len < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_errno("http router: subscription server recvfrom");
			return;
		}
		char peer[SOCK_NAME_MAX];
		sock_format((struct sockaddr *)&ss, sl, peer, sizeof(peer));
		if (!peer[0])
			snprintf(peer, sizeof(peer), "a local socket");
		for (char *p = peer; *p; p++)           /* a sender's unix path goes to the log */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		struct sub_req r;
		if (subscription_parse(buf, (size_t)len, &r) < 0) {
			log_msg("http router: subscription from %s: %s", peer, r.error);
			continue;
		}
		bool trusted = false;
		for (size_t i = 0; sign_check && uid > 0 && i < nskip && !trusted; i++)
			trusted = skip_uids[i] == uid;
		if (sign_check && !trusted && signed_ok(&r, peer) < 0)
			continue;
		apply(&r, peer, trusted);
	}
}

void
subs_sweep(long long now)
{
	if (!enabled)
		return;
	long long now_s = (long long)time(NULL);
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct sub_key *k = buckets[b], *knext; k; k = knext) {
			knext = k->next;
			for (struct sub_node **pp = &k->nodes; *pp;) {
				struct sub_node *nd = *pp;
				if (nd->gone ? (long long)nd->unix_time + sign_tolerance >= now_s :
				    nd->last_seen + tolerance_ms >= now) {
					pp = &nd->next;
					continue;
				}
				if (!nd->gone)
					log_msg("[uwsgi-subscription for pid %d] %s => node %s expired", (int)getpid(),
					        k->key, nd->base.name);
				if (sign_check && !nd->gone) {
					nd->gone = true;        /* a tombstone, see the top */
					pp = &nd->next;
					continue;
				}
				*pp = nd->next;
				forget_node(nd);
			}
			remove_key_if_empty(k);
		}
}

int
subs_sign_setup(const struct config *cfg)
{
	char err[256];
	use_creds = cfg->subscriptions_use_credentials;
	nskip = cfg->subscriptions_sign_skip_uid.n;
	skip_uids = xcalloc(nskip + 1, sizeof(*skip_uids));
	for (size_t i = 0; i < nskip; i++)
		skip_uids[i] = atoll(cfg->subscriptions_sign_skip_uid.v[i]);   /* checked by the master */
	if (!cfg->subscriptions_sign_check)
		return 0;
	if (sub_sign_setup(cfg->subscriptions_sign_check, err, sizeof(err)) < 0) {
		log_msg("subscriptions-sign-check: %s", err);
		return -1;
	}
	sign_check = true;
	sign_tolerance = (long long)(cfg->subscriptions_sign_check_tolerance ? cfg->subscriptions_sign_check_tolerance :
	                 86400);
	return 0;
}

int
subs_setup(const int *fds, size_t n, long long tol_ms)
{
	enabled = n > 0;
	tolerance_ms = tol_ms;
	for (size_t i = 0; i < n; i++)
		if (event_add(R.loop, fds[i], EV_READ, on_datagram, NULL) < 0) {
			log_errno("http router: event_add(subscription fd %d)", fds[i]);
			return -1;
		}
	return 0;
}

/* Printable ASCII only: a key comes from the network and JSON wants UTF-8. */
static json_t *
jstr(const char *s)
{
	char buf[SOCK_NAME_MAX + SUB_KEY_MAX + 1];
	size_t n = 0;
	for (; *s && n < sizeof(buf) - 1; s++)
		buf[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
	buf[n] = '\0';
	return json_string(buf);
}

json_t *
subs_json(void)
{
	json_t *arr = json_array();
	for (size_t b = 0; arr && b < NBUCKETS; b++)
		for (struct sub_key *k = buckets[b]; k; k = k->next) {
			json_t *nodes = json_array();
			size_t live = 0;
			for (struct sub_node *nd = k->nodes; nd && nodes; nd = nd->next) {
				if (nd->gone)
					continue;
				live++;
				json_array_append_new(nodes, json_pack("{s:o, s:s, s:I, s:i, s:i, s:i, s:I, s:i, s:i, s:i, s:i, "
				    "s:i, s:i, s:i, s:s, s:I, s:i, s:I, s:i}",
				    "name", jstr(nd->base.name), "vassal", "", "last_check", (json_int_t)(time(NULL) - (clock_ms() - nd->last_seen) / 1000),
				    "pid", 0, "uid", 0, "gid", 0, "requests", (json_int_t)nd->base.requests,
				    "last_requests", 0, "tx", 0, "rx", 0, "cores", 0, "load", 0, "weight", (int)nd->weight,
				    "backup", 0, "proto", "uwsgi", "wrr", (json_int_t)nd->current, "ref", 0,
				    "failcnt", (json_int_t)nd->base.failures, "death_mark", nd->down ? 1 : 0));
			}
			if (!live) {
				json_decref(nodes);
				continue;
			}
			json_array_append_new(arr, json_pack("{s:o, s:i, s:I, s:i, s:o*}", "key", jstr(k->key), "hash", 0,
			    "hits", (json_int_t)k->hits, "sni_enabled", 0, "nodes", nodes));
		}
	return arr;
}
