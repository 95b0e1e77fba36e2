/* Server-side stores, and the memcached cache tier, driven through store_open/ops against real servers (run by tests/integration/stores.sh). */
#include "autoconf.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "xmalloc.h"

#include "../tests/test.h"

#define SECRET_A	"test-secret-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SECRET_B	"test-secret-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NTHREADS	8
#define PER_THREAD	25
#define DAY		86400L

static struct config	 cfg;
static struct keyring	*keys;
static const char	*uri;
static int		 is_pg;
static int		 is_redis;	/* keeps what it acknowledged (AOF) */
static int		 is_cache;	/* SW_TEST_CACHE: memcached in front */
static char		 cache_server[256];	/* its first host:port */
static char		 cache_prefix[128];	/* its key prefix */
static long		 cache_ttl = 60;	/* its ttl= */

/* Seconds since an arbitrary point, with sub-second precision. */
static double
now_sec(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* Open the store under test with a keyring; dies when it cannot. */
static struct store *
open_store(const struct keyring *kr)
{
	struct store	*st;
	char		*cause = NULL;

	if ((st = store_open(&cfg, kr, &cause)) == NULL) {
		fprintf(stderr, "store_open: %s\n", cause);
		exit(1);
	}
	return st;
}

/* A worker connection; dies when the backend refuses one. */
static void *
conn(struct store *st)
{
	void	*c;
	char	*cause = NULL;

	if ((c = st->ops->conn_new(st, &cause)) == NULL) {
		fprintf(stderr, "conn_new: %s\n", cause);
		exit(1);
	}
	return c;
}

/* Save a fresh session holding `json` (and user); returns it, *cookie set. */
static struct session *
save_new(struct store *st, void *c, const char *json, const char *user,
    time_t now, char **cookie)
{
	struct session	*s;
	enum store_result rv;
	char		*cause = NULL;

	s = session_new(now);
	json_decref(s->data);
	s->data = json_loads(json, 0, NULL);
	if (user != NULL)
		s->user = xstrdup(user);
	rv = st->ops->save(st, c, s, 1, now, cookie, &cause);
	if (rv != STORE_OK)
		fprintf(stderr, "save_new: %s: %s\n", store_result_str(rv),
		    cause ? cause : "");
	CHECK(rv == STORE_OK);
	CHECK(s->version != 0);
	free(cause);
	return s;
}

/* Load by cookie; returns the result, *out on STORE_OK. */
static enum store_result
load(struct store *st, void *c, const char *cookie, time_t now,
    struct session **out)
{
	enum store_result rv;
	char		*cause = NULL;

	rv = st->ops->load(st, c, cookie, now, out, &cause);
	free(cause);
	return rv;
}

/* The integer at data[key] of a loaded session, -1 when absent. */
static long long
data_int(const struct session *s, const char *key)
{
	json_t	*v = json_object_get(s->data, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Opening needs keys and a well-formed value. */
static void
test_open_errors(void)
{
	static const char *const bad_pg[] = {
		"postgresql:nosuchoption=1",
		"postgresql:host",
		"postgresql://h/db?nosuchparam=1",
	};
	static const char *const bad_mc[] = {
		"memcached://",
		"memcached://127.0.0.1:99999",
		"memcached://127.0.0.1:11211?bogus=1",
		"memcached://127.0.0.1:11211?prefix=has%20space",
		"memcached://[::1",
	};
	static const char *const bad_rd[] = {
		"redis://",
		"redis://127.0.0.1:99999",
		"redis://127.0.0.1:6379?bogus=1",
		"redis://127.0.0.1:6379?prefix=has%20space",
		"redis+unix://relative.sock",
	};
	struct config	 c2 = cfg;
	struct store	*st;
	char		*cause = NULL;
	size_t		 i, n;
	const char *const *bad;

	st = store_open(&cfg, NULL, &cause);
	CHECK(st == NULL);
	CHECK(cause != NULL && strstr(cause, "secret_file") != NULL);
	free(cause);

	bad = is_pg ? bad_pg : is_redis ? bad_rd : bad_mc;
	n = is_pg ? 3 : 5;
	for (i = 0; i < n; i++) {
		cause = NULL;
		c2.store = (char *)bad[i];
		st = store_open(&c2, keys, &cause);
		if (st != NULL)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(st == NULL);
		CHECK(cause != NULL);
		store_close(st);
		free(cause);
	}
	if (!is_cache)
		return;

	/* The tier: a memcached cache value, in front of PostgreSQL only. */
	c2.store = cfg.store;
	for (i = 0; i < 5; i++) {
		static const char *const bad_cache[] = {
			"memcached://",
			"memcached://127.0.0.1:11211?ttl=0",
			"memcached://127.0.0.1:11211?ttl=3601",
			"memcached://127.0.0.1:11211?ttl=1m",
			"postgresql://h/db",
		};

		cause = NULL;
		c2.cache = (char *)bad_cache[i];
		st = store_open(&c2, keys, &cause);
		if (st != NULL)
			fprintf(stderr, "accepted cache: %s\n", bad_cache[i]);
		CHECK(st == NULL);
		CHECK(cause != NULL);
		store_close(st);
		free(cause);
	}
	cause = NULL;
	c2.cache = cfg.cache;
	c2.store = "memcached://127.0.0.1:11211";
	st = store_open(&c2, keys, &cause);
	CHECK(st == NULL);
	CHECK(cause != NULL && strstr(cause, "PostgreSQL") != NULL);
	free(cause);
}

/* Save, load, compare every field. */
static void
test_roundtrip(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *cookie2 = NULL, *cause = NULL;
	char		*a, *b;
	time_t		 now = time(NULL);

	s = save_new(st, c, "{\"a\":1,\"s\":\"x y\",\"n\":{\"k\":[1,2]}}",
	    "alice", now, &cookie);
	CHECK(cookie != NULL);
	CHECK(cookie != NULL && strstr(cookie, s->id) == cookie);
	CHECK(load(st, c, cookie, now, &l) == STORE_OK);
	if (l == NULL)
		goto out;
	CHECK_STR(l->id, s->id);
	CHECK_STR(l->ws_id, s->ws_id);
	CHECK_STR(l->user, "alice");
	CHECK(l->created == s->created);
	CHECK(l->access == now);
	CHECK(l->version == s->version || !(is_pg || is_redis));
	CHECK(l->is_new == 0);
	a = json_dumps(s->data, JSON_SORT_KEYS | JSON_COMPACT);
	b = json_dumps(l->data, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR(a, b);
	free(a);
	free(b);

	/* Update, then load again. */
	json_object_set_new(l->data, "a", json_integer(2));
	l->max_age = 7 * DAY;
	CHECK(st->ops->save(st, c, l, 1, now + 1, &cookie2, &cause) ==
	    STORE_OK);
	CHECK(cookie2 != NULL && strcmp(cookie, cookie2) == 0);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now + 1, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "a") == 2);
	CHECK(l != NULL && l->max_age == 7 * DAY);
	CHECK(l != NULL && l->access == now + 1);
out:
	session_free(l);
	session_free(s);
	free(cookie);
	free(cookie2);
	free(cause);
}

/* Forged, tampered and unknown ids are NOTFOUND. */
static void
test_forged(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *t, *other;
	time_t		 now = time(NULL);

	s = save_new(st, c, "{}", NULL, now, &cookie);
	CHECK(load(st, c, NULL, now, &l) == STORE_NOTFOUND);
	CHECK(load(st, c, "", now, &l) == STORE_NOTFOUND);
	CHECK(load(st, c, "garbage", now, &l) == STORE_NOTFOUND);
	CHECK(load(st, c, s->id, now, &l) == STORE_NOTFOUND);
	t = xstrdup(cookie);
	t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
	CHECK(load(st, c, t, now, &l) == STORE_NOTFOUND);
	t[0] = t[0] == 'A' ? 'B' : 'A';
	CHECK(load(st, c, t, now, &l) == STORE_NOTFOUND);
	free(t);
	/* Genuine signature, never stored. */
	t = crypto_random_id(SESSION_ID_BYTES);
	other = store_sign_id(keys, t);
	CHECK(load(st, c, other, now, &l) == STORE_NOTFOUND);
	CHECK(l == NULL);
	free(other);
	free(t);
	session_free(s);
	free(cookie);
}

/* Two loads of one session: the second CAS save conflicts. */
static void
test_cas(struct store *st, void *c1, void *c2)
{
	struct session	*s, *a = NULL, *b = NULL, *dup;
	char		*cookie = NULL, *v = NULL, *cause = NULL;
	time_t		 now = time(NULL);

	s = save_new(st, c1, "{\"n\":0}", NULL, now, &cookie);
	CHECK(load(st, c1, cookie, now, &a) == STORE_OK);
	CHECK(load(st, c2, cookie, now, &b) == STORE_OK);
	if (a == NULL || b == NULL)
		goto out;
	json_object_set_new(a->data, "a", json_true());
	json_object_set_new(b->data, "b", json_true());
	CHECK(st->ops->save(st, c1, a, 1, now, &v, &cause) == STORE_OK);
	free(v);
	v = NULL;
	CHECK(st->ops->save(st, c2, b, 1, now, &v, &cause) == STORE_CONFLICT);
	CHECK(v == NULL);
	session_free(b);
	b = NULL;
	CHECK(load(st, c2, cookie, now, &b) == STORE_OK);
	if (b == NULL)
		goto out;
	CHECK(json_object_get(b->data, "a") != NULL);
	json_object_set_new(b->data, "b", json_true());
	CHECK(st->ops->save(st, c2, b, 1, now, &v, &cause) == STORE_OK);
	free(v);
	v = NULL;

	/* Without CAS the last write wins. */
	json_object_set_new(a->data, "c", json_true());
	CHECK(st->ops->save(st, c1, a, 0, now, &v, &cause) == STORE_OK);
	free(v);
	v = NULL;

	/* Inserting an id that exists is a conflict too. */
	dup = session_new(now);
	free(dup->id);
	dup->id = xstrdup(s->id);
	CHECK(st->ops->save(st, c1, dup, 1, now, &v, &cause) == STORE_CONFLICT);
	session_free(dup);
out:
	session_free(s);
	session_free(a);
	session_free(b);
	free(cookie);
	free(v);
	free(cause);
}

/* A session deleted meanwhile is never written back. */
static void
test_no_resurrect(struct store *st, void *c1, void *c2)
{
	struct session	*s, *a = NULL, *l = NULL;
	char		*cookie = NULL, *v = NULL, *cause = NULL;
	time_t		 now = time(NULL);

	s = save_new(st, c1, "{}", "mallory", now, &cookie);
	CHECK(load(st, c1, cookie, now, &a) == STORE_OK);
	CHECK(st->ops->destroy(st, c2, s->id, 0, now, &cause) == STORE_OK);
	if (a != NULL) {
		CHECK(st->ops->save(st, c1, a, 0, now, &v, &cause) ==
		    STORE_NOTFOUND);
		free(cause);
		cause = NULL;
		CHECK(st->ops->save(st, c1, a, 1, now, &v, &cause) ==
		    STORE_CONFLICT);
	}
	CHECK(load(st, c1, cookie, now, &l) == STORE_NOTFOUND);
	/* Destroying what is gone is fine. */
	CHECK(st->ops->destroy(st, c2, s->id, 0, now, &cause) == STORE_OK);
	session_free(s);
	session_free(a);
	free(cookie);
	free(v);
	free(cause);
}

/* One holder: a second locker times out after lock_timeout. */
static void
test_lock(struct store *st, void *c1, void *c2)
{
	struct session	*s;
	enum store_result rv;
	char		*cookie = NULL, *cause = NULL;
	double		 t0, dt;

	s = save_new(st, c1, "{}", NULL, time(NULL), &cookie);
	CHECK(st->ops->lock(st, c1, cookie, 1, &cause) == STORE_OK);
	t0 = now_sec();
	rv = st->ops->lock(st, c2, cookie, 1, &cause);
	dt = now_sec() - t0;
	CHECK(rv == STORE_TIMEOUT);
	CHECK(dt >= 0.9 && dt < 3.0);
	free(cause);
	cause = NULL;
	st->ops->unlock(st, c1);
	t0 = now_sec();
	CHECK(st->ops->lock(st, c2, cookie, 1, &cause) == STORE_OK);
	CHECK(now_sec() - t0 < 0.5);
	st->ops->unlock(st, c2);
	st->ops->unlock(st, c2);	/* harmless twice */
	CHECK(st->ops->lock(st, c1, "forged.cookie", 1, &cause) ==
	    STORE_NOTFOUND);
	session_free(s);
	free(cookie);
	free(cause);
}

struct worker_arg {
	struct store	*st;
	const char	*cookie;
	int		 n;
	int		 errors;
};

/* lock = exclusive: lock, load, increment, save without CAS, unlock. */
static void *
worker_exclusive(void *arg)
{
	struct worker_arg *w = arg;
	struct store	*st = w->st;
	struct session	*s;
	void		*c = conn(st);
	char		*v, *cause;
	int		 i;

	for (i = 0; i < PER_THREAD; i++) {
		cause = NULL;
		if (st->ops->lock(st, c, w->cookie, 20, &cause) != STORE_OK) {
			w->errors++;
			free(cause);
			continue;
		}
		s = NULL;
		if (load(st, c, w->cookie, time(NULL), &s) == STORE_OK) {
			json_object_set_new(s->data, "n",
			    json_integer(data_int(s, "n") + 1));
			v = NULL;
			if (st->ops->save(st, c, s, 0, time(NULL), &v,
			    &cause) != STORE_OK)
				w->errors++;
			free(v);
		} else
			w->errors++;
		session_free(s);
		st->ops->unlock(st, c);
		free(cause);
	}
	st->ops->conn_free(c);
	return NULL;
}

/* lock = merge: set an own key, reload and re-apply on conflict. */
static void *
worker_merge(void *arg)
{
	struct worker_arg *w = arg;
	struct store	*st = w->st;
	struct session	*s;
	enum store_result rv;
	void		*c = conn(st);
	char		 key[32], *v, *cause;
	int		 i, tries;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(key, sizeof key, "k%d_%d", w->n, i);
		rv = STORE_ERROR;
		for (tries = 0; tries < 200; tries++) {
			s = NULL;
			if (load(st, c, w->cookie, time(NULL), &s) != STORE_OK)
				break;
			json_object_set_new(s->data, key, json_true());
			v = cause = NULL;
			rv = st->ops->save(st, c, s, 1, time(NULL), &v, &cause);
			session_free(s);
			free(v);
			free(cause);
			if (rv != STORE_CONFLICT)
				break;
		}
		if (tries == 200 || rv != STORE_OK)
			w->errors++;
	}
	st->ops->conn_free(c);
	return NULL;
}

/* 200 concurrent updates of one session lose nothing in either mode. */
static void
test_concurrency(struct store *st, void *c)
{
	struct worker_arg args[NTHREADS];
	pthread_t	 t[NTHREADS];
	struct session	*s, *l = NULL;
	char		*cookie = NULL;
	int		 i, errors = 0;

	s = save_new(st, c, "{\"n\":0}", NULL, time(NULL), &cookie);
	for (i = 0; i < NTHREADS; i++) {
		args[i] = (struct worker_arg){ st, cookie, i, 0 };
		pthread_create(&t[i], NULL, worker_exclusive, &args[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		errors += args[i].errors;
	}
	CHECK(errors == 0);
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_OK);
	if (l != NULL)
		printf("exclusive: counter %lld of %d\n", data_int(l, "n"),
		    NTHREADS * PER_THREAD);
	CHECK(l != NULL && data_int(l, "n") == NTHREADS * PER_THREAD);
	session_free(l);
	l = NULL;

	for (i = 0; i < NTHREADS; i++) {
		args[i] = (struct worker_arg){ st, cookie, i, 0 };
		pthread_create(&t[i], NULL, worker_merge, &args[i]);
	}
	errors = 0;
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		errors += args[i].errors;
	}
	CHECK(errors == 0);
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_OK);
	if (l != NULL)
		printf("merge: %zu keys of %d\n", json_object_size(l->data) - 1,
		    NTHREADS * PER_THREAD);
	CHECK(l != NULL &&
	    json_object_size(l->data) == NTHREADS * PER_THREAD + 1);
	session_free(l);
	session_free(s);
	free(cookie);
}

