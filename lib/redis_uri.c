/*
 * A Redis address: the Redis store's value and a redis:// ws_bus, parsed
 * by one set of rules (redis_uri.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "crypto.h"
#include "num.h"
#include "redis_uri.h"
#include "store.h"
#include "url.h"
#include "xmalloc.h"

/*
 * RFC 3986 percent-decoding of s[0..len): url_decode, with '+' kept as
 * '+' (it reads '+' as a space); NULL on a bad escape or a %00.
 */
static char *
redis_uri_unescape(const char *s, size_t len)
{
	struct buf	 b;
	char		*out;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			buf_adds(&b, "%2B");
		else
			buf_addc(&b, s[i]);
	}
	out = url_decode(b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* A decimal number in [min, max]; -1 when s is not one. */
static int
redis_uri_num(const char *s, long min, long max, long *out)
{
	long long	 n;

	if (num_parse(s, 10, min, max, &n, NULL) != 0)
		return -1;
	*out = (long)n;
	return 0;
}

/* Parse "?prefix=P&timeout=MS[&db=N]" (db only for a socket); -1, *cause. */
static int
redis_uri_options(struct redis_uri *u, char *q, int unix_socket, char **cause)
{
	char	*opt, *val, *dec;
	long	 n;

	while ((opt = strsep(&q, "&")) != NULL) {
		if (*opt == '\0')
			continue;
		if ((val = strchr(opt, '=')) == NULL) {
			xasprintf(cause, "redis option without value: %s", opt);
			return -1;
		}
		*val++ = '\0';
		if (strcmp(opt, "prefix") == 0) {
			if ((dec = redis_uri_unescape(val, strlen(val))) == NULL ||
			    !store_prefix_ok(dec)) {
				free(dec);
				*cause = xstrdup("redis key prefix must be "
				    "printable, without spaces, at most 128 "
				    "characters");
				return -1;
			}
			free(u->prefix);
			u->prefix = dec;
		} else if (strcmp(opt, "timeout") == 0) {
			if (redis_uri_num(val, 10, 60000, &u->timeout) != 0) {
				xasprintf(cause, "bad redis timeout "
				    "(10-60000 ms): %s", val);
				return -1;
			}
		} else if (unix_socket && strcmp(opt, "db") == 0) {
			if (redis_uri_num(val, 0, 65535, &n) != 0) {
				xasprintf(cause, "bad redis db: %s", val);
				return -1;
			}
			u->db = (int)n;
		} else {
			xasprintf(cause, "unknown redis option: %s", opt);
			return -1;
		}
	}
	return 0;
}

/* "USER:PASSWORD" (either may be empty) into u; -1 and *cause. */
static int
redis_uri_userinfo(struct redis_uri *u, const char *s, size_t len, char **cause)
{
	const char	*colon;

	colon = memchr(s, ':', len);
	if (colon == NULL) {
		/* Like redis-cli -u: a lone part is the password. */
		colon = s - 1;
	} else if (colon > s &&
	    (u->user = redis_uri_unescape(s, colon - s)) == NULL)
		goto fail;
	if ((size_t)(colon + 1 - s) < len &&
	    (u->pass = redis_uri_unescape(colon + 1, len - (colon + 1 - s))) ==
	    NULL)
		goto fail;
	if (u->user != NULL && u->pass == NULL) {
		*cause = xstrdup("redis user without a password");
		return -1;
	}
	return 0;
fail:
	*cause = xstrdup("bad percent-escape in the redis user or password");
	return -1;
}

/* "HOST[:PORT][/DB]" or "[V6]:PORT/DB" into u; -1 and *cause. */
static int
redis_uri_hostport(struct redis_uri *u, char *s, char **cause)
{
	char	*slash, *colon;
	long	 n;

	if ((slash = strchr(s, '/')) != NULL) {
		*slash++ = '\0';
		if (*slash != '\0') {
			if (redis_uri_num(slash, 0, 65535, &n) != 0) {
				xasprintf(cause, "bad redis db: %s", slash);
				return -1;
			}
			u->db = (int)n;
		}
	}
	if (*s == '[') {
		if ((colon = strchr(s, ']')) == NULL ||
		    (colon[1] != '\0' && colon[1] != ':')) {
			*cause = xstrdup("bad IPv6 address in redis://");
			return -1;
		}
		u->host = xstrndup(s + 1, colon - s - 1);
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else if ((colon = strrchr(s, ':')) != NULL)
		u->host = xstrndup(s, colon - s);
	else
		u->host = xstrdup(s);
	if (colon != NULL) {
		if (redis_uri_num(colon + 1, 1, 65535, &n) != 0) {
			xasprintf(cause, "bad port in redis://: %s", colon + 1);
			return -1;
		}
		u->port = (int)n;
	}
	if (*u->host == '\0') {
		*cause = xstrdup("redis:// without a host "
		    "(redis://HOST:PORT or redis+unix:///PATH)");
		return -1;
	}
	return 0;
}

/* Parse a value into *u; see redis_uri.h. */
int
redis_uri_parse(const char *value, struct redis_uri *u, char **cause)
{
	char		*copy = NULL, *rest, *q, *at;
	int		 unix_socket;

	memset(u, 0, sizeof *u);
	u->port = REDIS_URI_PORT;
	if (strncasecmp(value, "redis://", 8) == 0)
		unix_socket = 0;
	else if (strncasecmp(value, "redis+unix://", 13) == 0)
		unix_socket = 1;
	else {
		*cause = xstrdup("not a redis:// or redis+unix:// value");
		return -1;
	}
	copy = xstrdup(value + (unix_socket ? 13 : 8));
	if ((q = strchr(copy, '?')) != NULL)
		*q++ = '\0';
	rest = copy;
	/* The last '@' before the host or path ends the user information. */
	if ((at = strrchr(rest, '@')) != NULL) {
		if (redis_uri_userinfo(u, rest, at - rest, cause) != 0)
			goto fail;
		rest = at + 1;
	}
	if (unix_socket) {
		if (*rest != '/' || rest[1] == '\0') {
			*cause = xstrdup("redis+unix:// needs an absolute "
			    "socket path (redis+unix:///PATH)");
			goto fail;
		}
		if ((u->path = redis_uri_unescape(rest, strlen(rest))) == NULL) {
			*cause = xstrdup("bad percent-escape in the redis "
			    "socket path");
			goto fail;
		}
	} else if (redis_uri_hostport(u, rest, cause) != 0)
		goto fail;
	if (q != NULL && redis_uri_options(u, q, unix_socket, cause) != 0)
		goto fail;
	free(copy);
	return 0;
fail:
	free(copy);
	redis_uri_free(u);
	return -1;
}

/* Free what redis_uri_parse filled in; see redis_uri.h. */
void
redis_uri_free(struct redis_uri *u)
{
	free(u->host);
	free(u->path);
	free(u->user);
	if (u->pass != NULL) {
		crypto_wipe(u->pass, strlen(u->pass));
		free(u->pass);
	}
	free(u->prefix);
	memset(u, 0, sizeof *u);
}
