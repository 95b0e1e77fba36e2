/*
 * The WebSocket bus (ws_bus): CLOSE and SEND lines published by sessionwrap
 * and sessionwrap-ctl on PostgreSQL LISTEN/NOTIFY or Redis pub/sub, applied by
 * every sessionwrap-ws subscribed, on any host. Messages are sealed with an
 * HMAC under a key derived from secret_file and a timestamp.
 */
#ifndef SW_WSBUS_H
#define SW_WSBUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WSBUS_MAX_MSG		7999	/* bytes: PostgreSQL's NOTIFY bound */
#define WSBUS_WINDOW		30	/* seconds a message stays acceptable */
#define WSBUS_NONCE_LEN		16	/* random bytes per message */
#define WSBUS_TIMEOUT_MS	1000	/* bound on one publish */
#define WSBUS_RETRY_MS		1000	/* after a failure, the bus is skipped */
#define WSBUS_DEFAULT_CHANNEL	"sessionwrap_ws"

struct config;
struct keyring;

/* Bus kinds, by the scheme of ws_bus. */
enum wsbus_kind {
	WSBUS_NONE,		/* not a bus URI */
	WSBUS_PG,		/* postgresql:... or postgres:... */
	WSBUS_REDIS		/* redis:// or redis+unix:// */
};

/* One publisher backend (lib/wsbus_pg.c, lib/wsbus_redis.c). */
struct wsbus_ops {
	/* Scheme family, for log lines. */
	const char	*name;
	/*
	 * Publish one sealed message on a channel over *conn, connecting first
	 * when *conn is NULL (the connection stays the caller's). -1 and
	 * *cause; *conn is then closed and NULL.
	 */
	int		 (*publish)(void **, const char *, const char *,
			     const char *, size_t, char **);
	/* Close a connection publish left open. */
	void		 (*close)(void *);
};

/* Which kind of bus a ws_bus value names. */
enum wsbus_kind	 wsbus_kind(const char *);
/* libpq's connection string for a postgresql: ws_bus; caller frees. */
char		*wsbus_pg_conninfo(const char *);
/* Check ws_bus and ws_bus_channel at start-up; -1 and *cause. */
int		 wsbus_check(const struct config *, char **);

/*
 * Seal a command line ("CLOSE ..." or "SEND ...") for a channel at time
 * `now`: "swb1 MAC TS NONCE LINE", caller frees. NULL when the line is
 * empty or the message would be longer than WSBUS_MAX_MSG.
 */
char		*wsbus_seal(const struct keyring *, const char *, time_t,
		     const char *, size_t);
/*
 * Open a message read from a channel: 0 with *line and *linelen pointing
 * into msg, *nonce its nonce; -1 and *cause (static text) when it is too
 * long, malformed, sealed by another key, or outside the time window.
 */
int		 wsbus_open(const struct keyring *, const char *, time_t,
		     const char *, size_t, const char **, size_t *,
		     unsigned char nonce[WSBUS_NONCE_LEN], const char **);

/*
 * Publish a command line on cfg->ws_bus (one connection per process, kept
 * and re-made once when it broke). -1 and *cause when the bus is down, and
 * for WSBUS_RETRY_MS after that without trying.
 */
int		 wsbus_publish(const struct config *, const struct keyring *,
		     const char *, char **);
/* CLOSE every socket of a ws_id on the bus (code 0: the helpers' default). */
int		 wsbus_close(const struct config *, const struct keyring *,
		     const char *, int, const char *, char **);
/*
 * What sessionwrap does when a session's sockets must go (logout, login,
 * max_sessions_per_user): CLOSE on ws_bus when set; else, or when the bus
 * is down (logged for `who`), on ws_control with retries in the background.
 * 0 delivered (or nowhere to send), 1 queued for retries, -1 failed; *cause
 * (caller frees) for 1 and -1.
 */
int		 wsbus_close_any(const struct config *, const struct keyring *,
		     const char *, const char *, char **);
/* SEND text to every socket of a ws_id on the bus. */
int		 wsbus_send(const struct config *, const struct keyring *,
		     const char *, const char *, char **);
/* Drop the publisher's connection (exit, tests). */
void		 wsbus_disconnect(void);

#ifdef HAVE_POSTGRESQL
extern const struct wsbus_ops	wsbus_pg_ops;
#endif
#ifdef HAVE_REDIS
extern const struct wsbus_ops	wsbus_redis_ops;
#endif

#endif
