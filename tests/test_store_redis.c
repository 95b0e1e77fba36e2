/*
 * Unit tests of the Redis store's parsers and its command formatting: the
 * stored fields of a session, INFO lines, commands in the protocol's form.
 */
#include "autoconf.h"

#include "../lib/store_redis_conn.c"
#include "../lib/store_redis_value.c"

#include "store_admin.h"

#include "../tests/test.h"

#define WS	"AAAAAAAAAAAAAAAAAAAAAAAA"
#define ID	"BBBBBBBBBBBBBBBBBBBBBBBB"

/* Strict decimal integers: no sign, no leading zero, no overflow. */
static void
test_int(void)
{
	static const struct {
		const char	*in;
		long long	 max, want;	/* want -1: refused */
	} cases[] = {
		{ "0", 10, 0 }, { "7", 10, 7 }, { "10", 10, 10 },
		{ "11", 10, -1 }, { "", 10, -1 }, { "-1", 10, -1 },
		{ "+1", 10, -1 }, { "01", 10, -1 }, { " 1", 10, -1 },
		{ "1 ", 10, -1 }, { "1.5", 10, -1 },
		{ "253402300799", SESSION_NEVER, SESSION_NEVER },
		{ "253402300800", SESSION_NEVER, -1 },
		{ "9999999999999999999999", INT64_MAX, -1 },
	};
	long long	 n;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = -1;
		rc = rd_value_int(cases[i].in, strlen(cases[i].in),
		    cases[i].max, &n);
		CHECK(rc == (cases[i].want == -1 ? -1 : 0));
		CHECK(rc != 0 || n == cases[i].want);
	}
	CHECK(rd_value_int(NULL, 0, 10, &n) == -1);
	CHECK(store_key_ok("0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 64));
	CHECK(!store_key_ok("0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 64));
	CHECK(!store_key_ok("0123", 4));
}

/* Fields as the server would hold them: v u i w n c a m d. */
static void
fill(struct rd_value *v, const char *const f[RD_NFIELDS])
{
	size_t	 i;

	for (i = 0; i < RD_NFIELDS; i++) {
		v->f[i] = f[i];
		v->len[i] = f[i] != NULL ? strlen(f[i]) : 0;
	}
}

/* What a stored session's fields may hold, and what they may not. */
static void
test_value_parse(void)
{
	static const struct {
		const char	*f[RD_NFIELDS];
		int		 ok;
	} cases[] = {
		{ { "1", "0", NULL, WS, NULL, "100", "200", "0", "{}" }, 1 },
		{ { "42", "300", "sw:u:x", WS, "alice", "100", "200", "60",
		    "{\"n\":1}" }, 1 },
		{ { NULL, "0", NULL, WS, NULL, "100", "200", "0", "{}" }, 0 },
		{ { "0", "0", NULL, WS, NULL, "100", "200", "0", "{}" }, 0 },
		{ { "-1", "0", NULL, WS, NULL, "100", "200", "0", "{}" }, 0 },
		{ { "1", NULL, NULL, WS, NULL, "100", "200", "0", "{}" }, 0 },
		{ { "1", "0", NULL, NULL, NULL, "100", "200", "0", "{}" }, 0 },
		{ { "1", "0", NULL, "no spaces", NULL, "100", "200", "0", "{}" },
		    0 },
		{ { "1", "0", NULL, WS, "", "100", "200", "0", "{}" }, 0 },
		{ { "1", "0", NULL, WS, "a\nb", "100", "200", "0", "{}" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "x", "200", "0", "{}" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "100", "253402300800", "0",
		    "{}" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "100", "200", "999999999999",
		    "{}" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "100", "200", "0", "[]" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "100", "200", "0", "{" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "100", "200", "0",
		    "{\"a\":1,\"a\":2}" }, 0 },
		{ { "1", "0", NULL, WS, NULL, "100", "200", "0", NULL }, 0 },
	};
	struct rd_value	 v;
	struct session	*s;
	uint64_t	 ver;
	time_t		 until;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		fill(&v, cases[i].f);
		s = rd_value_parse(&v, xstrdup(ID), &ver, &until, &cause);
		if ((s != NULL) != cases[i].ok)
			fprintf(stderr, "value case %zu: %s\n", i,
			    cause ? cause : "accepted");
		CHECK((s != NULL) == cases[i].ok);
		CHECK(s != NULL || cause != NULL);
		free(cause);
		session_free(s);
	}
	/* A NUL inside a text field is refused, not cut short. */
	fill(&v, cases[1].f);
	v.f[RD_F_USER] = "ali\0ce";
	v.len[RD_F_USER] = 6;
	cause = NULL;
	s = rd_value_parse(&v, xstrdup(ID), &ver, &until, &cause);
	CHECK(s == NULL);
	free(cause);
}

/* A session written as fields reads back the same. */
static void
test_value_roundtrip(void)
{
	const char	*argv[20];
	size_t		 argvlen[20];
	char		*data, num[3][24], *cause = NULL;
	struct rd_value	 v;
	struct session	*s, *l;
	uint64_t	 ver;
	time_t		 until;
	int		 n, i, j;

	s = session_new(1700000000);
	s->user = xstrdup("bob");
	s->max_age = 3600;
	json_object_set_new(s->data, "k", json_string("v\u00e9"));
	n = rd_value_fields(s, argv, argvlen, 2, &data, num);
	CHECK(n == 2 + 12);
	memset(&v, 0, sizeof v);
	v.f[RD_F_VER] = "3";
	v.len[RD_F_VER] = 1;
	v.f[RD_F_UNTIL] = "1700000100";
	v.len[RD_F_UNTIL] = 10;
	for (i = 2; i < n; i += 2) {
		for (j = 0; j < RD_NFIELDS; j++) {
			if (strcmp(argv[i], rd_value_names[j]) == 0) {
				v.f[j] = argv[i + 1];
				v.len[j] = argvlen[i + 1];
			}
		}
	}
	l = rd_value_parse(&v, xstrdup(s->id), &ver, &until, &cause);
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK(ver == 3 && l->version == 3);
		CHECK(until == 1700000100);
		CHECK_STR(l->user, "bob");
		CHECK_STR(l->ws_id, s->ws_id);
		CHECK(l->created == s->created && l->access == s->access);
		CHECK(l->max_age == 3600);
		CHECK(json_equal(l->data, s->data));
	}
	session_free(l);
	free(data);
	/* Anonymous: no "n" field at all. */
	free(s->user);
	s->user = NULL;
	n = rd_value_fields(s, argv, argvlen, 0, &data, num);
	CHECK(n == 10);
	for (i = 0; i < n; i += 2)
		CHECK(strcmp(argv[i], "n") != 0);
	free(data);
	session_free(s);
	free(cause);
}

/* INFO lines: the named value, printable and bounded; absent is -1. */
static void
test_info(void)
{
	static const char info[] =
	    "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\n"
	    "used_memory_human:1M\r\nused_memory:1048576\r\nweird:a\x01z\r\n"
	    "last:9";
	char	 out[8];

	CHECK(rd_admin_info_get(info, strlen(info), "redis_version", out,
	    sizeof out) == 0);
	CHECK_STR(out, "7.0.15");
	CHECK(rd_admin_info_get(info, strlen(info), "used_memory", out,
	    sizeof out) == 0);
	CHECK_STR(out, "1048576");
	CHECK(rd_admin_info_get(info, strlen(info), "uptime_in_seconds", out,
	    sizeof out) == 0);
	CHECK_STR(out, "12");
	CHECK(rd_admin_info_get(info, strlen(info), "weird", out,
	    sizeof out) == 0);
	CHECK_STR(out, "a?z");
	CHECK(rd_admin_info_get(info, strlen(info), "last", out,
	    sizeof out) == 0);
	CHECK_STR(out, "9");
	CHECK(rd_admin_info_get(info, strlen(info), "used", out,
	    sizeof out) == -1);
	CHECK(rd_admin_info_get(info, strlen(info), "Server", out,
	    sizeof out) == -1);
	CHECK(rd_admin_info_get("", 0, "x", out, sizeof out) == -1);
	/* Cut to the buffer. */
	CHECK(rd_admin_info_get("k:0123456789\r\n", 14, "k", out,
	    sizeof out) == 0);
	CHECK_STR(out, "0123456");
}

/*
 * rd_conn_format writes what hiredis' own formatter writes, for every kind
 * of argument: empty, binary (CR, LF, NUL), long; the buffer grows and is
 * reused.
 */
static void
test_format(void)
{
	static char	 big[70000];
	static const char *const a1[] = { "GET", "k" };
	static const char *const a2[] = { "HSET", "", "\r\n*1\r\n$3", "x" };
	const char	*a3[3] = { "SET", "b", big };
	size_t		 l4[2] = { 3, 3 };
	const char	*a4[2] = { "a\0b", "\0\0\0" };
	struct {
		int		 argc;
		const char	**argv;
		const size_t	*len;
	} cases[] = {
		{ 2, (const char **)a1, NULL },
		{ 4, (const char **)a2, NULL },
		{ 3, a3, NULL },
		{ 2, a4, l4 },
		{ 2, (const char **)a1, NULL },		/* after the big one */
	};
	struct rd_conn	 rc;
	char		*want;
	size_t		 i;
	int		 n, len;

	memset(big, 'z', sizeof big - 1);
	memset(&rc, 0, sizeof rc);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		len = redisFormatCommandArgv(&want, cases[i].argc,
		    cases[i].argv, cases[i].len);
		n = (int)rd_conn_format(&rc, cases[i].argc, cases[i].argv,
		    cases[i].len);
		CHECK(len > 0 && n == len);
		CHECK(n == len && memcmp(rc.fmt, want, (size_t)n) == 0);
		redisFreeCommand(want);
	}
	free(rc.fmt);
}

int
main(void)
{
	test_format();
	test_int();
	test_value_parse();
	test_value_roundtrip();
	test_info();
	return test_done("test_store_redis");
}
