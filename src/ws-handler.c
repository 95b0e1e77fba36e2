/* Per-connection handler programs, websocketd style: messages as lines. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cgi.h"
#include "clock.h"
#include "config.h"
#include "cookie.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "spawn.h"
#include "utf8.h"
#include "wsctl.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_HANDLER_TERM_AFTER	1	/* seconds from closed stdin to SIGTERM */
#define WS_HANDLER_KILL_AFTER	2	/* seconds from SIGTERM to SIGKILL */
#define WS_HANDLER_MAX_LOG	2048	/* stderr bytes logged as one line */

struct ws_handler {
	pid_t			 pid;		/* also its process group; -1 reaped */
	struct ws_conn		*conn;		/* NULL once detached */
	struct bufferevent	*in;		/* its stdin */
	struct bufferevent	*out;		/* its stdout */
	struct bufferevent	*err;		/* its stderr, to our log */
	struct event		*timer;		/* the SIGTERM/SIGKILL sequence */
	int			 stage;		/* signals sent so far */
	int			 throttled;	/* client not reading: stdout paused */
	LIST_ENTRY(ws_handler)	 entry;
};

static LIST_HEAD(, ws_handler)	 ws_handlers =
    LIST_HEAD_INITIALIZER(ws_handlers);
static u_int			 ws_handler_n;

static void	 ws_handler_out_read(struct bufferevent *, void *);

/* HTTP_* for one request header; repeated headers are joined with ", ". */
static void
ws_handler_env_header(struct cgi_env *env, const char *name, const char *value)
{
	const char	*old;
	char		*var, *joined;
	size_t		 i;

	/* '_' would alias '-'. */
	for (i = 0; name[i] != '\0'; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return;
	}
	xasprintf(&var, "HTTP_%s", name);
	for (i = 5; var[i] != '\0'; i++)
		var[i] = var[i] == '-' ? '_' : toupper((unsigned char)var[i]);
	/* The filter of sessionwrap: no HTTP_PROXY, HTTP_SESSION; the cookie apart. */
	if (!cgi_env_allowed(var, strlen(var), ws_server->cfg->pass_env)) {
		free(var);
		return;
	}
	if ((old = cgi_env_get(env, var)) != NULL) {
		xasprintf(&joined, "%s, %s", old, value);
		cgi_env_set(env, var, joined);
		free(joined);
	} else
		cgi_env_set(env, var, value);
	free(var);
}

/*
 * The CGI-like environment of a handler plus the session variables. With
 * no web server parameters, pass_env names variables of our own
 * environment; what the request sets wins over them.
 */
static void
ws_handler_env(struct cgi_env *env, const struct ws_request *req,
    const struct session *s, const char *addr, const char *port)
{
	extern char		**environ;
	const struct config	*cfg = ws_server->cfg;
	const char		*p, *q;
	char			*v, *stripped = NULL, *name, **e;
	size_t			 i;

	for (e = environ; cfg->pass_env != NULL && *e != NULL; e++) {
		if ((q = strchr(*e, '=')) != NULL &&
		    cgi_env_named(*e, q - *e, cfg->pass_env) &&
		    cgi_env_allowed(*e, q - *e, cfg->pass_env))
			cgi_env_setn(env, *e, q - *e, q + 1);
	}
	cgi_env_set(env, "PATH", (p = getenv("PATH")) != NULL ? p :
	    "/usr/local/bin:/usr/bin:/bin");
	cgi_env_set(env, "GATEWAY_INTERFACE", "CGI/1.1");
	cgi_env_set(env, "SERVER_SOFTWARE", PACKAGE_NAME "-ws/" PACKAGE_VERSION);
	cgi_env_set(env, "SERVER_PROTOCOL", "HTTP/1.1");
	cgi_env_set(env, "REQUEST_METHOD", req->method);
	cgi_env_set(env, "REQUEST_URI", req->uri);
	q = strchr(req->uri, '?');
	name = xstrndup(req->uri, q != NULL ? (size_t)(q - req->uri) :
	    strlen(req->uri));
	cgi_env_set(env, "SCRIPT_NAME", name);
	free(name);
	cgi_env_set(env, "PATH_INFO", "");
	cgi_env_set(env, "QUERY_STRING", q != NULL ? q + 1 : "");
	cgi_env_set(env, "REMOTE_ADDR", *addr != '\0' ? addr : "127.0.0.1");
	if (*port != '\0')
		cgi_env_set(env, "REMOTE_PORT", port);
	/* SERVER_NAME and SERVER_PORT from Host ("[v6]:port" too). */
	p = req->host;
	q = *p == '[' ? strchr(p, ']') : p;
	q = q != NULL ? strrchr(q, ':') : NULL;
	name = xstrndup(p, q != NULL ? (size_t)(q - p) : strlen(p));
	cgi_env_set(env, "SERVER_NAME", name);
	free(name);
	if (q != NULL)
		cgi_env_set(env, "SERVER_PORT", q + 1);

	for (i = 0; i < req->nheaders; i++)
		ws_handler_env_header(env, req->headers[i].name,
		    req->headers[i].value);
	/* The session cookie never reaches the program. */
	if (req->cookie != NULL) {
		v = NULL;
		if (cookie_find(req->cookie, cfg->cookie_name, &v, &stripped) ==
		    COOKIE_FOUND) {
			if (stripped != NULL)
				cgi_env_set(env, "HTTP_COOKIE", stripped);
		}
		if (v != NULL) {
			crypto_wipe(v, strlen(v));
			free(v);
		}
		free(stripped);
	}

	/* Not new (a stored session) and never HTTP_SESSION. */
	session_env(env, s, cfg, ws_server->keys, 0);
}