/* Idle and absolute timeouts, and lifetimes beyond memcached's 30 days. */
static void
test_expiry(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *v = NULL, *cause = NULL;
	time_t		 now = time(NULL);
	long		 idle = cfg.idle_timeout, abs = cfg.absolute_timeout;

	/* Idle: stale by the caller's clock. */
	s = save_new(st, c, "{}", NULL, now, &cookie);
	CHECK(load(st, c, cookie, now + idle - 1, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now + idle, &l) == STORE_NOTFOUND);
	session_free(s);
	free(cookie);

	/* Absolute: created long ago, used recently. */
	s = session_new(now - abs + 5);
	CHECK(st->ops->save(st, c, s, 1, now, &cookie, &cause) == STORE_OK);
	CHECK(load(st, c, cookie, now + 4, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now + 5, &l) == STORE_NOTFOUND);
	session_free(s);
	free(cookie);

	/* The server expires it too (memcached's own TTL, PostgreSQL's clock). */
	cfg.idle_timeout = 1;
	s = save_new(st, c, "{}", NULL, now, &cookie);
	cfg.idle_timeout = idle;
	sleep(2);
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_NOTFOUND);
	session_free(s);
	free(cookie);

	/* "Remember me" for 40 days: relative TTL over 30 days. */
	s = session_new(now);
	s->max_age = 40 * DAY;
	cfg.absolute_timeout = 60 * DAY;
	CHECK(st->ops->save(st, c, s, 1, now, &cookie, &cause) == STORE_OK);
	CHECK(load(st, c, cookie, now, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now + 39 * DAY, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now + 40 * DAY, &l) == STORE_NOTFOUND);
	session_free(s);
	free(cookie);

	/* No timeouts at all. */
	cfg.idle_timeout = cfg.absolute_timeout = 0;
	s = session_new(now);
	CHECK(st->ops->save(st, c, s, 1, now, &cookie, &cause) == STORE_OK);
	CHECK(load(st, c, cookie, now, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now + 3650 * DAY, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	cfg.idle_timeout = idle;
	cfg.absolute_timeout = abs;
	session_free(s);
	free(cookie);
	free(v);
	free(cause);
}

/*
 * A replaced id stays readable for its grace, and saves do not extend it:
 * not those of a request that loaded it after, nor (lock = none, no CAS)
 * those of one that loaded it before it was replaced.
 */
static void
test_grace(struct store *st, void *c)
{
	struct session	*s, *s2, *l = NULL, *early = NULL;
	char		*cookie = NULL, *cookie2 = NULL, *v = NULL, *cause = NULL;
	enum store_result rv;
	time_t		 now = time(NULL);

	s2 = save_new(st, c, "{\"y\":1}", NULL, now, &cookie2);
	CHECK(load(st, c, cookie2, now, &early) == STORE_OK);
	CHECK(st->ops->destroy(st, c, s2->id, 2, now, &cause) == STORE_OK);
	if (early != NULL) {
		json_object_set_new(early->data, "y", json_integer(2));
		rv = st->ops->save(st, c, early, 0, now, &v, &cause);
		CHECK(rv == STORE_OK || rv == STORE_NOTFOUND);
		free(v);
		v = NULL;
		free(cause);
		cause = NULL;
		session_free(early);
	}
	s = save_new(st, c, "{\"x\":1}", NULL, now, &cookie);
	CHECK(st->ops->destroy(st, c, s->id, 2, now, &cause) == STORE_OK);
	CHECK(load(st, c, cookie, now, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "x") == 1);
	if (l != NULL) {
		/* An in-flight request writes to it. */
		json_object_set_new(l->data, "x", json_integer(2));
		CHECK(st->ops->save(st, c, l, 1, now, &v, &cause) == STORE_OK);
		session_free(l);
		l = NULL;
	}
	CHECK(load(st, c, cookie, now + 1, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "x") == 2);
	session_free(l);
	l = NULL;
	sleep(3);
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_NOTFOUND);
	/* The early writer's save did not revive the replaced id. */
	CHECK(load(st, c, cookie2, time(NULL), &l) == STORE_NOTFOUND);
	session_free(s);
	session_free(s2);
	free(cookie);
	free(cookie2);
	free(v);
	free(cause);
}

