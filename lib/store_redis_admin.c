/*
 * What sessionwrap-ctl asks of the Redis store: gc, revoke, show, stats, a
 * user's sessions.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>

#include "buf.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_redis_int.h"
#include "xmalloc.h"

/* Free n replies. */
static void
rd_admin_free_replies(redisReply **r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (r[i] != NULL)
			freeReplyObject(r[i]);
	}
}

/*
 * Revoke what one SRANDMEMBER batch of a user index names: each member's
 * session deleted and the member dropped, in one round trip. Members that
 * are not store keys are dropped with a warning.
 */
static enum store_result
rd_admin_revoke_batch(struct store *st, struct rd_conn *rc, const char *ix,
    const redisReply *members, long *n, char ***ws_ids, size_t *nws,
    char **cause)
{
	const char	**argv, *srem[3];
	redisReply	**rep, *r;
	enum store_result rv;
	char		**keys;
	size_t		 i, m = 0;

	argv = xreallocarray(NULL, members->elements * 3, sizeof *argv);
	keys = xcalloc(members->elements, sizeof *keys);
	for (i = 0; i < members->elements; i++) {
		r = members->element[i];
		if (r->type != REDIS_REPLY_STRING)
			continue;
		if (!store_key_ok(r->str, r->len)) {
			log_warnx("%s: a user index entry is not a store key: "
			    "dropped", __func__);
			srem[0] = "SREM";
			srem[1] = ix;
			srem[2] = r->str;
			if (rd_conn_cmd(rc, 3, srem, NULL, &r, cause) !=
			    STORE_OK)
				goto fail;
			freeReplyObject(r);
			continue;
		}
		keys[m] = rd_key_hash(st, r->str);
		argv[m * 3] = keys[m];
		argv[m * 3 + 1] = ix;
		argv[m * 3 + 2] = members->element[i]->str;
		m++;
	}
	rep = xcalloc(m + 1, sizeof *rep);
	rv = rd_conn_pipeline(rc, RD_SCRIPT_REVOKE, 2, 3, argv, NULL, m, rep,
	    cause);
	for (i = 0; rv == STORE_OK && i < m; i++) {
		if (rep[i]->type == REDIS_REPLY_NIL)
			continue;
		if (rep[i]->type != REDIS_REPLY_STRING) {
			*cause = rd_conn_unexpected("revoke", rep[i]);
			rv = STORE_ERROR;
			break;
		}
		(*n)++;
		if (rep[i]->len == 0)
			continue;
		*ws_ids = xreallocarray(*ws_ids, *nws + 2, sizeof **ws_ids);
		(*ws_ids)[(*nws)++] = xstrndup(rep[i]->str, rep[i]->len);
		(*ws_ids)[*nws] = NULL;
	}
	rd_admin_free_replies(rep, m);
	free(rep);
	for (i = 0; i < m; i++)
		free(keys[i]);
	free(keys);
	free(argv);
	return rv;
fail:
	for (i = 0; i < m; i++)
		free(keys[i]);
	free(keys);
	free(argv);
	return STORE_ERROR;
}

/*
 * Delete every session in a user's index (a set per user, under every key
 * of the keyring: sessions not used since a rotation are indexed under the
 * key they were saved with), batch by batch until the set is empty, so a
 * login racing the revoke is revoked too.
 */
