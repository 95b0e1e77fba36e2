/* Unit tests of the memcached store's static parts: the 30-day TTL rule, options, stored form, user index chunks. */
#include "autoconf.h"

#include "../lib/store_memcached.c"

#include "../tests/test.h"

#define SECRET	"unit-test-secret-0123456789abcdef0123456789abcdef"

/* memcached reads exptime > 30 days as an absolute Unix time. */
static void
test_exptime(void)
{
	static const struct {
		long long	 expires;	/* relative to now */
		long long	 want;		/* -1: now + expires (absolute) */
	} cases[] = {
		{ -100, 1 },			/* already over: shortest TTL */
		{ 0, 1 },
		{ 1, 1 },
		{ 1800, 1800 },
		{ MC_RELATIVE_MAX - 1, MC_RELATIVE_MAX - 1 },
		{ MC_RELATIVE_MAX, MC_RELATIVE_MAX },
		{ MC_RELATIVE_MAX + 1, -1 },
		{ 40 * 86400LL, -1 },
		{ 365 * 86400LL, -1 },
	};
	time_t	 now = 1700000000;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		time_t	 got = mc_exptime(now + cases[i].expires, now);
		time_t	 want = cases[i].want == -1 ?
		    now + cases[i].expires : cases[i].want;

		if (got != want)
			fprintf(stderr, "case %zu: %lld != %lld\n", i,
			    (long long)got, (long long)want);
		CHECK(got == want);
	}
	/* No expiry at all, or beyond what 32 bits hold: never. */
	CHECK(mc_exptime(SESSION_NEVER, now) == 0);
	CHECK(mc_exptime((time_t)INT32_MAX + 1, now) == 0);
}

/* Prefixes end up inside keys: printable, no spaces, bounded. */
static void
test_prefix(void)
{
	char	 long_prefix[200];

	CHECK(mc_config_prefix_ok("sw:"));
	CHECK(mc_config_prefix_ok(""));
	CHECK(mc_config_prefix_ok("site-a/sessions:"));
	CHECK(!mc_config_prefix_ok("has space"));
	CHECK(!mc_config_prefix_ok("tab\there"));
	CHECK(!mc_config_prefix_ok("nl\n"));
	CHECK(!mc_config_prefix_ok("\x7f"));
	memset(long_prefix, 'p', sizeof long_prefix - 1);
	long_prefix[sizeof long_prefix - 1] = '\0';
	CHECK(!mc_config_prefix_ok(long_prefix));
}