/* Free a handler that is both detached and reaped. */
static void
ws_handler_free(struct ws_handler *h)
{
	LIST_REMOVE(h, entry);
	if (h->timer != NULL)
		event_free(h->timer);
	free(h);
}

/* The kill sequence after the connection went: SIGTERM, then SIGKILL. */
static void
ws_handler_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ws_handler	*h = arg;
	struct timeval		 tv = { WS_HANDLER_KILL_AFTER, 0 };

	if (h->pid <= 0)
		return;
	if (h->stage == 0) {
		log_debug("%s: handler %ld: SIGTERM", __func__, (long)h->pid);
		killpg(h->pid, SIGTERM);
		h->stage = 1;
		evtimer_add(h->timer, &tv);
	} else if (h->stage == 1) {
		log_info("%s: handler %ld ignored SIGTERM: SIGKILL", __func__,
		    (long)h->pid);
		killpg(h->pid, SIGKILL);
		h->stage = 2;
	}
}

/* Lines the program wrote to stderr go to our log. */
static void
ws_handler_err_read(struct bufferevent *bev, void *arg)
{
	struct ws_handler	*h = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		log_warnx("handler %ld: %s", (long)h->pid, line);
		free(line);
	}
	if ((n = evbuffer_get_length(in)) >= WS_HANDLER_MAX_LOG) {
		line = xmalloc(n + 1);
		evbuffer_remove(in, line, n);
		line[n] = '\0';
		log_warnx("handler %ld: %s", (long)h->pid, line);
		free(line);
	}
}

/* stderr closed. */
static void
ws_handler_err_event(struct bufferevent *bev, short what, void *arg)
{
	struct ws_handler	*h = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		ws_handler_err_read(bev, arg);
		bufferevent_free(h->err);
		h->err = NULL;
	}
}

/* Lines on the program's stdout become text messages. */
static void
ws_handler_out_read(struct bufferevent *bev, void *arg)
{
	struct ws_handler	*h = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 n;

	while (h->conn != NULL && !h->throttled &&
	    (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!utf8_valid(line, n))
			log_warnx("%s: handler %ld: output line is not UTF-8, "
			    "dropped", __func__, (long)h->pid);
		else
			ws_conn_send_text(h->conn, line, n);
		free(line);
	}
	if (h->conn != NULL && !h->throttled && evbuffer_get_length(in) >
	    (size_t)ws_server->cfg->ws_max_message) {
		log_warnx("%s: handler %ld: output line longer than "
		    "ws_max_message", __func__, (long)h->pid);
		ws_conn_close(h->conn, 1011, "handler line too long");
	}
}

/* stdout closed: the program is done, so is the connection. */
static void
ws_handler_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct ws_handler	*h = arg;

	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) && h->conn != NULL) {
		ws_handler_out_read(bev, arg);
		if (h->conn != NULL)
			ws_conn_handler_done(h->conn);
	}
}

/* stdin drained: the client may send again. */
static void
ws_handler_in_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct ws_handler	*h = arg;

	if (h->conn != NULL)
		ws_conn_resume(h->conn);
}

/* stdin broken (the program closed it): later messages are dropped. */
static void
ws_handler_in_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct ws_handler	*h = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_free(h->in);
		h->in = NULL;
		if (h->conn != NULL)
			ws_conn_resume(h->conn);
	}
}

