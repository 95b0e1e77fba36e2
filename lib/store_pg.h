/*
 * PostgreSQL store internals shared with the cache tier (store_cache.c).
 * Private to lib/: the rest of the code goes through store_ops.
 */
#ifndef SW_STORE_PG_H
#define SW_STORE_PG_H

#include <time.h>

#include "session.h"
#include "store.h"

/*
 * The load and save of store_pg_ops, also telling the row's expires_at in
 * *until (a replaced, "doomed" row ends before its session would), so a
 * cached copy never outlives the row.
 */
enum store_result store_pg_load(struct store *, void *, const char *, time_t,
		    struct session **, time_t *, char **);
enum store_result store_pg_save(struct store *, void *, struct session *, int,
		    time_t, char **, time_t *, char **);
/*
 * Delete every session of a user; *n store keys in *keys, so that copies
 * elsewhere can be dropped too, and their ws_ids in *ws_ids (caller frees
 * each and both arrays; both NULL-terminated).
 */
enum store_result store_pg_revoke_user(struct store *, void *, const char *,
		    char ***, char ***, long *, char **);
/*
 * Delete one session by public id, cookie value or secret id: its store
 * key in *key and ws_id in *ws_id (may stay NULL; caller frees both).
 * STORE_NOTFOUND when there is none.
 */
enum store_result store_pg_revoke_one(struct store *, void *, const char *,
		    char **, char **, char **);

#endif