static enum store_result
rd_admin_revoke_user(struct store *st, void *conn, const char *user, long *n,
    char ***ws_ids, char **cause)
{
	struct rd_conn	*rc = conn;
	enum store_result rv = STORE_OK;
	const char	*argv[3];
	redisReply	*r;
	char		*ix, batch[16];
	size_t		 k, nws = 0;
	long		 rounds;
	int		 empty;

	*n = 0;
	*ws_ids = xcalloc(1, sizeof **ws_ids);
	snprintf(batch, sizeof batch, "%d", RD_REVOKE_BATCH);
	for (k = 0; rv == STORE_OK && k < keyring_count(st->keys); k++) {
		ix = rd_index_key(st, k, user);
		argv[0] = "SRANDMEMBER";
		argv[1] = ix;
		argv[2] = batch;
		for (rounds = 0; rounds < RD_REVOKE_ROUNDS; rounds++) {
			if ((rv = rd_conn_cmd(rc, 3, argv, NULL, &r, cause)) !=
			    STORE_OK)
				break;
			if (r->type != REDIS_REPLY_ARRAY) {
				*cause = rd_conn_unexpected("SRANDMEMBER", r);
				rv = STORE_ERROR;
			}
			empty = rv != STORE_OK || r->elements == 0;
			if (!empty)
				rv = rd_admin_revoke_batch(st, rc, ix, r, n,
				    ws_ids, &nws, cause);
			freeReplyObject(r);
			if (empty || rv != STORE_OK)
				break;
		}
		if (rounds == RD_REVOKE_ROUNDS) {
			*cause = xstrdup("user index grew faster than revoke "
			    "could empty it");
			rv = STORE_CONFLICT;
		}
		free(ix);
	}
	return rv;
}

/*
 * Drop the members of one user index whose sessions are gone (expired):
 * one EXISTS each, in one round trip, then one SREM. Counts in *n.
 */
static enum store_result
rd_admin_gc_index(struct store *st, struct rd_conn *rc, const char *ix,
    long *n, char **cause)
{
	const char	*argv[3];
	redisReply	*members, *r;
	enum store_result rv;
	char		*key;
	size_t		 i;

	argv[0] = "SMEMBERS";
	argv[1] = ix;
	if ((rv = rd_conn_cmd(rc, 2, argv, NULL, &members, cause)) != STORE_OK)
		return rv;
	for (i = 0; rv == STORE_OK && members->type == REDIS_REPLY_ARRAY &&
	    i < members->elements; i++) {
		r = members->element[i];
		if (r->type != REDIS_REPLY_STRING)
			continue;
		key = rd_key_hash(st, r->str);
		argv[0] = "EXISTS";
		argv[1] = key;
		if (!store_key_ok(r->str, r->len))
			argv[1] = "";
		rv = rd_conn_cmd(rc, 2, argv, NULL, &r, cause);
		free(key);
		if (rv != STORE_OK)
			break;
		if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
			freeReplyObject(r);
			argv[0] = "SREM";
			argv[1] = ix;
			argv[2] = members->element[i]->str;
			if ((rv = rd_conn_cmd(rc, 3, argv, NULL, &r, cause)) !=
			    STORE_OK)
				break;
			(*n)++;
		}
		freeReplyObject(r);
	}
	freeReplyObject(members);
	return rv;
}

/*
 * Redis expires sessions itself; gc drops what they left in the user
 * indexes (SCAN over PREFIXu:*), counting those expired sessions.
 */
static enum store_result
rd_admin_gc(struct store *st, void *conn, time_t now, long *n, char **cause)
{
	struct rd_store	*rs = st->priv;
	struct rd_conn	*rc = conn;
	enum store_result rv = STORE_OK;
	const char	*argv[8];
	redisReply	*r, *keys;
	char		*match, *cursor;
	size_t		 i;

	(void)now;
	*n = 0;
	xasprintf(&match, "%su:*", rs->uri.prefix);
	cursor = xstrdup("0");
	do {
		argv[0] = "SCAN";
		argv[1] = cursor;
		argv[2] = "MATCH";
		argv[3] = match;
		argv[4] = "COUNT";
		argv[5] = "1000";
		argv[6] = "TYPE";
		argv[7] = "set";
		if ((rv = rd_conn_cmd(rc, 8, argv, NULL, &r, cause)) !=
		    STORE_OK)
			break;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			*cause = rd_conn_unexpected("SCAN", r);
			freeReplyObject(r);
			rv = STORE_ERROR;
			break;
		}
		free(cursor);
		cursor = xstrdup(r->element[0]->str);
		keys = r->element[1];
		for (i = 0; rv == STORE_OK && i < keys->elements; i++) {
			if (keys->element[i]->type == REDIS_REPLY_STRING)
				rv = rd_admin_gc_index(st, rc,
				    keys->element[i]->str, n, cause);
		}
		freeReplyObject(r);
	} while (rv == STORE_OK && strcmp(cursor, "0") != 0);
	free(cursor);
	free(match);
	return rv;
}

