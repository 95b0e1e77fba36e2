/* Unit tests for lib/cgi.c: header block end, header parsing and child environments. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "xmalloc.h"
#include "../tests/test.h"

/* Where the header block ends in what a script wrote. */
static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	ssize_t		 end;
} end_cases[] = {
	{ "", 0, 0 },
	{ "Content-Type: text/plain", 0, 0 },
	{ "Content-Type: text/plain\n", 0, 0 },
	{ "Content-Type: text/plain\r\n", 0, 0 },
	{ "Content-Type: text/plain\r\n\r", 0, 0 },
	{ "Content-Type: text/plain\n\nbody", 0, 26 },
	{ "Content-Type: text/plain\r\n\r\nbody", 0, 28 },
	{ "Content-Type: text/plain\r\n\nbody", 0, 27 },
	{ "Content-Type: text/plain\n\r\nbody", 0, 27 },
	{ "A: b\nC: d\n\n", 0, 11 },
	{ "A: b\r\nC: d\r\n\r\n\r\n\r\n", 0, 14 },
	{ "\nbody", 0, 1 },
	{ "\r\nbody", 0, 2 },
	{ "A: b\n\nbody\0with NUL", 19, 6 },
	{ "A: \0b\n\n", 7, -1 },
	{ "A: b\0", 5, -1 },
	{ "\0", 1, -1 },
};

/* Header blocks: whether they parse, and how many headers they give. */
static const struct {
	const char	*in;
	int		 ret;
	size_t		 n;
} parse_cases[] = {
	{ "Content-Type: text/html\n\n", 0, 1 },
	{ "Content-Type: text/html\r\n\r\n", 0, 1 },
	{ "Content-Type: text/html", 0, 1 },
	{ "Location: /x\r\n\r\n", 0, 1 },
	{ "Status: 204\r\n\r\n", 0, 1 },
	{ "Status: 404 Not Found\nContent-Type: text/plain\n\n", 0, 2 },
	{ "Status: 599 x\n\n", 0, 1 },
	{ "Status: 100\n\n", 0, 1 },
	{ "content-type:text/html\n\n", 0, 1 },
	{ "Content-Type: text/html\nX-A: \n\n", 0, 2 },
	{ "Content-Type: text/html\nX-!#$%&'*+-.^_`|~: v\n\n", 0, 2 },
	{ "Content-Type: a\nSet-Cookie: a=1\nSet-Cookie: b=2\n\n", 0, 3 },
	{ "Content-Type: a\nX: \xc3\xa9\n\n", 0, 2 },
	{ "\n", -1, 0 },
	{ "", -1, 0 },
	{ "X-Foo: bar\n\n", -1, 0 },
	{ "Content-Type text/html\n\n", -1, 0 },
	{ "Content-Type: a\nNoColon\n\n", -1, 0 },
	{ ": value\nContent-Type: a\n\n", -1, 0 },
	{ "Content Type: a\n\n", -1, 0 },
	{ "Content-Type : a\n\n", -1, 0 },
	{ "Content-Type: a\nX(y): b\n\n", -1, 0 },
	{ "Content-Type: a\nX-\xc3\xa9: b\n\n", -1, 0 },
	{ "Content-Type: a\n folded\n\n", -1, 0 },
	{ "Content-Type: a\n\tfolded\n\n", -1, 0 },
	{ " Content-Type: a\n\n", -1, 0 },
	{ "Content-Type: a\rX-Evil: 1\n\n", -1, 0 },
	{ "Content-Type: a\nX: b\rc\r\n\r\n", -1, 0 },
	{ "Content-Type: a\nX: b\x01\n\n", -1, 0 },
	{ "Content-Type: a\nX: b\x7f\n\n", -1, 0 },
	{ "Status: 20\n\n", -1, 0 },
	{ "Status: 2000\n\n", -1, 0 },
	{ "Status: 600\n\n", -1, 0 },
	{ "Status: 099\n\n", -1, 0 },
	{ "Status: abc\n\n", -1, 0 },
	{ "Status: 200OK\n\n", -1, 0 },
	{ "Status: \n\n", -1, 0 },
	{ "Status: 200\nStatus: 302\nLocation: /\n\n", -1, 0 },
};

/* The end of the header block in every case above. */
static void
test_header_end(void)
{
	size_t	 i, len, n;
	char	*big;

	for (i = 0; i < sizeof end_cases / sizeof end_cases[0]; i++) {
		len = end_cases[i].len ? end_cases[i].len :
		    strlen(end_cases[i].in);
		if (cgi_header_end(end_cases[i].in, len) != end_cases[i].end)
			fprintf(stderr, "end case %zu: got %zd\n", i,
			    cgi_header_end(end_cases[i].in, len));
		CHECK(cgi_header_end(end_cases[i].in, len) == end_cases[i].end);
	}

	/* 1 MB of header lines and no end: incomplete, the caller caps it. */
	n = 1024 * 1024;
	big = xmalloc(n);
	for (i = 0; i + 16 <= n; i += 16)
		memcpy(big + i, "X-Filler: 12345\n", 16);
	CHECK(cgi_header_end(big, n) == 0);
	/* Same with CRLF. */
	for (i = 0; i + 16 <= n; i += 16)
		memcpy(big + i, "X-Filler: 1234\r\n", 16);
	CHECK(cgi_header_end(big, n) == 0);
	big[n - 2] = '\r';
	big[n - 1] = '\n';
	memcpy(big + n - 4, "\r\n\r\n", 4);
	CHECK(cgi_header_end(big, n) == (ssize_t)n);
	free(big);
}

