/*
 * A user's sessions across stores: the list `sessions` returns, its order,
 * and max_sessions_per_user, which ends the oldest through `revoke`.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "xmalloc.h"

/* Free what a store's `sessions` returned. */
void
store_user_free(struct store_user_session *v, size_t n)
{
	size_t	 i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].id);
		session_free(v[i].s);
	}
	free(v);
}

/* True when v[0..n) already holds a session named id. */
int
store_user_listed(const struct store_user_session *v, size_t n,
    const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].id, id) == 0)
			return 1;
	}
	return 0;
}

/* qsort order: oldest login first, then least recently seen, then id. */
static int
store_user_cmp(const void *a, const void *b)
{
	const struct store_user_session *x = a, *y = b;

	if (x->s->created != y->s->created)
		return x->s->created < y->s->created ? -1 : 1;
	if (x->s->access != y->s->access)
		return x->s->access < y->s->access ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Sort a user's sessions oldest login first. */
void
store_user_sort(struct store_user_session *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof *v, store_user_cmp);
}

/* Add a ws_id to a NULL-terminated list. */
static void
store_user_add_ws(char ***ws_ids, long *n, char *ws_id)
{
	*ws_ids = xreallocarray(*ws_ids, *n + 2, sizeof **ws_ids);
	(*ws_ids)[(*n)++] = ws_id;
	(*ws_ids)[*n] = NULL;
}

/* End the user's oldest sessions beyond max after a login; see store_admin.h. */
enum store_result
store_user_limit(struct store *st, void *conn, const struct session *keep,
    long max, time_t now, char ***ws_ids, long *n, char **cause)
{
	const struct store_admin_ops *admin = store_admin(st);
	struct store_user_session *v = NULL;
	enum store_result rv;
	size_t		 nv = 0, i, others = 0;
	char		*ws_id;

	*ws_ids = NULL;
	*n = 0;
	if (admin == NULL || admin->sessions == NULL || admin->revoke == NULL ||
	    keep->user == NULL || max <= 0)
		return STORE_OK;
	rv = admin->sessions(st, conn, keep->user, now, &v, &nv, cause);
	if (rv != STORE_OK) {
		store_user_free(v, nv);
		return rv;
	}
	for (i = 0; i < nv; i++)
		others += strcmp(v[i].s->ws_id, keep->ws_id) != 0;
	/* Oldest first: end the others until max - 1 of them remain. */
	for (i = 0; i < nv && others > (size_t)max - 1; i++) {
		if (strcmp(v[i].s->ws_id, keep->ws_id) == 0)
			continue;
		ws_id = NULL;
		rv = admin->revoke(st, conn, v[i].id, &ws_id, cause);
		if (rv == STORE_NOTFOUND) {
			free(*cause);
			*cause = NULL;
		} else if (rv != STORE_OK) {
			free(ws_id);
			break;
		}
		others--;
		if (rv == STORE_OK)
			log_info("session of %s ended: over max_sessions_per_user "
			    "= %ld", keep->user, max);
		if (ws_id != NULL)
			store_user_add_ws(ws_ids, n, ws_id);
		rv = STORE_OK;
	}
	store_user_free(v, nv);
	return rv;
}
