/* sessionwrap-ws: shared declarations of the WebSocket helper's modules. */
#ifndef SW_WS_H
#define SW_WS_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WS_MAX_REQUEST		8192	/* bytes of upgrade request headers */
#define WS_MAX_HEADERS		64	/* header lines in an upgrade request */
#define WS_ACCEPT_LEN		28	/* base64 of a SHA-1 */
#define WS_CLOSE_TIMEOUT	5	/* seconds to wait for the peer's close frame */
#define WS_CLOSED_TTL		60	/* seconds a CLOSEd ws_id stays refused */
#define WS_CLOSED_MAX		100000	/* CLOSEd ws_ids remembered at most */
#define WS_CONTROL_MAX_CLIENTS	64	/* control connections at once */
#define WS_CONTROL_TIMEOUT	10	/* seconds a control client may idle */
#define WS_BACKLOG		4096	/* listen(2) backlog: reconnect storms */
#define WS_LOADER_THREADS	4	/* threads loading sessions off the loop */
#define WS_LOADER_QUEUE		1024	/* loads queued at most (upgrades: 503) */
#define WS_RECHECK_RETRY	5	/* seconds before re-checking after an outage */

struct config;
struct session;
struct store;
struct keyring;
struct event_base;
struct bufferevent;
struct evconnlistener;
struct event;

/* ws-handshake.c: the HTTP/1.1 upgrade request, parsed by a pure function. */
struct ws_header {
	char	*name;
	char	*value;
};

struct ws_request {
	char			*method;
	char			*uri;
	struct ws_header	*headers;
	size_t			 nheaders;
	const char		*host;		/* points into headers */
	const char		*origin;
	const char		*key;
	const char		*protocols;	/* Sec-WebSocket-Protocol, checked */
	char			*cookie;	/* every Cookie header, "; " joined */
	int			 bad_version;	/* answer with Sec-WebSocket-Version */
};

/* Offset just past the blank line ending the headers; 0: need more; -1: bad. */
ssize_t		 ws_handshake_end(const char *, size_t);
/*
 * Parse and validate a complete upgrade request (as bounded by
 * ws_handshake_end). Returns 0 when it is a valid RFC 6455 opening
 * handshake, else the HTTP status to answer with and *cause (static text).
 */
int		 ws_handshake_parse(const char *, size_t, struct ws_request *,
		     const char **);
void		 ws_request_free(struct ws_request *);
const char	*ws_request_header(const struct ws_request *, const char *);
/* Sec-WebSocket-Accept for a key into out[WS_ACCEPT_LEN + 1]. */
void		 ws_handshake_accept(const char *, char *);
/* Is this Origin allowed by the space-separated list (NULL: same host only)? */
int		 ws_handshake_origin_ok(const char *, const char *, const char *);

/* ws-command.c: control socket command lines, parsed by a pure function. */
enum ws_command_type {
	WS_CMD_CLOSE,		/* CLOSE <ws_id> [code [reason]] */
	WS_CMD_SEND,		/* SEND <ws_id> <text> */
	WS_CMD_COUNT,		/* COUNT [ws_id] */
	WS_CMD_STATS,		/* STATS */
	WS_CMD_PING		/* PING */
};

struct ws_command {
	enum ws_command_type	 type;
	char			*ws_id;		/* NULL for COUNT of everything */
	int			 code;		/* CLOSE; 0: the configured one */
	char			*text;		/* CLOSE reason or SEND text */
	size_t			 textlen;
};

/* Parse one line (without its newline); -1 and *cause (static text). */
int		 ws_command_parse(const char *, size_t, size_t, struct ws_command *,
		     const char **);
void		 ws_command_clear(struct ws_command *);

/* ws-registry.c: ws_id -> connections, and ws_ids closed moments ago. */
struct ws_conn;
struct ws_entry;

void		 ws_registry_init(void);
void		 ws_registry_free(void);
void		 ws_registry_add(struct ws_conn *, const char *);
void		 ws_registry_remove(struct ws_conn *);
u_int		 ws_registry_count(const char *);
const char	*ws_registry_entry_id(const struct ws_entry *);
u_int		 ws_registry_sessions(void);
/* Queue a close on every connection of a ws_id and remember it; count. */
u_int		 ws_registry_close(const char *, int, const char *);
u_int		 ws_registry_send(const char *, const char *, size_t);
int		 ws_registry_closed(const char *, time_t);
/*
 * Remember a CLOSEd ws_id for ttl seconds; `had_sockets` puts it in the list
 * a flood of CLOSEs for unknown ids cannot evict from.
 */
