/* memcached session store (libmemcached): ketama hashing, CAS versions, native TTL. */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>
#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_memcached.h"
#include "session_aiohttp.h"
#include "store_memcached_int.h"
#include "xmalloc.h"

/* Does this backend take the store value? */
static int
mc_match(const char *uri)
{
	return strncmp(uri, "memcached:", 10) == 0;
}

/* Open the store cfg->store names. */
static void *
mc_open(struct store *st, char **cause)
{
	return store_memcached_open(st, st->cfg->store, NULL, cause);
}

/* A private memcached_st for one worker thread. */
static void *
mc_conn_new(struct store *st, char **cause)
{
	struct mc_store	*ms = st->priv;
	struct mc_conn	*mcc;
	memcached_st	*mc;

	pthread_mutex_lock(&ms->lock);
	mc = memcached_clone(NULL, ms->proto);
	pthread_mutex_unlock(&ms->lock);
	if (mc == NULL) {
		*cause = xstrdup("memcached_clone failed");
		return NULL;
	}
	mcc = xcalloc(1, sizeof *mcc);
	mcc->ms = ms;
	mcc->mc = mc;
	return mcc;
}

/* Free a worker's memcached_st. */
static void
mc_conn_free(void *arg)
{
	struct mc_conn	*mcc = arg;

	if (mcc == NULL)
		return;
	memcached_free(mcc->mc);
	free(mcc->lock_key);
	free(mcc->lock_token);
	free(mcc->doomed_key);
	store_last_clear(&mcc->last);
	free(mcc);
}

/* Map a libmemcached failure to a store result and cause. */
enum store_result
mc_error(struct mc_conn *mcc, memcached_return_t rc, const char *what,
    char **cause)
{
	const char	*msg;

	if (rc == MEMCACHED_E2BIG) {
		*cause = xstrdup("session too large for memcached");
		return STORE_TOOBIG;
	}
	msg = memcached_last_error_message(mcc->mc);
	if (msg == NULL || *msg == '\0')
		msg = memcached_strerror(mcc->mc, rc);
	xasprintf(cause, "memcached %s: %s", what, msg);
	return STORE_ERROR;
}

/* The full memcached key of a session id; caller frees. */
char *
mc_key(struct store *st, const char *id)
{
	struct mc_store	*ms = st->priv;
	char		*hash, *key;

	if (mc_aiohttp_on(st))
		return mc_aiohttp_key(st, id);
	hash = store_key(st->keys, id);
	xasprintf(&key, "%s%s", ms->prefix, hash);
	free(hash);
	return key;
}

/* The id a cookie names, by store_format. */
int
mc_cookie_id(struct store *st, const char *cookie, char **id)
{
	if (mc_aiohttp_on(st))
		return session_aiohttp_cookie_id(cookie, id);
	return store_verify_id_key(st->keys, cookie, id);
}

/*
 * memcached's exptime: relative seconds up to 30 days, an absolute Unix time
 * beyond (a larger relative value would be read as a time in 1970).
 */
time_t
mc_exptime(time_t expires, time_t now)
{
	time_t	 ttl;

	ttl = expires - now;
	if (ttl < 1)
		ttl = 1;
	if (ttl <= MC_RELATIVE_MAX)
		return ttl;
	/* The protocol's exptime has 32 bits: no limit (SESSION_NEVER). */
	if (expires > INT32_MAX)
		return 0;
	return expires;
}

/*
 * True when rc says a server failed, worth one more try: a connection made
 * stale by a server restart is made anew, and with several servers
 * libmemcached has just dropped the failed one from the ring, so the retry
 * lands on a live server. A server that is really down fails again, fast.
 */
static memcached_return_t mc_get1(struct mc_conn *, const char *, char **,
		    size_t *, uint64_t *);