/* Free a NULL-terminated list of strings (or NULL). */
static void
store_test_free_list(char **v)
{
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* revoke_user deletes every session of one user and only those. */
static void
test_revoke(struct store *st, void *c)
{
	struct session	*s[4], *l = NULL;
	char		*cookie[4], *cause = NULL, user[64], other[64], **ws;
	time_t		 now = time(NULL);
	long		 n = -1;
	int		 i, j;

	snprintf(user, sizeof user, "carol-%ld", (long)getpid());
	snprintf(other, sizeof other, "dave-%ld", (long)getpid());
	for (i = 0; i < 4; i++)
		s[i] = save_new(st, c, "{}", i < 3 ? user : other, now,
		    &cookie[i]);
	CHECK(store_admin(st)->revoke_user(st, c, user, &n, &ws, &cause) ==
	    STORE_OK);
	CHECK(n == 3);
	/* The ws_ids of exactly the revoked sessions, for closing. */
	for (j = 0; ws != NULL && ws[j] != NULL; j++) {
		for (i = 0; i < 3; i++)
			if (strcmp(ws[j], s[i]->ws_id) == 0)
				break;
		CHECK(i < 3);
		free(ws[j]);
	}
	CHECK(j == 3);
	free(ws);
	for (i = 0; i < 3; i++)
		CHECK(load(st, c, cookie[i], now, &l) == STORE_NOTFOUND);
	CHECK(load(st, c, cookie[3], now, &l) == STORE_OK);
	session_free(l);
	CHECK(store_admin(st)->revoke_user(st, c, "nobody-at-all", &n, &ws,
	    &cause) == STORE_OK);
	CHECK(n == 0);
	CHECK(ws == NULL || ws[0] == NULL);
	free(ws);
	for (i = 0; i < 4; i++) {
		session_free(s[i]);
		free(cookie[i]);
	}
	free(cause);
}

/*
 * sessions lists a user's live sessions oldest first by an id that is no
 * secret id (not one a login replaced, not another user's); revoke ends
 * exactly the one it names, by that id or a cookie value, with its ws_id.
 */
static void
test_sessions(struct store *st, void *c)
{
	const struct store_admin_ops *admin = store_admin(st);
	struct store_user_session *v = NULL;
	struct session	*s[4], *l = NULL;
	char		*cookie[4], *cause = NULL, user[64], other[64], *ws;
	char		**wsv;
	time_t		 now = time(NULL);
	size_t		 n = 0, i, j;
	long		 nr;

	if (admin->sessions == NULL || admin->revoke == NULL)
		return;
	snprintf(user, sizeof user, "erin-%ld", (long)getpid());
	snprintf(other, sizeof other, "fred-%ld", (long)getpid());
	for (i = 0; i < 4; i++)
		s[i] = save_new(st, c, "{}", i < 3 ? user : other,
		    now - 4 + (time_t)i, &cookie[i]);
	/* s[2] was replaced by a login: readable for its grace only. */
	CHECK(st->ops->destroy(st, c, s[2]->id, 60, now, &cause) == STORE_OK);
	CHECK(admin->sessions(st, c, user, now, &v, &n, &cause) == STORE_OK);
	CHECK(n == 2);
	for (i = 0; i < n && i < 2; i++) {
		CHECK_STR(v[i].s->ws_id, s[i]->ws_id);
		CHECK_STR(v[i].s->user, user);
		for (j = 0; j < 4; j++) {
			CHECK(strcmp(v[i].id, s[j]->id) != 0);
			CHECK(strstr(cookie[j], v[i].id) == NULL);
		}
	}
	if (n == 2) {
		ws = NULL;
		CHECK(admin->revoke(st, c, v[0].id, &ws, &cause) == STORE_OK);
		CHECK(ws != NULL && strcmp(ws, s[0]->ws_id) == 0);
		free(ws);
		ws = NULL;
		CHECK(admin->revoke(st, c, v[0].id, &ws, &cause) ==
		    STORE_NOTFOUND);
		free(ws);
	}
	CHECK(load(st, c, cookie[0], now, &l) == STORE_NOTFOUND);
	CHECK(load(st, c, cookie[1], now, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	store_user_free(v, n);
	ws = NULL;
	CHECK(admin->revoke(st, c, cookie[1], &ws, &cause) == STORE_OK);
	CHECK(ws != NULL && strcmp(ws, s[1]->ws_id) == 0);
	free(ws);
	CHECK(load(st, c, cookie[1], now, &l) == STORE_NOTFOUND);
	v = NULL;
	CHECK(admin->sessions(st, c, user, now, &v, &n, &cause) == STORE_OK);
	CHECK(n == 0);
	store_user_free(v, n);
	CHECK(admin->sessions(st, c, other, now, &v, &n, &cause) == STORE_OK);
	CHECK(n == 1 && strcmp(v[0].s->ws_id, s[3]->ws_id) == 0);
	store_user_free(v, n);
	CHECK(admin->revoke_user(st, c, other, &nr, &wsv, &cause) == STORE_OK);
	store_test_free_list(wsv);
	CHECK(admin->revoke_user(st, c, user, &nr, &wsv, &cause) == STORE_OK);
	store_test_free_list(wsv);
	for (i = 0; i < 4; i++) {
		session_free(s[i]);
		free(cookie[i]);
	}
	free(cause);
}

/*
 * More sessions of one user than a chunk of memcached's user index holds
 * (256): revoke ends every one of them, not only the newest.
 */
static void
test_revoke_many(struct store *st, void *c)
{
	enum { MANY = 600 };
	struct session	*s, *l = NULL;
	char		*cookie[MANY], *cause = NULL, user[64], **ws;
	time_t		 now = time(NULL);
	long		 n = -1;
	int		 i, alive = 0;

	snprintf(user, sizeof user, "many-%ld", (long)getpid());
	for (i = 0; i < MANY; i++) {
		s = save_new(st, c, "{}", user, now, &cookie[i]);
		session_free(s);
	}
	CHECK(store_admin(st)->revoke_user(st, c, user, &n, &ws, &cause) ==
	    STORE_OK);
	if (n != MANY)
		fprintf(stderr, "revoke_many: %ld of %d revoked\n", n, MANY);
	CHECK(n == MANY);
	store_test_free_list(ws);
	for (i = 0; i < MANY; i++) {
		if (load(st, c, cookie[i], now, &l) == STORE_OK) {
			alive++;
			session_free(l);
			l = NULL;
		}
		free(cookie[i]);
	}
	CHECK(alive == 0);
	/* The index is gone with them: a new login starts it afresh. */
	s = save_new(st, c, "{}", user, now, &cookie[0]);
	CHECK(store_admin(st)->revoke_user(st, c, user, &n, &ws, &cause) ==
	    STORE_OK);
	CHECK(n == 1);
	store_test_free_list(ws);
	session_free(s);
	free(cookie[0]);
	free(cause);
}

/* gc purges expired rows (memcached: nothing to do). */
static void
test_gc(struct store *st, void *c)
{
	struct session	*s;
	char		*cookie = NULL, *cause = NULL;
	time_t		 now = time(NULL);
	long		 n = -1;

	s = session_new(now - cfg.absolute_timeout - 100);
	s->access = now - 100;
	CHECK(st->ops->save(st, c, s, 1, now - 100, &cookie, &cause) ==
	    STORE_OK);
	CHECK(store_admin(st)->gc(st, c, now, &n, &cause) == STORE_OK);
	CHECK(is_pg ? n >= 1 : is_redis ? n >= 0 : n == 0);
	session_free(s);
	free(cookie);
	free(cause);
}

/*
 * PostgreSQL finds expired rows through gc_at, a lower bound of expires_at
 * that a save moves only by more than a slack: a session kept alive past
 * its first expiry (its bound lagging behind) survives gc, a doomed one is
 * found as soon as its grace ends, and the kept one once it truly ends.
 */
static void
test_gc_lag(struct store *st, void *c)
{
	struct session	*a, *b, *l = NULL;
	char		*ca = NULL, *cb = NULL, *cause = NULL;
	time_t		 t0 = time(NULL) - 5000;
	long		 n = -1;

	a = save_new(st, c, "{\"n\":1}", NULL, t0, &ca);
	b = save_new(st, c, "{}", NULL, t0, &cb);
	CHECK(st->ops->destroy(st, c, b->id, 30, t0 + 10, &cause) == STORE_OK);
	CHECK(store_admin(st)->gc(st, c, t0 + 100, &n, &cause) == STORE_OK);
	CHECK(n == 1);		/* b, doomed: its grace ended at t0 + 40 */
	CHECK(load(st, c, ca, t0 + 100, &l) == STORE_OK && l != NULL);
	if (l != NULL) {
		free(ca);
		ca = NULL;
		json_object_set_new(l->data, "n", json_integer(2));
		CHECK(st->ops->save(st, c, l, 1, t0 + 100, &ca, &cause) ==
		    STORE_OK);
		session_free(l);
		l = NULL;
	}
	/* Past a's first expiry (t0 + 600 and a step), before its second. */
	CHECK(store_admin(st)->gc(st, c, t0 + 650, &n, &cause) == STORE_OK);
	CHECK(n == 0);
	CHECK(load(st, c, ca, t0 + 650, &l) == STORE_OK && l != NULL &&
	    data_int(l, "n") == 2);
	session_free(l);
	CHECK(store_admin(st)->gc(st, c, t0 + 720, &n, &cause) == STORE_OK);
	CHECK(n == 1);
	session_free(a);
	session_free(b);
	free(ca);
	free(cb);
	free(cause);
}

/* show finds a session by cookie, secret id, and (PostgreSQL) SESSION_ID. */
static void
test_show(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *cause = NULL, *pub;

	s = save_new(st, c, "{\"shown\":1}", "erin", time(NULL), &cookie);
	CHECK(store_admin(st)->show(st, c, cookie, &l, &cause) == STORE_OK);
	CHECK(l != NULL && data_int(l, "shown") == 1);
	session_free(l);
	l = NULL;
	CHECK(store_admin(st)->show(st, c, s->id, &l, &cause) == STORE_OK);
	CHECK(l != NULL && l->user != NULL && strcmp(l->user, "erin") == 0);
	session_free(l);
	l = NULL;
	pub = store_public_id(keys, s->id);
	if (is_pg) {
		CHECK(store_admin(st)->show(st, c, pub, &l, &cause) == STORE_OK);
		CHECK(l != NULL && data_int(l, "shown") == 1);
		session_free(l);
		l = NULL;
	}
	CHECK(store_admin(st)->show(st, c, "no-such-session", &l, &cause) ==
	    STORE_NOTFOUND);
	free(pub);
	session_free(s);
	free(cookie);
	free(cause);
}

/*
 * After a key rotation sessions saved under the old key still load; one in
 * use moves to the new key (store key and cookie), so it survives when the
 * old key is dropped; SESSION_ID stays the same throughout; revoke finds
 * sessions of either key.
 */
static void
test_rotation(struct store *st, void *c)
{
	struct keyring	*rotated, *dropped;
	struct store	*st2, *st3;
	struct session	*s, *idle, *l = NULL;
	char		*cookie = NULL, *icookie = NULL, *cause = NULL;
	char		*v = NULL, **ws, *pub1, *pub2, *pub3;
	void		*c2, *c3;
	time_t		 now = time(NULL);
	long		 n = -1;

	s = save_new(st, c, "{\"r\":1}", "frank-rot", now, &cookie);
	idle = save_new(st, c, "{\"idle\":1}", "frank-rot", now, &icookie);
	rotated = keyring_parse(SECRET_B "\n" SECRET_A "\n", &cause);
	dropped = keyring_parse(SECRET_B "\n", &cause);
	CHECK(rotated != NULL && dropped != NULL);
	if (rotated == NULL || dropped == NULL)
		return;
	pub1 = store_public_id(keys, s->id);
	pub2 = store_public_id(rotated, s->id);
	pub3 = store_public_id(dropped, s->id);
	CHECK_STR(pub1, pub2);
	CHECK_STR(pub1, pub3);
	CHECK(strlen(pub1) == 32 && strstr(cookie, pub1) == NULL);
	free(pub1);
	free(pub2);
	free(pub3);

	st2 = open_store(rotated);
	c2 = conn(st2);
	CHECK(load(st2, c2, cookie, now, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "r") == 1);
	/* Signed by the old key: the request must save and re-send it. */
	CHECK(l != NULL && l->id_changed && l->old_id == NULL);
	if (l != NULL) {
		CHECK(st2->ops->save(st2, c2, l, 1, now, &v, &cause) ==
		    STORE_OK);
		CHECK(v != NULL && strcmp(v, cookie) != 0);
		CHECK(v != NULL && strncmp(v, cookie, strchr(cookie, '.') -
		    cookie) == 0);
		session_free(l);
		l = NULL;
	}
	/* The new cookie is current: nothing more to do. */
	CHECK(load(st2, c2, v, now, &l) == STORE_OK);
	CHECK(l != NULL && !l->id_changed);
	session_free(l);
	l = NULL;
	/* The old cookie still works while the old key is listed. */
	CHECK(load(st2, c2, cookie, now, &l) == STORE_OK);
	session_free(l);
	l = NULL;

	/* The old key dropped: the session in use lives on. */
	st3 = open_store(dropped);
	c3 = conn(st3);
	CHECK(load(st3, c3, v, now, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "r") == 1);
	session_free(l);
	l = NULL;
	CHECK(load(st3, c3, cookie, now, &l) == STORE_NOTFOUND);

	/* Revocable, the moved one and the one still under the old key. */
	CHECK(store_admin(st2)->revoke_user(st2, c2, "frank-rot", &n, &ws,
	    &cause) == STORE_OK);
	CHECK(n == 2);
	store_test_free_list(ws);
	CHECK(load(st2, c2, v, now, &l) == STORE_NOTFOUND);
	CHECK(load(st2, c2, icookie, now, &l) == STORE_NOTFOUND);
	st3->ops->conn_free(c3);
	store_close(st3);
	st2->ops->conn_free(c2);
	store_close(st2);
	keyring_free(dropped);
	keyring_free(rotated);
	session_free(s);
	session_free(idle);
	free(cookie);
	free(icookie);
	free(cause);
	free(v);
}

/* Run "$SW_TEST_REDIS_CLI args" and return its output (caller frees). */
static char *
rd_cli(const char *args)
{
	char	*cmd, *out = NULL;
	size_t	 len = 0, n;
	char	 buf[4096];
	FILE	*f;

	xasprintf(&cmd, "%s %s", getenv("SW_TEST_REDIS_CLI"), args);
	if ((f = popen(cmd, "r")) != NULL) {
		while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
			out = xrealloc(out, len + n + 1);
			memcpy(out + len, buf, n);
			len += n;
			out[len] = '\0';
		}
		pclose(f);
	}
	free(cmd);
	return out != NULL ? out : xstrdup("");
}

/* The number after `name` in redis-cli's output, -1 when absent. */
static long long
rd_cli_num(const char *args, const char *name)
{
	char		*out = rd_cli(args), *p;
	long long	 v = -1;

	if ((p = strstr(out, name)) != NULL)
		v = strtoll(p + strlen(name), NULL, 10);
	free(out);
	return v;
}

/* The TTL Redis holds for the key of name (prefix from the URI). */
static long long
rd_ttl(const char *sub, const char *name)
{
	const char	*p = strstr(uri, "prefix=");
	char		*hash, *args;
	long long	 ttl;

	hash = store_key(keys, name);
	xasprintf(&args, "TTL '%.*s%s%s'", p != NULL ? (int)strcspn(p + 7,
	    "&") : 3, p != NULL ? p + 7 : "sw:", sub, hash);
	ttl = rd_cli_num(args, "");
	free(args);
	free(hash);
	return ttl;
}

/*
 * Redis: the scripts run by their hash from a connection's first request
 * on (never sent in full), a SCRIPT FLUSH costs one full send, and a save
 * that keeps the expiry leaves the TTL while one that moves it sets it.
 */
static void
test_redis_scripts(struct store *st)
{
	struct session	*s, *l = NULL;
	void		*c = conn(st);
	char		*cookie = NULL, *v = NULL, *cause = NULL, *out;
	time_t		 now = time(NULL);
	long		 idle = cfg.idle_timeout;
	long long	 ttl;
	int		 i;

	out = rd_cli("CONFIG RESETSTAT");
	free(out);
	s = save_new(st, c, "{\"k\":1}", "scripted", now, &cookie);
	CHECK(rd_cli_num("INFO commandstats", "cmdstat_evalsha:calls=") == 1);
	CHECK(rd_cli_num("INFO commandstats", "cmdstat_eval:calls=") == -1);
	out = rd_cli("SCRIPT FLUSH");
	free(out);
	CHECK(load(st, c, cookie, now, &l) == STORE_OK);
	if (l != NULL) {
		json_object_set_new(l->data, "k", json_integer(2));
		CHECK(st->ops->save(st, c, l, 1, now, &v, &cause) == STORE_OK);
		free(v);
		v = NULL;
	}
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, now, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "k") == 2);
	CHECK(rd_cli_num("INFO commandstats", "cmdstat_eval:calls=") == 1);
	/* The TTL: moved by a shorter idle timeout, kept, moved back. */
	CHECK(rd_ttl("", s->id) > idle - 5 && rd_ttl("", s->id) <= idle);
	for (i = 0; l != NULL && i < 3; i++) {
		cfg.idle_timeout = i < 2 ? 100 : idle;
		CHECK(st->ops->save(st, c, l, 1, now, &v, &cause) ==
		    STORE_OK);
		free(v);
		v = NULL;
		ttl = rd_ttl("", s->id);
		CHECK(ttl > cfg.idle_timeout - 5 && ttl <= cfg.idle_timeout);
		/* The user's index outlives the session. */
		CHECK(rd_ttl("u:", "user\nscripted") >= ttl);
	}
	cfg.idle_timeout = idle;
	CHECK(rd_cli_num("INFO commandstats", "cmdstat_eval:calls=") == 1);
	session_free(l);
	session_free(s);
	st->ops->conn_free(c);
	free(cookie);
	free(v);
	free(cause);
}

