/* PostgreSQL session store (libpq): one row per session, compare-and-swap on a version column. */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <jansson.h>

#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_pg.h"
#include "xmalloc.h"

#define PG_TABLE		"sessionwrap_sessions"
#define PG_CONNECT_TIMEOUT	"3"	/* seconds, unless the conninfo says */
#define PG_BACKOFF_MIN		100	/* ms before the first reconnect attempt */
#define PG_QUERY_TIMEOUT	5000	/* ms a statement may take (a lock: plus lock_timeout) */
#define PG_BACKOFF_MAX		1000	/* ms, ceiling: service resumes within a second */
#define PG_PURGE_EVERY		1000	/* saves per connection between purges */
#define PG_PURGE_BATCH		"500"	/* rows one opportunistic purge deletes */
#define PG_EXPIRES_STEP		60	/* seconds expires_at may be rounded up */
#define PG_SCHEMA_LOCK		"7526735719"	/* advisory lock serialising CREATE */

/*
 * The schema, also shipped as contrib/schema.sql (tests compare the two).
 * Times are timestamptz for operators; the code passes Unix times through
 * to_timestamp() so the caller's clock decides expiry.
 */
static const char pg_schema[] =
"CREATE TABLE IF NOT EXISTS " PG_TABLE " (\n"
"\tkey\t\ttext PRIMARY KEY,\t\t-- keyed hash of the session id\n"
"\tpublic_id\ttext NOT NULL,\t\t-- SESSION_ID as the handler sees it\n"
"\tdata\t\tjsonb NOT NULL DEFAULT '{}',\n"
"\tusername\ttext,\n"
"\tws_id\t\ttext,\n"
"\tcreated_at\ttimestamptz NOT NULL,\n"
"\taccess_at\ttimestamptz NOT NULL,\n"
"\tmax_age\t\tbigint NOT NULL DEFAULT 0,\t-- per-session idle timeout\n"
"\texpires_at\ttimestamptz NOT NULL,\n"
"\tdoomed\t\tboolean NOT NULL DEFAULT false,\t-- replaced; readable until expires_at\n"
"\tversion\t\tbigint NOT NULL DEFAULT 1\n"
");\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_expires_idx ON " PG_TABLE " (expires_at);\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_username_idx ON " PG_TABLE " (username)\n"
"\tWHERE username IS NOT NULL;\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_public_id_idx ON " PG_TABLE " (public_id);\n";

#define PG_COLUMNS \
	"data, username, ws_id, extract(epoch FROM created_at)::bigint, " \
	"extract(epoch FROM access_at)::bigint, max_age, version, " \
	"extract(epoch FROM expires_at)::bigint"

/* What a save returns: the new version and when the row ends. */
#define PG_RETURNING \
	"RETURNING version, extract(epoch FROM expires_at)::bigint"

/* The set clause shared by both updates: a doomed row never gets later expiry. */
#define PG_SET \
	"data = $3::jsonb, username = $4, ws_id = $5, " \
	"created_at = to_timestamp($6), access_at = to_timestamp($7), " \
	"max_age = $8, expires_at = CASE WHEN " PG_TABLE ".doomed " \
	"THEN LEAST(" PG_TABLE ".expires_at, to_timestamp($9)) " \
	"ELSE to_timestamp($9) END, version = " PG_TABLE ".version + 1"

#define PG_INSERT \
	"INSERT INTO " PG_TABLE " (key, public_id, data, username, ws_id, " \
	"created_at, access_at, max_age, expires_at) VALUES ($1, $2, " \
	"$3::jsonb, $4, $5, to_timestamp($6), to_timestamp($7), $8, " \
	"to_timestamp($9)) "

/* Prepared statements, made on every (re)connection. */
enum pg_stmt {
	PG_LOAD,	/* $1 key, $2 now */
	PG_INSERT_NEW,	/* version 0 with CAS: a clash is a conflict */
	PG_UPSERT,	/* version 0 without CAS */
	PG_UPDATE,	/* $1 key, $2 version or NULL (no CAS), ..., $10 now,
			   $11 public id */
	PG_DELETE,	/* $1 key */
	PG_DOOM,	/* $1 key, $2 end of grace */
	PG_GC,		/* $1 now */
	PG_PURGE,	/* $1 now: a bounded batch of expired rows */
	PG_REVOKE,	/* $1 username */
	PG_SHOW,	/* $1 key, $2 public id, $3 now */
	PG_LOCK,	/* $1 advisory lock key */
	PG_UNLOCK,	/* $1 advisory lock key */
	PG_COUNT,	/* $1 now: live and expired row counts */
	PG_REKEY,	/* $1 old key, $2 key, $3 public id, $4 now */
	PG_NSTMTS
};

