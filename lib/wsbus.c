/*
 * The publishing side of ws_bus: which backend a URI names, its checks, the
 * Redis URI parser, and one kept connection per process behind a mutex.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "redis_uri.h"
#include "wsbus.h"
#include "wsctl.h"
#include "xmalloc.h"

static pthread_mutex_t		 wsbus_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct wsbus_ops	*wsbus_conn_ops;
static void			*wsbus_conn;
static long long		 wsbus_failed;	/* clock_ms of the last failure */

/* Does s start with the scheme prefix p (case-insensitive)? */
static int
wsbus_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* Which kind of bus a ws_bus value names. */
enum wsbus_kind
wsbus_kind(const char *uri)
{
	if (uri == NULL)
		return WSBUS_NONE;
	if (wsbus_prefix(uri, "postgresql:") || wsbus_prefix(uri, "postgres:"))
		return WSBUS_PG;
	if (wsbus_prefix(uri, "redis://") || wsbus_prefix(uri, "redis+unix://"))
		return WSBUS_REDIS;
	return WSBUS_NONE;
}

/*
 * The libpq connection string of a postgresql: ws_bus, as for the store:
 * URIs as they are, "postgresql:key=value ..." a keyword/value conninfo.
 */
char *
wsbus_pg_conninfo(const char *uri)
{
	const char	*rest = strchr(uri, ':') + 1;

	if (strncmp(rest, "//", 2) == 0)
		return xstrdup(uri);
	return xstrdup(rest);
}

/* The publisher backend of a kind; NULL when it was not built. */
static const struct wsbus_ops *
wsbus_ops_of(enum wsbus_kind kind)
{
	switch (kind) {
#ifdef HAVE_POSTGRESQL
	case WSBUS_PG:
		return &wsbus_pg_ops;
#endif
#ifdef HAVE_REDIS
	case WSBUS_REDIS:
		return &wsbus_redis_ops;
#endif
	default:
		return NULL;
	}
}

/* A channel name: 1 to 63 of [a-z0-9_], safe as a PostgreSQL identifier. */
static int
wsbus_channel_ok(const char *s)
{
	size_t	 n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && n <= 63 && s[n] == '\0';
}

/* Check ws_bus and ws_bus_channel at start-up; -1 and *cause. */
int
wsbus_check(const struct config *cfg, char **cause)
{
	struct redis_uri	 u;
	enum wsbus_kind		 kind;
	const char		*unused;
	char			*c;

	if (!wsbus_channel_ok(cfg->ws_bus_channel)) {
		*cause = xstrdup("ws_bus_channel: 1 to 63 of a-z, 0-9 and _");
		return -1;
	}
	if (cfg->ws_bus == NULL)
		return 0;
	if ((kind = wsbus_kind(cfg->ws_bus)) == WSBUS_NONE) {
		*cause = xstrdup("ws_bus: not a postgresql:, redis:// or "
		    "redis+unix:// URI");
		return -1;
	}
	if (wsbus_ops_of(kind) == NULL) {
		xasprintf(cause, "ws_bus: built without %s support",
		    kind == WSBUS_PG ? "PostgreSQL" : "Redis");
		return -1;
	}
	if (kind == WSBUS_REDIS) {
		if (redis_uri_parse(cfg->ws_bus, &u, &c) == -1) {
			xasprintf(cause, "ws_bus: %s", c);
			free(c);
			return -1;
		}
		unused = u.prefix != NULL ? "prefix" : u.timeout != 0 ?
		    "timeout" : NULL;
		redis_uri_free(&u);
		if (unused != NULL) {
			/* The channel is ws_bus_channel; timeouts are fixed. */
			xasprintf(cause, "ws_bus: ?%s= is for the Redis store, "
			    "not the bus", unused);
			return -1;
		}
	}
	return 0;
}

