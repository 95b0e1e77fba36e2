/*
 * store_format = aiohttp for the Redis store: aiohttp-session's
 * RedisStorage layout. The cookie holds the id itself (not signed), the
 * key is <cookie_name>_<id>, a string holding aiohttp's session JSON
 * (session_aiohttp.c) with a TTL. Compare-and-swap compares a SHA-1 of
 * the whole value, computed by Redis in the scripts below.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session.h"
#include "session_aiohttp.h"
#include "store.h"
#include "store_redis_int.h"
#include "xmalloc.h"

/* The value and the first 15 hex digits of its SHA-1 (the version). */
static const char rd_aiohttp_get_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if not v then return false end "
    "return {v, string.sub(redis.sha1hex(v), 1, 15)}";

/*
 * Write ARGV[3] with TTL ARGV[4] (0: none). ARGV[1]: add (only when
 * absent), set, cas (only when the version is ARGV[2]), over (only when
 * present). The new version, or -1 (conflict), 0 (gone).
 */
static const char rd_aiohttp_put_lua[] =
    "local cur = redis.call('GET', KEYS[1]) "
    "local m = ARGV[1] "
    "if (m == 'cas' or m == 'over') and not cur then return 0 end "
    "if m == 'add' and cur then return -1 end "
    "if m == 'cas' and string.sub(redis.sha1hex(cur), 1, 15) ~= ARGV[2] "
    "then return -1 end "
    "if ARGV[4] == '0' then redis.call('SET', KEYS[1], ARGV[3]) "
    "else redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4]) end "
    "return string.sub(redis.sha1hex(ARGV[3]), 1, 15)";

/* True when the store keeps aiohttp's layout. */
int
rd_aiohttp_on(const struct store *st)
{
	return st->cfg->store_format == FORMAT_AIOHTTP;
}

/* The key aiohttp uses for an id: cookie name, "_", the id. */
static char *
rd_aiohttp_key(struct store *st, const char *id)
{
	char	*key;

	xasprintf(&key, "%s_%s", st->cfg->cookie_name, id);
	return key;
}

/* The key a cookie names, or NULL when it cannot be an id. */
char *
rd_aiohttp_cookie_key(struct store *st, const char *cookie)
{
	char	*id, *key;

	if (session_aiohttp_cookie_id(cookie, &id) != 0)
		return NULL;
	key = rd_aiohttp_key(st, id);
	free(id);
	return key;
}

/* A version as the scripts give it (hex), never 0 (0 means "new"). */
static uint64_t
rd_aiohttp_version(const char *hex)
{
	return strtoull(hex, NULL, 16) + 1;
}

/* Read and parse the session at key: *out with its version, *until. */
static enum store_result
rd_aiohttp_get(struct store *st, struct rd_conn *rc, const char *key,
    const char *id, time_t now, struct session **out, time_t *until,
    char **cause)
{
	const char	*argv[] = { "EVAL", rd_aiohttp_get_lua, "1", key };
	redisReply	*r;
	enum store_result rv;
	char		*why = NULL;

	*out = NULL;
	if ((rv = rd_conn_cmd(rc, 4, argv, NULL, &r, cause)) != STORE_OK)
		return rv;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return STORE_NOTFOUND;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		*cause = rd_conn_unexpected("GET", r);
		freeReplyObject(r);
		return STORE_ERROR;
	}
	*out = session_aiohttp_decode(r->element[0]->str, r->element[0]->len,
	    st->cfg, id, now, until, &why);
	if (*out != NULL)
		(*out)->version = rd_aiohttp_version(r->element[1]->str);
	freeReplyObject(r);
	if (*out == NULL) {
		/* Not the reason: a JSON error may quote session data. */
		free(why);
		*cause = xstrdup("stored session is not aiohttp's JSON");
		return STORE_ERROR;
	}
	return STORE_OK;
}

/*
 * Write a session's JSON (with `until` when doomed) to key, expiring at
 * `expires`, by mode (see rd_aiohttp_put_lua); s->version on success.
 */
