/* Unit tests for lib/session.c and lib/session_op.c: merge patch, header operations, identity, storage form. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "session.h"
#include "xmalloc.h"
#include "../tests/test.h"

#define NOW	1700000000

/* RFC 7396 appendix A, every example. */
static const struct {
	const char	*target;
	const char	*patch;
	const char	*result;
} merge_cases[] = {
	{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
	{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
	{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
	{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
	{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
	{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
	{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
	  "{\"a\":{\"b\":\"d\"}}" },
	{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
	{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
	{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
	{ "{\"a\":\"foo\"}", "null", "null" },
	{ "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"" },
	{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
	{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
	{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
};

/* Header recognition: name, value, expected return and operation. */
static const struct {
	const char		*name;
	const char		*value;
	int			 ret;
	enum session_op_type	 type;
} op_cases[] = {
	{ "Content-Type", "text/html", 0, 0 },
	{ "Set-Cookie", "a=b", 0, 0 },
	{ "X-Sessionless", "1", 0, 0 },
	{ "X-Session-Patch", "{\"a\":1}", 1, SOP_PATCH },
	{ "x-session-patch", "{\"a\":{\"b\":null}}", 1, SOP_PATCH },
	{ "X-Session-Patch", "{}", 1, SOP_PATCH },
	{ "X-Session-Patch", "{\"a\":", -1, 0 },
	{ "X-Session-Patch", "{\"a\":1} x", -1, 0 },
	{ "X-Session-Patch", "", -1, 0 },
	{ "X-Session-Patch", "[1,2]", -1, 0 },
	{ "X-Session-Patch", "null", -1, 0 },
	{ "X-Session-Patch", "\"s\"", -1, 0 },
	{ "X-Session-Patch", "{\"a\":1,\"a\":2}", -1, 0 },
	{ "X-Session-Patch", "{\"a\":\"\\u0000\"}", -1, 0 },
	{ "X-Session-Patch", "{\"a\":\n1}", -1, 0 },
	{ "X-Session-Set", "k=v", 1, SOP_SET },
	{ "X-Session-Set", "k=", 1, SOP_SET },
	{ "X-Session-Set", "k=a=b", 1, SOP_SET },
	{ "X-Session-Set", "=v", -1, 0 },
	{ "X-Session-Set", "kv", -1, 0 },
	{ "X-Session-Set", "k=v\r\nSet-Cookie: x=y", -1, 0 },
	{ "X-Session-Set", "k=v\n", -1, 0 },
	{ "X-Session-Set", "k=\xff", -1, 0 },
	{ "X-Session-Unset", "k", 1, SOP_UNSET },
	{ "X-Session-Unset", "", -1, 0 },
	{ "X-Session-Unset", "k\r", -1, 0 },
	{ "X-Replace-Session", "a=1&b=", 1, SOP_REPLACE },
	{ "x-replace-session", "", 1, SOP_REPLACE },
	{ "X-Replace-Session", "a=%zz", -1, 0 },
	{ "X-Replace-Session", "a=%00", -1, 0 },
	{ "X-Replace-Session", "a=%ff", -1, 0 },
	{ "X-Replace-Session", "a=1\r\n", -1, 0 },
	{ "X-Session-Login", "alice", 1, SOP_LOGIN },
	{ "X-Session-Login", "j\xc3\xa9r\xc3\xb4me d", 1, SOP_LOGIN },
	{ "X-Session-Login", "", -1, 0 },
	{ "X-Session-Login", "a\tb", -1, 0 },
	{ "X-Session-Login", "a\x7f", -1, 0 },
	{ "X-Session-Login", "a\xc0\xaf", -1, 0 },
	{ "X-Session-Login", "alice\r\nX-Evil: 1", -1, 0 },
	{ "X-Session-Logout", "1", 1, SOP_LOGOUT },
	{ "X-Session-Logout", "true", 1, SOP_LOGOUT },
	{ "X-Session-Logout", "0", 1, SOP_PATCH },
	{ "X-Session-Logout", "false", 1, SOP_PATCH },
	{ "X-Session-Logout", "yes", -1, 0 },
	{ "X-Session-Logout", "", -1, 0 },
	{ "X-Session-Regenerate", "1", 1, SOP_REGENERATE },
	{ "X-Session-Regenerate", "2", -1, 0 },
	{ "X-Session-Close-Websockets", "1", 1, SOP_CLOSE_WS },
	{ "X-Session-Close-Websockets", "0", 1, SOP_PATCH },
	{ "X-Session-Max-Age", "1", 1, SOP_MAX_AGE },
	{ "X-Session-Max-Age", "2592000", 1, SOP_MAX_AGE },
	{ "X-Session-Max-Age", "315360000", 1, SOP_MAX_AGE },
	{ "X-Session-Max-Age", "315360001", -1, 0 },
	{ "X-Session-Max-Age", "99999999999999999999999", -1, 0 },
	{ "X-Session-Max-Age", "0", -1, 0 },
	{ "X-Session-Max-Age", "-5", -1, 0 },
	{ "X-Session-Max-Age", "+5", -1, 0 },
	{ "X-Session-Max-Age", " 5", -1, 0 },
	{ "X-Session-Max-Age", "5s", -1, 0 },
	{ "X-Session-Max-Age", "0x10", -1, 0 },
	{ "X-Session-Max-Age", "", -1, 0 },
	{ "X-Session-Foo", "1", -1, 0 },
	{ "x-session-", "1", -1, 0 },
};

/* Inputs session_deserialize must refuse without crashing. */
static const char *const hostile_cases[] = {
	"",
	"{",
	"{\"v\":1,\"id\":\"abc\"",
	"null",
	"[]",
	"\"str\"",
	"{}",
	"{\"v\":2,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":\"1\",\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":1,\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"a/b\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"a=\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"d e\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":5,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":\"\",\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":\"a\\nb\",\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1.5,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":-1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":99999999999999999999,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":9223372036854775807,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1e999,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":-1,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":999999999999,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":[]}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":null}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":\"{}\"}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{},\"x\":1}",
	"{\"v\":1,\"id\":\"abc\",\"id\":\"abd\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{\"k\":\"\\u0000\"}}",
	"{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,\"c\":1,\"a\":1,\"m\":0,\"d\":{}} trailing",
};

/* Parse JSON text of any kind or fail the test run. */
static json_t *
load(const char *s)
{
	json_t		*j;
	json_error_t	 error;

	j = json_loads(s, JSON_DECODE_ANY, &error);
	if (j == NULL) {
		fprintf(stderr, "bad test JSON: %s: %s\n", s, error.text);
		exit(1);
	}
	return j;
}

/* Compact JSON text of a value; caller frees. */
static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Every RFC 7396 example gives the documented result. */
static void
test_merge_patch(void)
{
	json_t	*target, *patch, *want;
	char	*got;
	size_t	 i;

	for (i = 0; i < sizeof merge_cases / sizeof merge_cases[0]; i++) {
		target = load(merge_cases[i].target);
		patch = load(merge_cases[i].patch);
		want = load(merge_cases[i].result);
		target = session_op_merge_patch(target, patch);
		CHECK(json_equal(target, want));
		got = dump(target);
		CHECK_STR(got, merge_cases[i].result);
		free(got);
		json_decref(target);
		json_decref(patch);
		json_decref(want);
	}

	/* A NULL target (missing member) takes the patch. */
	patch = load("{\"a\":{\"b\":null,\"c\":1}}");
	target = session_op_merge_patch(NULL, patch);
	got = dump(target);
	CHECK_STR(got, "{\"a\":{\"c\":1}}");
	free(got);
	json_decref(target);

	/* The patch is borrowed and not shared with the result. */
	target = session_op_merge_patch(json_object(), patch);
	json_object_set_new(json_object_get(target, "a"), "d", json_true());
	got = dump(patch);
	CHECK_STR(got, "{\"a\":{\"b\":null,\"c\":1}}");
	free(got);
	json_decref(target);
	json_decref(patch);
}

/* Every header is recognised, accepted or refused as the table says. */
static void
test_op_parse(void)
{
	struct session_op	 op;
	char			*cause;
	size_t			 i;
	int			 ret;

	for (i = 0; i < sizeof op_cases / sizeof op_cases[0]; i++) {
		cause = NULL;
		ret = session_op_parse(op_cases[i].name, op_cases[i].value,
		    "X-Replace-Session", &op, &cause);
		if (ret != op_cases[i].ret) {
			fprintf(stderr, "op case %zu (%s: %s): got %d\n", i,
			    op_cases[i].name, op_cases[i].value, ret);
		}
		CHECK(ret == op_cases[i].ret);
		if (ret == 1)
			CHECK(op.type == op_cases[i].type);
		if (ret == -1)
			CHECK(cause != NULL);
		else
			CHECK(cause == NULL);
		free(cause);
		if (ret == 1)
			session_op_clear(&op);
	}
}

/* Parsed values, the mod_session form, the replace header's name. */
static void
test_op_values(void)
{
	struct session_op	 op;
	char			*cause = NULL;

	/* Parsed values. */
	CHECK(session_op_parse("X-Session-Set", "k=a=b", NULL, &op, &cause) == 1);
	CHECK_STR(op.key, "k");
	CHECK_STR(op.value, "a=b");
	session_op_clear(&op);
	CHECK(session_op_parse("X-Session-Max-Age", "86400", NULL, &op,
	    &cause) == 1);
	CHECK(op.num == 86400);
	session_op_clear(&op);
	CHECK(session_op_parse("X-Session-Login", "bob", NULL, &op, &cause) == 1);
	CHECK_STR(op.key, "bob");
	session_op_clear(&op);

	/* The mod_session form becomes a merge patch. */
	CHECK(session_op_parse("X-Replace-Session",
	    "a=1&b=&c&=x&&d=%20x+y&e%26=%3D", NULL, &op, &cause) == 1);
	{
		char *got = dump(op.json);
		CHECK_STR(got, "{\"a\":\"1\",\"b\":null,\"c\":null,"
		    "\"d\":\" x y\",\"e&\":\"=\"}");
		free(got);
	}
	session_op_clear(&op);

	/* The replace header's name is configurable; "" disables it. */
	CHECK(session_op_parse("X-My-Session", "a=1", "X-My-Session", &op,
	    &cause) == 1);
	CHECK(op.type == SOP_REPLACE);
	session_op_clear(&op);
	CHECK(session_op_parse("X-Replace-Session", "a=1", "X-My-Session", &op,
	    &cause) == 0);
	CHECK(session_op_parse("X-Replace-Session", "a=1", "", &op,
	    &cause) == 0);

	/* Unknown X-Session-* headers say so. */
	cause = NULL;
	CHECK(session_op_parse("X-Session-Foo", "1", NULL, &op, &cause) == -1);
	CHECK_STR(cause, "unknown session header");
	free(cause);
}

/* Too deep patches, and which operations only touch data. */
static void
test_op_deep(void)
{
	struct session_op	 op;
	char			*cause;

	/* Patches nested too deep are refused. */
	{
		char	*deep;
		size_t	 n = 100, j;

		deep = xmalloc(n * 6 + n + 2);
		deep[0] = '\0';
		for (j = 0; j < n; j++)
			strcat(deep, "{\"a\":");
		strcat(deep, "1");
		for (j = 0; j < n; j++)
			strcat(deep, "}");
		cause = NULL;
		CHECK(session_op_parse("X-Session-Patch", deep, NULL, &op,
		    &cause) == -1);
		free(cause);
		free(deep);
	}

	CHECK(session_op_is_data(&(struct session_op){ .type = SOP_PATCH }));
	CHECK(session_op_is_data(&(struct session_op){ .type = SOP_REPLACE }));
	CHECK(session_op_is_data(&(struct session_op){ .type = SOP_SET }));
	CHECK(session_op_is_data(&(struct session_op){ .type = SOP_UNSET }));
	CHECK(session_op_is_data(&(struct session_op){ .type = SOP_MAX_AGE }));
	CHECK(!session_op_is_data(&(struct session_op){ .type = SOP_LOGIN }));
	CHECK(!session_op_is_data(&(struct session_op){ .type = SOP_LOGOUT }));
	CHECK(!session_op_is_data(&(struct session_op){ .type = SOP_REGENERATE }));
	CHECK(!session_op_is_data(&(struct session_op){ .type = SOP_CLOSE_WS }));
}

/* Parse a header and apply it; returns whether the session changed. */
static int
apply(struct session *s, const char *name, const char *value)
{
	struct session_op	 op;
	char			*cause = NULL;

	s->changed = 0;
	if (session_op_parse(name, value, NULL, &op, &cause) != 1) {
		fprintf(stderr, "apply: %s: %s: %s\n", name, value,
		    cause ? cause : "not a session header");
		free(cause);
		test_failures++;
		return -1;
	}
	session_apply(s, &op, NOW + 10);
	session_op_clear(&op);
	return s->changed;
}

/* Data operations, and the changed flag only when something changed. */
static void
test_apply(void)
{
	struct session	*s;
	char		*j;

	s = session_new(NOW);
	CHECK(!s->changed);
	CHECK(session_empty(s));
	j = session_data_json(s);
	CHECK_STR(j, "{}");
	free(j);

	CHECK(apply(s, "X-Session-Set", "k=v") == 1);
	CHECK(apply(s, "X-Session-Set", "k=v") == 0);
	CHECK(apply(s, "X-Session-Set", "k=w") == 1);
	CHECK(!session_empty(s));
	CHECK(apply(s, "X-Session-Patch", "{\"z\":1,\"n\":{\"x\":[1,2]}}") == 1);
	CHECK(apply(s, "X-Session-Patch", "{\"z\":1}") == 0);
	CHECK(apply(s, "X-Session-Patch", "{\"missing\":null}") == 0);
	CHECK(apply(s, "X-Session-Patch", "{}") == 0);
	CHECK(apply(s, "X-Session-Logout", "0") == 0);
	CHECK(apply(s, "X-Session-Patch", "{\"n\":{\"x\":null,\"y\":\"\xc3\xa9\"}}") == 1);
	j = session_data_json(s);
	CHECK_STR(j, "{\"k\":\"w\",\"z\":1,\"n\":{\"y\":\"\xc3\xa9\"}}");
	free(j);

	CHECK(apply(s, "X-Session-Unset", "z") == 1);
	CHECK(apply(s, "X-Session-Unset", "z") == 0);
	CHECK(apply(s, "X-Replace-Session", "k=w") == 0);
	CHECK(apply(s, "X-Replace-Session", "k=&a=b+c") == 1);
	j = session_data_json(s);
	CHECK_STR(j, "{\"n\":{\"y\":\"\xc3\xa9\"},\"a\":\"b c\"}");
	free(j);

	CHECK(apply(s, "X-Session-Max-Age", "3600") == 1);
	CHECK(s->max_age == 3600);
	CHECK(apply(s, "X-Session-Max-Age", "3600") == 0);

	/* Data operations never touch the identity. */
	CHECK(!s->id_changed && s->old_id == NULL && !s->destroyed);
	CHECK(!s->close_ws && s->old_ws_id == NULL);

	CHECK(apply(s, "X-Session-Patch", "{\"n\":null,\"a\":null}") == 1);
	CHECK(session_empty(s));
	session_free(s);
}

/* Login, logout, regenerate and close: flags, old ids, timestamps. */
static void
test_identity(void)
{
	struct session	*s;
	char		*id0, *ws0, *id1, *ws1;

	s = session_new(NOW);
	s->version = 7;
	s->is_new = 0;
	id0 = xstrdup(s->id);
	ws0 = xstrdup(s->ws_id);
	CHECK(strlen(s->id) == 24);
	CHECK(strspn(s->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == 24);
	CHECK(strcmp(s->id, s->ws_id) != 0);

	apply(s, "X-Session-Set", "cart=3");
	CHECK(apply(s, "X-Session-Regenerate", "1") == 1);
	CHECK(strcmp(s->id, id0) != 0);
	CHECK_STR(s->old_id, id0);
	CHECK(s->old_version == 7 && s->version == 0);
	CHECK(s->id_changed);
	CHECK_STR(s->ws_id, ws0);
	CHECK(!s->close_ws);

	CHECK(apply(s, "X-Session-Login", "alice") == 1);
	CHECK_STR(s->user, "alice");
	CHECK_STR(s->old_id, id0);
	CHECK(s->created == NOW + 10);
	CHECK_STR(s->old_ws_id, ws0);
	CHECK(strcmp(s->ws_id, ws0) != 0);
	CHECK(json_object_get(s->data, "cart") != NULL);
	CHECK(!session_empty(s));

	id1 = xstrdup(s->id);
	ws1 = xstrdup(s->ws_id);
	CHECK(apply(s, "X-Session-Close-Websockets", "1") == 1);
	CHECK(s->close_ws);
	CHECK_STR(s->old_ws_id, ws0);
	CHECK(strcmp(s->ws_id, ws1) != 0);
	CHECK_STR(s->id, id1);

	CHECK(apply(s, "X-Session-Logout", "1") == 1);
	CHECK(s->destroyed && s->close_ws && s->id_changed);
	CHECK_STR(s->old_id, id0);
	CHECK_STR(s->old_ws_id, ws0);
	CHECK(strcmp(s->id, id1) != 0 && strcmp(s->id, id0) != 0);
	CHECK(s->user == NULL);
	CHECK(session_empty(s));
	CHECK(s->max_age == 0 && s->version == 0 && s->is_new);
	CHECK(s->created == NOW + 10 && s->access == NOW + 10);

	/* Later headers of the same response apply to the fresh session. */
	CHECK(apply(s, "X-Session-Set", "flash=bye") == 1);
	CHECK(!session_empty(s));
	free(id1);
	free(ws1);
	session_free(s);
	free(id0);
	free(ws0);
}

/* Logout then login in one response; a deep copy of the result. */
static void
test_identity_logout_first(void)
{
	struct session	*s;
	char		*id0;

	/* Logout first: the client's id is the old one. */
	s = session_new(NOW);
	id0 = xstrdup(s->id);
	apply(s, "X-Session-Logout", "true");
	apply(s, "X-Session-Login", "bob");
	CHECK_STR(s->old_id, id0);
	CHECK_STR(s->user, "bob");
	CHECK(s->destroyed);

	/* Deep copy keeps every field and shares nothing. */
	{
		struct session *d = session_dup(s);

		CHECK_STR(d->id, s->id);
		CHECK_STR(d->old_id, s->old_id);
		CHECK_STR(d->user, "bob");
		CHECK(d->data != s->data && json_equal(d->data, s->data));
		CHECK(d->destroyed && d->id_changed);
		session_free(d);
	}
	session_free(s);
	free(id0);
}

/* Round trip through the storage form, and refusal of hostile input. */
static void
test_serialize(void)
{
	struct session	*s, *t;
	char		*out, *out2, *cause;

	s = session_new(NOW);
	apply(s, "X-Session-Patch", "{\"a\":[1,{\"b\":null}],\"\xc3\xa9\":\"\xe2\x82\xac\"}");
	out = session_serialize(s);
	CHECK(strncmp(out, "{\"v\":1,\"id\":\"", 13) == 0);
	CHECK(strstr(out, "\"u\":null,\"c\":1700000000,\"a\":1700000000,\"m\":0,"
	    "\"d\":{\"a\":[1,{\"b\":null}],\"\xc3\xa9\":\"\xe2\x82\xac\"}}") != NULL);
	cause = NULL;
	t = session_deserialize(out, strlen(out), &cause);
	CHECK(t != NULL && cause == NULL);
	if (t != NULL) {
		CHECK_STR(t->id, s->id);
		CHECK_STR(t->ws_id, s->ws_id);
		CHECK(t->user == NULL);
		CHECK(t->created == NOW && t->access == NOW && t->max_age == 0);
		CHECK(json_equal(t->data, s->data));
		CHECK(!t->is_new && !t->changed && t->version == 0);
		out2 = session_serialize(t);
		CHECK_STR(out2, out);
		free(out2);
		session_free(t);
	}
	free(out);

	apply(s, "X-Session-Login", "carol");
	apply(s, "X-Session-Max-Age", "2592000");
	out = session_serialize(s);
	t = session_deserialize(out, strlen(out), &cause);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_STR(t->user, "carol");
		CHECK(t->max_age == 2592000 && t->created == NOW + 10);
		session_free(t);
	}
	/* Not NUL-terminated at len: only len bytes count. */
	t = session_deserialize(out, strlen(out) - 1, &cause);
	CHECK(t == NULL);
	free(cause);
	free(out);
	session_free(s);
}

/* Refusal of hostile input, and a minimal valid one from another writer. */
static void
test_deserialize(void)
{
	struct session	*t;
	char		*out, *cause, *deep;
	size_t		 i, n;

	for (i = 0; i < sizeof hostile_cases / sizeof hostile_cases[0]; i++) {
		cause = NULL;
		t = session_deserialize(hostile_cases[i],
		    strlen(hostile_cases[i]), &cause);
		if (t != NULL)
			fprintf(stderr, "hostile case %zu accepted\n", i);
		CHECK(t == NULL);
		CHECK(cause != NULL);
		session_free(t);
		free(cause);
	}

	/* Embedded NUL inside the length. */
	cause = NULL;
	CHECK(session_deserialize("{\"v\":1\0}", 8, &cause) == NULL);
	free(cause);

	/* Deep nesting in the data, and a huge run of brackets. */
	n = 5000;
	deep = xmalloc(n * 2 + 128);
	strcpy(deep, "{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":null,"
	    "\"c\":1,\"a\":1,\"m\":0,\"d\":{\"x\":");
	for (i = 0; i < n; i++)
		strcat(deep, "[");
	for (i = 0; i < n; i++)
		strcat(deep, "]");
	strcat(deep, "}}");
	cause = NULL;
	CHECK(session_deserialize(deep, strlen(deep), &cause) == NULL);
	free(cause);
	memset(deep, '[', n * 2);
	cause = NULL;
	CHECK(session_deserialize(deep, n * 2, &cause) == NULL);
	free(cause);
	free(deep);

	/* A minimal valid one from another writer. */
	out = xstrdup("{\"v\":1,\"id\":\"abc\",\"ws\":\"def\",\"u\":\"dave\","
	    "\"c\":5,\"a\":6,\"m\":7,\"d\":{\"k\":[]}}");
	t = session_deserialize(out, strlen(out), &cause);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK(t->created == 5 && t->access == 6 && t->max_age == 7);
		CHECK_STR(t->user, "dave");
		session_free(t);
	}
	free(out);
}

/* Idle and absolute expiry, max_age stretching both, zero meaning no limit. */
static void
test_expiry(void)
{
	struct config	 cfg;
	struct session	*s;

	memset(&cfg, 0, sizeof cfg);
	cfg.idle_timeout = 1800;
	cfg.absolute_timeout = 86400;
	s = session_new(NOW);

	CHECK(session_idle_timeout(s, &cfg) == 1800);
	CHECK(session_expires(s, &cfg) == NOW + 1800);
	CHECK(!session_expired(s, &cfg, NOW + 1799));
	CHECK(session_expired(s, &cfg, NOW + 1800));

	/* Recent access: the absolute limit wins. */
	s->access = NOW + 86000;
	CHECK(session_expires(s, &cfg) == NOW + 86400);
	CHECK(session_expired(s, &cfg, NOW + 86400));
	CHECK(!session_expired(s, &cfg, NOW + 86399));

	/* "Remember me" for 30 days outlives the one-day absolute limit. */
	s->max_age = 30 * 86400;
	s->access = NOW;
	CHECK(session_idle_timeout(s, &cfg) == 30 * 86400);
	CHECK(session_expires(s, &cfg) == NOW + 30 * 86400);
	s->access = NOW + 10 * 86400;
	CHECK(session_expires(s, &cfg) == NOW + 30 * 86400);

	/* A short max_age shortens idle but not absolute. */
	s->max_age = 600;
	s->access = NOW;
	CHECK(session_expires(s, &cfg) == NOW + 600);
	s->access = NOW + 86000;
	CHECK(session_expires(s, &cfg) == NOW + 86400);

	/* Zero disables a term; both zero: never. */
	s->max_age = 0;
	cfg.absolute_timeout = 0;
	CHECK(session_expires(s, &cfg) == NOW + 86000 + 1800);
	cfg.idle_timeout = 0;
	cfg.absolute_timeout = 3600;
	CHECK(session_expires(s, &cfg) == NOW + 3600);
	cfg.absolute_timeout = 0;
	CHECK(session_expires(s, &cfg) == SESSION_NEVER);
	CHECK(!session_expired(s, &cfg, NOW + 100000000));

	/* Absolute timeout counts from login. */
	cfg.idle_timeout = 1800;
	cfg.absolute_timeout = 86400;
	s->access = NOW + 90000;
	CHECK(session_expired(s, &cfg, NOW + 90001));
	session_login(s, "eve", NOW + 90000);
	CHECK(!session_expired(s, &cfg, NOW + 90001));
	CHECK(session_expires(s, &cfg) == NOW + 90000 + 1800);

	/* Huge timeouts saturate instead of wrapping. */
	cfg.idle_timeout = 0x7fffffffL;
	cfg.absolute_timeout = 0;
	CHECK(session_expires(s, &cfg) == NOW + 90000 + 0x7fffffffL);
	s->access = SESSION_NEVER - 5;
	CHECK(session_expires(s, &cfg) == SESSION_NEVER);
	session_free(s);
}

int
main(void)
{
	test_merge_patch();
	test_op_parse();
	test_op_values();
	test_op_deep();
	test_apply();
	test_identity();
	test_identity_logout_first();
	test_serialize();
	test_deserialize();
	test_expiry();
	return test_done("session");
}
