/* Unit tests of ws_bus messages (seal, open) and ws_bus values. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "crypto.h"
#include "wsbus.h"
#include "xmalloc.h"
#include "test.h"

#define K1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define K2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const time_t	 now = 1800000000;

/* Open msg as the helper would; the cause (NULL when it opened). */
static const char *
try_open(const struct keyring *keys, const char *channel, time_t at,
    const char *msg, char **line)
{
	unsigned char	 nonce[WSBUS_NONCE_LEN];
	const char	*l, *cause = NULL;
	size_t		 len;

	*line = NULL;
	if (wsbus_open(keys, channel, at, msg, strlen(msg), &l, &len, nonce,
	    &cause) == 0) {
		*line = xstrndup(l, len);
		return NULL;
	}
	return cause;
}

/* A sealed message with one byte at offset changed to c. */
static char *
tampered(const char *msg, size_t off, char c)
{
	char	*m = xstrdup(msg);

	m[off] = m[off] == c ? (c == 'A' ? 'B' : 'A') : c;
	return m;
}

/* Seal, then open under every condition a message may meet. */
static void
test_seal_open(void)
{
	struct keyring	*k1, *k2, *rot;
	char		*cause, *msg, *line, *m, *big;
	const char	*why;
	size_t		 i, n;
	static const struct {
		long		 skew;		/* helper's clock - publisher's */
		const char	*want;		/* cause, NULL: opens */
	} times[] = {
		{ 0, NULL },
		{ WSBUS_WINDOW, NULL },
		{ -WSBUS_WINDOW, NULL },
		{ WSBUS_WINDOW + 1, "message outside the time window" },
		{ -WSBUS_WINDOW - 1, "message outside the time window" },
		{ 3600, "message outside the time window" },
	};

	k1 = keyring_parse(K1 "\n", &cause);
	k2 = keyring_parse(K2 "\n", &cause);
	rot = keyring_parse(K2 "\n" K1 "\n", &cause);
	CHECK(k1 != NULL && k2 != NULL && rot != NULL);
	msg = wsbus_seal(k1, "chan", now, "CLOSE abc", 9);
	CHECK(msg != NULL && strncmp(msg, "swb1 ", 5) == 0);
	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		why = try_open(k1, "chan", now + times[i].skew, msg, &line);
		CHECK_STR(why, times[i].want);
		if (times[i].want == NULL)
			CHECK_STR(line, "CLOSE abc");
		free(line);
	}
	/* Another key, another channel: refused; an older key still opens. */
	CHECK_STR(try_open(k2, "chan", now, msg, &line), "bad MAC");
	CHECK_STR(try_open(k1, "chan2", now, msg, &line), "bad MAC");
	CHECK_STR(try_open(rot, "chan", now, msg, &line), NULL);
	free(line);
	/* Any changed byte past the magic fails (MAC, time, nonce, line). */
	n = strlen(msg);
	for (i = 5; i < n; i++) {
		m = tampered(msg, i, 'A');
		why = try_open(k1, "chan", now, m, &line);
		CHECK(why != NULL);
		free(line);
		free(m);
	}
	CHECK(try_open(k1, "chan", now, msg + 1, &line) != NULL);
	m = xstrndup(msg, n - 1);
	CHECK_STR(try_open(k1, "chan", now, m, &line), "bad MAC");
	free(m);
	free(msg);

	/* Sizes: WSBUS_MAX_MSG is the bound on both sides. */
	big = xmalloc(WSBUS_MAX_MSG + 2);
	memset(big, 'x', WSBUS_MAX_MSG + 1);
	big[WSBUS_MAX_MSG + 1] = '\0';
	CHECK(wsbus_seal(k1, "chan", now, big, WSBUS_MAX_MSG - 50) == NULL);
	msg = wsbus_seal(k1, "chan", now, big, WSBUS_MAX_MSG - 200);
	CHECK(msg != NULL && strlen(msg) <= WSBUS_MAX_MSG);
	free(msg);
	CHECK_STR(try_open(k1, "chan", now, big, &line), "oversized message");
	free(big);
	keyring_free(k1);
	keyring_free(k2);
	keyring_free(rot);
}

