/* One request's session: loaded by its cookie, changed by the script's operations, saved. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "request.h"
#include "rsession.h"
#include "save.h"
#include "session.h"
#include "spawn.h"
#include "store.h"
#include "store_admin.h"
#include "wsbus.h"
#include "wsctl.h"
#include "xmalloc.h"

#define RSESSION_MAX_RETRIES	12	/* compare-and-swap rounds in merge mode */

/* Make sure this worker has a store connection; -1 while the store is down. */
static int
rsession_conn(struct rsession *rs)
{
	struct worker	*w = rs->w;
	char		*cause;
	long long	 now = clock_ms();

	if (w->conn != NULL)
		return 0;
	if (now < w->conn_retry) {
		log_debug("store %s: no connection yet; 503", rs->ops->name);
		return -1;
	}
	if ((w->conn = rs->ops->conn_new(rs->sw->store, &cause)) == NULL) {
		log_warnx("store %s: %s", rs->ops->name, cause);
		free(cause);
		w->conn_retry = now + 250;
		return -1;
	}
	return 0;
}

/*
 * 0 when a script can be started with the session: its largest environment
 * string within what execve takes; -1 and *cause otherwise. The limit is the
 * scripts' (their environment), not the store's.
 */
static int
rsession_fits(struct rsession *rs, const struct session *s, char **cause)
{
	const char	*name;
	size_t		 n;

	/* An upstream app takes its params in records: no execve limit. */
	if (rs->cfg->upstream != NULL)
		return 0;
	n = session_env_max(s, rs->cfg->mod_session_compat, &name);
	if (n <= SPAWN_MAX_ENV_STRING)
		return 0;
	xasprintf(cause, "%s would be %zu bytes in a script's environment, "
	    "over the %d execve takes", name, n, SPAWN_MAX_ENV_STRING);
	return -1;
}

/*
 * A stored session no script can start with (stored by an older version, or
 * before mod_session_compat was turned on): end it, as if expired, rather
 * than fail every request of it.
 */
static void
rsession_end_unfit(struct rsession *rs, struct session *s, const char *why)
{
	enum store_result	 res;
	char			*cause = NULL;

	log_warnx("%s: stored session treated as ended: %s", rs->name, why);
	if (rs->ops->client_side)
		return;
	res = rs->ops->destroy(rs->sw->store, rs->w->conn, s->id, 0, rs->now,
	    &cause);
	if (res != STORE_OK && res != STORE_NOTFOUND)
		log_warnx("%s: ending the stored session: %s", rs->name,
		    cause ? cause : store_result_str(res));
	free(cause);
}

/* Load the session named by the cookie, or make a fresh one; see rsession.h. */
int
rsession_load(struct rsession *rs)
{
	struct session		*s = NULL;
	enum store_result	 res;
	char			*cause = NULL;

	if (rs->cookie != NULL) {
		if (rsession_conn(rs) == -1)
			return 503;
		if (rs->cfg->lock == LOCK_EXCLUSIVE && rs->ops->lock != NULL) {
			res = rs->ops->lock(rs->sw->store, rs->w->conn, rs->cookie,
			    rs->cfg->lock_timeout, &cause);
			if (res == STORE_TIMEOUT) {
				log_warnx("%s: session lock not acquired in "
				    "%lds", rs->name, rs->cfg->lock_timeout);
				free(cause);
				return 503;
			}
			if (res == STORE_ERROR) {
				log_warnx("%s: lock: %s", rs->name, cause);
				free(cause);
				return 503;
			}
			free(cause);
			cause = NULL;
			if (res == STORE_OK)
				rs->locked = 1;
		}
		res = rs->ops->load(rs->sw->store, rs->w->conn, rs->cookie, rs->now,
		    &s, &cause);
		switch (res) {
		case STORE_OK:
			if (session_expired(s, rs->cfg, rs->now)) {
				session_free(s);
				s = NULL;
				rs->cookie_bad = 1;
			} else if (rsession_fits(rs, s, &cause) == -1) {
				rsession_end_unfit(rs, s, cause);
				free(cause);
				cause = NULL;
				session_free(s);
				s = NULL;
				rs->cookie_bad = 1;
			} else
				rs->loaded = 1;
			break;
		case STORE_NOTFOUND:
			rs->cookie_bad = 1;
			break;
		default:
			log_warnx("%s: loading session: %s", rs->name,
			    cause ? cause : store_result_str(res));
			free(cause);
			return 503;
		}
		free(cause);
	}
	if (s == NULL)
		s = session_new(rs->now);
	else if (rs->now - s->access >= rs->cfg->touch_interval) {
		rs->touch = 1;
		s->access = rs->now;
	}
	rs->s = s;
	return 0;
}

