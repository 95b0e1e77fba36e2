/* A connection's upgrade: handshake, checks, session load, open. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config.h"
#include "crypto.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "wsctl.h"
#include "ws.h"
#include "xmalloc.h"

/* Answer the upgrade request with an HTTP error and close. */
static void
ws_upgrade_refuse(struct ws_conn *c, int status, const char *why,
    int version_header)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	const char	*reason = http_reason(status);

	log_info("%s: conn %llu from %s: %d %s", __func__,
	    (unsigned long long)c->serial, *c->addr ? c->addr : "local",
	    status, why);
	ws_server->stats.refused++;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s%s"
	    "Connection: close\r\n"
	    "\r\n"
	    "%d %s\n", status, reason, strlen(reason) + 5,
	    version_header ? "Sec-WebSocket-Version: 13\r\n" : "",
	    status == 405 ? "Allow: GET\r\n" : "",
	    status, reason);
	c->state = WS_CONN_REFUSING;
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	ws_conn_timer(c, WS_CLOSE_TIMEOUT);
}

/* REMOTE_ADDR: behind a local proxy, the last X-Forwarded-For hop. */
static void
ws_upgrade_forwarded(struct ws_conn *c, const struct ws_request *req)
{
	const char	*xff, *p;
	size_t		 len;

	if (!c->local || (xff = ws_request_header(req, "X-Forwarded-For")) ==
	    NULL)
		return;
	if ((p = strrchr(xff, ',')) != NULL)
		xff = p + 1;
	while (*xff == ' ')
		xff++;
	len = strspn(xff, "0123456789abcdefABCDEF:.");
	if (len == 0 || len != strlen(xff) || len >= sizeof c->addr)
		return;
	memcpy(c->addr, xff, len);
	c->addr[len] = '\0';
	c->port[0] = '\0';
}

/* Session loaded: the checks that need it, then switch protocols. */
static void
ws_upgrade_open(struct ws_conn *c, struct ws_request *req, struct session *s,
    char **cookie)
{
	const struct config	*cfg = ws_server->cfg;
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	char			 accept[WS_ACCEPT_LEN + 1], *cause = NULL;
	time_t			 now = time(NULL);

	if (cfg->ws_require_login && (s->user == NULL || *s->user == '\0')) {
		ws_upgrade_refuse(c, 403, "session not logged in", 0);
		return;
	}
	if (s->ws_id == NULL || !wsctl_valid_id(s->ws_id)) {
		ws_upgrade_refuse(c, 401, "session without a ws_id", 0);
		return;
	}
	if (ws_registry_closed(s->ws_id, now)) {
		ws_upgrade_refuse(c, 401, "session closed moments ago", 0);
		return;
	}
	if (ws_server->nopen >= (u_int)cfg->ws_max_connections) {
		ws_upgrade_refuse(c, 503, "ws_max_connections reached", 0);
		return;
	}
	if (ws_registry_count(s->ws_id) >= (u_int)cfg->ws_max_per_session) {
		ws_upgrade_refuse(c, 429, "ws_max_per_session reached", 0);
		return;
	}
	if (cfg->ws_handler != NULL) {
		c->handler = ws_handler_start(c, req, s, c->addr, &cause);
		if (c->handler == NULL) {
			log_warnx("%s: conn %llu: %s", __func__,
			    (unsigned long long)c->serial, cause);
			free(cause);
			ws_upgrade_refuse(c, 503, "handler did not start", 0);
			return;
		}
	}
	ws_handshake_accept(req->key, accept);
	evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n"
	    "\r\n", accept);
	c->state = WS_CONN_OPEN;
	ws_registry_add(c, s->ws_id);
	ws_server->stats.upgraded++;
	evtimer_del(c->timer);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	c->last_recv = c->last_ping = now;
	/* Server stores can say later whether the session still exists. */
	if (!ws_server->store->ops->client_side) {
		c->cookie = *cookie;
		*cookie = NULL;
	}
	c->expires = session_expires(s, cfg);
	c->next_check = now + cfg->ws_recheck_interval;
	ws_conn_arm_expiry(c, now);
	log_debug("%s: conn %llu: open%s%s", __func__,
	    (unsigned long long)c->serial, s->user ? " for user " : "",
	    s->user ? s->user : "");
}

