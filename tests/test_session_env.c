/* Unit tests for lib/session_env.c: a session's variables in a script's environment. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cgi.h"
#include "config.h"
#include "session.h"
#include "store.h"
#include "xmalloc.h"
#include "../tests/test.h"

#define NOW	1700000000

/* A stored-looking session with fixed ids, the data as JSON, user may be NULL. */
static struct session *
test_session(const char *data, const char *user)
{
	struct session	*s;
	json_t		*j;

	j = json_loads(data, JSON_ALLOW_NUL, NULL);
	CHECK(j != NULL);
	if (j == NULL)
		j = json_object();
	s = session_from_store(xstrdup("idAAAAAAAAAAAAAAAAAAAAAA"),
	    xstrdup("wsBBBBBBBBBBBBBB"), j);
	s->user = user != NULL ? xstrdup(user) : NULL;
	s->created = NOW - 100;
	s->access = NOW;
	return s;
}

/* Apache mod_session's form of the top-level strings. */
static void
test_form(void)
{
	struct session	*s;
	json_t		*patch;
	char		*out;

	s = session_new(NOW);
	out = session_form_encode(s);
	CHECK_STR(out, "");
	free(out);
	patch = json_loads("{\"name\":\"J R\",\"n\":5,\"o\":{\"p\":\"q\"},"
	    "\"a&b\":\"c=d\",\"e\":\"\"}", 0, NULL);
	CHECK(patch != NULL);
	s->data = session_op_merge_patch(s->data, patch);
	json_decref(patch);
	out = session_form_encode(s);
	CHECK_STR(out, "name=J+R&a%26b=c%3Dd&e=");
	free(out);
	session_free(s);
}


/* The environment strings a script gets: their size, as execve counts it. */
static void
test_env_max(void)
{
	static const struct {
		const char	*data;		/* the session's data */
		int		 compat;	/* mod_session_compat */
		const char	*name;		/* the longest string */
		size_t		 size;		/* its size, NUL included */
	} cases[] = {
		{ "{}", 0, "SESSION", 11 },
		{ "{}", 1, "HTTP_SESSION", 14 },
		{ "{\"a\":\"b\"}", 0, "SESSION", 18 },
		{ "{\"a\":\"b\"}", 1, "SESSION", 18 },
		{ "{\"a\":\"~~~~\"}", 0, "SESSION", 21 },
		{ "{\"a\":\"~~~~\"}", 1, "HTTP_SESSION", 28 },
		{ "{\"a b\":\"c d\",\"n\":12345,\"e\":\"\"}", 1,
		  "SESSION", 39 },
		{ "{\"o\":{\"p\":\"~~~~~~~~\"},\"x\":\"~\"}", 1, "SESSION",
		  39 },
		{ "{\"\u00e9\u00e9\":\"\u00e9\u00e9\u00e9\"}", 1,
		  "HTTP_SESSION", 45 },
		{ "{\"q\":\"\\\"\\u0001\"}", 0, "SESSION", 25 },
		{ "{\"z\":\"a\\u0000b\"}", 1, "SESSION", 25 },
		{ "{\"k1\":\"%%\",\"k2\":\"&=\"}", 1, "HTTP_SESSION", 33 },
	};
	struct session	*s;
	json_t		*data;
	const char	*name;
	char		*json, *form;
	size_t		 i, n, want;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = session_new(NOW);
		data = json_loads(cases[i].data, JSON_ALLOW_NUL, NULL);
		CHECK(data != NULL);
		if (data == NULL) {
			session_free(s);
			continue;
		}
		json_decref(s->data);
		s->data = data;
		name = NULL;
		n = session_env_max(s, cases[i].compat, &name);
		CHECK_STR(name, cases[i].name);
		if (n != cases[i].size)
			fprintf(stderr, "case %zu: %zu bytes, expected %zu\n", i,
			    n, cases[i].size);
		CHECK(n == cases[i].size);
		/* What the child really gets: "NAME=value" and the NUL. */
		json = session_data_json(s);
		form = session_form_encode(s);
		want = strlen("SESSION=") + strlen(json) + 1;
		if (cases[i].compat &&
		    strlen("HTTP_SESSION=") + strlen(form) + 1 > want)
			want = strlen("HTTP_SESSION=") + strlen(form) + 1;
		CHECK(n == want);
		CHECK(session_env_max(s, cases[i].compat, NULL) == n);
		free(json);
		free(form);
		session_free(s);
	}

	/* Around Linux's 128 KiB: one value of 131055 bytes is exactly it. */
	s = session_new(NOW);
	form = xmalloc(131057);
	memset(form, 'x', 131056);
	form[131056] = '\0';
	json_object_set_new(s->data, "a", json_string(form + 1));
	CHECK(session_env_max(s, 1, NULL) == 131072);
	json_object_set_new(s->data, "a", json_string(form));
	CHECK(session_env_max(s, 0, NULL) == 131073);
	free(form);
	session_free(s);
}

