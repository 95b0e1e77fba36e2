/* What a session becomes in a script's environment: SESSION and SESSION_*. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cgi.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "url.h"
#include "xmalloc.h"

/* Set NAME to a decimal number. */
static void
session_env_num(struct cgi_env *env, const char *name, long long v)
{
	char	 num[32];

	snprintf(num, sizeof num, "%lld", v);
	cgi_env_set(env, name, num);
}

/*
 * The session variables of a script or handler, in this order: SESSION (the
 * data's compact JSON), SESSION_ID (the public id), SESSION_NEW, SESSION_USER
 * ("" when anonymous), SESSION_CREATED, SESSION_EXPIRES, SESSION_WS_ID, and
 * with SESSION_ENV_FORM HTTP_SESSION (mod_session's form).
 */
void
session_env(struct cgi_env *env, const struct session *s,
    const struct config *cfg, const struct keyring *keys, int flags)
{
	char	*v;

	v = session_data_json(s);
	cgi_env_set(env, "SESSION", v);
	free(v);
	v = store_public_id(keys, s->id);
	cgi_env_set(env, "SESSION_ID", v);
	free(v);
	cgi_env_set(env, "SESSION_NEW", flags & SESSION_ENV_NEW ? "1" : "0");
	cgi_env_set(env, "SESSION_USER", s->user != NULL ? s->user : "");
	session_env_num(env, "SESSION_CREATED", s->created);
	session_env_num(env, "SESSION_EXPIRES", session_expires(s, cfg));
	cgi_env_set(env, "SESSION_WS_ID", s->ws_id);
	if (flags & SESSION_ENV_FORM) {
		v = session_form_encode(s);
		cgi_env_set(env, "HTTP_SESSION", v);
		free(v);
	}
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

/*
 * The longest environment string the session's data becomes for a script,
 * as execve counts it: "NAME=value" and its NUL. SESSION (the JSON), and
 * with compat HTTP_SESSION (the form); the other SESSION_* are short.
 */
size_t
session_env_max(const struct session *s, int compat, const char **name)
{
	const char	*key;
	json_t		*v, *view;
	size_t		 json, form = 0;

	view = session_client_view(s->data);
	json = json_dumpb(view, NULL, 0, JSON_COMPACT);
	json_decref(view);
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
