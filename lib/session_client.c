/*
 * The client a session was logged in from: its address and user agent at
 * login, the session's own fields. They travel inside the data object under
 * SESSION_CLIENT_KEY, which every store already keeps as it is, so every
 * store carries them with no code of its own; scripts never see that member
 * (session_client_view) and cannot change it (session_client_keep).
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "session.h"
#include "utf8.h"
#include "xmalloc.h"

/* Bytes of one UTF-8 character by its first byte; 0 when it starts none. */
static size_t
session_client_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 0;
}

/* True for a C0 or C1 control character or DEL at s (n bytes long). */
static int
session_client_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	/* U+0080..U+009F are C2 80..C2 9F. */
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/*
 * What a client sent, made safe to keep and print: printable UTF-8, every
 * control character (C0, DEL, C1) and every byte of no valid character
 * turned into one '?', cut on a character boundary to at most max bytes. Caller frees.
 */
char *
session_client_clean(const char *in, size_t max)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 len = strlen(in), i = 0, o = 0, n;
	char			*out;

	out = xmalloc((len < max ? len : max) + 1);
	while (i < len) {
		n = session_client_seqlen(p[i]);
		if (n == 0 || n > len - i || !utf8_valid(p + i, n) ||
		    session_client_control(p + i, n)) {
			if (o + 1 > max)
				break;
			out[o++] = '?';
			/* A control character is one '?', a bad byte each. */
			i += n != 0 && n <= len - i && utf8_valid(p + i, n) ?
			    n : 1;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* What session_client_clean makes: printable UTF-8 of at most max bytes. */
int
session_client_valid(const char *s, size_t len, size_t max)
{
	size_t	 i, n;

	if (len > max || !utf8_valid(s, len))
		return 0;
	for (i = 0; i < len; i += n) {
		n = session_client_seqlen((unsigned char)s[i]);
		if (n == 0 || session_client_control((const unsigned char *)s +
		    i, n))
			return 0;
	}
	return 1;
}

/* One member of the record, cleaned, when the client sent it. */
static void
session_client_put(json_t *o, const char *name, const char *value, size_t max)
{
	char	*clean;

	if (value == NULL || *value == '\0')
		return;
	clean = session_client_clean(value, max);
	if (*clean != '\0' &&
	    json_object_set_new(o, name, session_json_check(json_string(clean))))
		fatalx("%s: json_object_set_new failed", __func__);
	free(clean);
}

/*
 * Record the client of a login: its address and user agent as sent
 * (either may be NULL), cleaned and bounded. Replaces an earlier record.
 */
void
session_client_set(struct session *s, const char *addr, const char *ua)
{
	json_t	*o;

	o = session_json_check(json_object());
	session_client_put(o, "addr", addr, SESSION_CLIENT_ADDR_MAX);
	session_client_put(o, "ua", ua, SESSION_CLIENT_UA_MAX);
	if (json_object_set_new(s->data, SESSION_CLIENT_KEY, o) != 0)
		fatalx("%s: json_object_set_new failed", __func__);
	s->changed = 1;
}

/* A member of the record, or NULL. */
static const char *
session_client_str(const struct session *s, const char *name)
{
	json_t	*o = json_object_get(s->data, SESSION_CLIENT_KEY);

	return json_string_value(json_object_get(o, name));
}

/* The recorded address and user agent; NULL when not recorded. */
void
session_client_get(const struct session *s, const char **addr,
    const char **ua)
{
	*addr = session_client_str(s, "addr");
	*ua = session_client_str(s, "ua");
}

/*
 * The record in a data object read back, by the rules session_client_set
 * follows: absent, or an object of "addr" and "ua" strings, each printable
 * UTF-8 within its bound. 0, or -1 when it breaks them.
 */
int
session_client_check(const json_t *data)
{
	json_t		*o, *v;
	const char	*key;
	size_t		 max;

	if ((o = json_object_get(data, SESSION_CLIENT_KEY)) == NULL)
		return 0;
	if (!json_is_object(o))
		return -1;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "addr") == 0)
			max = SESSION_CLIENT_ADDR_MAX;
		else if (strcmp(key, "ua") == 0)
			max = SESSION_CLIENT_UA_MAX;
		else
			return -1;
		if (!json_is_string(v) || !session_client_valid(
		    json_string_value(v), json_string_length(v), max))
			return -1;
	}
	return 0;
}

/* The data as a script sees it, without the record: a new reference. */
json_t *
session_client_view(const json_t *data)
{
	json_t	*view;

	if (json_object_get(data, SESSION_CLIENT_KEY) == NULL)
		return json_incref((json_t *)data);
	view = session_json_check(json_copy((json_t *)data));
	json_object_del(view, SESSION_CLIENT_KEY);
	return view;
}

/*
 * After a script's operation made `data` from `old`: put back the record
 * old had (or drop one the script made), so no script can change it.
 */
void
session_client_keep(json_t *data, const json_t *old)
{
	json_t	*rec = json_object_get(old, SESSION_CLIENT_KEY);

	if (rec == NULL)
		json_object_del(data, SESSION_CLIENT_KEY);
	else if (json_object_set(data, SESSION_CLIENT_KEY, rec) != 0)
		fatalx("%s: json_object_set failed", __func__);
}

/* True for the reserved key: what X-Session-Set and -Unset must leave. */
int
session_client_reserved(const char *key)
{
	return key != NULL && strcmp(key, SESSION_CLIENT_KEY) == 0;
}