/* The upgrade's session load came back: open or refuse. */
static void
ws_upgrade_loaded(struct ws_job *j)
{
	struct ws_conn		*c = j->arg;
	struct ws_request	*req = c->req;

	c->job = NULL;
	c->req = NULL;
	c->state = WS_CONN_HANDSHAKE;
	bufferevent_enable(c->bev, EV_READ);
	if (j->status != 0)
		ws_upgrade_refuse(c, j->status, j->cause, 0);
	else
		ws_upgrade_open(c, req, j->s, &j->cookie);
	ws_request_free(req);
	free(req);
	if (c->state == WS_CONN_OPEN &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0) {
		/* Frames sent right behind the request. */
		ws_conn_read_cb(c->bev, c);
	}
}

/*
 * Checks that need no session, then its load on a loader thread. The
 * request is kept (c->req) until the load is back in ws_upgrade_loaded.
 */
static void
ws_upgrade_submit(struct ws_conn *c, struct ws_request *req)
{
	const struct config	*cfg = ws_server->cfg;
	const char		*why;
	char			*value;
	int			 status;

	if (!ws_handshake_origin_ok(req->origin, req->host, cfg->ws_origins)) {
		ws_upgrade_refuse(c, 403, "Origin not allowed", 0);
		return;
	}
	ws_upgrade_forwarded(c, req);
	if (*c->addr != '\0' && cfg->ws_max_per_ip > 0) {
		c->addr_counted = 1;
		if (ws_registry_addr_add(c->addr) > (u_int)cfg->ws_max_per_ip) {
			ws_upgrade_refuse(c, 429, "ws_max_per_ip reached", 0);
			return;
		}
	}
	if ((status = ws_server_cookie(req->cookie, &value, &why)) != 0) {
		ws_upgrade_refuse(c, status, why, 0);
		return;
	}
	c->job = ws_loader_submit(value, time(NULL), WS_LOADER_QUEUE,
	    ws_upgrade_loaded, c);
	crypto_wipe(value, strlen(value));
	free(value);
	if (c->job == NULL) {
		ws_upgrade_refuse(c, 503, "too many session loads in progress", 0);
		return;
	}
	c->req = xmalloc(sizeof *c->req);
	*c->req = *req;
	memset(req, 0, sizeof *req);
	c->state = WS_CONN_LOADING;
	bufferevent_disable(c->bev, EV_READ);
}

/* Read the upgrade request; answer it once it is complete. */
void
ws_upgrade_handshake(struct ws_conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct ws_request	 req;
	const char		*cause;
	unsigned char		*data;
	size_t			 len;
	ssize_t			 end;
	int			 status;

	len = evbuffer_get_length(in);
	if (len > WS_MAX_REQUEST)
		len = WS_MAX_REQUEST;
	data = evbuffer_pullup(in, len);
	end = ws_handshake_end((const char *)data, len);
	if (end == 0) {
		if (evbuffer_get_length(in) >= WS_MAX_REQUEST)
			ws_upgrade_refuse(c, 431, "request headers too large", 0);
		return;
	}
	if (end < 0) {
		ws_upgrade_refuse(c, 400, "NUL byte in request", 0);
		return;
	}
	status = ws_handshake_parse((const char *)data, end, &req, &cause);
	evbuffer_drain(in, end);
	if (status != 0)
		ws_upgrade_refuse(c, status, cause, req.bad_version);
	else
		ws_upgrade_submit(c, &req);
	ws_request_free(&req);
}