/* Run a shell command from the wrapper script (stop/start a server). */
static void
run(const char *what)
{
	const char	*cmd = getenv(what);

	if (cmd == NULL)
		return;
	printf("running %s\n", what);
	fflush(stdout);
	if (system(cmd) != 0)
		fprintf(stderr, "%s failed: %s\n", what, cmd);
}

/*
 * Server down: STORE_ERROR (never a fresh session); back: works again. With
 * the cache tier a session it holds is still read, but nothing is written.
 * Redis: a lock held when it went away outlives the restart (append-only
 * file); another thread's connection then takes it at once, releasing it as
 * the process's own, instead of waiting out its TTL.
 */
static void
test_outage(struct store *st, void *c)
{
	struct config	 pgcfg = cfg;
	struct store	*pg = NULL;
	struct session	*s, *l = NULL, *n, *u = NULL;
	enum store_result rv;
	char		*cookie = NULL, *v = NULL, *cause = NULL, *ucookie = NULL;
	double		 t0;
	int		 i;

	s = save_new(st, c, "{\"kept\":1}", NULL, time(NULL), &cookie);
	if (is_cache) {
		/* Saved past the tier: memcached has no copy of it. */
		pgcfg.cache = NULL;
		if ((pg = store_open(&pgcfg, keys, &cause)) != NULL) {
			void	*pc = conn(pg);

			u = save_new(pg, pc, "{}", NULL, time(NULL), &ucookie);
			pg->ops->conn_free(pc);
		}
		CHECK(pg != NULL);
	}
	if (is_redis)
		CHECK(st->ops->lock(st, c, cookie, 5, &cause) == STORE_OK);
	free(cause);
	cause = NULL;
	run("SW_TEST_STOP");
	if (is_redis)
		st->ops->unlock(st, c);		/* fails: kept to release later */
	for (i = 0; i < 3; i++) {
		rv = load(st, c, cookie, time(NULL), &l);
		/* The tier serves the copy: proof that it came from memcached. */
		CHECK(rv == (is_cache ? STORE_OK : STORE_ERROR));
		CHECK(!is_cache || (l != NULL && data_int(l, "kept") == 1));
		session_free(l);
		l = NULL;
	}
	if (is_cache) {
		CHECK(load(st, c, ucookie, time(NULL), &l) == STORE_ERROR);
		/* A write while PostgreSQL is away: 503, never cache-only. */
		if ((l = NULL, load(st, c, cookie, time(NULL), &l)) ==
		    STORE_OK) {
			json_object_set_new(l->data, "kept", json_integer(2));
			rv = st->ops->save(st, c, l, 1, time(NULL), &v, &cause);
			CHECK(rv == STORE_ERROR);
			CHECK(v == NULL);
			free(cause);
			cause = NULL;
		}
		session_free(l);
		l = NULL;
		/* Unsure whether it was written: no copy is read any more. */
		CHECK(load(st, c, cookie, time(NULL), &l) == STORE_ERROR);
	}
	n = session_new(time(NULL));
	rv = st->ops->save(st, c, n, 1, time(NULL), &v, &cause);
	CHECK(rv == STORE_ERROR);
	CHECK(cause != NULL);
	if (cause != NULL)
		printf("outage cause: %s\n", cause);
	free(cause);
	cause = NULL;
	CHECK(st->ops->lock(st, c, cookie, 1, &cause) == STORE_ERROR);
	free(cause);
	cause = NULL;
	run("SW_TEST_START");

	t0 = now_sec();
	do {
		rv = load(st, c, cookie, time(NULL), &l);
		if (rv == STORE_ERROR)
			usleep(100000);
	} while (rv == STORE_ERROR && now_sec() - t0 < 15);
	printf("back after %.1fs: %s\n", now_sec() - t0, store_result_str(rv));
	/* PostgreSQL keeps what it acknowledged; a restarted memcached is empty. */
	CHECK(is_pg || is_redis ? rv == STORE_OK : rv == STORE_NOTFOUND);
	CHECK(!(is_pg || is_redis) ||
	    (l != NULL && data_int(l, "kept") == 1));
	session_free(l);
	l = NULL;
	if (is_redis) {
		void	*c2 = conn(st);

		t0 = now_sec();
		rv = st->ops->lock(st, c2, cookie, 5, &cause);
		printf("lock left by the outage: %s after %.1fs\n",
		    store_result_str(rv), now_sec() - t0);
		CHECK(rv == STORE_OK && now_sec() - t0 < 2);
		free(cause);
		cause = NULL;
		st->ops->unlock(st, c2);
		st->ops->conn_free(c2);
	}
	CHECK(st->ops->save(st, c, n, 1, time(NULL), &v, &cause) == STORE_OK);
	CHECK(load(st, c, v, time(NULL), &l) == STORE_OK);
	session_free(l);
	session_free(n);
	session_free(s);
	session_free(u);
	store_close(pg);
	free(cookie);
	free(ucookie);
	free(v);
	free(cause);
}

