/*
 * Redis (or Valkey) session store on hiredis: a hash per session under a
 * keyed hash of its id, native expiry, writes by Lua script with a version
 * for compare-and-swap, a lock key for lock = exclusive, a set per user.
 */
#include "autoconf.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_last.h"
#include "store_redis_int.h"
#include "xmalloc.h"

/* Does this backend take the store value? */
static int
rd_match(const char *uri)
{
	return strncmp(uri, "redis://", 8) == 0 ||
	    strncmp(uri, "redis+unix://", 13) == 0;
}

/* The full key of a store key (keyed hash, hex); caller frees. */
char *
rd_key_hash(struct store *st, const char *hash)
{
	struct rd_store	*rs = st->priv;
	char		*key;

	xasprintf(&key, "%s%s", rs->uri.prefix, hash);
	return key;
}

/* The full key of a session id under the n-th key (0 = current). */
char *
rd_key(struct store *st, size_t n, const char *id)
{
	char	*hash, *key;

	hash = store_key_n(st->keys, n, id);
	key = rd_key_hash(st, hash);
	free(hash);
	return key;
}

/* The full key of a user's index under the n-th key (names stay out). */
char *
rd_index_key(struct store *st, size_t n, const char *user)
{
	struct rd_store	*rs = st->priv;
	char		*tmp, *hash, *key;

	xasprintf(&tmp, "user\n%s", user);
	hash = store_key_n(st->keys, n, tmp);
	free(tmp);
	xasprintf(&key, "%su:%s", rs->uri.prefix, hash);
	free(hash);
	return key;
}

/* Read and parse the session at key (see store_redis_int.h). */
enum store_result
rd_get(struct rd_conn *rc, const char *key, const char *id,
    struct session **out, time_t *until, char **cause)
{
	const char	*argv[2 + RD_NFIELDS];
	struct rd_value	 v;
	redisReply	*r;
	enum store_result rv;
	uint64_t	 version;
	int		 i;

	*out = NULL;
	argv[0] = "HMGET";
	argv[1] = key;
	for (i = 0; i < RD_NFIELDS; i++)
		argv[2 + i] = rd_value_names[i];
	if ((rv = rd_conn_cmd(rc, 2 + RD_NFIELDS, argv, NULL, &r,
	    cause)) != STORE_OK)
		return rv;
	if (rd_value_from_reply(r, &v) != 0) {
		*cause = rd_conn_unexpected("HMGET", r);
		freeReplyObject(r);
		return STORE_ERROR;
	}
	if (v.f[RD_F_VER] == NULL) {
		freeReplyObject(r);
		return STORE_NOTFOUND;
	}
	*out = rd_value_parse(&v, xstrdup(id), &version, until, cause);
	freeReplyObject(r);
	return *out != NULL ? STORE_OK : STORE_ERROR;
}

/*
 * After a key rotation, move a session stored under an older key to the
 * current one (and its user index entry). STORE_NOTFOUND when none.
 */
static enum store_result
rd_rekey(struct store *st, struct rd_conn *rc, const char *id,
    const char *key, time_t now, char **cause)
{
	struct rd_store	*rs = st->priv;
	struct session	*s;
	enum store_result rv;
	redisReply	*r;
	const char	*argv[5];
	char		*old, *ix, *why = NULL;
	size_t		 n, plen = strlen(rs->uri.prefix);
	time_t		 until;

	for (n = 1; n < keyring_count(st->keys); n++) {
		old = rd_key(st, n, id);
		rv = rd_get(rc, old, id, &s, &until, &why);
		if (rv == STORE_OK && (session_expired(s, st->cfg, now) ||
		    (until != 0 && until <= now)))
			rv = STORE_NOTFOUND;
		if (rv != STORE_OK) {
			session_free(s);
			free(old);
			if (rv == STORE_NOTFOUND)
				continue;
			if (rc->c != NULL) {
				/* The server answered: unreadable, ignore it. */
				free(why);
				why = NULL;
				continue;
			}
			*cause = why;
			return rv;
		}
		ix = s->user != NULL ? rd_index_key(st, 0, s->user) : NULL;
		session_free(s);
		argv[0] = old;
		argv[1] = key;
		argv[2] = ix;
		argv[3] = old + plen;
		argv[4] = key + plen;
		if (ix != NULL)
			rv = rd_conn_script(rc, RD_SCRIPT_REKEY, 3, 5, argv,
			    NULL, &r, cause);
		else {
			argv[2] = argv[3];
			argv[3] = argv[4];
			rv = rd_conn_script(rc, RD_SCRIPT_REKEY, 2, 4, argv,
			    NULL, &r, cause);
		}
		free(ix);
		free(old);
		if (rv != STORE_OK)
			return rv;
		freeReplyObject(r);
		return STORE_OK;
	}
	return STORE_NOTFOUND;
}