/* Parsing every block in the table. */
static void
test_parse(void)
{
	const char		*block = "Content-Type:  text/html; "
				    "charset=utf-8 \t\r\nSet-Cookie: a=1\r\n"
				    "X-Session-Set: k=v\r\nset-cookie: b=2\r\n"
				    "Status: 302 Found\r\n\r\n"
				    "body: not a header\r\n";
	struct cgi_headers	 h;
	char			*cause;
	size_t			 i;
	int			 ret;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		cgi_headers_init(&h);
		cause = NULL;
		ret = cgi_parse_headers(parse_cases[i].in,
		    strlen(parse_cases[i].in), &h, &cause);
		if (ret != parse_cases[i].ret)
			fprintf(stderr, "parse case %zu: got %d (%s)\n", i, ret,
			    cause ? cause : "");
		CHECK(ret == parse_cases[i].ret);
		CHECK(h.n == parse_cases[i].n);
		CHECK(ret == 0 ? cause == NULL : cause != NULL);
		free(cause);
		cgi_headers_free(&h);
	}

	/* Values trimmed, names kept as written, repeats kept in order. */
	cgi_headers_init(&h);
	CHECK(cgi_parse_headers(block, strlen(block), &h, &cause) == 0);
	CHECK(h.n == 5);
	if (h.n == 5) {
		CHECK_STR(h.v[0].name, "Content-Type");
		CHECK_STR(h.v[0].value, "text/html; charset=utf-8");
		CHECK_STR(h.v[1].value, "a=1");
		CHECK_STR(h.v[2].name, "X-Session-Set");
		CHECK_STR(h.v[3].name, "set-cookie");
		CHECK_STR(h.v[3].value, "b=2");
		CHECK_STR(h.v[4].value, "302 Found");
	}
	CHECK_STR(cgi_headers_get(&h, "SET-COOKIE"), "a=1");
	CHECK_STR(cgi_headers_get(&h, "status"), "302 Found");
	CHECK(cgi_headers_get(&h, "Location") == NULL);

	/* A failed parse leaves what was there before. */
	cause = NULL;
	CHECK(cgi_parse_headers("X-A: 1\nX-B: 2\nbad\n\n", 19, &h,
	    &cause) == -1);
	CHECK_STR(cause, "header line without colon");
	CHECK(h.n == 5);
	free(cause);
	cause = NULL;
	CHECK(cgi_parse_headers("X-A: 1\n\n", 8, &h, &cause) == 0);
	CHECK(h.n == 6);
	cgi_headers_free(&h);

	cgi_headers_init(&h);
	cause = NULL;
	CHECK(cgi_parse_headers("X-A: 1\n\n", 8, &h, &cause) == -1);
	CHECK_STR(cause, "no Content-Type, Location or Status");
	free(cause);
	cgi_headers_free(&h);

	/* An embedded NUL inside the block is refused by the parser too. */
	cgi_headers_init(&h);
	cause = NULL;
	CHECK(cgi_parse_headers("Content-Type: a\0b\n\n", 19, &h, &cause) == -1);
	free(cause);
	cgi_headers_free(&h);
}

/* Building a child environment. */
static void
test_env(void)
{
	struct cgi_env	 env;
	char		*vars[] = { "PATH=/bin", "BROKEN", "=nameless",
			    "EMPTY=", "EQ=a=b", "PATH=/usr/bin", NULL };
	char		**a;
	size_t		 i;

	cgi_env_init(&env);
	a = cgi_env_array(&env);
	CHECK(a != NULL && a[0] == NULL);
	CHECK(cgi_env_get(&env, "PATH") == NULL);

	cgi_env_add_all(&env, vars);
	CHECK(env.n == 3);
	CHECK_STR(cgi_env_get(&env, "PATH"), "/usr/bin");
	CHECK_STR(cgi_env_get(&env, "EMPTY"), "");
	CHECK_STR(cgi_env_get(&env, "EQ"), "a=b");
	CHECK(cgi_env_get(&env, "BROKEN") == NULL);
	CHECK(cgi_env_get(&env, "PAT") == NULL);
	CHECK(cgi_env_get(&env, "") == NULL);

	cgi_env_set(&env, "SESSION", "{}");
	cgi_env_set(&env, "SESSION_ID", "x");
	cgi_env_set(&env, "SESSION", "{\"a\":1}");
	CHECK(env.n == 5);
	CHECK_STR(cgi_env_get(&env, "SESSION"), "{\"a\":1}");
	CHECK_STR(cgi_env_get(&env, "SESSION_ID"), "x");
	cgi_env_set(&env, "BAD=NAME", "v");
	cgi_env_set(&env, "", "v");
	CHECK(env.n == 5);

	cgi_env_unset(&env, "SESSION");
	cgi_env_unset(&env, "NOT_THERE");
	CHECK(env.n == 4);
	CHECK(cgi_env_get(&env, "SESSION") == NULL);
	CHECK_STR(cgi_env_get(&env, "SESSION_ID"), "x");

	for (i = 0; i < 200; i++) {
		char name[32];

		snprintf(name, sizeof name, "HTTP_X_%zu", i);
		cgi_env_set(&env, name, "v");
	}
	a = cgi_env_array(&env);
	for (i = 0; a[i] != NULL; i++)
		CHECK(strchr(a[i], '=') != NULL);
	CHECK(i == env.n && i == 204);
	CHECK_STR(a[0], "PATH=/usr/bin");
	cgi_env_free(&env);
	CHECK(env.v == NULL && env.n == 0);
}

int
main(void)
{
	test_header_end();
	test_parse();
	test_env();
	return test_done("cgi");
}
