/* One client connection: frames, close, expiry; the upgrade is ws-upgrade.c. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <wslay/wslay.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "wsctl.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_LINGER_TIMEOUT	2		/* seconds to drain after our FIN */
#define WS_OUTPUT_HIGH		(256 * 1024)	/* pause the handler's output */
#define WS_INPUT_HIGH		(256 * 1024)	/* pause reading the client */
#define WS_ACCEPT_SLACK		256		/* sockets past the limit still answered */

static uint64_t	 ws_conn_serial;

static void	 ws_conn_write_cb(struct bufferevent *, void *);
static void	 ws_conn_event_cb(struct bufferevent *, short, void *);
static void	 ws_conn_timer_cb(evutil_socket_t, short, void *);
static void	 ws_conn_check(struct ws_conn *);
static ssize_t	 ws_conn_wslay_recv(wslay_event_context_ptr, uint8_t *, size_t,
		     int, void *);
static ssize_t	 ws_conn_wslay_send(wslay_event_context_ptr, const uint8_t *,
		     size_t, int, void *);
static void	 ws_conn_wslay_msg(wslay_event_context_ptr,
		     const struct wslay_event_on_msg_recv_arg *, void *);
static void	 ws_conn_wslay_frame(wslay_event_context_ptr,
		     const struct wslay_event_on_frame_recv_start_arg *, void *);
static const struct wslay_event_callbacks ws_conn_callbacks;

/* (Re)arm the connection's one timer. */
void
ws_conn_timer(struct ws_conn *c, long seconds)
{
	struct timeval	 tv = { seconds, 0 };

	evtimer_add(c->timer, &tv);
}

/* Drop what only an upgrade or an open socket needs: load, request, cookie. */
static void
ws_conn_forget(struct ws_conn *c)
{
	if (c->job != NULL) {
		ws_loader_cancel(c->job);
		c->job = NULL;
	}
	if (c->req != NULL) {
		ws_request_free(c->req);
		free(c->req);
		c->req = NULL;
	}
	if (c->cookie != NULL) {
		crypto_wipe(c->cookie, strlen(c->cookie));
		free(c->cookie);
		c->cookie = NULL;
	}
}

/* Free a connection now; only from its own bufferevent or timer callbacks. */
static void
ws_conn_free(struct ws_conn *c)
{
	log_debug("%s: conn %llu: gone", __func__, (unsigned long long)c->serial);
	ws_registry_remove(c);
	if (c->handler != NULL) {
		ws_handler_detach(c->handler);
		c->handler = NULL;
	}
	ws_conn_forget(c);
	if (c->addr_counted)
		ws_registry_addr_del(c->addr);
	TAILQ_REMOVE(&ws_server->conns, c, all_entry);
	ws_server->nconns--;
	if (c->wslay != NULL)
		wslay_event_context_free(c->wslay);
	bufferevent_free(c->bev);
	event_free(c->timer);
	free(c);
	if (ws_server->exiting && ws_server->nconns == 0)
		event_base_loopexit(ws_server->base, NULL);
}

/* Drop a connection from a context that must not free it: free it soon. */
static void
ws_conn_abort(struct ws_conn *c)
{
	ws_registry_remove(c);
	if (c->handler != NULL) {
		ws_handler_detach(c->handler);
		c->handler = NULL;
	}
	ws_conn_forget(c);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	c->state = WS_CONN_DEAD;
	ws_conn_timer(c, 0);
}

/* Leave the registry and the handler: only the close handshake is left. */
static void
ws_conn_enter_closing(struct ws_conn *c)
{
	if (c->state == WS_CONN_CLOSING)
		return;
	c->state = WS_CONN_CLOSING;
	ws_registry_remove(c);
	if (c->handler != NULL) {
		ws_handler_detach(c->handler);
		c->handler = NULL;
	}
	ws_conn_forget(c);
	ws_conn_timer(c, WS_CLOSE_TIMEOUT);
}

/* All sent: half-close, and drain what the peer still sends, briefly. */
static void
ws_conn_linger(struct ws_conn *c)
{
	c->state = WS_CONN_LINGER;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
	ws_conn_timer(c, WS_LINGER_TIMEOUT);
}

