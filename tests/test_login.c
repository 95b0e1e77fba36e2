/*
 * Unit tests for sessionwrap-login: the form parser, the `next` checker,
 * the page's escaping, htpasswd checks in every format htpasswd writes,
 * and the failure counters.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>

#include "config.h"
#include "counter.h"
#include "../src/login.h"
#include "../tests/test.h"

/* Strict parsing: what each body gives, or that it is refused. */
static void
test_form(void)
{
	static const struct {
		const char	*body;
		int		 ok;
		const char	*user, *password, *next;
		int		 logout;
	} t[] = {
		{ "user=bob&password=x&next=%2Fa", 1, "bob", "x", "/a", 0 },
		{ "password=p+q&user=a%20b", 1, "a b", "p q", NULL, 0 },
		{ "", 1, NULL, NULL, NULL, 0 },
		{ "logout=1&next=/", 1, NULL, NULL, "/", 1 },
		{ "user=bob&submit=Log+in", 1, "bob", NULL, NULL, 0 },
		{ "user=&password=", 1, "", "", NULL, 0 },
		{ "password=p%C3%A4ss%E2%82%AC", 1, NULL, "p\xc3\xa4ss\xe2\x82\xac",
		  NULL, 0 },
		{ "password=a%00b", 0, NULL, NULL, NULL, 0 },
		{ "user=a%00", 0, NULL, NULL, NULL, 0 },
		{ "password=%ff%fe", 0, NULL, NULL, NULL, 0 },
		{ "password=%C0%AF", 0, NULL, NULL, NULL, 0 },
		{ "user=a%0ab", 0, NULL, NULL, NULL, 0 },
		{ "user=a%3ab", 0, NULL, NULL, NULL, 0 },
		{ "user=a&user=b", 0, NULL, NULL, NULL, 0 },
		{ "user=a&&password=b", 0, NULL, NULL, NULL, 0 },
		{ "user", 0, NULL, NULL, NULL, 0 },
		{ "=x", 0, NULL, NULL, NULL, 0 },
		{ "user=a&", 0, NULL, NULL, NULL, 0 },
		{ "user=%", 0, NULL, NULL, NULL, 0 },
		{ "user=%4", 0, NULL, NULL, NULL, 0 },
		{ "user=%zz", 0, NULL, NULL, NULL, 0 },
	};
	struct login_form	 f;
	const char		*why;
	char			*big;
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		rv = login_form_parse(t[i].body, strlen(t[i].body), &f, &why);
		CHECK(rv == (t[i].ok ? 0 : -1));
		if (rv == 0) {
			CHECK_STR(f.user, t[i].user);
			CHECK_STR(f.password, t[i].password);
			CHECK_STR(f.next, t[i].next);
			CHECK(f.logout == t[i].logout);
		} else
			CHECK(f.user == NULL && f.password == NULL);
		login_form_free(&f);
	}
	/* A NUL byte in the raw body, and the size limits. */
	CHECK(login_form_parse("user=a\0b", 8, &f, &why) == -1);
	big = malloc(LOGIN_MAX_BODY + 2);
	memcpy(big, "user=", 5);
	memset(big + 5, 'a', LOGIN_MAX_BODY - 4);
	big[LOGIN_MAX_BODY + 1] = '\0';
	CHECK(login_form_parse(big, LOGIN_MAX_BODY + 1, &f, &why) == -1);
	big[5 + LOGIN_MAX_USER + 1] = '\0';
	CHECK(login_form_parse(big, strlen(big), &f, &why) == -1);
	big[5 + LOGIN_MAX_USER] = '\0';
	CHECK(login_form_parse(big, strlen(big), &f, &why) == 0);
	login_form_free(&f);
	free(big);
}

