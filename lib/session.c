/* The session model: JSON data, identity, timestamps and the handler's operations. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "xmalloc.h"

#define SESSION_FORMAT		1		/* "v" in the serialized form */
#define SESSION_WS_ID_BYTES	12
#define SESSION_ID_MAX		128		/* longest id accepted */
#define SESSION_USER_MAX	256
#define SESSION_MAX_AGE_MAX	(10L * 365 * 86400)
#define SESSION_TIME_MAX	((long long)SESSION_NEVER)
#define SESSION_PATCH_DEPTH	64		/* nesting allowed in a patch */
#define SESSION_REPLACE_DEFAULT	"X-Replace-Session"
#define SESSION_HEADER_PREFIX	"X-Session-"

struct session_op_entry;
typedef int (*session_op_parse_cb)(const struct session_op_entry *,
    const char *, struct session_op *, char **);

/* One X-Session-* header: its name, operation and value parser. */
struct session_op_entry {
	const char		*name;
	enum session_op_type	 type;
	session_op_parse_cb	 parse;
};

static int	session_op_parse_patch(const struct session_op_entry *,
		    const char *, struct session_op *, char **);
static int	session_op_parse_set(const struct session_op_entry *,
		    const char *, struct session_op *, char **);
static int	session_op_parse_unset(const struct session_op_entry *,
		    const char *, struct session_op *, char **);
static int	session_op_parse_replace(const struct session_op_entry *,
		    const char *, struct session_op *, char **);
static int	session_op_parse_login(const struct session_op_entry *,
		    const char *, struct session_op *, char **);
static int	session_op_parse_flag(const struct session_op_entry *,
		    const char *, struct session_op *, char **);
static int	session_op_parse_max_age(const struct session_op_entry *,
		    const char *, struct session_op *, char **);

static const struct session_op_entry session_op_table[] = {
	{ "X-Session-Patch", SOP_PATCH, session_op_parse_patch },
	{ "X-Session-Set", SOP_SET, session_op_parse_set },
	{ "X-Session-Unset", SOP_UNSET, session_op_parse_unset },
	{ "X-Session-Login", SOP_LOGIN, session_op_parse_login },
	{ "X-Session-Logout", SOP_LOGOUT, session_op_parse_flag },
	{ "X-Session-Regenerate", SOP_REGENERATE, session_op_parse_flag },
	{ "X-Session-Max-Age", SOP_MAX_AGE, session_op_parse_max_age },
	{ "X-Session-Close-Websockets", SOP_CLOSE_WS, session_op_parse_flag }
};

static const struct session_op_entry session_op_replace = {
	SESSION_REPLACE_DEFAULT, SOP_REPLACE, session_op_parse_replace
};

/* Die on a jansson allocation failure: it is out of memory like xmalloc. */
static json_t *
session_json_check(json_t *j)
{
	if (j == NULL)
		fatalx("jansson: out of memory");
	return j;
}

/* True for the bytes url_encode keeps as they are: [A-Za-z0-9.*_-]. */
static int
session_url_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '*' || c == '_' ||
	    c == '-';
}

/* Strict UTF-8 check: no overlongs, surrogates or code points past U+10FFFF. */
static int
session_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	uint32_t		 cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			n = 1;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			n = 2;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			n = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* An id as crypto_random_id makes them: base64url, bounded length. */
static int
session_id_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SESSION_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_')
			continue;
		return 0;
	}
	return 1;
}

/* A user name: 1 to 256 bytes of printable UTF-8, no control characters. */
static int
session_user_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SESSION_USER_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	return session_utf8_valid(s, len);
}

/* True when nesting in a JSON value goes deeper than max levels. */
static int
session_json_too_deep(const json_t *j, int max)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	if (!json_is_object(j) && !json_is_array(j))
		return 0;
	if (max <= 0)
		return 1;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v) {
			if (session_json_too_deep(v, max - 1))
				return 1;
		}
	} else {
		json_array_foreach(j, i, v) {
			if (session_json_too_deep(v, max - 1))
				return 1;
		}
	}
	return 0;
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