/* Malformed messages, none of which may open (or crash). */
static void
test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"swb1",
		"swb1 ",
		"swb2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1 x CLOSE a",
		"swb1 AAAA 1800000000 AAAAAAAAAAAAAAAAAAAAAA CLOSE a",
		"swb1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"swb1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1800000000 "
		    "AAAAAAAAAAAAAAAAAAAAAA CLOSE a",
		"swb1 ++++AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1 A CLOSE a",
	};
	struct keyring	*k;
	char		*cause, *line;
	size_t		 i;

	k = keyring_parse(K1, &cause);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(try_open(k, "chan", now, bad[i], &line) != NULL);
		CHECK(line == NULL);
	}
	keyring_free(k);
}

/* wsbus_kind and wsbus_pg_conninfo (redis:// values: test_redis_uri.c). */
static void
test_uris(void)
{
	char	*cause;

	CHECK(wsbus_kind("postgresql://h/db") == WSBUS_PG);
	CHECK(wsbus_kind("postgresql:host=/tmp dbname=x") == WSBUS_PG);
	CHECK(wsbus_kind("postgres://h") == WSBUS_PG);
	CHECK(wsbus_kind("redis://h") == WSBUS_REDIS);
	CHECK(wsbus_kind("redis+unix:///x") == WSBUS_REDIS);
	CHECK(wsbus_kind("memcached://h") == WSBUS_NONE);
	CHECK(wsbus_kind(NULL) == WSBUS_NONE);
	cause = wsbus_pg_conninfo("postgresql:host=/tmp dbname=x");
	CHECK_STR(cause, "host=/tmp dbname=x");
	free(cause);
	cause = wsbus_pg_conninfo("postgresql://h/db");
	CHECK_STR(cause, "postgresql://h/db");
	free(cause);
}

/* wsbus_check: the values sessionwrap-ws refuses to start with. */
static void
test_check(void)
{
	static const struct {
		const char	*bus, *channel;
		int		 ok;
	} cases[] = {
		{ NULL, "sessionwrap_ws", 1 },
		{ "redis://h", "sessionwrap_ws", 1 },
		{ "redis://h:99999", "sessionwrap_ws", 0 },
		{ "REDIS://[::1]:6380/2", "sessionwrap_ws", 1 },
		{ "redis+unix:///r.sock?db=2", "sessionwrap_ws", 1 },
		{ "redis://u:a+b%21@h", "sessionwrap_ws", 1 },
		/* The store's options name nothing on the bus. */
		{ "redis://h?prefix=app:", "sessionwrap_ws", 0 },
		{ "redis://h?timeout=50", "sessionwrap_ws", 0 },
		{ "ftp://h", "sessionwrap_ws", 0 },
		{ NULL, "", 0 },
		{ NULL, "Upper", 0 },
		{ NULL, "a\"b", 0 },
		{ NULL, "x234567890123456789012345678901234567890123456789"
		    "0123456789abcde", 0 },
		{ NULL, "x234567890123456789012345678901234567890123456789"
		    "0123456789abcd", 1 },
	};
	struct config	 cfg;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&cfg, 0, sizeof cfg);
		cfg.ws_bus = (char *)cases[i].bus;
		cfg.ws_bus_channel = (char *)cases[i].channel;
		cause = NULL;
		CHECK((wsbus_check(&cfg, &cause) == 0) == cases[i].ok);
		CHECK((cause == NULL) == cases[i].ok);
		free(cause);
	}
}

/* Entry point. */
int
main(void)
{
	test_seal_open();
	test_malformed();
	test_uris();
	test_check();
	return test_done("test_wsbus");
}
