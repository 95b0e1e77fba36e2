/* ws_bus publisher over PostgreSQL: pg_notify on a kept connection. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store_pg_int.h"
#include "wsbus.h"
#include "xmalloc.h"

/* Connect within a short timeout (unless the URI sets its own). */
static PGconn *
wsbus_pg_connect(const char *uri, char **cause)
{
	static const char *const keywords[] = {
		"connect_timeout", "dbname", "fallback_application_name", NULL
	};
	const char	*values[] = { "2", NULL, "sessionwrap", NULL };
	PGconn		*pg;
	char		*err, *conninfo = wsbus_pg_conninfo(uri);

	values[1] = conninfo;
	pg = PQconnectdbParams(keywords, values, 1);
	free(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		err = pg_conn_message(PQerrorMessage(pg));
		xasprintf(cause, "ws_bus: PostgreSQL: %s", err);
		free(err);
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* SELECT pg_notify(channel, msg); see wsbus.h. */
static int
wsbus_pg_publish(void **conn, const char *uri, const char *channel,
    const char *msg, size_t len, char **cause)
{
	const char	*params[2] = { channel, msg };
	PGconn		*pg = *conn;
	PGresult	*res;
	char		*err;

	(void)len;
	if (pg == NULL && (pg = wsbus_pg_connect(uri, cause)) == NULL)
		return -1;
	res = pg_conn_wait(pg, PQsendQueryParams(pg,
	    "SELECT pg_notify($1, $2)", 2, NULL, params, NULL, NULL, 0),
	    WSBUS_TIMEOUT_MS);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res == NULL)
			xasprintf(cause, "ws_bus: PostgreSQL did not answer "
			    "within %d ms", WSBUS_TIMEOUT_MS);
		else {
			err = pg_conn_message(PQresultErrorMessage(res));
			xasprintf(cause, "ws_bus: PostgreSQL: %s", err);
			free(err);
		}
		PQclear(res);
		PQfinish(pg);
		*conn = NULL;
		return -1;
	}
	PQclear(res);
	*conn = pg;
	return 0;
}

/* Close a kept connection. */
static void
wsbus_pg_close(void *conn)
{
	PQfinish(conn);
}

const struct wsbus_ops wsbus_pg_ops = {
	.name = "postgresql",		/* LISTEN/NOTIFY */
	.publish = wsbus_pg_publish,	/* per CLOSE or SEND */
	.close = wsbus_pg_close,	/* exit, or another ws_bus */
};
