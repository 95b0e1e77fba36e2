/* Process state: start-up, listener, signals, reload, sessions. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include <jansson.h>

#include "config.h"
#include "cookie.h"
#include "crypto.h"
#include "listen.h"
#include "log.h"
#include "priv.h"
#include "session.h"
#include "startup.h"
#include "store.h"
#include "wsbus.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_SHUTDOWN_GRACE	3	/* seconds for close handshakes at exit */

struct ws_server		*ws_server;

static struct ws_server		 ws_server_state;
static int			 ws_server_argc;
static char			**ws_server_argv;
static char			*ws_server_unix_path;
static struct event		*ws_server_signals[5];
static struct event		*ws_server_exit_timer;
static struct event		*ws_server_accept_timer;

/* libevent's own messages into our log. */
static void
ws_server_libevent_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/* libevent hit a broken invariant. */
static void
ws_server_libevent_fatal(int err)
{
	fatalx("libevent: fatal error %d", err);
}

/* The WebSocket helper's own values (startup_open). */
static int
ws_server_check(const struct config *cfg, char **cause)
{
	if (wsbus_check(cfg, cause) == -1)
		return -1;
	if (cfg->listen == NULL) {
		*cause = xstrdup("no listen address (--listen unix:PATH or "
		    "HOST:PORT)");
		return -1;
	}
	if (cfg->ws_handler != NULL) {
		if (cfg->ws_handler[0] != '/') {
			*cause = xstrdup("ws_handler must be an absolute path");
			return -1;
		}
		if (access(cfg->ws_handler, X_OK) == -1) {
			xasprintf(cause, "ws_handler %s: %s", cfg->ws_handler,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Configuration, keys and store from argv; -1 and *cause, nothing kept. */
static int
ws_server_configure(struct config **cfgp, struct keyring **keysp,
    struct store **storep, char **cause)
{
	struct config	*cfg;
	struct keyring	*keys = NULL;
	struct store	*st = NULL;
	int		 help, version, first;

	cfg = xcalloc(1, sizeof *cfg);
	config_init(cfg);
	first = config_from_args(cfg, ws_server_argc, ws_server_argv, &help,
	    &version, cause);
	if (first == -1)
		goto fail;
	if (first < ws_server_argc) {
		xasprintf(cause, "unexpected argument %s", ws_server_argv[first]);
		goto fail;
	}
	if (startup_open(cfg, ws_server_check, &keys, &st, cause) == -1)
		goto fail;
	*cfgp = cfg;
	*keysp = keys;
	*storep = st;
	return 0;
fail:
	config_free(cfg);
	free(cfg);
	return -1;
}

/* A connection for the WebSocket listener. */
static void
ws_server_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)arg;
	ws_conn_accept(fd, sa, salen);
}

/* Accept again after running out of descriptors. */
static void
ws_server_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ws_server->listener != NULL)
		evconnlistener_enable(ws_server->listener);
}

/* accept(2) failed: out of descriptors pauses accepting for a second. */
static void
ws_server_accept_error(struct evconnlistener *l, void *arg)
{
	(void)arg;
	struct timeval	 tv = { 1, 0 };
	int		 err = EVUTIL_SOCKET_ERROR();

	errno = err;
	log_warn("%s: accept", __func__);
	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		evconnlistener_disable(l);
		evtimer_add(ws_server_accept_timer, &tv);
	}
}

