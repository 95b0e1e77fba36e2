/* The session model: JSON data, identity, timestamps, expiry and the stored form. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "utf8.h"
#include "xmalloc.h"

#define SESSION_FORMAT		1		/* "v" in the serialized form */
#define SESSION_WS_ID_BYTES	12
#define SESSION_ID_MAX		128		/* longest id accepted */
#define SESSION_USER_MAX	256
#define SESSION_TIME_MAX	((long long)SESSION_NEVER)

/* Die on a jansson allocation failure: it is out of memory like xmalloc. */
json_t *
session_json_check(json_t *j)
{
	if (j == NULL)
		fatalx("jansson: out of memory");
	return j;
}

/* An id as crypto_random_id makes them: base64url, bounded length. */
static int
session_id_valid(const char *s, size_t len)
{
	if (len == 0 || len > SESSION_ID_MAX)
		return 0;
	return b64url_valid(s, len);
}

/* A user name: 1 to 256 bytes of printable UTF-8, no control characters. */
int
session_user_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SESSION_USER_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	return utf8_valid(s, len);
}

/* Add a timeout to a time, saturating at the latest time we accept. */
static time_t
session_time_add(time_t t, long seconds)
{
	if ((long long)seconds > SESSION_TIME_MAX - (long long)t)
		return (time_t)SESSION_TIME_MAX;
	return t + seconds;
}

/* A fresh empty session with a new random id. */
struct session *
session_new(time_t now)
{
	struct session	*s;

	s = xcalloc(1, sizeof *s);
	s->id = crypto_random_id(SESSION_ID_BYTES);
	s->ws_id = crypto_random_id(SESSION_WS_ID_BYTES);
	s->data = session_json_check(json_object());
	s->created = now;
	s->access = now;
	s->is_new = 1;
	return s;
}

/* A stored session's shell; see session.h. */
struct session *
session_from_store(char *id, char *ws_id, json_t *data)
{
	struct session	*s;

	s = xcalloc(1, sizeof *s);
	s->id = id;
	s->ws_id = ws_id != NULL ? ws_id :
	    crypto_random_id(SESSION_WS_ID_BYTES);
	s->data = data;
	return s;
}

/* Free a session and everything it owns. */
void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->ws_id);
	free(s->user);
	json_decref(s->data);
	free(s->old_id);
	free(s->old_ws_id);
	free(s);
}

/* Copy a string that may be NULL. */
static char *
session_strdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* Deep copy, flags included. */
struct session *
session_dup(const struct session *s)
{
	struct session	*d;

	d = xmalloc(sizeof *d);
	*d = *s;
	d->id = session_strdup(s->id);
	d->ws_id = session_strdup(s->ws_id);
	d->user = session_strdup(s->user);
	d->data = session_json_check(json_deep_copy(s->data));
	d->old_id = session_strdup(s->old_id);
	d->old_ws_id = session_strdup(s->old_ws_id);
	return d;
}

/* Serialize all but the flags and version to compact JSON; caller frees. */
char *
session_serialize(const struct session *s)
{
	json_t	*j;
	char	*out;

	j = json_pack("{s:i, s:s, s:s, s:s?, s:I, s:I, s:I, s:O}",
	    "v", SESSION_FORMAT,
	    "id", s->id,
	    "ws", s->ws_id,
	    "u", s->user,
	    "c", (json_int_t)s->created,
	    "a", (json_int_t)s->access,
	    "m", (json_int_t)s->max_age,
	    "d", s->data);
	if (j == NULL)
		fatalx("%s: json_pack failed", __func__);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (out == NULL)
		fatalx("%s: json_dumps failed", __func__);
	return out;
}