/* Store values: servers, options and the key prefix. */
static void
test_open(struct keyring *keys)
{
	static const struct {
		const char	*uri;
		int		 ok;
		const char	*prefix;	/* expected */
		int		 nservers;
	} cases[] = {
		{ "memcached://127.0.0.1:11211", 1, "sw:", 1 },
		{ "memcached://a:1,b:2,c", 1, "sw:", 3 },
		{ "memcached:a:1", 1, "sw:", 1 },
		{ "memcached://[::1]:11211", 1, "sw:", 1 },
		{ "memcached:///run/memcached.sock", 1, "sw:", 1 },
		{ "memcached://h:1?prefix=app%3A", 1, "app:", 1 },
		{ "memcached://h:1?prefix=uri:", 1, "uri:", 1 },
		{ "memcached://h:1?prefix=a:&prefix=b:", 1, "b:", 1 },
		{ "memcached://h:1?timeout=50", 1, "sw:", 1 },
		{ "memcached://", 0, NULL, 0 },
		{ "memcached://,", 0, NULL, 0 },
		{ "memcached://h:0", 0, NULL, 0 },
		{ "memcached://h:65536", 0, NULL, 0 },
		{ "memcached://h:", 0, NULL, 0 },
		{ "memcached://:11211", 0, NULL, 0 },
		{ "memcached://[::1", 0, NULL, 0 },
		{ "memcached://h:1?timeout=5", 0, NULL, 0 },
		{ "memcached://h:1?timeout=x", 0, NULL, 0 },
		{ "memcached://h:1?prefix", 0, NULL, 0 },
		{ "memcached://h:1?nope=1", 0, NULL, 0 },
		{ "memcached://h:1?prefix=a%20b", 0, NULL, 0 },
	};
	struct config	 cfg;
	struct store	 st;
	struct mc_store	*ms;
	char		*cause, *store0;
	long		 ttl;
	size_t		 i;

	config_init(&cfg);
	store0 = cfg.store;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cfg.store = (char *)cases[i].uri;
		memset(&st, 0, sizeof st);
		st.cfg = &cfg;
		st.keys = keys;
		cause = NULL;
		ms = mc_open(&st, &cause);
		if ((ms != NULL) != cases[i].ok)
			fprintf(stderr, "case %zu (%s): %s\n", i,
			    cases[i].uri, cause ? cause : "accepted");
		CHECK((ms != NULL) == cases[i].ok);
		CHECK(ms != NULL || cause != NULL);
		if (ms != NULL) {
			CHECK_STR(ms->prefix, cases[i].prefix);
			CHECK(ms->nservers == cases[i].nservers);
		}
		mc_config_free(ms);
		free(cause);

		/* The same value as a cache: the same prefix. */
		cause = NULL;
		ms = store_memcached_open(&st, cases[i].uri, &ttl, &cause);
		CHECK((ms != NULL) == cases[i].ok);
		if (ms != NULL) {
			CHECK_STR(ms->prefix, cases[i].prefix);
			CHECK(ttl == STORE_CACHE_TTL);
		}
		mc_config_free(ms);
		free(cause);
	}

	/* The prefix was a key of its own: refused, saying what to write. */
	cause = NULL;
	CHECK(config_set(&cfg, "key_prefix", "app:", &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "key_prefix") != NULL &&
	    strstr(cause, "memcached://HOST:PORT?prefix=VALUE") != NULL);
	free(cause);
	cause = NULL;
	CHECK(config_set(&cfg, "key-prefix", "app:", &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "?prefix=") != NULL);
	free(cause);

	/* Keys are required. */
	cfg.store = (char *)"memcached://h:1";
	memset(&st, 0, sizeof st);
	st.cfg = &cfg;
	cause = NULL;
	CHECK(mc_open(&st, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "secret_file") != NULL);
	free(cause);
	cfg.store = store0;
	config_free(&cfg);
}

/* The stored form round-trips, keeps the secret id out, and rejects junk. */
static void
test_value(void)
{
	static const char *const junk[] = {
		"", "{", "[]", "{}", "{\"v\":2,\"data\":{},\"created\":1,"
		"\"access\":1,\"max_age\":0}",
		"{\"v\":1,\"data\":[],\"created\":1,\"access\":1,\"max_age\":0}",
		"{\"v\":1,\"data\":{},\"created\":\"x\",\"access\":1,"
		"\"max_age\":0}",
		/* Out of range: the expiry arithmetic would overflow. */
		"{\"v\":1,\"data\":{},\"created\":-9223372036854775808,"
		"\"access\":1,\"max_age\":0}",
		"{\"v\":1,\"data\":{},\"created\":1,\"access\":-1,"
		"\"max_age\":0}",
		"{\"v\":1,\"data\":{},\"created\":1,"
		"\"access\":9223372036854775807,\"max_age\":0}",
		"{\"v\":1,\"data\":{},\"created\":1,\"access\":1,"
		"\"max_age\":-5}",
		"{\"v\":1,\"data\":{},\"created\":1,\"access\":1,"
		"\"max_age\":0,\"until\":-9223372036854775808}",
	};
	struct session	*s, *t;
	char		*v, *cause = NULL;
	time_t		 until = 0;
	size_t		 i;

	struct config	 cfg;
	struct store	 st;

	config_init(&cfg);
	memset(&st, 0, sizeof st);
	st.cfg = &cfg;
	s = session_new(1000);
	json_object_set_new(s->data, "k", json_string("v"));
	s->user = xstrdup("alice");
	s->access = 1500;
	s->max_age = 99;
	v = mc_value(&st, s, 0);
	CHECK(v != NULL && strstr(v, s->id) == NULL);
	CHECK(v != NULL && strstr(v, "until") == NULL);
	t = mc_value_parse(&st, v, strlen(v), xstrdup("the-id"), 2000, &until,
	    &cause);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_STR(t->id, "the-id");
		CHECK_STR(t->user, "alice");
		CHECK_STR(t->ws_id, s->ws_id);
		CHECK(t->created == 1000 && t->access == 1500);
		CHECK(t->max_age == 99);
		CHECK(until == 0);
		CHECK(t->is_new == 0);
		CHECK_STR(json_string_value(json_object_get(t->data, "k")), "v");
	}
	session_free(t);
	free(v);

	/* Anonymous, with a grace end. */
	free(s->user);
	s->user = NULL;
	v = mc_value(&st, s, 1234);
	t = mc_value_parse(&st, v, strlen(v), xstrdup("id2"), 2000, &until, &cause);
	CHECK(t != NULL && t->user == NULL);
	CHECK(until == 1234);
	session_free(t);
	free(v);
	session_free(s);

	for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		cause = NULL;
		t = mc_value_parse(&st, junk[i], strlen(junk[i]), xstrdup("x"), 0,
		    &until, &cause);
		CHECK(t == NULL && cause != NULL);
		free(cause);
	}
	config_free(&cfg);
}