static enum store_result
rd_aiohttp_put(struct rd_conn *rc, struct store *st, struct session *s,
    const char *key, const char *mode, time_t expires, time_t until,
    time_t now, char **cause)
{
	const char	*argv[8];
	char		*value, ver[24], ttl[24];
	redisReply	*r;
	enum store_result rv;

	value = session_aiohttp_encode(s, st->cfg, until);
	if (st->cfg->max_session_size > 0 &&
	    (long)strlen(value) > st->cfg->max_session_size) {
		free(value);
		*cause = xstrdup("session data larger than max_session_size");
		return STORE_TOOBIG;
	}
	snprintf(ver, sizeof ver, "%015llx", s->version > 0 ?
	    (unsigned long long)(s->version - 1) : 0ULL);
	snprintf(ttl, sizeof ttl, "%lld", expires >= SESSION_NEVER ? 0LL :
	    (long long)(expires > now ? expires - now : 1));
	argv[0] = "EVAL";
	argv[1] = rd_aiohttp_put_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = mode;
	argv[5] = ver;
	argv[6] = value;
	argv[7] = ttl;
	rv = rd_conn_cmd(rc, 8, argv, NULL, &r, cause);
	free(value);
	if (rv != STORE_OK)
		return rv;
	if (r->type == REDIS_REPLY_STRING)
		s->version = rd_aiohttp_version(r->str);
	else if (r->type == REDIS_REPLY_INTEGER && r->integer == -1)
		rv = STORE_CONFLICT;
	else if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
		/* Gone (logout, expiry): never resurrect it. */
		*cause = xstrdup("session no longer stored");
		rv = STORE_NOTFOUND;
	} else {
		*cause = rd_conn_unexpected("save", r);
		rv = STORE_ERROR;
	}
	freeReplyObject(r);
	return rv;
}

/* Load the session a cookie names (store_ops.load in this layout). */
enum store_result
rd_aiohttp_load(struct store *st, struct rd_conn *rc, const char *cookie,
    time_t now, struct session **out, char **cause)
{
	struct session	*s;
	enum store_result rv;
	char		*id, *key;
	time_t		 until = 0;

	*out = NULL;
	if (cookie == NULL || session_aiohttp_cookie_id(cookie, &id) != 0)
		return STORE_NOTFOUND;
	key = rd_aiohttp_key(st, id);
	rv = rd_aiohttp_get(st, rc, key, id, now, &s, &until, cause);
	free(id);
	if (rv == STORE_OK && (session_expired(s, st->cfg, now) ||
	    (until != 0 && until <= now))) {
		session_free(s);
		rv = STORE_NOTFOUND;
	}
	free(rc->doomed_key);
	rc->doomed_key = NULL;
	if (rv == STORE_OK && until != 0) {
		rc->doomed_key = key;
		rc->doomed_until = until;
	} else
		free(key);
	if (rv == STORE_OK)
		*out = s;
	return rv;
}

/* Save a session (store_ops.save in this layout); the cookie is the id. */
enum store_result
rd_aiohttp_save(struct store *st, struct rd_conn *rc, struct session *s,
    int cas, time_t now, char **cookie, char **cause)
{
	enum store_result rv;
	const char	*mode;
	char		*key;
	time_t		 expires, until, oaccess = s->access;

	*cookie = NULL;
	s->access = now;
	key = rd_aiohttp_key(st, s->id);
	mode = rd_save_plan(st, rc, s, key, cas, &expires, &until);
	rv = rd_aiohttp_put(rc, st, s, key, mode, expires, until, now, cause);
	free(key);
	if (rv != STORE_OK) {
		s->access = oaccess;
		return rv;
	}
	*cookie = xstrdup(s->id);
	return STORE_OK;
}

/* Delete by id, or mark it readable for `grace` seconds more only. */
enum store_result
rd_aiohttp_destroy(struct store *st, struct rd_conn *rc, const char *id,
    long grace, time_t now, char **cause)
{
	const char	*argv[2];
	struct session	*s;
	enum store_result rv = STORE_CONFLICT;
	redisReply	*r;
	char		*key, *why = NULL;
	time_t		 until;
	int		 try;

	key = rd_aiohttp_key(st, id);
	for (try = 0; grace > 0 && rv == STORE_CONFLICT && try < 16; try++) {
		if ((rv = rd_aiohttp_get(st, rc, key, id, now, &s, &until,
		    &why)) != STORE_OK)
			break;
		if (until == 0 || until > now + grace)
			until = now + grace;
		rv = rd_aiohttp_put(rc, st, s, key, "cas", until, until, now,
		    &why);
		session_free(s);
	}
	free(why);
	if (grace > 0 && (rv == STORE_OK || rv == STORE_NOTFOUND)) {
		free(key);
		return STORE_OK;
	}
	/* No grace, or unreadable, or changing under us: delete it. */
	argv[0] = "DEL";
	argv[1] = key;
	rv = rd_conn_cmd(rc, 2, argv, NULL, &r, cause);
	free(key);
	if (rv == STORE_OK)
		freeReplyObject(r);
	return rv;
}
