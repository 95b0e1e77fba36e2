/* Percent coding of application/x-www-form-urlencoded (mod_session's form). */
#ifndef SW_URL_H
#define SW_URL_H

#include <stddef.h>

/*
 * Percent-decoding of application/x-www-form-urlencoded; NULL on a bad escape
 * or %00. Encoding is Apache's (space as '+'). Caller frees.
 */
char		*url_decode(const char *, size_t);
char		*url_encode(const char *);
/* The value of one %XX hex digit; -1 when it is not one. */
int		 url_hex(char);
/* Length of url_encode()'s result, without the NUL, without building it. */
size_t		 url_encoded_len(const char *);

#endif