/* Delete a replaced or logged-out id in the store; -1 on an outage. */
static int
rsession_destroy_old(struct rsession *rs)
{
	struct session		*s = rs->s;
	enum store_result	 res;
	char			*cause = NULL;

	if (s->old_id == NULL || !rs->loaded || rs->ops->client_side)
		return 0;
	if (rsession_conn(rs) == -1)
		return -1;
	res = rs->ops->destroy(rs->sw->store, rs->w->conn, s->old_id,
	    s->destroyed ? 0 : rs->cfg->regenerate_grace, rs->now, &cause);
	if (res != STORE_OK && res != STORE_NOTFOUND) {
		log_warnx("%s: destroying old session: %s", rs->name,
		    cause ? cause : store_result_str(res));
		free(cause);
		return -1;
	}
	free(cause);
	return 0;
}

/*
 * Reload the latest copy and re-apply this request's operations (merge).
 * -1 when the store fails: never fall back to a fresh session that would
 * replace the client's real one.
 */
static int
rsession_reapply(struct rsession *rs)
{
	struct session		*t = NULL;
	enum store_result	 res;
	char			*cause = NULL;
	size_t			 i;

	res = rs->ops->load(rs->sw->store, rs->w->conn, rs->cookie, rs->now, &t,
	    &cause);
	if (res == STORE_NOTFOUND)
		t = session_new(rs->now);	/* destroyed meanwhile */
	else if (res != STORE_OK) {
		log_warnx("%s: reloading session: %s", rs->name,
		    cause ? cause : store_result_str(res));
		free(cause);
		return -1;
	}
	free(cause);
	t->access = rs->now;
	for (i = 0; i < rs->nops; i++)
		session_apply(t, &rs->ops_v[i], rs->now);
	t->changed = 1;
	session_free(rs->s);
	rs->s = t;
	return 0;
}

/*
 * Wait a little before retrying a lost compare-and-swap, longer each time and
 * with jitter, so a crowd of writers to one session spreads out.
 */
static void
rsession_backoff(int tries)
{
	struct timespec	 ts;
	unsigned int	 jitter;
	long long	 us;

	crypto_random(&jitter, sizeof jitter);
	us = jitter % 1000 + 500LL * tries;
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
}

/* The session's SAVE_* facts as they are now (save.h). */
static unsigned int
rsession_facts(struct rsession *rs)
{
	struct session	*s = rs->s;
	unsigned int	 f = 0;

	f |= s->changed ? SAVE_CHANGED : 0;
	f |= rs->touch ? SAVE_TOUCH : 0;
	f |= s->id_changed ? SAVE_ID_CHANGED : 0;
	f |= s->destroyed ? SAVE_DESTROYED : 0;
	f |= s->is_new ? SAVE_IS_NEW : 0;
	f |= session_empty(s) ? SAVE_EMPTY : 0;
	f |= s->version != 0 ? SAVE_STORED_BEFORE : 0;
	f |= rs->loaded ? SAVE_LOADED : 0;
	f |= rs->cookie != NULL ? SAVE_COOKIE_SENT : 0;
	f |= rs->cookie_bad ? SAVE_COOKIE_BAD : 0;
	f |= rs->ops->client_side ? SAVE_CLIENT_SIDE : 0;
	f |= s->max_age > 0 ? SAVE_MAX_AGE : 0;
	return f;
}

/*
 * Store the session; in merge mode a lost compare-and-swap re-applies this
 * request's operations to the latest copy and tries again. 0 with *res
 * (STORE_CONFLICT: a mere refresh lost to another request's write), or
 * the status of an error already logged.
 */
static int
rsession_store(struct rsession *rs, enum store_result *res, char **value,
    char **cause)
{
	struct session	*s;
	int		 tries = 0;

	for (;;) {
		s = rs->s;
		s->access = rs->now;
		/* A login records its client where a store can list it. */
		if (s->logged_in && !rs->ops->client_side)
			session_client_set(s, rs->addr, rs->ua);
		/* Never store what the next script could not start with. */
		if (rsession_fits(rs, s, cause) == -1) {
			*res = STORE_TOOBIG;
			return 0;
		}
		*res = rs->ops->save(rs->sw->store, rs->w->conn, s,
		    rs->cfg->lock == LOCK_MERGE, rs->now, value, cause);
		if (*res != STORE_CONFLICT)
			return 0;
		free(*cause);
		*cause = NULL;
		if (rs->nops == 0)
			return 0;	/* only a refresh: another request wrote */
		if (++tries >= RSESSION_MAX_RETRIES) {
			log_warnx("%s: session update lost %d races in a row",
			    rs->name, tries);
			return 503;
		}
		rsession_backoff(tries);
		if (rsession_reapply(rs) == -1)
			return 503;
	}
}