/* Every variable, in order, for sessionwrap's and sessionwrap-ws's flags. */
static void
test_env(void)
{
	static const struct {
		const char	*data;
		const char	*user;
		int		 flags;
		const char	*want[9];	/* all but SESSION_ID, in order */
	} cases[] = {
		{ "{}", NULL, SESSION_ENV_NEW, {
		  "SESSION={}", "SESSION_NEW=1", "SESSION_USER=",
		  "SESSION_CREATED=1699999900", "SESSION_EXPIRES=1700001800",
		  "SESSION_WS_ID=wsBBBBBBBBBBBBBB" } },
		{ "{\"a\":\"b c\",\"n\":1}", "bob", 0, {
		  "SESSION={\"a\":\"b c\",\"n\":1}", "SESSION_NEW=0",
		  "SESSION_USER=bob", "SESSION_CREATED=1699999900",
		  "SESSION_EXPIRES=1700001800",
		  "SESSION_WS_ID=wsBBBBBBBBBBBBBB" } },
		{ "{\"a\":\"b c\",\"n\":1}", "bob", SESSION_ENV_FORM, {
		  "SESSION={\"a\":\"b c\",\"n\":1}", "SESSION_NEW=0",
		  "SESSION_USER=bob", "SESSION_CREATED=1699999900",
		  "SESSION_EXPIRES=1700001800",
		  "SESSION_WS_ID=wsBBBBBBBBBBBBBB", "HTTP_SESSION=a=b+c" } },
		{ "{\"n\":[1]}", "\xc3\xa9ve", SESSION_ENV_NEW | SESSION_ENV_FORM, {
		  "SESSION={\"n\":[1]}", "SESSION_NEW=1",
		  "SESSION_USER=\xc3\xa9ve", "SESSION_CREATED=1699999900",
		  "SESSION_EXPIRES=1700001800",
		  "SESSION_WS_ID=wsBBBBBBBBBBBBBB", "HTTP_SESSION=" } },
	};
	struct config	 cfg;
	struct cgi_env	 env;
	struct session	*s;
	char		**v, *id, *want;
	size_t		 i, j, k, m, n;

	config_init(&cfg);
	cfg.idle_timeout = 1800;
	cfg.absolute_timeout = 0;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = test_session(cases[i].data, cases[i].user);
		cgi_env_init(&env);
		session_env(&env, s, &cfg, NULL, cases[i].flags);
		v = cgi_env_array(&env);
		for (n = 0; cases[i].want[n] != NULL; n++)
			;
		for (m = 0; v[m] != NULL; m++)
			;
		CHECK(m == n + 1);
		/* SESSION_ID second: the public id, never the secret one. */
		id = store_public_id(NULL, s->id);
		xasprintf(&want, "SESSION_ID=%s", id);
		CHECK(m > 1 && strcmp(v[1], want) == 0);
		CHECK(strstr(v[1], s->id) == NULL);
		free(want);
		free(id);
		for (k = 0; k < n; k++) {
			/* want[] skips SESSION_ID, v[1]. */
			j = k == 0 ? 0 : k + 1;
			if (j >= m)
				break;
			CHECK_STR(v[j], cases[i].want[k]);
		}
		cgi_env_free(&env);
		session_free(s);
	}
	config_free(&cfg);
}

int
main(void)
{
	test_form();
	test_env_max();
	test_env();
	return test_done("session_env");
}
