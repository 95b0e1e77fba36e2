/*
 * What the files of the memcached store share, and nothing else includes:
 * store_memcached.c (connections, load, save, destroy, lock; mc_*),
 * store_memcached_config.c (the memcached:// value, behaviours; mc_config_*),
 * store_memcached_value.c (the stored form of a session; mc_value_*),
 * store_memcached_index.c (the per-user index; mc_index_*) and
 * store_memcached_admin.c (what sessionwrap-ctl calls; mc_admin_*).
 */
#ifndef SW_STORE_MEMCACHED_INT_H
#define SW_STORE_MEMCACHED_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "session.h"
#include "store.h"
#include "store_last.h"

#define MC_DEFAULT_PREFIX	"sw:"
#define MC_DEFAULT_TIMEOUT	300	/* ms: connect, poll, send, receive */
#define MC_RETRY_TIMEOUT	1	/* s before a failed server is tried again */
#define MC_FAILURE_LIMIT	1	/* failures before it leaves the ketama ring */
#define MC_DEAD_TIMEOUT		2	/* s out of the ring before a retry (0: forever!) */
#define MC_RELATIVE_MAX		2592000	/* 30 days: beyond, exptime is absolute */
#define MC_INDEX_MAX		256	/* store keys per chunk of a user index */
#define MC_INDEX_CHUNKS		1024	/* chunks per user: 262144 sessions */
#define MC_HASH_LEN		64	/* hex chars of a store key (store_key) */
#define MC_CAS_RETRIES		16	/* read-modify-write attempts */
#define MC_LOCK_SUFFIX		":lock"
#define MC_LOCK_MARGIN		5	/* s a lock outlives handler_timeout */

/*
 * After a store memcached does not tell libmemcached the new CAS value, so a
 * saved session carries this "stored, version unknown": a second CAS save
 * in the same request conflicts and reloads rather than overwrite blindly.
 */
#define MC_VERSION_UNKNOWN	UINT64_MAX

/* Process-wide state: the configured prototype every thread clones. */
struct mc_store {
	memcached_st	*proto;
	pthread_mutex_t	 lock;		/* memcached_clone reads proto */
	char		*prefix;
	int		 nservers;
};

/* Per-thread state: a private memcached_st and what this request holds. */
struct mc_conn {
	struct mc_store	*ms;
	memcached_st	*mc;
	char		*lock_key;	/* full key of the lock we hold */
	char		*lock_token;	/* our value in it */
	char		*doomed_key;	/* last loaded session was replaced... */
	time_t		 doomed_until;	/* ...and stays readable until then */
	struct store_last last;		/* the session loaded last */
};

/* A key prefix is printable, without spaces, and short. */
int		 mc_config_prefix_ok(const char *);
/* Release what store_memcached_open returned. */
void		 mc_config_free(void *);
/* A client for the store's servers without its keys; NULL and *cause. */
memcached_st	*mc_config_client(const char *, char **);

/* Map a libmemcached failure to a store result and cause. */
enum store_result mc_error(struct mc_conn *, memcached_return_t, const char *,
		    char **);
/* The full memcached key of a session id; caller frees. */
char		*mc_key(struct store *, const char *);
/* memcached's exptime for an item that ends at `expires`. */
time_t		 mc_exptime(time_t, time_t);
/*
 * Get one item with its CAS value. MEMCACHED_SUCCESS fills *value (caller
 * frees), *len and *cas; MEMCACHED_NOTFOUND when absent; else the failure.
 */
memcached_return_t mc_get(struct mc_conn *, const char *, char **, size_t *,
		    uint64_t *);

/*
 * The stored form (store_memcached_value.c): the session without its secret
 * id, with the end of its grace period `until` (0: none) and, in the cache
 * tier, the PostgreSQL version (0: none). NULL when it cannot be written.
 */
char		*mc_value_ver(const struct session *, time_t, uint64_t);
/* The stored form of the memcached store itself (no version; store_format). */
char		*mc_value(struct store *, const struct session *, time_t);
/*
 * Parse a stored form back into a session (takes ownership of id): *until
 * and, when not NULL, *ver (0: none). NULL and *cause when it is not one.
 */
struct session	*mc_value_parse_ver(const char *, size_t, char *, time_t,
		    time_t *, uint64_t *, char **);
/* Parse the memcached store's stored form (no version; store_format). */
struct session	*mc_value_parse(struct store *, const char *, size_t, char *,
		    time_t, time_t *, char **);

/*
 * The per-user index (store_memcached_index.c). The full key of chunk
 * `chunk` of a user's index under the keyidx-th key; caller frees.
 */
char		*mc_index_key(struct store *, size_t, const char *, int);
/*
 * Parse one chunk "until hash hash ...": *until, the store keys in *hashes
 * (NULL-terminated; free with mc_index_free), their count in *n, tokens
 * that are not store keys counted in *bad. -1 when it is not an index.
 */
int		 mc_index_parse(const char *, size_t, long long *, char ***,
		    size_t *, size_t *);
void		 mc_index_free(char **);
/* Remember a logged-in session's full key under its user until `expires`. */
void		 mc_index_add(struct store *, struct mc_conn *, const char *,
		    const char *, time_t, time_t);

/*
 * The id a cookie names (signed, or aiohttp's plain id): the index of the
 * key that signed it (0 for aiohttp's), or -1.
 */
int		 mc_cookie_id(struct store *, const char *, char **);
/* store_format = aiohttp (store_memcached_aiohttp.c). */
int		 mc_aiohttp_on(const struct store *);
char		*mc_aiohttp_key(struct store *, const char *);
char		*mc_aiohttp_value(struct store *, const struct session *, time_t);
struct session	*mc_aiohttp_parse(struct store *, const char *, size_t, char *,
		    time_t, time_t *, char **);
/* What only sessionwrap-ctl calls (store_memcached_admin.c). */
extern const struct store_admin_ops mc_admin_ops;

#endif
