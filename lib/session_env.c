/* What a session becomes in a script's environment: its form and its size. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "url.h"
#include "xmalloc.h"

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
			form += (form == 0 ? 0 : 1) + url_encoded_len(key) +
			    1 + url_encoded_len(json_string_value(v));
		}
		form += sizeof "HTTP_SESSION=";
	}
	if (name != NULL)
		*name = form > json ? "HTTP_SESSION" : "SESSION";
	return form > json ? form : json;
}
