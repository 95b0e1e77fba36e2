/*
 * What sessionwrap-ctl asks of the cache tier: PostgreSQL's answers, and
 * for revoke tombstones for the copies too.
 */
#include "autoconf.h"

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

/* Purge expired rows; their copies ended with them (no later than `until`). */
static enum store_result
cache_admin_gc(struct store *st, void *conn, time_t now, long *n, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;

	return PG_ADMIN->gc(&cc->cs->pg, cc->pg, now, n, cause);
}

/* Sleep for a number of milliseconds. */
static void
cache_admin_sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
}

/*
 * Tombstone the copies of n revoked sessions (store keys), retrying what
 * memcached refuses for CACHE_REVOKE_MS: a revoke runs once, from
 * sessionwrap-ctl, and nobody would write a tombstone it dropped. Returns
 * how many are still not written (the last failure in *why).
 */
static long
cache_admin_tombstone_all(struct cache_conn *cc, char **keys, long n,
    char **why)
{
	struct cache_store *cs = cc->cs;
	char		*done, *key, *cause;
	long long	 deadline = clock_ms() + CACHE_REVOKE_MS;
	long		 i, left = n, delay = 50;

	done = xcalloc(n + 1, 1);
	for (;;) {
		for (i = 0; i < n; i++) {
			if (done[i])
				continue;
			key = store_memcached_key(&cs->mc, keys[i]);
			cause = NULL;
			if (cache_tombstone_put(cc, key, &cause) == 0) {
				done[i] = 1;
				left--;
			} else {
				free(*why);
				*why = cause;
			}
			free(key);
		}
		if (left == 0 || clock_ms() >= deadline)
			break;
		cache_admin_sleep_ms(delay);
		if (delay < 500)
			delay *= 2;
	}
	if (left != 0) {
		cache_failed(cc, *why);
		/* A worker process keeps trying while the copies matter. */
		for (i = 0; i < n; i++) {
			if (!done[i]) {
				key = store_memcached_key(&cs->mc, keys[i]);
				cache_pending_add(cc, key);
				free(key);
			}
		}
	} else if (n > 0)
		cache_answered(cc);
	free(done);
	return left;
}

/*
 * Delete a user's sessions in PostgreSQL, then tombstone their copies.
 * When memcached takes not every tombstone, the copies stay readable up to
 * the cache ttl: that is a failure (STORE_ERROR, with *n and *ws_ids of
 * what PostgreSQL deleted), not a success.
 */
static enum store_result
cache_admin_revoke_user(struct store *st, void *conn, const char *user, long *n,
    char ***ws_ids, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	char		**keys, *why = NULL;
	long		 i, left;

	cache_pending_flush(cc);
	rv = store_pg_revoke_user(&cs->pg, cc->pg, user, &keys, ws_ids, n,
	    cause);
	if (rv != STORE_OK)
		return rv;
	left = cache_admin_tombstone_all(cc, keys, *n, &why);
	for (i = 0; i < *n; i++)
		free(keys[i]);
	free(keys);
	if (left != 0) {
		xasprintf(cause, "%ld session%s deleted in PostgreSQL, but the "
		    "cache took no tombstone for %ld of them within %d s (%s): "
		    "their cached copies stay readable for up to %ld s; make "
		    "sure memcached answers, then flush it or wait that long",
		    *n, *n == 1 ? "" : "s", left, CACHE_REVOKE_MS / 1000,
		    why != NULL ? why : "memcached failed", cs->ttl);
		free(why);
		return STORE_ERROR;
	}
	free(why);
	return STORE_OK;
}

/* Show what PostgreSQL holds (sessionwrap-ctl show). */
static enum store_result
cache_admin_show(struct store *st, void *conn, const char *what,
    struct session **out, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;

	return PG_ADMIN->show(&cc->cs->pg, cc->pg, what, out, cause);
}

/* A user's sessions as PostgreSQL holds them (sessionwrap-ctl sessions). */
static enum store_result
cache_admin_sessions(struct store *st, void *conn, const char *user,
    time_t now, struct store_user_session **out, size_t *n, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;

	return PG_ADMIN->sessions(&cc->cs->pg, cc->pg, user, now, out, n,
	    cause);
}

/*
 * Delete one session in PostgreSQL, then tombstone its copy; as for
 * revoke --user, a copy left readable is a failure.
 */
static enum store_result
cache_admin_revoke(struct store *st, void *conn, const char *what,
    char **ws_id, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	char		*key, *why = NULL;
	long		 left;

	cache_pending_flush(cc);
	rv = store_pg_revoke_one(&cs->pg, cc->pg, what, &key, ws_id, cause);
	if (rv != STORE_OK) {
		free(key);
		return rv;
	}
	left = cache_admin_tombstone_all(cc, &key, 1, &why);
	free(key);
	if (left != 0) {
		xasprintf(cause, "session deleted in PostgreSQL, but the cache "
		    "took no tombstone for it within %d s (%s): its cached "
		    "copy stays readable for up to %ld s", CACHE_REVOKE_MS /
		    1000, why != NULL ? why : "memcached failed", cs->ttl);
		free(why);
		return STORE_ERROR;
	}
	free(why);
	return STORE_OK;
}

/* Create PostgreSQL's table (sessionwrap-ctl init-db). */
static enum store_result
cache_admin_init(struct store *st, void *conn, char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;

	return PG_ADMIN->init(&cc->cs->pg, cc->pg, cause);
}

/*
 * PostgreSQL's numbers, then memcached's prefixed "cache "; memcached being
 * away is a line, not a failure.
 */
static enum store_result
cache_admin_stats(struct store *st, void *conn, time_t now, char **out,
    char **cause)
{
	(void)st;
	struct cache_conn *cc = conn;
	struct cache_store *cs = cc->cs;
	enum store_result rv;
	char		*pg = NULL, *mc = NULL, *why = NULL, *line, *p, *text;

	*out = NULL;
	rv = PG_ADMIN->stats(&cs->pg, cc->pg, now, &pg, cause);
	if (rv != STORE_OK) {
		*out = pg;
		return rv;
	}
	xasprintf(&text, "%scache_ttl %ld\n", pg, cs->ttl);
	free(pg);
	if (MC_ADMIN->stats(&cs->mc, cc->mc, now, &mc, &why) != STORE_OK) {
		xasprintf(&line, "%scache unavailable: %s\n", text, why);
		free(text);
		text = line;
	}
	for (p = mc; p != NULL && *p != '\0'; p += strcspn(p, "\n") +
	    (p[strcspn(p, "\n")] != '\0')) {
		xasprintf(&line, "%scache %.*s\n", text, (int)strcspn(p, "\n"),
		    p);
		free(text);
		text = line;
	}
	free(mc);
	free(why);
	*out = text;
	return STORE_OK;
}

const struct store_admin_ops cache_admin_ops = {
	/* gc: PostgreSQL's; copies end with their rows. */
	.gc = cache_admin_gc,
	/* revoke --user: PostgreSQL's, then a tombstone for every copy. */
	.revoke_user = cache_admin_revoke_user,
	/* show: what PostgreSQL holds. */
	.show = cache_admin_show,
	/* sessions --user: what PostgreSQL holds. */
	.sessions = cache_admin_sessions,
	/* revoke ID: PostgreSQL's, then a tombstone for the copy. */
	.revoke = cache_admin_revoke,
	/* init-db: PostgreSQL's table. */
	.init = cache_admin_init,
	/* stats: PostgreSQL's numbers, then memcached's as "cache ...". */
	.stats = cache_admin_stats,
};