static const struct {
	const char	*name;
	const char	*sql;
} pg_stmts[PG_NSTMTS] = {
	[PG_LOAD] = { "sw_load",
	    "SELECT " PG_COLUMNS " FROM " PG_TABLE
	    " WHERE key = $1 AND expires_at > to_timestamp($2)" },
	[PG_INSERT_NEW] = { "sw_insert",
	    PG_INSERT "ON CONFLICT (key) DO NOTHING " PG_RETURNING },
	[PG_UPSERT] = { "sw_upsert",
	    PG_INSERT "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, "
	    "public_id = EXCLUDED.public_id, "
	    "username = EXCLUDED.username, ws_id = EXCLUDED.ws_id, "
	    "created_at = EXCLUDED.created_at, access_at = EXCLUDED.access_at, "
	    "max_age = EXCLUDED.max_age, expires_at = CASE WHEN "
	    PG_TABLE ".doomed THEN LEAST(" PG_TABLE ".expires_at, "
	    "EXCLUDED.expires_at) ELSE EXCLUDED.expires_at END, "
	    "version = " PG_TABLE ".version + 1 " PG_RETURNING },
	[PG_UPDATE] = { "sw_update",
	    "UPDATE " PG_TABLE " SET " PG_SET ", public_id = $11 WHERE key = $1 AND "
	    "($2::bigint IS NULL OR version = $2::bigint) AND "
	    "expires_at > to_timestamp($10) " PG_RETURNING },
	[PG_DELETE] = { "sw_delete",
	    "DELETE FROM " PG_TABLE " WHERE key = $1" },
	[PG_DOOM] = { "sw_doom",
	    "UPDATE " PG_TABLE " SET expires_at = LEAST(expires_at, "
	    "to_timestamp($2)), doomed = true, version = version + 1 "
	    "WHERE key = $1" },
	[PG_GC] = { "sw_gc",
	    "DELETE FROM " PG_TABLE " WHERE expires_at <= to_timestamp($1)" },
	[PG_PURGE] = { "sw_purge",
	    "DELETE FROM " PG_TABLE " WHERE key IN (SELECT key FROM " PG_TABLE
	    " WHERE expires_at <= to_timestamp($1) LIMIT " PG_PURGE_BATCH
	    " FOR UPDATE SKIP LOCKED)" },
	[PG_REVOKE] = { "sw_revoke",
	    "DELETE FROM " PG_TABLE " WHERE username = $1 RETURNING key, ws_id" },
	[PG_SHOW] = { "sw_show",
	    "SELECT " PG_COLUMNS " FROM " PG_TABLE " WHERE (key = $1 OR "
	    "public_id = $2) AND expires_at > to_timestamp($3) LIMIT 1" },
	[PG_LOCK] = { "sw_lock",
	    "SELECT pg_advisory_lock($1::bigint)" },
	[PG_UNLOCK] = { "sw_unlock",
	    "SELECT pg_advisory_unlock($1::bigint)" },
	[PG_COUNT] = { "sw_count",
	    "SELECT count(*) FILTER (WHERE expires_at > to_timestamp($1)), "
	    "count(*) FILTER (WHERE expires_at <= to_timestamp($1)), "
	    "count(DISTINCT username) FILTER (WHERE expires_at > "
	    "to_timestamp($1)), pg_total_relation_size('" PG_TABLE "') "
	    "FROM " PG_TABLE },
	[PG_REKEY] = { "sw_rekey",
	    "UPDATE " PG_TABLE " SET key = $2, public_id = $3 WHERE key = $1 "
	    "AND expires_at > to_timestamp($4) RETURNING " PG_COLUMNS },
};

/* Process-wide state: the connection string. */
struct pg_store {
	char		*conninfo;
};

/* Per-thread state: one connection, its back-off and the lock it holds. */
struct pg_conn {
	struct pg_store	*ps;
	PGconn		*pg;
	int		 ready;		/* connected and statements prepared */
	unsigned	 fails;		/* consecutive failed connection attempts */
	uint64_t	 next_try;	/* monotonic ms before which we do not retry */
	char		*last_error;	/* why the last attempt failed */
	long		 lock_timeout;	/* ms last SET, -1 unknown */
	int		 locked;	/* an advisory lock is held */
	int		 lock_lost;	/* the connection holding it dropped */
	char		 lock_key[24];
	unsigned	 saves;		/* counter for opportunistic purges */
	struct {			/* a load sent ahead (pg_prefetch) */
		char	*cookie;	/* NULL: none under way */
		char	*id;		/* its session id, checked */
		char	*key;		/* and store key */
		int	 keyidx;	/* the key that signed the cookie */
		time_t	 now;
	}		 pf;
};

/* Forget a load sent ahead (its answer, if any, is the caller's business). */
static void
pg_prefetch_clear(struct pg_conn *pc)
{
	free(pc->pf.cookie);
	free(pc->pf.id);
	free(pc->pf.key);
	pc->pf.cookie = pc->pf.id = pc->pf.key = NULL;
}