/* A bufferevent on one of our pipe ends. */
static struct bufferevent *
ws_handler_bev(int fd, bufferevent_data_cb rd, bufferevent_data_cb wr,
    bufferevent_event_cb ev, struct ws_handler *h, short enable)
{
	struct bufferevent	*bev;

	bev = bufferevent_socket_new(ws_server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	bufferevent_setcb(bev, rd, wr, ev, h);
	bufferevent_enable(bev, enable);
	return bev;
}

/* Start ws_handler for a connection that is being upgraded. */
struct ws_handler *
ws_handler_start(struct ws_conn *c, const struct ws_request *req,
    const struct session *s, const char *addr, char **cause)
{
	const char		*path = ws_server->cfg->ws_handler;
	struct ws_handler	*h;
	struct cgi_env		 env;
	struct child		 child;
	char			*argv[2], *dir, *slash;
	const char		*name;
	size_t			 n;
	int			 rc;

	/* sessionwrap stores no such session, and ends one stored before. */
	if ((n = session_env_max(s, 0, &name)) > SPAWN_MAX_ENV_STRING) {
		xasprintf(cause, "session too large for ws_handler: %s would be "
		    "%zu bytes in its environment, over the %d execve takes",
		    name, n, SPAWN_MAX_ENV_STRING);
		return NULL;
	}
	cgi_env_init(&env);
	ws_handler_env(&env, req, s, addr, c->port);
	argv[0] = (char *)path;
	argv[1] = NULL;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	else if (slash == dir)
		dir[1] = '\0';
	else {
		free(dir);
		dir = NULL;
	}
	rc = spawn_child(path, argv, cgi_env_array(&env), dir, 0, &child,
	    cause);
	free(dir);
	cgi_env_free(&env);
	if (rc != 0)
		return NULL;

	h = xcalloc(1, sizeof *h);
	h->pid = child.pid;
	h->conn = c;
	h->in = ws_handler_bev(child.in, NULL, ws_handler_in_write,
	    ws_handler_in_event, h, EV_WRITE);
	h->out = ws_handler_bev(child.out, ws_handler_out_read, NULL,
	    ws_handler_out_event, h, EV_READ);
	bufferevent_setwatermark(h->out, EV_READ, 0,
	    ws_server->cfg->ws_max_message + 2);
	h->err = ws_handler_bev(child.err, ws_handler_err_read, NULL,
	    ws_handler_err_event, h, EV_READ);
	h->timer = evtimer_new(ws_server->base, ws_handler_timer_cb, h);
	if (h->timer == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	LIST_INSERT_HEAD(&ws_handlers, h, entry);
	ws_handler_n++;
	log_debug("%s: conn %llu: handler %ld", __func__,
	    (unsigned long long)c->serial, (long)h->pid);
	return h;
}

/* A text message for the program: one line on its stdin. */
void
ws_handler_input(struct ws_handler *h, const void *msg, size_t len)
{
	struct evbuffer	*out;

	if (h->in == NULL)
		return;
	out = bufferevent_get_output(h->in);
	evbuffer_add(out, msg, len);
	evbuffer_add(out, "\n", 1);
}

/* Bytes waiting for the program's stdin. */
size_t
ws_handler_pending(struct ws_handler *h)
{
	if (h->in == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(h->in));
}

/* Pause or resume reading the program's stdout. */
void
ws_handler_throttle(struct ws_handler *h, int on)
{
	if (h->out == NULL || h->throttled == on)
		return;
	h->throttled = on;
	if (on)
		bufferevent_disable(h->out, EV_READ);
	else {
		bufferevent_enable(h->out, EV_READ);
		if (evbuffer_get_length(bufferevent_get_input(h->out)) != 0)
			ws_handler_out_read(h->out, h);
	}
}

/* The connection is going: close stdin and stdout, then the kill sequence. */
void
ws_handler_detach(struct ws_handler *h)
{
	struct timeval	 tv = { WS_HANDLER_TERM_AFTER, 0 };

	h->conn = NULL;
	if (h->in != NULL) {
		bufferevent_free(h->in);
		h->in = NULL;
	}
	if (h->out != NULL) {
		bufferevent_free(h->out);
		h->out = NULL;
	}
	if (h->pid > 0)
		evtimer_add(h->timer, &tv);
	else {
		if (h->err != NULL) {
			bufferevent_free(h->err);
			h->err = NULL;
		}
		ws_handler_free(h);
	}
}

/* SIGCHLD: collect every exited program. */
void
ws_handler_reap(void)
{
	struct ws_handler	*h;
	pid_t			 pid;
	int			 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		LIST_FOREACH(h, &ws_handlers, entry) {
			if (h->pid == pid)
				break;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
			log_info("%s: handler %ld killed by signal %d",
			    __func__, (long)pid, WTERMSIG(status));
		else
			log_debug("%s: handler %ld exited (%d)", __func__,
			    (long)pid, WIFEXITED(status) ? WEXITSTATUS(status) :
			    -1);
		if (h == NULL)
			continue;
		h->pid = -1;
		ws_handler_n--;
		evtimer_del(h->timer);
		if (h->conn == NULL) {
			if (h->err != NULL) {
				bufferevent_free(h->err);
				h->err = NULL;
			}
			ws_handler_free(h);
		}
	}
}

/* Programs running. */
u_int
ws_handler_count(void)
{
	return ws_handler_n;
}

/* Shutdown: SIGTERM every program, SIGKILL what is left a second later. */
void
ws_handler_kill_all(void)
{
	struct ws_handler	*h;
	long long		 deadline;

	LIST_FOREACH(h, &ws_handlers, entry) {
		if (h->pid > 0)
			killpg(h->pid, SIGTERM);
	}
	deadline = clock_ms() + 1000;
	while (ws_handler_n > 0 && clock_ms() < deadline) {
		usleep(10000);
		ws_handler_reap();
	}
	LIST_FOREACH(h, &ws_handlers, entry) {
		if (h->pid > 0)
			killpg(h->pid, SIGKILL);
	}
	ws_handler_reap();
}