/*
 * Items as the store writes them today (and wrote them before the shared
 * session rules applied to it) still load; what breaks those rules (the
 * cookie's: ws id, user, times, data) does not.
 */
static void
test_value_stored(void)
{
	static const struct {
		const char	*value;
		int		 ok;
		const char	*user;		/* expected, when ok */
		const char	*ws_id;		/* expected; NULL: a fresh one */
		long		 max_age;
		time_t		 until;
		uint64_t	 ver;
	} cases[] = {
		/* The store's form, logged in and anonymous. */
		{ "{\"v\":1,\"data\":{\"cart\":[1,2]},\"user\":\"alice\","
		  "\"ws_id\":\"q2bDpYw4-XRa_Hk1\",\"created\":1700000000,"
		  "\"access\":1700000500,\"max_age\":0}", 1, "alice",
		  "q2bDpYw4-XRa_Hk1", 0, 0, 0 },
		{ "{\"v\":1,\"data\":{},\"ws_id\":\"AAAAAAAAAAAAAAAA\","
		  "\"created\":1700000000,\"access\":1700000000,"
		  "\"max_age\":1209600}", 1, NULL, "AAAAAAAAAAAAAAAA", 1209600,
		  0, 0 },
		/* Replaced by a login, readable until its grace ends. */
		{ "{\"v\":1,\"data\":{\"a\":\"b\"},\"user\":\"bob\","
		  "\"ws_id\":\"wsid0123456789ab\",\"created\":1,\"access\":2,"
		  "\"max_age\":60,\"until\":1700000010}", 1, "bob",
		  "wsid0123456789ab", 60, 1700000010, 0 },
		/* The cache tier's copy, with PostgreSQL's version. */
		{ "{\"v\":1,\"data\":{},\"user\":\"carol\","
		  "\"ws_id\":\"cccccccccccccccc\",\"created\":5,\"access\":6,"
		  "\"max_age\":0,\"until\":1700000100,\"ver\":42}", 1,
		  "carol", "cccccccccccccccc", 0, 1700000100, 42 },
		/* Without a ws_id (items older than it): a fresh one. */
		{ "{\"v\":1,\"data\":{},\"created\":1,\"access\":1,"
		  "\"max_age\":0}", 1, NULL, NULL, 0, 0, 0 },
		/* The rules of every store. */
		{ "{\"v\":1,\"data\":{},\"ws_id\":\"not a ws id\","
		  "\"created\":1,\"access\":1,\"max_age\":0}", 0, NULL, NULL, 0, 0, 0 },
		{ "{\"v\":1,\"data\":{},\"ws_id\":\"\",\"created\":1,"
		  "\"access\":1,\"max_age\":0}", 0, NULL, NULL, 0, 0, 0 },
		{ "{\"v\":1,\"data\":{},\"user\":\"\",\"created\":1,"
		  "\"access\":1,\"max_age\":0}", 0, NULL, NULL, 0, 0, 0 },
		{ "{\"v\":1,\"data\":{},\"user\":\"a\\nb\",\"created\":1,"
		  "\"access\":1,\"max_age\":0}", 0, NULL, NULL, 0, 0, 0 },
		{ "{\"v\":1,\"data\":{},\"user\":\"\\u00ff\\ud800\","
		  "\"created\":1,\"access\":1,\"max_age\":0}", 0, NULL, NULL, 0, 0, 0 },
		/* Longer than any X-Session-Max-Age is allowed to ask for. */
		{ "{\"v\":1,\"data\":{},\"created\":1,\"access\":1,"
		  "\"max_age\":315360001}", 0, NULL, NULL, 0, 0, 0 },
	};
	struct session	*t;
	char		*cause;
	time_t		 until;
	uint64_t	 ver;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		until = ver = 0;
		t = mc_value_parse_ver(cases[i].value, strlen(cases[i].value),
		    xstrdup("the-id"), 1700000000, &until, &ver, &cause);
		if ((t != NULL) != cases[i].ok)
			fprintf(stderr, "case %zu: %s\n", i,
			    cause != NULL ? cause : "accepted");
		CHECK((t != NULL) == cases[i].ok);
		CHECK(t != NULL || cause != NULL);
		if (t != NULL) {
			CHECK_STR(t->id, "the-id");
			CHECK((t->user == NULL) == (cases[i].user == NULL));
			if (cases[i].user != NULL)
				CHECK_STR(t->user, cases[i].user);
			CHECK(t->ws_id != NULL);
			if (cases[i].ws_id != NULL)
				CHECK_STR(t->ws_id, cases[i].ws_id);
			CHECK(t->max_age == cases[i].max_age);
			CHECK(until == cases[i].until);
			CHECK(ver == cases[i].ver);
			CHECK(json_is_object(t->data));
		}
		session_free(t);
		free(cause);
	}
}

