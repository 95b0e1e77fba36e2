/* Unit tests for lib/session_aiohttp.c: aiohttp-session's JSON both ways. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/config.h"
#include "../lib/log.h"
#include "../lib/session.h"
#include "../lib/session_aiohttp.h"
#include "../lib/xmalloc.h"
#include "../tests/test.h"

#define NOW	2000

/* What sessionwrap writes is what json.dumps writes for the same object. */
static void
test_encode(struct config *cfg)
{
	struct session	*s;
	char		*out;

	s = session_from_store(xstrdup("AAAAAAAAAAAAAAAAAAAAAAAA"),
	    xstrdup("BBBBBBBBBBBBBBBB"), json_object());
	s->created = 1000;
	s->access = 1500;
	json_object_set_new(s->data, "a", json_string("\xc3\xa9\\u\xf0\x9f\x98\x80"));
	json_object_set_new(s->data, "b", json_pack("[i, f, n, b]", 1, 2.5, 1));
	json_object_set_new(s->data, "c", json_object());
	/* A script's copy of user_key and of the reserved key go. */
	json_object_set_new(s->data, "AIOHTTP_SECURITY", json_string("mallory"));
	json_object_set_new(s->data, "sessionwrap", json_string("x"));
	out = session_aiohttp_encode(s, cfg, 0);
	/* json.dumps({"created": 1000, "session": {...}}) in Python. */
	CHECK_STR(out, "{\"created\": 1000, \"session\": {\"a\": "
	    "\"\\u00e9\\\\u\\ud83d\\ude00\", "
	    "\"b\": [1, 2.5, null, true], \"c\": {}, \"sessionwrap\": "
	    "{\"id\": \"AAAAAAAAAAAAAAAAAAAAAAAA\", \"ws_id\": "
	    "\"BBBBBBBBBBBBBBBB\", \"login\": 1000, \"access\": 1500}}}");
	free(out);

	s->user = xstrdup("alice");
	s->max_age = 600;
	out = session_aiohttp_encode(s, cfg, 1234);
	CHECK(strstr(out, "\"AIOHTTP_SECURITY\": \"alice\"") != NULL);
	CHECK(strstr(out, "\"user\": \"alice\", \"max_age\": 600}") != NULL);
	CHECK(strstr(out, "}, \"until\": 1234}") != NULL);
	free(out);
	session_free(s);
}