/*
 * Find a live session by secret id or cookie value (sessionwrap-ctl show).
 * The public SESSION_ID is a one-way hash no key can be found by.
 */
static enum store_result
rd_admin_show(struct store *st, void *conn, const char *what,
    struct session **out, char **cause)
{
	enum store_result rv;
	time_t		 until;
	char		*id, *key;

	if (store_verify_id(st->keys, what, &id) != 0)
		id = xstrdup(what);
	key = rd_key(st, 0, id);
	rv = rd_get(conn, key, id, out, &until, cause);
	free(key);
	free(id);
	return rv;
}

/*
 * Add to *out the session one index member names when it is a live one of
 * user: not gone, not in the grace a login gave it, not another's. One the
 * server answered for but that does not parse is skipped with a warning.
 */
static enum store_result
rd_admin_sessions_one(struct store *st, struct rd_conn *rc, const char *m,
    const char *user, time_t now, struct store_user_session **out, size_t *n,
    char **cause)
{
	enum store_result rv;
	struct session	*s;
	time_t		 until;
	char		*key, *why = NULL;

	key = rd_key_hash(st, m);
	rv = rd_get(rc, key, m, &s, &until, &why);
	free(key);
	if (rv == STORE_NOTFOUND)
		return STORE_OK;
	if (rv != STORE_OK) {
		if (rc->c == NULL) {
			*cause = why;
			return rv;
		}
		log_warnx("%s: a session of the index is unreadable: skipped "
		    "(%s)", __func__, why);
		free(why);
		return STORE_OK;
	}
	if (until != 0 || s->user == NULL || strcmp(s->user, user) != 0 ||
	    session_expired(s, st->cfg, now)) {
		session_free(s);
		return STORE_OK;
	}
	*out = xreallocarray(*out, *n + 1, sizeof **out);
	(*out)[*n].id = xstrdup(m);
	(*out)[(*n)++].s = s;
	return STORE_OK;
}

/*
 * The live sessions of a user (sessionwrap-ctl sessions): what its index
 * sets hold, under every key of the keyring, by store key (a session hash
 * holds no public SESSION_ID to find it by).
 */
static enum store_result
rd_admin_sessions(struct store *st, void *conn, const char *user, time_t now,
    struct store_user_session **out, size_t *n, char **cause)
{
	struct rd_conn	*rc = conn;
	enum store_result rv = STORE_OK;
	const char	*argv[2];
	redisReply	*members, *r;
	char		*ix;
	size_t		 k, i;

	*out = NULL;
	*n = 0;
	for (k = 0; rv == STORE_OK && k < keyring_count(st->keys); k++) {
		ix = rd_index_key(st, k, user);
		argv[0] = "SMEMBERS";
		argv[1] = ix;
		rv = rd_conn_cmd(rc, 2, argv, NULL, &members, cause);
		free(ix);
		if (rv != STORE_OK)
			break;
		if (members->type != REDIS_REPLY_ARRAY) {
			*cause = rd_conn_unexpected("SMEMBERS", members);
			rv = STORE_ERROR;
		}
		for (i = 0; rv == STORE_OK && i < members->elements; i++) {
			r = members->element[i];
			if (r->type != REDIS_REPLY_STRING ||
			    !store_key_ok(r->str, r->len) ||
			    store_user_listed(*out, *n, r->str))
				continue;
			rv = rd_admin_sessions_one(st, rc, r->str, user, now,
			    out, n, cause);
		}
		freeReplyObject(members);
	}
	if (rv == STORE_OK)
		store_user_sort(*out, *n);
	return rv;
}

/*
 * Delete one session (sessionwrap-ctl revoke ID) by the store key that
 * sessions lists, its cookie value or its secret id, and its entry in its
 * user's index: one script, which returns its ws_id.
 */