/* Chunks of a user index: "until hash ...", junk tokens skipped and counted. */
static void
test_index_parse(void)
{
#define H1	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	static const struct {
		const char	*value;
		int		 rc;
		long long	 until;
		size_t		 n, bad;
	} cases[] = {
		{ "1700000000 " H1, 0, 1700000000, 1, 0 },
		{ "1700000000 " H1 " " H2, 0, 1700000000, 2, 0 },
		{ "5", 0, 5, 0, 0 },
		{ "0", 0, 0, 0, 0 },			/* what revoke leaves */
		{ "5  " H1 "  ", 0, 5, 1, 0 },		/* extra spaces */
		{ "5 " H1 "x", 0, 5, 0, 1 },		/* 65 chars */
		{ "5 " "0123", 0, 5, 0, 1 },
		{ "5 ../../etc " H2, 0, 5, 1, 1 },
		{ "5 " "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
		  "0123456789ABCDEF", 0, 5, 0, 1 },	/* upper case */
		{ "", -1, 0, 0, 0 },
		{ " 5 " H1, -1, 0, 0, 0 },
		{ "x " H1, -1, 0, 0, 0 },
		{ "5x " H1, -1, 0, 0, 0 },
		{ "-5 " H1, -1, 0, 0, 0 },
		{ "99999999999999999999999 " H1, -1, 0, 0, 0 },
	};
	char	**hashes;
	size_t	 i, n, bad;
	long long until;
	int	 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = mc_index_parse(cases[i].value, strlen(cases[i].value),
		    &until, &hashes, &n, &bad);
		if (rc != cases[i].rc || (rc == 0 && (until != cases[i].until ||
		    n != cases[i].n || bad != cases[i].bad)))
			fprintf(stderr, "index case %zu: rc %d until %lld n %zu "
			    "bad %zu\n", i, rc, until, n, bad);
		CHECK(rc == cases[i].rc);
		if (rc == 0) {
			CHECK(until == cases[i].until);
			CHECK(n == cases[i].n && bad == cases[i].bad);
			CHECK(hashes != NULL && hashes[n] == NULL);
		}
		mc_index_free(hashes);
	}
	/* Not NUL-terminated: only len bytes are read. */
	rc = mc_index_parse("7 " H1 H2, 2 + 64, &until, &hashes, &n, &bad);
	CHECK(rc == 0 && until == 7 && n == 1 && bad == 0);
	CHECK(hashes != NULL && hashes[0] != NULL && strcmp(hashes[0], H1) == 0);
	mc_index_free(hashes);
#undef H1
#undef H2
}

/*
 * store_format = aiohttp: the cookie is the id, the item key aiohttp's,
 * the value aiohttp's JSON with the grace end beside "created".
 */
