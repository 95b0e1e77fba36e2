/*
 * The cache tier: memcached in front of the PostgreSQL store (cache = ...).
 *
 * PostgreSQL is the truth. memcached holds copies of sessions stamped with
 * PostgreSQL's version and the row's end, for at most `ttl` seconds (default
 * 60: bounds the life of any copy an invalidation missed, and matches the
 * default touch_interval, so a session in use is rewritten about as often as
 * its copy would expire). Copies are written only after PostgreSQL answered,
 * never over a newer copy; destroy and revoke leave a tombstone ("ask
 * PostgreSQL") that blocks copies from reads still in flight; whenever a
 * copy may be wrong and cannot be replaced, it gets a tombstone too.
 * memcached failing never fails a request: it is logged once a minute and
 * PostgreSQL serves alone; after a failure this process reads no copies for
 * `ttl` seconds, by when every copy an invalidation may have missed is gone.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_memcached.h"
#include "store_pg.h"
#include "store_cache_int.h"
#include "xmalloc.h"

/*
 * memcached failed: read no copies for a while and say so, at most once per
 * CACHE_LOG_INTERVAL for the whole process.
 */
void
cache_failed(struct cache_conn *cc, const char *cause)
{
	struct cache_store *cs = cc->cs;
	long long	 now = clock_ms() / 1000;

	if (cause == NULL)
		cause = "memcached failed";
	pthread_mutex_lock(&cs->lock);
	cs->distrust_until = now + cs->ttl;
	cs->failures++;
	if (cs->down && now - cs->warned >= CACHE_LOG_INTERVAL) {
		log_warnx("%s: cache still failing (%lu times in %llds), "
		    "PostgreSQL alone: %s", __func__, cs->failures,
		    now - cs->warned, cause);
		cs->warned = now;
		cs->failures = 0;
	} else if (!cs->down && (!cs->warned_once ||
	    now - cs->warned >= CACHE_LOG_INTERVAL)) {
		log_warnx("%s: cache unavailable, PostgreSQL alone: %s",
		    __func__, cause);
		cs->warned = now;
		cs->warned_once = 1;
		cs->failures = 0;
		cs->down = 1;
	}
	pthread_mutex_unlock(&cs->lock);
}

/* memcached answered: say so once after a warning. */
void
cache_answered(struct cache_conn *cc)
{
	struct cache_store *cs = cc->cs;

	pthread_mutex_lock(&cs->lock);
	if (cs->down) {
		log_info("%s: cache answering again; copies are read again "
		    "%lds after the last failure", __func__, cs->ttl);
		cs->down = 0;
	}
	pthread_mutex_unlock(&cs->lock);
}

/* May this process read copies now? Not soon after a failure. */
static int
cache_trusted(struct cache_store *cs)
{
	long long	 now = clock_ms() / 1000;
	int		 ok;

	pthread_mutex_lock(&cs->lock);
	ok = now >= cs->distrust_until;
	pthread_mutex_unlock(&cs->lock);
	return ok;
}

/* The memcached key of a session id; caller frees. */
static char *
cache_key(struct cache_store *cs, const char *id)
{
	char	*hash, *key;

	hash = store_key(cs->pg.keys, id);
	key = store_memcached_key(&cs->mc, hash);
	free(hash);
	return key;
}

/* Remember a tombstone to write when memcached answers again. */
void
cache_pending_add(struct cache_conn *cc, const char *key)
{
	struct cache_pending *p;
	size_t		 i;

	for (i = 0; i < cc->npending; i++) {
		if (strcmp(cc->pending[i].key, key) == 0)
			break;
	}
	if (i == cc->npending) {
		if (cc->npending == CACHE_PENDING_MAX) {
			/* The oldest: its copy is the first to expire. */
			log_debug("%s: dropping the oldest pending tombstone",
			    __func__);
			free(cc->pending[0].key);
			memmove(&cc->pending[0], &cc->pending[1],
			    (CACHE_PENDING_MAX - 1) * sizeof cc->pending[0]);
			cc->npending--;
		}
		i = cc->npending++;
		cc->pending[i].key = xstrdup(key);
	}
	p = &cc->pending[i];
	p->until = clock_ms() / 1000 + cc->cs->ttl;
}

/* Drop pending tombstone i. */
static void
cache_pending_drop(struct cache_conn *cc, size_t i)
{
	free(cc->pending[i].key);
	memmove(&cc->pending[i], &cc->pending[i + 1],
	    (cc->npending - i - 1) * sizeof cc->pending[0]);
	cc->npending--;
}