/*
 * Send one text-protocol request to a memcached ("host:port") and read the
 * reply until it ends with `end` (or anything, when end is NULL and a line
 * came). Returns the reply length, -1 when unreachable.
 */
static ssize_t
mc_talk(const char *hostport, const char *req, size_t reqlen, char *buf,
    size_t size, const char *end)
{
	struct addrinfo	 hints, *ai;
	char		 host[256], *colon;
	size_t		 len = 0, elen = end != NULL ? strlen(end) : 0;
	ssize_t		 r;
	int		 fd;

	snprintf(host, sizeof host, "%s", hostport);
	if ((colon = strrchr(host, ':')) == NULL)
		return -1;
	*colon = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	buf[0] = '\0';
	if (write(fd, req, reqlen) == (ssize_t)reqlen) {
		while (len < size - 1 &&
		    (r = read(fd, buf + len, size - 1 - len)) > 0) {
			len += r;
			buf[len] = '\0';
			if (end == NULL ? strstr(buf, "\r\n") != NULL :
			    len >= elen && strcmp(buf + len - elen, end) == 0)
				break;
		}
	}
	close(fd);
	return len;
}

/* One "stats" counter of a memcached ("host:port"), -1 when unreachable. */
static long
mc_stat(const char *hostport, const char *name)
{
	char		 buf[8192], want[64], *p;

	if (mc_talk(hostport, "stats\r\n", 7, buf, sizeof buf,
	    "END\r\n") <= 0)
		return -1;
	snprintf(want, sizeof want, "STAT %s ", name);
	if ((p = strstr(buf, want)) == NULL)
		return -1;
	return strtol(p + strlen(want), NULL, 10);
}

