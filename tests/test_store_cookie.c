/* Unit tests for lib/store.c and lib/store_cookie.c. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/config.h"
#include "../lib/cookie.h"
#include "../lib/crypto.h"
#include "../lib/session.h"
#include "../lib/store.h"
#include "../tests/test.h"

#define SECRET_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SECRET_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NOW		1700000000

/* Parse a keyring that must be valid. */
static struct keyring *
test_keys(const char *text)
{
	struct keyring	*kr;
	char		*cause = NULL;

	if ((kr = keyring_parse(text, &cause)) == NULL) {
		fprintf(stderr, "keyring_parse: %s\n", cause);
		exit(1);
	}
	return kr;
}

/* Set a config key that must be valid. */
static void
test_set(struct config *cfg, const char *key, const char *value)
{
	char	*cause = NULL;

	if (config_set(cfg, key, value, &cause) != 0) {
		fprintf(stderr, "config_set %s: %s\n", key, cause);
		exit(1);
	}
}

/* Backend selection by store value, and its errors. */
static void
test_open(void)
{
	static const struct {
		const char	*store;
		int		 keys;
		const char	*cause;
	} cases[] = {
		{ NULL, 1, NULL },
		{ "cookie", 1, NULL },
		{ "cookie:", 1, NULL },
		{ "cookie", 0, "store = cookie needs secret_file (generate one "
		    "with: sessionwrap-ctl keygen > FILE)" },
		{ NULL, 0, "store = cookie needs secret_file (generate one "
		    "with: sessionwrap-ctl keygen > FILE)" },
		{ "cookies", 1, "store = cookies: not a known or built-in store "
		    "(built in: " },
		{ "mongodb://u:hunter2@host/0", 1, "store = mongodb:...: not a "
		    "known or built-in store (built in: " },
		{ "", 1, "store = : not a known or built-in store (built in: " },
	};
	struct config	 cfg;
	struct keyring	*kr;
	struct store	*st;
	char		*cause;
	size_t		 i;

	kr = test_keys(SECRET_A);
	/* The cookie store is always first; others depend on configure. */
	CHECK(strncmp(store_names(), "cookie", 6) == 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		config_init(&cfg);
		free(cfg.store);
		cfg.store = cases[i].store != NULL ? strdup(cases[i].store) :
		    NULL;
		cause = NULL;
		st = store_open(&cfg, cases[i].keys ? kr : NULL, &cause);
		if (cases[i].cause != NULL && cause != NULL &&
		    strstr(cases[i].cause, "(built in: ") != NULL) {
			char	*want;

			/* The message ends with the list of built-in stores. */
			if (asprintf(&want, "%s%s)", cases[i].cause,
			    store_names()) == -1)
				want = NULL;
			CHECK_STR(cause, want);
			free(want);
		} else
			CHECK_STR(cause, cases[i].cause);
		CHECK((st == NULL) == (cases[i].cause != NULL));
		if (st != NULL) {
			CHECK(st->ops == &store_cookie_ops);
			CHECK(st->ops->client_side);
			CHECK(st->cfg == &cfg && st->keys == kr);
		}
		store_close(st);
		free(cause);
		config_free(&cfg);
	}
	store_close(NULL);
	keyring_free(kr);

	CHECK_STR(store_result_str(STORE_OK), "ok");
	CHECK_STR(store_result_str(STORE_NOTFOUND), "not found");
	CHECK_STR(store_result_str(STORE_TOOBIG), "too big");
	CHECK_STR(store_result_str(STORE_ERROR), "error");
}