/*
 * max_sessions_per_user after a login: end the user's oldest sessions and
 * close their websockets. The login stands when this fails (logged).
 */
static void
rsession_limit(struct rsession *rs)
{
	enum store_result	 res;
	char			*cause = NULL, **ws_ids = NULL;
	long			 n = 0, i;

	if (!rs->s->logged_in || rs->cfg->max_sessions_per_user <= 0 ||
	    rs->ops->client_side)
		return;
	res = store_user_limit(rs->sw->store, rs->w->conn, rs->s,
	    rs->cfg->max_sessions_per_user, rs->now, &ws_ids, &n, &cause);
	if (res != STORE_OK)
		log_warnx("%s: max_sessions_per_user: %s", rs->name,
		    cause != NULL ? cause : store_result_str(res));
	free(cause);
	for (i = 0; i < n; i++) {
		if ((rs->cfg->ws_control != NULL || rs->cfg->ws_bus != NULL) &&
		    wsbus_close_any(rs->cfg, rs->sw->keys, ws_ids[i], rs->name,
		    &cause) != 0) {
			log_warnx("%s: closing websockets of an ended session: "
			    "%s", rs->name, cause);
			free(cause);
		}
		free(ws_ids[i]);
	}
	free(ws_ids);
}

/* Save the session if needed and decide the cookie; see rsession.h. */
int
rsession_save(struct rsession *rs, enum save_cookie *cookie, char **value)
{
	struct session		*s = rs->s;
	enum store_result	 res;
	char			*cause = NULL;
	int			 status;

	*cookie = SAVE_COOKIE_NONE;
	*value = NULL;
	/* A logout ends the client's session, whatever becomes of the new one. */
	if (s->destroyed && rsession_destroy_old(rs) == -1)
		return 503;

	switch (save_decide(rsession_facts(rs))) {
	case SAVE_NOTHING:
		return 0;
	case SAVE_DELETE_COOKIE:
		*cookie = SAVE_COOKIE_DELETE;
		return 0;
	case SAVE_STORE:
		break;
	}
	if (rsession_conn(rs) == -1)
		return 503;
	if ((status = rsession_store(rs, &res, value, &cause)) != 0)
		return status;
	s = rs->s;
	switch (res) {
	case STORE_OK:
		break;
	case STORE_CONFLICT:
		return 0;
	case STORE_TOOBIG:
		/* Nothing was doomed: a login leaves the client its old id. */
		log_warnx("%s: session not saved, previous one kept: %s",
		    rs->name, cause ? cause : "too big");
		free(cause);
		/* Unless a logout ended it, the stored copy stands. */
		if ((*cookie = save_cookie_after(rsession_facts(rs), 0)) !=
		    SAVE_COOKIE_DELETE)
			rs->kept = 1;
		return 0;
	default:
		log_warnx("%s: saving session: %s", rs->name,
		    cause ? cause : store_result_str(res));
		free(cause);
		return 503;
	}
	free(cause);
	/*
	 * Login, regenerate: the old id goes only now that the new one is
	 * stored, so a failed save leaves the client its session. When this
	 * fails the client keeps the old id (not doomed) and the new copy,
	 * whose id nobody holds, expires unused.
	 */
	if (!s->destroyed && rsession_destroy_old(rs) == -1)
		return 503;
	rsession_limit(rs);
	*cookie = save_cookie_after(rsession_facts(rs), 1);
	return 0;
}

/* Clear the recorded operations. */
static void
rsession_ops_free(struct rsession *rs)
{
	size_t	 i;

	for (i = 0; i < rs->nops; i++)
		session_op_clear(&rs->ops_v[i]);
	free(rs->ops_v);
	rs->ops_v = NULL;
	rs->nops = 0;
}

/* Start loading the session, where the store can, while the script is found. */
void
rsession_prefetch(struct rsession *rs)
{
	/* Not under a lock, which comes first. */
	if (rs->cookie != NULL && rs->ops->prefetch != NULL &&
	    rs->w->conn != NULL && rs->cfg->lock != LOCK_EXCLUSIVE)
		rs->ops->prefetch(rs->sw->store, rs->w->conn, rs->cookie,
		    rs->now);
}

/* Unlock the stored session and free the request's copy; see rsession.h. */
void
rsession_end(struct rsession *rs)
{
	if (rs->locked && rs->ops->unlock != NULL)
		rs->ops->unlock(rs->sw->store, rs->w->conn);
	rsession_ops_free(rs);
	session_free(rs->s);
	rs->s = NULL;
	free(rs->cookie);
	rs->cookie = NULL;
}
