/* Checked number parsing: the one home for turning text into integers. */
#ifndef SW_NUM_H
#define SW_NUM_H

/*
 * Parse all of s as a number in base 8, 10 or 16 within [min, max], in the
 * manner of OpenBSD's strtonum: digits only, a leading '-' only when min is
 * negative; no space, '+', "0x" or trailing bytes. 0 and *out, or -1 and
 * *errstr set to "invalid", "too small" or "too large" (errstr may be NULL).
 */
int	 num_parse(const char *s, int base, long long min, long long max,
	    long long *out, const char **errstr);

#endif
