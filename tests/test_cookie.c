/* Unit tests for lib/cookie.c: Cookie header parsing and Set-Cookie building. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/cookie.h"
#include "../tests/test.h"

#define NAME	"sessionwrap"

/* A value of n 'x' characters, or with quotes around it. */
static char *
test_long(const char *prefix, size_t n, const char *suffix)
{
	size_t	 plen = strlen(prefix), slen = strlen(suffix);
	char	*s;

	s = malloc(plen + n + slen + 1);
	memcpy(s, prefix, plen);
	memset(s + plen, 'x', n);
	memcpy(s + plen + n, suffix, slen + 1);
	return s;
}

/* Table of Cookie headers: result, value and stripped header. */
static void
test_find(void)
{
	static const struct {
		const char		*header;
		enum cookie_find	 result;
		const char		*value;
		const char		*stripped;
	} cases[] = {
		{ NULL, COOKIE_ABSENT, NULL, NULL },
		{ "", COOKIE_ABSENT, NULL, NULL },
		{ " ; ;", COOKIE_ABSENT, NULL, NULL },
		{ "a=1", COOKIE_ABSENT, NULL, "a=1" },
		{ "a=1; b=2", COOKIE_ABSENT, NULL, "a=1; b=2" },
		/* Only, first, middle, last. */
		{ "sessionwrap=abc", COOKIE_FOUND, "abc", NULL },
		{ "sessionwrap=abc; a=1; b=2", COOKIE_FOUND, "abc", "a=1; b=2" },
		{ "a=1; sessionwrap=abc; b=2", COOKIE_FOUND, "abc", "a=1; b=2" },
		{ "a=1; b=2; sessionwrap=abc", COOKIE_FOUND, "abc", "a=1; b=2" },
		/* Missing or extra whitespace. */
		{ "a=1;sessionwrap=abc;b=2", COOKIE_FOUND, "abc", "a=1; b=2" },
		{ "  a=1 ;\tsessionwrap = abc ;  b=2  ", COOKIE_FOUND, "abc",
		    "a=1; b=2" },
		{ "a=1; sessionwrap=abc;", COOKIE_FOUND, "abc", "a=1" },
		/* Other cookies stay verbatim, also odd ones. */
		{ "a=x=y; sessionwrap=abc; c=\"q r\"; d", COOKIE_FOUND, "abc",
		    "a=x=y; c=\"q r\"; d" },
		/* Quoted values. */
		{ "sessionwrap=\"abc\"", COOKIE_FOUND, "abc", NULL },
		{ "sessionwrap=\"\"", COOKIE_FOUND, "", NULL },
		{ "sessionwrap=\"", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=\"abc", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=", COOKIE_FOUND, "", NULL },
		/* Names that merely look like ours. */
		{ "sessionwrapx=1; xsessionwrap=2; sessionwra=3; Sessionwrap=4",
		    COOKIE_ABSENT, NULL,
		    "sessionwrapx=1; xsessionwrap=2; sessionwra=3; Sessionwrap=4" },
		{ "sessionwrapx=1; sessionwrap=abc", COOKIE_FOUND, "abc",
		    "sessionwrapx=1" },
		/* A pair without '=' is never ours. */
		{ "sessionwrap; a=1", COOKIE_ABSENT, NULL, "sessionwrap; a=1" },
		/* Duplicates: trust neither, strip both. */
		{ "sessionwrap=a; sessionwrap=b", COOKIE_DUPLICATE, NULL, NULL },
		{ "sessionwrap=a; x=1; sessionwrap=a", COOKIE_DUPLICATE, NULL,
		    "x=1" },
		/* Bad characters. */
		{ "sessionwrap=a b", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=a,b; x=1", COOKIE_INVALID, NULL, "x=1" },
		{ "sessionwrap=a\\b", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=a\"b", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=\"a b\"", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=\x01", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=\xc3\xa9", COOKIE_INVALID, NULL, NULL },
		{ "sessionwrap=AZaz09-_.~!#$%&'()*+/:<>?@[]^`{|}", COOKIE_FOUND,
		    "AZaz09-_.~!#$%&'()*+/:<>?@[]^`{|}", NULL },
	};
	enum cookie_find	 r;
	char			*value, *stripped;
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		value = stripped = (char *)"unset";
		r = cookie_find(cases[i].header, NAME, &value, &stripped);
		if (r != cases[i].result)
			fprintf(stderr, "case %zu: result %d\n", i, (int)r);
		CHECK(r == cases[i].result);
		CHECK_STR(value, cases[i].value);
		CHECK_STR(stripped, cases[i].stripped);
		free(value);
		free(stripped);

		/* The out arguments are optional. */
		r = cookie_find(cases[i].header, NAME, NULL, NULL);
		CHECK(r == cases[i].result);
	}
}

/* Values at and over COOKIE_MAX_VALUE. */
static void
test_find_size(void)
{
	char	*h, *value, *stripped;

	h = test_long("a=1; sessionwrap=", COOKIE_MAX_VALUE, "; b=2");
	CHECK(cookie_find(h, NAME, &value, &stripped) == COOKIE_FOUND);
	CHECK(value != NULL && strlen(value) == COOKIE_MAX_VALUE);
	CHECK_STR(stripped, "a=1; b=2");
	free(value);
	free(stripped);
	free(h);

	h = test_long("a=1; sessionwrap=", COOKIE_MAX_VALUE + 1, "; b=2");
	CHECK(cookie_find(h, NAME, &value, &stripped) == COOKIE_OVERSIZED);
	CHECK(value == NULL);
	CHECK_STR(stripped, "a=1; b=2");
	free(stripped);
	free(h);

	/* Quotes do not count. */
	h = test_long("sessionwrap=\"", COOKIE_MAX_VALUE, "\"");
	CHECK(cookie_find(h, NAME, &value, NULL) == COOKIE_FOUND);
	CHECK(value != NULL && strlen(value) == COOKIE_MAX_VALUE);
	free(value);
	free(h);

	/* Other large cookies are fine. */
	h = test_long("big=", 3 * COOKIE_MAX_VALUE, "");
	CHECK(cookie_find(h, NAME, &value, &stripped) == COOKIE_ABSENT);
	CHECK_STR(stripped, h);
	free(stripped);
	free(h);
}

/* Exact Set-Cookie strings. */
static void
test_build(void)
{
	static const struct {
		struct cookie_attrs	 a;
		const char		*value;
		const char		*want;
	} cases[] = {
		{ { NAME, "/", NULL, 0, 1, SAMESITE_LAX, -1, 0 }, "v",
		    "sessionwrap=v; Path=/; HttpOnly; SameSite=Lax" },
		{ { NAME, "/", NULL, 1, 1, SAMESITE_LAX, -1, 0 }, "v",
		    "sessionwrap=v; Path=/; Secure; HttpOnly; SameSite=Lax" },
		{ { NAME, "/app", "example.org", 1, 1, SAMESITE_STRICT, 3600,
		    1700000000 }, "abc",
		    "sessionwrap=abc; Path=/app; Domain=example.org; "
		    "Max-Age=3600; Expires=Tue, 14 Nov 2023 23:13:20 GMT; "
		    "Secure; HttpOnly; SameSite=Strict" },
		{ { NAME, "/", NULL, 1, 1, SAMESITE_LAX, 0, 1700000000 }, "",
		    "sessionwrap=; Path=/; Max-Age=0; "
		    "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; "
		    "SameSite=Lax" },
		{ { NAME, "/", NULL, 0, 1, SAMESITE_LAX, 0, 1700000000 }, NULL,
		    "sessionwrap=; Path=/; Max-Age=0; "
		    "Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
		    "SameSite=Lax" },
		/* SameSite=None forces Secure. */
		{ { NAME, "/", NULL, 0, 1, SAMESITE_NONE, -1, 0 }, "v",
		    "sessionwrap=v; Path=/; Secure; HttpOnly; SameSite=None" },
		{ { NAME, "/", NULL, 0, 0, SAMESITE_LAX, 1, 0 }, "v",
		    "sessionwrap=v; Path=/; Max-Age=1; "
		    "Expires=Thu, 01 Jan 1970 00:00:01 GMT; SameSite=Lax" },
		/* No path, empty domain. */
		{ { "s", NULL, "", 0, 0, SAMESITE_STRICT, -1, 0 }, "v",
		    "s=v; SameSite=Strict" },
		{ { NAME, "/", NULL, 0, 1, SAMESITE_LAX, 86400, 951782400 },
		    "v", "sessionwrap=v; Path=/; Max-Age=86400; "
		    "Expires=Wed, 01 Mar 2000 00:00:00 GMT; HttpOnly; "
		    "SameSite=Lax" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = cookie_build(&cases[i].a, cases[i].value);
		CHECK_STR(s, cases[i].want);
		free(s);
	}
}

/* RFC 1123 dates. */
static void
test_date(void)
{
	static const struct {
		time_t		 t;
		const char	*want;
	} cases[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951868800, "Wed, 01 Mar 2000 00:00:00 GMT" },
		{ 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT" },
		{ 4102444800, "Fri, 01 Jan 2100 00:00:00 GMT" },
		{ -1, "Thu, 01 Jan 1970 00:00:00 GMT" },
	};
	char	 buf[64];
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cookie_http_date(cases[i].t, buf, sizeof buf);
		CHECK_STR(buf, cases[i].want);
	}
}

/* cookie-octet set. */
static void
test_value_ok(void)
{
	CHECK(cookie_value_ok("", 0));
	CHECK(cookie_value_ok("abc-_.", 6));
	CHECK(!cookie_value_ok("a b", 3));
	CHECK(!cookie_value_ok("a;b", 3));
	CHECK(!cookie_value_ok("a,b", 3));
	CHECK(!cookie_value_ok("a\"b", 3));
	CHECK(!cookie_value_ok("a\\b", 3));
	CHECK(!cookie_value_ok("a\x7f", 2));
	CHECK(!cookie_value_ok("a\0b", 3));
	CHECK(cookie_value_ok("a\0b", 1));
}

int
main(void)
{
	test_find();
	test_find_size();
	test_build();
	test_date();
	test_value_ok();
	return test_done("cookie");
}