/* Monotonic clock in milliseconds, for the back-off. */
static uint64_t
pg_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A libpq message on one line (libpq adds newlines and hints); caller frees. */
static char *
pg_message(const char *msg)
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
pg_notice(void *arg, const PGresult *res)
{
	const char	*sev, *msg;
	char		*text;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	text = pg_message(msg);
	if (sev != NULL && strcmp(sev, "WARNING") == 0)
		log_warnx("%s: PostgreSQL: %s", __func__, text);
	else
		log_debug("%s: PostgreSQL: %s", __func__, text);
	free(text);
}

/* Does this backend take the store value? */
static int
pg_match(const char *uri)
{
	return strncmp(uri, "postgresql:", 11) == 0 ||
	    strncmp(uri, "postgres:", 9) == 0;
}

/*
 * The libpq connection string for a store value: URIs go through as they
 * are, "postgresql:key=value ..." is a keyword/value conninfo.
 */
static char *
pg_conninfo(const char *uri)
{
	const char	*rest;

	rest = strchr(uri, ':') + 1;
	if (strncmp(rest, "//", 2) == 0)
		return xstrdup(uri);
	return xstrdup(rest);
}

/* Parse and check the connection string; no connection is made yet. */
static void *
pg_open(struct store *st, char **cause)
{
	struct pg_store	*ps;
	PQconninfoOption *opts;
	char		*conninfo, *err = NULL;

	if (st->keys == NULL || keyring_count(st->keys) == 0) {
		*cause = xstrdup("the PostgreSQL store needs secret_file "
		    "(keys for signed ids and store keys)");
		return NULL;
	}
	conninfo = pg_conninfo(st->cfg->store);
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		xasprintf(cause, "bad PostgreSQL connection string: %s",
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		free(conninfo);
		return NULL;
	}
	PQconninfoFree(opts);
	ps = xcalloc(1, sizeof *ps);
	ps->conninfo = conninfo;
	return ps;
}

/* Release the process-wide state. */
static void
pg_close(void *arg)
{
	struct pg_store	*ps = arg;

	if (ps == NULL)
		return;
	free(ps->conninfo);
	free(ps);
}

/*
 * Collect the results of what was just sent, within timeout ms. Returns the
 * last result (caller clears; an error result when the connection failed),
 * or NULL when the server did not answer in time: libpq alone would wait
 * for a frozen server forever.
 */