static int
mc_retry(struct mc_conn *mcc, memcached_return_t rc, int *tries)
{
	(void)mcc;
	if (++*tries > 2)
		return 0;
	switch (rc) {
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE:
	case MEMCACHED_SERVER_MARKED_DEAD:
	case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
	case MEMCACHED_TIMEOUT:
	case MEMCACHED_ERRNO:
	case MEMCACHED_READ_FAILURE:
	case MEMCACHED_WRITE_FAILURE:
	case MEMCACHED_UNKNOWN_READ_FAILURE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Get one item with its CAS value. MEMCACHED_SUCCESS fills *value (caller
 * frees), *len and *cas; MEMCACHED_NOTFOUND when absent; else the failure.
 * A failed server is retried past once (see mc_retry).
 */
memcached_return_t
mc_get(struct mc_conn *mcc, const char *key, char **value, size_t *len,
    uint64_t *cas)
{
	memcached_return_t rc;
	int		 tries = 0;

	do
		rc = mc_get1(mcc, key, value, len, cas);
	while (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND &&
	    mc_retry(mcc, rc, &tries));
	return rc;
}

/* One get attempt; see mc_get. */
static memcached_return_t
mc_get1(struct mc_conn *mcc, const char *key, char **value, size_t *len,
    uint64_t *cas)
{
	memcached_result_st *res;
	memcached_return_t rc, frc;
	size_t		 klen = strlen(key);

	*value = NULL;
	rc = memcached_mget(mcc->mc, &key, &klen, 1);
	if (rc != MEMCACHED_SUCCESS)
		return rc;
	rc = MEMCACHED_NOTFOUND;
	while ((res = memcached_fetch_result(mcc->mc, NULL, &frc)) != NULL) {
		if (*value == NULL) {
			/* All its bytes: *len is what the parsers read. */
			*len = memcached_result_length(res);
			*value = xmalloc(*len + 1);
			if (*len != 0)
				memcpy(*value, memcached_result_value(res),
				    *len);
			(*value)[*len] = '\0';
			*cas = memcached_result_cas(res);
			rc = MEMCACHED_SUCCESS;
		}
		memcached_result_free(res);
	}
	if (frc != MEMCACHED_END && frc != MEMCACHED_SUCCESS &&
	    frc != MEMCACHED_NOTFOUND) {
		free(*value);
		*value = NULL;
		return frc;
	}
	return rc;
}

/* The full memcached key of a store key, for the cache tier; caller frees. */
char *
store_memcached_key(struct store *st, const char *hash)
{
	struct mc_store	*ms = st->priv;
	char		*key;

	xasprintf(&key, "%s%s", ms->prefix, hash);
	return key;
}

/* Get one item for the cache tier, with its CAS value. */
enum store_result
store_memcached_get(struct store *st, void *conn, const char *key,
    char **value, size_t *len, uint64_t *cas, char **cause)
{
	(void)st;
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;

	rc = mc_get(mcc, key, value, len, cas);
	if (rc == MEMCACHED_SUCCESS)
		return STORE_OK;
	if (rc == MEMCACHED_NOTFOUND)
		return STORE_NOTFOUND;
	return mc_error(mcc, rc, "get", cause);
}

/* Store one item for the cache tier: add, CAS or set, for ttl seconds. */
enum store_result
store_memcached_put(struct store *st, void *conn, const char *key,
    const char *value, size_t len, long ttl, enum store_mc_put how,
    uint64_t cas, char **cause)
{
	(void)st;
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	size_t		 klen = strlen(key);

	if (ttl < 1)
		ttl = 1;
	if (ttl > MC_RELATIVE_MAX)
		ttl = MC_RELATIVE_MAX;
	switch (how) {
	case STORE_MC_ADD:
		rc = memcached_add(mcc->mc, key, klen, value, len, ttl, 0);
		break;
	case STORE_MC_CAS:
		rc = memcached_cas(mcc->mc, key, klen, value, len, ttl, 0, cas);
		break;
	default:
		rc = memcached_set(mcc->mc, key, klen, value, len, ttl, 0);
		break;
	}
	switch (rc) {
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
		return STORE_OK;
	case MEMCACHED_DATA_EXISTS:
	case MEMCACHED_NOTSTORED:
	case MEMCACHED_NOTFOUND:
		if (how != STORE_MC_SET)
			return STORE_CONFLICT;
		break;
	default:
		break;
	}
	return mc_error(mcc, rc, "store", cause);
}

/*
 * After a key rotation, move a session stored under an older key to the
 * current one (add, then delete the old item). MEMCACHED_NOTFOUND when
 * there is none.
 */
static memcached_return_t
mc_rekey(struct store *st, struct mc_conn *mcc, const char *id,
    const char *key, time_t now)
{
	struct mc_store	*ms = st->priv;
	memcached_return_t rc;
	struct session	*s;
	char		*hash, *old, *value, *cause = NULL;
	size_t		 n, len;
	uint64_t	 cas;
	time_t		 until, expires;

	for (n = 1; n < keyring_count(st->keys); n++) {
		hash = store_key_n(st->keys, n, id);
		xasprintf(&old, "%s%s", ms->prefix, hash);
		free(hash);
		rc = mc_get(mcc, old, &value, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND) {
			free(old);
			continue;
		}
		if (rc != MEMCACHED_SUCCESS) {
			free(old);
			return rc;
		}
		s = mc_value_parse(st, value, len, xstrdup(id), now, &until,
		    &cause);
		free(cause);
		if (s == NULL || session_expired(s, st->cfg, now)) {
			session_free(s);
			free(value);
			free(old);
			continue;
		}
		expires = session_expires(s, st->cfg);
		if (until != 0 && until < expires)
			expires = until;
		rc = memcached_add(mcc->mc, key, strlen(key), value, len,
		    mc_exptime(expires, now), 0);
		free(value);
		if (rc == MEMCACHED_SUCCESS && s->user != NULL)
			mc_index_add(st, mcc, s->user, key, expires, now);
		session_free(s);
		if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTSTORED &&
		    rc != MEMCACHED_DATA_EXISTS) {
			free(old);
			return rc;
		}
		memcached_delete(mcc->mc, old, strlen(old), 0);
		free(old);
		return MEMCACHED_SUCCESS;
	}
	return MEMCACHED_NOTFOUND;
}

/* Load the session a cookie value names; version is the item's CAS value. */
static enum store_result
mc_load(struct store *st, void *conn, const char *cookie, time_t now,
    struct session **out, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	struct session	*s;
	char		*id, *key, *value;
	size_t		 len;
	uint64_t	 cas = 0;
	time_t		 until;
	int		 keyidx;

	*out = NULL;
	store_last_clear(&mcc->last);
	if (cookie == NULL ||
	    (keyidx = mc_cookie_id(st, cookie, &id)) == -1)
		return STORE_NOTFOUND;
	key = mc_key(st, id);
	rc = mc_get(mcc, key, &value, &len, &cas);
	if (rc == MEMCACHED_NOTFOUND && keyring_count(st->keys) > 1 &&
	    !mc_aiohttp_on(st) &&
	    (rc = mc_rekey(st, mcc, id, key, now)) == MEMCACHED_SUCCESS)
		rc = mc_get(mcc, key, &value, &len, &cas);
	if (rc != MEMCACHED_SUCCESS) {
		free(id);
		free(key);
		if (rc == MEMCACHED_NOTFOUND)
			return STORE_NOTFOUND;
		return mc_error(mcc, rc, "get", cause);
	}
	s = mc_value_parse(st, value, len, id, now, &until, cause);
	free(value);
	if (s == NULL) {
		free(key);
		return STORE_ERROR;
	}
	if (session_expired(s, st->cfg, now) || (until != 0 && until <= now)) {
		session_free(s);
		free(key);
		return STORE_NOTFOUND;
	}
	s->version = cas;
	store_rekeyed(s, keyidx);
	free(mcc->doomed_key);
	mcc->doomed_key = NULL;
	if (until != 0) {
		mcc->doomed_key = xstrdup(key);
		mcc->doomed_until = until;
	}
	/* Its save needs the same key, and the same cookie. */
	store_last_set(&mcc->last, s->id, key, keyidx == 0 &&
	    !mc_aiohttp_on(st) ? cookie : NULL);
	*out = s;
	return STORE_OK;
}

/*
 * Without CAS (lock = none or exclusive) the last write wins, but never
 * over a doom or a delete that came after our load: a save would revive a
 * session logged out or replaced meanwhile for a whole idle timeout. So the
 * write is a CAS all the same, on the version loaded; when that lost, on
 * what is stored now, keeping its end of grace (the doom's "until"). What
 * is gone stays gone (MEMCACHED_NOTFOUND). *value may be rewritten.
 */
static memcached_return_t
mc_overwrite(struct store *st, struct mc_conn *mcc, struct session *s,
    const char *key, char **value, time_t expires, time_t until, time_t now)
{
	memcached_return_t rc;
	struct session	*cur;
	char		*old, *nvalue, *why = NULL;
	size_t		 klen = strlen(key), len;
	uint64_t	 cas;
	time_t		 cur_until;
	int		 try;

	if (s->version != MC_VERSION_UNKNOWN) {
		rc = memcached_cas(mcc->mc, key, klen, *value, strlen(*value),
		    mc_exptime(expires, now), 0, s->version);
		if (rc != MEMCACHED_DATA_EXISTS)
			return rc;
	}
	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, key, &old, &len, &cas);
		if (rc != MEMCACHED_SUCCESS)
			return rc;
		cur = mc_value_parse(st, old, len, xstrdup(s->id), now,
		    &cur_until, &why);
		free(old);
		free(why);
		why = NULL;
		if (cur != NULL && cur_until != 0) {
			session_free(cur);
			if (cur_until <= now)
				return MEMCACHED_NOTFOUND;
			/* Doomed since we loaded it: keep its end. */
			if (until == 0 || cur_until < until) {
				until = cur_until;
				if (expires > until)
					expires = until;
				if ((nvalue = mc_value(st, s, until)) == NULL)
					return MEMCACHED_FAILURE;
				free(*value);
				*value = nvalue;
			}
		} else
			session_free(cur);
		rc = memcached_cas(mcc->mc, key, klen, *value, strlen(*value),
		    mc_exptime(expires, now), 0, cas);
		if (rc != MEMCACHED_DATA_EXISTS)
			return rc;
	}
	return MEMCACHED_DATA_EXISTS;
}

