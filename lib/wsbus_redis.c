/* ws_bus publisher over Redis or Valkey: PUBLISH on a kept connection. */
#include "autoconf.h"

#include <sys/time.h>

#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis_uri.h"
#include "wsbus.h"
#include "xmalloc.h"

/* Run one command and want a reply of a type; -1 and *cause. */
static int
wsbus_redis_expect(redisContext *rc, redisReply *r, int type,
    const char *what, char **cause)
{
	if (r == NULL) {
		xasprintf(cause, "ws_bus: Redis %s: %s", what,
		    rc->errstr[0] != '\0' ? rc->errstr : "no reply");
		return -1;
	}
	if (r->type != type) {
		xasprintf(cause, "ws_bus: Redis %s: %s", what,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

/* Connect and AUTH within WSBUS_TIMEOUT_MS per step; NULL and *cause. */
static redisContext *
wsbus_redis_connect(const char *uri, char **cause)
{
	struct timeval		 tv = { WSBUS_TIMEOUT_MS / 1000,
				    (WSBUS_TIMEOUT_MS % 1000) * 1000 };
	struct redis_uri	 a;
	redisContext		*rc;
	redisReply		*r;

	if (redis_uri_parse(uri, &a, cause) == -1)
		return NULL;
	rc = a.path != NULL ? redisConnectUnixWithTimeout(a.path, tv) :
	    redisConnectWithTimeout(a.host, a.port, tv);
	if (rc == NULL || rc->err) {
		xasprintf(cause, "ws_bus: Redis: %s", rc != NULL ? rc->errstr :
		    "out of memory");
		goto fail;
	}
	if (redisSetTimeout(rc, tv) != REDIS_OK) {
		xasprintf(cause, "ws_bus: Redis: %s", rc->errstr);
		goto fail;
	}
	if (a.pass != NULL) {
		r = a.user != NULL ? redisCommand(rc, "AUTH %s %s", a.user,
		    a.pass) : redisCommand(rc, "AUTH %s", a.pass);
		if (wsbus_redis_expect(rc, r, REDIS_REPLY_STATUS, "AUTH",
		    cause) == -1)
			goto fail;
	}
	redis_uri_free(&a);
	return rc;
fail:
	if (rc != NULL)
		redisFree(rc);
	redis_uri_free(&a);
	return NULL;
}

/* PUBLISH channel msg; see wsbus.h. */
static int
wsbus_redis_publish(void **conn, const char *uri, const char *channel,
    const char *msg, size_t len, char **cause)
{
	redisContext	*rc = *conn;
	redisReply	*r;

	if (rc == NULL && (rc = wsbus_redis_connect(uri, cause)) == NULL)
		return -1;
	r = redisCommand(rc, "PUBLISH %s %b", channel, msg, len);
	if (wsbus_redis_expect(rc, r, REDIS_REPLY_INTEGER, "PUBLISH",
	    cause) == -1) {
		redisFree(rc);
		*conn = NULL;
		return -1;
	}
	*conn = rc;
	return 0;
}

/* Close a kept connection. */
static void
wsbus_redis_close(void *conn)
{
	redisFree(conn);
}

const struct wsbus_ops wsbus_redis_ops = {
	.name = "redis",		/* pub/sub */
	.publish = wsbus_redis_publish,	/* per CLOSE or SEND */
	.close = wsbus_redis_close,	/* exit, or another ws_bus */
};