/* Load the session a cookie value names; version is its "v" field. */
static enum store_result
rd_load(struct store *st, void *conn, const char *cookie, time_t now,
    struct session **out, char **cause)
{
	struct rd_conn	*rc = conn;
	enum store_result rv;
	struct session	*s;
	char		*id, *key;
	time_t		 until = 0;
	int		 keyidx;

	*out = NULL;
	if (rd_aiohttp_on(st))
		return rd_aiohttp_load(st, rc, cookie, now, out, cause);
	store_last_clear(&rc->last);
	if (cookie == NULL ||
	    (keyidx = store_verify_id_key(st->keys, cookie, &id)) == -1)
		return STORE_NOTFOUND;
	key = rd_key(st, 0, id);
	rv = rd_get(rc, key, id, &s, &until, cause);
	if (rv == STORE_NOTFOUND && keyring_count(st->keys) > 1 &&
	    (rv = rd_rekey(st, rc, id, key, now, cause)) == STORE_OK)
		rv = rd_get(rc, key, id, &s, &until, cause);
	free(id);
	if (rv != STORE_OK) {
		free(key);
		return rv;
	}
	if (session_expired(s, st->cfg, now) || (until != 0 && until <= now)) {
		session_free(s);
		free(key);
		return STORE_NOTFOUND;
	}
	store_rekeyed(s, keyidx);
	free(rc->doomed_key);
	rc->doomed_key = NULL;
	if (until != 0) {
		rc->doomed_key = xstrdup(key);
		rc->doomed_until = until;
	}
	/* Its save needs the same store key, and the same cookie. */
	store_last_set(&rc->last, s->id, key, keyidx == 0 ? cookie : NULL);
	*out = s;
	return STORE_OK;
}

/*
 * The save script's arguments: KEYS (session, index when logged in), mode,
 * version, now, expire-at, until, index member, the fields. Returns argc;
 * *ix is the index key made (caller frees), *data the data JSON (frees),
 * the numbers are written into num[].
 */
static int
rd_save_args(struct store *st, struct session *s, const char *key,
    const char *mode, time_t expires, time_t until, time_t now,
    const char **argv, size_t *argvlen, char **ix, char **data,
    char num[RD_NNUMS][24], int *nkeys)
{
	struct rd_store	*rs = st->priv;
	int		 n = 0, i;

	argv[n++] = key;
	*nkeys = 1;
	*ix = NULL;
	if (s->user != NULL) {
		argv[n++] = *ix = rd_index_key(st, 0, s->user);
		*nkeys = 2;
	}
	argv[n++] = mode;
	snprintf(num[0], sizeof num[0], "%llu",
	    (unsigned long long)s->version);
	snprintf(num[1], sizeof num[1], "%lld", (long long)now);
	snprintf(num[2], sizeof num[2], "%lld", expires >= SESSION_NEVER ?
	    0LL : (long long)(expires > now ? expires : now + 1));
	snprintf(num[3], sizeof num[3], "%lld", (long long)until);
	for (i = 0; i < 4; i++)
		argv[n++] = num[i];
	argv[n++] = s->user != NULL ? key + strlen(rs->uri.prefix) : "";
	for (i = 0; i < n; i++)
		argvlen[i] = strlen(argv[i]);
	return rd_value_fields(s, argv, argvlen, n, data, num + 4);
}

