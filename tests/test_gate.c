/* Unit tests for src/gate.c and src/csrf.c: paths, answers, cross-origin refusal. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "config.h"
#include "../src/gate.h"
#include "../tests/test.h"

/* A request's parameters: NAME=value strings, NULL-terminated. */
static const char *
fake_getenv(void *ctx, const char *name)
{
	const char	**e;
	size_t		  len = strlen(name);

	for (e = ctx; *e != NULL; e++) {
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	}
	return NULL;
}

/* Normalisation: input, decode, expected (NULL: refused). */
static void
test_normalise(void)
{
	static const struct {
		const char	*in;
		int		 decode;
		const char	*out;
	} t[] = {
		{ "/", 1, "/" },
		{ "/cgi/gitweb.cgi", 1, "/cgi/gitweb.cgi" },
		{ "/cgi//gitweb.cgi", 1, "/cgi/gitweb.cgi" },
		{ "//cgi///gitweb.cgi", 1, "/cgi/gitweb.cgi" },
		{ "/cgi/./gitweb.cgi", 1, "/cgi/gitweb.cgi" },
		{ "/cgi/../cgi/x", 1, "/cgi/x" },
		{ "/pub/../cgi/x", 1, "/cgi/x" },
		{ "/cgi/%2e/x", 1, "/cgi/x" },
		{ "/pub/%2e%2e/cgi/x", 1, "/cgi/x" },
		{ "/pub/%2E%2E%2Fcgi/x", 1, "/cgi/x" },
		{ "/cgi%2fgitweb.cgi", 1, "/cgi/gitweb.cgi" },
		{ "/cgi%2Fgitweb.cgi", 1, "/cgi/gitweb.cgi" },
		{ "/%63gi/x", 1, "/cgi/x" },
		{ "/cgi%2fgitweb.cgi", 0, "/cgi%2fgitweb.cgi" },
		{ "/a/b/..", 1, "/a/" },
		{ "/a/b/.", 1, "/a/b/" },
		{ "/a/", 1, "/a/" },
		{ "/a/..", 1, "/" },
		{ "/...", 1, "/..." },
		{ "/.x/..y", 1, "/.x/..y" },
		{ "/..", 1, NULL },
		{ "/a/../..", 1, NULL },
		{ "/%2e%2e/etc", 1, NULL },
		{ "cgi/x", 1, NULL },
		{ "", 1, NULL },
		{ "/a%00b", 1, NULL },
		{ "/a%zz", 1, NULL },
		{ "/a%2", 1, NULL },
		{ "/a%", 1, NULL },
		{ "/a%25", 1, "/a%" },
		{ "/a b", 1, "/a b" },
	};
	size_t	 i;
	char	*out;
	int	 rc;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		out = NULL;
		rc = gate_path_normalise(t[i].in, strlen(t[i].in), t[i].decode,
		    &out);
		if (t[i].out == NULL)
			CHECK(rc == -1);
		else {
			CHECK(rc == 0);
			CHECK_STR(out, t[i].out);
		}
		free(out);
	}
}

