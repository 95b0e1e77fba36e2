/*
 * What sessionwrap-ctl asks of the memcached store: gc, revoke, show,
 * stats, a user's sessions.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>
#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_memcached.h"
#include "store_memcached_int.h"
#include "xmalloc.h"

/* memcached expires items itself: nothing to collect. */
static enum store_result
mc_admin_gc(struct store *st, void *conn, time_t now, long *n, char **cause)
{
	(void)st;
	(void)conn;
	(void)now;
	(void)cause;
	*n = 0;
	return STORE_OK;
}

/*
 * Before revoke deletes a session: add its ws_id to the list, so that its
 * websockets can be closed. A session that is gone or unreadable adds none.
 */
static void
mc_admin_revoke_ws_id(struct mc_conn *mcc, const char *key, char ***ws_ids,
    size_t *nws)
{
	json_t		*o;
	json_error_t	 jerr;
	const char	*ws_id = NULL;
	char		*value;
	size_t		 len;
	uint64_t	 cas;

	if (mc_get(mcc, key, &value, &len, &cas) != MEMCACHED_SUCCESS)
		return;
	o = json_loadb(value, len, 0, &jerr);
	if (o != NULL && json_unpack_ex(o, &jerr, 0, "{s?:s}", "ws_id",
	    &ws_id) == 0 && ws_id != NULL) {
		*ws_ids = xreallocarray(*ws_ids, *nws + 2, sizeof **ws_ids);
		(*ws_ids)[(*nws)++] = xstrdup(ws_id);
		(*ws_ids)[*nws] = NULL;
	}
	json_decref(o);
	free(value);
}

/*
 * Delete the sessions one chunk of a user index names, then the chunk,
 * unless a login added to it meanwhile (then again). Counts in *n; the
 * ws_ids of the deleted sessions join *ws_ids. STORE_NOTFOUND: no chunk.
 */
static enum store_result
mc_admin_revoke_chunk(struct store *st, struct mc_conn *mcc, const char *ikey,
    long *n, char ***ws_ids, size_t *nws, char **cause)
{
	struct mc_store	*ms = st->priv;
	memcached_return_t rc;
	char		*value, *key, **hashes;
	size_t		 len, i, nh, bad;
	uint64_t	 cas;
	long long	 until;
	int		 try;

	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, ikey, &value, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND)
			return STORE_NOTFOUND;
		if (rc != MEMCACHED_SUCCESS)
			return mc_error(mcc, rc, "revoke", cause);
		if (mc_index_parse(value, len, &until, &hashes, &nh, &bad) != 0)
			log_warnx("%s: a user index chunk is not an index: "
			    "dropped", __func__);
		else if (bad != 0)
			log_warnx("%s: %zu entries of a user index chunk are "
			    "not store keys: skipped", __func__, bad);
		free(value);
		for (i = 0; i < nh; i++) {
			xasprintf(&key, "%s%s", ms->prefix, hashes[i]);
			mc_admin_revoke_ws_id(mcc, key, ws_ids, nws);
			rc = memcached_delete(mcc->mc, key, strlen(key), 0);
			free(key);
			if (rc == MEMCACHED_SUCCESS)
				(*n)++;
			else if (rc != MEMCACHED_NOTFOUND) {
				mc_index_free(hashes);
				return mc_error(mcc, rc, "revoke", cause);
			}
		}
		mc_index_free(hashes);
		/* Drop the chunk unless a login added to it meanwhile. */
		rc = memcached_cas(mcc->mc, ikey, strlen(ikey), "0", 1, 1, 0,
		    cas);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND) {
			memcached_delete(mcc->mc, ikey, strlen(ikey), 0);
			return STORE_OK;
		}
		if (rc != MEMCACHED_DATA_EXISTS)
			return mc_error(mcc, rc, "revoke", cause);
	}
	*cause = xstrdup("user index changed too often to revoke");
	return STORE_CONFLICT;
}

/*
 * Delete every session in a user's index, chunk by chunk from the last one
 * (an interrupted revoke leaves chunks 0... for the next one to find), under
 * every key of the keyring (sessions not used since a rotation are indexed
 * under the key they were saved with).
 */
