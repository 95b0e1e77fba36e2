/*
 * What the files of the Redis store share, and nothing else includes:
 * store_redis.c (keys, load, save, destroy, lock; rd_*),
 * store_redis_conn.c (the redis:// value, read by redis_uri.c;
 * connections, commands, the Lua scripts; rd_conn_*), store_redis_value.c
 * (the stored form of a session, a Redis hash; rd_value_*),
 * store_redis_admin.c (what sessionwrap-ctl calls; rd_admin_*) and
 * counter_redis.c (sessionwrap-login's counters, PREFIXlogin:<key>).
 *
 * A session is the hash PREFIX<store key> with the fields
 *   v  version (the Lua scripts add 1 on every write: compare-and-swap)
 *   u  end of its grace period after a login replaced it (0: none)
 *   i  the key of its user's index (a set of store keys), when logged in
 *   e  the expire-at the last save set (0: none; empty: set it again)
 *   w  ws_id, n user, c created, a access, m max_age, d data (JSON)
 * and expires natively (EXPIREAT) when its idle or absolute timeout does.
 */
#ifndef SW_STORE_REDIS_INT_H
#define SW_STORE_REDIS_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <hiredis.h>

#include "redis_uri.h"
#include "session.h"
#include "store.h"
#include "store_last.h"

#define RD_DEFAULT_PREFIX	"sw:"
#define RD_DEFAULT_TIMEOUT	500	/* ms: connect, and each command */
#define RD_LOCK_SUFFIX		":lock"
#define RD_LOCK_MARGIN		5	/* s a lock outlives handler_timeout */
#define RD_REVOKE_BATCH		256	/* index members revoked per round trip */
#define RD_REVOKE_ROUNDS	100000	/* rounds before revoke gives up */
#define RD_NFIELDS		9	/* fields of a stored session */
#define RD_NNUMS		7	/* numbers a save sends */

/* The Lua scripts (store_redis_conn.c), each run by EVALSHA. */
enum rd_script {
	RD_SCRIPT_SAVE,		/* write a session: add, set, CAS or overwrite */
	RD_SCRIPT_DESTROY,	/* delete, or mark with the end of grace */
	RD_SCRIPT_UNLOCK,	/* delete the lock key when it holds our token */
	RD_SCRIPT_REKEY,	/* move a session saved under an older key */
	RD_SCRIPT_REVOKE,	/* delete one indexed session, return its ws_id */
	RD_SCRIPT_COUNT,	/* add to a login counter with its lifetime */
	RD_NSCRIPTS
};


/* A lock this process took but could not release (Redis was away). */
struct rd_stale {
	char		*key;		/* full key of the lock... */
	char		*token;		/* ...with our token in it... */
	long long	 until;		/* ...until it expires (clock_ms) */
	struct rd_stale	*next;
};

/* Process-wide state: the parsed value, the locks left to release. */
struct rd_store {
	struct redis_uri uri;
	char		*where;		/* host:port or path, for messages */
	pthread_mutex_t	 stale_mtx;	/* guards stale */
	struct rd_stale	*stale;		/* any thread releases them next */
};

/* Per-thread state: a connection (NULL until used) and the lock held. */
struct rd_conn {
	struct rd_store	*rs;
	redisContext	*c;
	char		 sha[RD_NSCRIPTS][41];	/* SCRIPT LOAD's answers */
	char		*lock_key;	/* full key of the lock we hold */
	char		*lock_token;	/* our value in it */
	char		*doomed_key;	/* last loaded session was replaced... */
	time_t		 doomed_until;	/* ...and stays readable until then */
	struct store_last last;		/* the session loaded last */
	char		*fmt;		/* the command being sent, formatted */
	size_t		 fmtsize;	/* bytes allocated at fmt */
};

/* The fields of a stored session, as read or to be written. */
struct rd_value {
	const char	*f[RD_NFIELDS];	/* v u i w n c a m d; NULL when absent */
	size_t		 len[RD_NFIELDS];
};
#define RD_F_VER	0
#define RD_F_UNTIL	1
#define RD_F_INDEX	2
#define RD_F_WS		3
#define RD_F_USER	4
#define RD_F_CREATED	5
#define RD_F_ACCESS	6
#define RD_F_MAXAGE	7
#define RD_F_DATA	8
/* Field names, in that order (for HMGET and HSET). */
extern const char *const rd_value_names[RD_NFIELDS];


