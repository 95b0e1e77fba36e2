/* Server-side stores driven through store_open/ops against real servers (run by tests/integration/stores.sh). */
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
	struct config	 c2 = cfg;
	struct store	*st;
	char		*cause = NULL;
	size_t		 i, n;
	const char *const *bad;

	st = store_open(&cfg, NULL, &cause);
	CHECK(st == NULL);
	CHECK(cause != NULL && strstr(cause, "secret_file") != NULL);
	free(cause);

	bad = is_pg ? bad_pg : bad_mc;
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
	CHECK(l->version == s->version || !is_pg);
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

/* A replaced id stays readable for its grace, and saves do not extend it. */
static void
test_grace(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *v = NULL, *cause = NULL;
	time_t		 now = time(NULL);

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
	session_free(s);
	free(cookie);
	free(v);
	free(cause);
}

/* revoke_user deletes every session of one user and only those. */
static void
test_revoke(struct store *st, void *c)
{
	struct session	*s[4], *l = NULL;
	char		*cookie[4], *cause = NULL, user[64], other[64];
	time_t		 now = time(NULL);
	long		 n = -1;
	int		 i;

	snprintf(user, sizeof user, "carol-%ld", (long)getpid());
	snprintf(other, sizeof other, "dave-%ld", (long)getpid());
	for (i = 0; i < 4; i++)
		s[i] = save_new(st, c, "{}", i < 3 ? user : other, now,
		    &cookie[i]);
	CHECK(st->ops->revoke_user(st, c, user, &n, &cause) == STORE_OK);
	CHECK(n == 3);
	for (i = 0; i < 3; i++)
		CHECK(load(st, c, cookie[i], now, &l) == STORE_NOTFOUND);
	CHECK(load(st, c, cookie[3], now, &l) == STORE_OK);
	session_free(l);
	CHECK(st->ops->revoke_user(st, c, "nobody-at-all", &n, &cause) ==
	    STORE_OK);
	CHECK(n == 0);
	for (i = 0; i < 4; i++) {
		session_free(s[i]);
		free(cookie[i]);
	}
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
	CHECK(st->ops->gc(st, c, now, &n, &cause) == STORE_OK);
	CHECK(is_pg ? n >= 1 : n == 0);
	session_free(s);
	free(cookie);
	free(cause);
}

/* show finds a session by cookie, secret id, and (PostgreSQL) SESSION_ID. */
static void
test_show(struct store *st, void *c)
{
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *cause = NULL, *pub;

	s = save_new(st, c, "{\"shown\":1}", "erin", time(NULL), &cookie);
	CHECK(st->ops->show(st, c, cookie, &l, &cause) == STORE_OK);
	CHECK(l != NULL && data_int(l, "shown") == 1);
	session_free(l);
	l = NULL;
	CHECK(st->ops->show(st, c, s->id, &l, &cause) == STORE_OK);
	CHECK(l != NULL && l->user != NULL && strcmp(l->user, "erin") == 0);
	session_free(l);
	l = NULL;
	pub = store_public_id(keys, s->id);
	if (is_pg) {
		CHECK(st->ops->show(st, c, pub, &l, &cause) == STORE_OK);
		CHECK(l != NULL && data_int(l, "shown") == 1);
		session_free(l);
		l = NULL;
	}
	CHECK(st->ops->show(st, c, "no-such-session", &l, &cause) ==
	    STORE_NOTFOUND);
	free(pub);
	session_free(s);
	free(cookie);
	free(cause);
}

