/* SPDX-License-Identifier: MIT */
/*
 * libpq, loaded with dlopen() by the first pg:// monitor instead of being
 * linked: linking it made every exec of the binary (each vassal start and
 * reload) load and initialise libpq's 20-odd libraries (krb5, ldap,
 * gnutls...), about 19 ms of CPU, for a monitor only an Emperor uses.
 * Include after <libpq-fe.h>: the PQ* names below then call through the
 * table.
 */
#ifndef STOCKADE_EMPEROR_PQ_DL_H
#define STOCKADE_EMPEROR_PQ_DL_H

#include <libpq-fe.h>
#include <stddef.h>

struct pq_fn {
	void (*PQclear)(PGresult *);
	PostgresPollingStatusType (*PQconnectPoll)(PGconn *);
	PGconn *(*PQconnectStart)(const char *);
	void (*PQconninfoFree)(PQconninfoOption *);
	PQconninfoOption *(*PQconninfoParse)(const char *, char **);
	int (*PQconsumeInput)(PGconn *);
	char *(*PQerrorMessage)(const PGconn *);
	char *(*PQescapeIdentifier)(PGconn *, const char *, size_t);
	void (*PQfinish)(PGconn *);
	int (*PQflush)(PGconn *);
	void (*PQfreemem)(void *);
	PGresult *(*PQgetResult)(PGconn *);
	int (*PQgetisnull)(const PGresult *, int, int);
	char *(*PQgetvalue)(const PGresult *, int, int);
	int (*PQisBusy)(PGconn *);
	int (*PQnfields)(const PGresult *);
	PGnotify *(*PQnotifies)(PGconn *);
	int (*PQntuples)(const PGresult *);
	char *(*PQresultErrorMessage)(const PGresult *);
	ExecStatusType (*PQresultStatus)(const PGresult *);
	int (*PQsendQuery)(PGconn *, const char *);
	int (*PQsendQueryParams)(PGconn *, const char *, int, const Oid *, const char *const *, const int *,
	                         const int *, int);
	int (*PQsetnonblocking)(PGconn *, int);
	int (*PQsocket)(const PGconn *);
	ConnStatusType (*PQstatus)(const PGconn *);
};
extern struct pq_fn pq_fn;

/* Loads libpq once; 0, or -1 with err (not installed, a symbol missing). */
int pq_load(char *err, size_t errlen);

/* pq_dl.c fills the table by these names: it defines PQ_DL_TABLE */
#ifndef PQ_DL_TABLE
#define PQclear (pq_fn.PQclear)
#define PQconnectPoll (pq_fn.PQconnectPoll)
#define PQconnectStart (pq_fn.PQconnectStart)
#define PQconninfoFree (pq_fn.PQconninfoFree)
#define PQconninfoParse (pq_fn.PQconninfoParse)
#define PQconsumeInput (pq_fn.PQconsumeInput)
#define PQerrorMessage (pq_fn.PQerrorMessage)
#define PQescapeIdentifier (pq_fn.PQescapeIdentifier)
#define PQfinish (pq_fn.PQfinish)
#define PQflush (pq_fn.PQflush)
#define PQfreemem (pq_fn.PQfreemem)
#define PQgetResult (pq_fn.PQgetResult)
#define PQgetisnull (pq_fn.PQgetisnull)
#define PQgetvalue (pq_fn.PQgetvalue)
#define PQisBusy (pq_fn.PQisBusy)
#define PQnfields (pq_fn.PQnfields)
#define PQnotifies (pq_fn.PQnotifies)
#define PQntuples (pq_fn.PQntuples)
#define PQresultErrorMessage (pq_fn.PQresultErrorMessage)
#define PQresultStatus (pq_fn.PQresultStatus)
#define PQsendQuery (pq_fn.PQsendQuery)
#define PQsendQueryParams (pq_fn.PQsendQueryParams)
#define PQsetnonblocking (pq_fn.PQsetnonblocking)
#define PQsocket (pq_fn.PQsocket)
#define PQstatus (pq_fn.PQstatus)
#endif

#endif
