/* aiohttp-session's session JSON and sessionwrap's reserved key in it. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "log.h"
#include "session.h"
#include "session_aiohttp.h"
#include "xmalloc.h"

/* Longest id taken from a cookie: uuid4().hex is 32, ours 24. */
#define SESSION_AIOHTTP_ID_MAX		64

/* Latest time accepted in "created" and the reserved fields. */
#define SESSION_AIOHTTP_TIME_MAX	((json_int_t)SESSION_NEVER)

/* An integer member of obj within [0, max], else `def`. */
static json_int_t
session_aiohttp_int(const json_t *obj, const char *key, json_int_t max,
    json_int_t def)
{
	json_t		*v = json_object_get(obj, key);
	json_int_t	 n;

	if (!json_is_integer(v))
		return def;
	n = json_integer_value(v);
	return n < 0 || n > max ? def : n;
}

/* A string member of obj, or NULL. */
static const char *
session_aiohttp_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The reserved key's object for a session. */
static json_t *
session_aiohttp_reserved(const struct session *s)
{
	json_t	*r;

	r = json_pack("{s:s, s:s, s:I, s:I}", "id", s->id, "ws_id", s->ws_id,
	    "login", (json_int_t)s->created, "access", (json_int_t)s->access);
	if (r == NULL)
		fatalx("%s: json_pack failed", __func__);
	if (s->user != NULL)
		json_object_set_new(r, "user",
		    session_json_check(json_string(s->user)));
	if (s->max_age != 0)
		json_object_set_new(r, "max_age",
		    session_json_check(json_integer(s->max_age)));
	return r;
}

/* json.dumps writes \u escapes with lowercase hex digits; jansson upper. */
static void
session_aiohttp_lower_escapes(char *p)
{
	int	 i;

	while ((p = strchr(p, '\\')) != NULL) {
		if (p[1] != 'u') {
			p += p[1] != '\0' ? 2 : 1;
			continue;
		}
		for (i = 2; i < 6 && p[i] != '\0'; i++) {
			if (p[i] >= 'A' && p[i] <= 'F')
				p[i] = (char)(p[i] - 'A' + 'a');
		}
		p += i;
	}
}

/* Serialize as aiohttp does: json.dumps's separators, ASCII only. */
char *
session_aiohttp_encode(const struct session *s, const struct config *cfg,
    time_t until)
{
	json_t	*data, *j;
	char	*out;

	data = session_json_check(json_deep_copy(s->data));
	json_object_del(data, SESSION_AIOHTTP_RESERVED);
	if (cfg->user_key != NULL) {
		/* Only a login names the user: a copy set by a script goes. */
		if (s->user != NULL)
			json_object_set_new(data, cfg->user_key,
			    session_json_check(json_string(s->user)));
		else
			json_object_del(data, cfg->user_key);
	}
	json_object_set_new(data, SESSION_AIOHTTP_RESERVED,
	    session_aiohttp_reserved(s));
	j = json_pack("{s:I, s:o}", "created", (json_int_t)s->created,
	    "session", data);
	if (j == NULL)
		fatalx("%s: json_pack failed", __func__);
	if (until != 0)
		json_object_set_new(j, "until",
		    session_json_check(json_integer(until)));
	out = json_dumps(j, JSON_ENSURE_ASCII);
	json_decref(j);
	if (out == NULL)
		fatalx("%s: json_dumps failed", __func__);
	session_aiohttp_lower_escapes(out);
	return out;
}

/* Take the user out of the data: user_key's value, else the reserved one. */
static char *
session_aiohttp_user(json_t *data, const json_t *res, const struct config *cfg)
{
	const char	*u;

	if (cfg->user_key != NULL)
		u = session_aiohttp_str(data, cfg->user_key);
	else
		u = session_aiohttp_str(res, "user");
	if (u == NULL || !session_user_valid(u, strlen(u)))
		u = NULL;
	u = u != NULL ? xstrdup(u) : NULL;
	if (cfg->user_key != NULL)
		json_object_del(data, cfg->user_key);
	return (char *)u;
}

/*
 * The session with its identity and times from the reserved key when it is
 * there and the Python side kept the user sessionwrap saw; else a fresh
 * identity (new sockets id, the old one closed), marked to be saved.
 */
