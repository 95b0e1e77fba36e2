/*
 * Admin store operations: what sessionwrap-ctl calls, and sessionwrap only
 * for max_sessions_per_user (`sessions` and `revoke`, after a login);
 * sessionwrap-ws never. A backend points its store_ops' `admin` at one of
 * these; each member is optional (NULL: not supported). Arguments are as in
 * store_ops: the store, then what conn_new returned.
 */
#ifndef SW_STORE_ADMIN_H
#define SW_STORE_ADMIN_H

#include <time.h>

#include "session.h"
#include "store.h"

/* One live session of a user, as `sessions` lists them. */
struct store_user_session {
	/*
	 * What names it to `revoke` and to the operator, never the secret id:
	 * the public SESSION_ID where the store can be searched by it
	 * (PostgreSQL), else the store key (memcached), a keyed hash of the
	 * secret id that gives no access to the session.
	 */
	char		*id;
	/* Its stored copy; s->id holds a copy of `id`, not the secret id. */
	struct session	*s;
};

struct store_admin_ops {
	/* ctl gc: purge sessions expired at `now`, count in *n. */
	enum store_result (*gc)(struct store *, void *, time_t, long *,
			    char **);
	/*
	 * ctl revoke --user: delete every session of a user, count in *n;
	 * the ws_id of each in *ws_ids (NULL-terminated or NULL; the caller
	 * frees each and the array, after a failure too) so that their
	 * websockets can be closed. A failure after sessions were deleted
	 * (the cache tier could not invalidate its copies) keeps *n and
	 * *ws_ids of those.
	 */
	enum store_result (*revoke_user)(struct store *, void *, const char *,
			    long *, char ***, char **);
	/*
	 * ctl show: load by the public SESSION_ID, cookie value or secret id;
	 * STORE_OK fills *out (caller frees), STORE_NOTFOUND when none lives.
	 */
	enum store_result (*show)(struct store *, void *, const char *,
			    struct session **, char **);
	/*
	 * ctl sessions --user, and max_sessions_per_user: the live sessions
	 * of a user at `now` (not those a login replaced, which end within
	 * regenerate_grace) in *out, *n of them, oldest login first (free
	 * with store_user_free, after a failure too).
	 */
	enum store_result (*sessions)(struct store *, void *, const char *,
			    time_t, struct store_user_session **, size_t *,
			    char **);
	/*
	 * ctl revoke ID, and max_sessions_per_user: delete one session by
	 * the id `sessions` gives, or as `show` takes; its ws_id in *ws_id
	 * (may stay NULL; caller frees). STORE_NOTFOUND when none lives.
	 */
	enum store_result (*revoke)(struct store *, void *, const char *,
			    char **, char **);
	/* ctl init-db: create the schema now. */
	enum store_result (*init)(struct store *, void *, char **);
	/*
	 * ctl stats: "name value" lines about the store at `now` in *out
	 * (caller frees; may be set on a failure too).
	 */
	enum store_result (*stats)(struct store *, void *, time_t, char **,
			    char **);
};

/* The admin operations of the store's backend; NULL when it has none. */
const struct store_admin_ops *store_admin(const struct store *);

/* store_user.c: a user's sessions. Free what `sessions` returned. */
void		 store_user_free(struct store_user_session *, size_t);
/* True when v[0..n) already holds a session named id. */
int		 store_user_listed(const struct store_user_session *, size_t,
		    const char *);
/* Sort a user's sessions oldest login first (then last seen, then id). */
void		 store_user_sort(struct store_user_session *, size_t);
/*
 * max_sessions_per_user after a login of `s`: end the user's oldest
 * sessions beyond `max`, never `s` itself (its ws_id tells it apart). The
 * ws_ids of those ended in *ws_ids (NULL-terminated or NULL; caller frees
 * each and the array, after a failure too), their count in *n. STORE_OK
 * also when the store cannot list sessions (nothing done).
 */
enum store_result store_user_limit(struct store *, void *,
		    const struct session *, long, time_t, char ***, long *,
		    char **);

#endif