/* Write a tombstone; 0, or -1 and *cause. */
int
cache_tombstone_put(struct cache_conn *cc, const char *key, char **cause)
{
	struct cache_store *cs = cc->cs;

	if (store_memcached_put(&cs->mc, cc->mc, key, CACHE_TOMBSTONE,
	    strlen(CACHE_TOMBSTONE), cs->ttl, STORE_MC_SET, 0, cause) !=
	    STORE_OK)
		return -1;
	return 0;
}

/*
 * Write the tombstones memcached missed while they still matter, stopping
 * at the first failure (it is still away).
 */
void
cache_pending_flush(struct cache_conn *cc)
{
	long long	 now;
	char		*cause = NULL;
	size_t		 i = 0;

	if (cc->npending == 0)
		return;
	now = clock_ms() / 1000;
	while (i < cc->npending) {
		if (cc->pending[i].until <= now) {
			cache_pending_drop(cc, i);
			continue;
		}
		if (cache_tombstone_put(cc, cc->pending[i].key, &cause) != 0) {
			cache_failed(cc, cause);
			free(cause);
			return;
		}
		cache_pending_drop(cc, i);
	}
	cache_answered(cc);
}

/*
 * Make sure no copy of a key is read: a tombstone that lives `ttl` seconds,
 * longer than any copy written before it. Kept for later when memcached
 * does not take it.
 */
static void
cache_tombstone(struct cache_conn *cc, const char *key)
{
	char	*cause = NULL;

	if (cache_tombstone_put(cc, key, &cause) != 0) {
		cache_failed(cc, cause);
		free(cause);
		cache_pending_add(cc, key);
		return;
	}
	cache_answered(cc);
}

/* Read the copy of a session; CACHE_HIT fills *out (caller frees). */
static enum cache_read
cache_read(struct cache_conn *cc, const char *key, const char *id, time_t now,
    struct session **out)
{
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	struct session	*s;
	char		*value, *cause = NULL;
	size_t		 len;
	uint64_t	 cas, version = 0;
	time_t		 until;

	*out = NULL;
	rv = store_memcached_get(&cs->mc, cc->mc, key, &value, &len, &cas,
	    &cause);
	if (rv == STORE_NOTFOUND) {
		cache_answered(cc);
		return CACHE_ABSENT;
	}
	if (rv != STORE_OK) {
		cache_failed(cc, cause);
		free(cause);
		return CACHE_SKIP;
	}
	cache_answered(cc);
	if (len == strlen(CACHE_TOMBSTONE) &&
	    memcmp(value, CACHE_TOMBSTONE, len) == 0) {
		free(value);
		return CACHE_SKIP;
	}
	s = store_memcached_parse(value, len, xstrdup(id), now, &until,
	    &version, &cause);
	free(value);
	free(cause);
	if (s == NULL || version == 0) {
		/* Not a copy of ours: the next write replaces it. */
		session_free(s);
		return CACHE_MISS;
	}
	if ((until != 0 && until <= now) || session_expired(s, cs->pg.cfg,
	    now)) {
		/* PostgreSQL decides whether it really ended. */
		session_free(s);
		return CACHE_MISS;
	}
	s->version = version;
	free(cc->hit_key);
	cc->hit_key = xstrdup(key);
	cc->hit_cas = cas;
	*out = s;
	return CACHE_HIT;
}

/*
 * Copy PostgreSQL's session (row ends at `until`) into memcached, unless it
 * holds a tombstone or a copy at least as new. Starts with a CAS when this
 * worker read the copy, an add when it found none, else a get. When the
 * outcome is unsure the key gets a tombstone.
 */
static void
cache_put(struct cache_conn *cc, const char *key, const struct session *s,
    time_t until, time_t now, int absent)
{
	struct cache_store *cs = cc->cs;
	enum store_mc_put how = STORE_MC_ADD;
	enum store_result rv;
	char		*value, *old, *cause = NULL;
	size_t		 len, olen;
	uint64_t	 cas = 0, version;
	long		 ttl;
	int		 try, get = !absent;

	if (cc->hit_key != NULL && strcmp(cc->hit_key, key) == 0) {
		how = STORE_MC_CAS;
		cas = cc->hit_cas;
		get = 0;
	}
	free(cc->hit_key);
	cc->hit_key = NULL;

	ttl = cs->ttl;
	if (until - now < ttl)
		ttl = until - now;
	if ((value = store_memcached_value(s, until, s->version)) == NULL)
		goto unsure;
	len = strlen(value);
	for (try = 0; try < CACHE_PUT_TRIES; try++) {
		if (get) {
			rv = store_memcached_get(&cs->mc, cc->mc, key, &old,
			    &olen, &cas, &cause);
			if (rv != STORE_OK && rv != STORE_NOTFOUND) {
				cache_failed(cc, cause);
				break;
			}
			how = rv == STORE_OK ? STORE_MC_CAS : STORE_MC_ADD;
			if (rv == STORE_OK && olen == strlen(CACHE_TOMBSTONE) &&
			    memcmp(old, CACHE_TOMBSTONE, olen) == 0) {
				free(old);
				goto done;
			}
			if (rv == STORE_OK &&
			    store_memcached_version(old, olen, &version) == 0 &&
			    version >= s->version) {
				/* As new: the next save can CAS on it. */
				if (version == s->version) {
					cc->hit_key = xstrdup(key);
					cc->hit_cas = cas;
				}
				free(old);
				goto done;
			}
			if (rv == STORE_OK)
				free(old);
		}
		get = 1;
		rv = store_memcached_put(&cs->mc, cc->mc, key, value, len, ttl,
		    how, cas, &cause);
		if (rv == STORE_OK)
			goto done;
		if (rv == STORE_TOOBIG)
			break;
		if (rv != STORE_CONFLICT) {
			cache_failed(cc, cause);
			break;
		}
		/* Someone else wrote it meanwhile: look again. */
	}
	free(value);
	free(cause);
unsure:
	cache_tombstone(cc, key);
	return;

done:
	cache_answered(cc);
	free(value);
	free(cause);
}


