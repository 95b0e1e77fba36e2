/*
 * sessionwrap-ws's upgrade request: ws_handshake_end and ws_handshake_parse
 * as the connection reads them, then what is done with an accepted request:
 * Sec-WebSocket-Accept, the Origin check and the session cookie lookup.
 */
#include "autoconf.h"

#include <sys/types.h>

#include "cookie.h"
#include "fuzz.h"
#include "http.h"
#include "../../src/ws.h"

FUZZ_INIT_QUIET

/* What sessionwrap-ws does with a request it accepted. */
static void
fuzz_accepted(const struct ws_request *req)
{
	static const char *const allowed[] = {
		NULL, "", "https://example.org", "https://a.example http://b/ *"
	};
	char		 accept[WS_ACCEPT_LEN + 1], *value, *stripped;
	const char	*p;
	size_t		 i;

	FUZZ_ASSERT(req->method != NULL && strcmp(req->method, "GET") == 0);
	FUZZ_ASSERT(req->uri != NULL && req->uri[0] == '/');
	for (p = req->uri; *p != '\0'; p++)
		FUZZ_ASSERT((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
	FUZZ_ASSERT(req->host != NULL && *req->host != '\0');
	FUZZ_ASSERT(req->key != NULL && strlen(req->key) == 24);
	FUZZ_ASSERT(req->nheaders <= WS_MAX_HEADERS);
	for (i = 0; i < req->nheaders; i++)
		FUZZ_ASSERT(strpbrk(req->headers[i].value, "\r\n") == NULL);

	memset(accept, 'x', sizeof accept);
	ws_handshake_accept(req->key, accept);
	FUZZ_ASSERT(strlen(accept) == WS_ACCEPT_LEN);

	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		(void)ws_handshake_origin_ok(req->origin, req->host, allowed[i]);
	/* A browser's Origin from another site never passes the default check. */
	if (req->origin != NULL &&
	    strncasecmp(req->origin, "http", 4) != 0)
		FUZZ_ASSERT(!ws_handshake_origin_ok(req->origin, req->host,
		    NULL));

	if (req->cookie != NULL) {
		(void)cookie_find(req->cookie, "sessionwrap", &value, &stripped);
		free(value);
		free(stripped);
	}
}

/* Parse a buffer as a complete request. */
static void
fuzz_parse(const char *buf, size_t len)
{
	struct ws_request	 req;
	const char		*cause = NULL;
	int			 status;

	status = ws_handshake_parse(buf, len, &req, &cause);
	if (status == 0) {
		FUZZ_ASSERT(cause == NULL);
		fuzz_accepted(&req);
	} else {
		FUZZ_ASSERT(status >= 400 && status <= 599);
		FUZZ_ASSERT(cause != NULL);
		FUZZ_ASSERT(http_reason(status) != NULL);
	}
	ws_request_free(&req);
}

/* One request (maybe with bytes after it) per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;
	ssize_t		 end;

	end = ws_handshake_end(buf, size);
	FUZZ_ASSERT(end >= -1 && end <= (ssize_t)size);
	if (end > 0)
		fuzz_parse(buf, end);
	/* The parser must also cope with what the reader would not pass it. */
	fuzz_parse(buf, size);
	return 0;
}