/* Prefix lists: list, path, expected. */
static void
test_prefix(void)
{
	static const struct {
		const char	*list;
		const char	*path;
		int		 match;
	} t[] = {
		{ "/", "/", 1 },
		{ "/", "/anything", 1 },
		{ "/cgi/", "/cgi/x", 1 },
		{ "/cgi/", "/cgi", 1 },
		{ "/cgi/", "/CGI/x", 1 },
		{ "/cgi/", "/cgi-bin/x", 0 },
		{ "/cgi", "/cgi-bin/x", 1 },
		{ "/cgi/", "/pub/x", 0 },
		{ "/a/ /b/", "/b/x", 1 },
		{ "  /a/\t/b/  ", "/b/x", 1 },
		{ "/a/ /b/", "/c/x", 0 },
		{ "", "/a", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		CHECK(gate_prefix_match(t[i].list, t[i].path) == t[i].match);
}

/* Which requests are protected (login_required /cgi/, login_url /cgi/login.sh). */
static void
test_protected(void)
{
	static const struct {
		const char	*env[5];
		int		 cgi;
		int		 prot;
	} t[] = {
		{ { "REQUEST_URI=/cgi/gitweb.cgi", NULL }, 0, 1 },
		{ { "REQUEST_URI=/pub/x", NULL }, 0, 0 },
		{ { "REQUEST_URI=/pub/x", "SCRIPT_NAME=/cgi/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi/x", "SCRIPT_NAME=/pub/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi//gitweb.cgi", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi/./gitweb.cgi", NULL }, 0, 1 },
		{ { "REQUEST_URI=/pub/../cgi/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/pub/%2e%2e/cgi/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/%63gi/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/CGI/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi/login.sh?next=%2F", NULL }, 0, 0 },
		{ { "REQUEST_URI=/cgi/login.sh", "SCRIPT_NAME=/cgi/login.sh",
		    NULL }, 0, 0 },
		{ { "REQUEST_URI=/cgi//login.sh", NULL }, 0, 0 },
		{ { "REQUEST_URI=/cgi/LOGIN.sh", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi/login.sh/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi/login.sh", "SCRIPT_NAME=/cgi/login.sh",
		    "PATH_INFO=/../gitweb.cgi", NULL }, 0, 1 },
		{ { "REQUEST_URI=/cgi/login.sh/../gitweb.cgi", NULL }, 0, 1 },
		{ { "REQUEST_URI=/%2e%2e/cgi/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=/pub/%00", NULL }, 0, 1 },
		{ { "REQUEST_URI=http://h/cgi/x", NULL }, 0, 1 },
		{ { "REQUEST_URI=http://h/pub/x", NULL }, 0, 0 },
		{ { "REQUEST_URI=*", NULL }, 0, 1 },
		{ { "SCRIPT_NAME=/pub/x", NULL }, 0, 0 },
		{ { "SCRIPT_NAME=/pub/x", "PATH_INFO=/y", NULL }, 0, 0 },
		{ { "SCRIPT_NAME=/cgi/x", NULL }, 0, 1 },
		{ { "SCRIPT_NAME=/pub", "PATH_INFO=/../cgi/x", NULL }, 0, 1 },
		{ { NULL }, 0, 1 },
		/* Apache's Action, as CGI: the target is PATH_INFO. */
		{ { "REQUEST_URI=/cgi/login.sh", "SCRIPT_NAME=/sw/sessionwrap",
		    "PATH_INFO=/cgi/login.sh", "REDIRECT_STATUS=200",
		    "PATH_TRANSLATED=/w/cgi/login.sh" }, 1, 0 },
		{ { "REQUEST_URI=/pub/x", "SCRIPT_NAME=/sw/sessionwrap",
		    "PATH_INFO=/cgi/x", "REDIRECT_STATUS=200",
		    "PATH_TRANSLATED=/w/cgi/x" }, 1, 1 },
	};
	struct config	 cfg;
	size_t		 i;

	config_init(&cfg);
	CHECK(gate_protected(&cfg, fake_getenv, (void *)t[0].env, 0) == 0);
	config_set(&cfg, "login_required", "/cgi/", NULL);
	config_set(&cfg, "login_url", "/cgi/login.sh", NULL);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (gate_protected(&cfg, fake_getenv, (void *)t[i].env,
		    t[i].cgi) != t[i].prot)
			fprintf(stderr, "case %zu\n", i);
		CHECK(gate_protected(&cfg, fake_getenv, (void *)t[i].env,
		    t[i].cgi) == t[i].prot);
	}
	config_free(&cfg);
}

/* next= values: what the request was, what next says. */
static void
test_next(void)
{
	static const struct {
		const char	*env[4];
		const char	*next;
	} t[] = {
		{ { "REQUEST_URI=/cgi/x", NULL }, "%2Fcgi%2Fx" },
		{ { "REQUEST_URI=/cgi/x?a=1&b=2", NULL },
		    "%2Fcgi%2Fx%3Fa%3D1%26b%3D2" },
		{ { "REQUEST_URI=//evil.example/x", NULL }, "%2Fevil.example%2Fx" },
		{ { "REQUEST_URI=/%2fevil.example", NULL }, "%2Fevil.example" },
		{ { "REQUEST_URI=/%5cevil.example", NULL }, "%2F%255Cevil.example" },
		{ { "REQUEST_URI=/a%3fb?c", NULL }, "%2Fa%253Fb%3Fc" },
		{ { "REQUEST_URI=http://evil.example/x", NULL }, "%2Fx" },
		{ { "REQUEST_URI=/..", NULL }, "%2F" },
		{ { "SCRIPT_NAME=/cgi/x", "PATH_INFO=/y", "QUERY_STRING=q=1",
		    NULL }, "%2Fcgi%2Fx%2Fy%3Fq%3D1" },
		{ { NULL }, "%2F" },
	};
	size_t	 i;
	char	*n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		n = gate_next(fake_getenv, (void *)t[i].env);
		CHECK_STR(n, t[i].next);
		free(n);
	}
}

/* The gate's answers per role, logged in or not. */
static void
test_answer(void)
{
	static const struct {
		enum gate_role	 role;
		const char	*env[4];
		const char	*user;
		const char	*has;	/* NULL: no answer (go on) */
		const char	*hasnot;
	} t[] = {
		{ GATE_RESPONDER, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/cgi/x?a=1", NULL }, NULL,
		    "Status: 302 Found\r\nLocation: /cgi/login.sh?next="
		    "%2Fcgi%2Fx%3Fa%3D1\r\n", NULL },
		{ GATE_RESPONDER, { "REQUEST_METHOD=HEAD",
		    "REQUEST_URI=/cgi/x", NULL }, NULL, "Status: 302", NULL },
		{ GATE_RESPONDER, { "REQUEST_METHOD=POST",
		    "REQUEST_URI=/cgi/x", NULL }, NULL, "Status: 401", "\nLocation:" },
		{ GATE_RESPONDER, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/cgi/x", NULL }, "alice", NULL, NULL },
		{ GATE_AUTHORIZER, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/p/f", NULL }, "alice", "Status: 200 OK\r\n"
		    "Variable-REMOTE_USER: alice\r\n", NULL },
		{ GATE_AUTHORIZER, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/p/f", NULL }, NULL, "Status: 302", NULL },
		{ GATE_AUTHORIZER, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/p/f", "FCGI_APACHE_ROLE=AUTHENTICATOR", NULL },
		    NULL, "Status: 302", NULL },
		{ GATE_AUTH_REQUEST, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/p/f", NULL }, "alice", "Status: 200 OK\r\n"
		    "X-Remote-User: alice\r\n", NULL },
		{ GATE_AUTH_REQUEST, { "REQUEST_METHOD=GET",
		    "REQUEST_URI=/p/f", NULL }, NULL, "Status: 401 Unauthorized"
		    "\r\nX-Login-Location: /cgi/login.sh?next=%2Fp%2Ff\r\n",
		    "\nLocation:" },
	};
	struct config	 cfg;
	size_t		 i;
	char		*a;

	config_init(&cfg);
	config_set(&cfg, "login_required", "/cgi/", NULL);
	config_set(&cfg, "login_url", "/cgi/login.sh", NULL);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		a = gate_answer(&cfg, fake_getenv, (void *)t[i].env, t[i].role,
		    t[i].user, NULL);
		if (t[i].has == NULL)
			CHECK(a == NULL);
		else {
			CHECK(a != NULL && strstr(a, t[i].has) != NULL);
			CHECK(a != NULL && (t[i].hasnot == NULL ||
			    strstr(a, t[i].hasnot) == NULL));
		}
		free(a);
	}
	/* A passed access check carries the refreshed cookie. */
	a = gate_answer(&cfg, fake_getenv, (void *)t[4].env, GATE_AUTHORIZER,
	    "alice", "sessionwrap=v; Path=/");
	CHECK(a != NULL && strstr(a, "\r\nSet-Cookie: sessionwrap=v; Path=/"
	    "\r\n\r\n") != NULL);
	free(a);
	a = gate_answer(&cfg, fake_getenv, (void *)t[7].env, GATE_AUTH_REQUEST,
	    "alice", "sessionwrap=v");
	CHECK(a != NULL && strstr(a, "\r\nSet-Cookie: sessionwrap=v\r\n") !=
	    NULL);
	free(a);
	/* Without login_url: 401 for a GET too. */
	config_set(&cfg, "login_url", "", NULL);
	a = gate_answer(&cfg, fake_getenv, (void *)t[0].env, GATE_RESPONDER,
	    NULL, NULL);
	CHECK(a != NULL && strncmp(a, "Status: 401", 11) == 0);
	free(a);
	/* A login_url with a query of its own takes next= after '&'. */
	config_set(&cfg, "login_url", "/login?realm=git", NULL);
	a = gate_answer(&cfg, fake_getenv, (void *)t[0].env, GATE_RESPONDER,
	    NULL, NULL);
	CHECK(a != NULL && strstr(a, "Location: /login?realm=git&next=") !=
	    NULL);
	free(a);
	config_free(&cfg);
}

/* Roles come from FCGI_ROLE and SESSIONWRAP_ROLE only. */
static void
test_role(void)
{
	const char	*a[] = { "FCGI_ROLE=AUTHORIZER", NULL };
	const char	*r[] = { "FCGI_ROLE=RESPONDER", NULL };
	const char	*n[] = { "SESSIONWRAP_ROLE=auth_request", NULL };
	const char	*h[] = { "HTTP_SESSIONWRAP_ROLE=auth_request",
			    "HTTP_FCGI_ROLE=AUTHORIZER", NULL };

	CHECK(gate_role(fake_getenv, a) == GATE_AUTHORIZER);
	CHECK(gate_role(fake_getenv, r) == GATE_RESPONDER);
	CHECK(gate_role(fake_getenv, n) == GATE_AUTH_REQUEST);
	CHECK(gate_role(fake_getenv, h) == GATE_RESPONDER);
}

/* REMOTE_USER: ours unless the server authenticated; client headers dropped. */
static void
test_remote_user(void)
{
	const char	*none[] = { NULL };
	const char	*srv[] = { "REMOTE_USER=bob", "AUTH_TYPE=Basic", NULL };
	const char	*empty[] = { "REMOTE_USER=", NULL };
	struct config	 cfg;
	struct cgi_env	 env;

	config_init(&cfg);
	CHECK(cfg.remote_user == 1);
	cgi_env_init(&env);
	cgi_env_set(&env, "HTTP_REMOTE_USER", "mallory");
	cgi_env_set(&env, "HTTP_X_REMOTE_USER", "mallory");
	gate_remote_user(&env, &cfg, fake_getenv, none, "alice");
	CHECK_STR(cgi_env_get(&env, "REMOTE_USER"), "alice");
	CHECK_STR(cgi_env_get(&env, "AUTH_TYPE"), "Session");
	CHECK(cgi_env_get(&env, "HTTP_REMOTE_USER") == NULL);
	CHECK(cgi_env_get(&env, "HTTP_X_REMOTE_USER") == NULL);
	cgi_env_free(&env);

	cgi_env_init(&env);
	cgi_env_set(&env, "REMOTE_USER", "bob");
	gate_remote_user(&env, &cfg, fake_getenv, srv, "alice");
	CHECK_STR(cgi_env_get(&env, "REMOTE_USER"), "bob");
	CHECK(cgi_env_get(&env, "AUTH_TYPE") == NULL);
	cgi_env_free(&env);

	cgi_env_init(&env);
	gate_remote_user(&env, &cfg, fake_getenv, empty, "alice");
	CHECK_STR(cgi_env_get(&env, "REMOTE_USER"), "alice");
	cgi_env_free(&env);

	cgi_env_init(&env);
	gate_remote_user(&env, &cfg, fake_getenv, none, NULL);
	CHECK(cgi_env_get(&env, "REMOTE_USER") == NULL);
	cgi_env_free(&env);

	config_set(&cfg, "remote_user", "off", NULL);
	cgi_env_init(&env);
	gate_remote_user(&env, &cfg, fake_getenv, none, "alice");
	CHECK(cgi_env_get(&env, "REMOTE_USER") == NULL);
	cgi_env_free(&env);
	config_free(&cfg);
}

/* Cross-origin: Go's CrossOriginProtection cases, and ours. */
static void
test_csrf(void)
{
	static const struct {
		const char	*env[6];
		int		 status;
	} t[] = {
		{ { "REQUEST_METHOD=GET", "HTTP_SEC_FETCH_SITE=cross-site",
		    NULL }, 0 },
		{ { "REQUEST_METHOD=HEAD", "HTTP_ORIGIN=https://evil", NULL }, 0 },
		{ { "REQUEST_METHOD=OPTIONS", "HTTP_ORIGIN=https://evil",
		    NULL }, 0 },
		{ { "REQUEST_METHOD=POST", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app:8080", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_SEC_FETCH_SITE=same-origin",
		    "HTTP_ORIGIN=https://evil", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_SEC_FETCH_SITE=none", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_SEC_FETCH_SITE=cross-site",
		    NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_SEC_FETCH_SITE=same-site",
		    "HTTP_HOST=app:8080", "HTTP_ORIGIN=http://app:8080", NULL },
		    403 },
		{ { "REQUEST_METHOD=PUT", "HTTP_SEC_FETCH_SITE=bogus", NULL },
		    403 },
		{ { "REQUEST_METHOD=POST", "HTTP_SEC_FETCH_SITE=cross-site",
		    "HTTP_ORIGIN=https://trusted.example", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app:8080",
		    "HTTP_ORIGIN=http://app:8080", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=App:8080",
		    "HTTP_ORIGIN=http://app:8080", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app:8080",
		    "HTTP_ORIGIN=http://app:8081", NULL }, 403 },
		{ { "REQUEST_METHOD=DELETE", "HTTP_HOST=app",
		    "HTTP_ORIGIN=http://evil", NULL }, 403 },
		{ { "REQUEST_METHOD=PATCH", "HTTP_HOST=app",
		    "HTTP_ORIGIN=null", NULL }, 403 },
		{ { "REQUEST_METHOD=PROPFIND", "HTTP_HOST=app",
		    "HTTP_ORIGIN=http://evil", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_ORIGIN=http://app", NULL }, 403 },
		/* Host without its port (Debian's nginx): SERVER_PORT's. */
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app", "SERVER_PORT=8080",
		    "HTTP_ORIGIN=http://app:8080", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app", "SERVER_PORT=8080",
		    "HTTP_ORIGIN=https://app", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app", "SERVER_PORT=80",
		    "HTTP_ORIGIN=http://app:8081", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app", "HTTP_ORIGIN=http://"
		    "app:8081", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app", "SERVER_PORT=8080",
		    "HTTP_ORIGIN=http://ap:8080", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app:80", "SERVER_PORT=80",
		    "HTTP_ORIGIN=http://app:8080", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=[::1]", "SERVER_PORT=8080",
		    "HTTP_ORIGIN=http://[::1]:8080", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=[::1]:8080",
		    "HTTP_ORIGIN=http://[::1]:8080", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=[::1]", "SERVER_PORT=1",
		    "HTTP_ORIGIN=http://[::1]:8080", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app",
		    "HTTP_ORIGIN=http://x@app", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app",
		    "HTTP_ORIGIN=https://trusted.example", NULL }, 0 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app",
		    "HTTP_ORIGIN=https://trusted.example.evil", NULL }, 403 },
		{ { "REQUEST_METHOD=POST", "HTTP_HOST=app",
		    "HTTP_ORIGIN=app", NULL }, 403 },
	};
	struct config	 cfg;
	size_t		 i;

	config_init(&cfg);
	CHECK(cfg.csrf == 1);
	config_set(&cfg, "csrf_trusted_origins", "https://trusted.example",
	    NULL);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (csrf_check(&cfg, fake_getenv, (void *)t[i].env) !=
		    t[i].status)
			fprintf(stderr, "csrf case %zu\n", i);
		CHECK(csrf_check(&cfg, fake_getenv, (void *)t[i].env) ==
		    t[i].status);
	}
	config_set(&cfg, "csrf", "off", NULL);
	CHECK(csrf_check(&cfg, fake_getenv, (void *)t[7].env) == 0);
	config_free(&cfg);
}

/* The keys' checks: bad prefixes, login_url, origins. */
static void
test_config(void)
{
	static const struct {
		const char	*key;
		const char	*value;
		int		 rc;
	} t[] = {
		{ "login_required", "/ /cgi/", 0 },
		{ "login_required", "cgi/", -1 },
		{ "login_required", "/a *", -1 },
		{ "login_url", "/login", 0 },
		{ "login_url", "https://sso.example/login", 0 },
		{ "login_url", "login", -1 },
		{ "login_url", "/lo\rgin", -1 },
		{ "login_url", "/lo gin", -1 },
		{ "csrf_trusted_origins", "https://a.example http://b:8080", 0 },
		{ "csrf_trusted_origins", "https://a.example/path", -1 },
		{ "csrf_trusted_origins", "a.example", -1 },
		{ "csrf_trusted_origins", "null", -1 },
	};
	struct config	 cfg;
	size_t		 i;
	char		*cause;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		config_init(&cfg);
		cause = NULL;
		CHECK(config_set(&cfg, t[i].key, t[i].value, &cause) == 0);
		CHECK(gate_config_check(&cfg, &cause) == t[i].rc);
		if (t[i].rc == -1)
			free(cause);
		config_free(&cfg);
	}
}

int
main(void)
{
	test_normalise();
	test_prefix();
	test_protected();
	test_next();
	test_answer();
	test_role();
	test_remote_user();
	test_csrf();
	test_config();
	return test_done("gate");
}