/*
 * Write a session's stored form: add when new (without CAS, set over one
 * that is there), CAS on the version loaded, or mc_overwrite; a failed
 * server is retried past once (see mc_retry). *value may be rewritten.
 */
static memcached_return_t
mc_write(struct store *st, struct mc_conn *mcc, struct session *s, int cas,
    const char *key, char **value, time_t expires, time_t until, time_t now)
{
	memcached_return_t rc;
	size_t		 klen = strlen(key), vlen = strlen(*value);
	int		 tries = 0;

	do {
		if (s->version == 0) {
			rc = memcached_add(mcc->mc, key, klen, *value, vlen,
			    mc_exptime(expires, now), 0);
			if ((rc == MEMCACHED_NOTSTORED ||
			    rc == MEMCACHED_DATA_EXISTS) && !cas)
				rc = memcached_set(mcc->mc, key, klen, *value,
				    vlen, mc_exptime(expires, now), 0);
		} else if (cas) {
			rc = memcached_cas(mcc->mc, key, klen, *value, vlen,
			    mc_exptime(expires, now), 0, s->version);
		} else
			rc = mc_overwrite(st, mcc, s, key, value, expires,
			    until, now);
	} while (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_STORED &&
	    mc_retry(mcc, rc, &tries));
	return rc;
}