static struct session *
session_aiohttp_identity(json_t *data, char *user, const json_t *res,
    const char *id, json_int_t created, time_t now)
{
	const char	*seen = session_aiohttp_str(res, "user");
	const char	*rid = session_aiohttp_str(res, "id");
	const char	*ws = session_aiohttp_str(res, "ws_id");
	struct session	*s;
	int		 same, kept;

	same = (seen == NULL && user == NULL) ||
	    (seen != NULL && user != NULL && strcmp(seen, user) == 0);
	kept = res != NULL && same && (id != NULL || rid != NULL) && ws != NULL;
	/* A server store's item name stays; a cookie's id only when kept. */
	if (id == NULL && kept)
		id = rid;
	s = session_from_store(id != NULL ? xstrdup(id) :
	    crypto_random_id(SESSION_ID_BYTES), ws != NULL ? xstrdup(ws) : NULL,
	    data);
	s->user = user;
	if (kept) {
		s->created = (time_t)session_aiohttp_int(res, "login",
		    SESSION_AIOHTTP_TIME_MAX, created);
		s->access = (time_t)session_aiohttp_int(res, "access",
		    SESSION_AIOHTTP_TIME_MAX, now);
		s->max_age = (long)session_aiohttp_int(res, "max_age",
		    SESSION_MAX_AGE_MAX, 0);
		return s;
	}
	/* New to sessionwrap, or logged in or out by the Python side. */
	if (ws != NULL)
		session_rotate_ws(s);
	/* New to sessionwrap: Python's "created"; a login seen now: now. */
	s->created = res == NULL || same ? (time_t)created : now;
	s->access = now;
	s->changed = 1;
	return s;
}

/* Parse aiohttp's JSON into a session. */
struct session *
session_aiohttp_decode(const char *buf, size_t len, const struct config *cfg,
    const char *id, time_t now, time_t *until, char **cause)
{
	struct session	*s = NULL;
	json_t		*j, *v, *data, *res;
	json_error_t	 error;
	json_int_t	 created = now;

	if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &error)) == NULL) {
		xasprintf(cause, "session: invalid JSON at offset %d",
		    error.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		xasprintf(cause, "session: not an object");
		goto out;
	}
	v = json_object_get(j, "created");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > SESSION_AIOHTTP_TIME_MAX) {
			xasprintf(cause, "session: bad \"created\"");
			goto out;
		}
		created = json_integer_value(v);
	}
	if (until != NULL)
		*until = (time_t)session_aiohttp_int(j, "until",
		    SESSION_AIOHTTP_TIME_MAX, 0);
	v = json_object_get(j, "session");
	if (v != NULL && !json_is_null(v) && !json_is_object(v)) {
		xasprintf(cause, "session: \"session\" is not an object");
		goto out;
	}
	data = v == NULL || json_is_null(v) ?
	    session_json_check(json_object()) : json_incref(v);
	res = json_object_get(data, SESSION_AIOHTTP_RESERVED);
	res = json_is_object(res) ? json_incref(res) : NULL;
	json_object_del(data, SESSION_AIOHTTP_RESERVED);

	s = session_aiohttp_identity(data, session_aiohttp_user(data, res, cfg),
	    res, id, created, now);
	/*
	 * A server store's item that outlived our idle clock was written
	 * since by the Python side (our writes expire with that clock), which
	 * saves only what changed: the session is in use.
	 */
	if (id != NULL && session_idle_timeout(s, cfg) > 0 &&
	    s->access + session_idle_timeout(s, cfg) <= now)
		s->access = now;
	json_decref(res);
	if (session_check(s, cause) != 0) {
		session_free(s);
		s = NULL;
	}
out:
	json_decref(j);
	return s;
}

/* The id a cookie value names, when it can be one. */
int
session_aiohttp_cookie_id(const char *cookie, char **id)
{
	size_t	 len = strlen(cookie);

	*id = NULL;
	if (len == 0 || len > SESSION_AIOHTTP_ID_MAX ||
	    !b64url_valid(cookie, len))
		return -1;
	*id = xstrdup(cookie);
	return 0;
}