/* Signed ids, rotation, store keys and public ids. */
static void
test_signed_ids(void)
{
	struct keyring	*old, *rotated, *dropped;
	char		*id, *signed_old, *signed_new, *got, *bad, *k1, *k2;
	char		*k3;
	size_t		 i;

	old = test_keys(SECRET_A);
	rotated = test_keys(SECRET_B "\n" SECRET_A "\n");
	dropped = test_keys(SECRET_B);

	id = crypto_random_id(SESSION_ID_BYTES);
	CHECK(strlen(id) == 24);
	signed_old = store_sign_id(old, id);
	signed_new = store_sign_id(rotated, id);
	CHECK(strlen(signed_old) == 24 + 1 + 22);
	CHECK(strncmp(signed_old, id, 24) == 0 && signed_old[24] == '.');
	CHECK(strcmp(signed_old, signed_new) != 0);
	CHECK(cookie_value_ok(signed_old, strlen(signed_old)));

	CHECK(store_verify_id(old, signed_old, &got) == 0);
	CHECK_STR(got, id);
	free(got);
	CHECK(store_verify_id(rotated, signed_old, &got) == 0);
	CHECK_STR(got, id);
	free(got);
	CHECK(store_verify_id(rotated, signed_new, &got) == 0);
	free(got);
	CHECK(store_verify_id(old, signed_new, &got) == -1);
	CHECK(got == NULL);
	CHECK(store_verify_id(dropped, signed_old, &got) == -1);

	/* Forged: every character changed in turn. */
	bad = strdup(signed_old);
	for (i = 0; i < strlen(bad); i++) {
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		CHECK(store_verify_id(old, bad, &got) == -1);
		CHECK(got == NULL);
		bad[i] = signed_old[i];
	}
	free(bad);

	/* Shapes that are never accepted. */
	{
		static const char *const shapes[] = {
			"", ".", "abc", "abc.def",
			"AAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
			"AAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAA",
			"AAAAAAAAAAAAAAAAAAAAAAA+.AAAAAAAAAAAAAAAAAAAAAA",
			"AAAAAAAAAAAAAAAAAAAAAAA=.AAAAAAAAAAAAAAAAAAAAAA",
			"AAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA=",
		};

		for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
			CHECK(store_verify_id(old, shapes[i], &got) == -1);
		CHECK(store_verify_id(old, NULL, &got) == -1);
	}
	/* Right mac, extra text around it. */
	if (asprintf(&bad, "%s.", signed_old) == -1)
		exit(1);
	CHECK(store_verify_id(old, bad, &got) == -1);
	free(bad);
	if (asprintf(&bad, " %s", signed_old) == -1)
		exit(1);
	CHECK(store_verify_id(old, bad, &got) == -1);
	free(bad);

	/* Store keys: rotation needs store_key_n to find old rows. */
	k1 = store_key(old, id);
	k2 = store_key(rotated, id);
	k3 = store_key_n(rotated, 1, id);
	CHECK(strlen(k1) == 64 && strlen(k2) == 64);
	CHECK(strcmp(k1, k2) != 0);
	CHECK_STR(k1, k3);
	free(k3);
	k3 = store_public_id(old, id);
	CHECK(strlen(k3) == 32);
	CHECK(strncmp(k1, k3, 32) != 0);
	free(k3);
	free(k2);
	free(k1);

	free(signed_new);
	free(signed_old);
	free(id);
	keyring_free(dropped);
	keyring_free(rotated);
	keyring_free(old);
}

/* A session with some data and a user. */
static struct session *
test_session(size_t datalen)
{
	struct session	*s;
	char		*big;

	s = session_new(NOW);
	s->user = strdup("alice");
	json_object_set_new(s->data, "n", json_integer(42));
	big = malloc(datalen + 1);
	memset(big, 'x', datalen);
	big[datalen] = '\0';
	json_object_set_new(s->data, "big", json_string(big));
	free(big);
	return s;
}

/*
 * A cookie sealed by this version with SECRET_A at NOW (the sealed form is
 * session_serialize's): cookies out there keep loading.
 */
static void
test_cookie_stored(void)
{
	static const char cookie[] =
	    "AS5XdEc6qb1t1-MBeCSi2kOhtVca1visBpSfUcp3abuxMB_Sz-xpk5s5lD72NPO44Jm"
	    "fvbykos0dlfvdRNWePZ16wqp1lL1tQvLe6nJnpQj6lRzvtQVUCkWwDmYwFIbDssL6a"
	    "s4NaE-QKQooUTK_N78uy5NCu5sbUgQ7-TPElAKBVPL7X3R4pSM9CabXq1N-mZU7Sm4"
	    "hGbp9Fdj6hG0GBsa1Fg";
	struct config	 cfg;
	struct keyring	*kr;
	struct store	*st;
	struct session	*l = NULL;
	char		*cause = NULL;
	void		*conn;

	kr = test_keys(SECRET_A);
	config_init(&cfg);
	st = store_open(&cfg, kr, &cause);
	CHECK(st != NULL);
	if (st == NULL)
		return;
	conn = st->ops->conn_new(st, &cause);
	CHECK(st->ops->load(st, conn, cookie, NOW + 60, &l, &cause) ==
	    STORE_OK);
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_STR(l->id, "dgBfEBAQp0eHKv3ILa24igel");
		CHECK_STR(l->ws_id, "tJ5ljtGvc1yUav26");
		CHECK_STR(l->user, "alice");
		CHECK(l->created == NOW && l->access == NOW && l->max_age == 0);
		CHECK(json_integer_value(json_array_get(json_object_get(l->data,
		    "cart"), 1)) == 2);
	}
	session_free(l);
	/* Expired by now: not loaded. */
	l = NULL;
	CHECK(st->ops->load(st, conn, cookie, NOW + 86400 + 1, &l, &cause) ==
	    STORE_NOTFOUND);
	CHECK(l == NULL);
	st->ops->conn_free(conn);
	store_close(st);
	config_free(&cfg);
	keyring_free(kr);
}

