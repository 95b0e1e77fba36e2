/*
 * Counters in the Redis store's server, shared by every host that uses it:
 * one script per change (INCRBY, and EXPIRE when it made the key, so a
 * counter always has its lifetime), a DEL to forget one. The store's
 * connection code does the rest (AUTH, SELECT, timeouts, a reconnect).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "counter.h"
#include "store_redis_int.h"
#include "xmalloc.h"

#define COUNTER_RD_INFIX	"login:"	/* after the store's prefix */

/* redis:// and redis+unix:// values, as the store takes them. */
static int
counter_rd_match(const char *store)
{
	return strncmp(store, "redis://", 8) == 0 ||
	    strncmp(store, "redis+unix://", 13) == 0;
}

/* A connection state for the store's server (connects on first use). */
static void *
counter_rd_open(const struct config *cfg, char **cause)
{
	struct rd_conn	*rc;
	struct rd_store	*rs;

	if ((rs = rd_conn_store(cfg->store, cause)) == NULL)
		return NULL;
	rc = xcalloc(1, sizeof *rc);
	rc->rs = rs;
	return rc;
}

/* The counter's full key; caller frees. */
static char *
counter_rd_key(const struct rd_conn *rc, const char *key)
{
	char	*k;

	xasprintf(&k, "%s" COUNTER_RD_INFIX "%.*s", rc->rs->uri.prefix,
	    COUNTER_KEY_LEN, key);
	return k;
}

/* Add delta atomically (made with its lifetime when absent). */
static int
counter_rd_add(void *arg, const char *key, long delta, long ttl, time_t now,
    long *value, char **cause)
{
	struct rd_conn	*rc = arg;
	const char	*argv[3];
	redisReply	*r;
	char		*k, d[32], t[32];
	int		 rv = -1;

	(void)now;	/* Redis keeps the time: ttl is relative */
	k = counter_rd_key(rc, key);
	snprintf(d, sizeof d, "%ld", delta);
	snprintf(t, sizeof t, "%ld", ttl > 0 ? ttl : 1);
	argv[0] = k;
	argv[1] = d;
	argv[2] = t;
	if (rd_conn_script(rc, RD_SCRIPT_COUNT, 1, 3, argv, NULL, &r,
	    cause) == STORE_OK) {
		if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
			*value = (long)r->integer;
			rv = 0;
		} else
			*cause = rd_conn_unexpected("counter", r);
		freeReplyObject(r);
	}
	free(k);
	return rv;
}

/* Delete the counter. */
static int
counter_rd_remove(void *arg, const char *key, time_t now, char **cause)
{
	struct rd_conn	*rc = arg;
	const char	*argv[2];
	redisReply	*r;
	char		*k;
	int		 rv = -1;

	(void)now;
	k = counter_rd_key(rc, key);
	argv[0] = "DEL";
	argv[1] = k;
	if (rd_conn_cmd(rc, 2, argv, NULL, &r, cause) == STORE_OK) {
		freeReplyObject(r);
		rv = 0;
	}
	free(k);
	return rv;
}

/* Free the connection and the parsed value. */
static void
counter_rd_close(void *arg)
{
	struct rd_conn	*rc = arg;
	struct rd_store	*rs = rc->rs;

	rd_conn_free(rc);
	rd_conn_close(rs);
}

const struct counter_ops counter_redis_ops = {
	/* name: for logs. */
	.name = "redis",
	/* match: redis:// and redis+unix:// store values. */
	.match = counter_rd_match,
	/* open: the store's value parsed; connects on first use. */
	.open = counter_rd_open,
	/* add: one script, INCRBY and EXPIRE when it made the key. */
	.add = counter_rd_add,
	/* remove: DEL. */
	.remove = counter_rd_remove,
	/* close: the connection and the parsed value. */
	.close = counter_rd_close,
};