/* After a key rotation sessions saved under the old key still load. */
static void
test_rotation(struct store *st, void *c)
{
	struct keyring	*rotated;
	struct store	*st2;
	struct session	*s, *l = NULL;
	char		*cookie = NULL, *cause = NULL, *v = NULL;
	void		*c2;
	time_t		 now = time(NULL);
	long		 n = -1;

	s = save_new(st, c, "{\"r\":1}", "frank-rot", now, &cookie);
	rotated = keyring_parse(SECRET_B "\n" SECRET_A "\n", &cause);
	CHECK(rotated != NULL);
	if (rotated == NULL)
		return;
	st2 = open_store(rotated);
	c2 = conn(st2);
	CHECK(load(st2, c2, cookie, now, &l) == STORE_OK);
	CHECK(l != NULL && data_int(l, "r") == 1);
	if (l != NULL) {
		json_object_set_new(l->data, "r", json_integer(2));
		CHECK(st2->ops->save(st2, c2, l, 1, now, &v, &cause) ==
		    STORE_OK || !is_pg);
		session_free(l);
		l = NULL;
	}
	/* Now stored under the new key: loads directly. */
	CHECK(load(st2, c2, cookie, now, &l) == STORE_OK);
	session_free(l);
	l = NULL;
	/* And revocable. */
	CHECK(st2->ops->revoke_user(st2, c2, "frank-rot", &n, &cause) ==
	    STORE_OK);
	CHECK(n == 1);
	CHECK(load(st2, c2, cookie, now, &l) == STORE_NOTFOUND);
	st2->ops->conn_free(c2);
	store_close(st2);
	keyring_free(rotated);
	session_free(s);
	free(cookie);
	free(cause);
	free(v);
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

/* Server down: STORE_ERROR (never a fresh session); back: works again. */
static void
test_outage(struct store *st, void *c)
{
	struct session	*s, *l = NULL, *n;
	enum store_result rv;
	char		*cookie = NULL, *v = NULL, *cause = NULL;
	double		 t0;
	int		 i;

	s = save_new(st, c, "{\"kept\":1}", NULL, time(NULL), &cookie);
	run("SW_TEST_STOP");
	for (i = 0; i < 3; i++) {
		rv = load(st, c, cookie, time(NULL), &l);
		CHECK(rv == STORE_ERROR);
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
	CHECK(is_pg ? rv == STORE_OK : rv == STORE_NOTFOUND);
	CHECK(!is_pg || (l != NULL && data_int(l, "kept") == 1));
	session_free(l);
	l = NULL;
	CHECK(st->ops->save(st, c, n, 1, time(NULL), &v, &cause) == STORE_OK);
	CHECK(load(st, c, v, time(NULL), &l) == STORE_OK);
	session_free(l);
	session_free(n);
	session_free(s);
	free(cookie);
	free(v);
	free(cause);
}

/* curr_items of one memcached ("host:port"), -1 when unreachable. */
static long
mc_items(const char *hostport)
{
	struct addrinfo	 hints, *ai;
	char		 host[256], buf[8192], *p, *colon;
	size_t		 len = 0;
	ssize_t		 r;
	long		 n = -1;
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
	if (write(fd, "stats\r\n", 7) == 7) {
		while (len < sizeof buf - 1 &&
		    (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
			len += r;
			buf[len] = '\0';
			if (strstr(buf, "END\r\n") != NULL)
				break;
		}
		buf[len] = '\0';
		if ((p = strstr(buf, "STAT curr_items ")) != NULL)
			n = strtol(p + 16, NULL, 10);
	}
	close(fd);
	return n;
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

int
main(int argc, char **argv)
{
	struct store	*st;
	void		*c1, *c2;
	char		*cause = NULL;

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
	if ((keys = keyring_parse(SECRET_A "\n", &cause)) == NULL) {
		fprintf(stderr, "keyring: %s\n", cause);
		return 1;
	}
	if (strstr(store_names(), is_pg ? "postgresql" : "memcached") == NULL) {
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
	test_gc(st, c1);
	test_show(st, c1);
	test_rotation(st, c1);
	if (getenv("SW_TEST_STOP") != NULL)
		test_outage(st, c1);
done:
	st->ops->conn_free(c1);
	st->ops->conn_free(c2);
	store_close(st);
	keyring_free(keys);
	free(cfg.store);
	cfg.store = NULL;
	config_free(&cfg);
	return test_done(is_pg ? "test_store postgresql" : "test_store memcached");
}
