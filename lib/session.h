/*
 * The session: its model (session.c), the X-Session-* operations of a
 * handler (session_op.c) and its variables in a script's environment
 * (session_env.c).
 */
#ifndef SW_SESSION_H
#define SW_SESSION_H

#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "config.h"

#define SESSION_ID_BYTES	18	/* 144 bits of CSPRNG -> 24 base64url chars */
#define SESSION_NEVER		((time_t)253402300799LL) /* 9999-12-31: no limit */
#define SESSION_MAX_AGE_MAX	(10L * 365 * 86400) /* longest max_age accepted */

struct cgi_env;
struct keyring;

struct session {
	char		*id;		/* secret random id; never logged */
	char		*ws_id;		/* sessionwrap-ws registry id */
	char		*user;		/* NULL when anonymous */
	json_t		*data;		/* always an object */
	time_t		 created;	/* creation, or last login */
	time_t		 access;	/* last time the stored copy was refreshed */
	long		 max_age;	/* per-session idle timeout; 0: idle_timeout */
	uint64_t	 version;	/* store version for compare-and-swap; 0 = never stored */

	int		 is_new;	/* created by this request */
	int		 changed;	/* must be saved */
	int		 id_changed;	/* login/regenerate: cookie must change */
	int		 destroyed;	/* logout: expire the cookie */
	int		 close_ws;	/* close this session's websockets */
	int		 logged_in;	/* X-Session-Login in this request */
	char		*old_id;	/* id replaced by login/regenerate/logout */
	char		*old_ws_id;	/* ws_id to CLOSE */
	uint64_t	 old_version;
};

/* session.c: the model. */

/* A fresh empty session with a new random id. */
struct session	*session_new(time_t);
/*
 * A session read from a store: takes over id, ws_id (NULL: a new one) and
 * data (a JSON object); the caller sets the rest.
 */
struct session	*session_from_store(char *, char *, json_t *);
void		 session_free(struct session *);
/* Deep copy. */
struct session	*session_dup(const struct session *);

/* Serialize all but the flags and version to compact JSON; caller frees. */
char		*session_serialize(const struct session *);
/* Parse what session_serialize wrote; NULL and *cause on bad input. */
struct session	*session_deserialize(const char *, size_t, char **);
/*
 * Check a session a server store read back (a memcached value, a PostgreSQL
 * row) by the rules session_deserialize applies to a cookie: id, ws id,
 * user, times, data. 0, or -1 and *cause.
 */
int		 session_check(const struct session *, char **);

/*
 * Effective idle timeout and expiry of a session: min(access + idle, created +
 * max(absolute_timeout, max_age)); a zero timeout drops its term. Expiry is
 * SESSION_NEVER when both are dropped (and saturates there; never 0).
 */
long		 session_idle_timeout(const struct session *, const struct config *);
time_t		 session_expires(const struct session *, const struct config *);
int		 session_expired(const struct session *, const struct config *, time_t);
/* True when the session has nothing worth storing (lazy creation). */
int		 session_empty(const struct session *);
/* Compact JSON of the data for $SESSION; caller frees. */
char		*session_data_json(const struct session *);

/*
 * Identity changes. Each keeps the old id in old_id (and old_version; version
 * becomes 0) for the store to delete; the first one of a request is kept.
 * Logout then continues with a fresh empty session (is_new, destroyed set).
 */
void		 session_regenerate(struct session *, time_t);
void		 session_login(struct session *, const char *, time_t);
void		 session_logout(struct session *, time_t);
void		 session_rotate_ws(struct session *);

/* Die on a jansson allocation failure (NULL), else return its argument. */
json_t		*session_json_check(json_t *);
/* A user name: 1 to 256 bytes of printable UTF-8, no control characters. */
int		 session_user_valid(const char *, size_t);

/*
 * session_client.c: the client a session logged in from (its own fields,
 * kept in the data object under SESSION_CLIENT_KEY, which scripts never see
 * nor change). Its last-seen time is `access`, which the stores keep.
 */
#define SESSION_CLIENT_KEY	"_sessionwrap"
#define SESSION_CLIENT_ADDR_MAX	64	/* bytes of a recorded client address */
#define SESSION_CLIENT_UA_MAX	256	/* bytes of a recorded user agent */