/* Listen on cfg->listen; -1 and *cause. */
static int
ws_server_listen(const char *spec, char **cause)
{
	char	*cause1;
	int	 fd;

	/* A unix socket: anyone may connect, every upgrade is authenticated. */
	if ((fd = listen_open(spec, 0666, NULL, WS_BACKLOG, LISTEN_NONBLOCK,
	    &cause1)) == -1) {
		xasprintf(cause, "listen = %s: %s", spec, cause1);
		free(cause1);
		return -1;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		ws_server_unix_path = xstrdup(spec + 5);
	ws_server->listener = evconnlistener_new(ws_server->base,
	    ws_server_accept, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (ws_server->listener == NULL) {
		xasprintf(cause, "%s: evconnlistener_new failed", spec);
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(ws_server->listener, ws_server_accept_error);
	return 0;
}

/* Stop accepting (shutdown). */
static void
ws_server_unlisten(void)
{
	if (ws_server->listener != NULL) {
		evconnlistener_free(ws_server->listener);
		ws_server->listener = NULL;
	}
	if (ws_server_unix_path != NULL) {
		unlink(ws_server_unix_path);
		free(ws_server_unix_path);
		ws_server_unix_path = NULL;
	}
}

/* Release the store, keys and config. */
static void
ws_server_release(struct config *cfg, struct keyring *keys, struct store *st)
{
	store_close(st);
	keyring_free(keys);
	config_free(cfg);
	free(cfg);
}

/* SIGHUP: read configuration, keys and store again; keep the old on error. */
static void
ws_server_reload(void)
{
	struct config	*cfg, *old = ws_server->cfg;
	struct keyring	*keys;
	struct store	*st;
	char		*cause;

	if (ws_server_configure(&cfg, &keys, &st, &cause) == -1) {
		log_warnx("reload failed, keeping the old configuration: %s",
		    cause);
		free(cause);
		return;
	}
	if (strcmp(cfg->listen, old->listen) != 0)
		log_warnx("reload: listen changed: restart to apply");
	if ((cfg->ws_control == NULL) != (old->ws_control == NULL) ||
	    (cfg->ws_control != NULL &&
	    strcmp(cfg->ws_control, old->ws_control) != 0))
		log_warnx("reload: ws_control changed: restart to apply");
	if ((cfg->ws_bus == NULL) != (old->ws_bus == NULL) ||
	    (cfg->ws_bus != NULL && strcmp(cfg->ws_bus, old->ws_bus) != 0) ||
	    strcmp(cfg->ws_bus_channel, old->ws_bus_channel) != 0)
		log_warnx("reload: ws_bus changed: restart to apply");
	/* The loader threads use the store: swap it while they are joined. */
	ws_loader_stop();
	ws_server_release(ws_server->cfg, ws_server->keys, ws_server->store);
	ws_server->cfg = cfg;
	ws_server->keys = keys;
	ws_server->store = st;
	ws_loader_start();
	log_set_level(cfg->log_level);
	log_info("reloaded %s", cfg->path != NULL ? cfg->path :
	    "the command line");
}

/* Grace time over: drop whatever did not finish its close handshake. */
static void
ws_server_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ws_conn_drop_all();
	event_base_loopexit(ws_server->base, NULL);
}

/* SIGTERM/SIGINT: stop accepting, close 1001 to all, leave when done. */
static void
ws_server_shutdown(void)
{
	struct timeval	 tv = { WS_SHUTDOWN_GRACE, 0 };

	if (ws_server->exiting) {
		ws_server_exit_cb(-1, 0, NULL);
		return;
	}
	ws_server->exiting = 1;
	log_info("shutting down: closing %u connection%s", ws_server->nconns,
	    ws_server->nconns == 1 ? "" : "s");
	ws_server_unlisten();
	ws_control_close();
	ws_bus_close();
	ws_conn_close_all(1001, "server shutting down");
	if (ws_server->nconns == 0)
		event_base_loopexit(ws_server->base, NULL);
	else
		evtimer_add(ws_server_exit_timer, &tv);
}

/* Signal events. */
static void
ws_server_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		ws_server_shutdown();
		break;
	case SIGHUP:
		ws_server_reload();
		break;
	case SIGCHLD:
		ws_handler_reap();
		break;
	default:
		break;
	}
}

/* Every second: pings and idle timeouts. */
static void
ws_server_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ws_conn_sweep(time(NULL));
}

