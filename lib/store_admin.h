/*
 * Admin-only store operations: what sessionwrap-ctl calls and sessionwrap
 * and sessionwrap-ws never do. A backend points its store_ops' `admin` at
 * one of these; each member is optional (NULL: not supported). Arguments are
 * as in store_ops: the store, then what conn_new returned.
 */
#ifndef SW_STORE_ADMIN_H
#define SW_STORE_ADMIN_H

#include <time.h>

#include "session.h"
#include "store.h"

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

#endif