/* Accept a socket from the listener. */
void
ws_conn_accept(int fd, struct sockaddr *sa, int salen)
{
	(void)salen;
	struct ws_conn		*c;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	if (ws_server->exiting || ws_server->nconns >=
	    (u_int)ws_server->cfg->ws_max_connections + WS_ACCEPT_SLACK) {
		/* Far past the limit: not even an answer. */
		ws_server->stats.refused++;
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->serial = ++ws_conn_serial;
	c->state = WS_CONN_HANDSHAKE;
	c->bev = bufferevent_socket_new(ws_server->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	c->timer = evtimer_new(ws_server->base, ws_conn_timer_cb, c);
	if (c->timer == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, c->addr, sizeof c->addr);
		snprintf(c->port, sizeof c->port, "%u", ntohs(sin->sin_port));
		break;
	case AF_INET6:
		sin6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, c->addr, sizeof c->addr);
		snprintf(c->port, sizeof c->port, "%u",
		    ntohs(sin6->sin6_port));
		break;
	default:
		c->local = 1;
		break;
	}
	if (strcmp(c->addr, "127.0.0.1") == 0 || strcmp(c->addr, "::1") == 0)
		c->local = 1;
	c->last_recv = c->last_ping = time(NULL);
	TAILQ_INSERT_TAIL(&ws_server->conns, c, all_entry);
	ws_server->nconns++;
	ws_server->stats.accepted++;

	bufferevent_setcb(c->bev, ws_conn_read_cb, ws_conn_write_cb,
	    ws_conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, WS_MAX_REQUEST + 1);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	ws_conn_timer(c, ws_server->cfg->ws_handshake_timeout);
}

/*
 * Follow frame boundaries in the bytes handed to wslay, without decoding:
 * between complete frames wslay holds no partial input, so its context can
 * be dropped while the connection idles (it is 8 KB of buffers).
 */
static void
ws_conn_scan(struct ws_conn *c, const uint8_t *p, size_t n)
{
	size_t	 need, k, i;
	uint8_t	 len7;

	while (n > 0) {
		if (c->skip > 0) {
			k = c->skip < n ? (size_t)c->skip : n;
			c->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		c->hdr[c->hlen++] = *p++;
		n--;
		if (c->hlen < 2)
			continue;
		len7 = c->hdr[1] & 0x7f;
		need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) +
		    ((c->hdr[1] & 0x80) ? 4 : 0);
		if (c->hlen < need)
			continue;
		if (len7 < 126)
			c->skip = len7;
		else {
			c->skip = 0;
			for (i = 2; i < (len7 == 126 ? 4u : 10u); i++)
				c->skip = (c->skip << 8) | c->hdr[i];
		}
		c->hlen = 0;
	}
}

/* A fragmented message starts or ends: the context must stay meanwhile. */
static void
ws_conn_wslay_frame(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *data)
{
	(void)ctx;
	struct ws_conn	*c = data;

	if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)
		c->in_message = !arg->fin;
	else if (arg->opcode == WSLAY_CONTINUATION_FRAME && arg->fin)
		c->in_message = 0;
}

/* The connection's wslay context, made when needed. */
static wslay_event_context_ptr
ws_conn_wslay(struct ws_conn *c)
{
	wslay_event_context_ptr	 ctx;

	if (c->wslay != NULL)
		return c->wslay;
	if (wslay_event_context_server_init(&ctx, &ws_conn_callbacks, c) != 0)
		fatalx("%s: wslay_event_context_server_init failed", __func__);
	wslay_event_config_set_max_recv_msg_length(ctx,
	    ws_server->cfg->ws_max_message);
	c->wslay = ctx;
	return ctx;
}

/* Drop an idle connection's context: nothing partial in, nothing queued out. */
static void
ws_conn_wslay_idle(struct ws_conn *c)
{
	wslay_event_context_ptr	 ctx = c->wslay;

	if (ctx == NULL || c->state != WS_CONN_OPEN || c->skip != 0 ||
	    c->hlen != 0 || c->in_message || wslay_event_want_write(ctx) ||
	    !wslay_event_get_read_enabled(ctx) ||
	    wslay_event_get_close_sent(ctx) ||
	    wslay_event_get_close_received(ctx) ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0)
		return;
	wslay_event_context_free(ctx);
	c->wslay = NULL;
}

/* wslay wants bytes: take them from the bufferevent's input. */
static ssize_t
ws_conn_wslay_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags, void *arg)
{
	(void)flags;
	struct ws_conn	*c = arg;
	int		 n;

	n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	ws_conn_scan(c, buf, n);
	return n;
}

