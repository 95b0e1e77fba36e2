/* Unit tests for lib/num.c: the checked number parser. */
#include "autoconf.h"

#include <limits.h>
#include <string.h>

#include "num.h"
#include "../tests/test.h"

/* Digits only, within range, with the reason for each refusal. */
static void
test_num(void)
{
	static const struct {
		const char	*in;
		int		 base;
		long long	 min, max;
		int		 ok;
		long long	 out;
		const char	*why;
	} cases[] = {
		{ "0", 10, 0, 10, 1, 0, NULL },
		{ "10", 10, 0, 10, 1, 10, NULL },
		{ "11", 10, 0, 10, 0, 0, "too large" },
		{ "-1", 10, 0, 10, 0, 0, "invalid" },	/* no sign when min >= 0 */
		{ "-1", 10, -5, 10, 1, -1, NULL },
		{ "-6", 10, -5, 10, 0, 0, "too small" },
		{ "-", 10, -5, 10, 0, 0, "invalid" },
		{ "", 10, 0, 10, 0, 0, "invalid" },
		{ " 1", 10, 0, 10, 0, 0, "invalid" },
		{ "1 ", 10, 0, 10, 0, 0, "invalid" },
		{ "+1", 10, 0, 10, 0, 0, "invalid" },
		{ "1x", 10, 0, 10, 0, 0, "invalid" },
		{ "0x10", 16, 0, 100, 0, 0, "invalid" },
		{ "ff", 16, 0, 255, 1, 255, NULL },
		{ "FF", 16, 0, 255, 1, 255, NULL },
		{ "fg", 16, 0, 255, 0, 0, "invalid" },
		{ "0660", 8, 0, 0777, 1, 0660, NULL },
		{ "0668", 8, 0, 0777, 0, 0, "invalid" },
		{ "9223372036854775807", 10, 0, LLONG_MAX, 1, LLONG_MAX, NULL },
		{ "9223372036854775808", 10, 0, LLONG_MAX, 0, 0, "too large" },
		{ "99999999999999999999", 10, 0, 65535, 0, 0, "too large" },
		{ "-99999999999999999999", 10, LLONG_MIN, 0, 0, 0, "too small" },
	};
	const char	*why;
	long long	 v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = 12345;
		why = NULL;
		rc = num_parse(cases[i].in, cases[i].base, cases[i].min,
		    cases[i].max, &v, &why);
		CHECK((rc == 0) == cases[i].ok);
		if (cases[i].ok)
			CHECK(v == cases[i].out);
		else {
			CHECK(v == 12345);
			CHECK(why != NULL && strcmp(why, cases[i].why) == 0);
		}
	}
	CHECK(num_parse("7", 10, 0, 9, &v, NULL) == 0 && v == 7);
	CHECK(num_parse("x", 10, 0, 9, &v, NULL) == -1);
}

int
main(void)
{
	test_num();
	return test_done("num");
}