static enum store_result
rd_admin_revoke(struct store *st, void *conn, const char *what, char **ws_id,
    char **cause)
{
	struct rd_store	*rs = st->priv;
	enum store_result rv;
	const char	*argv[2];
	redisReply	*r;
	char		*id, *key;

	*ws_id = NULL;
	if (store_key_ok(what, strlen(what)))
		key = rd_key_hash(st, what);
	else {
		if (store_verify_id(st->keys, what, &id) != 0)
			id = xstrdup(what);
		key = rd_key(st, 0, id);
		free(id);
	}
	argv[0] = key;
	argv[1] = key + strlen(rs->uri.prefix);
	rv = rd_conn_script(conn, RD_SCRIPT_REVOKE, 1, 2, argv, NULL, &r,
	    cause);
	free(key);
	if (rv != STORE_OK)
		return rv;
	if (r->type == REDIS_REPLY_NIL)
		rv = STORE_NOTFOUND;
	else if (r->type != REDIS_REPLY_STRING) {
		*cause = rd_conn_unexpected("revoke", r);
		rv = STORE_ERROR;
	} else if (r->len > 0)
		*ws_id = xstrndup(r->str, r->len);
	freeReplyObject(r);
	return rv;
}

/*
 * Pick `name`'s value out of INFO's "name:value\r\n" lines into out
 * (printable, NUL-terminated, cut to outlen - 1); -1 when absent.
 */
int
rd_admin_info_get(const char *text, size_t len, const char *name, char *out,
    size_t outlen)
{
	const char	*p = text, *end = text + len, *eol, *v;
	size_t		 nlen = strlen(name), i;

	if (outlen == 0)
		return -1;
	while (p < end) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && memcmp(p, name, nlen) == 0 &&
		    p[nlen] == ':') {
			v = p + nlen + 1;
			for (i = 0; v + i < eol && v[i] != '\r' &&
			    i + 1 < outlen; i++)
				out[i] = v[i] > ' ' && v[i] <= '~' ? v[i] : '?';
			out[i] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}

/* Server counters from INFO and DBSIZE (sessionwrap-ctl stats). */
static enum store_result
rd_admin_stats(struct store *st, void *conn, time_t now, char **out,
    char **cause)
{
	static const char *const names[] = {
		"redis_version", "uptime_in_seconds", "connected_clients",
		"used_memory", "keyspace_hits", "keyspace_misses",
		"expired_keys", "evicted_keys", "maxmemory_policy"
	};
	struct rd_store	*rs = st->priv;
	struct rd_conn	*rc = conn;
	enum store_result rv;
	const char	*argv[2];
	redisReply	*r;
	struct buf	 b;
	char		 v[128];
	size_t		 i;

	(void)now;
	*out = NULL;
	argv[0] = "INFO";
	argv[1] = "all";
	if ((rv = rd_conn_cmd(rc, 2, argv, NULL, &r, cause)) != STORE_OK)
		return rv;
	if (r->type != REDIS_REPLY_STRING) {
		*cause = rd_conn_unexpected("INFO", r);
		freeReplyObject(r);
		return STORE_ERROR;
	}
	buf_init(&b);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (rd_admin_info_get(r->str, r->len, names[i], v,
		    sizeof v) != 0)
			snprintf(v, sizeof v, "-");
		buf_printf(&b, "%s %s %s\n", rs->where, names[i], v);
	}
	freeReplyObject(r);
	argv[0] = "DBSIZE";
	if ((rv = rd_conn_cmd(rc, 1, argv, NULL, &r, cause)) == STORE_OK) {
		if (r->type == REDIS_REPLY_INTEGER)
			buf_printf(&b, "%s keys %lld\n", rs->where,
			    (long long)r->integer);
		freeReplyObject(r);
	}
	*out = buf_steal(&b);
	return rv;
}

const struct store_admin_ops rd_admin_ops = {
	/* gc: Redis expires sessions itself; drops their index entries. */
	.gc = rd_admin_gc,
	/* revoke --user: what the user's index set holds, under every key. */
	.revoke_user = rd_admin_revoke_user,
	/* show: by secret id or cookie value (not by public id). */
	.show = rd_admin_show,
	/* sessions --user: what the user's index sets hold, by store key. */
	.sessions = rd_admin_sessions,
	/* revoke ID: by store key, cookie value or secret id. */
	.revoke = rd_admin_revoke,
	/* init-db: nothing to create. */
	.init = NULL,
	/* stats: counters from INFO and DBSIZE. */
	.stats = rd_admin_stats,
};