/* wslay has a frame to send: queue it on the bufferevent's output. */
static ssize_t
ws_conn_wslay_send(wslay_event_context_ptr ctx, const uint8_t *data,
    size_t len, int flags, void *arg)
{
	(void)flags;
	struct ws_conn	*c = arg;

	if (evbuffer_add(bufferevent_get_output(c->bev), data, len) != 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return len;
}

/* A complete message from the client. */
static void
ws_conn_wslay_msg(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *data)
{
	struct ws_conn	*c = data;

	switch (arg->opcode) {
	case WSLAY_TEXT_FRAME:
		ws_server->stats.messages_in++;
		if (c->state != WS_CONN_OPEN)
			break;
		if (c->handler != NULL)
			ws_handler_input(c->handler, arg->msg, arg->msg_length);
		else
			log_debug("%s: conn %llu: push-only, message ignored",
			    __func__, (unsigned long long)c->serial);
		break;
	case WSLAY_BINARY_FRAME:
		ws_server->stats.messages_in++;
		if (c->state == WS_CONN_OPEN && c->handler != NULL) {
			/* The handler speaks lines of text. */
			wslay_event_queue_close(ctx,
			    WSLAY_CODE_UNSUPPORTED_DATA,
			    (const uint8_t *)"binary not supported", 20);
		}
		break;
	case WSLAY_CONNECTION_CLOSE:
		log_debug("%s: conn %llu: close %u from peer", __func__,
		    (unsigned long long)c->serial, arg->status_code);
		break;
	default:
		break;		/* pings are answered by wslay; pongs */
	}
}

static const struct wslay_event_callbacks ws_conn_callbacks = {
	.recv_callback = ws_conn_wslay_recv,
	.send_callback = ws_conn_wslay_send,
	.on_frame_recv_start_callback = ws_conn_wslay_frame,
	.on_msg_recv_callback = ws_conn_wslay_msg,
};

/*
 * When the socket's session must be looked at again: at its expiry (which
 * a refresh may have moved), and at most a day ahead.
 */
void
ws_conn_arm_expiry(struct ws_conn *c, time_t now)
{
	long	 delay;

	if (c->expires >= SESSION_NEVER)
		return;
	delay = c->expires > now ? (long)(c->expires - now) : 0;
	if (delay > 86400)
		delay = 86400;
	ws_conn_timer(c, delay);
}

/* The socket's session has ended, however it ended: close it. */
static void
ws_conn_session_ended(struct ws_conn *c, const char *why)
{
	log_info("%s: conn %llu: %s", __func__, (unsigned long long)c->serial,
	    why);
	ws_conn_close(c, ws_server->cfg->ws_close_code, "session closed");
}

/* A re-check of an open socket's session came back. */
static void
ws_conn_rechecked(struct ws_job *j)
{
	struct ws_conn	*c = j->arg;
	time_t		 now = time(NULL);

	c->job = NULL;
	if (c->state != WS_CONN_OPEN || c->entry == NULL)
		return;
	switch (j->status) {
	case 0:
		if (j->s->ws_id == NULL ||
		    strcmp(j->s->ws_id, ws_registry_entry_id(c->entry)) != 0) {
			ws_conn_session_ended(c, "session has a new ws_id");
			return;
		}
		c->expires = session_expires(j->s, ws_server->cfg);
		c->next_check = now + ws_server->cfg->ws_recheck_interval;
		ws_conn_arm_expiry(c, now);
		break;
	case 401:
		ws_conn_session_ended(c, "session ended in the store");
		break;
	default:
		/* An outage proves nothing, except past the known expiry. */
		log_warnx("%s: conn %llu: re-check: %s", __func__,
		    (unsigned long long)c->serial, j->cause);
		if (now >= c->expires) {
			ws_conn_session_ended(c, "session expired (store "
			    "unreachable)");
			return;
		}
		c->next_check = now + WS_RECHECK_RETRY;
		break;
	}
}

/* Load an open socket's session again; -1 when the loader is too busy. */
static int
ws_conn_recheck(struct ws_conn *c, time_t now)
{
	if (c->job != NULL)
		return 0;
	c->job = ws_loader_submit(c->cookie, now, WS_LOADER_QUEUE / 2,
	    ws_conn_rechecked, c);
	if (c->job == NULL)
		return -1;
	c->bus_recheck = 0;
	return 0;
}

/*
 * Re-check every open socket of a server store now, or from the sweep when
 * the loader is busy: CLOSEs published while ws_bus was down are lost.
 */
u_int
ws_conn_recheck_all(time_t now)
{
	struct ws_conn	*c;
	u_int		 n = 0;

	TAILQ_FOREACH(c, &ws_server->conns, all_entry) {
		if (c->state != WS_CONN_OPEN || c->cookie == NULL)
			continue;
		n++;
		c->bus_recheck = 1;
		c->next_check = now;
		ws_conn_recheck(c, now);
	}
	return n;
}

/* The session's expiry came: look again (server store), or close. */
static void
ws_conn_expiry(struct ws_conn *c)
{
	time_t	 now = time(NULL);

	if (now < c->expires) {
		ws_conn_arm_expiry(c, now);
		return;
	}
	if (c->cookie == NULL) {
		/* Cookie store: nothing to ask, the presented cookie ended. */
		ws_conn_session_ended(c, "session expired");
		return;
	}
	if (ws_conn_recheck(c, now) == -1)
		ws_conn_timer(c, 1);
}

/* Run wslay over what arrived and send what it queued. */
static void
ws_conn_frames(struct ws_conn *c)
{
	int	 r;

	c->last_recv = time(NULL);
	if ((r = wslay_event_recv(ws_conn_wslay(c))) != 0) {
		/* A frame-level protocol error: wslay queued a close; send it. */
		log_debug("%s: conn %llu: wslay_event_recv: %d", __func__,
		    (unsigned long long)c->serial, r);
		ws_conn_check(c);
		if (c->state == WS_CONN_OPEN || c->state == WS_CONN_CLOSING) {
			ws_conn_enter_closing(c);
			c->finishing = 1;
			if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
				ws_conn_linger(c);
		}
		return;
	}
	if (c->handler != NULL && ws_handler_pending(c->handler) >
	    WS_INPUT_HIGH + (size_t)ws_server->cfg->ws_max_message) {
		/* The handler is not reading: stop reading the client. */
		bufferevent_disable(c->bev, EV_READ);
		c->read_paused = 1;
	}
	ws_conn_check(c);
}

/* Send what wslay has queued, then see where the close handshake stands. */
static void
ws_conn_check(struct ws_conn *c)
{
	wslay_event_context_ptr	 ctx = c->wslay;

	if ((c->state != WS_CONN_OPEN && c->state != WS_CONN_CLOSING) ||
	    ctx == NULL)
		return;
	if (wslay_event_send(ctx) != 0) {
		ws_conn_abort(c);
		return;
	}
	if (c->state == WS_CONN_OPEN && (wslay_event_get_close_sent(ctx) ||
	    wslay_event_get_close_received(ctx) ||
	    !wslay_event_get_read_enabled(ctx))) {
		/* Closing (by the peer, or wslay on a protocol error). */
		ws_conn_enter_closing(c);
	}
	if (c->state == WS_CONN_CLOSING && !wslay_event_want_read(ctx) &&
	    !wslay_event_want_write(ctx)) {
		c->finishing = 1;
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			ws_conn_linger(c);
	}
	ws_conn_wslay_idle(c);
}

/* Bytes from the client. */
void
ws_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct ws_conn	*c = arg;

	switch (c->state) {
	case WS_CONN_HANDSHAKE:
		ws_upgrade_handshake(c);
		break;
	case WS_CONN_OPEN:
	case WS_CONN_CLOSING:
		ws_conn_frames(c);
		break;
	default:
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
		break;
	}
}

