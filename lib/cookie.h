/* Cookie request header parsing and Set-Cookie building (RFC 6265). */
#ifndef SW_COOKIE_H
#define SW_COOKIE_H

#include <stddef.h>
#include <time.h>

#include "config.h"

#define COOKIE_MAX_VALUE	4096	/* larger values are refused, never truncated */

enum cookie_find {
	COOKIE_ABSENT = 0,
	COOKIE_FOUND,
	COOKIE_DUPLICATE,	/* sent more than once: trust none */
	COOKIE_OVERSIZED,
	COOKIE_INVALID		/* bad characters */
};

/*
 * Find cookie `name` in a Cookie header value. On COOKIE_FOUND *value is a
 * new string. When `stripped` is not NULL it gets the header without every
 * occurrence of `name` (NULL when nothing else remains).
 */
enum cookie_find cookie_find(const char *, const char *, char **, char **);

struct cookie_attrs {
	const char	*name;
	const char	*path;
	const char	*domain;	/* NULL: host-only */
	int		 secure;
	int		 httponly;
	enum samesite	 samesite;
	long		 max_age;	/* -1: browser-session cookie; 0: delete */
	time_t		 now;		/* for Expires */
};

/* Build a Set-Cookie header value (without "Set-Cookie: "); caller frees. */
char	*cookie_build(const struct cookie_attrs *, const char *);
/* RFC 1123 date for Expires into buf of at least 30 bytes. */
void	 cookie_http_date(time_t, char *, size_t);
/* True when every character may appear in a cookie value unquoted. */
int	 cookie_value_ok(const char *, size_t);

#endif
