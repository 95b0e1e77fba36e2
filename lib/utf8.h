/* Strict UTF-8 validation (RFC 3629). */
#ifndef SW_UTF8_H
#define SW_UTF8_H

#include <stddef.h>

/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int	 utf8_valid(const void *, size_t);

#endif