/* The output buffer drained. */
static void
ws_conn_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct ws_conn	*c = arg;

	switch (c->state) {
	case WS_CONN_REFUSING:
		ws_conn_linger(c);
		break;
	case WS_CONN_CLOSING:
		if (c->finishing)
			ws_conn_linger(c);
		break;
	case WS_CONN_OPEN:
		if (c->handler != NULL)
			ws_handler_throttle(c->handler, 0);
		break;
	default:
		break;
	}
}

/* EOF, error: the peer is gone. */
static void
ws_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct ws_conn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->state == WS_CONN_OPEN)
			log_debug("%s: conn %llu: dropped without close",
			    __func__, (unsigned long long)c->serial);
		ws_conn_free(c);
	}
}

/* Handshake deadline, close handshake deadline, end of lingering. */
static void
ws_conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ws_conn	*c = arg;

	if (c->state == WS_CONN_OPEN) {
		ws_conn_expiry(c);
		return;
	}
	if (c->state == WS_CONN_HANDSHAKE || c->state == WS_CONN_LOADING)
		log_info("%s: conn %llu from %s: handshake timeout%s", __func__,
		    (unsigned long long)c->serial, *c->addr ? c->addr : "local",
		    c->state == WS_CONN_LOADING ? " (session load)" : "");
	ws_conn_free(c);
}

