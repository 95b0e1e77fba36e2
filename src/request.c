/* One request: pick the script, load the session, run it, apply and save. */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"
#include "cookie.h"
#include "crypto.h"
#include "log.h"
#include "pump.h"
#include "request.h"
#include "save.h"
#include "script.h"
#include "session.h"
#include "spawn.h"
#include "store.h"
#include "wsctl.h"
#include "xmalloc.h"

#define REQUEST_CHUNK		65536
#define REQUEST_COALESCE	20	/* ms output may wait for more before a flush */
#define REQUEST_MAX_RETRIES	12	/* compare-and-swap rounds in merge mode */

/* Where a request stands, in the order it moves through them. */
enum req_state {
	REQ_HEADERS,		/* reading the script's response headers */
	REQ_BODY,		/* headers sent, streaming the body */
	REQ_FAILED		/* an error response was sent or the client left */
};

struct req {
	struct worker		*w;
	struct sw		*sw;
	const struct config	*cfg;
	const struct store_ops	*ops;
	const struct rio	*io;
	char			**envp;
	time_t			 now;
	/*
	 * Monotonic ms. Until the headers are in, handler_timeout counts from
	 * the start; after that it is an idle limit renewed by every chunk of
	 * output, so long downloads and streams are not cut.
	 */
	long long		 deadline;

	char			*script;	/* resolved script path */
	char			*cookie;	/* our cookie as sent, or NULL */
	char			*other_cookies;	/* HTTP_COOKIE without ours */
	int			 cookie_bad;	/* sent but not accepted */
	int			 locked;
	int			 loaded;	/* session came from the store */
	int			 touch;		/* refresh the stored expiry */
	int			 kept;		/* save refused: the stored copy stands */
	struct session		*s;
	struct session_op	*ops_v;
	size_t			 nops;
	enum req_state		 state;
	char			*setcookie;	/* Set-Cookie value to send */
	int			 input_done;	/* request body read to its end */
	int			 unflushed;	/* response bytes not pushed yet */
	int			 headers_sent;	/* the response has begun */
	int			 cut;		/* and was cut short */
};

/* Look up a variable in the web server's environment. */
static const char *
req_getenv(struct req *r, const char *name)
{
	size_t	 len = strlen(name);
	char	**e;

	for (e = r->envp; *e != NULL; e++) {
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	}
	return NULL;
}

/* req_getenv for script_pick. */
static const char *
req_getenv_cb(void *ctx, const char *name)
{
	return req_getenv(ctx, name);
}

/* Send a short error response (only before any header was sent). */
static void
req_fail(struct req *r, int status, const char *reason)
{
	char	*s;
	int	 n;

	if (r->state != REQ_HEADERS) {
		r->state = REQ_FAILED;
		return;
	}
	n = xasprintf(&s, "Status: %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s"
	    "\r\n%d %s\n", status, reason,
	    status == 503 ? "Retry-After: 1\r\n" : "", status, reason);
	r->io->write(r->io->ctx, s, n);
	free(s);
	r->state = REQ_FAILED;
}

/* Name of the request for log lines (never the cookie). */
static const char *
req_name(struct req *r)
{
	const char	*s;

	if (r->script != NULL)
		return r->script;
	if ((s = req_getenv(r, "SCRIPT_NAME")) != NULL)
		return s;
	return "?";
}

/* Make sure this worker has a store connection; -1 while the store is down. */
static int
req_conn(struct req *r)
{
	struct worker	*w = r->w;
	char		*cause;
	long long	 now = spawn_now_ms();

	if (w->conn != NULL)
		return 0;
	if (now < w->conn_retry) {
		log_debug("store %s: no connection yet; 503", r->ops->name);
		return -1;
	}
	if ((w->conn = r->ops->conn_new(r->sw->store, &cause)) == NULL) {
		log_warnx("store %s: %s", r->ops->name, cause);
		free(cause);
		w->conn_retry = now + 250;
		return -1;
	}
	return 0;
}

