/*
 * The subscribing side of ws_bus: one backend connection (src/ws-bus-pg.c,
 * src/ws-bus-redis.c) kept up with back-off, each message authenticated
 * (lib/wsbus_msg.c), parsed as a control command and applied to this host's
 * sockets; after every (re)subscription the open sockets' sessions are
 * re-checked against the store, since what was published meanwhile is lost.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "wsbus.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_BUS_BACKOFF_MIN	100	/* ms before the first reconnect */
#define WS_BUS_BACKOFF_MAX	5000	/* ms, ceiling */
#define WS_BUS_SEEN		4096	/* nonces remembered against replays */
#define WS_BUS_LOG_MAX		10	/* refusals logged per second */

static const struct ws_bus_ops	*ws_bus_ops;
static struct event		*ws_bus_timer;
static u_int			 ws_bus_fails;
static int			 ws_bus_up_now;
static uint64_t			 ws_bus_applied, ws_bus_rejected,
				 ws_bus_reconnects;
/* The nonces of the last WS_BUS_SEEN messages, and when they were seen. */
static struct {
	unsigned char	 nonce[WSBUS_NONCE_LEN];
	time_t		 when;
}				 ws_bus_seen[WS_BUS_SEEN];
static u_int			 ws_bus_seen_next;

/* Has this nonce come by within the window? Remember it either way. */
static int
ws_bus_replayed(const unsigned char *nonce, time_t now)
{
	u_int	 i;

	for (i = 0; i < WS_BUS_SEEN; i++) {
		if (ws_bus_seen[i].when != 0 &&
		    now - ws_bus_seen[i].when <= 2 * WSBUS_WINDOW &&
		    memcmp(ws_bus_seen[i].nonce, nonce, WSBUS_NONCE_LEN) == 0)
			return 1;
	}
	memcpy(ws_bus_seen[ws_bus_seen_next].nonce, nonce, WSBUS_NONCE_LEN);
	ws_bus_seen[ws_bus_seen_next].when = now;
	ws_bus_seen_next = (ws_bus_seen_next + 1) % WS_BUS_SEEN;
	return 0;
}

/* Log a refused message, a few lines a second at most in a flood. */
static void
ws_bus_refuse(const char *why)
{
	static time_t	 second;
	static u_int	 lines;
	time_t		 now = time(NULL);

	ws_bus_rejected++;
	if (now != second) {
		second = now;
		lines = 0;
	}
	if (lines++ < WS_BUS_LOG_MAX)
		log_warnx("ws_bus: message ignored: %s", why);
}

/* One message from the bus: authenticate, parse, apply. */
void
ws_bus_message(const char *msg, size_t len)
{
	const struct config	*cfg = ws_server->cfg;
	struct ws_command	 cmd;
	unsigned char		 nonce[WSBUS_NONCE_LEN];
	const char		*line, *cause;
	size_t			 linelen;
	time_t			 now = time(NULL);
	u_int			 n;

	if (wsbus_open(ws_server->keys, cfg->ws_bus_channel, now, msg, len,
	    &line, &linelen, nonce, &cause) == -1) {
		ws_bus_refuse(cause);
		return;
	}
	if (ws_bus_replayed(nonce, now)) {
		ws_bus_refuse("replayed message");
		return;
	}
	if (ws_command_parse(line, linelen, cfg->ws_max_message, &cmd,
	    &cause) == -1 || (cmd.type != WS_CMD_CLOSE &&
	    cmd.type != WS_CMD_SEND)) {
		ws_bus_refuse(cause != NULL ? cause : "not CLOSE or SEND");
		ws_command_clear(&cmd);
		return;
	}
	n = ws_control_apply(&cmd);
	ws_bus_applied++;
	log_debug("ws_bus: %s: %u connection%s",
	    cmd.type == WS_CMD_CLOSE ? "CLOSE" : "SEND", n, n == 1 ? "" : "s");
	ws_command_clear(&cmd);
}

/* Subscribed: from now on nothing is missed; re-check what may have been. */
void
ws_bus_up(void)
{
	u_int	 n;

	ws_bus_up_now = 1;
	ws_bus_fails = 0;
	n = ws_conn_recheck_all(time(NULL));
	log_info("ws_bus: subscribed to %s on %s%s", ws_server->cfg->ws_bus_channel,
	    ws_bus_ops->name, n > 0 ? ", re-checking open sockets" : "");
}

/* The backend lost (or never got) its connection: retry with back-off. */
void
ws_bus_down(const char *why)
{
	struct timeval	 tv;
	long		 ms;

	if (ws_bus_up_now)
		log_warnx("ws_bus: connection lost: %s", why);
	else if (ws_bus_fails == 0 || ws_bus_fails % 20 == 0)
		log_warnx("ws_bus: cannot subscribe: %s", why);
	ws_bus_up_now = 0;
	if (ws_server->exiting)
		return;
	ms = WS_BUS_BACKOFF_MIN << (ws_bus_fails < 6 ? ws_bus_fails : 6);
	if (ms > WS_BUS_BACKOFF_MAX)
		ms = WS_BUS_BACKOFF_MAX;
	ws_bus_fails++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ws_bus_timer, &tv);
}

/* Connect (again). */
static void
ws_bus_connect(evutil_socket_t fd, short what, void *arg)
{
	const struct config	*cfg = ws_server->cfg;
	char			*cause;

	(void)fd;
	(void)what;
	(void)arg;
	ws_bus_reconnects++;
	if (ws_bus_ops->start(cfg->ws_bus, cfg->ws_bus_channel, &cause) == -1) {
		ws_bus_down(cause);
		free(cause);
	}
}

/* Start subscribing when ws_bus is set; -1 and *cause when it cannot be. */
int
ws_bus_open(char **cause)
{
	const struct config	*cfg = ws_server->cfg;

	if (cfg->ws_bus == NULL)
		return 0;
	switch (wsbus_kind(cfg->ws_bus)) {
#ifdef HAVE_POSTGRESQL
	case WSBUS_PG:
		ws_bus_ops = &ws_bus_pg_ops;
		break;
#endif
#ifdef HAVE_REDIS
	case WSBUS_REDIS:
		ws_bus_ops = &ws_bus_redis_ops;
		break;
#endif
	default:
		*cause = xstrdup("ws_bus: not supported by this build");
		return -1;
	}
	if ((ws_bus_timer = evtimer_new(ws_server->base, ws_bus_connect,
	    NULL)) == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	/* Down at start-up is no reason to refuse sockets: keep trying. */
	ws_bus_connect(-1, 0, NULL);
	ws_bus_reconnects = 0;
	return 0;
}

/* Unsubscribe and stop retrying (shutdown). */
void
ws_bus_close(void)
{
	if (ws_bus_ops == NULL)
		return;
	ws_bus_ops->stop();
	event_free(ws_bus_timer);
	ws_bus_timer = NULL;
	ws_bus_ops = NULL;
	ws_bus_up_now = 0;
}

/* The "bus" object of STATS; NULL without ws_bus. */
json_t *
ws_bus_json(void)
{
	if (ws_bus_ops == NULL)
		return NULL;
	return json_pack("{s:s, s:b, s:I, s:I, s:I}", "kind", ws_bus_ops->name,
	    "up", ws_bus_up_now, "applied", (json_int_t)ws_bus_applied,
	    "rejected", (json_int_t)ws_bus_rejected,
	    "reconnects", (json_int_t)ws_bus_reconnects);
}
