/* sessionwrap-ws: session-aware WebSocket helper with a Unix control socket. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "ws.h"

/* Print usage. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sessionwrap-ws [-c FILE] [--listen unix:PATH|HOST:PORT] "
	    "[--control PATH] [--KEY=VALUE]...\n"
	    "\n"
	    "A WebSocket endpoint behind the web server's proxy. Each upgrade is\n"
	    "authenticated by its sessionwrap session cookie and registered under\n"
	    "the session's ws_id; the control socket closes (CLOSE), feeds (SEND)\n"
	    "and counts (COUNT, STATS) a session's sockets. With ws_handler, each\n"
	    "connection runs that program: text messages are lines on its stdin,\n"
	    "lines on its stdout are text messages. SIGHUP reloads, SIGTERM closes\n"
	    "every socket with 1001 and exits.\n"
	    "\n"
	    "  -c FILE                  configuration file "
	    "(default $SESSIONWRAP_CONF, then " SYSCONFDIR "/sessionwrap.conf)\n"
	    "  --control PATH           same as --ws_control\n"
	    "  -h, --help               this text\n"
	    "  -V, --version            version\n"
	    "\nConfiguration keys (file: key = value; command line: --key=value):\n"
	    "%s", config_usage_keys());
}

/* Entry point. */
int
main(int argc, char **argv)
{
	struct config	 cfg;
	char		*cause;

	/* Only --help and --version here: ws_server_start reads it for real. */
	config_main(&cfg, argc, argv, "sessionwrap-ws", usage);
	config_free(&cfg);
	if (ws_server_start(argc, argv, &cause) == -1) {
		log_errx("%s", cause);
		free(cause);
		return 1;
	}
	return ws_server_loop();
}