/* Map the save script's answer to a result, setting s->version. */
static enum store_result
rd_save_result(struct session *s, int cas, redisReply *r, char **cause)
{
	if (r->type != REDIS_REPLY_INTEGER) {
		*cause = rd_conn_unexpected("save", r);
		return STORE_ERROR;
	}
	if (r->integer > 0) {
		s->version = (uint64_t)r->integer;
		return STORE_OK;
	}
	if (r->integer == -1)
		return STORE_CONFLICT;
	(void)cas;
	/* Gone (logout, expiry, revoke): never resurrect it. */
	*cause = xstrdup("session no longer stored");
	return STORE_NOTFOUND;
}

/*
 * What a save of s at key writes: its expiry in *expires and, when a login
 * replaced it, the end of its grace in *until (0: none), which caps the
 * expiry; returns the save mode (add, set, cas, over).
 */
const char *
rd_save_plan(struct store *st, struct rd_conn *rc, const struct session *s,
    const char *key, int cas, time_t *expires, time_t *until)
{
	*until = 0;
	*expires = session_expires(s, st->cfg);
	if (rc->doomed_key != NULL && strcmp(rc->doomed_key, key) == 0) {
		/* Replaced by a login: never extend its grace period. */
		*until = rc->doomed_until;
		if (*expires > *until)
			*expires = *until;
	}
	if (s->version == 0)
		return cas ? "add" : "set";
	return cas ? "cas" : "over";
}

/*
 * Save a session in one script: add when new (without CAS, set), CAS on
 * the version loaded, or (without CAS) overwrite what is there unless it
 * is gone, keeping a grace end set since; the user index follows.
 */
static enum store_result
rd_save(struct store *st, void *conn, struct session *s, int cas, time_t now,
    char **cookie, char **cause)
{
	struct rd_conn	*rc = conn;
	const char	*argv[32], *mode, *key;
	size_t		 argvlen[32], size = 0;
	char		*made = NULL, *ix, *data, num[RD_NNUMS][24];
	enum store_result rv;
	redisReply	*r;
	time_t		 expires, until = 0, oaccess;
	int		 argc, nkeys, i;

	*cookie = NULL;
	if (rd_aiohttp_on(st))
		return rd_aiohttp_save(st, rc, s, cas, now, cookie, cause);
	oaccess = s->access;
	s->access = now;
	/* The id loaded: its key is known (no second keyed hash). */
	if ((key = store_last_key(&rc->last, s->id)) == NULL)
		key = made = rd_key(st, 0, s->id);
	mode = rd_save_plan(st, rc, s, key, cas, &expires, &until);
	argc = rd_save_args(st, s, key, mode, expires, until, now, argv,
	    argvlen, &ix, &data, num, &nkeys);
	for (i = 0; i < argc; i++)
		size += argvlen[i];
	if (argc == -1) {
		*cause = xstrdup("session data cannot be serialized");
		rv = STORE_ERROR;
	} else if (st->cfg->max_session_size > 0 &&
	    (long)size > st->cfg->max_session_size) {
		*cause = xstrdup("session data larger than max_session_size");
		rv = STORE_TOOBIG;
	} else if ((rv = rd_conn_script(rc, RD_SCRIPT_SAVE, nkeys,
	    argc, argv, argvlen, &r, cause)) == STORE_OK) {
		rv = rd_save_result(s, cas, r, cause);
		freeReplyObject(r);
	}
	free(ix);
	free(data);
	free(made);
	if (rv != STORE_OK) {
		s->access = oaccess;
		return rv;
	}
	/* An unchanged id: the cookie it came with (no second HMAC). */
	*cookie = store_last_cookie(&rc->last, st->keys, s->id);
	return STORE_OK;
}