/* Local paths only: every open-redirect trick falls back to "/". */
static void
test_next(void)
{
	static const struct {
		const char	*next;
		int		 ok;
	} t[] = {
		{ "/", 1 },
		{ "/cgi-bin/gitweb.cgi", 1 },
		{ "/cgit/repo.git/log/?h=main&q=a%2Fb", 1 },
		{ "/a%20b", 1 },
		{ "/p?next=//evil", 1 },
		{ "/a#frag", 1 },
		{ "", 0 },
		{ "evil", 0 },
		{ "//evil", 0 },
		{ "///evil", 0 },
		{ "https://evil", 0 },
		{ "http:/evil", 0 },
		{ "javascript:alert(1)", 0 },
		{ "/\\evil", 0 },
		{ "\\\\evil", 0 },
		{ "/a\\b", 0 },
		{ "/a?b=\\", 0 },
		{ "/\t/evil", 0 },
		{ "/\n/evil", 0 },
		{ "/\r\nSet-Cookie: a=b", 0 },
		{ "/ /evil", 0 },
		{ "/\x7f", 0 },
		{ "/\xc3\xa9", 0 },
		{ "%2f%2fevil", 0 },
		{ "/%2f/evil", 0 },
		{ "/%2F%2Fevil", 0 },
		{ "/%5cevil", 0 },
		{ "/%5Cevil", 0 },
		{ "/%252f%252fevil", 0 },
		{ "/%09/evil", 0 },
		{ "/%0d%0aSet-Cookie:a=b", 0 },
		{ "/%1f", 0 },
		{ "/%7f", 0 },
		{ "/%", 0 },
		{ "/%2", 0 },
		{ " /a", 0 },
	};
	size_t	 i;
	char	*longp;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (login_next_ok(t[i].next) != t[i].ok)
			fprintf(stderr, "next case %zu: \"%s\"\n", i, t[i].next);
		CHECK(login_next_ok(t[i].next) == t[i].ok);
		CHECK_STR(login_next(t[i].next), t[i].ok ? t[i].next : "/");
	}
	CHECK(login_next_ok(NULL) == 0);
	CHECK_STR(login_next(NULL), "/");
	longp = malloc(LOGIN_MAX_NEXT + 2);
	memset(longp, 'a', LOGIN_MAX_NEXT + 1);
	longp[0] = '/';
	longp[LOGIN_MAX_NEXT + 1] = '\0';
	CHECK(login_next_ok(longp) == 0);
	longp[LOGIN_MAX_NEXT] = '\0';
	CHECK(login_next_ok(longp) == 1);
	free(longp);
}

/* What the page inserts is escaped; the built-in page is accessible. */
static void
test_page(void)
{
	struct login_page	 pg = {
		.action = "/login.cgi",
		.next = "/a?b=1&c=\"2\"",
		.user = "<script>'x'</script>",
		.message = "Wrong & bad",
	};
	char			*p;

	p = login_page_escape("<a href=\"x\">&'</a>");
	CHECK_STR(p, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
	free(p);
	p = login_page_render(NULL, &pg);
	CHECK(strstr(p, "<script>") == NULL);
	CHECK(strstr(p, "value=\"&lt;script&gt;&#39;x&#39;&lt;/script&gt;\"") !=
	    NULL);
	CHECK(strstr(p, "value=\"/a?b=1&amp;c=&quot;2&quot;\"") != NULL);
	CHECK(strstr(p, "Wrong &amp; bad") != NULL);
	CHECK(strstr(p, "<label for=\"user\">") != NULL);
	CHECK(strstr(p, "<label for=\"password\">") != NULL);
	CHECK(strstr(p, "autocomplete=\"current-password\"") != NULL);
	CHECK(strstr(p, "autocomplete=\"username\"") != NULL);
	CHECK(strstr(p, "Log out") == NULL);
	free(p);
	pg.logged_in = "<b>";
	p = login_page_render("[{{user}}|{{next}}|{{nope}}|{{status}}]{{", &pg);
	CHECK(strncmp(p, "[&lt;script&gt;&#39;x&#39;&lt;/script&gt;|"
	    "/a?b=1&amp;c=&quot;2&quot;|{{nope}}|<form", 76) == 0);
	CHECK(strstr(p, "<strong id=\"logged-in\">&lt;b&gt;</strong>") != NULL);
	CHECK(strcmp(p + strlen(p) - 3, "]{{") == 0);
	free(p);
}

/* Lines written by Debian's htpasswd (-B, -m, -s, -d) and odd lines. */
static const char test_htpasswd[] =
    "bob:$2y$05$2LyjFFlw4Ld84nbD3AhJUOnGELg/tJOXL/PcPdq7C/yqdBao9r0NK\n"
    "amy:$apr1$TL6w6n1g$vkd.gN1cJjPJ4KUG9X.XI.\r\n"
    "sam:{SHA}rWB6YbPgZfuhRoSeTuSDu28RqH8=\n"
    "# a comment\n"
    "\n"
    "cid:r7lsFK41pfl/c\n"
    "uli:$2y$05$VZgaB/pbZ4Oh5c5R/bhNxOzCYhy.suzyqf4lLImcMoU2GOa62xNtC\n"
    "empty:\n"
    "plain:secret\n";

/* Every format checks; wrong and unknown answer the same. */
static void
test_auth(void)
{
	static const struct {
		const char	*user, *password;
		enum login_auth	 want;
	} t[] = {
		{ "bob", "bcrypt pw", LOGIN_AUTH_OK },
		{ "bob", "bcrypt PW", LOGIN_AUTH_FAIL },
		{ "bob", "", LOGIN_AUTH_FAIL },
		{ "amy", "apr1-pw", LOGIN_AUTH_OK },
		{ "amy", "apr1-pw ", LOGIN_AUTH_FAIL },
		{ "sam", "sha:pw", LOGIN_AUTH_OK },
		{ "sam", "sha", LOGIN_AUTH_FAIL },
		{ "cid", "crypt8", LOGIN_AUTH_OK },
		{ "cid", "crypt", LOGIN_AUTH_FAIL },
		{ "uli", "p\xc3\xa4ss\xe2\x82\xac", LOGIN_AUTH_OK },
		{ "uli", "pa\xcc\x88ss\xe2\x82\xac", LOGIN_AUTH_FAIL },	/* NFD */
		{ "uli", "p\xc3\xa4ss", LOGIN_AUTH_FAIL },
		{ "empty", "", LOGIN_AUTH_FAIL },
		{ "empty", "x", LOGIN_AUTH_FAIL },
		{ "plain", "secret", LOGIN_AUTH_FAIL },	/* not a hash */
		{ "nobody", "bcrypt pw", LOGIN_AUTH_FAIL },
		{ "Bob", "bcrypt pw", LOGIN_AUTH_FAIL },
		{ "# a comment", "", LOGIN_AUTH_FAIL },
	};
	char	 path[] = "/tmp/test_login.XXXXXX", *cause = NULL;
	FILE	*f;
	size_t	 i;
	int	 fd;

	fd = mkstemp(path);
	CHECK(fd != -1);
	f = fdopen(fd, "w");
	fputs(test_htpasswd, f);
	fclose(f);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (login_auth_check(path, t[i].user, t[i].password, &cause) !=
		    t[i].want)
			fprintf(stderr, "auth case %zu: %s\n", i, t[i].user);
		CHECK(login_auth_check(path, t[i].user, t[i].password,
		    &cause) == t[i].want);
	}
	unlink(path);
	CHECK(login_auth_check(path, "bob", "bcrypt pw", &cause) ==
	    LOGIN_AUTH_ERROR);
	CHECK(cause != NULL && strstr(cause, path) != NULL);
	free(cause);
}

