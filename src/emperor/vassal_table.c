/* SPDX-License-Identifier: MIT */
/* The Emperor's vassal records: a dense array plus a chained hash. */
#include "emperor/vassal_table.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static size_t
hash(int monitor, const char *name)
{
	size_t h = 2166136261u ^ (size_t)monitor;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

void
vt_init(struct vassal_table *t)
{
	memset(t, 0, sizeof(*t));
	t->nbucket = 256;
	t->bucket = xcalloc(t->nbucket, sizeof(*t->bucket));
}

void
vt_free(struct vassal_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i]->name);
		free(t->v[i]->config);
		free(t->v[i]);
	}
	free(t->v);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

struct vassal *
vt_find(const struct vassal_table *t, int monitor, const char *name)
{
	for (struct vassal *v = t->bucket[hash(monitor, name) % t->nbucket]; v; v = v->hnext)
		if (v->monitor == monitor && strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static void
rehash(struct vassal_table *t)
{
	free(t->bucket);
	t->nbucket *= 4;
	t->bucket = xcalloc(t->nbucket, sizeof(*t->bucket));
	for (size_t i = 0; i < t->n; i++) {
		struct vassal *v = t->v[i];
		size_t b = hash(v->monitor, v->name) % t->nbucket;
		v->hnext = t->bucket[b];
		t->bucket[b] = v;
	}
}

struct vassal *
vt_add(struct vassal_table *t, int monitor, const char *name)
{
	struct vassal *v = xcalloc(1, sizeof(*v));
	v->name = xstrdup(name);
	v->monitor = monitor;
	v->state = V_PENDING;
	v->fd = -1;
	v->cfg_fd = -1;
	v->file_wd = -1;
	v->od_fd = -1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	v->idx = t->n;
	t->v[t->n++] = v;
	if (t->n > t->nbucket)
		rehash(t);
	else {
		size_t b = hash(monitor, name) % t->nbucket;
		v->hnext = t->bucket[b];
		t->bucket[b] = v;
	}
	return v;
}

void
vt_remove(struct vassal_table *t, struct vassal *v)
{
	struct vassal **pp = &t->bucket[hash(v->monitor, v->name) % t->nbucket];
	while (*pp && *pp != v)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = v->hnext;
	/* keep insertion order: vassal tables are small enough for a memmove */
	memmove(&t->v[v->idx], &t->v[v->idx + 1], (t->n - v->idx - 1) * sizeof(*t->v));
	t->n--;
	for (size_t i = v->idx; i < t->n; i++)
		t->v[i]->idx = i;
	free(v->name);
	free(v->config);
	free(v->od_name);
	free(v);
}

struct vassal *
vt_by_pid(const struct vassal_table *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->pid == pid)
			return t->v[i];
	return NULL;
}
