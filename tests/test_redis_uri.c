/* Unit tests of redis_uri_parse: the Redis store's value, a Redis ws_bus. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "redis_uri.h"
#include "../tests/test.h"

/* Every accepted form, and what each part became; and refusals. */
static void
test_parse(void)
{
	static const struct {
		const char	*in;
		int		 ok;
		const char	*host, *path, *user, *pass, *prefix;
		int		 port, db;
		long		 timeout;
	} cases[] = {
		{ "redis://127.0.0.1:6380", 1, "127.0.0.1", NULL, NULL, NULL,
		    NULL, 6380, 0, 0 },
		{ "redis://localhost", 1, "localhost", NULL, NULL, NULL, NULL,
		    6379, 0, 0 },
		{ "redis://h:1/3", 1, "h", NULL, NULL, NULL, NULL, 1, 3,
		    0 },
		{ "redis://h/", 1, "h", NULL, NULL, NULL, NULL, 6379, 0,
		    0 },
		{ "redis://[::1]:7000/2?prefix=a%3Ab:&timeout=50", 1, "::1",
		    NULL, NULL, NULL, "a:b:", 7000, 2, 50 },
		{ "redis://app:s%40cr+t@h:1", 1, "h", NULL, "app", "s@cr+t",
		    NULL, 1, 0, 0 },
		{ "redis://:pw@h", 1, "h", NULL, NULL, "pw", NULL, 6379, 0,
		    0 },
		{ "redis://pw@h", 1, "h", NULL, NULL, "pw", NULL, 6379, 0,
		    0 },
		{ "redis://u:p@ss@h", 1, "h", NULL, "u", "p@ss", NULL, 6379,
		    0, 0 },
		{ "redis+unix:///run/r.sock", 1, NULL, "/run/r.sock", NULL,
		    NULL, NULL, 6379, 0, 0 },
		{ "redis+unix:///r.sock?db=5&prefix=x", 1, NULL, "/r.sock",
		    NULL, NULL, "x", 6379, 5, 0 },
		{ "redis+unix://u:p@/r.sock", 1, NULL, "/r.sock", "u", "p",
		    NULL, 6379, 0, 0 },
		/* The scheme's case does not matter (RFC 3986, 3.1). */
		{ "REDIS://h", 1, "h", NULL, NULL, NULL, NULL, 6379, 0, 0 },
		{ "Redis+Unix:///r.sock", 1, NULL, "/r.sock", NULL, NULL, NULL,
		    6379, 0, 0 },
		/* A '+' stays one, and the escapes around it are decoded. */
		{ "redis://u:a+b%21@h", 1, "h", NULL, "u", "a+b!", NULL, 6379,
		    0, 0 },
		{ "redis://u:p%40ss@h:1/", 1, "h", NULL, "u", "p@ss", NULL, 1,
		    0, 0 },
		{ "redis://[::1]", 1, "::1", NULL, NULL, NULL, NULL, 6379, 0,
		    0 },
		{ "redis://[::1]:6380", 1, "::1", NULL, NULL, NULL, NULL, 6380,
		    0, 0 },
		{ .in = "redis://h/db", .ok = 0 },
		{ .in = "redis://u:%zz@h", .ok = 0 },
		{ .in = "http://h", .ok = 0 },
		{ .in = "redis://", .ok = 0 },
		{ .in = "redis://:6379", .ok = 0 },
		{ .in = "redis://h:0", .ok = 0 },
		{ .in = "redis://h:65536", .ok = 0 },
		{ .in = "redis://h:12x", .ok = 0 },
		{ .in = "redis://h:", .ok = 0 },
		{ .in = "redis://h/x", .ok = 0 },
		{ .in = "redis://h/70000", .ok = 0 },
		{ .in = "redis://[::1", .ok = 0 },
		{ .in = "redis://[::1]x", .ok = 0 },
		{ .in = "redis://h?db=1", .ok = 0 },		/* db is the path here */
		{ .in = "redis://h?bogus=1", .ok = 0 },
		{ .in = "redis://h?timeout", .ok = 0 },
		{ .in = "redis://h?timeout=5", .ok = 0 },
		{ .in = "redis://h?timeout=60001", .ok = 0 },
		{ .in = "redis://h?prefix=has%20space", .ok = 0 },
		{ .in = "redis://h?prefix=%zz", .ok = 0 },
		{ .in = "redis://u%00:p@h", .ok = 0 },
		{ .in = "redis://u:p%4@h", .ok = 0 },
		{ .in = "redis://u:@h", .ok = 0 },			/* a user needs a password */
		{ .in = "redis+unix://", .ok = 0 },
		{ .in = "redis+unix:///", .ok = 0 },
		{ .in = "redis+unix://relative.sock", .ok = 0 },
		{ .in = "redis+unix:///r.sock?db=x", .ok = 0 },
		{ .in = "memcached://h", .ok = 0 },
	};
	struct redis_uri	 u;
	char		*cause;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		rc = redis_uri_parse(cases[i].in, &u, &cause);
		if ((rc == 0) != cases[i].ok)
			fprintf(stderr, "case %zu (%s): %s\n", i, cases[i].in,
			    cause ? cause : "accepted");
		CHECK((rc == 0) == cases[i].ok);
		CHECK(rc == 0 || cause != NULL);
		free(cause);
		if (rc != 0 || !cases[i].ok)
			continue;
		CHECK_STR(u.host, cases[i].host);
		CHECK_STR(u.path, cases[i].path);
		CHECK_STR(u.user, cases[i].user);
		CHECK_STR(u.pass, cases[i].pass);
		CHECK_STR(u.prefix, cases[i].prefix);
		CHECK(u.port == cases[i].port);
		CHECK(u.db == cases[i].db);
		CHECK(u.timeout == cases[i].timeout);
		redis_uri_free(&u);
	}
}

/* Entry point. */
int
main(void)
{
	test_parse();
	return test_done("test_redis_uri");
}