/*
 * Save a session: add when new, CAS or replace when stored. memcached does
 * not report the new CAS value, so s->version becomes MC_VERSION_UNKNOWN.
 */
static enum store_result
mc_save(struct store *st, void *conn, struct session *s, int cas, time_t now,
    char **cookie, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	enum store_result rv = STORE_OK;
	const char	*last;
	char		*key, *value;
	time_t		 expires, until = 0, oaccess;
	size_t		 vlen;

	*cookie = NULL;
	oaccess = s->access;
	s->access = now;
	/* The id loaded: its key is known (no second keyed hash). */
	last = store_last_key(&mcc->last, s->id);
	key = last != NULL ? xstrdup(last) : mc_key(st, s->id);
	expires = session_expires(s, st->cfg);
	if (mcc->doomed_key != NULL && strcmp(mcc->doomed_key, key) == 0) {
		/* Replaced by a login: never extend its grace period. */
		until = mcc->doomed_until;
		if (expires > until)
			expires = until;
	}
	if ((value = mc_value(st, s, until)) == NULL) {
		free(key);
		s->access = oaccess;
		*cause = xstrdup("session data cannot be serialized");
		return STORE_ERROR;
	}
	vlen = strlen(value);
	if (st->cfg->max_session_size > 0 &&
	    (long)vlen > st->cfg->max_session_size) {
		rv = STORE_TOOBIG;
		*cause = xstrdup("session data larger than max_session_size");
		goto out;
	}

	rc = mc_write(st, mcc, s, cas, key, &value, expires, until, now);
	switch (rc) {
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
		break;
	case MEMCACHED_DATA_EXISTS:
	case MEMCACHED_NOTSTORED:
	case MEMCACHED_NOTFOUND:
		if (cas || rc == MEMCACHED_DATA_EXISTS) {
			/* Without CAS: mc_overwrite lost every round. */
			rv = STORE_CONFLICT;
			goto out;
		}
		/* Gone (logout, expiry): never resurrect it. */
		*cause = xstrdup("session no longer stored");
		rv = STORE_NOTFOUND;
		goto out;
	default:
		rv = mc_error(mcc, rc, "store", cause);
		goto out;
	}
	if (s->version == 0 && s->user != NULL)
		mc_index_add(st, mcc, s->user, key, expires, now);
	s->version = MC_VERSION_UNKNOWN;
	/* An unchanged id: the cookie it came with (no second HMAC). */
	*cookie = mc_aiohttp_on(st) ? xstrdup(s->id) :
	    store_last_cookie(&mcc->last, st->keys, s->id);

out:
	if (rv != STORE_OK)
		s->access = oaccess;
	free(value);
	free(key);
	return rv;
}