static enum store_result
mc_admin_revoke_user(struct store *st, void *conn, const char *user, long *n,
    char ***ws_ids, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	enum store_result rv;
	char		*ikey, *value;
	size_t		 k, len, nws = 0;
	uint64_t	 cas;
	int		 last, c, rounds;

	*n = 0;
	*ws_ids = xcalloc(1, sizeof **ws_ids);
	for (k = 0; k < keyring_count(st->keys); k++) {
		for (rounds = 0; rounds < MC_CAS_RETRIES; rounds++) {
			for (last = 0; last < MC_INDEX_CHUNKS; last++) {
				ikey = mc_index_key(st, k, user, last);
				rc = mc_get(mcc, ikey, &value, &len, &cas);
				free(ikey);
				if (rc == MEMCACHED_NOTFOUND)
					break;
				if (rc != MEMCACHED_SUCCESS)
					return mc_error(mcc, rc, "revoke",
					    cause);
				free(value);
			}
			if (last == 0)
				break;
			for (c = last - 1; c >= 0; c--) {
				ikey = mc_index_key(st, k, user, c);
				rv = mc_admin_revoke_chunk(st, mcc, ikey, n,
				    ws_ids, &nws, cause);
				free(ikey);
				if (rv != STORE_OK && rv != STORE_NOTFOUND)
					return rv;
			}
			/* A login filled a chunk past them meanwhile: again. */
			ikey = mc_index_key(st, k, user, last);
			rc = mc_get(mcc, ikey, &value, &len, &cas);
			free(ikey);
			if (rc == MEMCACHED_SUCCESS)
				free(value);
			else
				break;
		}
	}
	return STORE_OK;
}

/*
 * Find a live session by secret id or cookie value (sessionwrap-ctl show).
 * The public SESSION_ID is a one-way hash memcached cannot be searched by.
 */
static enum store_result
mc_admin_show(struct store *st, void *conn, const char *what,
    struct session **out, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*id, *key, *value;
	size_t		 len;
	uint64_t	 cas;
	time_t		 until, now = time(NULL);

	*out = NULL;
	if (mc_cookie_id(st, what, &id) == -1)
		id = xstrdup(what);
	key = mc_key(st, id);
	rc = mc_get(mcc, key, &value, &len, &cas);
	free(key);
	if (rc != MEMCACHED_SUCCESS) {
		free(id);
		if (rc == MEMCACHED_NOTFOUND)
			return STORE_NOTFOUND;
		return mc_error(mcc, rc, "get", cause);
	}
	*out = mc_value_parse(st, value, len, id, now, &until, cause);
	free(value);
	if (*out == NULL)
		return STORE_ERROR;
	(*out)->version = cas;
	return STORE_OK;
}

/*
 * Add the live sessions of user that one chunk of its index names to
 * *out: not those gone, replaced (in their grace period) or another's.
 * STORE_NOTFOUND when there is no such chunk.
 */
static enum store_result
mc_admin_sessions_chunk(struct store *st, struct mc_conn *mcc,
    const char *ikey, const char *user, time_t now,
    struct store_user_session **out, size_t *n, char **cause)
{
	struct mc_store	*ms = st->priv;
	memcached_return_t rc;
	struct session	*s;
	char		*value, *key, **hashes, *why;
	size_t		 len, i, nh, bad;
	uint64_t	 cas;
	long long	 until;
	time_t		 grace;

	if ((rc = mc_get(mcc, ikey, &value, &len, &cas)) == MEMCACHED_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != MEMCACHED_SUCCESS)
		return mc_error(mcc, rc, "sessions", cause);
	if (mc_index_parse(value, len, &until, &hashes, &nh, &bad) != 0)
		nh = 0;
	free(value);
	for (i = 0; i < nh; i++) {
		if (store_user_listed(*out, *n, hashes[i]))
			continue;
		xasprintf(&key, "%s%s", ms->prefix, hashes[i]);
		rc = mc_get(mcc, key, &value, &len, &cas);
		free(key);
		if (rc == MEMCACHED_NOTFOUND)
			continue;
		if (rc != MEMCACHED_SUCCESS) {
			mc_index_free(hashes);
			return mc_error(mcc, rc, "sessions", cause);
		}
		why = NULL;
		s = mc_value_parse(st, value, len, xstrdup(hashes[i]), now, &grace,
		    &why);
		free(value);
		free(why);
		if (s == NULL || grace != 0 || s->user == NULL ||
		    strcmp(s->user, user) != 0 ||
		    session_expired(s, st->cfg, now)) {
			session_free(s);
			continue;
		}
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[*n].id = xstrdup(hashes[i]);
		(*out)[(*n)++].s = s;
	}
	mc_index_free(hashes);
	return STORE_OK;
}

/*
 * The live sessions of a user (sessionwrap-ctl sessions): what its index
 * names, under every key of the keyring, by store key (memcached cannot
 * be searched by the public SESSION_ID).
 */
