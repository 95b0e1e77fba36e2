/*
 * ws_bus over Redis or Valkey pub/sub: a hiredis asynchronous connection on
 * the event loop (its libevent adapter) that AUTHs and SUBSCRIBEs.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "redis_uri.h"
#include "wsbus.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_BUS_REDIS_CONNECT_TIMEOUT	5	/* seconds to subscribe */

static redisAsyncContext	*ws_bus_redis;
static struct event		*ws_bus_redis_deadline;
static int			 ws_bus_redis_subscribed;
static int			 ws_bus_redis_stopping;

/* Tear the connection down, without calling back. */
static void
ws_bus_redis_stop(void)
{
	if (ws_bus_redis_deadline != NULL)
		event_free(ws_bus_redis_deadline);
	ws_bus_redis_deadline = NULL;
	if (ws_bus_redis != NULL) {
		ws_bus_redis_stopping = 1;
		redisAsyncFree(ws_bus_redis);
		ws_bus_redis_stopping = 0;
	}
	ws_bus_redis = NULL;
	ws_bus_redis_subscribed = 0;
}

/* hiredis has freed (or is freeing) the context: report why. */
static void
ws_bus_redis_gone(const redisAsyncContext *ac, const char *what)
{
	char	*why;

	if (ws_bus_redis_stopping)
		return;
	xasprintf(&why, "Redis: %s%s%s", what, ac->errstr[0] != '\0' ?
	    ": " : "", ac->errstr);
	ws_bus_redis = NULL;
	ws_bus_redis_subscribed = 0;
	if (ws_bus_redis_deadline != NULL)
		event_free(ws_bus_redis_deadline);
	ws_bus_redis_deadline = NULL;
	ws_bus_down(why);
	free(why);
}

/* The TCP (or Unix) connection is made, or failed. */
static void
ws_bus_redis_connected(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		ws_bus_redis_gone(ac, "connect");
}

/* The connection dropped. */
static void
ws_bus_redis_disconnected(const redisAsyncContext *ac, int status)
{
	(void)status;
	ws_bus_redis_gone(ac, "connection lost");
}

/* Close on a reply we cannot accept; the disconnect callback reports. */
static void
ws_bus_redis_bad(redisAsyncContext *ac, const redisReply *r, const char *what)
{
	log_warnx("ws_bus: Redis %s: %s", what, r != NULL &&
	    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	redisAsyncDisconnect(ac);
}

/* AUTH's reply. */
static void
ws_bus_redis_auth(redisAsyncContext *ac, void *reply, void *arg)
{
	redisReply	*r = reply;

	(void)arg;
	if (r == NULL || ws_bus_redis_stopping)
		return;
	if (r->type != REDIS_REPLY_STATUS)
		ws_bus_redis_bad(ac, r, "AUTH");
}

/* SUBSCRIBE's replies: the confirmation, then one per message. */
static void
ws_bus_redis_reply(redisAsyncContext *ac, void *reply, void *arg)
{
	redisReply	*r = reply, **e;

	(void)arg;
	if (r == NULL || ws_bus_redis_stopping)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		ws_bus_redis_bad(ac, r, "SUBSCRIBE");
		return;
	}
	e = r->element;
	if (strcmp(e[0]->str, "subscribe") == 0) {
		ws_bus_redis_subscribed = 1;
		if (ws_bus_redis_deadline != NULL)
			evtimer_del(ws_bus_redis_deadline);
		ws_bus_up();
	} else if (strcmp(e[0]->str, "message") == 0 &&
	    e[2]->type == REDIS_REPLY_STRING)
		ws_bus_message(e[2]->str, e[2]->len);
}

/* Subscribing took too long. */
static void
ws_bus_redis_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ws_bus_redis_stop();
	ws_bus_down("Redis: no answer in time");
}

/* Connect, AUTH and SUBSCRIBE, without blocking; see struct ws_bus_ops. */
static int
ws_bus_redis_start(const char *uri, const char *channel, char **cause)
{
	struct redis_uri	 a;
	struct timeval		 tv = { WS_BUS_REDIS_CONNECT_TIMEOUT, 0 };
	redisAsyncContext	*ac;

	ws_bus_redis_stop();
	if (redis_uri_parse(uri, &a, cause) == -1)
		return -1;
	ac = a.path != NULL ? redisAsyncConnectUnix(a.path) :
	    redisAsyncConnect(a.host, a.port);
	if (ac == NULL || ac->err) {
		xasprintf(cause, "Redis: %s", ac != NULL ? ac->errstr :
		    "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		redis_uri_free(&a);
		return -1;
	}
	if (redisLibeventAttach(ac, ws_server->base) != REDIS_OK)
		fatalx("%s: redisLibeventAttach failed", __func__);
	redisAsyncSetConnectCallback(ac, ws_bus_redis_connected);
	redisAsyncSetDisconnectCallback(ac, ws_bus_redis_disconnected);
	ws_bus_redis = ac;
	/* Queued until connected; AUTH goes first. */
	if (a.pass != NULL && a.user != NULL)
		redisAsyncCommand(ac, ws_bus_redis_auth, NULL, "AUTH %s %s",
		    a.user, a.pass);
	else if (a.pass != NULL)
		redisAsyncCommand(ac, ws_bus_redis_auth, NULL, "AUTH %s",
		    a.pass);
	redisAsyncCommand(ac, ws_bus_redis_reply, NULL, "SUBSCRIBE %s",
	    channel);
	redis_uri_free(&a);
	ws_bus_redis_deadline = evtimer_new(ws_server->base,
	    ws_bus_redis_timeout, NULL);
	if (ws_bus_redis_deadline == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	evtimer_add(ws_bus_redis_deadline, &tv);
	return 0;
}

const struct ws_bus_ops ws_bus_redis_ops = {
	.name = "redis",		/* pub/sub */
	.start = ws_bus_redis_start,	/* at start-up and on every retry */
	.stop = ws_bus_redis_stop,	/* shutdown */
};