/* An integer member within [min, max]; -1 when missing or not one. */
static int
session_get_int(json_t *j, const char *key, long long min, long long max,
    long long *out)
{
	json_t		*v;
	json_int_t	 n;

	if ((v = json_object_get(j, key)) == NULL || !json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Parse what session_serialize wrote; NULL and *cause on bad input. */
struct session *
session_deserialize(const char *buf, size_t len, char **cause)
{
	static const char *const keys[] = {
		"v", "id", "ws", "u", "c", "a", "m", "d"
	};
	struct session	*s = NULL;
	json_t		*j, *id, *ws, *u, *d, *v;
	json_error_t	 error;
	const char	*key, *errstr;
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
	if (session_get_int(j, "v", 0, INT32_MAX, &format) != 0 ||
	    format != SESSION_FORMAT)
		goto fail;
	errstr = "bad or missing id";
	id = json_object_get(j, "id");
	if (!json_is_string(id) ||
	    !session_id_valid(json_string_value(id), json_string_length(id)))
		goto fail;
	errstr = "bad or missing ws id";
	ws = json_object_get(j, "ws");
	if (!json_is_string(ws) ||
	    !session_id_valid(json_string_value(ws), json_string_length(ws)))
		goto fail;
	errstr = "bad or missing user";
	u = json_object_get(j, "u");
	if (u == NULL || (!json_is_null(u) && (!json_is_string(u) ||
	    !session_user_valid(json_string_value(u), json_string_length(u)))))
		goto fail;
	errstr = "bad or missing creation time";
	if (session_get_int(j, "c", 0, SESSION_TIME_MAX, &created) != 0)
		goto fail;
	errstr = "bad or missing access time";
	if (session_get_int(j, "a", 0, SESSION_TIME_MAX, &access) != 0)
		goto fail;
	errstr = "bad or missing max age";
	if (session_get_int(j, "m", 0, SESSION_MAX_AGE_MAX, &max_age) != 0)
		goto fail;
	errstr = "bad or missing data";
	d = json_object_get(j, "d");
	if (!json_is_object(d))
		goto fail;

	s = xcalloc(1, sizeof *s);
	s->id = xstrdup(json_string_value(id));
	s->ws_id = xstrdup(json_string_value(ws));
	if (json_is_string(u))
		s->user = xstrdup(json_string_value(u));
	s->data = json_incref(d);
	s->created = (time_t)created;
	s->access = (time_t)access;
	s->max_age = (long)max_age;
	json_decref(j);
	return s;

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
	return s->user == NULL && json_object_size(s->data) == 0;
}

/* Compact JSON of the data for $SESSION, in insertion order; caller frees. */
char *
session_data_json(const struct session *s)
{
	char	*out;

	if ((out = json_dumps(s->data, JSON_COMPACT)) == NULL)
		fatalx("%s: json_dumps failed", __func__);
	return out;
}

/* mod_session form (k=v&k2=v2) of top-level string values; caller frees. */
char *
session_form_encode(const struct session *s)
{
	struct buf	 b;
	const char	*key;
	json_t		*v;
	char		*ek, *ev;

	buf_init(&b);
	json_object_foreach(s->data, key, v) {
		if (!json_is_string(v))
			continue;
		ek = url_encode(key);
		ev = url_encode(json_string_value(v));
		buf_printf(&b, "%s%s=%s", b.len == 0 ? "" : "&", ek, ev);
		free(ek);
		free(ev);
	}
	return buf_steal(&b);
}

/* Length of url_encode(s), without the NUL. */
static size_t
session_url_encoded_len(const char *s)
{
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += session_url_safe(*p) || *p == ' ' ? 1 : 3;
	return n;
}

/*
 * The longest environment string the session's data becomes for a script,
 * as execve counts it: "NAME=value" and its NUL. SESSION (the JSON), and
 * with compat HTTP_SESSION (the form); the other SESSION_* are short.
 */
size_t
session_env_max(const struct session *s, int compat, const char **name)
{
	const char	*key;
	json_t		*v;
	size_t		 json, form = 0;

	json = json_dumpb(s->data, NULL, 0, JSON_COMPACT);
	if (json == 0)
		fatalx("%s: json_dumpb failed", __func__);
	json += sizeof "SESSION=";
	if (compat) {
		json_object_foreach(s->data, key, v) {
			if (!json_is_string(v))
				continue;
			form += (form == 0 ? 0 : 1) + session_url_encoded_len(key) +
			    1 + session_url_encoded_len(json_string_value(v));
		}
		form += sizeof "HTTP_SESSION=";
	}
	if (name != NULL)
		*name = form > json ? "HTTP_SESSION" : "SESSION";
	return form > json ? form : json;
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

/* RFC 7396 merge patch: consumes target, returns the new one; borrows patch. */
json_t *
json_merge_patch(json_t *target, const json_t *patch)
{
	const char	*key;
	json_t		*value, *child;

	if (!json_is_object(patch)) {
		json_decref(target);
		return session_json_check(json_deep_copy(patch));
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = session_json_check(json_object());
	}
	json_object_foreach((json_t *)patch, key, value) {
		if (json_is_null(value)) {
			json_object_del(target, key);
			continue;
		}
		child = json_incref(json_object_get(target, key));
		child = json_merge_patch(child, value);
		if (json_object_set_new(target, key, child) != 0)
			fatalx("%s: json_object_set_new failed", __func__);
	}
	return target;
}

/* Decode one %XX hex digit; -1 when it is not one. */
static int
session_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding of application/x-www-form-urlencoded ('+' is a space);
 * NULL for a malformed escape or an encoded NUL byte. Caller frees.
 */
char *
url_decode(const char *s, size_t len)
{
	char	*out, *d;
	size_t	 i;
	int	 hi, lo;

	out = d = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			*d++ = ' ';
		else if (s[i] != '%')
			*d++ = s[i];
		else {
			if (len - i < 3 || (hi = session_hex(s[i + 1])) == -1 ||
			    (lo = session_hex(s[i + 2])) == -1 ||
			    (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*d++ = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	*d = '\0';
	return out;
}

/* Encode like apr_escape_urlencoded: keep [A-Za-z0-9.*_-], space as '+'. */
char *
url_encode(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *d;

	out = d = xreallocarray(NULL, strlen(s) + 1, 3);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (session_url_safe(*p))
			*d++ = (char)*p;
		else if (*p == ' ')
			*d++ = '+';
		else {
			*d++ = '%';
			*d++ = hex[*p >> 4];
			*d++ = hex[*p & 15];
		}
	}
	*d = '\0';
	return out;
}

/* X-Session-Patch: a JSON object, not too deep, as a merge patch. */
static int
session_op_parse_patch(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	json_t		*j;
	json_error_t	 error;

	j = json_loads(value, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
	if (j == NULL) {
		xasprintf(cause, "%s: invalid JSON at offset %d", e->name,
		    error.position);
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		xasprintf(cause, "%s: patch is not a JSON object", e->name);
		return -1;
	}
	if (session_json_too_deep(j, SESSION_PATCH_DEPTH)) {
		json_decref(j);
		xasprintf(cause, "%s: patch nested too deep", e->name);
		return -1;
	}
	op->json = j;
	return 0;
}

/* X-Session-Set: key=value, split at the first '=', key not empty. */
static int
session_op_parse_set(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	const char	*eq;

	if ((eq = strchr(value, '=')) == NULL) {
		xasprintf(cause, "%s: missing '='", e->name);
		return -1;
	}
	if (eq == value) {
		xasprintf(cause, "%s: empty key", e->name);
		return -1;
	}
	if (!session_utf8_valid(value, strlen(value))) {
		xasprintf(cause, "%s: not valid UTF-8", e->name);
		return -1;
	}
	op->key = xstrndup(value, eq - value);
	op->value = xstrdup(eq + 1);
	return 0;
}

/* X-Session-Unset: a non-empty key. */
static int
session_op_parse_unset(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	if (*value == '\0') {
		xasprintf(cause, "%s: empty key", e->name);
		return -1;
	}
	if (!session_utf8_valid(value, strlen(value))) {
		xasprintf(cause, "%s: not valid UTF-8", e->name);
		return -1;
	}
	op->key = xstrdup(value);
	return 0;
}

/*
 * The mod_session header: k=v&k2= as a merge patch. Like mod_session, an
 * empty value or a missing '=' deletes the key and empty pairs are skipped;
 * unlike it, a bad escape rejects the header instead of dropping the pair.
 */
static int
session_op_parse_replace(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	const char	*p, *end, *eq;
	char		*key = NULL, *val = NULL;
	json_t		*patch, *jv;

	patch = session_json_check(json_object());
	for (p = value; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, "&");
		if (end == p)
			continue;
		eq = memchr(p, '=', end - p);
		if (eq == p)
			continue;
		key = url_decode(p, (eq != NULL ? eq : end) - p);
		if (eq != NULL && eq + 1 != end)
			val = url_decode(eq + 1, end - eq - 1);
		if (key == NULL ||
		    (eq != NULL && eq + 1 != end && val == NULL)) {
			xasprintf(cause, "%s: bad escape", e->name);
			goto fail;
		}
		if (!session_utf8_valid(key, strlen(key)) ||
		    (val != NULL && !session_utf8_valid(val, strlen(val)))) {
			xasprintf(cause, "%s: not valid UTF-8", e->name);
			goto fail;
		}
		if (val == NULL)
			jv = json_null();
		else
			jv = session_json_check(json_string(val));
		if (json_object_set_new(patch, key, jv) != 0)
			fatalx("%s: json_object_set_new failed", __func__);
		free(key);
		free(val);
		key = val = NULL;
	}
	op->json = patch;
	return 0;

fail:
	free(key);
	free(val);
	json_decref(patch);
	return -1;
}

/* X-Session-Login: the user name, printable UTF-8 of at most 256 bytes. */
static int
session_op_parse_login(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	if (!session_user_valid(value, strlen(value))) {
		xasprintf(cause, "%s: bad user name", e->name);
		return -1;
	}
	op->key = xstrdup(value);
	return 0;
}

/*
 * A yes/no header: "1" or "true" acts; "0" or "false" is consumed and becomes
 * an empty merge patch, which changes nothing.
 */
static int
session_op_parse_flag(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0)
		return 0;
	if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0) {
		op->type = SOP_PATCH;
		op->json = session_json_check(json_object());
		return 0;
	}
	xasprintf(cause, "%s: value must be 1, true, 0 or false", e->name);
	return -1;
}

/* X-Session-Max-Age: decimal seconds, 0 < n <= 10 years, nothing else. */
static int
session_op_parse_max_age(const struct session_op_entry *e, const char *value,
    struct session_op *op, char **cause)
{
	const char	*p;
	long long	 n = 0;

	for (p = value; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > SESSION_MAX_AGE_MAX)
			break;
	}
	if (p == value || *p != '\0' || n <= 0 || n > SESSION_MAX_AGE_MAX) {
		xasprintf(cause, "%s: must be 1 to %ld seconds", e->name,
		    SESSION_MAX_AGE_MAX);
		return -1;
	}
	op->num = (long)n;
	return 0;
}

/*
 * Recognise one response header. Returns 0 when it is not a session header,
 * 1 and fills *op when it is, -1 and *cause when it is one but invalid.
 * replace_header NULL means the default name, "" recognises none.
 */
int
session_op_parse(const char *name, const char *value,
    const char *replace_header, struct session_op *op, char **cause)
{
	const struct session_op_entry	*e = NULL;
	struct session_op_entry		 replace;
	size_t				 i;

	memset(op, 0, sizeof *op);
	if (replace_header == NULL)
		replace_header = SESSION_REPLACE_DEFAULT;
	if (*replace_header != '\0' && strcasecmp(name, replace_header) == 0) {
		replace = session_op_replace;
		replace.name = replace_header;
		e = &replace;
	} else {
		for (i = 0; i < sizeof session_op_table /
		    sizeof session_op_table[0]; i++) {
			if (strcasecmp(name, session_op_table[i].name) == 0) {
				e = &session_op_table[i];
				break;
			}
		}
	}
	if (e == NULL) {
		if (strncasecmp(name, SESSION_HEADER_PREFIX,
		    strlen(SESSION_HEADER_PREFIX)) != 0)
			return 0;
		*cause = xstrdup("unknown session header");
		return -1;
	}
	if (strpbrk(value, "\r\n") != NULL) {
		xasprintf(cause, "%s: CR or LF in value", e->name);
		return -1;
	}
	op->type = e->type;
	if (e->parse(e, value, op, cause) != 0) {
		session_op_clear(op);
		return -1;
	}
	return 1;
}

/* Free what an operation owns and zero it. */
void
session_op_clear(struct session_op *op)
{
	free(op->key);
	free(op->value);
	json_decref(op->json);
	memset(op, 0, sizeof *op);
}

/* True for operations that only change data or max age (safe to re-apply). */
int
session_op_is_data(const struct session_op *op)
{
	switch (op->type) {
	case SOP_PATCH:
	case SOP_SET:
	case SOP_UNSET:
	case SOP_REPLACE:
	case SOP_MAX_AGE:
		return 1;
	default:
		return 0;
	}
}

/* Merge a patch into the data; changed only when the result differs. */
static void
session_apply_patch(struct session *s, const json_t *patch)
{
	json_t	*data;

	if (!json_is_object(patch)) {
		log_warnx("%s: ignoring a patch that is not an object",
		    __func__);
		return;
	}
	data = session_json_check(json_deep_copy(s->data));
	data = json_merge_patch(data, patch);
	if (json_equal(data, s->data)) {
		json_decref(data);
		return;
	}
	json_decref(s->data);
	s->data = data;
	s->changed = 1;
}

/* Set a top-level string; changed only when it was something else. */
static void
session_apply_set(struct session *s, const char *key, const char *value)
{
	json_t	*old, *v;

	if (key == NULL || value == NULL)
		return;
	old = json_object_get(s->data, key);
	if (json_is_string(old) && strcmp(json_string_value(old), value) == 0)
		return;
	if ((v = json_string(value)) == NULL) {
		log_warnx("%s: ignoring a value that is not UTF-8", __func__);
		return;
	}
	if (json_object_set_new(s->data, key, v) != 0) {
		log_warnx("%s: ignoring a key that is not UTF-8", __func__);
		return;
	}
	s->changed = 1;
}

/* Apply one operation; identity ops need `now`. Sets the flags. */
void
session_apply(struct session *s, const struct session_op *op, time_t now)
{
	switch (op->type) {
	case SOP_PATCH:
	case SOP_REPLACE:
		session_apply_patch(s, op->json);
		break;
	case SOP_SET:
		session_apply_set(s, op->key, op->value);
		break;
	case SOP_UNSET:
		if (op->key != NULL && json_object_del(s->data, op->key) == 0)
			s->changed = 1;
		break;
	case SOP_MAX_AGE:
		if (s->max_age != op->num) {
			s->max_age = op->num;
			s->changed = 1;
		}
		break;
	case SOP_LOGIN:
		if (op->key != NULL)
			session_login(s, op->key, now);
		break;
	case SOP_LOGOUT:
		session_logout(s, now);
		break;
	case SOP_REGENERATE:
		session_regenerate(s, now);
		break;
	case SOP_CLOSE_WS:
		s->close_ws = 1;
		session_rotate_ws(s);
		break;
	}
}
