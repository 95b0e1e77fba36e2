/* One request: pick the script, load the session, run it, apply and save. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "cgi.h"
#include "clock.h"
#include "cookie.h"
#include "gate.h"
#include "http.h"
#include "log.h"
#include "num.h"
#include "pump.h"
#include "request.h"
#include "rsession.h"
#include "save.h"
#include "script.h"
#include "session.h"
#include "spawn.h"
#include "wsbus.h"
#include "wsctl.h"
#include "xmalloc.h"

#define REQUEST_CHUNK		65536
#define REQUEST_COALESCE	20	/* ms output may wait for more before a flush */

/* Where a request stands, in the order it moves through them. */
enum req_state {
	REQ_HEADERS,		/* reading the script's response headers */
	REQ_BODY,		/* headers sent, streaming the body */
	REQ_FAILED		/* an error response was sent or the client left */
};

/* One request, from the web server's parameters to the end of the response. */
struct req {
	struct sw		*sw;
	const struct config	*cfg;
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
	char			*other_cookies;	/* HTTP_COOKIE without ours */
	struct rsession		 rs;		/* its session */
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
req_fail(struct req *r, int status)
{
	const char	*reason = http_reason(status);
	char		*s;
	int		 n;

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

/* Find our cookie among the request's (r->rs.cookie, or r->rs.cookie_bad). */
static void
req_cookie(struct req *r)
{
	const char		*header;
	enum cookie_find	 found;

	header = req_getenv(r, "HTTP_COOKIE");
	if (header != NULL) {
		found = cookie_find(header, r->cfg->cookie_name, &r->rs.cookie,
		    &r->other_cookies);
		switch (found) {
		case COOKIE_FOUND:
		case COOKIE_ABSENT:
			break;
		case COOKIE_DUPLICATE:
			log_warnx("%s: session cookie sent more than once; "
			    "using a fresh session", req_name(r));
			r->rs.cookie_bad = 1;
			break;
		case COOKIE_OVERSIZED:
			log_warnx("%s: oversized session cookie ignored",
			    req_name(r));
			r->rs.cookie_bad = 1;
			break;
		case COOKIE_INVALID:
			log_warnx("%s: malformed session cookie ignored",
			    req_name(r));
			r->rs.cookie_bad = 1;
			break;
		}
	}
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
	else if (r->rs.cookie == NULL && !r->rs.cookie_bad &&
	    req_getenv(r, "HTTP_COOKIE") != NULL) {
		/* No cookie of ours: pass the header through untouched. */
		cgi_env_set(env, "HTTP_COOKIE", req_getenv(r, "HTTP_COOKIE"));
	}
	if (cgi_env_get(env, "PATH") == NULL && r->cfg->upstream == NULL)
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
	/* An upstream app gets the web server's SCRIPT_FILENAME. */
	if (r->script != NULL)
		cgi_env_set(env, "SCRIPT_FILENAME", r->script);
}

/* Add the session variables (session_env); the array for the child. */
static char **
req_env_session(struct req *r, struct cgi_env *env)
{
	const struct session	*s = r->rs.s;

	session_env(env, s, r->cfg, r->sw->keys,
	    (s->is_new ? SESSION_ENV_NEW : 0) |
	    (r->cfg->mod_session_compat ? SESSION_ENV_FORM : 0));
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
	else if (r->rs.s->max_age > 0)
		a.max_age = session_expires(r->rs.s, r->cfg) - r->now;
	else
		a.max_age = -1;
	free(r->setcookie);
	r->setcookie = cookie_build(&a, value ? value : "");
}

/* Save the session and prepare the cookie it needs; 0 or a status. */
static int
req_save(struct req *r)
{
	enum save_cookie	 cookie;
	char			*value;
	int			 status;

	status = rsession_save(&r->rs, &cookie, &value);
	if (status == 0 && cookie == SAVE_COOKIE_DELETE)
		req_setcookie(r, NULL);
	else if (status == 0 && cookie == SAVE_COOKIE_SET)
		req_setcookie(r, value);
	free(value);
	return status;
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
	const char	*id = r->rs.s->old_ws_id;
	char		*cause;
	int		 rc;

	/* No stored session, or its refused change left it (and its ws_id). */
	if (id == NULL || !r->rs.loaded || r->rs.kept ||
	    (r->cfg->ws_control == NULL && r->cfg->ws_bus == NULL))
		return;
	/* Many hosts: every helper hears it on ws_bus; down: ws_control. */
	if ((rc = wsbus_close_any(r->cfg, r->sw->keys, id, req_name(r),
	    &cause)) != 0) {
		log_warnx("%s: closing websockets: %s%s", req_name(r), cause,
		    rc == 1 ? " (retrying)" : "");
		free(cause);
		return;
	}
	log_debug("%s: websockets of the old ws_id closed", req_name(r));
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
			r->rs.ops_v = xreallocarray(r->rs.ops_v, r->rs.nops + 1,
			    sizeof *r->rs.ops_v);
			r->rs.ops_v[r->rs.nops++] = op;
		}
	}
	for (i = 0; i < r->rs.nops; i++)
		session_apply(r->rs.s, &r->rs.ops_v[i], r->now);

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
		r->deadline = clock_ms() + r->cfg->handler_timeout * 1000LL;
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
		req_fail(r, 502);
		return -1;
	}
	if (end == 0)
		return 0;
	if ((status = req_headers(r, hdr->data, end)) != 0) {
		req_fail(r, status);
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
			req_fail(r, 502);
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
	req_fail(r, 504);
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
	long long	 n;

	b->len = b->off = 0;
	b->remaining = -1;
	b->open = 1;
	if ((cl = req_getenv(r, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		if (num_parse(cl, 10, 0, LLONG_MAX, &n, NULL) == 0)
			b->remaining = n;
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

	now = clock_ms();
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
		req_fail(r, 502);
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
		req_fail(r, errno == EACCES ? 403 : errno == ETIMEDOUT ? 504 :
		    502);
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

/*
 * Read and drop the body of a request the gate answers: a web server still
 * sending it (mod_proxy_fcgi sends even an empty one) must not find the
 * connection closed under it. Bounded by the deadline, as for a script.
 */
static void
req_discard_body(struct req *r)
{
	struct req_body	 b;
	ssize_t		 n;

	req_body_init(r, &b);
	while (!b.done) {
		n = r->io->read(r->io->ctx, b.buf, sizeof b.buf, r->deadline);
		if (n <= 0 || (b.remaining >= 0 && (b.remaining -= n) == 0)) {
			r->input_done = n >= 0;
			break;
		}
	}
}

/*
 * The gate, before any script is found or run: cross-origin refusal; then,
 * for a protected path or the web server's access check, the session
 * (loaded now) and the gate's answer. 0 to go on, -1 when answered, or the
 * status to fail with.
 */
static int
req_gate(struct req *r, enum gate_role role)
{
	char	*answer;
	int	 status;

	if ((status = csrf_check(r->cfg, req_getenv_cb, r)) != 0) {
		if (role != GATE_AUTHORIZER)
			req_discard_body(r);
		return status;
	}
	if (role == GATE_RESPONDER &&
	    !gate_protected(r->cfg, req_getenv_cb, r, r->sw->cgi))
		return 0;
	r->rs.name = req_name(r);
	if ((status = rsession_load(&r->rs)) != 0)
		return status;
	/* An access check passed: refresh the session as a page would. */
	if (role != GATE_RESPONDER && r->rs.s->user != NULL)
		(void)req_save(r);
	if ((answer = gate_answer(r->cfg, req_getenv_cb, r, role,
	    r->rs.s->user, r->setcookie)) == NULL)
		return 0;
	/* An Authorizer gets no request body (FastCGI 1.0, 6.3). */
	if (role != GATE_AUTHORIZER)
		req_discard_body(r);
	r->io->write(r->io->ctx, answer, strlen(answer));
	free(answer);
	r->state = REQ_FAILED;
	return -1;
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
	r.sw = w->sw;
	r.cfg = w->sw->cfg;
	r.io = io;
	r.envp = envp;
	r.now = time(NULL);
	r.deadline = clock_ms() + r.cfg->handler_timeout * 1000LL;
	r.state = REQ_HEADERS;
	r.rs.w = w;
	r.rs.sw = w->sw;
	r.rs.cfg = r.cfg;
	r.rs.ops = w->sw->store->ops;
	r.rs.now = r.now;
	/* What a login records of its client (session_client_set). */
	r.rs.addr = req_getenv(&r, "REMOTE_ADDR");
	r.rs.ua = req_getenv(&r, "HTTP_USER_AGENT");

	/*
	 * A store that can starts loading the session now and works on it
	 * while the script is found.
	 */
	req_cookie(&r);
	rsession_prefetch(&r.rs);
	if ((status = req_gate(&r, gate_role(req_getenv_cb, &r))) != 0) {
		if (status > 0)
			req_fail(&r, status);
		goto out;
	}
	if (r.cfg->upstream == NULL &&
	    (status = script_pick(r.sw, req_getenv_cb, &r, &r.script)) != 0) {
		req_fail(&r, status);
		goto out;
	}
	req_env_cgi(&r, &env);
	r.rs.name = req_name(&r);
	if (r.rs.s == NULL && (status = rsession_load(&r.rs)) != 0) {
		req_fail(&r, status);
		cgi_env_free(&env);
		goto out;
	}
	gate_remote_user(&env, r.cfg, req_getenv_cb, &r, r.rs.s->user);

	argv[0] = r.script;
	argv[1] = NULL;
	dir = r.script != NULL ? xstrdup(r.script) : NULL;
	if (dir != NULL && (slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	memset(&ps, 0, sizeof ps);
	ps.path = r.script;
	ps.argv = argv;
	ps.envp = req_env_session(&r, &env);
	ps.dir = dir;
	ps.name = req_name(&r);
	ps.io = io;
	ps.detach = r.sw->cgi;
	/* FastCGI upstream: forwarded to the app instead. */
	ps.upstream = r.cfg->upstream;
	ps.upstream_connections = r.cfg->upstream_connections;
	ps.deadline = r.deadline;
	req_run(&r, r.cfg->upstream != NULL ? &pump_fcgi_ops : &pump_child_ops,
	    &ps);
	free(dir);
	cgi_env_free(&env);

out:
	rsession_end(&r.rs);
	/* The caller ends the response, pushing what is left with its end. */
	if (r.cut)
		io->abort(io->ctx);
	free(r.script);
	free(r.other_cookies);
	free(r.setcookie);
	return r.input_done;
}
