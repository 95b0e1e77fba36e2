/* The RFC 6455 opening handshake: a pure parser of the upgrade request. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "buf.h"
#include "log.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* RFC 9110 tchar. */
static int
ws_handshake_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A non-empty run of tchar. */
static int
ws_handshake_token(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!ws_handshake_tchar(s[i]))
			return 0;
	}
	return 1;
}

/*
 * Offset just past the blank line ending the headers; 0 for more; -1 on NUL.
 * A bare LF blank line ends them too, so that the parser refuses such a
 * request at once instead of waiting for a CRLF CRLF that never comes.
 */
ssize_t
ws_handshake_end(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\0')
			return -1;
		if (buf[i] != '\n' || i == 0)
			continue;
		if (buf[i - 1] == '\n' ||
		    (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n'))
			return (ssize_t)i + 1;
	}
	return 0;
}

/* Free what ws_handshake_parse filled in; safe on a zeroed request. */
void
ws_request_free(struct ws_request *req)
{
	size_t	 i;

	for (i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req->headers);
	free(req->method);
	free(req->uri);
	free(req->cookie);
	memset(req, 0, sizeof *req);
}

/* Value of the first header of this name (case-insensitive), or NULL. */
const char *
ws_request_header(const struct ws_request *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}
	return NULL;
}

/* How many headers of this name there are. */
static size_t
ws_handshake_count(const struct ws_request *req, const char *name)
{
	size_t	 i, n = 0;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			n++;
	}
	return n;
}

/* Does a comma-separated header list contain this token (case-insensitive)? */
static int
ws_handshake_list_has(const char *list, const char *token)
{
	const char	*p = list, *start, *end;
	size_t		 tlen = strlen(token);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - start) == tlen &&
		    strncasecmp(start, token, tlen) == 0)
			return 1;
	}
	return 0;
}

/* Does any header of this name list the token? */
static int
ws_handshake_any_has(const struct ws_request *req, const char *name,
    const char *token)
{
	size_t	 i;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0 &&
		    ws_handshake_list_has(req->headers[i].value, token))
			return 1;
	}
	return 0;
}

/* A comma-separated list of tokens with optional whitespace, none empty. */
static int
ws_handshake_token_list(const char *s)
{
	const char	*p = s, *start, *end;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (!ws_handshake_token(start, end - start))
			return 0;
		if (*p == '\0')
			return 1;
		p++;
	}
}

