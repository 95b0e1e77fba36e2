/*
 * Counters in the PostgreSQL store's database, shared by every host that
 * uses it: one upsert per change on a small table (PG_COUNTERS, part of
 * the store's schema and made here when an older schema lacks it), times
 * by the database's clock.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "counter.h"
#include "store_pg_int.h"
#include "xmalloc.h"

/* Add delta; an absent or expired counter starts afresh with its lifetime. */
static const char counter_pg_add_sql[] =
    "INSERT INTO " PG_COUNTERS " AS c (key, count, expires_at) "
    "VALUES ($1, GREATEST($2::integer, 0), "
    "now() + make_interval(secs => $3::integer)) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN c.expires_at <= now() THEN EXCLUDED.count "
    "ELSE GREATEST(c.count + $2::integer, 0) END, "
    "expires_at = CASE WHEN c.expires_at <= now() THEN EXCLUDED.expires_at "
    "ELSE c.expires_at END "
    "RETURNING count";

/* Forget one counter, and every expired one with it. */
static const char counter_pg_remove_sql[] =
    "DELETE FROM " PG_COUNTERS " WHERE key = $1 OR expires_at <= now()";

/* postgresql: and postgres: values, as the store takes them. */
static int
counter_pg_match(const char *store)
{
	return strncmp(store, "postgresql:", 11) == 0 ||
	    strncmp(store, "postgres:", 9) == 0;
}

/* Connect with the store's conninfo, bounded in time. */
static void *
counter_pg_open(const struct config *cfg, char **cause)
{
	const char	*keys[] = { "connect_timeout", "dbname", NULL };
	char		*conninfo = pg_conninfo(cfg->store);
	const char	*vals[] = { PG_CONNECT_TIMEOUT, conninfo, NULL };
	PGconn		*pg;

	/* The conninfo in dbname expands over the default timeout. */
	pg = PQconnectdbParams(keys, vals, 1);
	free(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		*cause = pg_conn_message(PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	if (pg_conn_simple(pg, "SET statement_timeout = 5000", cause) != 0 ||
	    pg_conn_table_ensure(pg, PG_COUNTERS, PG_COUNTERS_SCHEMA,
	    cause) != 0) {
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* The upsert. */
static int
counter_pg_add(void *arg, const char *key, long delta, long ttl, time_t now,
    long *value, char **cause)
{
	PGconn		*pg = arg;
	PGresult	*res;
	char		 d[32], t[32];
	const char	*params[3] = { key, d, t };

	(void)now;	/* the database's clock, the same for every host */
	snprintf(d, sizeof d, "%ld", delta);
	snprintf(t, sizeof t, "%ld", ttl);
	res = PQexecParams(pg, counter_pg_add_sql, 3, NULL, params, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		*cause = pg_conn_message(PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	*value = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* The delete. */
static int
counter_pg_remove(void *arg, const char *key, time_t now, char **cause)
{
	PGconn		*pg = arg;
	PGresult	*res;
	const char	*params[1] = { key };

	(void)now;
	res = PQexecParams(pg, counter_pg_remove_sql, 1, NULL, params, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*cause = pg_conn_message(PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Close the connection. */
static void
counter_pg_close(void *arg)
{
	PQfinish(arg);
}

const struct counter_ops counter_pg_ops = {
	.name = "postgresql",
	.match = counter_pg_match,
	.open = counter_pg_open,
	.add = counter_pg_add,
	.remove = counter_pg_remove,
	.close = counter_pg_close,
};
