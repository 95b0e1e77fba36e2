/*
 * Session stores. Each backend is a const struct store_ops in a file of its
 * own (store_cookie.c, store_pg.c, store_memcached.c, store_redis.c), found
 * by name in the table in store.c, whose entries exist only where configure
 * found the library; the cache tier (store_cache.c) stands in front of PostgreSQL
 * when `cache =` is set. What only sessionwrap-ctl needs is in store_admin.h.
 */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <time.h>

#include "config.h"
#include "crypto.h"
#include "session.h"

enum store_result {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* unknown, expired, forged: use a fresh session */
	STORE_CONFLICT,		/* compare-and-swap lost: reload and re-apply */
	STORE_TOOBIG,		/* does not fit (cookie over 4 KB, item too large) */
	STORE_TIMEOUT,		/* lock not acquired within lock_timeout */
	STORE_ERROR		/* store unreachable or failing: 503 */
};

struct store;
/* Admin-only operations (store_admin.h): only sessionwrap-ctl calls them. */
struct store_admin_ops;

/*
 * A backend: what sessionwrap and sessionwrap-ws call on the data path.
 * Every `struct store *` argument is the store open() was called for; every
 * `void *` after it is what conn_new returned for the calling thread.
 * Strings and sessions passed in stay the caller's; *cause, when set, is
 * the caller's to free.
 */
struct store_ops {
	/* For logs and messages; never freed. */
	const char	*name;
	/*
	 * Called at start-up with the `store =` value: non-zero when this
	 * backend takes it. NULL for a tier chosen otherwise (cache =).
	 */
	int		 (*match)(const char *);
	/* Non-zero when the session lives in the cookie (no server state). */
	int		 client_side;
	/*
	 * Called once per process at start-up: parse the URI, check what the
	 * backend needs (keys). Returns backend state (st->priv, the
	 * backend's until close), or NULL and *cause.
	 */
	void		*(*open)(struct store *, char **);
	/* Called once at exit with what open returned; frees it. */
	void		 (*close)(void *);
	/*
	 * Called once per worker thread: its own connection (the backend's
	 * until conn_free). NULL and *cause when it cannot be made now; the
	 * caller retries later (503 meanwhile).
	 */
	void		*(*conn_new)(struct store *, char **);
	/* Called when the thread is done with what conn_new returned. */
	void		 (*conn_free)(void *);
	/*
	 * Called per request with the cookie value: load the session it
	 * names. STORE_OK fills *out (caller frees); STORE_NOTFOUND for
	 * unknown/forged/expired; STORE_ERROR on an outage. Never returns an
	 * expired session.
	 */
	enum store_result (*load)(struct store *, void *, const char *,
			    time_t, struct session **, char **);
	/*
	 * Optional, called before the script runs: start loading the session
	 * a cookie names, to be finished by the next load of the same cookie
	 * and time; never fails (load then does the work).
	 */
	void		 (*prefetch)(struct store *, void *, const char *,
			    time_t);
	/*
	 * Called per request that must save: with `cas` set, fail with
	 * STORE_CONFLICT when the stored version is no longer s->version. On
	 * STORE_OK, s->version is the new version and *cookie the value the
	 * client must hold (caller frees).
	 */
	enum store_result (*save)(struct store *, void *, struct session *,
			    int, time_t, char **, char **);
	/*
	 * Called on logout and after an id change: delete a session by id,
	 * or keep it readable for `grace` seconds.
	 */
	enum store_result (*destroy)(struct store *, void *, const char *,
			    long, time_t, char **);
	/*
	 * Optional, with lock = exclusive, before load: lock the session a
	 * cookie names for at most `timeout` seconds (STORE_TIMEOUT).
	 */
	enum store_result (*lock)(struct store *, void *, const char *,
			    long, char **);
	/* Optional: after save, release what lock took on this connection. */
	void		 (*unlock)(struct store *, void *);
	/* Optional: the admin operations (store_admin.h); NULL when none. */
	const struct store_admin_ops *admin;
};

struct store {
	const struct store_ops	*ops;
	const struct config	*cfg;
	const struct keyring	*keys;
	void			*priv;
};

/* Pick the backend for cfg->store and open it; NULL and *cause. */
struct store	*store_open(const struct config *, const struct keyring *, char **);
void		 store_close(struct store *);
/* Names of the backends built in, space separated. */
const char	*store_names(void);
const char	*store_result_str(enum store_result);

/* Helpers for server-side backends: signed cookie ids and keyed store keys. */
char		*store_sign_id(const struct keyring *, const char *);
/* Verify "id.mac"; 0 and *id (caller frees) when genuine. */
int		 store_verify_id(const struct keyring *, const char *, char **);
/* Same, returning the index of the signing key (0 = current), or -1. */
int		 store_verify_id_key(const struct keyring *, const char *,
		    char **);
/*
 * Called by a load whose cookie a non-current key signed (keyidx > 0):
 * marks the session so that the request saves it and sends the cookie
 * signed with the current key.
 */
void		 store_rekeyed(struct session *, int);
/*
 * A session a server store read back, checked by the rules every store's
 * sessions follow (session_check): s, or NULL (s freed) and *cause.
 */
struct session	*store_checked(struct session *, char **);
/* True when s[0..len) is a store key (lowercase hex of store_key's length). */
int		 store_key_ok(const char *, size_t);
/* A server store's key prefix: printable, without spaces, at most 128. */
int		 store_prefix_ok(const char *);
/* Keyed hash of a session id for use as the store key (hex). */
char		*store_key(const struct keyring *, const char *);
/*
 * Store key under the n-th key (0 = current). After a key rotation a miss
 * under store_key() should retry n = 1 .. keyring_count() - 1 and re-save.
 */
char		*store_key_n(const struct keyring *, size_t, const char *);
/*
 * Public SESSION_ID for the handler (hex, never the cookie value): the same
 * under every key (a hash of the id alone); the keyring is not used.
 */
char		*store_public_id(const struct keyring *, const char *);

extern const struct store_ops store_cookie_ops;
#ifdef HAVE_POSTGRESQL
extern const struct store_ops store_pg_ops;
#endif
#ifdef HAVE_MEMCACHED
extern const struct store_ops store_memcached_ops;
#endif
#ifdef HAVE_REDIS
extern const struct store_ops store_redis_ops;
#endif
#if defined(HAVE_POSTGRESQL) && defined(HAVE_MEMCACHED)
/* The cache tier (store_cache.c): chosen by `cache =`, never by name. */
extern const struct store_ops store_cache_ops;
#endif

#endif