/* An integer member; -1 when missing or not one. */
static int
session_get_int(json_t *j, const char *key, long long *out)
{
	json_t	*v;

	if ((v = json_object_get(j, key)) == NULL || !json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* A string member (or null, when nullable); -1 when missing or not one. */
static int
session_get_str(json_t *j, const char *key, int nullable, const char **out)
{
	json_t	*v;

	*out = NULL;
	if ((v = json_object_get(j, key)) == NULL)
		return -1;
	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/*
 * Parse what session_serialize wrote; NULL and *cause on bad input. Only the
 * shape is checked here: what the members may hold is session_check's, the
 * one set of rules for the sessions of every store.
 */
struct session *
session_deserialize(const char *buf, size_t len, char **cause)
{
	static const char *const keys[] = {
		"v", "id", "ws", "u", "c", "a", "m", "d"
	};
	struct session	*s;
	json_t		*j, *d, *v;
	json_error_t	 error;
	const char	*key, *errstr, *id, *ws, *u;
	long long	 format, created, access, max_age;
	size_t		 i;

	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &error);
	if (j == NULL) {
		xasprintf(cause, "session: invalid JSON at offset %d",
		    error.position);
		return NULL;
	}
	errstr = "not an object";
	if (!json_is_object(j))
		goto fail;
	errstr = "unknown member";
	json_object_foreach(j, key, v) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (strcmp(key, keys[i]) == 0)
				break;
		}
		if (i == sizeof keys / sizeof keys[0])
			goto fail;
	}
	errstr = "bad or missing format version";
	if (session_get_int(j, "v", &format) != 0 || format != SESSION_FORMAT)
		goto fail;
	errstr = "bad or missing member";
	if (session_get_str(j, "id", 0, &id) != 0 ||
	    session_get_str(j, "ws", 0, &ws) != 0 ||
	    session_get_str(j, "u", 1, &u) != 0 ||
	    session_get_int(j, "c", &created) != 0 ||
	    session_get_int(j, "a", &access) != 0 ||
	    session_get_int(j, "m", &max_age) != 0 ||
	    !json_is_object(d = json_object_get(j, "d")))
		goto fail;
	errstr = "bad or missing max age";
	if (max_age < 0 || max_age > SESSION_MAX_AGE_MAX)
		goto fail;	/* before the cast to long */

	s = xcalloc(1, sizeof *s);
	s->id = xstrdup(id);
	s->ws_id = xstrdup(ws);
	s->user = u != NULL ? xstrdup(u) : NULL;
	s->data = json_incref(d);
	s->created = (time_t)created;
	s->access = (time_t)access;
	s->max_age = (long)max_age;
	json_decref(j);
	if (session_check(s, cause) == 0)
		return s;
	session_free(s);
	return NULL;

fail:
	json_decref(j);
	xasprintf(cause, "session: %s", errstr);
	return NULL;
}

/* Check a session a server store read back; 0, or -1 and *cause. */
int
session_check(const struct session *s, char **cause)
{
	const char	*errstr;

	errstr = "bad or missing id";
	if (s->id == NULL || !session_id_valid(s->id, strlen(s->id)))
		goto fail;
	errstr = "bad or missing ws id";
	if (s->ws_id == NULL || !session_id_valid(s->ws_id, strlen(s->ws_id)))
		goto fail;
	errstr = "bad or missing user";
	if (s->user != NULL && !session_user_valid(s->user, strlen(s->user)))
		goto fail;
	errstr = "bad or missing creation time";
	if (s->created < 0 || (long long)s->created > SESSION_TIME_MAX)
		goto fail;
	errstr = "bad or missing access time";
	if (s->access < 0 || (long long)s->access > SESSION_TIME_MAX)
		goto fail;
	errstr = "bad or missing max age";
	if (s->max_age < 0 || s->max_age > SESSION_MAX_AGE_MAX)
		goto fail;
	errstr = "bad or missing data";
	if (!json_is_object(s->data))
		goto fail;
	errstr = "bad login record";
	if (session_client_check(s->data) != 0)
		goto fail;
	return 0;

fail:
	xasprintf(cause, "session: %s", errstr);
	return -1;
}

