/* SPDX-License-Identifier: MIT */
/* libpq loaded at run time by the pg:// monitor (pq_dl.h says why). */
#define PQ_DL_TABLE
#include "emperor/pq_dl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

struct pq_fn pq_fn;

/* libpq's soname has been libpq.so.5 since PostgreSQL 8.2 */
static const char *const libnames[] = { "libpq.so.5", "libpq.so" };

int
pq_load(char *err, size_t errlen)
{
	static bool loaded;
	if (loaded)
		return 0;
	void *lib = NULL;
	for (size_t i = 0; i < sizeof(libnames) / sizeof(libnames[0]) && !lib; i++)
		lib = dlopen(libnames[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errlen, "pg:// monitor: cannot load libpq (install libpq5): %s", dlerror());
		return -1;
	}
	struct { const char *name; void **slot; } syms[] = {
#define SYM(n) { #n, (void **)&pq_fn.n }
		SYM(PQclear), SYM(PQconnectPoll), SYM(PQconnectStart), SYM(PQconninfoFree),
		SYM(PQconninfoParse), SYM(PQconsumeInput), SYM(PQerrorMessage), SYM(PQescapeIdentifier),
		SYM(PQfinish), SYM(PQflush), SYM(PQfreemem), SYM(PQgetResult), SYM(PQgetisnull),
		SYM(PQgetvalue), SYM(PQisBusy), SYM(PQnfields), SYM(PQnotifies), SYM(PQntuples),
		SYM(PQresultErrorMessage), SYM(PQresultStatus), SYM(PQsendQuery), SYM(PQsendQueryParams),
		SYM(PQsetnonblocking), SYM(PQsocket), SYM(PQstatus),
#undef SYM
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errlen, "pg:// monitor: libpq has no %s", syms[i].name);
			dlclose(lib);
			return -1;
		}
	}
	loaded = true;
	return 0;
}