/* The policy over a counter backend: 5 per user, 20 per address. */
static void
test_throttle_on(struct counter *c, time_t now)
{
	char	*cause = NULL, u[16];
	int	 i;

	for (i = 0; i < LOGIN_MAX_PER_USER; i++)
		CHECK(login_throttle_begin(c, "bob", "10.0.0.1", now,
		    &cause) == LOGIN_THROTTLE_OK);
	CHECK(login_throttle_begin(c, "bob", "10.0.0.1", now, &cause) ==
	    LOGIN_THROTTLE_REFUSE);
	CHECK(login_throttle_begin(c, "bob", "10.0.0.2", now, &cause) ==
	    LOGIN_THROTTLE_REFUSE);
	/* Another user, even from the same address, is not locked out. */
	CHECK(login_throttle_begin(c, "amy", "10.0.0.1", now, &cause) ==
	    LOGIN_THROTTLE_OK);
	CHECK(login_throttle_success(c, "amy", "10.0.0.1", now, &cause) == 0);
	/* One address trying many users. */
	for (i = 0; i < LOGIN_MAX_PER_ADDR; i++) {
		snprintf(u, sizeof u, "u%d", i);
		CHECK(login_throttle_begin(c, u, "10.0.0.9", now, &cause) ==
		    LOGIN_THROTTLE_OK);
	}
	CHECK(login_throttle_begin(c, "new", "10.0.0.9", now, &cause) ==
	    LOGIN_THROTTLE_REFUSE);
	CHECK(login_throttle_begin(c, "new2", "10.0.0.8", now, &cause) ==
	    LOGIN_THROTTLE_OK);
	/* A success gives the user a clean slate. */
	for (i = 0; i < LOGIN_MAX_PER_USER - 1; i++)
		CHECK(login_throttle_begin(c, "cid", "10.0.1.1", now,
		    &cause) == LOGIN_THROTTLE_OK);
	CHECK(login_throttle_success(c, "cid", "10.0.1.1", now, &cause) == 0);
	for (i = 0; i < LOGIN_MAX_PER_USER; i++)
		CHECK(login_throttle_begin(c, "cid", "10.0.1.1", now,
		    &cause) == LOGIN_THROTTLE_OK);
	CHECK(login_throttle_begin(c, "cid", "10.0.1.1", now, &cause) ==
	    LOGIN_THROTTLE_REFUSE);
	free(cause);
}