void		 ws_registry_remember(const char *, time_t, long, int);
u_int		 ws_registry_remembered(void);
/* Connections per client address: add one (the new count), drop one. */
u_int		 ws_registry_addr_add(const char *);
void		 ws_registry_addr_del(const char *);

/* ws-loader.c: session loads on a few threads, results back on the loop. */
struct ws_job {
	char			*cookie;	/* the cookie value; wiped */
	time_t			 now;
	int			 status;	/* 0, or the HTTP status to refuse */
	struct session		*s;		/* status 0: the session */
	char			*cause;		/* status != 0: why */
	void			(*done)(struct ws_job *);	/* on the loop */
	void			*arg;
	TAILQ_ENTRY(ws_job)	 entry;
};

void		 ws_loader_start(void);
void		 ws_loader_stop(void);
void		 ws_loader_free(void);
u_int		 ws_loader_pending(void);
struct ws_job	*ws_loader_submit(const char *, time_t, u_int,
		     void (*)(struct ws_job *), void *);
void		 ws_loader_cancel(struct ws_job *);

/* ws-conn.c: one client connection, from handshake to close. */
enum ws_conn_state {
	WS_CONN_HANDSHAKE,	/* reading the upgrade request */
	WS_CONN_LOADING,	/* request read; its session loads on a thread */
	WS_CONN_REFUSING,	/* flushing an HTTP error, then gone */
	WS_CONN_OPEN,		/* upgraded: frames flow both ways */
	WS_CONN_CLOSING,	/* close frame queued; waiting for flush and peer */
	WS_CONN_LINGER,		/* all sent, FIN sent: draining until EOF */
	WS_CONN_DEAD		/* freed as soon as the stack unwinds */
};

struct ws_handler;

struct ws_conn {
	uint64_t		 serial;	/* for log lines */
	enum ws_conn_state	 state;
	struct bufferevent	*bev;
	void			*wslay;		/* wslay_event_context_ptr; NULL idle */
	uint64_t		 skip;		/* payload bytes left in this frame */
	uint8_t			 hdr[14];	/* a frame header being read */
	uint8_t			 hlen;
	int			 in_message;	/* fragmented message in progress */
	struct event		*timer;		/* handshake or closing deadline */
	struct ws_handler	*handler;
	struct ws_entry		*entry;		/* registry entry once open */
	struct ws_job		*job;		/* session load in flight */
	struct ws_request	*req;		/* the request while loading */
	char			*cookie;	/* server stores: for re-checks */
	time_t			 expires;	/* the session's, as last loaded */
	time_t			 next_check;	/* periodic re-check */
	int			 addr_counted;	/* in ws_registry_addr_add */
	time_t			 last_recv;
	time_t			 last_ping;
	int			 local;		/* peer on a Unix socket or loopback */
	int			 read_paused;	/* the handler is not reading */
	int			 finishing;	/* close done: linger once flushed */
	int			 bus_recheck;	/* re-check asked by ws_bus */
	char			 addr[64];	/* REMOTE_ADDR */
	char			 port[8];	/* REMOTE_PORT */

	TAILQ_ENTRY(ws_conn)	 all_entry;
	LIST_ENTRY(ws_conn)	 reg_entry;
};
TAILQ_HEAD(ws_conns, ws_conn);

void		 ws_conn_accept(int, struct sockaddr *, int);
/* Queue a close frame; the connection goes once it is sent (or times out). */
void		 ws_conn_close(struct ws_conn *, int, const char *);
/* Queue a text message; -1 when the connection cannot take it. */
int		 ws_conn_send_text(struct ws_conn *, const void *, size_t);
/* Pings and idle timeouts: called every second or so. */
void		 ws_conn_sweep(time_t);
/* Re-check every open socket's session soon (ws_bus back); how many. */
u_int		 ws_conn_recheck_all(time_t);
/* The handler's stdin drained: read the client again. */
void		 ws_conn_resume(struct ws_conn *);
/* The handler closed its stdout: close the connection normally. */
void		 ws_conn_handler_done(struct ws_conn *);
/* Close every connection (shutdown). */
void		 ws_conn_close_all(int, const char *);
void		 ws_conn_drop_all(void);
/* (Re)arm a connection's one timer (ws-conn.c, ws-upgrade.c). */
void		 ws_conn_timer(struct ws_conn *, long);
/* Arm the timer for the next look at an open socket's session. */
void		 ws_conn_arm_expiry(struct ws_conn *, time_t);
/* Bytes from the client: the bufferevent's read callback. */
void		 ws_conn_read_cb(struct bufferevent *, void *);
/* Read the upgrade request; answer it once it is complete. */
void		 ws_upgrade_handshake(struct ws_conn *);

