/* The Unix control socket: one command line, one reply line. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "wsctl.h"
#include "ws.h"
#include "xmalloc.h"

static struct evconnlistener	*ws_control_listener;
static char			*ws_control_path;
static u_int			 ws_control_clients;
/*
 * Clients in the order they connected. When the table is full the oldest is
 * dropped for the newcomer: a crowd of idle or stuck clients must never lock
 * out sessionwrap's CLOSE on logout.
 */
static struct bufferevent	*ws_control_table[WS_CONTROL_MAX_CLIENTS];

static void	 ws_control_write(struct bufferevent *, void *);
static void	 ws_control_event(struct bufferevent *, short, void *);

/* Apply a CLOSE or SEND (control socket or ws_bus); connections reached. */
u_int
ws_control_apply(const struct ws_command *cmd)
{
	const struct config	*cfg = ws_server->cfg;
	u_int			 n;

	if (cmd->type == WS_CMD_SEND)
		return ws_registry_send(cmd->ws_id, cmd->text, cmd->textlen);
	n = ws_registry_close(cmd->ws_id, cmd->code != 0 ? cmd->code :
	    cfg->ws_close_code, cmd->text != NULL ? cmd->text :
	    "session closed");
	ws_server->stats.closed_by_command += n;
	log_info("%s: CLOSE: %u connection%s", __func__, n, n == 1 ? "" : "s");
	return n;
}

/* Run one command; the reply line (without newline) into out. */
static void
ws_control_run(const char *line, size_t len, struct evbuffer *out)
{
	const struct config	*cfg = ws_server->cfg;
	struct ws_command	 cmd;
	const char		*cause;
	char			*json;
	u_int			 n;

	if (ws_command_parse(line, len, cfg->ws_max_message, &cmd,
	    &cause) != 0) {
		evbuffer_add_printf(out, "ERR %s\n", cause);
		ws_command_clear(&cmd);
		return;
	}
	switch (cmd.type) {
	case WS_CMD_CLOSE:
	case WS_CMD_SEND:
		n = ws_control_apply(&cmd);
		evbuffer_add_printf(out, "OK %u\n", n);
		break;
	case WS_CMD_COUNT:
		n = cmd.ws_id != NULL ? ws_registry_count(cmd.ws_id) :
		    ws_server->nopen;
		evbuffer_add_printf(out, "OK %u\n", n);
		break;
	case WS_CMD_STATS:
		json = ws_server_stats_json();
		evbuffer_add_printf(out, "OK %s\n", json);
		free(json);
		break;
	case WS_CMD_PING:
		evbuffer_add_printf(out, "OK pong\n");
		break;
	}
	ws_command_clear(&cmd);
}

/* Free a control client. */
static void
ws_control_free(struct bufferevent *bev)
{
	u_int	 i;

	for (i = 0; i < ws_control_clients; i++) {
		if (ws_control_table[i] == bev) {
			memmove(&ws_control_table[i], &ws_control_table[i + 1],
			    (ws_control_clients - i - 1) *
			    sizeof ws_control_table[0]);
			break;
		}
	}
	bufferevent_free(bev);
	ws_control_clients--;
}

/* Command lines from a client. */
static void
ws_control_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct evbuffer	*out = bufferevent_get_output(bev);
	char		*line;
	size_t		 n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		if (n > 0 && line[n - 1] == '\r')
			n--;
		ws_control_run(line, n, out);
		free(line);
	}
	if (evbuffer_get_length(in) > (size_t)ws_server->cfg->ws_max_message +
	    256) {
		evbuffer_add_printf(out, "ERR line too long\n");
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, ws_control_write,
		    ws_control_event, bev);
	}
}

/* Replies flushed after the client stopped sending: done. */
static void
ws_control_write(struct bufferevent *bev, void *arg)
{
	if (arg != NULL)
		ws_control_free(bev);
}

/* EOF (after the last reply is flushed), error or idle timeout. */
static void
ws_control_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) != 0) {
		/* Half-closed after its command: flush the reply first. */
		bufferevent_setcb(bev, NULL, ws_control_write, NULL, bev);
		bufferevent_disable(bev, EV_READ);
		return;
	}
	ws_control_free(bev);
}

/* A new control client. */
static void
ws_control_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	struct bufferevent	*bev;
	struct timeval		 tv = { WS_CONTROL_TIMEOUT, 0 };

	if (ws_control_clients >= WS_CONTROL_MAX_CLIENTS) {
		static time_t	 logged;	/* one line a second in a flood */

		if (time(NULL) != logged) {
			logged = time(NULL);
			log_warnx("%s: %d control clients: dropping the oldest",
			    __func__, WS_CONTROL_MAX_CLIENTS);
		}
		ws_control_free(ws_control_table[0]);
	}
	bev = bufferevent_socket_new(ws_server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	ws_control_table[ws_control_clients++] = bev;
	bufferevent_setcb(bev, ws_control_read, NULL, ws_control_event, NULL);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/*
 * Listen on the control socket (mode 0660). Started as root with user = ...,
 * it belongs to that user and group, so that sessionwrap running as them can
 * connect.
 */
int
ws_control_open(const char *path, char **cause)
{
	char	*spec, *cause1;
	int	 fd;

	xasprintf(&spec, "unix:%s", path);
	fd = listen_open(spec, 0660, ws_server->cfg, 128, LISTEN_NONBLOCK,
	    &cause1);
	free(spec);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, cause1);
		free(cause1);
		return -1;
	}
	ws_control_listener = evconnlistener_new(ws_server->base,
	    ws_control_accept, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (ws_control_listener == NULL) {
		xasprintf(cause, "%s: evconnlistener_new failed", path);
		close(fd);
		unlink(path);
		return -1;
	}
	ws_control_path = xstrdup(path);
	log_info("%s: control socket %s", __func__, path);
	return 0;
}

/* Stop listening and remove the socket. */
void
ws_control_close(void)
{
	if (ws_control_listener == NULL)
		return;
	evconnlistener_free(ws_control_listener);
	ws_control_listener = NULL;
	unlink(ws_control_path);
	free(ws_control_path);
	ws_control_path = NULL;
}
