/* The one checked number parser (strtonum-style), for every caller. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "num.h"

/* True when c is a digit of base (8, 10 or 16). */
static int
num_digit(char c, int base)
{
	if (c >= '0' && c <= '9')
		return c - '0' < base;
	return base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

/* See num.h. */
int
num_parse(const char *s, int base, long long min, long long max,
    long long *out, const char **errstr)
{
	const char	*p = s, *why = "invalid";
	char		*end;
	long long	 v;

	if (*p == '-' && min < 0)
		p++;
	if (*p == '\0')
		goto fail;
	for (; *p != '\0'; p++)
		if (!num_digit(*p, base))
			goto fail;
	errno = 0;
	v = strtoll(s, &end, base);
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		why = "too small";
		goto fail;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		why = "too large";
		goto fail;
	}
	*out = v;
	return 0;
fail:
	if (errstr != NULL)
		*errstr = why;
	return -1;
}