/* Configure, listen and install handlers; -1 and *cause. */
int
ws_server_start(int argc, char **argv, char **cause)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct timeval	 tv = { 1, 0 };
	size_t		 i;

	ws_server = &ws_server_state;
	TAILQ_INIT(&ws_server->conns);
	ws_server->started = time(NULL);
	ws_server_argc = argc;
	ws_server_argv = argv;
	if (ws_server_configure(&ws_server->cfg, &ws_server->keys,
	    &ws_server->store, cause) == -1)
		return -1;
	if (ws_server->cfg->syslog)
		log_init(argv[0], 1);
	log_set_level(ws_server->cfg->log_level);

	event_set_log_callback(ws_server_libevent_log);
	event_set_fatal_callback(ws_server_libevent_fatal);
	if ((ws_server->base = event_base_new()) == NULL) {
		*cause = xstrdup("event_base_new failed");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		ws_server_signals[i] = evsignal_new(ws_server->base, sigs[i],
		    ws_server_signal, NULL);
		if (ws_server_signals[i] == NULL ||
		    evsignal_add(ws_server_signals[i], NULL) != 0)
			fatalx("%s: evsignal_new failed", __func__);
	}
	ws_server_exit_timer = evtimer_new(ws_server->base, ws_server_exit_cb,
	    NULL);
	ws_server_accept_timer = evtimer_new(ws_server->base,
	    ws_server_accept_resume, NULL);
	ws_server->sweep = event_new(ws_server->base, -1, EV_PERSIST,
	    ws_server_sweep, NULL);
	if (ws_server_exit_timer == NULL || ws_server_accept_timer == NULL ||
	    ws_server->sweep == NULL)
		fatalx("%s: event_new failed", __func__);
	evtimer_add(ws_server->sweep, &tv);
	ws_registry_init();

	if (ws_server_listen(ws_server->cfg->listen, cause) == -1)
		return -1;
	if (ws_server->cfg->ws_control != NULL &&
	    ws_control_open(ws_server->cfg->ws_control, cause) == -1) {
		ws_server_unlisten();
		return -1;
	}
	if (ws_server->cfg->ws_control == NULL &&
	    ws_server->cfg->ws_bus == NULL)
		log_warnx("no ws_control socket and no ws_bus: sockets cannot "
		    "be closed on logout");
	if (priv_drop(ws_server->cfg, cause) == -1) {
		ws_control_close();
		ws_server_unlisten();
		return -1;
	}
	/* After priv_drop: the threads connect to the store lazily, as we run. */
	ws_loader_start();
	if (ws_bus_open(cause) == -1) {
		ws_control_close();
		ws_server_unlisten();
		return -1;
	}
	log_info("listening on %s, store %s%s%s", ws_server->cfg->listen,
	    ws_server->store->ops->name,
	    ws_server->cfg->ws_handler != NULL ? ", handler " : ", push-only",
	    ws_server->cfg->ws_handler != NULL ? ws_server->cfg->ws_handler : "");
	return 0;
}

/* Run until shut down; then release everything. */
int
ws_server_loop(void)
{
	size_t	 i;

	event_base_dispatch(ws_server->base);
	ws_server_unlisten();
	ws_control_close();
	ws_bus_close();
	ws_conn_drop_all();
	ws_handler_kill_all();
	ws_loader_free();
	ws_registry_free();
	for (i = 0; i < sizeof ws_server_signals / sizeof ws_server_signals[0];
	    i++) {
		if (ws_server_signals[i] != NULL)
			event_free(ws_server_signals[i]);
	}
	event_free(ws_server_exit_timer);
	event_free(ws_server_accept_timer);
	event_free(ws_server->sweep);
	ws_server_release(ws_server->cfg, ws_server->keys, ws_server->store);
	event_base_free(ws_server->base);
	log_info("stopped");
	return 0;
}

/* The session cookie's value in a Cookie header; see ws.h. */
int
ws_server_cookie(const char *header, char **value, const char **cause)
{
	*value = NULL;
	switch (cookie_find(header, ws_server->cfg->cookie_name, value, NULL)) {
	case COOKIE_FOUND:
		return 0;
	case COOKIE_ABSENT:
		*cause = "no session cookie";
		break;
	case COOKIE_DUPLICATE:
		*cause = "session cookie sent twice";
		break;
	default:
		*cause = "malformed session cookie";
		break;
	}
	free(*value);
	*value = NULL;
	return 401;
}

/* SESSION_ID of a session: a keyed hash, never the cookie or the id. */
char *
ws_server_public_id(const struct session *s)
{
	return store_public_id(ws_server->keys, s->id);
}

/* The STATS reply: one line of JSON, in this order of keys. */
char *
ws_server_stats_json(void)
{
	struct ws_stats	*st = &ws_server->stats;
	json_t		*o, *bus;
	char		*text;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I}",
	    "pid", (json_int_t)getpid(),
	    "uptime", (json_int_t)(time(NULL) - ws_server->started),
	    "connections", (json_int_t)ws_server->nconns,
	    "open", (json_int_t)ws_server->nopen,
	    "sessions", (json_int_t)ws_registry_sessions(),
	    "handlers", (json_int_t)ws_handler_count(),
	    "closed_remembered", (json_int_t)ws_registry_remembered(),
	    "accepted", (json_int_t)st->accepted,
	    "upgraded", (json_int_t)st->upgraded,
	    "refused", (json_int_t)st->refused,
	    "closed_by_command", (json_int_t)st->closed_by_command,
	    "messages_in", (json_int_t)st->messages_in,
	    "messages_out", (json_int_t)st->messages_out,
	    "max_connections", (json_int_t)ws_server->cfg->ws_max_connections,
	    "max_per_session", (json_int_t)ws_server->cfg->ws_max_per_session,
	    "loads_pending", (json_int_t)ws_loader_pending());
	if (o != NULL && (bus = ws_bus_json()) != NULL)
		json_object_set_new(o, "bus", bus);
	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("%s: jansson: out of memory", __func__);
	json_decref(o);
	return text;
}