/* Queue a close frame; the connection goes once it is sent (or times out). */
void
ws_conn_close(struct ws_conn *c, int code, const char *reason)
{
	size_t	 len = reason != NULL ? strlen(reason) : 0;

	switch (c->state) {
	case WS_CONN_HANDSHAKE:
	case WS_CONN_LOADING:
		ws_conn_abort(c);
		return;
	case WS_CONN_OPEN:
		break;
	default:
		return;
	}
	if (len > WSCTL_MAX_REASON)
		len = WSCTL_MAX_REASON;
	wslay_event_queue_close(ws_conn_wslay(c), code, (const uint8_t *)reason,
	    len);
	ws_conn_enter_closing(c);
	ws_conn_check(c);
}

/* Queue a text message; -1 when the connection cannot take it. */
int
ws_conn_send_text(struct ws_conn *c, const void *data, size_t len)
{
	struct wslay_event_msg	 msg;
	size_t			 queued;

	if (c->state != WS_CONN_OPEN)
		return -1;
	queued = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (c->wslay != NULL)
		queued += wslay_event_get_queued_msg_length(c->wslay);
	if (queued > WS_OUTPUT_HIGH * 16) {
		log_warnx("%s: conn %llu: client not reading, message dropped",
		    __func__, (unsigned long long)c->serial);
		return -1;
	}
	msg.opcode = WSLAY_TEXT_FRAME;
	msg.msg = data;
	msg.msg_length = len;
	if (wslay_event_queue_msg(ws_conn_wslay(c), &msg) != 0)
		return -1;
	ws_server->stats.messages_out++;
	ws_conn_check(c);
	if (c->handler != NULL && evbuffer_get_length(
	    bufferevent_get_output(c->bev)) > WS_OUTPUT_HIGH)
		ws_handler_throttle(c->handler, 1);
	return 0;
}

/* The handler's stdin drained: read the client again. */
void
ws_conn_resume(struct ws_conn *c)
{
	if (!c->read_paused || c->state != WS_CONN_OPEN)
		return;
	c->read_paused = 0;
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) != 0)
		ws_conn_frames(c);
}

/* The handler closed its stdout: close normally, as websocketd does. */
void
ws_conn_handler_done(struct ws_conn *c)
{
	ws_conn_close(c, WSLAY_CODE_NORMAL_CLOSURE, NULL);
}

/* Pings to quiet connections, and closes of connections silent too long. */
void
ws_conn_sweep(time_t now)
{
	const struct config	*cfg = ws_server->cfg;
	struct wslay_event_msg	 ping = { WSLAY_PING, NULL, 0 };
	struct ws_conn		*c;
	int			 busy = 0;

	TAILQ_FOREACH(c, &ws_server->conns, all_entry) {
		if (c->state != WS_CONN_OPEN)
			continue;
		/* Revoke, gc, a CLOSE that never arrived: the store knows. */
		if (c->cookie != NULL && (cfg->ws_recheck_interval > 0 ||
		    c->bus_recheck) && now >= c->next_check && !busy) {
			if (ws_conn_recheck(c, now) == -1)
				busy = 1;	/* the rest next second */
		}
		if (cfg->ws_idle_timeout > 0 &&
		    now - c->last_recv >= cfg->ws_idle_timeout) {
			log_debug("%s: conn %llu: idle timeout", __func__,
			    (unsigned long long)c->serial);
			ws_conn_close(c, WSLAY_CODE_GOING_AWAY, "idle timeout");
			continue;
		}
		if (cfg->ws_ping_interval > 0 &&
		    now - c->last_recv >= cfg->ws_ping_interval &&
		    now - c->last_ping >= cfg->ws_ping_interval) {
			c->last_ping = now;
			if (wslay_event_queue_msg(ws_conn_wslay(c), &ping) == 0)
				ws_conn_check(c);
		}
	}
}

/* Close every connection (shutdown); handshakes in progress are dropped. */
void
ws_conn_close_all(int code, const char *reason)
{
	struct ws_conn	*c;

	TAILQ_FOREACH(c, &ws_server->conns, all_entry)
		ws_conn_close(c, code, reason);
}

/* Free every connection at once (end of the shutdown grace time). */
void
ws_conn_drop_all(void)
{
	struct ws_conn	*c;

	while ((c = TAILQ_FIRST(&ws_server->conns)) != NULL)
		ws_conn_free(c);
}