/* Sec-WebSocket-Key: the canonical base64 of exactly 16 bytes. */
static int
ws_handshake_key_ok(const char *key)
{
	size_t	 i;
	char	 c;

	if (strlen(key) != 24 || strcmp(key + 22, "==") != 0)
		return 0;
	for (i = 0; i < 22; i++) {
		c = key[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	/* The last character carries 2 bits of data and 4 zero bits. */
	return strchr("AQgw", key[21]) != NULL;
}

/* Split the request line "METHOD SP target SP HTTP/1.1"; 0 or a status. */
static int
ws_handshake_request_line(const char *line, size_t len, struct ws_request *req,
    const char **cause)
{
	const char	*sp1, *sp2, *end = line + len;
	size_t		 i;

	if ((sp1 = memchr(line, ' ', len)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', end - sp1 - 1)) == NULL) {
		*cause = "malformed request line";
		return 400;
	}
	if (!ws_handshake_token(line, sp1 - line) || sp1 - line > 32) {
		*cause = "bad method";
		return 400;
	}
	if (sp2 == sp1 + 1 || sp1[1] != '/') {
		*cause = "bad request target";
		return 400;
	}
	for (i = 1; sp1 + i < sp2; i++) {
		if ((unsigned char)sp1[i] <= 0x20 || (unsigned char)sp1[i] >= 0x7f) {
			*cause = "bad request target";
			return 400;
		}
	}
	if ((size_t)(end - sp2 - 1) != 8 ||
	    memcmp(sp2 + 1, "HTTP/1.1", 8) != 0) {
		*cause = "not HTTP/1.1";
		return 400;
	}
	req->method = xstrndup(line, sp1 - line);
	req->uri = xstrndup(sp1 + 1, sp2 - sp1 - 1);
	return 0;
}

/* Parse one "Name: value" line into the request; 0 or a status. */
static int
ws_handshake_header_line(const char *line, size_t len, struct ws_request *req,
    const char **cause)
{
	const char	*colon, *v, *vend = line + len;
	size_t		 i;
	unsigned char	 c;

	if (line[0] == ' ' || line[0] == '\t') {
		*cause = "obsolete header folding";
		return 400;
	}
	if ((colon = memchr(line, ':', len)) == NULL ||
	    !ws_handshake_token(line, colon - line)) {
		*cause = "malformed header line";
		return 400;
	}
	v = colon + 1;
	while (v < vend && (*v == ' ' || *v == '\t'))
		v++;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	for (i = 0; v + i < vend; i++) {
		c = v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*cause = "control character in header value";
			return 400;
		}
	}
	if (req->nheaders >= WS_MAX_HEADERS) {
		*cause = "too many headers";
		return 431;
	}
	req->headers = xreallocarray(req->headers, req->nheaders + 1,
	    sizeof *req->headers);
	req->headers[req->nheaders].name = xstrndup(line, colon - line);
	req->headers[req->nheaders].value = xstrndup(v, vend - v);
	req->nheaders++;
	return 0;
}

/* Check a parsed request against RFC 6455 4.2.1; 0 or a status. */
static int
ws_handshake_validate(struct ws_request *req, const char **cause)
{
	const char	*v;
	struct buf	 b;
	size_t		 i;

	if (strcmp(req->method, "GET") != 0) {
		*cause = "method is not GET";
		return 405;
	}
	if (ws_handshake_count(req, "Host") != 1 ||
	    *(req->host = ws_request_header(req, "Host")) == '\0') {
		*cause = "missing or repeated Host";
		return 400;
	}
	if (ws_request_header(req, "Transfer-Encoding") != NULL ||
	    ((v = ws_request_header(req, "Content-Length")) != NULL &&
	    strcmp(v, "0") != 0)) {
		*cause = "upgrade request with a body";
		return 400;
	}
	if (!ws_handshake_any_has(req, "Upgrade", "websocket")) {
		*cause = "no Upgrade: websocket";
		return 400;
	}
	if (!ws_handshake_any_has(req, "Connection", "upgrade")) {
		*cause = "no Connection: upgrade";
		return 400;
	}
	if (ws_handshake_count(req, "Sec-WebSocket-Version") != 1 ||
	    strcmp(ws_request_header(req, "Sec-WebSocket-Version"), "13") != 0) {
		req->bad_version = 1;
		*cause = "unsupported Sec-WebSocket-Version";
		return 400;
	}
	if (ws_handshake_count(req, "Sec-WebSocket-Key") != 1 ||
	    !ws_handshake_key_ok(ws_request_header(req, "Sec-WebSocket-Key"))) {
		*cause = "missing or bad Sec-WebSocket-Key";
		return 400;
	}
	req->key = ws_request_header(req, "Sec-WebSocket-Key");
	if (ws_handshake_count(req, "Origin") > 1) {
		*cause = "repeated Origin";
		return 400;
	}
	req->origin = ws_request_header(req, "Origin");
	if (ws_handshake_count(req, "Sec-WebSocket-Protocol") > 1 ||
	    ((v = ws_request_header(req, "Sec-WebSocket-Protocol")) != NULL &&
	    !ws_handshake_token_list(v))) {
		*cause = "bad Sec-WebSocket-Protocol";
		return 400;
	}
	req->protocols = v;

	buf_init(&b);
	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Cookie") != 0)
			continue;
		if (b.len != 0)
			buf_adds(&b, "; ");
		buf_adds(&b, req->headers[i].value);
	}
	req->cookie = b.len != 0 ? buf_steal(&b) : NULL;
	buf_free(&b);
	return 0;
}

/* Parse and validate a complete upgrade request; 0 or an HTTP status. */
int
ws_handshake_parse(const char *buf, size_t len, struct ws_request *req,
    const char **cause)
{
	const char	*p = buf, *end = buf + len, *eol;
	int		 first = 1, status;

	memset(req, 0, sizeof *req);
	*cause = NULL;
	if (len > WS_MAX_REQUEST) {
		*cause = "request headers too large";
		return 431;
	}
	for (;;) {
		if (p == end) {
			*cause = "request not terminated by a blank line";
			return 400;
		}
		if ((eol = memchr(p, '\n', end - p)) == NULL) {
			*cause = "request not terminated by a blank line";
			return 400;
		}
		if (eol == p || eol[-1] != '\r') {
			*cause = "bare LF in request";
			return 400;
		}
		if (memchr(p, '\r', eol - 1 - p) != NULL ||
		    memchr(p, '\0', eol - 1 - p) != NULL) {
			*cause = "bare CR or NUL in request";
			return 400;
		}
		if (eol - 1 == p)
			break;		/* the blank line */
		if (first)
			status = ws_handshake_request_line(p, eol - 1 - p, req,
			    cause);
		else
			status = ws_handshake_header_line(p, eol - 1 - p, req,
			    cause);
		if (status != 0)
			return status;
		first = 0;
		p = eol + 1;
	}
	if (first) {
		*cause = "empty request";
		return 400;
	}
	if (eol + 1 != end) {
		*cause = "bytes after the request headers";
		return 400;
	}
	return ws_handshake_validate(req, cause);
}

/* Sec-WebSocket-Accept: base64(SHA-1(key GUID)). */
void
ws_handshake_accept(const char *key, char *out)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		*in;

	xasprintf(&in, "%s%s", key, WS_GUID);
	if (EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		fatalx("%s: SHA-1 failed", __func__);
	free(in);
	EVP_EncodeBlock((unsigned char *)out, md, mdlen);
}

/* Does Origin name the same host[:port] as Host (default ports aside)? */
static int
ws_handshake_same_host(const char *origin, const char *host)
{
	const char	*hp, *dflt;
	size_t		 hlen, olen;

	if (strncasecmp(origin, "https://", 8) == 0) {
		hp = origin + 8;
		dflt = ":443";
	} else if (strncasecmp(origin, "http://", 7) == 0) {
		hp = origin + 7;
		dflt = ":80";
	} else
		return 0;
	if (strcasecmp(hp, host) == 0)
		return 1;
	/* "Host: example.org:443" against "https://example.org" */
	hlen = strlen(host);
	olen = strlen(hp);
	if (hlen == olen + strlen(dflt) && strncasecmp(host, hp, olen) == 0 &&
	    strcmp(host + olen, dflt) == 0)
		return 1;
	return 0;
}

/*
 * Cross-site WebSocket hijacking guard. Browsers always send Origin on a
 * WebSocket upgrade; a request without one comes from a non-browser client
 * that holds the cookie anyway. With no list, only the same host is allowed.
 */
int
ws_handshake_origin_ok(const char *origin, const char *host,
    const char *allowed)
{
	const char	*p, *start;
	size_t		 len, olen;

	if (origin == NULL)
		return 1;
	if (allowed == NULL || *allowed == '\0')
		return host != NULL && ws_handshake_same_host(origin, host);
	olen = strlen(origin);
	for (p = allowed;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		len = p - start;
		if (len == 1 && *start == '*')
			return 1;
		if (len > 1 && start[len - 1] == '/')
			len--;
		if (len == olen && strncasecmp(start, origin, len) == 0)
			return 1;
	}
}