/* curr_items of one memcached ("host:port"), -1 when unreachable. */
static long
mc_items(const char *hostport)
{
	return mc_stat(hostport, "curr_items");
}

/* Two servers: keys spread; losing one loses only its share. */
static void
test_spread(struct store *st, void *c)
{
	struct session	*s[40], *l;
	char		*cookie[40], *v, *cause;
	const char	*mc1 = getenv("SW_TEST_MC1"), *mc2 = getenv("SW_TEST_MC2");
	long		 before1, before2, after1, after2;
	int		 i, ok = 0, gone = 0, err = 0, good;
	double		 t0;

	before1 = mc_items(mc1);
	before2 = mc_items(mc2);
	for (i = 0; i < 40; i++)
		s[i] = save_new(st, c, "{}", NULL, time(NULL), &cookie[i]);
	after1 = mc_items(mc1) - before1;
	after2 = mc_items(mc2) - before2;
	printf("spread: %ld and %ld of 40\n", after1, after2);
	CHECK(after1 + after2 == 40);
	CHECK(after1 >= 5 && after2 >= 5);

	run("SW_TEST_STOP2");
	/*
	 * The first calls to the dead server fail (503), then it leaves the
	 * ring and its sessions are simply unknown; the survivor's never fail.
	 */
	t0 = now_sec();
	do {
		ok = gone = err = 0;
		for (i = 0; i < 40; i++) {
			l = NULL;
			switch (load(st, c, cookie[i], time(NULL), &l)) {
			case STORE_OK:
				ok++;
				break;
			case STORE_NOTFOUND:
				gone++;
				break;
			default:
				err++;
				break;
			}
			session_free(l);
		}
		printf("after stopping one (%.1fs): %d ok, %d not found, "
		    "%d errors\n", now_sec() - t0, ok, gone, err);
		CHECK(ok == after1);
		if (err > 0)
			usleep(200000);
	} while (err > 0 && now_sec() - t0 < 10);
	CHECK(err == 0);
	CHECK(gone == after2);

	/* New sessions keep being served by the survivor. */
	t0 = now_sec();
	for (good = 0; good < 20 && now_sec() - t0 < 10;) {
		struct session *n = session_new(time(NULL));

		v = cause = NULL;
		l = NULL;
		if (st->ops->save(st, c, n, 1, time(NULL), &v, &cause) ==
		    STORE_OK && load(st, c, v, time(NULL), &l) == STORE_OK)
			good++;
		else
			good = 0;
		session_free(l);
		session_free(n);
		free(v);
		free(cause);
	}
	CHECK(good == 20);
	for (i = 0; i < 40; i++) {
		session_free(s[i]);
		free(cookie[i]);
	}
}

/* The cache tier's memcached key of a session id; caller frees. */
static char *
cache_key_of(const char *id)
{
	char	*hash, *key;

	hash = store_key(keys, id);
	xasprintf(&key, "%s%s", cache_prefix, hash);
	free(hash);
	return key;
}

/* The value memcached holds under key into *out (caller frees); -1: none. */
static ssize_t
cache_raw_get(const char *key, char **out)
{
	char		 req[512], buf[16384], *p, *q;
	long		 n;

	*out = NULL;
	snprintf(req, sizeof req, "get %s\r\n", key);
	if (mc_talk(cache_server, req, strlen(req), buf, sizeof buf,
	    "END\r\n") <= 0 || strncmp(buf, "VALUE ", 6) != 0)
		return -1;
	p = strchr(buf, '\n');
	q = strrchr(buf, ' ');
	if (p == NULL || q == NULL || q > p)
		return -1;
	n = strtol(q + 1, NULL, 10);
	*out = xstrndup(p + 1, n);
	return n;
}

/* add or set a value the way another process would; 1 stored, 0 not. */
static int
cache_raw_store(const char *cmd, const char *key, const char *value)
{
	char		*req, buf[256];
	int		 rc;

	xasprintf(&req, "%s %s 0 60 %zu\r\n%s\r\n", cmd, key, strlen(value),
	    value);
	rc = -1;
	if (mc_talk(cache_server, req, strlen(req), buf, sizeof buf,
	    NULL) > 0)
		rc = strncmp(buf, "STORED", 6) == 0;
	free(req);
	return rc;
}

/* A load the tier serves from memcached: get_hits goes up. */
static void
test_cache_hit(struct store *st, void *c1, void *c2)
{
	struct config	 pgcfg = cfg;
	struct store	*pg;
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *value = NULL, *key, *cause = NULL;
	long		 hits, misses;
	void		*pc;

	s = save_new(st, c1, "{\"hit\":1}", "gina", time(NULL), &cookie);
	key = cache_key_of(s->id);
	/* Written through: the copy is there, with PostgreSQL's version. */
	CHECK(cache_raw_get(key, &value) > 0);
	CHECK(value != NULL && strstr(value, "\"ver\":") != NULL);
	free(value);
	hits = mc_stat(cache_server, "get_hits");
	CHECK(load(st, c2, cookie, time(NULL), &l) == STORE_OK);
	CHECK(mc_stat(cache_server, "get_hits") == hits + 1);
	CHECK(l != NULL && data_int(l, "hit") == 1);
	CHECK(l != NULL && l->version == s->version);
	CHECK(l != NULL && l->user != NULL && strcmp(l->user, "gina") == 0);
	session_free(l);
	l = NULL;
	session_free(s);
	free(cookie);
	free(key);

	/* Stored past the tier: a miss, a copy, then hits. */
	pgcfg.cache = NULL;
	if ((pg = store_open(&pgcfg, keys, &cause)) == NULL) {
		CHECK(pg != NULL);
		free(cause);
		return;
	}
	pc = conn(pg);
	s = save_new(pg, pc, "{\"miss\":1}", NULL, time(NULL), &cookie);
	misses = mc_stat(cache_server, "get_misses");
	CHECK(load(st, c1, cookie, time(NULL), &l) == STORE_OK);
	CHECK(mc_stat(cache_server, "get_misses") == misses + 1);
	session_free(l);
	l = NULL;
	hits = mc_stat(cache_server, "get_hits");
	CHECK(load(st, c2, cookie, time(NULL), &l) == STORE_OK);
	CHECK(mc_stat(cache_server, "get_hits") == hits + 1);
	CHECK(l != NULL && data_int(l, "miss") == 1);
	CHECK(l != NULL && l->version == s->version);
	session_free(l);
	session_free(s);
	free(cookie);
	pg->ops->conn_free(pc);
	store_close(pg);
}

