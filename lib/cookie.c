/* Cookie request header parsing and Set-Cookie building (RFC 6265). */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cookie.h"
#include "log.h"
#include "xmalloc.h"

/* Cookie header whitespace (RFC 6265 OWS). */
static int
cookie_isspace(char c)
{
	return c == ' ' || c == '\t';
}

/* True for an RFC 6265 cookie-octet. */
static int
cookie_octet(unsigned char c)
{
	return c == 0x21 ||
	    (c >= 0x23 && c <= 0x2b) ||
	    (c >= 0x2d && c <= 0x3a) ||
	    (c >= 0x3c && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

/* True when every character may appear in a cookie value unquoted. */
int
cookie_value_ok(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (!cookie_octet((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Trim OWS from both ends of [*s, *e). */
static void
cookie_trim(const char **s, const char **e)
{
	while (*s < *e && cookie_isspace(**s))
		(*s)++;
	while (*e > *s && cookie_isspace((*e)[-1]))
		(*e)--;
}

/*
 * Find cookie `name` in a Cookie header value. Pairs are split on ';' with
 * optional whitespace; a pair without '=' never matches but is kept in the
 * stripped header like every other cookie, verbatim and in order.
 */
enum cookie_find
cookie_find(const char *header, const char *name, char **value,
    char **stripped)
{
	struct buf	 keep;
	const char	*p, *sep, *fs, *fe, *eq, *ns, *ne;
	const char	*vs = NULL, *ve = NULL;
	size_t		 namelen = strlen(name), count = 0;

	if (value != NULL)
		*value = NULL;
	if (stripped != NULL)
		*stripped = NULL;
	if (header == NULL)
		return COOKIE_ABSENT;

	buf_init(&keep);
	for (p = header;; p = sep + 1) {
		if ((sep = strchr(p, ';')) == NULL)
			sep = p + strlen(p);
		fs = p;
		fe = sep;
		cookie_trim(&fs, &fe);
		if (fs != fe) {
			eq = memchr(fs, '=', fe - fs);
			ns = fs;
			ne = eq;
			if (eq != NULL)
				cookie_trim(&ns, &ne);
			if (eq != NULL && (size_t)(ne - ns) == namelen &&
			    memcmp(ns, name, namelen) == 0) {
				count++;
				vs = eq + 1;
				ve = fe;
				cookie_trim(&vs, &ve);
			} else {
				if (keep.len != 0)
					buf_adds(&keep, "; ");
				buf_add(&keep, fs, fe - fs);
			}
		}
		if (*sep == '\0')
			break;
	}

	if (stripped != NULL && keep.len != 0)
		*stripped = buf_steal(&keep);
	buf_free(&keep);

	if (count == 0)
		return COOKIE_ABSENT;
	if (count > 1)
		return COOKIE_DUPLICATE;
	/* RFC 6265: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ) */
	if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
		vs++;
		ve--;
	}
	if ((size_t)(ve - vs) > COOKIE_MAX_VALUE)
		return COOKIE_OVERSIZED;
	if (!cookie_value_ok(vs, ve - vs))
		return COOKIE_INVALID;
	if (value != NULL)
		*value = xstrndup(vs, ve - vs);
	return COOKIE_FOUND;
}

/* RFC 1123 date for Expires, independent of the locale. */
void
cookie_http_date(time_t t, char *buf, size_t len)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 1970 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		/* Out of range for the format: clamp to either end. */
		snprintf(buf, len, "%s", t < 0 ?
		    "Thu, 01 Jan 1970 00:00:00 GMT" :
		    "Fri, 31 Dec 9999 23:59:59 GMT");
		return;
	}
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Fatal when a string would break out of the Set-Cookie header. */
static void
cookie_check_header(const char *what, const char *s)
{
	if (s != NULL && strpbrk(s, "\r\n;") != NULL)
		fatalx("%s: %s contains CR, LF or ';'", __func__, what);
}

/* Build a Set-Cookie header value (without "Set-Cookie: "); caller frees. */
char *
cookie_build(const struct cookie_attrs *a, const char *value)
{
	struct buf	 b;
	char		 date[64];
	time_t		 when;
	int		 secure = a->secure;

	if (value == NULL)
		value = "";
	cookie_check_header("cookie name", a->name);
	cookie_check_header("cookie value", value);
	cookie_check_header("cookie path", a->path);
	cookie_check_header("cookie domain", a->domain);

	buf_init(&b);
	buf_printf(&b, "%s=%s", a->name, value);
	if (a->path != NULL && *a->path != '\0')
		buf_printf(&b, "; Path=%s", a->path);
	if (a->domain != NULL && *a->domain != '\0')
		buf_printf(&b, "; Domain=%s", a->domain);
	if (a->max_age == 0)
		buf_adds(&b, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	else if (a->max_age > 0) {
		if (a->now > 0 && (time_t)a->max_age > (time_t)LONG_MAX - a->now)
			when = (time_t)LONG_MAX;
		else
			when = a->now + a->max_age;
		cookie_http_date(when, date, sizeof date);
		buf_printf(&b, "; Max-Age=%ld; Expires=%s", a->max_age, date);
	}
	/* Browsers drop SameSite=None cookies without Secure. */
	if (a->samesite == SAMESITE_NONE)
		secure = 1;
	if (secure)
		buf_adds(&b, "; Secure");
	if (a->httponly)
		buf_adds(&b, "; HttpOnly");
	switch (a->samesite) {
	case SAMESITE_STRICT:
		buf_adds(&b, "; SameSite=Strict");
		break;
	case SAMESITE_NONE:
		buf_adds(&b, "; SameSite=None");
		break;
	case SAMESITE_LAX:
	default:
		buf_adds(&b, "; SameSite=Lax");
		break;
	}
	return buf_steal(&b);
}