/* Effective idle timeout: the session's own max age, else the site's. */
long
session_idle_timeout(const struct session *s, const struct config *cfg)
{
	return s->max_age > 0 ? s->max_age : cfg->idle_timeout;
}

/*
 * When the session ends: the earlier of the idle and the absolute limit. The
 * absolute limit stretches to max_age so "remember me" can outlive it. A zero
 * timeout disables its term; SESSION_NEVER when neither applies.
 */
time_t
session_expires(const struct session *s, const struct config *cfg)
{
	long	 idle, absolute;
	time_t	 expires = SESSION_NEVER, t;

	idle = session_idle_timeout(s, cfg);
	absolute = cfg->absolute_timeout;
	if (absolute > 0 && s->max_age > absolute)
		absolute = s->max_age;
	if (idle > 0)
		expires = session_time_add(s->access, idle);
	if (absolute > 0) {
		t = session_time_add(s->created, absolute);
		if (t < expires)
			expires = t;
	}
	return expires;
}

/* True when the session has ended at `now`. */
int
session_expired(const struct session *s, const struct config *cfg, time_t now)
{
	return now >= session_expires(s, cfg);
}

/* True when the session has nothing worth storing (lazy creation). */
int
session_empty(const struct session *s)
{
	size_t	 n = json_object_size(s->data);

	if (json_object_get(s->data, SESSION_CLIENT_KEY) != NULL)
		n--;
	return s->user == NULL && n == 0;
}

/*
 * Compact JSON of the data for $SESSION, in insertion order, without the
 * login record; caller frees.
 */
char *
session_data_json(const struct session *s)
{
	json_t	*view;
	char	*out;

	view = session_client_view(s->data);
	out = json_dumps(view, JSON_COMPACT);
	json_decref(view);
	if (out == NULL)
		fatalx("%s: json_dumps failed", __func__);
	return out;
}

/* Free the current id, or keep it in old_id if it is the client's. */
static void
session_retire_id(struct session *s)
{
	if (s->old_id != NULL) {
		free(s->id);
		return;
	}
	s->old_id = s->id;
	s->old_version = s->version;
}

/* New id, same data; the old id goes to old_id for the store to delete. */
void
session_regenerate(struct session *s, time_t now)
{
	session_retire_id(s);
	s->id = crypto_random_id(SESSION_ID_BYTES);
	s->version = 0;
	s->id_changed = 1;
	s->changed = 1;
	(void)now;
}

/* New ws_id; the first replaced one goes to old_ws_id for CLOSE. */
void
session_rotate_ws(struct session *s)
{
	if (s->old_ws_id == NULL)
		s->old_ws_id = s->ws_id;
	else
		free(s->ws_id);
	s->ws_id = crypto_random_id(SESSION_WS_ID_BYTES);
	s->changed = 1;
}

/* Log in: fixation-safe new id, new ws_id, absolute timeout restarts now. */
void
session_login(struct session *s, const char *user, time_t now)
{
	session_regenerate(s, now);
	free(s->user);
	s->user = xstrdup(user);
	s->created = now;
	s->access = now;
	s->logged_in = 1;
	session_rotate_ws(s);
}

/*
 * Log out: mark the client's session for destruction and its sockets for
 * closing, then continue with a fresh anonymous session so later headers in
 * the same response apply to that one.
 */
void
session_logout(struct session *s, time_t now)
{
	session_retire_id(s);
	s->id = crypto_random_id(SESSION_ID_BYTES);
	session_rotate_ws(s);
	free(s->user);
	s->user = NULL;
	json_decref(s->data);
	s->data = session_json_check(json_object());
	s->max_age = 0;
	s->created = now;
	s->access = now;
	s->version = 0;
	s->is_new = 1;
	s->destroyed = 1;
	s->close_ws = 1;
	s->id_changed = 1;
	s->changed = 1;
}

