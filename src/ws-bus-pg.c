/*
 * ws_bus over PostgreSQL: a non-blocking libpq connection on the event loop
 * that LISTENs on the channel; PQconsumeInput and PQnotifies per readable
 * socket.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "log.h"
#include "wsbus.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_BUS_PG_CONNECT_TIMEOUT	5	/* seconds to connect and LISTEN */

/* Where the connection is. */
enum ws_bus_pg_state {
	WS_BUS_PG_IDLE,		/* no connection */
	WS_BUS_PG_CONNECTING,	/* PQconnectPoll under way */
	WS_BUS_PG_LISTENING,	/* LISTEN sent, its result awaited */
	WS_BUS_PG_UP		/* subscribed: notifications flow */
};

static PGconn			*ws_bus_pg;
static struct event		*ws_bus_pg_ev;
static struct event		*ws_bus_pg_deadline;
static enum ws_bus_pg_state	 ws_bus_pg_state;
static char			*ws_bus_pg_channel;

static void	 ws_bus_pg_cb(evutil_socket_t, short, void *);

/* Tear the connection down, without calling back. */
static void
ws_bus_pg_stop(void)
{
	if (ws_bus_pg_ev != NULL)
		event_free(ws_bus_pg_ev);
	if (ws_bus_pg_deadline != NULL)
		event_free(ws_bus_pg_deadline);
	if (ws_bus_pg != NULL)
		PQfinish(ws_bus_pg);
	ws_bus_pg_ev = ws_bus_pg_deadline = NULL;
	ws_bus_pg = NULL;
	free(ws_bus_pg_channel);
	ws_bus_pg_channel = NULL;
	ws_bus_pg_state = WS_BUS_PG_IDLE;
}

/* Give up on this connection and tell ws-bus.c why. */
static void
ws_bus_pg_fail(const char *what)
{
	char	*why;

	xasprintf(&why, "PostgreSQL: %s%s%s", what,
	    ws_bus_pg != NULL ? ": " : "",
	    ws_bus_pg != NULL ? PQerrorMessage(ws_bus_pg) : "");
	why[strcspn(why, "\r\n")] = '\0';
	ws_bus_pg_stop();
	ws_bus_down(why);
	free(why);
}

/* Wait for the socket to be readable (or writable) next. */
static void
ws_bus_pg_wait(short what)
{
	if (ws_bus_pg_ev != NULL)
		event_free(ws_bus_pg_ev);
	/* The socket may change while connecting (another address). */
	ws_bus_pg_ev = event_new(ws_server->base, PQsocket(ws_bus_pg), what,
	    ws_bus_pg_cb, NULL);
	if (ws_bus_pg_ev == NULL || event_add(ws_bus_pg_ev, NULL) != 0)
		fatalx("%s: event_new failed", __func__);
}

/* Connected: LISTEN on the channel (a checked identifier). */
static void
ws_bus_pg_listen(void)
{
	char	*sql;

	xasprintf(&sql, "LISTEN \"%s\"", ws_bus_pg_channel);
	if (!PQsendQuery(ws_bus_pg, sql)) {
		free(sql);
		ws_bus_pg_fail("LISTEN");
		return;
	}
	free(sql);
	ws_bus_pg_state = WS_BUS_PG_LISTENING;
	ws_bus_pg_wait(EV_READ | EV_PERSIST);
	if (PQflush(ws_bus_pg) == -1)
		ws_bus_pg_fail("LISTEN");
}

/* One step of PQconnectPoll. */
static void
ws_bus_pg_connecting(void)
{
	switch (PQconnectPoll(ws_bus_pg)) {
	case PGRES_POLLING_READING:
		ws_bus_pg_wait(EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		ws_bus_pg_wait(EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		ws_bus_pg_listen();
		break;
	default:
		ws_bus_pg_fail("connect");
		break;
	}
}

/* Results (LISTEN's) and notifications that arrived. */
static void
ws_bus_pg_input(void)
{
	PGresult	*res;
	PGnotify	*n;

	if (!PQconsumeInput(ws_bus_pg) || PQstatus(ws_bus_pg) == CONNECTION_BAD) {
		ws_bus_pg_fail("connection lost");
		return;
	}
	while (!PQisBusy(ws_bus_pg) && (res = PQgetResult(ws_bus_pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			PQclear(res);
			ws_bus_pg_fail("LISTEN failed");
			return;
		}
		PQclear(res);
		if (ws_bus_pg_state == WS_BUS_PG_LISTENING) {
			ws_bus_pg_state = WS_BUS_PG_UP;
			evtimer_del(ws_bus_pg_deadline);
			ws_bus_up();
		}
	}
	while (ws_bus_pg != NULL && (n = PQnotifies(ws_bus_pg)) != NULL) {
		if (strcmp(n->relname, ws_bus_pg_channel) == 0)
			ws_bus_message(n->extra, strlen(n->extra));
		PQfreemem(n);
	}
}

/* The socket is ready. */
static void
ws_bus_pg_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ws_bus_pg_state == WS_BUS_PG_CONNECTING)
		ws_bus_pg_connecting();
	else
		ws_bus_pg_input();
}

/* Connecting or LISTEN took too long. */
static void
ws_bus_pg_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ws_bus_pg_fail("no answer in time");
}

/* Start connecting without blocking; see struct ws_bus_ops. */
static int
ws_bus_pg_start(const char *uri, const char *channel, char **cause)
{
	static const char *const keywords[] = {
		"dbname", "fallback_application_name", NULL
	};
	const char	*values[] = { NULL, "sessionwrap-ws", NULL };
	struct timeval	 tv = { WS_BUS_PG_CONNECT_TIMEOUT, 0 };
	char		*conninfo = wsbus_pg_conninfo(uri);

	ws_bus_pg_stop();
	values[0] = conninfo;
	ws_bus_pg = PQconnectStartParams(keywords, values, 1);
	free(conninfo);
	if (ws_bus_pg == NULL || PQstatus(ws_bus_pg) == CONNECTION_BAD) {
		xasprintf(cause, "PostgreSQL: %s", ws_bus_pg != NULL ?
		    PQerrorMessage(ws_bus_pg) : "out of memory");
		(*cause)[strcspn(*cause, "\r\n")] = '\0';
		ws_bus_pg_stop();
		return -1;
	}
	PQsetnonblocking(ws_bus_pg, 1);
	ws_bus_pg_channel = xstrdup(channel);
	ws_bus_pg_state = WS_BUS_PG_CONNECTING;
	ws_bus_pg_deadline = evtimer_new(ws_server->base, ws_bus_pg_timeout,
	    NULL);
	if (ws_bus_pg_deadline == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	evtimer_add(ws_bus_pg_deadline, &tv);
	/* PQconnectStart's first wait is for writing. */
	ws_bus_pg_wait(EV_WRITE);
	return 0;
}

const struct ws_bus_ops ws_bus_pg_ops = {
	.name = "postgresql",		/* LISTEN/NOTIFY */
	.start = ws_bus_pg_start,	/* at start-up and on every retry */
	.stop = ws_bus_pg_stop,		/* shutdown */
};