/* Find our cookie among the request's (r->cookie, or r->cookie_bad). */
static void
req_cookie(struct req *r)
{
	const char		*header;
	enum cookie_find	 found;

	header = req_getenv(r, "HTTP_COOKIE");
	if (header != NULL) {
		found = cookie_find(header, r->cfg->cookie_name, &r->cookie,
		    &r->other_cookies);
		switch (found) {
		case COOKIE_FOUND:
		case COOKIE_ABSENT:
			break;
		case COOKIE_DUPLICATE:
			log_warnx("%s: session cookie sent more than once; "
			    "using a fresh session", req_name(r));
			r->cookie_bad = 1;
			break;
		case COOKIE_OVERSIZED:
			log_warnx("%s: oversized session cookie ignored",
			    req_name(r));
			r->cookie_bad = 1;
			break;
		case COOKIE_INVALID:
			log_warnx("%s: malformed session cookie ignored",
			    req_name(r));
			r->cookie_bad = 1;
			break;
		}
	}
}

/*
 * 0 when a script can be started with the session: its largest environment
 * string within what execve takes; -1 and *cause otherwise. The limit is the
 * scripts' (their environment), not the store's.
 */
static int
req_session_fits(struct req *r, const struct session *s, char **cause)
{
	const char	*name;
	size_t		 n;

	n = session_env_max(s, r->cfg->mod_session_compat, &name);
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
req_end_unfit(struct req *r, struct session *s, const char *why)
{
	enum store_result	 res;
	char			*cause = NULL;

	log_warnx("%s: stored session treated as ended: %s", req_name(r), why);
	if (r->ops->client_side)
		return;
	res = r->ops->destroy(r->sw->store, r->w->conn, s->id, 0, r->now,
	    &cause);
	if (res != STORE_OK && res != STORE_NOTFOUND)
		log_warnx("%s: ending the stored session: %s", req_name(r),
		    cause ? cause : store_result_str(res));
	free(cause);
}

/* Load the session named by the cookie (or make a fresh one); 0 or a status. */
static int
req_load(struct req *r)
{
	struct session		*s = NULL;
	enum store_result	 res;
	char			*cause = NULL;

	if (r->cookie != NULL) {
		if (req_conn(r) == -1)
			return 503;
		if (r->cfg->lock == LOCK_EXCLUSIVE && r->ops->lock != NULL) {
			res = r->ops->lock(r->sw->store, r->w->conn, r->cookie,
			    r->cfg->lock_timeout, &cause);
			if (res == STORE_TIMEOUT) {
				log_warnx("%s: session lock not acquired in "
				    "%lds", req_name(r), r->cfg->lock_timeout);
				free(cause);
				return 503;
			}
			if (res == STORE_ERROR) {
				log_warnx("%s: lock: %s", req_name(r), cause);
				free(cause);
				return 503;
			}
			free(cause);
			cause = NULL;
			if (res == STORE_OK)
				r->locked = 1;
		}
		res = r->ops->load(r->sw->store, r->w->conn, r->cookie, r->now,
		    &s, &cause);
		switch (res) {
		case STORE_OK:
			if (session_expired(s, r->cfg, r->now)) {
				session_free(s);
				s = NULL;
				r->cookie_bad = 1;
			} else if (req_session_fits(r, s, &cause) == -1) {
				req_end_unfit(r, s, cause);
				free(cause);
				cause = NULL;
				session_free(s);
				s = NULL;
				r->cookie_bad = 1;
			} else
				r->loaded = 1;
			break;
		case STORE_NOTFOUND:
			r->cookie_bad = 1;
			break;
		default:
			log_warnx("%s: loading session: %s", req_name(r),
			    cause ? cause : store_result_str(res));
			free(cause);
			return 503;
		}
		free(cause);
	}
	if (s == NULL)
		s = session_new(r->now);
	else if (r->now - s->access >= r->cfg->touch_interval) {
		r->touch = 1;
		s->access = r->now;
	}
	r->s = s;
	return 0;
}

/* Number as text into the environment. */
static void
req_env_num(struct cgi_env *env, const char *name, long long v)
{
	char	 num[32];

	snprintf(num, sizeof num, "%lld", v);
	cgi_env_set(env, name, num);
}

/*
 * The CGI/1.1 environment, before the session is known: the web server's
 * parameters through the allow-list (cgi_env_allowed), the cookie header
 * without our cookie, PATH of our own unless pass_env names it.
 */
static void
req_env_cgi(struct req *r, struct cgi_env *env)
{
	char		**e;
	const char	*pi;

	cgi_env_init(env);
	for (e = r->envp; *e != NULL; e++) {
		const char	*eq;

		if ((eq = strchr(*e, '=')) != NULL &&
		    cgi_env_allowed(*e, eq - *e, r->cfg->pass_env))
			cgi_env_setn(env, *e, eq - *e, eq + 1);
	}
	if (r->other_cookies != NULL)
		cgi_env_set(env, "HTTP_COOKIE", r->other_cookies);
	else if (r->cookie == NULL && !r->cookie_bad &&
	    req_getenv(r, "HTTP_COOKIE") != NULL) {
		/* No cookie of ours: pass the header through untouched. */
		cgi_env_set(env, "HTTP_COOKIE", req_getenv(r, "HTTP_COOKIE"));
	}
	if (cgi_env_get(env, "PATH") == NULL)
		cgi_env_set(env, "PATH", r->sw->path_env);
	if (cgi_env_get(env, "GATEWAY_INTERFACE") == NULL)
		cgi_env_set(env, "GATEWAY_INTERFACE", "CGI/1.1");
	if (r->sw->cgi && req_getenv(r, "REDIRECT_STATUS") != NULL &&
	    req_getenv(r, "PATH_TRANSLATED") != NULL) {
		/* Apache Action: present the target as the script itself. */
		pi = req_getenv(r, "PATH_INFO");
		cgi_env_set(env, "SCRIPT_NAME", pi ? pi : "");
		cgi_env_unset(env, "PATH_INFO");
		cgi_env_unset(env, "PATH_TRANSLATED");
	}
	cgi_env_set(env, "SCRIPT_FILENAME", r->script);
}

/* Add the session variables; the array for the child. */
static char **
req_env_session(struct req *r, struct cgi_env *env)
{
	struct session	*s = r->s;
	char		*json, *id;

	json = session_data_json(s);
	cgi_env_set(env, "SESSION", json);
	free(json);
	id = store_public_id(r->sw->keys, s->id);
	cgi_env_set(env, "SESSION_ID", id);
	free(id);
	cgi_env_set(env, "SESSION_NEW", s->is_new ? "1" : "0");
	cgi_env_set(env, "SESSION_USER", s->user ? s->user : "");
	req_env_num(env, "SESSION_CREATED", s->created);
	req_env_num(env, "SESSION_EXPIRES", session_expires(s, r->cfg));
	cgi_env_set(env, "SESSION_WS_ID", s->ws_id);
	if (r->cfg->mod_session_compat) {
		char	*form = session_form_encode(s);

		cgi_env_set(env, "HTTP_SESSION", form);
		free(form);
	}
	return cgi_env_array(env);
}

/* True when the cookie must carry the Secure attribute. */
static int
req_secure(struct req *r)
{
	const char	*v;

	if (r->cfg->cookie_secure != -1)
		return r->cfg->cookie_secure;
	if ((v = req_getenv(r, "HTTPS")) != NULL &&
	    (strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0))
		return 1;
	if ((v = req_getenv(r, "REQUEST_SCHEME")) != NULL &&
	    strcasecmp(v, "https") == 0)
		return 1;
	return 0;
}

/* Prepare the Set-Cookie value for `value` (NULL: delete the cookie). */
static void
req_setcookie(struct req *r, const char *value)
{
	struct cookie_attrs	 a;

	memset(&a, 0, sizeof a);
	a.name = r->cfg->cookie_name;
	a.path = r->cfg->cookie_path ? r->cfg->cookie_path : "/";
	a.domain = r->cfg->cookie_domain;
	a.secure = req_secure(r);
	a.httponly = 1;
	a.samesite = r->cfg->cookie_samesite;
	a.now = r->now;
	if (value == NULL)
		a.max_age = 0;
	else if (r->s->max_age > 0)
		a.max_age = session_expires(r->s, r->cfg) - r->now;
	else
		a.max_age = -1;
	free(r->setcookie);
	r->setcookie = cookie_build(&a, value ? value : "");
}

/* Delete a replaced or logged-out id in the store; -1 on an outage. */
static int
req_destroy_old(struct req *r)
{
	struct session		*s = r->s;
	enum store_result	 res;
	char			*cause = NULL;

	if (s->old_id == NULL || !r->loaded || r->ops->client_side)
		return 0;
	if (req_conn(r) == -1)
		return -1;
	res = r->ops->destroy(r->sw->store, r->w->conn, s->old_id,
	    s->destroyed ? 0 : r->cfg->regenerate_grace, r->now, &cause);
	if (res != STORE_OK && res != STORE_NOTFOUND) {
		log_warnx("%s: destroying old session: %s", req_name(r),
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
req_reapply(struct req *r)
{
	struct session		*t = NULL;
	enum store_result	 res;
	char			*cause = NULL;
	size_t			 i;

	res = r->ops->load(r->sw->store, r->w->conn, r->cookie, r->now, &t,
	    &cause);
	if (res == STORE_NOTFOUND)
		t = session_new(r->now);	/* destroyed meanwhile */
	else if (res != STORE_OK) {
		log_warnx("%s: reloading session: %s", req_name(r),
		    cause ? cause : store_result_str(res));
		free(cause);
		return -1;
	}
	free(cause);
	t->access = r->now;
	for (i = 0; i < r->nops; i++)
		session_apply(t, &r->ops_v[i], r->now);
	t->changed = 1;
	session_free(r->s);
	r->s = t;
	return 0;
}

/*
 * Wait a little before retrying a lost compare-and-swap, longer each time and
 * with jitter, so a crowd of writers to one session spreads out.
 */
static void
req_backoff(int tries)
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
req_save_facts(struct req *r)
{
	struct session	*s = r->s;
	unsigned int	 f = 0;

	f |= s->changed ? SAVE_CHANGED : 0;
	f |= r->touch ? SAVE_TOUCH : 0;
	f |= s->id_changed ? SAVE_ID_CHANGED : 0;
	f |= s->destroyed ? SAVE_DESTROYED : 0;
	f |= s->is_new ? SAVE_IS_NEW : 0;
	f |= session_empty(s) ? SAVE_EMPTY : 0;
	f |= s->version != 0 ? SAVE_STORED_BEFORE : 0;
	f |= r->loaded ? SAVE_LOADED : 0;
	f |= r->cookie != NULL ? SAVE_COOKIE_SENT : 0;
	f |= r->cookie_bad ? SAVE_COOKIE_BAD : 0;
	f |= r->ops->client_side ? SAVE_CLIENT_SIDE : 0;
	f |= s->max_age > 0 ? SAVE_MAX_AGE : 0;
	return f;
}

/* Save the session if needed and decide the cookie; 0 or a status. */
static int
req_save(struct req *r)
{
	struct session		*s = r->s;
	enum store_result	 res;
	char			*cause = NULL, *value = NULL;
	int			 tries = 0;

	/* A logout ends the client's session, whatever becomes of the new one. */
	if (s->destroyed && req_destroy_old(r) == -1)
		return 503;

	switch (save_decide(req_save_facts(r))) {
	case SAVE_NOTHING:
		return 0;
	case SAVE_DELETE_COOKIE:
		req_setcookie(r, NULL);
		return 0;
	case SAVE_STORE:
		break;
	}
	if (req_conn(r) == -1)
		return 503;

	for (;;) {
		s = r->s;
		s->access = r->now;
		/* Never store what the next script could not start with. */
		if (req_session_fits(r, s, &cause) == -1) {
			res = STORE_TOOBIG;
			break;
		}
		res = r->ops->save(r->sw->store, r->w->conn, s,
		    r->cfg->lock == LOCK_MERGE, r->now, &value, &cause);
		if (res != STORE_CONFLICT)
			break;
		free(cause);
		cause = NULL;
		if (r->nops == 0)
			return 0;	/* only a refresh: another request wrote */
		if (++tries >= REQUEST_MAX_RETRIES) {
			log_warnx("%s: session update lost %d races in a row",
			    req_name(r), tries);
			return 503;
		}
		req_backoff(tries);
		if (req_reapply(r) == -1)
			return 503;
	}
	switch (res) {
	case STORE_OK:
		break;
	case STORE_TOOBIG:
		/* Nothing was doomed: a login leaves the client its old id. */
		log_warnx("%s: session not saved, previous one kept: %s",
		    req_name(r), cause ? cause : "too big");
		free(cause);
		if (save_cookie_after(req_save_facts(r), 0) ==
		    SAVE_COOKIE_DELETE)
			req_setcookie(r, NULL);	/* that one is gone */
		else
			r->kept = 1;
		return 0;
	default:
		log_warnx("%s: saving session: %s", req_name(r),
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
	if (!s->destroyed && req_destroy_old(r) == -1) {
		free(value);
		return 503;
	}
	if (save_cookie_after(req_save_facts(r), 1) == SAVE_COOKIE_SET)
		req_setcookie(r, value);
	free(value);
	return 0;
}

/*
 * Tell sessionwrap-ws to close the sockets of the session's previous ws_id
 * (logout, login, X-Session-Close-Websockets). Only a stored session can
 * have sockets: without one nothing is sent. The HTTP request never fails
 * because the helper is down: the CLOSE is retried in the background.
 */
static void
req_close_ws(struct req *r)
{
	const char	*id = r->s->old_ws_id;
	char		*cause;
	long		 n;
	int		 rc;

	/* No stored session, or its refused change left it (and its ws_id). */
	if (id == NULL || !r->loaded || r->kept || r->cfg->ws_control == NULL)
		return;
	if ((rc = wsctl_close_retry(r->cfg->ws_control, id, &n,
	    &cause)) != 0) {
		log_warnx("%s: closing websockets: %s%s", req_name(r), cause,
		    rc == 1 ? " (retrying)" : "");
		free(cause);
		return;
	}
	log_debug("%s: closed %ld websocket%s", req_name(r), n,
	    n == 1 ? "" : "s");
}

/* Clear the recorded operations. */
static void
req_ops_free(struct req *r)
{
	size_t	 i;

	for (i = 0; i < r->nops; i++)
		session_op_clear(&r->ops_v[i]);
	free(r->ops_v);
	r->ops_v = NULL;
	r->nops = 0;
}

/*
 * The script's headers are complete: apply its session operations, save,
 * and send the headers on. Returns 0, or the status of the error to send.
 */
static int
req_headers(struct req *r, const char *block, size_t len)
{
	struct cgi_headers	 h;
	struct buf		 out;
	struct session_op	 op;
	char			*cause = NULL, *consumed;
	size_t			 i;
	int			 rc, status;

	cgi_headers_init(&h);
	if (cgi_parse_headers(block, len, &h, &cause) == -1) {
		log_warnx("script %s: malformed response headers: %s",
		    req_name(r), cause);
		free(cause);
		cgi_headers_free(&h);
		return 502;
	}
	consumed = xcalloc(h.n ? h.n : 1, 1);
	for (i = 0; i < h.n; i++) {
		memset(&op, 0, sizeof op);
		rc = session_op_parse(h.v[i].name, h.v[i].value,
		    r->cfg->session_header, &op, &cause);
		if (rc == -1) {
			log_warnx("script %s: %s", req_name(r), cause);
			free(cause);
			free(consumed);
			cgi_headers_free(&h);
			return 502;
		}
		if (rc == 1) {
			consumed[i] = 1;
			r->ops_v = xreallocarray(r->ops_v, r->nops + 1,
			    sizeof *r->ops_v);
			r->ops_v[r->nops++] = op;
		}
	}
	for (i = 0; i < r->nops; i++)
		session_apply(r->s, &r->ops_v[i], r->now);

	if ((status = req_save(r)) != 0) {
		free(consumed);
		cgi_headers_free(&h);
		return status;
	}
	req_close_ws(r);

	buf_init(&out);
	for (i = 0; i < h.n; i++) {
		if (!consumed[i])
			buf_printf(&out, "%s: %s\r\n", h.v[i].name,
			    h.v[i].value);
	}
	if (r->setcookie != NULL) {
		buf_printf(&out, "Set-Cookie: %s\r\n", r->setcookie);
		if (cgi_headers_get(&h, "Cache-Control") == NULL)
			buf_adds(&out, "Cache-Control: private, no-cache=\""
			    "Set-Cookie\"\r\n");
	}
	buf_adds(&out, "\r\n");
	r->state = REQ_BODY;
	r->headers_sent = 1;
	r->unflushed = 1;
	if (r->io->write(r->io->ctx, out.data, out.len) == -1)
		r->state = REQ_FAILED;
	buf_free(&out);
	free(consumed);
	cgi_headers_free(&h);
	return 0;
}

/*
 * Response bytes from the pump: the headers until they are complete (then
 * applied and sent), the body after. -1 when the request is over (error or
 * client gone).
 */
static int
req_output(struct req *r, struct buf *hdr, const char *buf, size_t n)
{
	ssize_t	 end;
	int	 status;

	if (r->state == REQ_BODY) {
		r->deadline = spawn_now_ms() + r->cfg->handler_timeout * 1000LL;
		r->unflushed = 1;
		if (r->io->write(r->io->ctx, buf, n) == -1) {
			r->state = REQ_FAILED;
			return -1;
		}
		return 0;
	}
	buf_add(hdr, buf, n);
	end = cgi_header_end(hdr->data, hdr->len);
	if (end == -1 || (end == 0 &&
	    hdr->len > (size_t)r->cfg->max_header_size) ||
	    end > r->cfg->max_header_size) {
		log_warnx("script %s: %s", req_name(r), end == -1 ?
		    "NUL byte in response headers" :
		    "response headers over max_header_size");
		req_fail(r, 502, "Bad Gateway");
		return -1;
	}
	if (end == 0)
		return 0;
	if ((status = req_headers(r, hdr->data, end)) != 0) {
		req_fail(r, status, status == 503 ? "Service Unavailable" :
		    "Bad Gateway");
		return -1;
	}
	if (r->state == REQ_BODY && (size_t)end < hdr->len &&
	    r->io->write(r->io->ctx, hdr->data + end, hdr->len - end) == -1) {
		r->state = REQ_FAILED;
		return -1;
	}
	buf_free(hdr);
	return r->state == REQ_FAILED ? -1 : 0;
}

/*
 * Read what the pump has of the response (*open 0 at its end); -1 when the
 * request is over (error or client gone).
 */
static int
req_read(struct req *r, const struct pump_ops *po, void *p, struct buf *hdr,
    int *open)
{
	char	 buf[REQUEST_CHUNK];
	ssize_t	 n;

	n = po->read(p, buf, sizeof buf);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		log_warn("script %s: read", req_name(r));
		n = 0;
	}
	if (n == 0) {
		*open = 0;
		if (r->state == REQ_HEADERS) {
			log_warnx("script %s: ended without complete response "
			    "headers", req_name(r));
			req_fail(r, 502, "Bad Gateway");
			return -1;
		}
		return 0;
	}
	return req_output(r, hdr, buf, n);
}

/*
 * The deadline passed (the script's, or the request body's): stop the
 * pump; a 504 when no header was sent yet, else a cut response.
 */
static void
req_timeout(struct req *r, const struct pump_ops *po, void *p, int reading)
{
	if (reading)
		log_warnx("script %s: request body not received within the "
		    "%lds limit; killed", req_name(r), r->cfg->handler_timeout);
	else
		log_warnx("script %s: %s %lds; killed", req_name(r),
		    r->state == REQ_HEADERS ? "no response headers within" :
		    "no output for", r->cfg->handler_timeout);
	po->abort(p);
	r->cut = r->headers_sent;
	req_fail(r, 504, "Gateway Timeout");
}

/*
 * The request body on its way to the pump: read from the web server a
 * chunk at a time, each fed before the next is read.
 */
struct req_body {
	char		 buf[REQUEST_CHUNK];
	size_t		 len;		/* bytes in buf */
	size_t		 off;		/* of which fed */
	long long	 remaining;	/* CONTENT_LENGTH still to come, -1 unknown */
	int		 done;		/* read to its end, or dropped */
	int		 open;		/* the pump still takes body bytes */
};

/* What CONTENT_LENGTH announces (-1: nothing valid), and whether that is all. */
static void
req_body_init(struct req *r, struct req_body *b)
{
	const char	*cl;
	char		*end;

	b->len = b->off = 0;
	b->remaining = -1;
	b->open = 1;
	if ((cl = req_getenv(r, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		b->remaining = strtoll(cl, &end, 10);
		if (*end != '\0' || b->remaining < 0)
			b->remaining = -1;
	}
	b->done = b->remaining == 0 || (b->remaining == -1 && r->sw->cgi);
	r->input_done = b->remaining == 0;
}

/*
 * Keep the pump fed: read the next chunk of the body once the last is fed,
 * and end its input once the body has ended. -1 when the body did not come
 * within the deadline (the request is then over).
 */
static int
req_body_next(struct req *r, struct req_body *b, const struct pump_ops *po,
    void *p)
{
	size_t	 want = sizeof b->buf;
	ssize_t	 n;

	if (b->open && b->off == b->len && !b->done) {
		if (b->remaining >= 0 && (long long)want > b->remaining)
			want = b->remaining;
		n = r->io->read(r->io->ctx, b->buf, want, r->deadline);
		if (n == -1 && errno == ETIMEDOUT) {
			req_timeout(r, po, p, 1);
			return -1;
		}
		if (n <= 0) {
			b->done = 1;
			r->input_done = n == 0;
		} else {
			b->len = n;
			b->off = 0;
			if (b->remaining >= 0 && (b->remaining -= n) == 0)
				b->done = r->input_done = 1;
		}
	}
	if (b->open && b->off == b->len && b->done) {
		po->feed_end(p);
		b->open = 0;
	}
	return 0;
}

/* Feed what the pump has room for; what it no longer takes is dropped. */
static void
req_body_feed(struct req_body *b, const struct pump_ops *po, void *p)
{
	ssize_t	 n;

	n = po->feed(p, b->buf + b->off, b->len - b->off);
	if (n > 0)
		b->off += n;
	else if (n == -1) {
		b->open = 0;
		b->done = 1;
		b->off = b->len;
	}
}

/*
 * Wait for the pump until the deadline. Output waits a moment for more
 * (most scripts are about to exit, and the end of the request goes out with
 * it in one write), then is pushed before a longer sleep: a script that
 * streams is seen as it goes. The PUMP_* bits ready; 0 to go round again;
 * -1 when the request is over.
 */
static int
req_wait(struct req *r, const struct pump_ops *po, void *p)
{
	long long	 now;
	int		 n, timeout;

	now = spawn_now_ms();
	if (now >= r->deadline) {
		req_timeout(r, po, p, 0);
		return -1;
	}
	timeout = r->deadline - now > INT_MAX ? INT_MAX :
	    (int)(r->deadline - now);
	if (r->unflushed && timeout > REQUEST_COALESCE) {
		if ((n = po->wait(p, REQUEST_COALESCE)) == 0) {
			r->io->flush(r->io->ctx);
			r->unflushed = 0;
			return 0;
		}
	} else
		n = po->wait(p, timeout);
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		log_warn("%s: poll", __func__);
		po->abort(p);
		r->cut = r->headers_sent;
		req_fail(r, 502, "Bad Gateway");
		return -1;
	}
	return n;
}

/*
 * Run the script through the pump: feed it the request body while reading
 * its output, so neither side blocks the other whatever the sizes.
 */
static void
req_run(struct req *r, const struct pump_ops *po, struct pump_start *ps)
{
	struct req_body	 b;
	struct buf	 hdr;
	char		*cause;
	void		*p;
	int		 ready, open = 1;

	req_body_init(r, &b);
	ps->no_input = b.done;
	if ((p = po->start(ps, &cause)) == NULL) {
		log_warnx("script %s: cannot run: %s", req_name(r), cause);
		free(cause);
		req_fail(r, errno == EACCES ? 403 : 502,
		    errno == EACCES ? "Forbidden" : "Bad Gateway");
		return;
	}
	buf_init(&hdr);
	while (open) {
		if (req_body_next(r, &b, po, p) == -1 ||
		    (ready = req_wait(r, po, p)) == -1)
			goto done;
		if ((ready & PUMP_OUTPUT) &&
		    req_read(r, po, p, &hdr, &open) == -1) {
			/* A write to the client failed after headers. */
			r->cut = r->headers_sent;
			po->abort(p);
			goto done;
		}
		if (ready & PUMP_DIAG)
			po->diag(p);
		if ((ready & PUMP_INPUT) && b.open)
			req_body_feed(&b, po, p);
	}
	if (po->end(p, r->deadline) && r->state == REQ_BODY) {
		log_warnx("script %s: died after its headers; response cut",
		    req_name(r));
		r->cut = 1;
	}
done:
	po->close(p);
	buf_free(&hdr);
}

/* Handle one request from start to end; see request.h. */
int
request_handle(struct worker *w, char **envp, const struct rio *io)
{
	struct req	 r;
	struct cgi_env	 env;
	struct pump_start ps;
	char		*argv[2], *dir, *slash;
	int		 status;

	memset(&r, 0, sizeof r);
	r.w = w;
	r.sw = w->sw;
	r.cfg = w->sw->cfg;
	r.ops = w->sw->store->ops;
	r.io = io;
	r.envp = envp;
	r.now = time(NULL);
	r.deadline = spawn_now_ms() + r.cfg->handler_timeout * 1000LL;
	r.state = REQ_HEADERS;

	/*
	 * A store that can starts loading the session now and works on it
	 * while the script is found (not under a lock, which comes first).
	 */
	req_cookie(&r);
	if (r.cookie != NULL && r.ops->prefetch != NULL && w->conn != NULL &&
	    r.cfg->lock != LOCK_EXCLUSIVE)
		r.ops->prefetch(r.sw->store, w->conn, r.cookie, r.now);
	if ((status = script_pick(r.sw, req_getenv_cb, &r, &r.script)) != 0) {
		req_fail(&r, status, status == 404 ? "Not Found" :
		    "Forbidden");
		goto out;
	}
	req_env_cgi(&r, &env);
	if ((status = req_load(&r)) != 0) {
		req_fail(&r, status, "Service Unavailable");
		cgi_env_free(&env);
		goto out;
	}

	argv[0] = r.script;
	argv[1] = NULL;
	dir = xstrdup(r.script);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	memset(&ps, 0, sizeof ps);
	ps.path = r.script;
	ps.argv = argv;
	ps.envp = req_env_session(&r, &env);
	ps.dir = dir;
	ps.name = req_name(&r);
	ps.io = io;
	ps.detach = r.sw->cgi;
	req_run(&r, &pump_child_ops, &ps);
	free(dir);
	cgi_env_free(&env);

out:
	if (r.locked && r.ops->unlock != NULL)
		r.ops->unlock(r.sw->store, w->conn);
	/* The caller ends the response, pushing what is left with its end. */
	if (r.cut)
		io->abort(io->ctx);
	req_ops_free(&r);
	session_free(r.s);
	free(r.script);
	free(r.cookie);
	free(r.other_cookies);
	free(r.setcookie);
	return r.input_done;
}
