/* The one strict UTF-8 validator: WebSocket text, close reasons, session data. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

/* Strict UTF-8 check (RFC 3629). */
int
utf8_valid(const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i = 0, need, k;
	uint32_t		 cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}