/* Delete a session by id, or leave it readable for `grace` seconds. */
static enum store_result
mc_destroy(struct store *st, void *conn, const char *id, long grace,
    time_t now, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	json_t		*o;
	json_error_t	 jerr;
	char		*key, *value, *nvalue;
	size_t		 len;
	uint64_t	 cas;
	int		 try;

	key = mc_key(st, id);
	if (grace <= 0) {
		rc = memcached_delete(mcc->mc, key, strlen(key), 0);
		free(key);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_DELETED ||
		    rc == MEMCACHED_NOTFOUND)
			return STORE_OK;
		return mc_error(mcc, rc, "delete", cause);
	}

	/* Mark it with the end of its grace so saves cannot extend it. */
	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, key, &value, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND)
			break;
		if (rc != MEMCACHED_SUCCESS)
			goto fail;
		o = json_loadb(value, len, 0, &jerr);
		free(value);
		if (o == NULL || !json_is_object(o)) {
			/* Unreadable: nothing to keep. */
			json_decref(o);
			rc = memcached_delete(mcc->mc, key, strlen(key), 0);
			break;
		}
		json_object_set_new(o, "until", json_integer(now + grace));
		nvalue = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		rc = memcached_cas(mcc->mc, key, strlen(key), nvalue,
		    strlen(nvalue), mc_exptime(now + grace, now), 0, cas);
		free(nvalue);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND)
			break;
		if (rc != MEMCACHED_DATA_EXISTS)
			goto fail;
	}
	free(key);
	if (try == MC_CAS_RETRIES) {
		*cause = xstrdup("session changed too often to destroy");
		return STORE_CONFLICT;
	}
	return STORE_OK;

fail:
	free(key);
	return mc_error(mcc, rc, "destroy", cause);
}

/* Sleep for a number of milliseconds. */
static void
mc_sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Take the session's lock: `add` of "<key>:lock" holding a random token,
 * polled with jittered back-off until `timeout` seconds have passed. The
 * lock's TTL covers a handler that runs its full handler_timeout, so it
 * only expires on its own when its holder died.
 */
