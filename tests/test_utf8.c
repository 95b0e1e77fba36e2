/* Unit tests for lib/utf8.c: the strict UTF-8 validator. */
#include "autoconf.h"

#include <stddef.h>

#include "utf8.h"
#include "../tests/test.h"

/* Well-formed sequences accepted; overlongs, surrogates, truncation refused. */
static void
test_utf8(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 valid;
	} cases[] = {
		{ "", 0, 1 },
		{ "plain", 5, 1 },
		{ "\xc3\xa9", 2, 1 },
		{ "\xe2\x82\xac", 3, 1 },
		{ "\xf0\x9f\x98\x80", 4, 1 },
		{ "\xf4\x8f\xbf\xbf", 4, 1 },
		{ "\xf4\x90\x80\x80", 4, 0 },	/* > U+10FFFF */
		{ "\xc3", 1, 0 },
		{ "\xc0\x80", 2, 0 },		/* overlong NUL */
		{ "\xe0\x80\xaf", 3, 0 },	/* overlong */
		{ "\xed\xbf\xbf", 3, 0 },	/* surrogate */
		{ "\x80", 1, 0 },
		{ "\xfe", 1, 0 },
		{ "\xe2\x82", 2, 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK((utf8_valid(cases[i].in, cases[i].len) != 0) ==
		    cases[i].valid);
}

int
main(void)
{
	test_utf8();
	return test_done("utf8");
}
