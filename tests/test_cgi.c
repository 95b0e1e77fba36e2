/* Unit tests for lib/cgi.c: header block end, header parsing and child environments. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdio.h>
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

/* The environment allow-list: variable, pass_env, passed or not. */
static const struct {
	const char	*name;
	const char	*pass_env;
	int		 allowed;
} allow_cases[] = {
	/* RFC 3875 and server extensions. */
	{ "QUERY_STRING", NULL, 1 },
	{ "REQUEST_METHOD", NULL, 1 },
	{ "CONTENT_LENGTH", NULL, 1 },
	{ "GATEWAY_INTERFACE", NULL, 1 },
	{ "REMOTE_USER", NULL, 1 },
	{ "SERVER_SOFTWARE", NULL, 1 },
	{ "SCRIPT_FILENAME", NULL, 1 },
	{ "DOCUMENT_ROOT", NULL, 1 },
	{ "REQUEST_URI", NULL, 1 },
	{ "REQUEST_SCHEME", NULL, 1 },
	{ "HTTPS", NULL, 1 },
	{ "SERVER_ADDR", NULL, 1 },
	{ "REMOTE_PORT", NULL, 1 },
	{ "REDIRECT_STATUS", NULL, 1 },
	{ "DOCUMENT_URI", NULL, 1 },
	{ "CONTEXT_PREFIX", NULL, 1 },
	{ "SERVER_SIGNATURE", NULL, 1 },
	{ "query_string", NULL, 0 },
	{ "QUERY_STRING_X", NULL, 0 },
	/* Headers. */
	{ "HTTP_HOST", NULL, 1 },
	{ "HTTP_USER_AGENT", NULL, 1 },
	{ "HTTP_X_FORWARDED_FOR", NULL, 1 },
	{ "HTTP_PROXY", NULL, 0 },
	{ "HTTP_PROXY", "HTTP_PROXY", 0 },
	{ "HTTP_PROXY_X", NULL, 1 },
	{ "HTTP_SESSION", NULL, 0 },
	{ "HTTP_COOKIE", NULL, 0 },
	{ "HTTP_", NULL, 0 },
	{ "HTTP_X-Y", NULL, 0 },
	{ "HTTP_A B", NULL, 0 },
	/* Not CGI: only through pass_env. */
	{ "PATH", NULL, 0 },
	{ "PATH", "PATH", 1 },
	{ "GIT_PROJECT_ROOT", NULL, 0 },
	{ "GIT_PROJECT_ROOT", "GIT_PROJECT_ROOT", 1 },
	{ "GIT_PROJECT_ROOT", "GIT_*", 1 },
	{ "GIT_HTTP_EXPORT_ALL", "CGIT_CONFIG  GIT_*", 1 },
	{ "GIT", "GIT_*", 0 },
	{ "GITWEB_CONFIG", "GIT_*", 0 },
	{ "CGIT_CONFIG", "\tCGIT_CONFIG GITWEB_CONFIG ", 1 },
	{ "CGIT_CONFI", "CGIT_CONFIG", 0 },
	{ "CGIT_CONFIGX", "CGIT_CONFIG", 0 },
	{ "UNNAMED", "NAMED", 0 },
	{ "TZ", "", 0 },
	/* Never, whatever pass_env says. */
	{ "LD_PRELOAD", NULL, 0 },
	{ "LD_PRELOAD", "LD_PRELOAD", 0 },
	{ "LD_LIBRARY_PATH", "LD_*", 0 },
	{ "LD_AUDIT", NULL, 0 },
	{ "BASH_ENV", "BASH_ENV", 0 },
	{ "BASH_FUNC_x%%", NULL, 0 },
	{ "BASH_FUNC_x", "BASH_FUNC_x", 0 },
	{ "ENV", "ENV", 0 },
	{ "PERL5OPT", "PERL5OPT", 0 },
	{ "PERL5LIB", "PERL5LIB", 0 },
	{ "PERLLIB", NULL, 0 },
	{ "PYTHONPATH", "PYTHONPATH", 0 },
	{ "PYTHONSTARTUP", "PYTHON*", 0 },
	{ "NODE_OPTIONS", "NODE_OPTIONS", 0 },
	{ "RUBYOPT", "RUBYOPT", 0 },
	{ "GCONV_PATH", "GCONV_PATH", 0 },
	{ "GLIBC_TUNABLES", "GLIBC_TUNABLES", 0 },
	{ "IFS", "IFS", 0 },
	{ "SHELLOPTS", "SHELLOPTS", 0 },
	{ "BASHOPTS", "BASHOPTS", 0 },
	{ "PS4", "PS4", 0 },
	{ "PHPRC", "PHPRC", 0 },
	{ "JAVA_TOOL_OPTIONS", "JAVA_TOOL_OPTIONS", 0 },
	{ "LUA_INIT_5_4", "LUA_INIT_5_4", 0 },
	{ "SSL_CERT_FILE", "SSL_CERT_FILE", 0 },
	{ "SSL_CLIENT_S_DN", "SSL_CLIENT_*", 1 },
	{ "SSL_CLIENT_S_DN", NULL, 0 },
	{ "SESSION", "SESSION", 0 },
	{ "SESSION_USER", "SESSION_USER", 0 },
	{ "SESSIONWRAP_CONF", "SESSIONWRAP_CONF", 0 },
	{ "", NULL, 0 },
};