static enum store_result
mc_lock(struct store *st, void *conn, const char *cookie, long timeout,
    char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*id, *key, *token;
	long long	 deadline;
	long		 delay = 2, ttl;
	unsigned int	 jitter;

	if (mcc->lock_key != NULL) {
		*cause = xstrdup("a session lock is already held");
		return STORE_ERROR;
	}
	if (cookie == NULL || mc_cookie_id(st, cookie, &id) == -1)
		return STORE_NOTFOUND;
	key = mc_key(st, id);
	free(id);
	id = key;
	xasprintf(&key, "%s" MC_LOCK_SUFFIX, id);
	free(id);
	token = crypto_random_id(12);

	ttl = st->cfg->handler_timeout + MC_LOCK_MARGIN;
	if (ttl < timeout)
		ttl = timeout;
	deadline = clock_ms() + (timeout > 0 ? timeout : 1) * 1000LL;
	for (;;) {
		rc = memcached_add(mcc->mc, key, strlen(key), token,
		    strlen(token), ttl, 0);
		if (rc == MEMCACHED_SUCCESS) {
			mcc->lock_key = key;
			mcc->lock_token = token;
			return STORE_OK;
		}
		if (rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS) {
			free(key);
			free(token);
			return mc_error(mcc, rc, "lock", cause);
		}
		if (clock_ms() >= deadline)
			break;
		crypto_random(&jitter, sizeof jitter);
		mc_sleep_ms(delay / 2 + (long)(jitter % (unsigned)delay) + 1);
		if (delay < 50)
			delay *= 2;
	}
	free(key);
	free(token);
	*cause = xstrdup("session lock not acquired within lock_timeout");
	return STORE_TIMEOUT;
}

/* Release our lock, unless it expired and someone else holds it now. */
static void
mc_unlock(struct store *st, void *conn)
{
	(void)st;
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*value;
	size_t		 len;
	uint64_t	 cas;

	if (mcc->lock_key == NULL)
		return;
	rc = mc_get(mcc, mcc->lock_key, &value, &len, &cas);
	if (rc == MEMCACHED_SUCCESS && strcmp(value, mcc->lock_token) == 0)
		rc = memcached_delete(mcc->mc, mcc->lock_key,
		    strlen(mcc->lock_key), 0);
	else if (rc == MEMCACHED_SUCCESS)
		log_warnx("%s: session lock expired while held", __func__);
	if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND &&
	    rc != MEMCACHED_DELETED)
		log_warnx("%s: %s", __func__, memcached_strerror(mcc->mc, rc));
	free(value);
	free(mcc->lock_key);
	free(mcc->lock_token);
	mcc->lock_key = mcc->lock_token = NULL;
}

const struct store_ops store_memcached_ops = {
	/* In logs, messages and store_names(). */
	.name = "memcached",
	/* At start-up: takes memcached:... values. */
	.match = mc_match,
	/* Sessions live in memcached; the cookie holds a signed id. */
	.client_side = 0,
	/* At start-up: parses servers and options; connects on first use. */
	.open = mc_open,
	/* At exit: frees the prototype. */
	.close = mc_config_free,
	/* Per worker thread: a clone of the prototype. */
	.conn_new = mc_conn_new,
	/* When a worker thread exits: frees its clone and what it holds. */
	.conn_free = mc_conn_free,
	/* Per request: get by keyed hash, moving items saved under old keys. */
	.load = mc_load,
	/* Per changed session: add, CAS or guarded overwrite; native TTL. */
	.save = mc_save,
	/* On logout or id change: delete, or mark with the end of grace. */
	.destroy = mc_destroy,
	/* lock = exclusive: add of a lock item, polled until lock_timeout. */
	.lock = mc_lock,
	/* After save: deletes the lock item when it is still ours. */
	.unlock = mc_unlock,
	/* sessionwrap-ctl's operations (store_memcached_admin.c). */
	.admin = &mc_admin_ops,
};