/* Publish a command line on cfg->ws_bus; see wsbus.h. */
int
wsbus_publish(const struct config *cfg, const struct keyring *keys,
    const char *line, char **cause)
{
	const struct wsbus_ops	*ops = wsbus_ops_of(wsbus_kind(cfg->ws_bus));
	char			*msg;
	int			 rc, had;

	if (ops == NULL) {
		*cause = xstrdup("ws_bus is not set or not supported");
		return -1;
	}
	if ((msg = wsbus_seal(keys, cfg->ws_bus_channel, time(NULL), line,
	    strlen(line))) == NULL) {
		xasprintf(cause, "message longer than %d bytes", WSBUS_MAX_MSG);
		return -1;
	}
	pthread_mutex_lock(&wsbus_lock);
	/* Down moments ago: no request waits for its timeouts again yet. */
	if (wsbus_failed != 0 && clock_ms() - wsbus_failed < WSBUS_RETRY_MS) {
		pthread_mutex_unlock(&wsbus_lock);
		free(msg);
		xasprintf(cause, "ws_bus down (tried again after %d ms)",
		    WSBUS_RETRY_MS);
		return -1;
	}
	if (wsbus_conn_ops != ops && wsbus_conn != NULL) {
		wsbus_conn_ops->close(wsbus_conn);
		wsbus_conn = NULL;
	}
	wsbus_conn_ops = ops;
	had = wsbus_conn != NULL;
	rc = ops->publish(&wsbus_conn, cfg->ws_bus, cfg->ws_bus_channel, msg,
	    strlen(msg), cause);
	if (rc == -1 && had) {
		/* The kept connection died since: one fresh try. */
		free(*cause);
		rc = ops->publish(&wsbus_conn, cfg->ws_bus,
		    cfg->ws_bus_channel, msg, strlen(msg), cause);
	}
	wsbus_failed = rc == -1 ? clock_ms() : 0;
	pthread_mutex_unlock(&wsbus_lock);
	free(msg);
	return rc;
}

/* CLOSE every socket of a ws_id on the bus; see wsbus.h. */
int
wsbus_close(const struct config *cfg, const struct keyring *keys,
    const char *ws_id, int code, const char *reason, char **cause)
{
	char	*line;
	int	 rc;

	if (!wsctl_valid_id(ws_id)) {
		*cause = xstrdup("invalid ws_id");
		return -1;
	}
	if (code == 0)
		xasprintf(&line, "CLOSE %s", ws_id);
	else
		xasprintf(&line, "CLOSE %s %d%s%s", ws_id, code,
		    reason != NULL ? " " : "", reason != NULL ? reason : "");
	rc = wsbus_publish(cfg, keys, line, cause);
	free(line);
	return rc;
}

/* CLOSE a ws_id's sockets on ws_bus, else on ws_control; see wsbus.h. */
int
wsbus_close_any(const struct config *cfg, const struct keyring *keys,
    const char *ws_id, const char *who, char **cause)
{
	long	 n;

	*cause = NULL;
	if (cfg->ws_bus != NULL) {
		if (wsbus_close(cfg, keys, ws_id, 0, NULL, cause) == 0)
			return 0;
		if (cfg->ws_control == NULL)
			return -1;
		log_warnx("%s: closing websockets: %s (trying ws_control)", who,
		    *cause);
		free(*cause);
		*cause = NULL;
	}
	if (cfg->ws_control == NULL)
		return 0;
	return wsctl_close_retry(cfg->ws_control, ws_id, &n, cause);
}

/* SEND text to every socket of a ws_id on the bus; see wsbus.h. */
int
wsbus_send(const struct config *cfg, const struct keyring *keys,
    const char *ws_id, const char *text, char **cause)
{
	char	*line;
	int	 rc;

	if (!wsctl_valid_id(ws_id)) {
		*cause = xstrdup("invalid ws_id");
		return -1;
	}
	if (strpbrk(text, "\r\n") != NULL || *text == '\0') {
		*cause = xstrdup("text must be one non-empty line");
		return -1;
	}
	xasprintf(&line, "SEND %s %s", ws_id, text);
	rc = wsbus_publish(cfg, keys, line, cause);
	free(line);
	return rc;
}

/* Drop the publisher's connection. */
void
wsbus_disconnect(void)
{
	pthread_mutex_lock(&wsbus_lock);
	if (wsbus_conn != NULL)
		wsbus_conn_ops->close(wsbus_conn);
	wsbus_conn = NULL;
	wsbus_conn_ops = NULL;
	pthread_mutex_unlock(&wsbus_lock);
}
