/* Unit tests for lib/url.c: percent coding as Apache's mod_session writes it. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "../tests/test.h"

/* Decoding (bad escapes and %00 refused) and encoding, with its length. */
static void
test_url(void)
{
	static const struct {
		const char	*in;
		const char	*out;		/* NULL: refused */
	} dec[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "a+b", "a b" },
		{ "a%20b", "a b" },
		{ "%2B%2b%3d", "++=" },
		{ "%C3%A9", "\xc3\xa9" },
		{ "%", NULL },
		{ "%4", NULL },
		{ "%4g", NULL },
		{ "%00", NULL },
		{ "a%zzb", NULL },
	};
	static const char *const enc[] = {
		"", "abc", "a b", "~", "a b&c=d/\xc3\xa9.-_*~+%", "\x01\x7f\xff",
	};
	char		*out;
	size_t		 i;

	for (i = 0; i < sizeof dec / sizeof dec[0]; i++) {
		out = url_decode(dec[i].in, strlen(dec[i].in));
		CHECK_STR(out, dec[i].out);
		free(out);
	}
	out = url_decode("a%41bc", 4);
	CHECK_STR(out, "aA");
	free(out);

	out = url_encode("a b&c=d/\xc3\xa9.-_*~+%");
	CHECK_STR(out, "a+b%26c%3Dd%2F%C3%A9.-_*%7E%2B%25");
	free(out);
	out = url_encode("");
	CHECK_STR(out, "");
	free(out);

	for (i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		out = url_encode(enc[i]);
		CHECK(url_encoded_len(enc[i]) == strlen(out));
		free(out);
	}
}

int
main(void)
{
	test_url();
	return test_done("url");
}