/*
 * A read that got the row from PostgreSQL before a logout and copies it to
 * memcached after: the tombstone refuses the copy.
 */
static void
test_cache_late_fill(struct store *st, void *c1, void *c2)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *value = NULL, *key, *cause = NULL;

	s = save_new(st, c1, "{\"late\":1}", "hank", time(NULL), &cookie);
	key = cache_key_of(s->id);
	CHECK(cache_raw_get(key, &value) > 0);
	CHECK(st->ops->destroy(st, c2, s->id, 0, time(NULL), &cause) ==
	    STORE_OK);
	if (value != NULL) {
		/* What the in-flight read would add: refused. */
		CHECK(cache_raw_store("add", key, value) == 0);
	}
	CHECK(load(st, c1, cookie, time(NULL), &l) == STORE_NOTFOUND);
	CHECK(load(st, c2, cookie, time(NULL), &l) == STORE_NOTFOUND);
	CHECK(l == NULL);
	session_free(s);
	free(value);
	free(cookie);
	free(key);
	free(cause);
}

struct race_arg {
	struct store	*st;
	const char	*cookie;
	int		 stop;		/* __atomic: end the loop */
	int		 ready;		/* __atomic: connected, one load done */
	int		 destroyed;	/* __atomic: destroy has returned */
	int		 before;	/* loads that found it before */
	int		 after;		/* loads begun after destroy returned */
	int		 late;		/* ...that still found it: the bug */
};

/* Load in a loop; a load begun after the destroy returned must not find it. */
static void *
race_reader(void *arg)
{
	struct race_arg	*ra = arg;
	struct session	*l;
	enum store_result rv;
	void		*c = conn(ra->st);
	int		 gone;

	while (!__atomic_load_n(&ra->stop, __ATOMIC_ACQUIRE)) {
		gone = __atomic_load_n(&ra->destroyed, __ATOMIC_ACQUIRE);
		l = NULL;
		rv = load(ra->st, c, ra->cookie, time(NULL), &l);
		session_free(l);
		if (gone) {
			ra->after++;
			if (rv == STORE_OK)
				ra->late++;
		} else if (rv == STORE_OK)
			ra->before++;
		__atomic_store_n(&ra->ready, 1, __ATOMIC_RELEASE);
	}
	ra->st->ops->conn_free(c);
	return NULL;
}

/* The logout race: readers copy the session while another destroys it. */
static void
test_cache_logout_race(struct store *st, void *c)
{
	struct race_arg	 ra[4];
	pthread_t	 t[4];
	struct session	*s;
	char		*cookie, *cause = NULL;
	int		 round, i, wait, before = 0, after = 0, late = 0;

	for (round = 0; round < 20; round++) {
		s = save_new(st, c, "{\"race\":1}", NULL, time(NULL), &cookie);
		for (i = 0; i < 4; i++) {
			memset(&ra[i], 0, sizeof ra[i]);
			ra[i].st = st;
			ra[i].cookie = cookie;
			pthread_create(&t[i], NULL, race_reader, &ra[i]);
		}
		/* Every reader connected (slow on a busy machine) and loading. */
		for (i = 0, wait = 0; i < 4 && wait < 10000; wait++) {
			if (__atomic_load_n(&ra[i].ready, __ATOMIC_ACQUIRE))
				i++;
			else
				usleep(1000);
		}
		usleep(5000 + round * 500);
		CHECK(st->ops->destroy(st, c, s->id, 0, time(NULL), &cause) ==
		    STORE_OK);
		for (i = 0; i < 4; i++)
			__atomic_store_n(&ra[i].destroyed, 1, __ATOMIC_RELEASE);
		usleep(50000);
		for (i = 0; i < 4; i++) {
			__atomic_store_n(&ra[i].stop, 1, __ATOMIC_RELEASE);
			pthread_join(t[i], NULL);
			before += ra[i].before;
			after += ra[i].after;
			late += ra[i].late;
		}
		session_free(s);
		free(cookie);
	}
	printf("logout race: %d loads found it before, %d after (%d late)\n",
	    before, after, late);
	CHECK(before > 0 && after > 0);
	CHECK(late == 0);
	free(cause);
}

/*
 * A stale copy (its update lost, say in a network split) cannot make a
 * write win: PostgreSQL's version refuses it, the reload reads PostgreSQL;
 * and under the exclusive lock no copy is read at all.
 */
static void
test_cache_stale(struct store *st, void *c1, void *c2)
{
	struct session	*s, *a = NULL, *b = NULL;
	char		*cookie = NULL, *v = NULL, *cause = NULL, *key;
	char		*old = NULL;
	uint64_t	 v1;

	s = save_new(st, c1, "{\"n\":0}", NULL, time(NULL), &cookie);
	v1 = s->version;
	key = cache_key_of(s->id);
	CHECK(cache_raw_get(key, &old) > 0);
	CHECK(load(st, c1, cookie, time(NULL), &a) == STORE_OK);
	if (a == NULL || old == NULL)
		goto out;
	json_object_set_new(a->data, "x", json_true());
	CHECK(st->ops->save(st, c1, a, 1, time(NULL), &v, &cause) == STORE_OK);
	free(v);
	v = NULL;

	/* Put the old copy back. */
	CHECK(cache_raw_store("set", key, old) == 1);
	CHECK(load(st, c2, cookie, time(NULL), &b) == STORE_OK);
	CHECK(b != NULL && b->version == v1);	/* served stale... */
	if (b == NULL)
		goto out;
	json_object_set_new(b->data, "y", json_true());
	CHECK(st->ops->save(st, c2, b, 1, time(NULL), &v, &cause) ==
	    STORE_CONFLICT);			/* ...but cannot win */
	session_free(b);
	b = NULL;
	CHECK(load(st, c2, cookie, time(NULL), &b) == STORE_OK);
	CHECK(b != NULL && json_object_get(b->data, "x") != NULL);
	if (b == NULL)
		goto out;
	json_object_set_new(b->data, "y", json_true());
	CHECK(st->ops->save(st, c2, b, 1, time(NULL), &v, &cause) == STORE_OK);
	free(v);
	v = NULL;
	session_free(b);
	b = NULL;

	/* Stale again; the lock holder reads PostgreSQL, repairs the copy. */
	CHECK(cache_raw_store("set", key, old) == 1);
	CHECK(st->ops->lock(st, c1, cookie, 5, &cause) == STORE_OK);
	CHECK(load(st, c1, cookie, time(NULL), &b) == STORE_OK);
	CHECK(b != NULL && json_object_get(b->data, "x") != NULL &&
	    json_object_get(b->data, "y") != NULL);
	st->ops->unlock(st, c1);
	session_free(b);
	b = NULL;
	CHECK(load(st, c2, cookie, time(NULL), &b) == STORE_OK);
	CHECK(b != NULL && json_object_get(b->data, "y") != NULL);
out:
	session_free(s);
	session_free(a);
	session_free(b);
	free(old);
	free(key);
	free(cookie);
	free(v);
	free(cause);
}

/*
 * memcached freezes (a network split) while a session logs out, then comes
 * back with the old copy, the tombstones lost: no worker serves it. Others
 * distrust copies for ttl seconds after a failure; the one that destroyed
 * writes its tombstone again.
 */
