/*
 * A tiny FastCGI application that is not PHP, for the upstream tests
 * (tests/integration/fcgi_upstream.sh): libfcgi's responder side on a
 * Unix socket, what it does chosen by QUERY_STRING.
 *
 *	fcgi_app unix:PATH
 *
 *   (none)	the session it got (SESSION, SESSION_USER, HTTP_COOKIE), and
 *		X-Session-Set: app=c
 *   echo	the request body back
 *   big	X-Session-Set of a 200000-byte value, in headers of 50000
 *   len	the length of SESSION it got
 *   stderr	a line to FCGI_STDERR, then a short body
 *   status	Status: 404 with its own header
 *   crash	half the body, then the process dies without END_REQUEST
 */
#include "autoconf.h"

#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of a param, or "". */
static const char *
app_param(FCGX_Request *r, const char *name)
{
	const char	*v = FCGX_GetParam(name, r->envp);

	return v != NULL ? v : "";
}

/* Set key "big" to 200000 bytes over four X-Session-Patch headers. */
static void
app_big(FCGX_Request *r)
{
	char	*chunk;
	int	 i;

	chunk = malloc(50001);
	memset(chunk, 'b', 50000);
	chunk[50000] = '\0';
	for (i = 0; i < 4; i++)
		FCGX_FPrintF(r->out, "X-Session-Set: big%d=%s\r\n", i, chunk);
	free(chunk);
	FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n\r\nbig\n");
}

/* Copy the request body back. */
static void
app_echo(FCGX_Request *r)
{
	char	 buf[65536];
	int	 n;

	FCGX_FPrintF(r->out, "Content-Type: application/octet-stream\r\n\r\n");
	while ((n = FCGX_GetStr(buf, sizeof buf, r->in)) > 0)
		FCGX_PutStr(buf, n, r->out);
}

/* One request. */
static void
app_handle(FCGX_Request *r)
{
	const char	*q = app_param(r, "QUERY_STRING");
	int		 i;

	if (strcmp(q, "echo") == 0)
		app_echo(r);
	else if (strcmp(q, "big") == 0)
		app_big(r);
	else if (strcmp(q, "len") == 0)
		FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n\r\nlen=%d\n",
		    (int)strlen(app_param(r, "SESSION")));
	else if (strcmp(q, "stderr") == 0) {
		FCGX_FPrintF(r->err, "fcgi_app: a line for the error log\n");
		FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n\r\nlogged\n");
	} else if (strcmp(q, "status") == 0)
		FCGX_FPrintF(r->out, "Status: 404 Not Here\r\nX-App: 1\r\n"
		    "Content-Type: text/plain\r\n\r\nnot here\n");
	else if (strcmp(q, "crash") == 0) {
		FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n\r\n");
		for (i = 0; i < 2000; i++)
			FCGX_FPrintF(r->out, "0123456789");
		FCGX_FFlush(r->out);
		_exit(1);
	} else
		FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n"
		    "X-Session-Set: app=c\r\n\r\n"
		    "session=%s\nuser=%s\ncookie=%s\n",
		    app_param(r, "SESSION"), app_param(r, "SESSION_USER"),
		    app_param(r, "HTTP_COOKIE"));
}

int
main(int argc, char **argv)
{
	FCGX_Request	 r;
	int		 fd;

	if (argc != 2 || strncmp(argv[1], "unix:", 5) != 0) {
		fprintf(stderr, "usage: fcgi_app unix:PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(argv[1] + 5, 64)) < 0)
		return 1;
	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) == 0) {
		app_handle(&r);
		FCGX_Finish_r(&r);
	}
	return 0;
}