/* The file backend: the policy, the window's end, counts never below 0. */
static void
test_throttle(void)
{
	struct config	 cfg;
	struct counter	*c;
	char		 path[] = "/tmp/test_login_t.XXXXXX", *cause = NULL;
	char		 key[COUNTER_KEY_LEN + 1];
	long		 v = -1;
	time_t		 now = 1000000;
	int		 fd;

	fd = mkstemp(path);
	CHECK(fd != -1);
	close(fd);
	config_init(&cfg);
	CHECK(config_set(&cfg, "login_throttle_file", path, &cause) == 0);
	c = counter_open(&cfg, &cause);
	CHECK(c != NULL && strcmp(counter_name(c), "file") == 0);
	test_throttle_on(c, now);
	/* The window passes. */
	CHECK(login_throttle_begin(c, "bob", "10.0.0.1", now + LOGIN_WINDOW,
	    &cause) == LOGIN_THROTTLE_OK);
	memset(key, 'a', COUNTER_KEY_LEN);
	key[COUNTER_KEY_LEN] = '\0';
	CHECK(counter_add(c, key, -3, 60, now, &v, &cause) == 0 && v == 0);
	CHECK(counter_add(c, key, 2, 60, now, &v, &cause) == 0 && v == 2);
	CHECK(counter_add(c, key, 1, 60, now + 59, &v, &cause) == 0 && v == 3);
	CHECK(counter_add(c, key, 1, 60, now + 60, &v, &cause) == 0 && v == 1);
	CHECK(counter_remove(c, key, now + 60, &cause) == 0);
	CHECK(counter_add(c, key, 0, 60, now + 60, &v, &cause) == 0 && v == 0);
	counter_close(c);
	unlink(path);
	config_free(&cfg);
	/* The file cannot be made. */
	config_init(&cfg);
	CHECK(config_set(&cfg, "login_throttle_file", "/nonexistent/dir/f",
	    &cause) == 0);
	c = counter_open(&cfg, &cause);
	CHECK(c != NULL);
	CHECK(login_throttle_begin(c, "a", "b", now, &cause) ==
	    LOGIN_THROTTLE_ERROR);
	CHECK(cause != NULL && strstr(cause, "/nonexistent/dir/f") != NULL);
	free(cause);
	counter_close(c);
	config_free(&cfg);
}

/* A server backend's counts: a decrement stops at 0, a removal forgets. */
static void
test_throttle_floor(struct counter *c, time_t now)
{
	char	 key[COUNTER_KEY_LEN + 1], *cause = NULL;
	long	 v = -1;

	memset(key, 'b', COUNTER_KEY_LEN);
	key[COUNTER_KEY_LEN] = '\0';
	CHECK(counter_remove(c, key, now, &cause) == 0);
	CHECK(counter_add(c, key, -3, 60, now, &v, &cause) == 0 && v == 0);
	CHECK(counter_add(c, key, 2, 60, now, &v, &cause) == 0 && v == 2);
	CHECK(counter_add(c, key, 1, 60, now, &v, &cause) == 0 && v == 3);
	CHECK(counter_add(c, key, -5, 60, now, &v, &cause) == 0 && v == 0);
	CHECK(counter_remove(c, key, now, &cause) == 0);
	CHECK(counter_add(c, key, 1, 60, now, &v, &cause) == 0 && v == 1);
	CHECK(counter_remove(c, key, now, &cause) == 0);
	free(cause);
}

/*
 * With SW_TEST_COUNTER_STORE (a memcached://, postgresql:// or redis://
 * store, set by tests/integration/login_stores.sh), the policy on that
 * backend, and counts that never go below 0.
 */
static void
test_throttle_store(void)
{
	const char	*store = getenv("SW_TEST_COUNTER_STORE");
	struct config	 cfg;
	struct counter	*c;
	char		*cause = NULL;

	if (store == NULL || *store == '\0')
		return;
	config_init(&cfg);
	CHECK(config_set(&cfg, "store", store, &cause) == 0);
	c = counter_open(&cfg, &cause);
	if (c == NULL)
		fprintf(stderr, "counter_open %s: %s\n", store, cause);
	CHECK(c != NULL && strcmp(counter_name(c), "file") != 0);
	if (c != NULL) {
		test_throttle_on(c, time(NULL));
		test_throttle_floor(c, time(NULL));
	}
	counter_close(c);
	config_free(&cfg);
	free(cause);
}

int
main(void)
{
	apr_initialize();
	test_form();
	test_next();
	test_page();
	test_auth();
	test_throttle();
	test_throttle_store();
	apr_terminate();
	return test_done("test_login");
}
