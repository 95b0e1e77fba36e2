/* The X-Session-* protocol: parsing a handler's headers and applying them. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "session.h"
#include "url.h"
#include "utf8.h"
#include "xmalloc.h"

#define SESSION_OP_PATCH_DEPTH	64		/* nesting allowed in a patch */
#define SESSION_OP_REPLACE_DEFAULT "X-Replace-Session"
#define SESSION_OP_HEADER_PREFIX "X-Session-"

struct session_op_entry;
typedef int (*session_op_parse_cb)(const struct session_op_entry *,
    const char *, struct session_op *, char **);

/* One X-Session-* header: its name, operation and value parser. */
struct session_op_entry {
	const char		*name;	/* the header, matched without case */
	enum session_op_type	 type;	/* what it asks for */
	session_op_parse_cb	 parse;	/* called on its value (no CR/LF) */
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
	{ .name = "X-Session-Patch", .type = SOP_PATCH, .parse = session_op_parse_patch },
	{ .name = "X-Session-Set", .type = SOP_SET, .parse = session_op_parse_set },
	{ .name = "X-Session-Unset", .type = SOP_UNSET, .parse = session_op_parse_unset },
	{ .name = "X-Session-Login", .type = SOP_LOGIN, .parse = session_op_parse_login },
	{ .name = "X-Session-Logout", .type = SOP_LOGOUT, .parse = session_op_parse_flag },
	{ .name = "X-Session-Regenerate", .type = SOP_REGENERATE, .parse = session_op_parse_flag },
	{ .name = "X-Session-Max-Age", .type = SOP_MAX_AGE, .parse = session_op_parse_max_age },
	{ .name = "X-Session-Close-Websockets", .type = SOP_CLOSE_WS, .parse = session_op_parse_flag }
};

static const struct session_op_entry session_op_replace = {
	.name = SESSION_OP_REPLACE_DEFAULT,
	.type = SOP_REPLACE,
	.parse = session_op_parse_replace
};

/* True when nesting in a JSON value goes deeper than max levels. */
static int
session_op_too_deep(const json_t *j, int max)
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
			if (session_op_too_deep(v, max - 1))
				return 1;
		}
	} else {
		json_array_foreach(j, i, v) {
			if (session_op_too_deep(v, max - 1))
				return 1;
		}
	}
	return 0;
}

/* RFC 7396 merge patch: consumes target, returns the new one; borrows patch. */
json_t *
session_op_merge_patch(json_t *target, const json_t *patch)
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
		child = session_op_merge_patch(child, value);
		if (json_object_set_new(target, key, child) != 0)
			fatalx("%s: json_object_set_new failed", __func__);
	}
	return target;
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
	if (session_op_too_deep(j, SESSION_OP_PATCH_DEPTH)) {
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
	if (!utf8_valid(value, strlen(value))) {
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
	if (!utf8_valid(value, strlen(value))) {
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
		if (!utf8_valid(key, strlen(key)) ||
		    (val != NULL && !utf8_valid(val, strlen(val)))) {
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
		replace_header = SESSION_OP_REPLACE_DEFAULT;
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
		if (strncasecmp(name, SESSION_OP_HEADER_PREFIX,
		    strlen(SESSION_OP_HEADER_PREFIX)) != 0)
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
session_op_apply_patch(struct session *s, const json_t *patch)
{
	json_t	*data;

	if (!json_is_object(patch)) {
		log_warnx("%s: ignoring a patch that is not an object",
		    __func__);
		return;
	}
	data = session_json_check(json_deep_copy(s->data));
	data = session_op_merge_patch(data, patch);
	/* The login record is the session's, not the script's. */
	session_client_keep(data, s->data);
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
session_op_apply_set(struct session *s, const char *key, const char *value)
{
	json_t	*old, *v;

	if (key == NULL || value == NULL)
		return;
	if (session_client_reserved(key)) {
		log_warnx("%s: ignoring the reserved key %s", __func__, key);
		return;
	}
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
		session_op_apply_patch(s, op->json);
		break;
	case SOP_SET:
		session_op_apply_set(s, op->key, op->value);
		break;
	case SOP_UNSET:
		if (op->key != NULL && !session_client_reserved(op->key) &&
		    json_object_del(s->data, op->key) == 0)
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