/* aiohttp's JSON in: user, identity kept or fresh, bad input refused. */
static void
test_decode(struct config *cfg)
{
	static const struct {
		const char	*json;
		int		 ok;
		const char	*user;
		int		 kept;		/* id from the reserved key */
		size_t		 keys;		/* data keys left */
	} cases[] = {
		/* Written by Python: fresh identity, created from it. */
		{ "{\"created\": 1900, \"session\": {\"AIOHTTP_SECURITY\": "
		    "\"alice\", \"n\": 1}}", 1, "alice", 0, 1 },
		{ "{\"created\": null, \"session\": null}", 1, NULL, 0, 0 },
		{ "{}", 1, NULL, 0, 0 },
		/* Saved by sessionwrap, user unchanged: identity kept. */
		{ "{\"created\": 1000, \"session\": {\"AIOHTTP_SECURITY\": "
		    "\"bob\", \"sessionwrap\": {\"id\": \"IDIDIDIDIDIDIDIDIDIDIDID\","
		    " \"ws_id\": \"WSWSWSWSWSWSWSWS\", \"login\": 1100, \"access\":"
		    " 1500, \"user\": \"bob\", \"max_age\": 60}}}", 1, "bob", 1, 0 },
		{ "{\"created\": 1000, \"session\": {\"sessionwrap\": {\"id\": "
		    "\"IDIDIDIDIDIDIDIDIDIDIDID\", \"ws_id\": \"WSWSWSWSWSWSWSWS\"}}}",
		    1, NULL, 1, 0 },
		/* Python logged in, out, or as another user: fresh identity. */
		{ "{\"created\": 1000, \"session\": {\"AIOHTTP_SECURITY\": "
		    "\"carol\", \"sessionwrap\": {\"id\": \"IDIDIDIDIDIDIDIDIDIDIDID\","
		    " \"ws_id\": \"WSWSWSWSWSWSWSWS\", \"user\": \"bob\"}}}", 1,
		    "carol", 0, 0 },
		{ "{\"created\": 1000, \"session\": {\"sessionwrap\": {\"id\": "
		    "\"IDIDIDIDIDIDIDIDIDIDIDID\", \"ws_id\": \"WSWSWSWSWSWSWSWS\", "
		    "\"user\": \"bob\"}}}", 1, NULL, 0, 0 },
		/* A user that is not a user name: anonymous. */
		{ "{\"session\": {\"AIOHTTP_SECURITY\": 7}}", 1, NULL, 0, 0 },
		{ "{\"session\": {\"AIOHTTP_SECURITY\": \"a\\nb\"}}", 1, NULL, 0,
		    0 },
		/* A reserved key that is no object, or bad ids: not kept. */
		{ "{\"session\": {\"sessionwrap\": 1}}", 1, NULL, 0, 0 },
		{ "{\"session\": {\"sessionwrap\": {\"id\": \"a b\", \"ws_id\": "
		    "\"WSWSWSWSWSWSWSWS\"}}}", 0, NULL, 0, 0 },
		/* Not aiohttp's JSON. */
		{ "", 0, NULL, 0, 0 },
		{ "[]", 0, NULL, 0, 0 },
		{ "{\"created\": \"1\"}", 0, NULL, 0, 0 },
		{ "{\"created\": -1}", 0, NULL, 0, 0 },
		{ "{\"created\": 1.5}", 0, NULL, 0, 0 },
		{ "{\"session\": []}", 0, NULL, 0, 0 },
		{ "{\"session\": {}, \"session\": {}}", 0, NULL, 0, 0 },
	};
	struct session	*s;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		s = session_aiohttp_decode(cases[i].json,
		    strlen(cases[i].json), cfg, NULL, NOW, NULL, &cause);
		if ((s != NULL) != cases[i].ok)
			fprintf(stderr, "case %zu: %s\n", i, cause);
		CHECK((s != NULL) == cases[i].ok);
		CHECK((cause == NULL) == cases[i].ok);
		free(cause);
		if (s == NULL)
			continue;
		CHECK_STR(s->user, cases[i].user);
		CHECK(json_object_size(s->data) == cases[i].keys);
		CHECK(json_object_get(s->data, "sessionwrap") == NULL);
		CHECK(s->id != NULL && s->ws_id != NULL);
		if (cases[i].kept) {
			CHECK_STR(s->id, "IDIDIDIDIDIDIDIDIDIDIDID");
			CHECK_STR(s->ws_id, "WSWSWSWSWSWSWSWS");
			CHECK(!s->changed && s->old_ws_id == NULL);
		} else {
			CHECK(strcmp(s->id, "IDIDIDIDIDIDIDIDIDIDIDID") != 0);
			CHECK(strcmp(s->ws_id, "WSWSWSWSWSWSWSWS") != 0);
			CHECK(s->changed && s->access == NOW);
		}
		session_free(s);
	}

	/* Times and max_age of a kept identity. */
	s = session_aiohttp_decode(cases[3].json, strlen(cases[3].json), cfg,
	    NULL, NOW, NULL, &cause);
	CHECK(s != NULL && s->created == 1100 && s->access == 1500 &&
	    s->max_age == 60);
	session_free(s);
	/* Python changed the user: created restarts, old sockets to close. */
	s = session_aiohttp_decode(cases[5].json, strlen(cases[5].json), cfg,
	    NULL, NOW, NULL, &cause);
	CHECK(s != NULL && s->created == NOW);
	CHECK(s != NULL && s->old_ws_id != NULL &&
	    strcmp(s->old_ws_id, "WSWSWSWSWSWSWSWS") == 0);
	session_free(s);
	/* From Python, new: created is Python's. */
	s = session_aiohttp_decode(cases[0].json, strlen(cases[0].json), cfg,
	    NULL, NOW, NULL, &cause);
	CHECK(s != NULL && s->created == 1900);
	session_free(s);
}

/* Without user_key the user lives in the reserved key only. */
static void
test_no_user_key(void)
{
	static const char json[] = "{\"session\": {\"AIOHTTP_SECURITY\": "
	    "\"x\", \"sessionwrap\": {\"id\": \"IDIDIDIDIDIDIDIDIDIDIDID\", "
	    "\"ws_id\": \"WSWSWSWSWSWSWSWS\", \"user\": \"bob\"}}}";
	struct config	 cfg;
	struct session	*s;
	char		*cause = NULL, *out;

	config_init(&cfg);
	s = session_aiohttp_decode(json, strlen(json), &cfg, NULL, NOW, NULL,
	    &cause);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_STR(s->user, "bob");
		CHECK(!s->changed);
		CHECK(json_object_size(s->data) == 1);
		out = session_aiohttp_encode(s, &cfg, 0);
		CHECK(strstr(out, "\"AIOHTTP_SECURITY\": \"x\"") != NULL);
		free(out);
	}
	session_free(s);
	config_free(&cfg);
}

int
main(void)
{
	struct config	 cfg;
	char		*cause = NULL;

	log_init("test_session_aiohttp", 0);
	log_set_level(LOG_LVL_WARN);
	config_init(&cfg);
	if (config_set(&cfg, "user_key", "AIOHTTP_SECURITY", &cause) != 0) {
		fprintf(stderr, "config: %s\n", cause);
		return 1;
	}
	test_encode(&cfg);
	test_decode(&cfg);
	test_no_user_key();
	config_free(&cfg);
	return test_done("session_aiohttp");
}