/* pass_env values at configuration check: accepted (0) or refused (-1). */
static const struct {
	const char	*pass_env;
	int		 ret;
} pass_env_cases[] = {
	{ NULL, 0 },
	{ "", 0 },
	{ "   ", 0 },
	{ "GIT_PROJECT_ROOT GIT_HTTP_EXPORT_ALL", 0 },
	{ "GIT_* CGIT_CONFIG\tGITWEB_CONFIG", 0 },
	{ "PATH", 0 },
	{ "TZ LANG LC_*", 0 },
	{ "HTTP_X_CUSTOM", 0 },
	{ "LD_PRELOAD", -1 },
	{ "GIT_* LD_LIBRARY_PATH", -1 },
	{ "LD_*", -1 },
	{ "BASH_ENV", -1 },
	{ "ENV", -1 },
	{ "PERL5OPT", -1 },
	{ "PYTHONPATH", -1 },
	{ "PYTHON*", -1 },
	{ "NODE_OPTIONS", -1 },
	{ "SESSION_USER", -1 },
	{ "SESSION*", -1 },
	{ "HTTP_PROXY", -1 },
	{ "HTTP_COOKIE", -1 },
	{ "IFS", -1 },
	{ "GLIBC_TUNABLES", -1 },
	/* Prefixes that cover a forbidden name. */
	{ "*", -1 },
	{ "L*", -1 },
	{ "P*", -1 },
	{ "PERL*", -1 },
	{ "HTTP_*", -1 },
	{ "BASH*", -1 },
	{ "SSL_*", -1 },
	{ "SSL_CLIENT_*", 0 },
	/* Not names. */
	{ "GIT-DIR", -1 },
	{ "A=B", -1 },
	{ "GIT_*X", -1 },
	{ "**", -1 },
	{ "$HOME", -1 },
};

/* One filter for both daemons: what passes, what never does. */
static void
test_env_allowed(void)
{
	size_t	 i;
	char	*cause;
	int	 rc;

	for (i = 0; i < sizeof allow_cases / sizeof allow_cases[0]; i++) {
		rc = cgi_env_allowed(allow_cases[i].name,
		    strlen(allow_cases[i].name), allow_cases[i].pass_env);
		if (rc != allow_cases[i].allowed)
			fprintf(stderr, "allow case %zu (%s, %s): %d\n", i,
			    allow_cases[i].name, allow_cases[i].pass_env ?
			    allow_cases[i].pass_env : "-", rc);
		CHECK(rc == allow_cases[i].allowed);
	}
	/* The length is what counts, not a terminating NUL. */
	CHECK(cgi_env_allowed("QUERY_STRING=a", 12, NULL) == 1);
	CHECK(cgi_env_allowed("LD_PRELOAD=/x.so", 10, "LD_PRELOAD") == 0);
	CHECK(cgi_env_allowed("GIT_DIR=/x", 7, "GIT_DIR") == 1);

	for (i = 0; i < sizeof pass_env_cases / sizeof pass_env_cases[0]; i++) {
		cause = NULL;
		rc = cgi_pass_env_check(pass_env_cases[i].pass_env, &cause);
		if (rc != pass_env_cases[i].ret)
			fprintf(stderr, "pass_env case %zu (%s): %d %s\n", i,
			    pass_env_cases[i].pass_env ?
			    pass_env_cases[i].pass_env : "-", rc,
			    cause ? cause : "");
		CHECK(rc == pass_env_cases[i].ret);
		CHECK((rc == -1) == (cause != NULL));
		free(cause);
	}
}

int
main(void)
{
	test_header_end();
	test_parse();
	test_env();
	test_env_allowed();
	return test_done("cgi");
}