static PGresult *
pg_wait(PGconn *pg, int sent, long timeout)
{
	PGresult	*res, *last = NULL;
	struct pollfd	 pfd;
	uint64_t	 deadline, now;

	if (!sent)
		return PQmakeEmptyPGresult(pg, PGRES_FATAL_ERROR);
	deadline = pg_now_ms() + timeout;
	for (;;) {
		while (PQisBusy(pg)) {
			if ((now = pg_now_ms()) >= deadline) {
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
pg_exec_sql(PGconn *pg, const char *sql)
{
	return pg_wait(pg, PQsendQuery(pg, sql), PG_QUERY_TIMEOUT);
}

/* Run one simple command; -1 and *cause on failure. */
static int
pg_simple(PGconn *pg, const char *sql, char **cause)
{
	PGresult	*res;
	ExecStatusType	 status;

	if ((res = pg_exec_sql(pg, sql)) == NULL) {
		xasprintf(cause, "PostgreSQL did not answer within %d ms",
		    PG_QUERY_TIMEOUT);
		return -1;
	}
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		*cause = pg_message(PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Create the table unless it exists, serialised against other processes. */
static int
pg_schema_create(PGconn *pg, char **cause)
{
	PGresult	*res;
	char		*sql;
	int		 exists, rv;

	res = pg_exec_sql(pg, "SELECT to_regclass('" PG_TABLE "') IS NOT NULL");
	if (res == NULL) {
		xasprintf(cause, "PostgreSQL did not answer within %d ms",
		    PG_QUERY_TIMEOUT);
		return -1;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		*cause = pg_message(PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (exists)
		return 0;

	xasprintf(&sql, "BEGIN; SELECT pg_advisory_xact_lock(%s); %s COMMIT;",
	    PG_SCHEMA_LOCK, pg_schema);
	rv = pg_simple(pg, sql, cause);
	free(sql);
	if (rv != 0) {
		if (pg_simple(pg, "ROLLBACK", &sql) != 0)
			free(sql);
		return -1;
	}
	log_info("%s: created table " PG_TABLE, __func__);
	return 0;
}

/* Forget the connection's state after it dropped or failed to come up. */
static void
pg_conn_broken(struct pg_conn *pc, const char *why)
{
	uint64_t	 delay;

	pc->ready = 0;
	pc->lock_timeout = -1;
	pg_prefetch_clear(pc);	/* its answer went with the connection */
	if (pc->locked)
		pc->lock_lost = 1;
	free(pc->last_error);
	pc->last_error = xstrdup(why);
	delay = PG_BACKOFF_MIN << (pc->fails < 6 ? pc->fails : 6);
	if (delay > PG_BACKOFF_MAX)
		delay = PG_BACKOFF_MAX;
	pc->fails++;
	pc->next_try = pg_now_ms() + delay;
}

/* Connect (or reconnect) and prepare every statement. */
static int
pg_connect(struct pg_conn *pc, char **cause)
{
	static const char *const keywords[] = {
		"connect_timeout", "dbname", "fallback_application_name", NULL
	};
	const char	*values[4];
	PGresult	*res;
	char		*err = NULL;
	int		 i;

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
		err = pg_message(PQerrorMessage(pc->pg));
		goto fail;
	}
	PQsetNoticeReceiver(pc->pg, pg_notice, NULL);
	if (pg_schema_create(pc->pg, &err) != 0)
		goto fail;
	for (i = 0; i < PG_NSTMTS; i++) {
		res = pg_wait(pc->pg, PQsendPrepare(pc->pg, pg_stmts[i].name,
		    pg_stmts[i].sql, 0, NULL), PG_QUERY_TIMEOUT);
		if (res == NULL) {
			xasprintf(&err, "preparing %s: no answer within %d ms",
			    pg_stmts[i].name, PG_QUERY_TIMEOUT);
			goto fail;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			xasprintf(&err, "preparing %s: %s", pg_stmts[i].name,
			    PQresultErrorMessage(res));
			PQclear(res);
			goto fail;
		}
		PQclear(res);
	}
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

static void	pg_conn_free(void *);

/*
 * A connection for one worker thread, made now (NULL and *cause when the
 * server cannot be reached: the caller retries later). Once made, it is
 * re-made by itself with back-off whenever it drops.
 */
static void *
pg_conn_new(struct store *st, char **cause)
{
	struct pg_conn	*pc;

	pc = xcalloc(1, sizeof *pc);
	pc->ps = st->priv;
	pc->lock_timeout = -1;
	crypto_random(&pc->saves, sizeof pc->saves);
	pc->saves %= PG_PURGE_EVERY;
	if (pg_connect(pc, cause) != 0) {
		pg_conn_free(pc);
		return NULL;
	}
	return pc;
}

/* Close a worker's connection. */
static void
pg_conn_free(void *arg)
{
	struct pg_conn	*pc = arg;

	if (pc == NULL)
		return;
	if (pc->pg != NULL)
		PQfinish(pc->pg);
	free(pc->last_error);
	pg_prefetch_clear(pc);
	free(pc);
}

/* How long a statement may take before the server counts as hung (ms). */
static long
pg_stmt_timeout(struct pg_conn *pc, enum pg_stmt stmt)
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
static void
pg_prefetch_drop(struct pg_conn *pc)
{
	PGresult	*res;

	if (pc->pf.cookie == NULL)
		return;
	pg_prefetch_clear(pc);
	if ((res = pg_wait(pc->pg, 1, pg_stmt_timeout(pc, PG_LOAD))) == NULL)
		pg_conn_broken(pc, "PostgreSQL did not answer a load");
	PQclear(res);
}

/* Make sure the connection is usable, respecting the back-off. */
static enum store_result
pg_ensure(struct pg_conn *pc, int *fresh, char **cause)
{
	*fresh = 0;
	pg_prefetch_drop(pc);
	if (pc->ready && PQstatus(pc->pg) == CONNECTION_OK)
		return STORE_OK;
	if (pc->ready)
		pg_conn_broken(pc, "connection lost");
	if (pg_now_ms() < pc->next_try) {
		xasprintf(cause, "PostgreSQL unavailable: %s", pc->last_error);
		return STORE_ERROR;
	}
	if (pg_connect(pc, cause) != 0) {
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
pg_exec(struct pg_conn *pc, enum pg_stmt stmt, int n,
    const char *const *params)
{
	return pg_wait(pc->pg, PQsendQueryPrepared(pc->pg, pg_stmts[stmt].name,
	    n, params, NULL, NULL, 0), pg_stmt_timeout(pc, stmt));
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
static PGresult *
pg_run(struct pg_conn *pc, enum pg_stmt stmt, int n, const char *const *params,
    enum store_result *rv, char **cause)
{
	PGresult	*res;
	ExecStatusType	 status;
	const char	*state;
	int		 fresh, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((*rv = pg_ensure(pc, &fresh, cause)) != STORE_OK)
			return NULL;
		res = pg_exec(pc, stmt, n, params);
		if (res == NULL) {
			/* Hung server: drop the connection, never wait on it. */
			xasprintf(cause, "PostgreSQL did not answer within %ld ms",
			    pg_stmt_timeout(pc, stmt));
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
			*cause = pg_message(PQresultErrorMessage(res));
		}
		PQclear(res);
		return NULL;
	}
	*rv = STORE_ERROR;
	*cause = xstrdup("PostgreSQL connection lost");
	return NULL;
}

/* Parse a bigint column; 0 when NULL or bad. */
static long long
pg_getll(const PGresult *res, int col)
{
	if (PQgetisnull(res, 0, col))
		return 0;
	return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

/* Build a session from a row of PG_COLUMNS; takes ownership of id. */
static struct session *
pg_session_from_row(const PGresult *res, char *id, time_t now, char **cause)
{
	struct session	*s;
	json_t		*data;
	json_error_t	 jerr;

	data = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	if (data == NULL || !json_is_object(data)) {
		json_decref(data);
		xasprintf(cause, "stored session data is not a JSON object");
		free(id);
		return NULL;
	}
	s = session_from_store(id, PQgetisnull(res, 0, 2) ? NULL :
	    xstrdup(PQgetvalue(res, 0, 2)), data);
	s->user = PQgetisnull(res, 0, 1) ? NULL :
	    xstrdup(PQgetvalue(res, 0, 1));
	s->created = (time_t)pg_getll(res, 3);
	s->access = (time_t)pg_getll(res, 4);
	s->max_age = (long)pg_getll(res, 5);
	s->version = (uint64_t)pg_getll(res, 6);
	s->is_new = 0;
	s->changed = 0;
	return s;
}

/*
 * After a key rotation, find a session stored under an older key and move
 * it to the current one in the same statement. NULL when there is none.
 */
static PGresult *
pg_rekey(struct store *st, struct pg_conn *pc, const char *id,
    const char *key, const char *nowbuf, enum store_result *rv, char **cause)
{
	PGresult	*res;
	const char	*params[4];
	char		*old, *pub;
	size_t		 n;

	pub = store_public_id(st->keys, id);
	params[1] = key;
	params[2] = pub;
	params[3] = nowbuf;
	for (n = 1; n < keyring_count(st->keys); n++) {
		old = store_key_n(st->keys, n, id);
		params[0] = old;
		res = pg_run(pc, PG_REKEY, 4, params, rv, cause);
		free(old);
		if (res == NULL || PQntuples(res) == 1) {
			free(pub);
			return res;
		}
		PQclear(res);
	}
	free(pub);
	*rv = STORE_NOTFOUND;
	return NULL;
}

/*
 * Load the session a cookie value names; forged ids never reach the server.
 * *until, when asked, is the row's expires_at.
 */
enum store_result
store_pg_load(struct store *st, void *conn, const char *cookie, time_t now,
    struct session **out, time_t *until, char **cause)
{
	struct pg_conn	*pc = conn;
	PGresult	*res;
	enum store_result rv;
	const char	*params[2];
	char		*id, *key, nowbuf[32];
	int		 keyidx;

	*out = NULL;
	res = NULL;
	if (cookie != NULL && pc->pf.cookie != NULL && pc->pf.now == now &&
	    strcmp(pc->pf.cookie, cookie) == 0) {
		/*
		 * Sent ahead by pg_prefetch, which checked the cookie and made
		 * the key: only the answer is left.
		 */
		id = pc->pf.id;
		key = pc->pf.key;
		keyidx = pc->pf.keyidx;
		pc->pf.id = pc->pf.key = NULL;
		pg_prefetch_clear(pc);
		if ((res = pg_wait(pc->pg, 1, pg_stmt_timeout(pc,
		    PG_LOAD))) == NULL) {
			xasprintf(cause, "PostgreSQL did not answer within "
			    "%ld ms", pg_stmt_timeout(pc, PG_LOAD));
			pg_conn_broken(pc, *cause);
			free(key);
			free(id);
			return STORE_ERROR;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			/* pg_run tells a lost connection from an error. */
			PQclear(res);
			res = NULL;
		}
	} else {
		if (cookie == NULL || (keyidx = store_verify_id_key(st->keys,
		    cookie, &id)) == -1)
			return STORE_NOTFOUND;
		key = store_key(st->keys, id);
	}
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = key;
	params[1] = nowbuf;
	if (res == NULL)
		res = pg_run(pc, PG_LOAD, 2, params, &rv, cause);
	if (res != NULL && PQntuples(res) != 1 && keyring_count(st->keys) > 1) {
		PQclear(res);
		res = pg_rekey(st, pc, id, key, nowbuf, &rv, cause);
		if (res == NULL && rv == STORE_CONFLICT) {
			/* Another request moved it first. */
			free(*cause);
			*cause = NULL;
			res = pg_run(pc, PG_LOAD, 2, params, &rv, cause);
		}
	}
	free(key);
	if (res == NULL) {
		free(id);
		return rv;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		free(id);
		return STORE_NOTFOUND;
	}
	*out = pg_session_from_row(res, id, now, cause);
	if (until != NULL)
		*until = (time_t)pg_getll(res, 7);
	PQclear(res);
	if (*out == NULL)
		return STORE_ERROR;
	if (session_expired(*out, st->cfg, now)) {
		/* Timeouts shortened since it was stored. */
		session_free(*out);
		*out = NULL;
		return STORE_NOTFOUND;
	}
	store_rekeyed(*out, keyidx);
	return STORE_OK;
}

/*
 * Send the load of the session a cookie names without waiting, so that
 * PostgreSQL works on it while the request is prepared; the load of the
 * same cookie then only reads the answer. Only on a ready connection, and
 * nothing is reported: the load does the work again if this did not.
 */
static void
pg_prefetch(struct store *st, void *conn, const char *cookie, time_t now)
{
	struct pg_conn	*pc = conn;
	const char	*params[2];
	char		*id, *key, nowbuf[32];
	int		 keyidx;

	pg_prefetch_drop(pc);
	if (!pc->ready || PQstatus(pc->pg) != CONNECTION_OK ||
	    cookie == NULL ||
	    (keyidx = store_verify_id_key(st->keys, cookie, &id)) == -1)
		return;
	key = store_key(st->keys, id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = key;
	params[1] = nowbuf;
	if (!PQsendQueryPrepared(pc->pg, pg_stmts[PG_LOAD].name, 2, params,
	    NULL, NULL, 0)) {
		free(key);
		free(id);
		return;
	}
	pc->pf.cookie = xstrdup(cookie);
	pc->pf.id = id;
	pc->pf.key = key;
	pc->pf.keyidx = keyidx;
	pc->pf.now = now;
}

/* Load the session a cookie value names. */
static enum store_result
pg_load(struct store *st, void *conn, const char *cookie, time_t now,
    struct session **out, char **cause)
{
	return store_pg_load(st, conn, cookie, now, out, NULL, cause);
}

/* Delete a bounded batch of expired rows now and then; failures only logged. */
static void
pg_purge(struct pg_conn *pc, time_t now)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	char		*cause = NULL, nowbuf[32];

	if (++pc->saves % PG_PURGE_EVERY != 0)
		return;
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = nowbuf;
	if ((res = pg_run(pc, PG_PURGE, 1, params, &rv, &cause)) == NULL) {
		log_warnx("%s: purging expired sessions: %s", __func__, cause);
		free(cause);
		return;
	}
	log_debug("%s: purged %s expired sessions", __func__, PQcmdTuples(res));
	PQclear(res);
}

/*
 * The expires_at a save stores: the session's end rounded up to a step of
 * 1/32 of its remaining life, at most PG_EXPIRES_STEP seconds. Requests of
 * one session a few seconds apart then leave every indexed column as it
 * was, and PostgreSQL updates the row in place (HOT) instead of adding an
 * entry to each index. Loads still check the exact idle and absolute
 * limits; only purging sees the row up to a step later.
 */
static time_t
pg_expires(time_t expires, time_t now)
{
	time_t	 step;

	if (expires == SESSION_NEVER || expires <= now)
		return expires;
	step = (expires - now) / 32;
	if (step > PG_EXPIRES_STEP)
		step = PG_EXPIRES_STEP;
	if (step <= 1 || expires > SESSION_NEVER - step)
		return expires;
	return (expires + step - 1) / step * step;
}

/*
 * Save a session: insert when new, else update (with CAS when asked).
 * *until, when asked, is the row's expires_at afterwards.
 */
enum store_result
store_pg_save(struct store *st, void *conn, struct session *s, int cas,
    time_t now, char **cookie, time_t *until, char **cause)
{
	struct pg_conn	*pc = conn;
	PGresult	*res;
	enum store_result rv;
	enum pg_stmt	 stmt;
	const char	*params[11];
	char		*key, *pub = NULL, *data;
	char		 ver[32], created[32], access[32], maxage[32];
	char		 expires[32], nowbuf[32];
	time_t		 oaccess;

	*cookie = NULL;
	if (pc->locked && pc->lock_lost) {
		*cause = xstrdup("session lock lost with the PostgreSQL "
		    "connection");
		return STORE_ERROR;
	}
	data = json_dumps(s->data, JSON_COMPACT);
	if (data == NULL) {
		*cause = xstrdup("session data cannot be serialized");
		return STORE_ERROR;
	}
	if (st->cfg->max_session_size > 0 &&
	    (long)strlen(data) > st->cfg->max_session_size) {
		free(data);
		*cause = xstrdup("session data larger than max_session_size");
		return STORE_TOOBIG;
	}

	oaccess = s->access;
	s->access = now;
	key = store_key(st->keys, s->id);
	snprintf(created, sizeof created, "%lld", (long long)s->created);
	snprintf(access, sizeof access, "%lld", (long long)s->access);
	snprintf(maxage, sizeof maxage, "%ld", s->max_age);
	snprintf(expires, sizeof expires, "%lld",
	    (long long)pg_expires(session_expires(s, st->cfg), now));
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(ver, sizeof ver, "%" PRIu64, s->version);

	params[0] = key;
	params[2] = data;
	params[3] = s->user;
	params[4] = s->ws_id;
	params[5] = created;
	params[6] = access;
	params[7] = maxage;
	params[8] = expires;
	/* Rows from before SESSION_ID outlived keys get today's on a save. */
	pub = store_public_id(st->keys, s->id);
	if (s->version == 0) {
		params[1] = pub;
		stmt = cas ? PG_INSERT_NEW : PG_UPSERT;
		res = pg_run(pc, stmt, 9, params, &rv, cause);
	} else {
		params[1] = cas ? ver : NULL;
		params[9] = nowbuf;
		params[10] = pub;
		res = pg_run(pc, PG_UPDATE, 11, params, &rv, cause);
	}
	free(pub);
	free(key);
	free(data);
	if (res == NULL) {
		s->access = oaccess;
		return rv;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		s->access = oaccess;
		if (cas)
			return STORE_CONFLICT;
		/* Gone (logout, expiry): never resurrect it. */
		*cause = xstrdup("session no longer stored");
		return STORE_NOTFOUND;
	}
	s->version = (uint64_t)pg_getll(res, 0);
	if (until != NULL)
		*until = (time_t)pg_getll(res, 1);
	PQclear(res);
	*cookie = store_sign_id(st->keys, s->id);
	pg_purge(pc, now);
	return STORE_OK;
}

/* Save a session. */
static enum store_result
pg_save(struct store *st, void *conn, struct session *s, int cas, time_t now,
    char **cookie, char **cause)
{
	return store_pg_save(st, conn, s, cas, now, cookie, NULL, cause);
}

/* Delete a session by id, or leave it readable for `grace` seconds. */
static enum store_result
pg_destroy(struct store *st, void *conn, const char *id, long grace,
    time_t now, char **cause)
{
	struct pg_conn	*pc = conn;
	PGresult	*res;
	enum store_result rv;
	const char	*params[2];
	char		*key, until[32];

	key = store_key(st->keys, id);
	params[0] = key;
	if (grace > 0) {
		snprintf(until, sizeof until, "%lld", (long long)now + grace);
		params[1] = until;
		res = pg_run(pc, PG_DOOM, 2, params, &rv, cause);
	} else
		res = pg_run(pc, PG_DELETE, 1, params, &rv, cause);
	free(key);
	if (res == NULL)
		return rv;
	PQclear(res);
	return STORE_OK;
}

/* Advisory lock key: the first 64 bits of the store key. */
static void
pg_lock_key(const char *key, char *buf, size_t len)
{
	char		 hex[17];

	strncpy(hex, key, 16);
	hex[16] = '\0';
	snprintf(buf, len, "%lld", (long long)strtoull(hex, NULL, 16));
}

/* Take the session's advisory lock, waiting at most `timeout` seconds. */
static enum store_result
pg_lock(struct store *st, void *conn, const char *cookie, long timeout,
    char **cause)
{
	struct pg_conn	*pc = conn;
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	char		*id, *key, sql[64];
	int		 fresh;

	if (pc->locked) {
		*cause = xstrdup("a session lock is already held");
		return STORE_ERROR;
	}
	if (cookie == NULL || store_verify_id(st->keys, cookie, &id) != 0)
		return STORE_NOTFOUND;
	key = store_key(st->keys, id);
	free(id);
	pg_lock_key(key, pc->lock_key, sizeof pc->lock_key);
	free(key);

	if ((rv = pg_ensure(pc, &fresh, cause)) != STORE_OK)
		return rv;
	if (timeout <= 0)
		timeout = 1;
	if (pc->lock_timeout != timeout * 1000) {
		snprintf(sql, sizeof sql, "SET lock_timeout = %ld",
		    timeout * 1000);
		if (pg_simple(pc->pg, sql, cause) != 0) {
			pg_conn_broken(pc, *cause);
			pc->next_try = 0;
			return STORE_ERROR;
		}
		pc->lock_timeout = timeout * 1000;
	}
	params[0] = pc->lock_key;
	if ((res = pg_run(pc, PG_LOCK, 1, params, &rv, cause)) == NULL)
		return rv;
	PQclear(res);
	pc->locked = 1;
	pc->lock_lost = 0;
	return STORE_OK;
}

/* Release the lock pg_lock took, if any. */
static void
pg_unlock(struct store *st, void *conn)
{
	struct pg_conn	*pc = conn;
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	char		*cause = NULL;

	if (!pc->locked)
		return;
	pc->locked = 0;
	if (pc->lock_lost) {
		/* The server released it with the connection. */
		pc->lock_lost = 0;
		return;
	}
	params[0] = pc->lock_key;
	if ((res = pg_run(pc, PG_UNLOCK, 1, params, &rv, &cause)) == NULL) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
		return;
	}
	PQclear(res);
}

/* Run a statement that reports a row count, into *n. */
static enum store_result
pg_count(struct pg_conn *pc, enum pg_stmt stmt, const char *arg, long *n,
    char **cause)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];

	*n = 0;
	params[0] = arg;
	if ((res = pg_run(pc, stmt, 1, params, &rv, cause)) == NULL)
		return rv;
	*n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

/* Purge every expired session (sessionwrap-ctl gc). */
static enum store_result
pg_gc(struct store *st, void *conn, time_t now, long *n, char **cause)
{
	char	 nowbuf[32];

	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	return pg_count(conn, PG_GC, nowbuf, n, cause);
}

/* Delete every session of a user (sessionwrap-ctl revoke --user). */
static enum store_result
pg_revoke_user(struct store *st, void *conn, const char *user, long *n,
    char ***ws_ids, char **cause)
{
	enum store_result rv;
	char		**keys;
	long		 i;

	if ((rv = store_pg_revoke_user(st, conn, user, &keys, ws_ids, n,
	    cause)) != STORE_OK)
		return rv;
	for (i = 0; i < *n; i++)
		free(keys[i]);
	free(keys);
	return STORE_OK;
}

/* Delete every session of a user, and tell their store keys. */
enum store_result
store_pg_revoke_user(struct store *st, void *conn, const char *user,
    char ***keys, char ***ws_ids, long *n, char **cause)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	int		 i, j = 0;

	*keys = *ws_ids = NULL;
	*n = 0;
	params[0] = user;
	if ((res = pg_run(conn, PG_REVOKE, 1, params, &rv, cause)) == NULL)
		return rv;
	*n = PQntuples(res);
	*keys = xcalloc(*n + 1, sizeof **keys);
	*ws_ids = xcalloc(*n + 1, sizeof **ws_ids);
	for (i = 0; i < PQntuples(res); i++) {
		(*keys)[i] = xstrdup(PQgetvalue(res, i, 0));
		if (!PQgetisnull(res, i, 1))
			(*ws_ids)[j++] = xstrdup(PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return STORE_OK;
}

/*
 * Find a live session by secret id, cookie value or public SESSION_ID
 * (sessionwrap-ctl show).
 */
static enum store_result
pg_show(struct store *st, void *conn, const char *what, struct session **out,
    char **cause)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[3];
	char		*id, *key, nowbuf[32];
	time_t		 now = time(NULL);

	*out = NULL;
	if (store_verify_id(st->keys, what, &id) != 0)
		id = xstrdup(what);
	key = store_key(st->keys, id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = key;
	params[1] = what;
	params[2] = nowbuf;
	res = pg_run(conn, PG_SHOW, 3, params, &rv, cause);
	free(key);
	if (res == NULL) {
		free(id);
		return rv;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		free(id);
		return STORE_NOTFOUND;
	}
	/* Looked up by public id: the secret id is not known here. */
	*out = pg_session_from_row(res, id, now, cause);
	PQclear(res);
	return *out == NULL ? STORE_ERROR : STORE_OK;
}

/* Connect, which creates the table (sessionwrap-ctl init-db). */
static enum store_result
pg_init(struct store *st, void *conn, char **cause)
{
	int	 fresh;

	return pg_ensure(conn, &fresh, cause);
}

/* Session counts and table size (sessionwrap-ctl stats). */
static enum store_result
pg_stats(struct store *st, void *conn, time_t now, char **out, char **cause)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	char		 nowbuf[32];

	*out = NULL;
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = nowbuf;
	if ((res = pg_run(conn, PG_COUNT, 1, params, &rv, cause)) == NULL)
		return rv;
	xasprintf(out, "sessions %s\nexpired %s\nusers %s\ntable_bytes %s\n",
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
	PQclear(res);
	return STORE_OK;
}

/* What only sessionwrap-ctl calls (store_admin.h). */
static const struct store_admin_ops pg_admin_ops = {
	/* gc */
	.gc = pg_gc,
	/* revoke --user */
	.revoke_user = pg_revoke_user,
	/* show */
	.show = pg_show,
	/* init-db */
	.init = pg_init,
	/* stats */
	.stats = pg_stats,
};

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.match = pg_match,
	.client_side = 0,
	.open = pg_open,
	.close = pg_close,
	.conn_new = pg_conn_new,
	.conn_free = pg_conn_free,
	.load = pg_load,
	.prefetch = pg_prefetch,
	.save = pg_save,
	.destroy = pg_destroy,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.admin = &pg_admin_ops,
};