static enum store_result
mc_admin_sessions(struct store *st, void *conn, const char *user, time_t now,
    struct store_user_session **out, size_t *n, char **cause)
{
	enum store_result rv;
	char		*ikey;
	size_t		 k;
	int		 c;

	*out = NULL;
	*n = 0;
	for (k = 0; k < keyring_count(st->keys); k++) {
		for (c = 0; c < MC_INDEX_CHUNKS; c++) {
			ikey = mc_index_key(st, k, user, c);
			rv = mc_admin_sessions_chunk(st, conn, ikey, user, now,
			    out, n, cause);
			free(ikey);
			if (rv == STORE_NOTFOUND)
				break;
			if (rv != STORE_OK)
				return rv;
		}
	}
	store_user_sort(*out, *n);
	return STORE_OK;
}

/*
 * Delete one session (sessionwrap-ctl revoke ID) by the store key that
 * sessions lists, its cookie value or its secret id.
 */
static enum store_result
mc_admin_revoke(struct store *st, void *conn, const char *what, char **ws_id,
    char **cause)
{
	struct mc_store	*ms = st->priv;
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*id, *key, **ws = NULL;
	size_t		 nws = 0;

	*ws_id = NULL;
	if (strlen(what) == MC_HASH_LEN &&
	    strspn(what, "0123456789abcdef") == MC_HASH_LEN)
		xasprintf(&key, "%s%s", ms->prefix, what);
	else {
		if (store_verify_id(st->keys, what, &id) != 0)
			id = xstrdup(what);
		key = mc_key(st, id);
		free(id);
	}
	mc_admin_revoke_ws_id(mcc, key, &ws, &nws);
	rc = memcached_delete(mcc->mc, key, strlen(key), 0);
	free(key);
	if (nws > 0)
		*ws_id = ws[0];
	free(ws);
	if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_DELETED)
		return STORE_OK;
	free(*ws_id);
	*ws_id = NULL;
	if (rc == MEMCACHED_NOTFOUND)
		return STORE_NOTFOUND;
	return mc_error(mcc, rc, "revoke", cause);
}

/* Per-server item counts and hit rates (sessionwrap-ctl stats). */
static enum store_result
mc_admin_stats(struct store *st, void *conn, time_t now, char **out,
    char **cause)
{
	(void)st;
	(void)now;
	static const char *const names[] = {
		"curr_items", "bytes", "get_hits", "get_misses", "evictions",
		"uptime"
	};
	struct mc_conn	*mcc = conn;
	memcached_stat_st *stats;
	memcached_return_t rc, vrc;
	const memcached_instance_st *server;
	uint32_t	 i, n;
	size_t		 j;
	char		*text, *line, *v;

	*out = NULL;
	stats = memcached_stat(mcc->mc, NULL, &rc);
	if (stats == NULL)
		return mc_error(mcc, rc, "stats", cause);
	text = xstrdup("");
	n = memcached_server_count(mcc->mc);
	for (i = 0; i < n; i++) {
		server = memcached_server_instance_by_position(mcc->mc, i);
		for (j = 0; j < sizeof names / sizeof names[0]; j++) {
			v = memcached_stat_get_value(mcc->mc, &stats[i],
			    names[j], &vrc);
			xasprintf(&line, "%s%s:%u %s %s\n", text,
			    memcached_server_name(server),
			    (unsigned)memcached_server_port(server), names[j],
			    v != NULL ? v : "-");
			free(v);
			free(text);
			text = line;
		}
	}
	memcached_stat_free(NULL, stats);
	*out = text;
	if (rc != MEMCACHED_SUCCESS) {
		xasprintf(cause, "memcached stats: %s",
		    memcached_strerror(mcc->mc, rc));
		return STORE_ERROR;
	}
	return STORE_OK;
}

const struct store_admin_ops mc_admin_ops = {
	/* gc: memcached expires items itself; counts none. */
	.gc = mc_admin_gc,
	/* revoke --user: what the user's index lists, under every key. */
	.revoke_user = mc_admin_revoke_user,
	/* show: by secret id or cookie value (not by public id). */
	.show = mc_admin_show,
	/* sessions --user: what the user's index lists, by store key. */
	.sessions = mc_admin_sessions,
	/* revoke ID: by store key, cookie value or secret id. */
	.revoke = mc_admin_revoke,
	/* init-db: nothing to create. */
	.init = NULL,
	/* stats: per-server counts from memcached's STATS. */
	.stats = mc_admin_stats,
};
