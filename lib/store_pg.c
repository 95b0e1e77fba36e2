/* PostgreSQL session store (libpq): one row per session, compare-and-swap on a version column. */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <jansson.h>

#include "log.h"
#include "num.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_pg.h"
#include "store_pg_int.h"
#include "xmalloc.h"

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
char *
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

/* Parse a bigint column; 0 when NULL or bad. */
static long long
pg_getll(const PGresult *res, int col)
{
	long long	 v;

	if (PQgetisnull(res, 0, col) || num_parse(PQgetvalue(res, 0, col), 10,
	    LLONG_MIN, LLONG_MAX, &v, NULL) == -1)
		return 0;
	return v;
}

/* Build a session from a row of PG_COLUMNS; takes ownership of id. */
struct session *
pg_session_from_row(const PGresult *res, char *id, time_t now, char **cause)
{
	(void)now;
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
	/* What the row holds, by the rules every store's sessions follow. */
	return store_checked(s, cause);
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
		res = pg_conn_run(pc, PG_REKEY, 4, params, rv, cause);
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
 * Take the answer to the load pg_prefetch sent ahead: it checked the cookie
 * and made the key, so only the answer is left. *res is NULL when the
 * statement failed (pg_conn_run is to run it again); -1 and *cause when
 * PostgreSQL did not answer in time.
 */
static int
store_pg_load_ahead(struct pg_conn *pc, char **id, char **key, int *keyidx,
    PGresult **res, char **cause)
{
	*id = pc->pf.id;
	*key = pc->pf.key;
	*keyidx = pc->pf.keyidx;
	pc->pf.id = pc->pf.key = NULL;
	pg_conn_prefetch_clear(pc);
	if ((*res = pg_conn_wait(pc->pg, 1, pg_conn_stmt_timeout(pc,
	    PG_LOAD))) == NULL) {
		xasprintf(cause, "PostgreSQL did not answer within "
		    "%ld ms", pg_conn_stmt_timeout(pc, PG_LOAD));
		pg_conn_broken(pc, *cause);
		free(*key);
		free(*id);
		return -1;
	}
	if (PQresultStatus(*res) != PGRES_TUPLES_OK) {
		/* pg_conn_run tells a lost connection from an error. */
		PQclear(*res);
		*res = NULL;
	}
	return 0;
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
		if (store_pg_load_ahead(pc, &id, &key, &keyidx, &res,
		    cause) == -1)
			return STORE_ERROR;
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
		res = pg_conn_run(pc, PG_LOAD, 2, params, &rv, cause);
	if (res != NULL && PQntuples(res) != 1 && keyring_count(st->keys) > 1) {
		PQclear(res);
		res = pg_rekey(st, pc, id, key, nowbuf, &rv, cause);
		if (res == NULL && rv == STORE_CONFLICT) {
			/* Another request moved it first. */
			free(*cause);
			*cause = NULL;
			res = pg_conn_run(pc, PG_LOAD, 2, params, &rv, cause);
		}
	}
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		free(key);
		free(id);
		return res == NULL ? rv : STORE_NOTFOUND;
	}
	/* Its save needs the same store key, and the same cookie. */
	store_last_set(&pc->last, id, key, keyidx == 0 ? cookie : NULL);
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

	pg_conn_prefetch_drop(pc);
	if (!pc->ready || PQstatus(pc->pg) != CONNECTION_OK ||
	    cookie == NULL ||
	    (keyidx = store_verify_id_key(st->keys, cookie, &id)) == -1)
		return;
	key = store_key(st->keys, id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = key;
	params[1] = nowbuf;
	if (!PQsendQueryPrepared(pc->pg, pg_sql_stmts[PG_LOAD].name, 2, params,
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
	if ((res = pg_conn_run(pc, PG_PURGE, 1, params, &rv, &cause)) == NULL) {
		log_warnx("%s: purging expired sessions: %s", __func__, cause);
		free(cause);
		return;
	}
	log_debug("%s: purged %s expired sessions", __func__, PQcmdTuples(res));
	PQclear(res);
}

/*
 * The expires_at a save stores: the session's end rounded up to a step of
 * 1/32 of its remaining life, at most PG_EXPIRES_STEP seconds. On a table
 * without gc_at, whose expires_at is indexed, requests of one session a few
 * seconds apart then leave every indexed column as it was, and PostgreSQL
 * updates the row in place (HOT). Loads still check the exact idle and
 * absolute limits; only purging sees the row up to a step later.
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
 * The data column of a session: STORE_OK and *data (caller frees), or
 * STORE_ERROR / STORE_TOOBIG (over max_session_size) and *cause.
 */
static enum store_result
pg_data(struct store *st, const struct session *s, char **data, char **cause)
{
	if ((*data = json_dumps(s->data, JSON_COMPACT)) == NULL) {
		*cause = xstrdup("session data cannot be serialized");
		return STORE_ERROR;
	}
	if (st->cfg->max_session_size > 0 &&
	    (long)strlen(*data) > st->cfg->max_session_size) {
		free(*data);
		*data = NULL;
		*cause = xstrdup("session data larger than max_session_size");
		return STORE_TOOBIG;
	}
	return STORE_OK;
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
	const char	*params[11];
	char		*key, *pub = NULL, *data;
	char		 ver[32], created[32], access[32], maxage[32];
	char		 expires[32], nowbuf[32];
	time_t		 oaccess;
	const char	*last;

	*cookie = NULL;
	if (pc->locked && pc->lock_lost) {
		*cause = xstrdup("session lock lost with the PostgreSQL "
		    "connection");
		return STORE_ERROR;
	}
	if ((rv = pg_data(st, s, &data, cause)) != STORE_OK)
		return rv;
	oaccess = s->access;
	s->access = now;
	/* The id loaded: its key is known (no second keyed hash). */
	last = store_last_key(&pc->last, s->id);
	key = last != NULL ? xstrdup(last) : store_key(st->keys, s->id);
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
		res = pg_conn_run(pc, cas ? PG_INSERT_NEW : PG_UPSERT, 9,
		    params, &rv, cause);
	} else {
		params[1] = cas ? ver : NULL;
		params[9] = nowbuf;
		params[10] = pub;
		res = pg_conn_run(pc, PG_UPDATE, 11, params, &rv, cause);
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
	/* An unchanged id: the cookie it came with (no second HMAC). */
	*cookie = store_last_cookie(&pc->last, st->keys, s->id);
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
		res = pg_conn_run(pc, PG_DOOM, 2, params, &rv, cause);
	} else
		res = pg_conn_run(pc, PG_DELETE, 1, params, &rv, cause);
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

	if ((rv = pg_conn_ensure(pc, &fresh, cause)) != STORE_OK)
		return rv;
	if (timeout <= 0)
		timeout = 1;
	if (pc->lock_timeout != timeout * 1000) {
		snprintf(sql, sizeof sql, "SET lock_timeout = %ld",
		    timeout * 1000);
		if (pg_conn_simple(pc->pg, sql, cause) != 0) {
			pg_conn_broken(pc, *cause);
			pc->next_try = 0;
			return STORE_ERROR;
		}
		pc->lock_timeout = timeout * 1000;
	}
	params[0] = pc->lock_key;
	if ((res = pg_conn_run(pc, PG_LOCK, 1, params, &rv, cause)) == NULL)
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
	(void)st;
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
	if ((res = pg_conn_run(pc, PG_UNLOCK, 1, params, &rv, &cause)) ==
	    NULL) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
		return;
	}
	PQclear(res);
}

const struct store_ops store_pg_ops = {
	/* In logs, messages and store_names(). */
	.name = "postgresql",
	/* At start-up: takes postgresql:... and postgres:... values. */
	.match = pg_match,
	/* Sessions live in a table; the cookie holds a signed id. */
	.client_side = 0,
	/* At start-up: keeps the conninfo; connects per thread. */
	.open = pg_open,
	/* At exit: frees the conninfo. */
	.close = pg_close,
	/* Per worker thread: a connection, which creates the table. */
	.conn_new = pg_conn_new,
	/* When a worker thread exits: closes it (store_pg_conn.c). */
	.conn_free = pg_conn_free,
	/* Per request: the row by keyed hash, finishing a prefetch. */
	.load = pg_load,
	/* Before the script runs: sends the load ahead. */
	.prefetch = pg_prefetch,
	/* Per changed session: insert, or update on the version (CAS). */
	.save = pg_save,
	/* On logout or id change: delete, or doom the row until grace ends. */
	.destroy = pg_destroy,
	/* lock = exclusive: an advisory lock, bounded by lock_timeout. */
	.lock = pg_lock,
	/* After save: releases the advisory lock. */
	.unlock = pg_unlock,
	/* sessionwrap-ctl's operations (store_pg_admin.c). */
	.admin = &pg_admin_ops,
};