/* Save, load, and everything that must not load. */
static void
test_cookie_store(void)
{
	struct config	 cfg, cfg2;
	struct keyring	*kr, *rotated, *other;
	struct store	*st, *st2;
	struct session	*s, *l;
	enum store_result r;
	char		*cause = NULL, *cookie, *bad, *dump1, *dump2, *value;
	void		*conn;
	size_t		 i;

	kr = test_keys(SECRET_A);
	rotated = test_keys(SECRET_B "\n" SECRET_A);
	other = test_keys(SECRET_B);
	config_init(&cfg);
	test_set(&cfg, "idle_timeout", "1800");
	test_set(&cfg, "absolute_timeout", "86400");
	st = store_open(&cfg, kr, &cause);
	CHECK(st != NULL && cause == NULL);
	conn = st->ops->conn_new(st, &cause);
	CHECK(conn != NULL);

	s = test_session(100);
	s->version = 7;
	r = st->ops->save(st, conn, s, 1, NOW, &cookie, &cause);
	CHECK(r == STORE_OK);
	CHECK(cause == NULL);
	CHECK(cookie != NULL && cookie_value_ok(cookie, strlen(cookie)));
	CHECK(strlen(cookie) <= COOKIE_MAX_VALUE);

	r = st->ops->load(st, conn, cookie, NOW + 10, &l, &cause);
	CHECK(r == STORE_OK);
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_STR(l->id, s->id);
		CHECK_STR(l->ws_id, s->ws_id);
		CHECK_STR(l->user, "alice");
		CHECK(l->created == s->created && l->access == s->access);
		CHECK(l->version != 0);
		dump1 = session_data_json(s);
		dump2 = session_data_json(l);
		CHECK_STR(dump1, dump2);
		free(dump2);
		free(dump1);
		session_free(l);
	}

	/* Expired: idle and absolute timeouts. */
	r = st->ops->load(st, conn, cookie, NOW + 1800, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	r = st->ops->load(st, conn, cookie, NOW + 1799, &l, &cause);
	CHECK(r == STORE_OK);
	session_free(l);

	/* Garbage, tampering, NULL. */
	r = st->ops->load(st, conn, NULL, NOW, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	r = st->ops->load(st, conn, "", NOW, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	r = st->ops->load(st, conn, "garbage", NOW, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	bad = strdup(cookie);
	for (i = 0; i < strlen(bad); i += 7) {
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		r = st->ops->load(st, conn, bad, NOW, &l, &cause);
		CHECK(r == STORE_NOTFOUND && l == NULL);
		bad[i] = cookie[i];
	}
	free(bad);
	/* Something sealed that is not a session. */
	bad = crypto_seal(kr, cfg.cookie_name, "{\"a\":1}", 7);
	r = st->ops->load(st, conn, bad, NOW, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	free(bad);
	CHECK(cause == NULL);

	/* Another cookie name, another key, a rotated keyring. */
	config_init(&cfg2);
	test_set(&cfg2, "cookie_name", "other");
	st2 = store_open(&cfg2, kr, &cause);
	r = st2->ops->load(st2, conn, cookie, NOW, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	store_close(st2);
	config_free(&cfg2);
	st2 = store_open(&cfg, other, &cause);
	r = st2->ops->load(st2, conn, cookie, NOW, &l, &cause);
	CHECK(r == STORE_NOTFOUND && l == NULL);
	store_close(st2);
	st2 = store_open(&cfg, rotated, &cause);
	r = st2->ops->load(st2, conn, cookie, NOW, &l, &cause);
	CHECK(r == STORE_OK && l != NULL);
	session_free(l);
	store_close(st2);
	free(cookie);

	/* Destroy has nothing to do. */
	CHECK(st->ops->destroy(st, conn, s->id, 0, NOW, &cause) == STORE_OK);
	session_free(s);

	/* Too big: an error with the size, never a cut cookie. */
	s = test_session(3500);
	cookie = (char *)"unset";
	r = st->ops->save(st, conn, s, 0, NOW, &cookie, &cause);
	CHECK(r == STORE_TOOBIG);
	CHECK(cookie == NULL);
	CHECK(cause != NULL && strstr(cause, "bytes") != NULL);
	free(cause);
	cause = NULL;
	session_free(s);

	/* Right under the limit: the value still passes cookie_find. */
	s = test_session(2700);
	r = st->ops->save(st, conn, s, 0, NOW, &cookie, &cause);
	CHECK(r == STORE_OK);
	if (r == STORE_OK) {
		if (asprintf(&bad, "a=1; %s=%s", cfg.cookie_name, cookie) == -1)
			exit(1);
		CHECK(cookie_find(bad, cfg.cookie_name, &value, NULL) ==
		    COOKIE_FOUND);
		CHECK_STR(value, cookie);
		free(value);
		free(bad);
		free(cookie);
	} else
		free(cause);
	session_free(s);

	st->ops->conn_free(conn);
	store_close(st);
	config_free(&cfg);
	keyring_free(other);
	keyring_free(rotated);
	keyring_free(kr);
}

int
main(void)
{
	test_open();
	test_signed_ids();
	test_cookie_store();
	test_cookie_stored();
	return test_done("store_cookie");
}