/* Open both stores: PostgreSQL from cfg->store, memcached from cfg->cache. */
static void *
cache_open(struct store *st, char **cause)
{
	struct cache_store *cs;
	char		*why = NULL;

	if (st->cfg->cache == NULL || st->cfg->store == NULL ||
	    !PG_OPS->match(st->cfg->store)) {
		*cause = xstrdup("cache needs a PostgreSQL store");
		return NULL;
	}
	if (!MC_OPS->match(st->cfg->cache)) {
		*cause = xstrdup("cache must be memcached://host:port[,...]");
		return NULL;
	}
	cs = xcalloc(1, sizeof *cs);
	pthread_mutex_init(&cs->lock, NULL);
	cs->pg.ops = PG_OPS;
	cs->pg.cfg = st->cfg;
	cs->pg.keys = st->keys;
	cs->mc.ops = MC_OPS;
	cs->mc.cfg = st->cfg;
	cs->mc.keys = st->keys;
	if ((cs->pg.priv = PG_OPS->open(&cs->pg, cause)) == NULL)
		goto fail;
	cs->mc.priv = store_memcached_open(&cs->mc, st->cfg->cache, &cs->ttl,
	    &why);
	if (cs->mc.priv == NULL) {
		xasprintf(cause, "cache: %s", why);
		free(why);
		goto fail;
	}
	return cs;

fail:
	if (cs->pg.priv != NULL)
		PG_OPS->close(cs->pg.priv);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
	return NULL;
}

