/* Percent coding of application/x-www-form-urlencoded, as Apache writes it. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "xmalloc.h"

/* True for the bytes url_encode keeps as they are: [A-Za-z0-9.*_-]. */
static int
url_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '*' || c == '_' ||
	    c == '-';
}

/* Decode one %XX hex digit; -1 when it is not one. */
int
url_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding of application/x-www-form-urlencoded ('+' is a space);
 * NULL for a malformed escape or an encoded NUL byte. Caller frees.
 */
char *
url_decode(const char *s, size_t len)
{
	char	*out, *d;
	size_t	 i;
	int	 hi, lo;

	out = d = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			*d++ = ' ';
		else if (s[i] != '%')
			*d++ = s[i];
		else {
			if (len - i < 3 || (hi = url_hex(s[i + 1])) == -1 ||
			    (lo = url_hex(s[i + 2])) == -1 ||
			    (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*d++ = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	*d = '\0';
	return out;
}

/* Encode like apr_escape_urlencoded: keep [A-Za-z0-9.*_-], space as '+'. */
char *
url_encode(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *d;

	out = d = xreallocarray(NULL, strlen(s) + 1, 3);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (url_safe(*p))
			*d++ = (char)*p;
		else if (*p == ' ')
			*d++ = '+';
		else {
			*d++ = '%';
			*d++ = hex[*p >> 4];
			*d++ = hex[*p & 15];
		}
	}
	*d = '\0';
	return out;
}

/* X-Session-Patch: a JSON object, not too deep, as a merge patch. */

/* Length of url_encode(s), without the NUL. */
size_t
url_encoded_len(const char *s)
{
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += url_safe(*p) || *p == ' ' ? 1 : 3;
	return n;
}
