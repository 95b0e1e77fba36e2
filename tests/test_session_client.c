/*
 * Unit tests for lib/session_client.c: cleaning what a client sent, the
 * login record's round trip through the stored form, refusal of hostile
 * records, and that no script operation sees or changes the record.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "session.h"
#include "xmalloc.h"
#include "../tests/test.h"

#define NOW	1700000000

/* session_client_clean: input, bound, what is kept. */
static const struct {
	const char	*in;
	size_t		 max;
	const char	*out;
} clean_cases[] = {
	{ "curl/8.5.0", 256, "curl/8.5.0" },
	{ "", 256, "" },
	{ "a\nb\rc\td", 256, "a?b?c?d" },
	{ "\x1b[31mred", 256, "?[31mred" },
	{ "del\x7f", 256, "del?" },
	{ "caf\xc3\xa9 \xe2\x82\xac", 256, "caf\xc3\xa9 \xe2\x82\xac" },
	/* C1 controls (U+0085 NEL, U+009B CSI) are controls too. */
	{ "x\xc2\x85y\xc2\x9bz", 256, "x?y?z" },
	/* Bytes that start no valid character, one '?' each. */
	{ "\xff\xfe", 256, "??" },
	{ "a\xc3", 256, "a?" },
	{ "\xc0\xaf", 256, "??" },		/* overlong '/' */
	{ "\xed\xa0\x80", 256, "???" },		/* surrogate */
	{ "\xf4\x90\x80\x80", 256, "????" },	/* past U+10FFFF */
	/* Cut at the bound, never inside a character. */
	{ "abcdef", 3, "abc" },
	{ "ab\xc3\xa9", 3, "ab" },
	{ "\xe2\x82\xac\xe2\x82\xac", 5, "\xe2\x82\xac" },
	{ "abc", 0, "" },
};

/* Records in the stored form that must be refused (the data member). */
static const char *const hostile_records[] = {
	"\"x\"",
	"[]",
	"{\"addr\":1}",
	"{\"ua\":null}",
	"{\"other\":\"x\"}",
	"{\"ua\":\"a\\nb\"}",
	"{\"ua\":\"a\\u0000b\"}",
	"{\"ua\":\"\\u0085\"}",
	"{\"addr\":\"\\u001b[2J\"}",
};

/* Clean cases, and that what clean makes is valid. */
static void
test_clean(void)
{
	size_t	 i;
	char	*out;

	for (i = 0; i < sizeof clean_cases / sizeof clean_cases[0]; i++) {
		out = session_client_clean(clean_cases[i].in,
		    clean_cases[i].max);
		CHECK_STR(out, clean_cases[i].out);
		CHECK(session_client_valid(out, strlen(out),
		    clean_cases[i].max));
		free(out);
	}
	CHECK(!session_client_valid("a\nb", 3, 256));
	CHECK(!session_client_valid("\xff", 1, 256));
	CHECK(!session_client_valid("abcd", 4, 3));
}

/* A huge user agent is cut to SESSION_CLIENT_UA_MAX; the address too. */
static void
test_huge(void)
{
	struct session	*s;
	const char	*addr, *ua;
	char		*big;

	big = xmalloc(100001);
	memset(big, 'A', 100000);
	big[100000] = '\0';
	s = session_new(NOW);
	session_client_set(s, big, big);
	session_client_get(s, &addr, &ua);
	CHECK(addr != NULL && strlen(addr) == SESSION_CLIENT_ADDR_MAX);
	CHECK(ua != NULL && strlen(ua) == SESSION_CLIENT_UA_MAX);
	CHECK(s->changed);
	session_free(s);
	free(big);
}

/* Set, then the cookie form and session_check keep it as it was. */
static void
test_round_trip(void)
{
	struct session	*s, *t;
	const char	*addr, *ua;
	char		*out, *cause = NULL;

	s = session_new(NOW);
	session_login(s, "alice", NOW);
	CHECK(s->logged_in);
	session_client_set(s, "2001:db8::1", "Mozilla/5.0 \xe2\x82\xac\n");
	session_client_get(s, &addr, &ua);
	CHECK_STR(addr, "2001:db8::1");
	CHECK_STR(ua, "Mozilla/5.0 \xe2\x82\xac?");
	CHECK(session_check(s, &cause) == 0);
	out = session_serialize(s);
	t = session_deserialize(out, strlen(out), &cause);
	CHECK(t != NULL);
	if (t != NULL) {
		session_client_get(t, &addr, &ua);
		CHECK_STR(addr, "2001:db8::1");
		CHECK_STR(ua, "Mozilla/5.0 \xe2\x82\xac?");
		CHECK(session_check(t, &cause) == 0);
		session_free(t);
	}
	free(out);
	/* Not sent: not recorded; a new login replaces the record. */
	session_client_set(s, NULL, "");
	session_client_get(s, &addr, &ua);
	CHECK(addr == NULL && ua == NULL);
	/* Logout drops it with the data. */
	session_client_set(s, "192.0.2.1", "x");
	session_logout(s, NOW);
	session_client_get(s, &addr, &ua);
	CHECK(addr == NULL && ua == NULL);
	session_free(s);
}

