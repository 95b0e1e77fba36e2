/* Unit tests of the upgrade request parser: a table of requests. */
#include "autoconf.h"

#include "../src/ws-handshake.c"
#include "test.h"

#define KEY	"dGhlIHNhbXBsZSBub25jZQ=="
#define UPG	"Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define VER	"Sec-WebSocket-Version: 13\r\n"
#define GOOD_HEAD "GET /ws?x=1 HTTP/1.1\r\nHost: example.org\r\n" UPG VER

struct handshake_case {
	const char	*name;
	const char	*request;
	int		 status;	/* 0: accepted */
	int		 bad_version;
};

static const struct handshake_case handshake_cases[] = {
	{ "valid", GOOD_HEAD "Sec-WebSocket-Key: " KEY "\r\n\r\n", 0, 0 },
	{ "valid, lists and case", "GET / HTTP/1.1\r\nhost: a\r\n"
	  "UPGRADE: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
	  "sec-websocket-version: 13\r\nsec-websocket-key: " KEY "\r\n\r\n",
	  0, 0 },
	{ "valid with protocols", GOOD_HEAD "Sec-WebSocket-Key: " KEY "\r\n"
	  "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n", 0, 0 },
	{ "valid with OWS", "GET / HTTP/1.1\r\nHost:   a  \r\n"
	  "Upgrade:websocket\r\nConnection:\tUpgrade\t\r\n" VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 0, 0 },
	{ "missing key", GOOD_HEAD "\r\n", 400, 0 },
	{ "short key", GOOD_HEAD "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n\r\n",
	  400, 0 },
	{ "key not base64", GOOD_HEAD
	  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ*==\r\n\r\n", 400, 0 },
	{ "key non-canonical", GOOD_HEAD
	  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n\r\n", 400, 0 },
	{ "two keys", GOOD_HEAD "Sec-WebSocket-Key: " KEY "\r\n"
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "wrong version", "GET / HTTP/1.1\r\nHost: a\r\n" UPG
	  "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " KEY "\r\n\r\n",
	  400, 1 },
	{ "missing version", "GET / HTTP/1.1\r\nHost: a\r\n" UPG
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 1 },
	{ "no upgrade", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
	  VER "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "upgrade to h2c", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
	  "Connection: Upgrade\r\n" VER "Sec-WebSocket-Key: " KEY "\r\n\r\n",
	  400, 0 },
	{ "no connection upgrade", "GET / HTTP/1.1\r\nHost: a\r\n"
	  "Upgrade: websocket\r\nConnection: keep-alive\r\n" VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "connection upgraded (not a token match)", "GET / HTTP/1.1\r\n"
	  "Host: a\r\nUpgrade: websocket\r\nConnection: upgraded\r\n" VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "no host", "GET / HTTP/1.1\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "empty host", "GET / HTTP/1.1\r\nHost:\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "POST", "POST / HTTP/1.1\r\nHost: a\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 405, 0 },
	{ "lowercase get", "get / HTTP/1.1\r\nHost: a\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 405, 0 },
	{ "HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "HTTP/2", "GET / HTTP/2\r\nHost: a\r\n\r\n", 400, 0 },
	{ "absolute target", "GET http://a/ HTTP/1.1\r\nHost: a\r\n" UPG VER
	  "Sec-WebSocket-Key: " KEY "\r\n\r\n", 400, 0 },
	{ "target with control char", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
	  400, 0 },
	{ "extra space in request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	  400, 0 },
	{ "no version", "GET /\r\nHost: a\r\n\r\n", 400, 0 },
	{ "bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, 0 },
	{ "bare CR", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, 0 },
	{ "folding", GOOD_HEAD "Sec-WebSocket-Key: " KEY "\r\n x\r\n\r\n",
	  400, 0 },
	{ "space before colon", GOOD_HEAD "Sec-WebSocket-Key : " KEY
	  "\r\n\r\n", 400, 0 },
	{ "no colon", GOOD_HEAD "Sec-WebSocket-Key " KEY "\r\n\r\n", 400, 0 },
	{ "empty header name", GOOD_HEAD ": x\r\n\r\n", 400, 0 },
	{ "control char in value", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nX-A: a\x01b\r\n\r\n", 400, 0 },
	{ "body by length", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nContent-Length: 5\r\n\r\n", 400, 0 },
	{ "zero length", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nContent-Length: 0\r\n\r\n", 0, 0 },
	{ "chunked body", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 0 },
	{ "bad protocol list", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nSec-WebSocket-Protocol: chat,,x\r\n\r\n", 400, 0 },
	{ "protocol with space", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nSec-WebSocket-Protocol: a b\r\n\r\n", 400, 0 },
	{ "two origins", GOOD_HEAD "Sec-WebSocket-Key: " KEY
	  "\r\nOrigin: http://a\r\nOrigin: http://b\r\n\r\n", 400, 0 },
	{ "empty", "\r\n", 400, 0 },
	{ "unterminated", "GET / HTTP/1.1\r\nHost: a\r\n", 400, 0 },
	{ "trailing bytes", GOOD_HEAD "Sec-WebSocket-Key: " KEY "\r\n\r\nX",
	  400, 0 },
};

/* Run every case of the table. */
static void
test_table(void)
{
	struct ws_request	 req;
	const char		*cause;
	size_t			 i;
	int			 status;

	for (i = 0; i < sizeof handshake_cases / sizeof handshake_cases[0];
	    i++) {
		const struct handshake_case *c = &handshake_cases[i];

		status = ws_handshake_parse(c->request, strlen(c->request),
		    &req, &cause);
		if (status != c->status || req.bad_version != c->bad_version) {
			fprintf(stderr, "case \"%s\": status %d (%s), "
			    "expected %d\n", c->name, status,
			    cause ? cause : "-", c->status);
		}
		CHECK(status == c->status);
		CHECK(req.bad_version == c->bad_version);
		CHECK((status == 0) == (cause == NULL));
		ws_request_free(&req);
	}
}

/* Fields of an accepted request. */
static void
test_fields(void)
{
	const char *r = "GET /chat?room=1 HTTP/1.1\r\nHost: example.org:8080\r\n"
	    UPG VER "Sec-WebSocket-Key: " KEY "\r\nOrigin: http://example.org\r\n"
	    "Cookie: a=1\r\nCookie: sw=abc\r\nSec-WebSocket-Protocol: chat\r\n"
	    "X-Forwarded-For: 10.0.0.1\r\n\r\n";
	struct ws_request	 req;
	const char		*cause;

	CHECK(ws_handshake_parse(r, strlen(r), &req, &cause) == 0);
	CHECK_STR(req.method, "GET");
	CHECK_STR(req.uri, "/chat?room=1");
	CHECK_STR(req.host, "example.org:8080");
	CHECK_STR(req.key, KEY);
	CHECK_STR(req.origin, "http://example.org");
	CHECK_STR(req.cookie, "a=1; sw=abc");
	CHECK_STR(req.protocols, "chat");
	CHECK_STR(ws_request_header(&req, "x-forwarded-for"), "10.0.0.1");
	CHECK(ws_request_header(&req, "X-Missing") == NULL);
	ws_request_free(&req);
}

/* Finding the end of the headers in a stream. */
static void
test_end(void)
{
	CHECK(ws_handshake_end("GET / HTTP/1.1\r\n", 16) == 0);
	CHECK(ws_handshake_end("GET / HTTP/1.1\r\n\r\n", 18) == 18);
	CHECK(ws_handshake_end("GET / HTTP/1.1\r\n\r\nabc", 21) == 18);
	CHECK(ws_handshake_end("GET\0", 4) == -1);
	CHECK(ws_handshake_end("\n\n\n", 3) == 2);
	CHECK(ws_handshake_end("GET / HTTP/1.1\nHost: a\n\n", 24) == 24);
	CHECK(ws_handshake_end("GET / HTTP/1.1\r\n\n", 17) == 17);
	CHECK(ws_handshake_end("GET / HTTP/1.1\r\n\r", 17) == 0);
	CHECK(ws_handshake_end("", 0) == 0);
}

/* The example of RFC 6455 section 1.3. */
static void
test_accept(void)
{
	char	 out[WS_ACCEPT_LEN + 1];

	ws_handshake_accept(KEY, out);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

struct origin_case {
	const char	*origin;
	const char	*host;
	const char	*allowed;
	int		 ok;
};

static const struct origin_case origin_cases[] = {
	{ NULL, "a", NULL, 1 },			/* not a browser */
	{ "http://a", "a", NULL, 1 },
	{ "https://A", "a", NULL, 1 },
	{ "http://a:8080", "a:8080", NULL, 1 },
	{ "https://a", "a:443", NULL, 1 },
	{ "http://a", "a:443", NULL, 0 },
	{ "http://evil", "a", NULL, 0 },
	{ "http://a.evil", "a", NULL, 0 },
	{ "null", "a", NULL, 0 },
	{ "file://", "a", NULL, 0 },
	{ "http://a", "a", "", 1 },
	{ "https://app.example", "ws.example", "https://app.example", 1 },
	{ "https://app.example", "ws.example",
	  "https://x.example https://app.example/", 1 },
	{ "https://app.example.evil", "ws.example", "https://app.example", 0 },
	{ "http://app.example", "ws.example", "https://app.example", 0 },
	{ "https://ws.example", "ws.example", "https://app.example", 0 },
	{ "http://anything", "a", "*", 1 },
	{ "null", "a", "null", 1 },
};

/* The Origin allow-list. */
static void
test_origin(void)
{
	size_t	 i;
	int	 ok;

	for (i = 0; i < sizeof origin_cases / sizeof origin_cases[0]; i++) {
		const struct origin_case *c = &origin_cases[i];

		ok = ws_handshake_origin_ok(c->origin, c->host, c->allowed);
		if (ok != c->ok)
			fprintf(stderr, "origin case %zu: %s / %s / %s -> %d\n",
			    i, c->origin ? c->origin : "(none)", c->host,
			    c->allowed ? c->allowed : "(none)", ok);
		CHECK(ok == c->ok);
	}
}

/* Static helpers. */
static void
test_helpers(void)
{
	CHECK(ws_handshake_list_has("a, b ,Upgrade", "upgrade"));
	CHECK(!ws_handshake_list_has("upgrades", "upgrade"));
	CHECK(!ws_handshake_list_has("", "upgrade"));
	CHECK(ws_handshake_key_ok(KEY));
	CHECK(!ws_handshake_key_ok("AAAAAAAAAAAAAAAAAAAAAA="));
	CHECK(ws_handshake_token_list("a,b, c"));
	CHECK(!ws_handshake_token_list(""));
	CHECK(!ws_handshake_token_list("a,"));
}

/* Prefixes and mutations of a valid request: no false accept, no crash. */
static void
test_mutations(void)
{
	const char	*good = GOOD_HEAD "Sec-WebSocket-Key: " KEY "\r\n\r\n";
	struct ws_request req;
	const char	*cause;
	char		 m[512];
	size_t		 i, len = strlen(good);
	unsigned int	 seed = 1;
	int		 status, bad = 0;

	for (i = 0; i < len; i++) {
		status = ws_handshake_parse(good, i, &req, &cause);
		if (status == 0)
			bad++;
		ws_request_free(&req);
	}
	CHECK(bad == 0);
	for (i = 0; i < 20000; i++) {
		memcpy(m, good, len);
		seed = seed * 1103515245 + 12345;
		m[(seed >> 8) % len] = (char)(seed >> 20);
		(void)ws_handshake_end(m, len);
		status = ws_handshake_parse(m, len, &req, &cause);
		CHECK(status == 0 || status == 400 || status == 405 ||
		    status == 431);
		ws_request_free(&req);
	}
}

/* Run every group of checks. */
int
main(void)
{
	test_table();
	test_fields();
	test_end();
	test_accept();
	test_origin();
	test_helpers();
	test_mutations();
	return test_done("ws_handshake");
}
