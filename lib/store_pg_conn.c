/*
 * Connections of the PostgreSQL store: one per worker thread, made again
 * after a failure with a back-off, and statements run on them under a
 * timeout.
 */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_pg.h"
#include "store_pg_int.h"
#include "xmalloc.h"

/* Forget a load sent ahead (its answer, if any, is the caller's business). */
void
pg_conn_prefetch_clear(struct pg_conn *pc)
{
	free(pc->pf.cookie);
	free(pc->pf.id);
	free(pc->pf.key);
	pc->pf.cookie = pc->pf.id = pc->pf.key = NULL;
}

/* A libpq message on one line (libpq adds newlines and hints); caller frees. */
char *
pg_conn_message(const char *msg)
{
	char	*out, *p;
	size_t	 len;

	if (msg == NULL || *msg == '\0')
		return xstrdup("unknown error");
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	out = xstrndup(msg, len);
	for (p = out; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	return out;
}

/* Route server notices and warnings into our log. */
static void
pg_conn_notice(void *arg, const PGresult *res)
{
	(void)arg;
	const char	*sev, *msg;
	char		*text;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	text = pg_conn_message(msg);
	if (sev != NULL && strcmp(sev, "WARNING") == 0)
		log_warnx("%s: PostgreSQL: %s", __func__, text);
	else
		log_debug("%s: PostgreSQL: %s", __func__, text);
	free(text);
}

/*
 * Collect the results of what was just sent, within timeout ms. Returns the
 * last result (caller clears; an error result when the connection failed),
 * or NULL when the server did not answer in time: libpq alone would wait
 * for a frozen server forever.
 */
PGresult *
pg_conn_wait(PGconn *pg, int sent, long timeout)
{
	PGresult	*res, *last = NULL;
	struct pollfd	 pfd;
	uint64_t	 deadline, now;

	if (!sent)
		return PQmakeEmptyPGresult(pg, PGRES_FATAL_ERROR);
	deadline = (uint64_t)clock_ms() + timeout;
	for (;;) {
		while (PQisBusy(pg)) {
			if ((now = (uint64_t)clock_ms()) >= deadline) {
				PQclear(last);
				return NULL;
			}
			pfd.fd = PQsocket(pg);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
			    errno != EINTR)
				break;
			if (!PQconsumeInput(pg))
				break;
		}
		if ((res = PQgetResult(pg)) == NULL)
			break;
		PQclear(last);
		last = res;
	}
	if (last == NULL)
		last = PQmakeEmptyPGresult(pg, PGRES_FATAL_ERROR);
	return last;
}

/* PQexec within PG_QUERY_TIMEOUT; NULL when the server hangs. */
static PGresult *
pg_conn_exec_sql(PGconn *pg, const char *sql)
{
	return pg_conn_wait(pg, PQsendQuery(pg, sql), PG_QUERY_TIMEOUT);
}