/* Close both stores. */
static void
cache_close(void *arg)
{
	struct cache_store *cs = arg;

	if (cs == NULL)
		return;
	PG_OPS->close(cs->pg.priv);
	MC_OPS->close(cs->mc.priv);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

/*
 * A worker's connections. Like the PostgreSQL store alone, none until
 * PostgreSQL answers; memcached is contacted on first use.
 */
static void *
cache_conn_new(struct store *st, char **cause)
{
	struct cache_store *cs = st->priv;
	struct cache_conn *cc;

	cc = xcalloc(1, sizeof *cc);
	cc->cs = cs;
	if ((cc->mc = MC_OPS->conn_new(&cs->mc, cause)) == NULL) {
		free(cc);
		return NULL;
	}
	if ((cc->pg = PG_OPS->conn_new(&cs->pg, cause)) == NULL) {
		MC_OPS->conn_free(cc->mc);
		free(cc);
		return NULL;
	}
	return cc;
}

/* Free a worker's connections; tombstones still pending are given up. */
static void
cache_conn_free(void *arg)
{
	struct cache_conn *cc = arg;

	if (cc == NULL)
		return;
	cache_pending_flush(cc);
	while (cc->npending > 0)
		cache_pending_drop(cc, cc->npending - 1);
	PG_OPS->conn_free(cc->pg);
	MC_OPS->conn_free(cc->mc);
	free(cc->hit_key);
	free(cc->stale_key);
	free(cc);
}

/*
 * Load: the copy when there is a live one, else PostgreSQL (and copy what it
 * says). Under the session lock always PostgreSQL: a stale copy there would
 * be an update lost without any CAS to notice.
 */
static enum store_result
cache_load(struct store *st, void *conn, const char *cookie, time_t now,
    struct session **out, char **cause)
{
	struct cache_conn *cc = conn;
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	enum cache_read	 read = CACHE_MISS;
	char		*id, *key;
	time_t		 until = 0;
	long long	 t0;
	int		 keyidx;

	*out = NULL;
	if (cookie == NULL ||
	    (keyidx = store_verify_id_key(st->keys, cookie, &id)) == -1)
		return STORE_NOTFOUND;
	cache_pending_flush(cc);
	free(cc->hit_key);
	cc->hit_key = NULL;
	key = cache_key(cs, id);
	if (cc->stale_key != NULL && strcmp(cc->stale_key, key) == 0) {
		free(cc->stale_key);
		cc->stale_key = NULL;
	} else if (!cc->locked && cache_trusted(cs))
		read = cache_read(cc, key, id, now, out);
	free(id);
	if (read == CACHE_HIT) {
		free(key);
		store_rekeyed(*out, keyidx);
		return STORE_OK;
	}

	t0 = clock_ms();
	rv = store_pg_load(&cs->pg, cc->pg, cookie, now, out, &until, cause);
	if (rv == STORE_OK && read != CACHE_SKIP &&
	    clock_ms() - t0 <= CACHE_FILL_MAX_MS)
		cache_put(cc, key, *out, until, now, read == CACHE_ABSENT);
	free(key);
	return rv;
}

/*
 * Save to PostgreSQL, whose version decides conflicts, then bring the copy
 * up to date; when PostgreSQL's outcome is unknown, or the row is gone, no
 * copy may be read any more.
 */
static enum store_result
cache_save(struct store *st, void *conn, struct session *s, int cas,
    time_t now, char **cookie, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	char		*key;
	time_t		 until = 0;
	int		 fresh = s->version == 0;

	cache_pending_flush(cc);
	key = cache_key(cs, s->id);
	rv = store_pg_save(&cs->pg, cc->pg, s, cas, now, cookie, &until,
	    cause);
	switch (rv) {
	case STORE_OK:
		cache_put(cc, key, s, until, now, fresh);
		break;
	case STORE_CONFLICT:
		/* The copy read may be stale: read PostgreSQL next time. */
		free(cc->stale_key);
		cc->stale_key = key;
		key = NULL;
		break;
	case STORE_TOOBIG:
		/* Refused before PostgreSQL changed anything. */
		break;
	default:
		cache_tombstone(cc, key);
		break;
	}
	free(key);
	return rv;
}

/*
 * Destroy (or doom): tombstone, PostgreSQL, tombstone again. The first stops
 * reads in flight from copying the row back, the second covers a first one
 * that was lost; while either lives, reads ask PostgreSQL, which decides.
 */
static enum store_result
cache_destroy(struct store *st, void *conn, const char *id, long grace,
    time_t now, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	char		*key;

	cache_pending_flush(cc);
	key = cache_key(cs, id);
	cache_tombstone(cc, key);
	rv = PG_OPS->destroy(&cs->pg, cc->pg, id, grace, now, cause);
	cache_tombstone(cc, key);
	free(key);
	return rv;
}

/* PostgreSQL's session lock; loads under it read PostgreSQL. */
static enum store_result
cache_lock(struct store *st, void *conn, const char *cookie, long timeout,
    char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;
	enum store_result rv;

	rv = PG_OPS->lock(&cc->cs->pg, cc->pg, cookie, timeout, cause);
	if (rv == STORE_OK)
		cc->locked = 1;
	return rv;
}

/* Release PostgreSQL's session lock. */
static void
cache_unlock(struct store *st, void *conn)
{
	(void)st;
	struct cache_conn *cc = conn;

	PG_OPS->unlock(&cc->cs->pg, cc->pg);
	cc->locked = 0;
}

const struct store_ops store_cache_ops = {
	/* In logs, messages and sessionwrap-ctl check-config. */
	.name = CACHE_NAME,
	/* Chosen by `cache =`, not by a store value (store_open). */
	.match = NULL,
	/* Sessions live in PostgreSQL, copies in memcached. */
	.client_side = 0,
	/* At start-up: opens both stores. */
	.open = cache_open,
	/* At exit: closes both. */
	.close = cache_close,
	/* Per worker thread: one to each; none until PostgreSQL answers. */
	.conn_new = cache_conn_new,
	/* When a worker thread exits: both, after the kept tombstones. */
	.conn_free = cache_conn_free,
	/* Per request: a live copy, else PostgreSQL (then a copy). */
	.load = cache_load,
	/* Per changed session: PostgreSQL, then the copy (or a tombstone). */
	.save = cache_save,
	/* On logout or id change: PostgreSQL, and a tombstone for the copy. */
	.destroy = cache_destroy,
	/* lock = exclusive: PostgreSQL's lock. */
	.lock = cache_lock,
	/* After save: PostgreSQL's unlock. */
	.unlock = cache_unlock,
	/* sessionwrap-ctl's operations (store_cache_admin.c). */
	.admin = &cache_admin_ops,
};