static void
test_aiohttp(void)
{
	static const struct {
		const char	*cookie;
		int		 ok;
	} ids[] = {
		{ "0123456789abcdef0123456789abcdef", 1 },	/* uuid4().hex */
		{ "AbCdEfGhIjKlMnOpQrStUvWx", 1 },		/* ours */
		{ "", 0 },
		{ "a b", 0 },
		{ "abc\r\nset x", 0 },
		{ "ab.cd", 0 },
		{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		    "abcdef", 1 },					/* 64 */
		{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		    "abcdef0", 0 },					/* 65 */
	};
	struct config	 cfg;
	struct store	 st;
	struct session	*s, *t;
	char		*v, *id, *cause = NULL;
	time_t		 until;
	size_t		 i;

	config_init(&cfg);
	CHECK(config_set(&cfg, "store_format", "aiohttp", &cause) == 0);
	CHECK(config_set(&cfg, "cookie_name", "AIOHTTP_SESSION", &cause) == 0);
	CHECK(config_set(&cfg, "user_key", "AIOHTTP_SECURITY", &cause) == 0);
	memset(&st, 0, sizeof st);
	st.cfg = &cfg;
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		CHECK((mc_cookie_id(&st, ids[i].cookie, &id) == 0) ==
		    ids[i].ok);
		CHECK(ids[i].ok ? id != NULL && strcmp(id, ids[i].cookie) == 0 :
		    id == NULL);
		free(id);
	}
	v = mc_key(&st, "0123456789abcdef0123456789abcdef");
	CHECK_STR(v, "AIOHTTP_SESSION_0123456789abcdef0123456789abcdef");
	free(v);

	s = session_new(1000);
	s->user = xstrdup("alice");
	s->access = 1500;
	json_object_set_new(s->data, "n", json_integer(3));
	v = mc_value(&st, s, 0);
	CHECK(v != NULL && strncmp(v, "{\"created\": 1000, \"session\": "
	    "{\"n\": 3, \"AIOHTTP_SECURITY\": \"alice\", \"sessionwrap\": ",
	    62) == 0);
	t = mc_value_parse(&st, v, strlen(v), xstrdup("item-id"), 2000,
	    &until, &cause);
	CHECK(t != NULL && until == 0);
	if (t != NULL) {
		CHECK_STR(t->id, "item-id");
		CHECK_STR(t->user, "alice");
		CHECK_STR(t->ws_id, s->ws_id);
		CHECK(t->created == 1000 && t->access == 1500 && !t->changed);
		CHECK(json_object_size(t->data) == 1);
	}
	session_free(t);
	free(v);
	v = mc_value(&st, s, 1234);
	t = mc_value_parse(&st, v, strlen(v), xstrdup("item-id"), 2000,
	    &until, &cause);
	CHECK(t != NULL && until == 1234);
	session_free(t);
	free(v);
	session_free(s);

	/* Past our idle clock yet still stored: Python wrote it since. */
	s = session_new(1000);
	s->access = 1000;
	v = mc_value(&st, s, 0);
	t = mc_value_parse(&st, v, strlen(v), xstrdup("item-id"), 5000,
	    &until, &cause);
	CHECK(t != NULL && t->access == 5000 && !t->changed);
	session_free(t);
	t = mc_value_parse(&st, v, strlen(v), xstrdup("item-id"), 2000,
	    &until, &cause);
	CHECK(t != NULL && t->access == 1000);
	session_free(t);
	free(v);
	session_free(s);

	/* What aiohttp writes itself: a session new to sessionwrap. */
	v = "{\"created\": 1900, \"session\": {\"AIOHTTP_SECURITY\": \"bob\"}}";
	t = mc_value_parse(&st, v, strlen(v), xstrdup("0123abcd"), 2000,
	    &until, &cause);
	CHECK(t != NULL && until == 0);
	if (t != NULL) {
		CHECK_STR(t->id, "0123abcd");
		CHECK_STR(t->user, "bob");
		CHECK(t->ws_id != NULL && t->changed && t->created == 1900);
	}
	session_free(t);
	v = "{\"created\": \"x\", \"session\": {}}";
	CHECK(mc_value_parse(&st, v, strlen(v), xstrdup("i"), 2000, &until,
	    &cause) == NULL && cause != NULL);
	free(cause);
	config_free(&cfg);
}

int
main(void)
{
	struct keyring	*keys;
	char		*cause = NULL;

	log_init("test_store_memcached", 0);
	log_set_level(LOG_LVL_WARN);
	if ((keys = keyring_parse(SECRET "\n", &cause)) == NULL) {
		fprintf(stderr, "keyring: %s\n", cause);
		return 1;
	}
	test_exptime();
	test_prefix();
	test_open(keys);
	test_value();
	test_value_stored();
	test_aiohttp();
	test_index_parse();
	keyring_free(keys);
	return test_done("store_memcached");
}
