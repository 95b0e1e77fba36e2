/*
 * What the files of the PostgreSQL store share, and nothing else includes:
 * store_pg.c (open, load, save, destroy, lock; pg_*), store_pg_sql.c (the
 * schema and statements; pg_sql_*), store_pg_conn.c (connections, back-off
 * and running statements; pg_conn_*) and store_pg_admin.c (what
 * sessionwrap-ctl calls; pg_admin_*).
 */
#ifndef SW_STORE_PG_INT_H
#define SW_STORE_PG_INT_H

#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>

#include "session.h"
#include "store.h"
#include "store_last.h"

#define PG_TABLE		"sessionwrap_sessions"
#define PG_CONNECT_TIMEOUT	"3"	/* seconds, unless the conninfo says */
#define PG_BACKOFF_MIN		100	/* ms before the first reconnect attempt */
#define PG_QUERY_TIMEOUT	5000	/* ms a statement may take (a lock: plus lock_timeout) */
#define PG_BACKOFF_MAX		1000	/* ms, ceiling: service resumes within a second */
#define PG_PURGE_EVERY		1000	/* saves per connection between purges */
#define PG_PURGE_BATCH		"500"	/* rows one opportunistic purge deletes */
#define PG_EXPIRES_STEP		60	/* seconds expires_at may be rounded up */
#define PG_GC_SLACK		"3600"	/* seconds gc_at may lag behind expires_at */
#define PG_SCHEMA_LOCK		"7526735719"	/* advisory lock serialising CREATE */

/* Prepared statements, made on every (re)connection. */
enum pg_stmt {
	PG_LOAD,	/* $1 key, $2 now */
	PG_INSERT_NEW,	/* version 0 with CAS: a clash is a conflict */
	PG_UPSERT,	/* version 0 without CAS */
	PG_UPDATE,	/* $1 key, $2 version or NULL (no CAS), ..., $10 now,
			   $11 public id */
	PG_DELETE,	/* $1 key */
	PG_DOOM,	/* $1 key, $2 end of grace */
	PG_GC,		/* $1 now */
	PG_PURGE,	/* $1 now: a bounded batch of expired rows */
	PG_REVOKE,	/* $1 username */
	PG_SHOW,	/* $1 key, $2 public id, $3 now */
	PG_LOCK,	/* $1 advisory lock key */
	PG_UNLOCK,	/* $1 advisory lock key */
	PG_COUNT,	/* $1 now: live and expired row counts */
	PG_REKEY,	/* $1 old key, $2 key, $3 public id, $4 now */
	/* A user's sessions (store_pg_admin.c). */
	PG_USER_LIST,	/* $1 username, $2 now: their public ids */
	PG_REVOKE_ONE,	/* $1 key, $2 public id */
	PG_NSTMTS
};


/* A prepared statement: its name on the connection and its text. */
struct pg_sql_stmt {
	const char	*name;
	const char	*sql;
};

/* The schema, also shipped as contrib/schema.sql. */
extern const char pg_sql_schema[];
/* sessionwrap-login's failure counters (counter_pg.c), part of the schema. */
#define PG_COUNTERS		"sessionwrap_login_counters"
#define PG_COUNTERS_SCHEMA \
"CREATE TABLE IF NOT EXISTS " PG_COUNTERS " (\n" \
"\tkey\t\ttext PRIMARY KEY,\t\t-- hash of a user name or client address\n" \
"\tcount\t\tinteger NOT NULL,\t\t-- failed logins\n" \
"\texpires_at\ttimestamptz NOT NULL\n" \
");\n"
/* Every statement, prepared on each (re)connection. */
extern const struct pg_sql_stmt pg_sql_stmts[PG_NSTMTS];
/* The same for a table with integer times but no gc_at (made earlier). */
extern const struct pg_sql_stmt pg_sql_stmts_nogc[PG_NSTMTS];
/* The same for a table of sessionwrap 0.1 (timestamptz times, no gc_at). */
extern const struct pg_sql_stmt pg_sql_stmts_tz[PG_NSTMTS];
/*
 * Does the table exist; has it timestamptz times; has it gc_at? One row,
 * three booleans.
 */