static void
test_cache_split(struct store *st, void *c1, void *c2)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *cause = NULL, *key, *value = NULL;
	char		*old = NULL;
	double		 t0;

	s = save_new(st, c1, "{\"split\":1}", "jay", time(NULL), &cookie);
	CHECK(load(st, c2, cookie, time(NULL), &l) == STORE_OK);
	session_free(l);
	l = NULL;
	key = cache_key_of(s->id);
	CHECK(cache_raw_get(key, &old) > 0);
	run("SW_TEST_CACHE_FREEZE");
	CHECK(st->ops->destroy(st, c1, s->id, 0, time(NULL), &cause) ==
	    STORE_OK);
	run("SW_TEST_CACHE_THAW");
	/* What it queued arrives now; a split would have lost it. */
	usleep(100000);
	CHECK(old != NULL && cache_raw_store("set", key, old) == 1);
	CHECK(load(st, c2, cookie, time(NULL), &l) == STORE_NOTFOUND);
	t0 = now_sec();
	do {
		usleep(200000);
		CHECK(load(st, c1, cookie, time(NULL), &l) == STORE_NOTFOUND);
		free(value);
		value = NULL;
	} while ((cache_raw_get(key, &value) <= 0 || value[0] != '-') &&
	    now_sec() - t0 < 5);
	CHECK(value != NULL && strcmp(value, "-") == 0);
	session_free(s);
	free(old);
	free(value);
	free(key);
	free(cookie);
	free(cause);
}

/*
 * A copy of a replaced ("doomed") session ends with its grace, which only
 * PostgreSQL's row knows, even once the tombstone is gone (short ttl).
 */
static void
test_cache_grace(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *cause = NULL;
	time_t		 t0 = time(NULL);
	long		 hits;

	s = save_new(st, c, "{\"g\":1}", NULL, t0, &cookie);
	CHECK(st->ops->destroy(st, c, s->id, 30, t0, &cause) == STORE_OK);
	sleep(cache_ttl + 1);
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_OK);
	session_free(l);
	l = NULL;
	hits = mc_stat(cache_server, "get_hits");
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_OK);
	CHECK(mc_stat(cache_server, "get_hits") == hits + 1);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, t0 + 30, &l) == STORE_NOTFOUND);
	session_free(s);
	free(cookie);
	free(cause);
}

/* memcached down: everything goes on through PostgreSQL, quickly. */
static void
test_cache_down(struct store *st, void *c)
{
	struct session	*s, *n, *l = NULL;
	char		*cookie = NULL, *ncookie = NULL, *v = NULL;
	char		*cause = NULL, *key, *value = NULL, user[64], **ws;
	double		 t0, dt;
	long		 count = -1, hits;
	int		 i;

	snprintf(user, sizeof user, "ivy-%ld", (long)getpid());
	s = save_new(st, c, "{\"before\":1}", NULL, time(NULL), &cookie);
	run("SW_TEST_CACHE_STOP");
	t0 = now_sec();
	n = save_new(st, c, "{\"during\":1}", user, time(NULL), &ncookie);
	for (i = 0; i < 20; i++) {
		CHECK(load(st, c, ncookie, time(NULL), &l) == STORE_OK);
		if (l == NULL)
			break;
		json_object_set_new(l->data, "i", json_integer(i));
		CHECK(st->ops->save(st, c, l, 1, time(NULL), &v, &cause) ==
		    STORE_OK);
		session_free(l);
		l = NULL;
		free(v);
		v = NULL;
	}
	CHECK(load(st, c, ncookie, time(NULL), &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "i") == 19);
	session_free(l);
	l = NULL;
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "before") == 1);
	session_free(l);
	l = NULL;
	CHECK(st->ops->lock(st, c, cookie, 1, &cause) == STORE_OK);
	st->ops->unlock(st, c);
	CHECK(st->ops->destroy(st, c, s->id, 0, time(NULL), &cause) ==
	    STORE_OK);
	CHECK(load(st, c, cookie, time(NULL), &l) == STORE_NOTFOUND);
	dt = now_sec() - t0;
	printf("cache down: 46 operations in %.2fs\n", dt);
	CHECK(dt < 5.0);

	run("SW_TEST_CACHE_START");
	/* A restarted memcached is empty; the copies come back. */
	CHECK(store_admin(st)->revoke_user(st, c, user, &count, &ws, &cause) ==
	    STORE_OK);
	CHECK(count == 1);
	store_test_free_list(ws);
	CHECK(load(st, c, ncookie, time(NULL), &l) == STORE_NOTFOUND);
	session_free(n);
	free(ncookie);
	n = save_new(st, c, "{\"after\":1}", NULL, time(NULL), &ncookie);
	/* Copies are read again once the ones written before could be gone. */
	sleep(cache_ttl + 1);
	CHECK(load(st, c, ncookie, time(NULL), &l) == STORE_OK);
	session_free(l);
	l = NULL;
	key = cache_key_of(n->id);
	CHECK(cache_raw_get(key, &value) > 0);
	CHECK(value != NULL && strstr(value, "\"ver\":") != NULL);
	hits = mc_stat(cache_server, "get_hits");
	CHECK(load(st, c, ncookie, time(NULL), &l) == STORE_OK);
	CHECK(mc_stat(cache_server, "get_hits") == hits + 1);
	CHECK(l != NULL && data_int(l, "after") == 1);
	session_free(l);
	session_free(n);
	free(key);
	free(value);
	session_free(s);
	free(cookie);
	free(ncookie);
	free(v);
	free(cause);
}

int
main(int argc, char **argv)
{
	struct store	*st;
	void		*c1, *c2;
	char		*cause = NULL;
	const char	*p, *q;

	if (argc != 2) {
		fprintf(stderr, "usage: test_store URI\n");
		return 2;
	}
	uri = argv[1];
	log_init("test_store", 0);
	log_set_level(getenv("SW_TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	config_init(&cfg);
	free(cfg.store);
	cfg.store = xstrdup(uri);
	cfg.idle_timeout = 600;
	cfg.absolute_timeout = 3600;
	is_pg = strncmp(uri, "postgres", 8) == 0;
	is_redis = strncmp(uri, "redis", 5) == 0;
	if ((p = getenv("SW_TEST_CACHE")) != NULL) {
		/* memcached://host:port[,...][?prefix=P&ttl=S] */
		is_cache = 1;
		cfg.cache = xstrdup(p);
		p += strncmp(p, "memcached://", 12) == 0 ? 12 : 0;
		snprintf(cache_server, sizeof cache_server, "%.*s",
		    (int)strcspn(p, ",?"), p);
		snprintf(cache_prefix, sizeof cache_prefix, "sw:");
		if ((q = strstr(p, "prefix=")) != NULL)
			snprintf(cache_prefix, sizeof cache_prefix, "%.*s",
			    (int)strcspn(q + 7, "&"), q + 7);
		if ((q = strstr(p, "ttl=")) != NULL)
			cache_ttl = strtol(q + 4, NULL, 10);
	}
	if ((keys = keyring_parse(SECRET_A "\n", &cause)) == NULL) {
		fprintf(stderr, "keyring: %s\n", cause);
		return 1;
	}
	if (strstr(store_names(), is_pg ? "postgresql" : is_redis ? "redis" :
	    "memcached") == NULL ||
	    (is_cache && strstr(store_names(), "memcached") == NULL)) {
		printf("store not built in (%s)\n", store_names());
		return 77;
	}

	st = open_store(keys);
	c1 = conn(st);
	c2 = conn(st);

	if (getenv("SW_TEST_SPREAD") != NULL) {
		test_spread(st, c1);
		goto done;
	}
	if (getenv("SW_TEST_CACHE_STOP") != NULL) {
		test_cache_split(st, c1, c2);
		test_cache_grace(st, c1);
		test_cache_down(st, c1);
		goto done;
	}
	test_open_errors();
	test_roundtrip(st, c1);
	test_forged(st, c1);
	test_cas(st, c1, c2);
	test_no_resurrect(st, c1, c2);
	test_lock(st, c1, c2);
	test_concurrency(st, c1);
	test_expiry(st, c1);
	test_grace(st, c1);
	test_revoke(st, c1);
	test_revoke_many(st, c1);
	test_sessions(st, c1);
	test_gc(st, c1);
	if (is_pg && !is_cache)
		test_gc_lag(st, c1);
	test_show(st, c1);
	test_rotation(st, c1);
	if (is_redis && getenv("SW_TEST_REDIS_CLI") != NULL)
		test_redis_scripts(st);
	if (is_cache) {
		test_cache_hit(st, c1, c2);
		test_cache_late_fill(st, c1, c2);
		test_cache_logout_race(st, c1);
		test_cache_stale(st, c1, c2);
	}
	if (getenv("SW_TEST_STOP") != NULL)
		test_outage(st, c1);
done:
	st->ops->conn_free(c1);
	st->ops->conn_free(c2);
	store_close(st);
	keyring_free(keys);
	free(cfg.store);
	cfg.store = NULL;
	free(cfg.cache);
	cfg.cache = NULL;
	config_free(&cfg);
	return test_done(is_cache ? "test_store postgresql+memcached" :
	    is_pg ? "test_store postgresql" : is_redis ? "test_store redis" :
	    "test_store memcached");
}
