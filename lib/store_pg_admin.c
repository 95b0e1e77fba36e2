/*
 * What sessionwrap-ctl asks of the PostgreSQL store: gc, revoke, show,
 * stats, a user's sessions.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"
#include "num.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_pg.h"
#include "store_pg_int.h"
#include "xmalloc.h"

/* Run a statement that reports a row count, into *n. */
static enum store_result
pg_admin_count(struct pg_conn *pc, enum pg_stmt stmt, const char *arg, long *n,
    char **cause)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	long long	 v;

	*n = 0;
	params[0] = arg;
	if ((res = pg_conn_run(pc, stmt, 1, params, &rv, cause)) == NULL)
		return rv;
	if (num_parse(PQcmdTuples(res), 10, 0, LONG_MAX, &v, NULL) == 0)
		*n = (long)v;
	PQclear(res);
	return STORE_OK;
}

/* Purge every expired session (sessionwrap-ctl gc). */
static enum store_result
pg_admin_gc(struct store *st, void *conn, time_t now, long *n, char **cause)
{
	(void)st;
	char	 nowbuf[32];

	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	return pg_admin_count(conn, PG_GC, nowbuf, n, cause);
}

/* Delete every session of a user (sessionwrap-ctl revoke --user). */
static enum store_result
pg_admin_revoke_user(struct store *st, void *conn, const char *user, long *n,
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
	(void)st;
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	int		 i, j = 0;

	*keys = *ws_ids = NULL;
	*n = 0;
	params[0] = user;
	if ((res = pg_conn_run(conn, PG_REVOKE, 1, params, &rv, cause)) == NULL)
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
pg_admin_show(struct store *st, void *conn, const char *what,
    struct session **out, char **cause)
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
	res = pg_conn_run(conn, PG_SHOW, 3, params, &rv, cause);
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

/*
 * The live sessions of a user (sessionwrap-ctl sessions): their public ids,
 * then each as show reads it. A session that ends meanwhile, or whose row
 * fails the checks of every load, is left out.
 */
static enum store_result
pg_admin_sessions(struct store *st, void *conn, const char *user, time_t now,
    struct store_user_session **out, size_t *n, char **cause)
{
	PGresult	*res;
	enum store_result rv;
	struct session	*s;
	const char	*params[2];
	char		 nowbuf[32];
	int		 i;

	*out = NULL;
	*n = 0;
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = user;
	params[1] = nowbuf;
	if ((res = pg_conn_run(conn, PG_USER_LIST, 2, params, &rv,
	    cause)) == NULL)
		return rv;
	*out = xcalloc(PQntuples(res) + 1, sizeof **out);
	for (i = 0; i < PQntuples(res); i++) {
		rv = pg_admin_show(st, conn, PQgetvalue(res, i, 0), &s, cause);
		if (rv == STORE_NOTFOUND)
			continue;
		/* A row that fails the session's checks: the others still count. */
		if (rv == STORE_ERROR && ((struct pg_conn *)conn)->ready) {
			log_warnx("%s: a session of %s skipped: %s", __func__,
			    user, *cause);
			free(*cause);
			*cause = NULL;
			continue;
		}
		if (rv != STORE_OK) {
			PQclear(res);
			return rv;
		}
		(*out)[*n].id = xstrdup(PQgetvalue(res, i, 0));
		(*out)[(*n)++].s = s;
	}
	PQclear(res);
	store_user_sort(*out, *n);
	return STORE_OK;
}

/* Delete one session; see store_pg.h. */
enum store_result
store_pg_revoke_one(struct store *st, void *conn, const char *what,
    char **key, char **ws_id, char **cause)
{
	PGresult	*res;
	enum store_result rv;
	const char	*params[2];
	char		*id;

	*key = *ws_id = NULL;
	if (store_verify_id(st->keys, what, &id) != 0)
		id = xstrdup(what);
	*key = store_key(st->keys, id);
	free(id);
	params[0] = *key;
	params[1] = what;
	if ((res = pg_conn_run(conn, PG_REVOKE_ONE, 2, params, &rv,
	    cause)) == NULL)
		return rv;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOTFOUND;
	}
	/* The row's own key: `what` may have been its public id. */
	free(*key);
	*key = xstrdup(PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		*ws_id = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	return STORE_OK;
}

/* Delete one session (sessionwrap-ctl revoke ID). */
static enum store_result
pg_admin_revoke(struct store *st, void *conn, const char *what, char **ws_id,
    char **cause)
{
	enum store_result rv;
	char		*key;

	rv = store_pg_revoke_one(st, conn, what, &key, ws_id, cause);
	free(key);
	return rv;
}

/*
 * Connect, which creates the table (sessionwrap-ctl init-db); a table of
 * sessionwrap 0.1 gets integer times.
 */
static enum store_result
pg_admin_init(struct store *st, void *conn, char **cause)
{
	(void)st;
	enum store_result rv;
	int		 fresh;

	if ((rv = pg_conn_ensure(conn, &fresh, cause)) != STORE_OK)
		return rv;
	return pg_conn_migrate(conn, cause) == -1 ? STORE_ERROR : STORE_OK;
}

/* Session counts and table size (sessionwrap-ctl stats). */
static enum store_result
pg_admin_stats(struct store *st, void *conn, time_t now, char **out,
    char **cause)
{
	(void)st;
	PGresult	*res;
	enum store_result rv;
	const char	*params[1];
	char		 nowbuf[32];

	*out = NULL;
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	params[0] = nowbuf;
	if ((res = pg_conn_run(conn, PG_COUNT, 1, params, &rv, cause)) == NULL)
		return rv;
	xasprintf(out, "sessions %s\nexpired %s\nusers %s\ntable_bytes %s\n",
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
	PQclear(res);
	return STORE_OK;
}

const struct store_admin_ops pg_admin_ops = {
	/* gc: deletes every expired row. */
	.gc = pg_admin_gc,
	/* revoke --user: deletes the user's rows, telling their ws_ids. */
	.revoke_user = pg_admin_revoke_user,
	/* show: by secret id, cookie value or public SESSION_ID. */
	.show = pg_admin_show,
	/* sessions --user: the user's live rows, by public SESSION_ID. */
	.sessions = pg_admin_sessions,
	/* revoke ID: deletes one row, telling its ws_id. */
	.revoke = pg_admin_revoke,
	/* init-db: connects, which creates the table. */
	.init = pg_admin_init,
	/* stats: row counts and the table's size. */
	.stats = pg_admin_stats,
};