/* Printable UTF-8 of at most max bytes, '?' for the rest; caller frees. */
char		*session_client_clean(const char *, size_t);
/* True when s (len bytes) is what session_client_clean makes, within max. */
int		 session_client_valid(const char *, size_t, size_t);
/* Record a login's client address and user agent (either may be NULL). */
void		 session_client_set(struct session *, const char *,
		    const char *);
/* The recorded address and user agent (borrowed); NULL when none. */
void		 session_client_get(const struct session *, const char **,
		    const char **);
/* 0 when a data object's record is well-formed (or absent), else -1. */
int		 session_client_check(const json_t *);
/* The data without the record, as scripts see it (a new reference). */
json_t		*session_client_view(const json_t *);
/* Put old's record back into data after a script's operation. */
void		 session_client_keep(json_t *, const json_t *);
/* True for SESSION_CLIENT_KEY. */
int		 session_client_reserved(const char *);

/* session_op.c: the X-Session-* protocol. */

/* What a handler asked for in one X-Session-* (or mod_session) header. */
enum session_op_type {
	SOP_PATCH,		/* X-Session-Patch: <json> */
	SOP_SET,		/* X-Session-Set: key=value */
	SOP_UNSET,		/* X-Session-Unset: key */
	SOP_REPLACE,		/* X-Replace-Session: k=v&k2= */
	SOP_LOGIN,		/* X-Session-Login: user */
	SOP_LOGOUT,		/* X-Session-Logout: 1 */
	SOP_REGENERATE,		/* X-Session-Regenerate: 1 */
	SOP_MAX_AGE,		/* X-Session-Max-Age: seconds */
	SOP_CLOSE_WS		/* X-Session-Close-Websockets: 1 */
};

struct session_op {
	enum session_op_type	 type;
	char			*key;	/* SET/UNSET key, LOGIN user */
	char			*value;	/* SET value */
	json_t			*json;	/* PATCH and REPLACE as a merge patch */
	long			 num;	/* MAX_AGE seconds */
};

/*
 * Recognise one response header. Returns 0 when it is not a session header,
 * 1 and fills *op when it is, -1 and *cause when it is one but invalid
 * (CR/LF, bad JSON, bad number, unknown X-Session-*...). `replace_header` is
 * session_header: NULL means X-Replace-Session, "" recognises none. Yes/no
 * headers (Logout, Regenerate, Close-Websockets) take 1/true or 0/false; 0 is
 * consumed as an empty SOP_PATCH, which changes nothing.
 */
int		 session_op_parse(const char *, const char *, const char *,
		    struct session_op *, char **);
void		 session_op_clear(struct session_op *);
/* True for ops that change only data or max_age (safe to re-apply on a newer copy). */
int		 session_op_is_data(const struct session_op *);
/* Apply one operation; identity ops need `now`. Sets the flags. */
void		 session_apply(struct session *, const struct session_op *, time_t);

/*
 * RFC 7396 JSON merge patch: consumes the target reference (may be NULL) and
 * returns the new target (may replace it); the patch is borrowed.
 */
json_t		*session_op_merge_patch(json_t *, const json_t *);

/* session_env.c: the session in a script's environment. */

#define SESSION_ENV_NEW		0x1	/* SESSION_NEW=1 (else 0) */
#define SESSION_ENV_FORM	0x2	/* also HTTP_SESSION (mod_session_compat) */

/*
 * Set the session variables: SESSION, SESSION_ID (store_public_id),
 * SESSION_NEW, SESSION_USER, SESSION_CREATED, SESSION_EXPIRES, SESSION_WS_ID
 * and, with SESSION_ENV_FORM, HTTP_SESSION, in that order.
 */
void		 session_env(struct cgi_env *, const struct session *,
		    const struct config *, const struct keyring *, int);
/* Apache mod_session form (k=v&k2=v2) of top-level string values; caller frees. */
char		*session_form_encode(const struct session *);
/*
 * Bytes of the longest environment string the session's data becomes for a
 * script, "NAME=value" and its NUL as execve(2) counts them: SESSION, and
 * with the flag set (mod_session_compat) HTTP_SESSION. Its name in *name
 * (may be NULL).
 */
size_t		 session_env_max(const struct session *, int, const char **);

#endif
