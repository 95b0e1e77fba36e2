/*
 * memcached store internals shared with the cache tier (store_cache.c), which
 * keeps copies of PostgreSQL sessions in memcached. Private to lib/: the rest
 * of the code goes through store_ops.
 */
#ifndef SW_STORE_MEMCACHED_H
#define SW_STORE_MEMCACHED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "session.h"
#include "store.h"

#define STORE_CACHE_TTL		60	/* s a cached copy lives by default */
#define STORE_CACHE_TTL_MAX	3600	/* most a ttl= option may ask for */

/* How store_memcached_put writes. */
enum store_mc_put {
	STORE_MC_ADD,		/* only when absent */
	STORE_MC_CAS,		/* only when still at the given CAS value */
	STORE_MC_SET		/* always */
};

/*
 * Open a memcached store on `uri` (memcached://...). With cache_ttl NULL it
 * is the store itself; else a cache: the ttl= option (seconds) lands in
 * *cache_ttl, servers that fail are not ejected (their keys never move to a
 * server that would keep a second, soon stale copy). The key prefix is the
 * prefix= option, "sw:" without one. NULL and *cause on a bad value.
 */
void		*store_memcached_open(struct store *, const char *, long *,
		    char **);
/* The full memcached key of a store key (keyed hash); caller frees. */
char		*store_memcached_key(struct store *, const char *);
/*
 * Get one item: STORE_OK with *value (caller frees, NUL-terminated), *len
 * and its CAS value; STORE_NOTFOUND; STORE_ERROR and *cause.
 */
enum store_result store_memcached_get(struct store *, void *, const char *,
		    char **, size_t *, uint64_t *, char **);
/*
 * Store an item for `ttl` seconds (at most 30 days). STORE_CONFLICT when an
 * add finds one or a CAS lost (or found none); STORE_TOOBIG; STORE_ERROR.
 */
enum store_result store_memcached_put(struct store *, void *, const char *,
		    const char *, size_t, long, enum store_mc_put, uint64_t,
		    char **);
/* The stored form of a session, readable until `until`, with a version. */
char		*store_memcached_value(const struct session *, time_t,
		    uint64_t);
/* Parse it back (takes ownership of id): *until, *version (0: none). */
struct session	*store_memcached_parse(const char *, size_t, char *, time_t,
		    time_t *, uint64_t *, char **);
/* Only the version of a stored form; -1 when it is not one. */
int		 store_memcached_version(const char *, size_t, uint64_t *);

#endif