/* Delete a session by id, or leave it readable for `grace` seconds. */
static enum store_result
rd_destroy(struct store *st, void *conn, const char *id, long grace,
    time_t now, char **cause)
{
	struct rd_store	*rs = st->priv;
	struct rd_conn	*rc = conn;
	enum store_result rv;
	redisReply	*r;
	const char	*argv[4];
	char		*key, g[24], t[24];

	if (rd_aiohttp_on(st))
		return rd_aiohttp_destroy(st, rc, id, grace, now, cause);
	key = rd_key(st, 0, id);
	snprintf(g, sizeof g, "%lld", grace > 0 ? (long long)now + grace : 0);
	snprintf(t, sizeof t, "%lld", (long long)now);
	argv[0] = key;
	argv[1] = g;
	argv[2] = key + strlen(rs->uri.prefix);
	argv[3] = t;
	rv = rd_conn_script(rc, RD_SCRIPT_DESTROY, 1, 4, argv, NULL, &r,
	    cause);
	free(key);
	if (rv == STORE_OK)
		freeReplyObject(r);
	return rv;
}

/*
 * Delete a lock key if it still holds our token: 1 when deleted, 0 when it
 * expired (another may hold it now), -1 when Redis could not be asked.
 */
static int
rd_unlock_key(struct rd_conn *rc, const char *key, const char *token)
{
	redisReply	*r;
	const char	*argv[2];
	char		*cause = NULL;
	int		 rv;

	argv[0] = key;
	argv[1] = token;
	if (rd_conn_script(rc, RD_SCRIPT_UNLOCK, 1, 2, argv, NULL, &r,
	    &cause) != STORE_OK) {
		log_warnx("%s: %s", __func__, cause);
		free(cause);
		return -1;
	}
	rv = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return rv;
}

/*
 * Locks whose release failed (Redis was away) outlive a restart in the
 * append-only file, and a request on any thread may be waiting for one:
 * whichever thread asks Redis next releases them, until they expire.
 * -1 while one cannot be released (Redis is still away).
 */
static int
rd_unlock_stale(struct rd_conn *rc)
{
	struct rd_store	*rs = rc->rs;
	struct rd_stale	*s, *todo, *keep = NULL, **tail = &keep;
	long long	 now;
	int		 away = 0;

	pthread_mutex_lock(&rs->stale_mtx);
	todo = rs->stale;
	rs->stale = NULL;
	pthread_mutex_unlock(&rs->stale_mtx);
	if (todo == NULL)
		return 0;
	now = clock_ms();
	while ((s = todo) != NULL) {
		todo = s->next;
		if (now < s->until && (away ||
		    rd_unlock_key(rc, s->key, s->token) == -1)) {
			away = 1;
			s->next = NULL;
			*tail = s;
			tail = &s->next;
			continue;
		}
		free(s->key);
		free(s->token);
		free(s);
	}
	if (keep == NULL)
		return 0;
	pthread_mutex_lock(&rs->stale_mtx);
	*tail = rs->stale;
	rs->stale = keep;
	pthread_mutex_unlock(&rs->stale_mtx);
	return -1;
}

/* Keep a lock (key and token, taken over) for the next thread to release. */
static void
rd_unlock_later(struct rd_conn *rc, char *key, char *token,
    const struct config *cfg)
{
	struct rd_store	*rs = rc->rs;
	struct rd_stale	*s;

	s = xcalloc(1, sizeof *s);
	s->key = key;
	s->token = token;
	s->until = clock_ms() + 1000LL * (cfg->handler_timeout +
	    RD_LOCK_MARGIN);
	pthread_mutex_lock(&rs->stale_mtx);
	s->next = rs->stale;
	rs->stale = s;
	pthread_mutex_unlock(&rs->stale_mtx);
}

/* Release our lock, unless it expired and someone else holds it now. */
static void
rd_unlock(struct store *st, void *conn)
{
	struct rd_conn	*rc = conn;
	int		 rv;

	if (rc->lock_key == NULL)
		return;
	rv = rd_unlock_key(rc, rc->lock_key, rc->lock_token);
	if (rv == 0)
		log_warnx("%s: session lock expired while held", __func__);
	if (rv == -1)
		rd_unlock_later(rc, rc->lock_key, rc->lock_token, st->cfg);
	else {
		free(rc->lock_key);
		free(rc->lock_token);
	}
	rc->lock_key = rc->lock_token = NULL;
}

