/*
 * Counters with a lifetime, for sessionwrap-login's throttle: in a file
 * shared by the host's processes (counter.c), or in the session store's
 * servers, shared across hosts (counter_memcached.c, counter_pg.c,
 * counter_redis.c). A backend is a const struct counter_ops, picked by the
 * `store =` value.
 */
#ifndef SW_COUNTER_H
#define SW_COUNTER_H

#include <time.h>

#include "config.h"

#define COUNTER_KEY_LEN	32	/* hex characters of a key */

/*
 * A backend. Keys are COUNTER_KEY_LEN lowercase hex characters (callers
 * hash what they count); *cause, when set, is the caller's to free.
 */
struct counter_ops {
	/* For logs; never freed. */
	const char	*name;
	/* Called by counter_open: non-zero when it serves this `store =`. */
	int		 (*match)(const char *);
	/* Called once: the backend's state, or NULL and *cause. */
	void		*(*open)(const struct config *, char **);
	/*
	 * Add delta (may be negative; the count never goes below 0) to the
	 * counter `key`; one absent or expired starts at 0 and lives `ttl`
	 * seconds from then. *value gets the new count. -1 and *cause.
	 */
	int		 (*add)(void *, const char *, long, long, time_t, long *,
			    char **);
	/* Forget the counter `key`. -1 and *cause. */
	int		 (*remove)(void *, const char *, time_t, char **);
	/* Called once at the end with what open returned. */
	void		 (*close)(void *);
};

struct counter;

/* The backend for cfg->store (a file for the cookie store); NULL, *cause. */
struct counter	*counter_open(const struct config *, char **);
const char	*counter_name(const struct counter *);
int		 counter_add(struct counter *, const char *, long, long, time_t,
		    long *, char **);
int		 counter_remove(struct counter *, const char *, time_t, char **);
void		 counter_close(struct counter *);

#ifdef HAVE_MEMCACHED
extern const struct counter_ops counter_memcached_ops;
#endif
#ifdef HAVE_POSTGRESQL
extern const struct counter_ops counter_pg_ops;
#endif
#ifdef HAVE_REDIS
extern const struct counter_ops counter_redis_ops;
#endif

#endif