/* A stored session with a hostile record: refused by both checks. */
static void
test_hostile(void)
{
	struct session	*s, *t;
	json_error_t	 jerr;
	json_t		*rec;
	char		*text, *cause;
	size_t		 i;

	for (i = 0; i < sizeof hostile_records / sizeof hostile_records[0];
	    i++) {
		s = session_new(NOW);
		rec = json_loads(hostile_records[i], JSON_DECODE_ANY |
		    JSON_ALLOW_NUL, &jerr);
		CHECK(rec != NULL);
		json_object_set_new(s->data, SESSION_CLIENT_KEY, rec);
		cause = NULL;
		CHECK(session_check(s, &cause) == -1);
		free(cause);
		text = session_serialize(s);
		cause = NULL;
		t = session_deserialize(text, strlen(text), &cause);
		if (t != NULL)
			fprintf(stderr, "hostile record %zu accepted\n", i);
		CHECK(t == NULL && cause != NULL);
		session_free(t);
		free(cause);
		free(text);
		session_free(s);
	}
	/* Over the bound by one byte. */
	s = session_new(NOW);
	text = xmalloc(SESSION_CLIENT_UA_MAX + 2);
	memset(text, 'u', SESSION_CLIENT_UA_MAX + 1);
	text[SESSION_CLIENT_UA_MAX + 1] = '\0';
	rec = json_pack("{s:s}", "ua", text);
	json_object_set_new(s->data, SESSION_CLIENT_KEY, rec);
	cause = NULL;
	CHECK(session_check(s, &cause) == -1);
	free(cause);
	text[SESSION_CLIENT_UA_MAX] = '\0';
	json_object_set_new(rec, "ua", json_string(text));
	cause = NULL;
	CHECK(session_check(s, &cause) == 0);
	free(text);
	session_free(s);
}

/* Apply one header to a session. */
static void
apply(struct session *s, const char *name, const char *value)
{
	struct session_op	 op;
	char			*cause = NULL;

	CHECK(session_op_parse(name, value, NULL, &op, &cause) == 1);
	free(cause);
	session_apply(s, &op, NOW);
	session_op_clear(&op);
}

/* No script operation sees or changes the record. */
static void
test_script(void)
{
	struct session	*s;
	const char	*addr, *ua;
	char		*json;

	s = session_new(NOW);
	session_login(s, "alice", NOW);
	apply(s, "X-Session-Set", "k=v");
	session_client_set(s, "192.0.2.7", "UA");
	s->changed = 0;

	json = session_data_json(s);
	CHECK_STR(json, "{\"k\":\"v\"}");
	free(json);
	CHECK(session_env_max(s, 1, NULL) == sizeof "SESSION={\"k\":\"v\"}");

	apply(s, "X-Session-Patch", "{\"" SESSION_CLIENT_KEY "\":{\"addr\":"
	    "\"6.6.6.6\",\"ua\":\"spoof\"}}");
	apply(s, "X-Session-Patch", "{\"" SESSION_CLIENT_KEY "\":null}");
	apply(s, "X-Session-Set", SESSION_CLIENT_KEY "=x");
	apply(s, "X-Session-Unset", SESSION_CLIENT_KEY);
	apply(s, "X-Replace-Session", SESSION_CLIENT_KEY "=x&k=w");
	apply(s, "X-Replace-Session", SESSION_CLIENT_KEY "=");
	session_client_get(s, &addr, &ua);
	CHECK_STR(addr, "192.0.2.7");
	CHECK_STR(ua, "UA");
	json = session_data_json(s);
	CHECK_STR(json, "{\"k\":\"w\"}");
	free(json);
	/* Only the k=w change counted. */
	CHECK(s->changed);
	session_free(s);

	/* A script cannot make one in an anonymous session either. */
	s = session_new(NOW);
	apply(s, "X-Session-Patch", "{\"" SESSION_CLIENT_KEY "\":{}}");
	CHECK(json_object_get(s->data, SESSION_CLIENT_KEY) == NULL);
	CHECK(!s->changed);
	CHECK(session_empty(s));
	session_free(s);

	/* The record alone does not make a session worth storing. */
	s = session_new(NOW);
	session_client_set(s, "192.0.2.7", NULL);
	CHECK(session_empty(s));
	session_free(s);
}

int
main(void)
{
	test_clean();
	test_huge();
	test_round_trip();
	test_hostile();
	test_script();
	return test_done("test_session_client");
}