/* ws-handler.c: the per-connection program, websocketd style. */
struct ws_handler	*ws_handler_start(struct ws_conn *, const struct ws_request *,
			     const struct session *, const char *, char **);
/* A text message for the program's stdin, as one line. */
void		 ws_handler_input(struct ws_handler *, const void *, size_t);
/* The connection is going: close stdin, then SIGTERM, then SIGKILL. */
void		 ws_handler_detach(struct ws_handler *);
/* Stop or resume reading the program's stdout (client backpressure). */
void		 ws_handler_throttle(struct ws_handler *, int);
/* Input queued for the program's stdin (for backpressure). */
size_t		 ws_handler_pending(struct ws_handler *);
/* SIGCHLD: collect exited programs. */
void		 ws_handler_reap(void);
u_int		 ws_handler_count(void);
void		 ws_handler_kill_all(void);

/* ws-control.c: the Unix control socket. */
int		 ws_control_open(const char *, char **);
void		 ws_control_close(void);
/* Apply a parsed CLOSE or SEND to this host's sockets; how many. */
u_int		 ws_control_apply(const struct ws_command *);

/* ws-bus.c: ws_bus, the subscriber that applies other hosts' commands. */
struct json_t;

/* One subscriber backend (ws-bus-pg.c, ws-bus-redis.c), on the loop. */
struct ws_bus_ops {
	/* Scheme family, for logs and STATS. */
	const char	*name;
	/*
	 * Start connecting to the URI and subscribing to the channel without
	 * blocking; afterwards the backend calls ws_bus_up once subscribed,
	 * ws_bus_message per message, and ws_bus_down (its connection already
	 * torn down) when it fails. -1 and *cause when it cannot even start.
	 */
	int		 (*start)(const char *, const char *, char **);
	/* Tear the connection down without calling back (shutdown). */
	void		 (*stop)(void);
};

int		 ws_bus_open(char **);
void		 ws_bus_close(void);
void		 ws_bus_up(void);
void		 ws_bus_down(const char *);
void		 ws_bus_message(const char *, size_t);
struct json_t	*ws_bus_json(void);
#ifdef HAVE_POSTGRESQL
extern const struct ws_bus_ops	ws_bus_pg_ops;
#endif
#ifdef HAVE_REDIS
extern const struct ws_bus_ops	ws_bus_redis_ops;
#endif

/* ws-server.c: process-wide state, start-up, signals, reload, sessions. */
struct ws_stats {
	uint64_t	 accepted;
	uint64_t	 upgraded;
	uint64_t	 refused;
	uint64_t	 closed_by_command;
	uint64_t	 messages_in;
	uint64_t	 messages_out;
};

struct ws_server {
	struct event_base	*base;
	struct config		*cfg;
	struct keyring		*keys;
	struct store		*store;
	struct evconnlistener	*listener;
	struct event		*sweep;
	time_t			 started;
	u_int			 nconns;	/* accepted, any state */
	u_int			 nopen;		/* registered */
	int			 exiting;
	struct ws_conns		 conns;
	struct ws_stats		 stats;
};

extern struct ws_server	*ws_server;

int		 ws_server_start(int, char **, char **);
int		 ws_server_loop(void);
/*
 * The session cookie's value in a Cookie header: 0 and *value (caller wipes
 * and frees), or the HTTP status to refuse with and *cause (static text).
 */
int		 ws_server_cookie(const char *, char **, const char **);
char		*ws_server_stats_json(void);
/* SESSION_ID for a session (never the cookie value); caller frees. */
char		*ws_server_public_id(const struct session *);

#endif
