/*
 * Counters in the memcached store's servers, shared by every host that
 * uses them: an atomic increment that creates the item with its lifetime
 * (binary protocol), a decrement that stops at 0, a delete.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <libmemcached/memcached.h>

#include "counter.h"
#include "store_memcached_int.h"
#include "xmalloc.h"

#define COUNTER_MC_PREFIX	"swlogin:"

/* memcached:// values. */
static int
counter_mc_match(const char *store)
{
	return strncmp(store, "memcached:", 10) == 0;
}

/* A client for the store's servers. */
static void *
counter_mc_open(const struct config *cfg, char **cause)
{
	return mc_config_client(cfg->store, cause);
}

/* The item's key. */
static void
counter_mc_key(char *buf, const char *key)
{
	memcpy(buf, COUNTER_MC_PREFIX, strlen(COUNTER_MC_PREFIX));
	memcpy(buf + strlen(COUNTER_MC_PREFIX), key, COUNTER_KEY_LEN);
	buf[strlen(COUNTER_MC_PREFIX) + COUNTER_KEY_LEN] = '\0';
}

/* Increment (made at delta with its lifetime when absent) or decrement. */
static int
counter_mc_add(void *arg, const char *key, long delta, long ttl, time_t now,
    long *value, char **cause)
{
	memcached_st		*mc = arg;
	memcached_return_t	 rc;
	char			 k[sizeof COUNTER_MC_PREFIX + COUNTER_KEY_LEN];
	uint64_t		 v = 0;

	(void)now;	/* memcached keeps the time: ttl is relative */
	counter_mc_key(k, key);
	if (delta >= 0)
		rc = memcached_increment_with_initial(mc, k, strlen(k),
		    (uint64_t)delta, (uint64_t)delta, (time_t)ttl, &v);
	else {
		rc = memcached_decrement(mc, k, strlen(k), (uint32_t)-delta,
		    &v);
		if (rc == MEMCACHED_NOTFOUND) {
			/* None to decrement (libmemcached left v at -1). */
			rc = MEMCACHED_SUCCESS;
			v = 0;
		}
	}
	if (rc != MEMCACHED_SUCCESS) {
		xasprintf(cause, "memcached: %s", memcached_strerror(mc, rc));
		return -1;
	}
	*value = (long)v;
	return 0;
}

/* Delete the item. */
static int
counter_mc_remove(void *arg, const char *key, time_t now, char **cause)
{
	memcached_st		*mc = arg;
	memcached_return_t	 rc;
	char			 k[sizeof COUNTER_MC_PREFIX + COUNTER_KEY_LEN];

	(void)now;
	counter_mc_key(k, key);
	rc = memcached_delete(mc, k, strlen(k), 0);
	if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
		xasprintf(cause, "memcached: %s", memcached_strerror(mc, rc));
		return -1;
	}
	return 0;
}

/* Free the client. */
static void
counter_mc_close(void *arg)
{
	memcached_free(arg);
}

const struct counter_ops counter_memcached_ops = {
	.name = "memcached",
	.match = counter_mc_match,
	.open = counter_mc_open,
	.add = counter_mc_add,
	.remove = counter_mc_remove,
	.close = counter_mc_close,
};
