/*
 * sessionwrap-ctl's side of the WebSocket helpers: CLOSE and SEND on ws_bus
 * (every host) with ws_control (this host) as the fallback.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "ctl-ws.h"
#include "wsbus.h"
#include "wsctl.h"
#include "xmalloc.h"

static struct keyring	*ctl_ws_keys;

/* The keys that seal bus messages, loaded once; NULL and *cause. */
static const struct keyring *
ctl_ws_keyring(const struct config *cfg, char **cause)
{
	if (ctl_ws_keys != NULL)
		return ctl_ws_keys;
	if (cfg->secret_file == NULL) {
		*cause = xstrdup("ws_bus needs secret_file");
		return NULL;
	}
	ctl_ws_keys = keyring_load(cfg->secret_file, cause);
	return ctl_ws_keys;
}

/*
 * Publish a line on ws_bus: 0 done, 1 not done but ws_control may try
 * (reported on stderr), -1 failed with *cause.
 */
static int
ctl_ws_bus(const struct config *cfg, const char *ws_id, int code,
    const char *reason, const char *text, char **cause)
{
	const struct keyring	*keys;
	int			 rc;

	if ((keys = ctl_ws_keyring(cfg, cause)) == NULL)
		return -1;
	rc = text != NULL ? wsbus_send(cfg, keys, ws_id, text, cause) :
	    wsbus_close(cfg, keys, ws_id, code, reason, cause);
	if (rc == 0)
		return 0;
	if (cfg->ws_control == NULL)
		return -1;
	fprintf(stderr, "sessionwrap-ctl: %s (trying ws_control)\n", *cause);
	free(*cause);
	*cause = NULL;
	return 1;
}

/* CLOSE a ws_id's sockets; see ctl-ws.h. */
int
ctl_ws_close(const struct config *cfg, const char *ws_id, int code,
    const char *reason, long *n, char **cause)
{
	int	 rc;

	*n = -1;
	if (cfg->ws_bus != NULL &&
	    (rc = ctl_ws_bus(cfg, ws_id, code, reason, NULL, cause)) != 1)
		return rc;
	if (cfg->ws_control == NULL) {
		*cause = xstrdup("neither ws_bus nor ws_control is set");
		return -1;
	}
	return wsctl_close(cfg->ws_control, ws_id, code, reason, n, 0, cause);
}

/* send WS_ID TEXT: a text message to a ws_id's sockets, on every host. */
int
ctl_ws_send_cmd(struct config *cfg, int argc, char **argv)
{
	char	*cause = NULL, *line, *reply = NULL;
	int	 rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: sessionwrap-ctl send WS_ID TEXT\n");
		return 2;
	}
	if (!wsctl_valid_id(argv[0])) {
		fprintf(stderr, "sessionwrap-ctl: invalid ws_id\n");
		return 2;
	}
	if (cfg->ws_bus != NULL &&
	    (rc = ctl_ws_bus(cfg, argv[0], 0, NULL, argv[1], &cause)) == 0) {
		printf("published on ws_bus\n");
		goto out;
	}
	if (rc == -1)
		goto fail;
	if (cfg->ws_control == NULL) {
		cause = xstrdup("neither ws_bus nor ws_control is set");
		goto fail;
	}
	xasprintf(&line, "SEND %s %s", argv[0], argv[1]);
	rc = wsctl_command(cfg->ws_control, line, &reply, 0, &cause);
	free(line);
	if (rc == -1)
		goto fail;
	printf("sent to %s websocket(s)\n", reply);
	free(reply);
	goto out;
fail:
	fprintf(stderr, "sessionwrap-ctl: send: %s\n", cause);
	free(cause);
	rc = 1;
out:
	ctl_ws_done();
	return rc;
}

/* Release the keys. */
void
ctl_ws_done(void)
{
	keyring_free(ctl_ws_keys);
	ctl_ws_keys = NULL;
	wsbus_disconnect();
}