/* The state of a redis:// value (rd_conn_close frees); NULL, *cause. */
struct rd_store	*rd_conn_store(const char *, char **);
/* Open the store cfg->store names (store_ops.open). */
void		*rd_conn_open(struct store *, char **);
/* Free what rd_conn_open returned (store_ops.close). */
void		 rd_conn_close(void *);
/* A worker's connection state; connects on first use. */
void		*rd_conn_new(struct store *, char **);
void		 rd_conn_free(void *);
/*
 * Run one command (argv form): STORE_OK and *reply (caller frees with
 * freeReplyObject; an error reply is STORE_ERROR); STORE_ERROR and *cause
 * when the server cannot be reached or failed. (Re)connects as needed and
 * retries once on a connection a server restart left stale.
 */
enum store_result rd_conn_cmd(struct rd_conn *, int, const char **,
		    const size_t *, redisReply **, char **);
/* Same for a script: EVALSHA, falling back to EVAL on NOSCRIPT. */
enum store_result rd_conn_script(struct rd_conn *, enum rd_script, int, int,
		    const char **, const size_t *, redisReply **, char **);
/*
 * Send n script calls at once and read their n replies into replies[]
 * (each freed by the caller, NULL where none came): one round trip.
 */
enum store_result rd_conn_pipeline(struct rd_conn *, enum rd_script, int,
		    int, const char **, const size_t *, size_t, redisReply **,
		    char **);
/* A cause for an unexpected reply: "redis WHAT: ..." (caller frees). */
char		*rd_conn_unexpected(const char *, const redisReply *);

/*
 * Read and parse the session at key (id copied in): STORE_OK and *out
 * (with its version; *until), STORE_NOTFOUND, STORE_ERROR and *cause.
 */
enum store_result rd_get(struct rd_conn *, const char *, const char *,
		    struct session **, time_t *, char **);
/* The full key of a store key (keyed hash, hex); caller frees. */
char		*rd_key_hash(struct store *, const char *);
/* The full key of a session id under the n-th key (0 = current). */
char		*rd_key(struct store *, size_t, const char *);
/* The full key of a user's index under the n-th key. */
char		*rd_index_key(struct store *, size_t, const char *);

/*
 * Parse a stored session's fields into a session (takes ownership of id),
 * checked by store_checked: *version and *until too. NULL and *cause when
 * they are not one; STORE_NOTFOUND-worthy absence is f[RD_F_VER] == NULL.
 */
struct session	*rd_value_parse(const struct rd_value *, char *, uint64_t *,
		    time_t *, char **);
/* Fill v from an HMGET reply of rd_value_names; -1 when it is not one. */
int		 rd_value_from_reply(const redisReply *, struct rd_value *);
/*
 * The HSET pairs of a session (w n c a m d; n left out when anonymous) in
 * argv/argvlen from index `at`; returns the new count. *data is the data
 * JSON (caller frees), its three numbers are written into num[].
 * -1 when the data cannot be serialized.
 */
int		 rd_value_fields(const struct session *, const char **,
		    size_t *, int, char **, char [3][24]);
/* A decimal integer in [0, max] of exactly len bytes; -1 when not one. */
int		 rd_value_int(const char *, size_t, long long, long long *);

/*
 * Pick `name`'s value out of INFO's "name:value\r\n" lines into out
 * (NUL-terminated, printable, at most outlen - 1 bytes); -1 when absent.
 */
int		 rd_admin_info_get(const char *, size_t, const char *, char *,
		    size_t);

/*
 * What a save of a session at key writes: *expires, *until (the end of its
 * grace when a login replaced it; 0: none) and the mode it returns (add,
 * set, cas, over).
 */
const char	*rd_save_plan(struct store *, struct rd_conn *,
		    const struct session *, const char *, int, time_t *,
		    time_t *);
/*
 * store_format = aiohttp (store_redis_aiohttp.c): aiohttp-session's
 * RedisStorage layout, which load, save, destroy and lock hand over to.
 */
int		 rd_aiohttp_on(const struct store *);
char		*rd_aiohttp_cookie_key(struct store *, const char *);
enum store_result rd_aiohttp_load(struct store *, struct rd_conn *,
		    const char *, time_t, struct session **, char **);
enum store_result rd_aiohttp_save(struct store *, struct rd_conn *,
		    struct session *, int, time_t, char **, char **);
enum store_result rd_aiohttp_destroy(struct store *, struct rd_conn *,
		    const char *, long, time_t, char **);

/* What only sessionwrap-ctl calls (store_redis_admin.c). */
extern const struct store_admin_ops rd_admin_ops;

#endif