extern const char pg_sql_exists[];
/* Its times to bigint Unix seconds (sessionwrap-ctl init-db). */
extern const char pg_sql_migrate[];
/* Its gc_at column and index (sessionwrap-ctl init-db). */
extern const char pg_sql_migrate_gc[];

/* The table's shape, as found on connecting: which statements serve it. */
enum pg_shape {
	PG_SHAPE_CURRENT,	/* pg_sql_stmts */
	PG_SHAPE_NOGC,		/* integer times, no gc_at (made earlier) */
	PG_SHAPE_TZ		/* 0.1: timestamptz times, no gc_at */
};

/* Process-wide state: the connection string. */
struct pg_store {
	char		*conninfo;
};

/* Per-thread state: one connection, its back-off and the lock it holds. */
struct pg_conn {
	struct pg_store	*ps;
	PGconn		*pg;
	int		 ready;		/* connected and statements prepared */
	enum pg_shape	 shape;		/* of the table: the statements it needs */
	unsigned	 fails;		/* consecutive failed connection attempts */
	uint64_t	 next_try;	/* monotonic ms before which we do not retry */
	char		*last_error;	/* why the last attempt failed */
	long		 lock_timeout;	/* ms last SET, -1 unknown */
	int		 locked;	/* an advisory lock is held */
	int		 lock_lost;	/* the connection holding it dropped */
	char		 lock_key[24];
	unsigned	 saves;		/* counter for opportunistic purges */
	struct {			/* a load sent ahead (pg_prefetch) */
		char	*cookie;	/* NULL: none under way */
		char	*id;		/* its session id, checked */
		char	*key;		/* and store key */
		int	 keyidx;	/* the key that signed the cookie */
		time_t	 now;
	}		 pf;
	struct store_last last;		/* the id last loaded, for its save */
};

/* A libpq message on one line, for logs and causes; caller frees. */
char		*pg_conn_message(const char *);
/*
 * Wait for the result of what was sent (sent = 0: sending failed) for at
 * most `timeout` ms; NULL on a failure or timeout.
 */
PGresult	*pg_conn_wait(PGconn *, int, long);
/* Mark the connection broken: the next use reconnects after a back-off. */
void		 pg_conn_broken(struct pg_conn *, const char *);
/*
 * init-db: an older table to the current shape (integer times, gc_at);
 * 1 done, 0 none, -1 *cause.
 */
int		 pg_conn_migrate(struct pg_conn *, char **);
/* A worker's connection (store_ops conn_new) and its release. */
void		*pg_conn_new(struct store *, char **);
void		 pg_conn_free(void *);
/* Forget a load sent ahead (its answer, if any, is the caller's business). */
void		 pg_conn_prefetch_clear(struct pg_conn *);
/* Wait for and drop the answer to a load sent ahead, if one is under way. */
void		 pg_conn_prefetch_drop(struct pg_conn *);
/* Time a statement may take, in ms. */
long		 pg_conn_stmt_timeout(struct pg_conn *, enum pg_stmt);
/*
 * Make sure the connection is up (reconnecting when due); *fresh when it
 * was just made. STORE_ERROR and *cause while PostgreSQL is away.
 */
enum store_result pg_conn_ensure(struct pg_conn *, int *, char **);
/* Run a simple SQL text on a connection; -1 and *cause. */
int		 pg_conn_simple(PGconn *, const char *, char **);
/* Run the DDL unless the table exists, under the schema lock. */
int		 pg_conn_table_ensure(PGconn *, const char *, const char *,
		    char **);
/* The libpq connection string for a store value (store_pg.c). */
char		*pg_conninfo(const char *);
/*
 * Run a prepared statement, reconnecting once when the connection was
 * lost: the result (caller PQclears), or NULL with *rv and *cause.
 */
PGresult	*pg_conn_run(struct pg_conn *, enum pg_stmt, int,
		    const char *const *, enum store_result *, char **);

/* Build a session from a row of PG_COLUMNS; takes ownership of id. */
struct session	*pg_session_from_row(const PGresult *, char *, time_t, char **);

/* What only sessionwrap-ctl calls (store_pg_admin.c). */
extern const struct store_admin_ops pg_admin_ops;

#endif