/* Run one simple command; -1 and *cause on failure. */
int
pg_conn_simple(PGconn *pg, const char *sql, char **cause)
{
	PGresult	*res;
	ExecStatusType	 status;

	if ((res = pg_conn_exec_sql(pg, sql)) == NULL) {
		xasprintf(cause, "PostgreSQL did not answer within %d ms",
		    PG_QUERY_TIMEOUT);
		return -1;
	}
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		*cause = pg_conn_message(PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* A query answering one row, within PG_QUERY_TIMEOUT; NULL and *cause. */
static PGresult *
pg_conn_one_row(PGconn *pg, const char *sql, char **cause)
{
	PGresult	*res;

	if ((res = pg_conn_exec_sql(pg, sql)) == NULL) {
		xasprintf(cause, "PostgreSQL did not answer within %d ms",
		    PG_QUERY_TIMEOUT);
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		*cause = pg_conn_message(PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Run `ddl` unless `table` exists, serialised against other processes
 * (the store's schema, sessionwrap-login's counters); -1 and *cause.
 */
int
pg_conn_table_ensure(PGconn *pg, const char *table, const char *ddl,
    char **cause)
{
	PGresult	*res;
	char		*sql;
	int		 exists, rv;

	xasprintf(&sql, "SELECT to_regclass('%s') IS NOT NULL", table);
	res = pg_conn_one_row(pg, sql, cause);
	free(sql);
	if (res == NULL)
		return -1;
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (exists)
		return 0;

	xasprintf(&sql, "BEGIN; SELECT pg_advisory_xact_lock(%s); %s COMMIT;",
	    PG_SCHEMA_LOCK, ddl);
	rv = pg_conn_simple(pg, sql, cause);
	free(sql);
	if (rv != 0) {
		if (pg_conn_simple(pg, "ROLLBACK", &sql) != 0)
			free(sql);
		return -1;
	}
	log_info("%s: created table %s", __func__, table);
	return 0;
}

/*
 * Create the store's table unless it exists; *shape says whether it is an
 * older one (kept as it is until init-db migrates it; logged once a
 * process).
 */
static int
pg_conn_schema_create(PGconn *pg, enum pg_shape *shape, char **cause)
{
	static int	 warned;
	PGresult	*res;

	if (pg_conn_table_ensure(pg, PG_TABLE, pg_sql_schema, cause) != 0)
		return -1;
	if ((res = pg_conn_one_row(pg, pg_sql_exists, cause)) == NULL)
		return -1;
	*shape = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? PG_SHAPE_TZ :
	    strcmp(PQgetvalue(res, 0, 2), "t") != 0 ? PG_SHAPE_NOGC :
	    PG_SHAPE_CURRENT;
	PQclear(res);
	if (*shape == PG_SHAPE_TZ && !warned) {
		warned = 1;
		log_warnx("%s: " PG_TABLE " has the timestamptz times of "
		    "sessionwrap 0.1; sessionwrap-ctl init-db makes them "
		    "integers (faster)", __func__);
	} else if (*shape == PG_SHAPE_NOGC && !warned) {
		warned = 1;
		log_warnx("%s: " PG_TABLE " has no gc_at column; "
		    "sessionwrap-ctl init-db adds it (saves then update "
		    "rows in place)", __func__);
	}
	return 0;
}

static int	 pg_conn_connect(struct pg_conn *, char **);
/* Prepare every statement of a set; -1 and *cause. */
static int
pg_conn_prepare(PGconn *pg, const struct pg_sql_stmt *stmts, char **cause)
{
	PGresult	*res;
	int		 i;

	for (i = 0; i < PG_NSTMTS; i++) {
		res = pg_conn_wait(pg, PQsendPrepare(pg, stmts[i].name,
		    stmts[i].sql, 0, NULL), PG_QUERY_TIMEOUT);
		if (res == NULL) {
			xasprintf(cause, "preparing %s: no answer within %d ms",
			    stmts[i].name, PG_QUERY_TIMEOUT);
			return -1;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			xasprintf(cause, "preparing %s: %s", stmts[i].name,
			    PQresultErrorMessage(res));
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

/*
 * sessionwrap-ctl init-db on an older table, in one transaction (the table
 * is locked meanwhile): the times of a table of sessionwrap 0.1 become
 * bigint Unix seconds, and a table without gc_at gets it; the connection
 * is then made again with the statements for the new shape.
 * 1 migrated, 0 nothing to do, -1 and *cause.
 */
int
pg_conn_migrate(struct pg_conn *pc, char **cause)
{
	char	*sql;
	int	 rv;

	if (pc->shape == PG_SHAPE_CURRENT)
		return 0;
	xasprintf(&sql, "BEGIN; SELECT pg_advisory_xact_lock(%s); %s %s "
	    "COMMIT;", PG_SCHEMA_LOCK, pc->shape == PG_SHAPE_TZ ?
	    pg_sql_migrate : "", pg_sql_migrate_gc);
	rv = pg_conn_simple(pc->pg, sql, cause);
	free(sql);
	if (rv != 0) {
		if (pg_conn_simple(pc->pg, "ROLLBACK", &sql) != 0)
			free(sql);
		return -1;
	}
	log_info("%s: " PG_TABLE ": %s", __func__, pc->shape == PG_SHAPE_TZ ?
	    "times are integers now, and gc_at added" : "gc_at added");
	pc->ready = 0;
	if (pg_conn_connect(pc, cause) != 0)
		return -1;
	return 1;
}

/* Forget the connection's state after it dropped or failed to come up. */
void
pg_conn_broken(struct pg_conn *pc, const char *why)
{
	uint64_t	 delay;

	pc->ready = 0;
	pc->lock_timeout = -1;
	pg_conn_prefetch_clear(pc);	/* its answer went with the connection */
	if (pc->locked)
		pc->lock_lost = 1;
	free(pc->last_error);
	pc->last_error = xstrdup(why);
	delay = PG_BACKOFF_MIN << (pc->fails < 6 ? pc->fails : 6);
	if (delay > PG_BACKOFF_MAX)
		delay = PG_BACKOFF_MAX;
	pc->fails++;
	pc->next_try = (uint64_t)clock_ms() + delay;
}

/* Connect (or reconnect) and prepare every statement. */
static int
pg_conn_connect(struct pg_conn *pc, char **cause)
{
	static const char *const keywords[] = {
		"connect_timeout", "dbname", "fallback_application_name", NULL
	};
	const char	*values[4];
	char		*err = NULL;

	if (pc->pg != NULL)
		PQreset(pc->pg);
	else {
		values[0] = PG_CONNECT_TIMEOUT;
		values[1] = pc->ps->conninfo;
		values[2] = "sessionwrap";
		values[3] = NULL;
		pc->pg = PQconnectdbParams(keywords, values, 1);
	}
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		err = pg_conn_message(PQerrorMessage(pc->pg));
		goto fail;
	}
	PQsetNoticeReceiver(pc->pg, pg_conn_notice, NULL);
	if (pg_conn_schema_create(pc->pg, &pc->shape, &err) != 0 ||
	    pg_conn_prepare(pc->pg, pc->shape == PG_SHAPE_TZ ? pg_sql_stmts_tz :
	    pc->shape == PG_SHAPE_NOGC ? pg_sql_stmts_nogc : pg_sql_stmts,
	    &err) != 0)
		goto fail;
	if (pc->fails > 0)
		log_info("%s: PostgreSQL connection restored", __func__);
	pc->ready = 1;
	pc->fails = 0;
	pc->next_try = 0;
	return 0;

fail:
	pg_conn_broken(pc, err);
	xasprintf(cause, "PostgreSQL unavailable: %s", err);
	free(err);
	return -1;
}

/*
 * A connection for one worker thread, made now (NULL and *cause when the
 * server cannot be reached: the caller retries later). Once made, it is
 * re-made by itself with back-off whenever it drops.
 */
void *
pg_conn_new(struct store *st, char **cause)
{
	struct pg_conn	*pc;

	pc = xcalloc(1, sizeof *pc);
	pc->ps = st->priv;
	pc->lock_timeout = -1;
	crypto_random(&pc->saves, sizeof pc->saves);
	pc->saves %= PG_PURGE_EVERY;
	if (pg_conn_connect(pc, cause) != 0) {
		pg_conn_free(pc);
		return NULL;
	}
	return pc;
}

/* Close a worker's connection. */
void
pg_conn_free(void *arg)
{
	struct pg_conn	*pc = arg;

	if (pc == NULL)
		return;
	if (pc->pg != NULL)
		PQfinish(pc->pg);
	free(pc->last_error);
	pg_conn_prefetch_clear(pc);
	store_last_clear(&pc->last);
	free(pc);
}

/* How long a statement may take before the server counts as hung (ms). */
long
pg_conn_stmt_timeout(struct pg_conn *pc, enum pg_stmt stmt)
{
	if (stmt == PG_LOCK && pc->lock_timeout > 0)
		return pc->lock_timeout + PG_QUERY_TIMEOUT;
	return PG_QUERY_TIMEOUT;
}

/*
 * Read and drop the answer to a load sent ahead that nobody took (the
 * request ended before its load): the connection must be idle for the next
 * statement.
 */
void
pg_conn_prefetch_drop(struct pg_conn *pc)
{
	PGresult	*res;

	if (pc->pf.cookie == NULL)
		return;
	pg_conn_prefetch_clear(pc);
	if ((res = pg_conn_wait(pc->pg, 1, pg_conn_stmt_timeout(pc,
	    PG_LOAD))) == NULL)
		pg_conn_broken(pc, "PostgreSQL did not answer a load");
	PQclear(res);
}

/* Make sure the connection is usable, respecting the back-off. */
enum store_result
pg_conn_ensure(struct pg_conn *pc, int *fresh, char **cause)
{
	*fresh = 0;
	pg_conn_prefetch_drop(pc);
	if (pc->ready && PQstatus(pc->pg) == CONNECTION_OK)
		return STORE_OK;
	if (pc->ready)
		pg_conn_broken(pc, "connection lost");
	if ((uint64_t)clock_ms() < pc->next_try) {
		xasprintf(cause, "PostgreSQL unavailable: %s", pc->last_error);
		return STORE_ERROR;
	}
	if (pg_conn_connect(pc, cause) != 0) {
		if (pc->fails == 1)
			log_warnx("%s: %s; reconnecting with back-off",
			    __func__, *cause);
		return STORE_ERROR;
	}
	*fresh = 1;
	return STORE_OK;
}

/* Execute a prepared statement within its time limit; NULL on a hang. */
static PGresult *
pg_conn_exec(struct pg_conn *pc, enum pg_stmt stmt, int n,
    const char *const *params)
{
	return pg_conn_wait(pc->pg, PQsendQueryPrepared(pc->pg,
	    pg_sql_stmts[stmt].name, n, params, NULL, NULL, 0),
	    pg_conn_stmt_timeout(pc, stmt));
}

/*
 * True when an error means the connection is gone even if libpq still calls
 * it open: no SQLSTATE (a client-side failure such as "server closed the
 * connection unexpectedly"), a connection exception (08) or an operator
 * intervention such as a shutdown or crash of the server (57P).
 */
static int
pg_conn_gone(const char *state)
{
	return state == NULL || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0;
}

/*
 * Run a prepared statement. A connection found dead is re-made once and the
 * statement retried (every statement here is safe to repeat). Returns the
 * result (caller clears) or NULL with *rv and *cause.
 */
PGresult *
pg_conn_run(struct pg_conn *pc, enum pg_stmt stmt, int n,
    const char *const *params, enum store_result *rv, char **cause)
{
	PGresult	*res;
	ExecStatusType	 status;
	const char	*state;
	int		 fresh, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((*rv = pg_conn_ensure(pc, &fresh, cause)) != STORE_OK)
			return NULL;
		res = pg_conn_exec(pc, stmt, n, params);
		if (res == NULL) {
			/* Hung server: drop the connection, never wait on it. */
			xasprintf(cause, "PostgreSQL did not answer within %ld ms",
			    pg_conn_stmt_timeout(pc, stmt));
			pg_conn_broken(pc, *cause);
			*rv = STORE_ERROR;
			return NULL;
		}
		status = PQresultStatus(res);
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
			return res;

		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (PQstatus(pc->pg) != CONNECTION_OK || pg_conn_gone(state)) {
			PQclear(res);
			pg_conn_broken(pc, "connection lost");
			pc->next_try = 0;	/* reconnect at once, once */
			/* Not while a lock is held: it went with the connection. */
			if (!fresh && !pc->locked)
				continue;
			*cause = xstrdup("PostgreSQL connection lost");
			*rv = STORE_ERROR;
			return NULL;
		}
		if (state != NULL && strcmp(state, "55P03") == 0) {
			*rv = STORE_TIMEOUT;
			*cause = xstrdup("session lock not acquired within "
			    "lock_timeout");
		} else if (state != NULL && strcmp(state, "23505") == 0) {
			*rv = STORE_CONFLICT;
			*cause = xstrdup("session already stored");
		} else {
			*rv = STORE_ERROR;
			*cause = pg_conn_message(PQresultErrorMessage(res));
		}
		PQclear(res);
		return NULL;
	}
	*rv = STORE_ERROR;
	*cause = xstrdup("PostgreSQL connection lost");
	return NULL;
}
