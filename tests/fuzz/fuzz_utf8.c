/*
 * The checks that guard WebSocket text and close reasons: utf8_valid
 * against an independent table-driven check (Unicode 15, table 3-7) and
 * jansson's own validator, and wsctl_valid_id against a direct reading of
 * its contract. Any disagreement aborts.
 */
#include "autoconf.h"

#include <jansson.h>

#include "fuzz.h"
#include "utf8.h"
#include "wsctl.h"

FUZZ_INIT_QUIET

/* Well-formed UTF-8 by the table of byte ranges, not by decoding. */
static int
fuzz_utf8_table(const uint8_t *s, size_t len)
{
	static const struct {
		uint8_t	 lo[4], hi[4];
		size_t	 n;
	} rows[] = {
		{ { 0x00 }, { 0x7f }, 1 },
		{ { 0xc2, 0x80 }, { 0xdf, 0xbf }, 2 },
		{ { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf }, 3 },
		{ { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf }, 3 },
		{ { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf }, 3 },
		{ { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf }, 3 },
		{ { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf }, 4 },
	};
	size_t	 i = 0, r, k;

	while (i < len) {
		for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
			if (len - i < rows[r].n)
				continue;
			for (k = 0; k < rows[r].n; k++) {
				if (s[i + k] < rows[r].lo[k] ||
				    s[i + k] > rows[r].hi[k])
					break;
			}
			if (k == rows[r].n)
				break;
		}
		if (r == sizeof rows / sizeof rows[0])
			return 0;
		i += rows[r].n;
	}
	return 1;
}

/* 1 to WSCTL_MAX_ID characters of the base64url alphabet. */
static int
fuzz_id(const char *s)
{
	size_t	 len = strlen(s);

	return len >= 1 && len <= WSCTL_MAX_ID &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == len;
}

/* One byte string per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*j;
	char	*s;
	int	 ours, ref, jansson;

	ours = utf8_valid(data, size) != 0;
	ref = fuzz_utf8_table(data, size);
	j = json_stringn((const char *)data, size);
	jansson = j != NULL;
	json_decref(j);
	if (ours != ref || ours != jansson)
		fprintf(stderr, "utf8: ours %d, table %d, jansson %d\n", ours,
		    ref, jansson);
	FUZZ_ASSERT(ours == ref);
	FUZZ_ASSERT(ref == jansson);

	s = fuzz_cstr(data, size);
	FUZZ_ASSERT((wsctl_valid_id(s) != 0) == fuzz_id(s));
	free(s);
	return 0;
}
