/*
 * What the two files of the cache tier share, and nothing else includes:
 * store_cache.c (open, load, save, destroy, lock, copies and tombstones;
 * cache_*) and store_cache_admin.c (what sessionwrap-ctl calls;
 * cache_admin_*).
 */
#ifndef SW_STORE_CACHE_INT_H
#define SW_STORE_CACHE_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

#define CACHE_NAME		"postgresql+memcached"
#define CACHE_FILL_MAX_MS	2000	/* a PostgreSQL read older is not copied */
#define CACHE_LOG_INTERVAL	60	/* s between two "cache unavailable" lines */
#define CACHE_PUT_TRIES		4	/* rounds against concurrent writers */
#define CACHE_PENDING_MAX	64	/* tombstones kept per worker for later */
#define CACHE_TOMBSTONE		"-"	/* never a session: ask PostgreSQL */
#define CACHE_REVOKE_MS		5000	/* revoke retries tombstones this long */

/* Process-wide state: the two stores and how memcached has been doing. */
struct cache_store {
	struct store	 pg;		/* the truth */
	struct store	 mc;		/* the copies */
	long		 ttl;		/* s a copy or a tombstone lives */
	pthread_mutex_t	 lock;		/* the members below */
	long long	 distrust_until; /* monotonic s: read no copies before */
	long long	 warned;	/* monotonic s of the last warning */
	int		 warned_once;
	int		 down;		/* warned, not yet seen working again */
	unsigned long	 failures;	/* since the last warning */
};

/* A tombstone memcached did not take, to retry while it matters. */
struct cache_pending {
	char		*key;
	long long	 until;		/* monotonic s: any copy it covers is gone */
};

/* Per-thread state: a connection to each store and what this request did. */
struct cache_conn {
	struct cache_store *cs;
	void		*pg;
	void		*mc;
	int		 locked;	/* holds PostgreSQL's session lock */
	char		*hit_key;	/* the copy last read... */
	uint64_t	 hit_cas;	/* ...and its memcached CAS value */
	char		*stale_key;	/* lost a CAS race: read it from PostgreSQL */
	struct cache_pending pending[CACHE_PENDING_MAX];
	size_t		 npending;
};

/* Which outcome of reading a copy. */
enum cache_read {
	CACHE_HIT,		/* a live copy: served */
	CACHE_ABSENT,		/* none: ask PostgreSQL, then add a copy */
	CACHE_MISS,		/* unusable or not read: PostgreSQL, then copy */
	CACHE_SKIP		/* tombstone or failure: ask PostgreSQL, no copy */
};

/* The two backends, for the calls that go straight through. */
#define PG_OPS	(&store_pg_ops)
#define MC_OPS	(&store_memcached_ops)
#define PG_ADMIN	(store_pg_ops.admin)
#define MC_ADMIN	(store_memcached_ops.admin)

/* memcached failed: read no copies for a while, and say so now and then. */
void		 cache_failed(struct cache_conn *, const char *);
/* memcached answered: say so once after it had failed. */
void		 cache_answered(struct cache_conn *);
/* Keep a tombstone memcached did not take, to retry while it matters. */
void		 cache_pending_add(struct cache_conn *, const char *);
/* Retry the tombstones kept; drop those that no longer matter. */
void		 cache_pending_flush(struct cache_conn *);
/* Put a tombstone under a full memcached key; -1 and *cause. */
int		 cache_tombstone_put(struct cache_conn *, const char *,
		    char **);

/* What only sessionwrap-ctl calls (store_cache_admin.c). */
extern const struct store_admin_ops cache_admin_ops;

#endif
