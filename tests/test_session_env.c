/* Unit tests for lib/session_env.c: a session's variables in a script's environment. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "session.h"
#include "xmalloc.h"
#include "../tests/test.h"

#define NOW	1700000000

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

int
main(void)
{
	test_form();
	test_env_max();
	return test_done("session_env");
}