/*
 * Take the session's lock: SET "<key>:lock" to a random token, NX with a
 * TTL that covers a handler running its full handler_timeout (so it only
 * expires on its own when its holder died), polled with jittered back-off
 * until `timeout` seconds have passed.
 */
static enum store_result
rd_lock(struct store *st, void *conn, const char *cookie, long timeout,
    char **cause)
{
	struct rd_conn	*rc = conn;
	enum store_result rv;
	redisReply	*r;
	const char	*argv[6];
	char		*id, *key, *token, ttl[24];
	long long	 deadline;
	long		 delay = 2;
	unsigned int	 jitter;
	int		 got;

	if (rc->lock_key != NULL) {
		*cause = xstrdup("a session lock is already held");
		return STORE_ERROR;
	}
	/* Unreleased locks first: none taken while Redis is away. */
	if (rd_unlock_stale(rc) != 0) {
		*cause = xstrdup("redis: an earlier session lock is not "
		    "released yet (Redis unreachable)");
		return STORE_ERROR;
	}
	if (cookie == NULL)
		return STORE_NOTFOUND;
	if (rd_aiohttp_on(st))
		id = rd_aiohttp_cookie_key(st, cookie);
	else if (store_verify_id(st->keys, cookie, &id) == 0) {
		key = rd_key(st, 0, id);
		free(id);
		id = key;
	} else
		id = NULL;
	if (id == NULL)
		return STORE_NOTFOUND;
	xasprintf(&key, "%s" RD_LOCK_SUFFIX, id);
	free(id);
	token = crypto_random_id(12);
	snprintf(ttl, sizeof ttl, "%lld", 1000LL * (timeout >
	    st->cfg->handler_timeout + RD_LOCK_MARGIN ? timeout :
	    st->cfg->handler_timeout + RD_LOCK_MARGIN));
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = token;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = ttl;
	deadline = clock_ms() + (timeout > 0 ? timeout : 1) * 1000LL;
	for (;;) {
		if ((rv = rd_conn_cmd(rc, 6, argv, NULL, &r, cause)) !=
		    STORE_OK) {
			/* Redis may have taken it before it went away. */
			rd_unlock_later(rc, key, token, st->cfg);
			return rv;
		}
		got = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
		if (got) {
			rc->lock_key = key;
			rc->lock_token = token;
			return STORE_OK;
		}
		/* It may be one of ours that a request left behind. */
		(void)rd_unlock_stale(rc);
		if (clock_ms() >= deadline) {
			*cause = xstrdup("session lock not acquired within "
			    "lock_timeout");
			rv = STORE_TIMEOUT;
			break;
		}
		crypto_random(&jitter, sizeof jitter);
		poll(NULL, 0, (int)(delay / 2 + jitter % delay + 1));
		if (delay < 50)
			delay *= 2;
	}
	free(key);
	free(token);
	return rv;
}

const struct store_ops store_redis_ops = {
	/* In logs, messages and store_names(). */
	.name = "redis",
	/* At start-up: takes redis://... and redis+unix://... values. */
	.match = rd_match,
	/* Sessions live in Redis; the cookie holds a signed id. */
	.client_side = 0,
	/* At start-up: parses the value; connects on first use. */
	.open = rd_conn_open,
	/* At exit: frees the parsed value, wiping the password. */
	.close = rd_conn_close,
	/* Per worker thread: its own connection, made on first use. */
	.conn_new = rd_conn_new,
	/* When a worker thread exits: closes it, frees what it holds. */
	.conn_free = rd_conn_free,
	/* Per request: HMGET by keyed hash, moving sessions of old keys. */
	.load = rd_load,
	/* Per changed session: one script (add, CAS, overwrite); EXPIREAT. */
	.save = rd_save,
	/* On logout or id change: delete, or mark with the end of grace. */
	.destroy = rd_destroy,
	/* lock = exclusive: SET NX PX of a token, polled to lock_timeout. */
	.lock = rd_lock,
	/* After save: deletes the lock key when it still holds our token. */
	.unlock = rd_unlock,
	/* sessionwrap-ctl's operations (store_redis_admin.c). */
	.admin = &rd_admin_ops,
};
