/*
 * Cross-origin refusal of unsafe methods, the algorithm of Go 1.25's
 * http.CrossOriginProtection: Sec-Fetch-Site, else Origin against Host,
 * else (neither header: no browser) allowed. No token in any form.
 */
#include "autoconf.h"

#include <string.h>
#include <strings.h>

#include "config.h"
#include "gate.h"
#include "log.h"

/* GET, HEAD and OPTIONS change nothing (Go's list); anything else may. */
static int
csrf_safe_method(const char *m)
{
	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0);
}

/* The host[:port] of an Origin value; see gate.h. */
int
csrf_origin_host(const char *origin, const char **host, size_t *len)
{
	const char	*p;
	size_t		 sl;

	sl = strspn(origin, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	if (sl == 0 || strncmp(origin + sl, "://", 3) != 0)
		return -1;
	p = origin + sl + 3;
	*len = strcspn(p, "/?# \t");
	/* No user info: a browser never sends one, so refuse to read it. */
	if (*len == 0 || memchr(p, '@', *len) != NULL)
		return -1;
	*host = p;
	return 0;
}

/* True when origin is listed in csrf_trusted_origins (ignoring case). */
static int
csrf_trusted(const struct config *cfg, const char *origin)
{
	const char	*p = cfg->csrf_trusted_origins;
	size_t		 tl, ol = strlen(origin);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t");
		if ((tl = strcspn(p, " \t")) == 0)
			break;
		if (tl == ol && strncasecmp(p, origin, tl) == 0)
			return 1;
		p += tl;
	}
	return 0;
}

/* The port of a host[:port] of len bytes (NULL: none), *plen its length. */
static const char *
csrf_port(const char *host, size_t len, size_t *plen)
{
	const char	*c;

	/* An IPv6 literal's colons are inside its brackets. */
	for (c = host + len; c > host && c[-1] != ':' && c[-1] != ']'; c--)
		;
	if (c == host || c[-1] != ':')
		return NULL;
	*plen = host + len - c;
	return c;
}

/*
 * True when Origin names the host the request was sent to: host[:port] as
 * Host has it (Go). A Host without a port (Debian's nginx sends $host, no
 * port) matches an Origin of that host with no port, or with the port the
 * request came to (SERVER_PORT).
 */
static int
csrf_same_host(const char *origin, const char *reqhost, const char *sport)
{
	const char	*h, *op;
	size_t		 hl, rl, opl = 0;

	if (reqhost == NULL || csrf_origin_host(origin, &h, &hl) == -1)
		return 0;
	rl = strlen(reqhost);
	if (rl == hl && strncasecmp(reqhost, h, hl) == 0)
		return 1;
	if (csrf_port(reqhost, rl, &opl) != NULL ||
	    (op = csrf_port(h, hl, &opl)) == NULL)
		return 0;
	return hl - opl - 1 == rl && strncasecmp(reqhost, h, rl) == 0 &&
	    sport != NULL && strlen(sport) == opl &&
	    strncmp(sport, op, opl) == 0;
}

/* 0 or 403; see gate.h. */
int
csrf_check(const struct config *cfg, gate_getenv_fn getenv_fn, void *ctx)
{
	const char	*method, *site, *origin;

	method = getenv_fn(ctx, "REQUEST_METHOD");
	if (!cfg->csrf || csrf_safe_method(method))
		return 0;
	site = getenv_fn(ctx, "HTTP_SEC_FETCH_SITE");
	origin = getenv_fn(ctx, "HTTP_ORIGIN");
	if (site != NULL && *site != '\0') {
		if (strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0)
			return 0;
		if (origin != NULL && csrf_trusted(cfg, origin))
			return 0;
		log_warnx("cross-origin %s refused (Sec-Fetch-Site)",
		    method ? method : "request");
		return 403;
	}
	if (origin == NULL || *origin == '\0')
		return 0;
	/* "null" (a sandboxed or file: page) names no host: refused. */
	if (csrf_same_host(origin, getenv_fn(ctx, "HTTP_HOST"),
	    getenv_fn(ctx, "SERVER_PORT")) ||
	    csrf_trusted(cfg, origin))
		return 0;
	log_warnx("cross-origin %s refused (Origin)", method ? method :
	    "request");
	return 403;
}
