/*
 * session_deserialize on arbitrary bytes: what a store hands back (decrypted
 * cookie, PostgreSQL row, memcached item). A session it accepts must
 * serialize and load again unchanged, and its derived values must be sane.
 */
#include "autoconf.h"

#include <time.h>

#include "config.h"
#include "fuzz.h"
#include "session.h"
#include "url.h"

static struct config	 fuzz_cfg;

/* Default configuration, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	config_init(&fuzz_cfg);
	return 0;
}

/* Every top-level string survives mod_session's url encoding (HTTP_SESSION). */
static void
fuzz_check_form(const struct session *s)
{
	const char	*key;
	json_t		*v;
	char		*form, *enc, *dec;

	form = session_form_encode(s);
	FUZZ_ASSERT(strpbrk(form, "\r\n") == NULL);
	free(form);
	json_object_foreach(s->data, key, v) {
		if (!json_is_string(v))
			continue;
		enc = url_encode(json_string_value(v));
		dec = url_decode(enc, strlen(enc));
		/* Strings with U+0000 cannot be in a loaded session at all. */
		FUZZ_ASSERT(dec != NULL);
		FUZZ_ASSERT(strcmp(dec, json_string_value(v)) == 0);
		free(enc);
		free(dec);
	}
}

/* One serialized session per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session	*s, *t, *d;
	char		*cause = NULL, *json, *json2, *env;
	time_t		 expires;

	if ((s = session_deserialize((const char *)data, size, &cause)) == NULL) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		return 0;
	}
	FUZZ_ASSERT(cause == NULL);
	FUZZ_ASSERT(s->id != NULL && *s->id != '\0');
	FUZZ_ASSERT(s->ws_id != NULL && *s->ws_id != '\0');
	FUZZ_ASSERT(json_is_object(s->data));
	FUZZ_ASSERT(s->version == 0 && !s->is_new && !s->changed);

	expires = session_expires(s, &fuzz_cfg);
	FUZZ_ASSERT(expires > 0 && expires <= SESSION_NEVER);
	(void)session_expired(s, &fuzz_cfg, FUZZ_NOW);
	(void)session_empty(s);

	/* Round trip: what we load we can store, and it loads the same. */
	json = session_serialize(s);
	t = session_deserialize(json, strlen(json), &cause);
	if (t == NULL)
		fprintf(stderr, "reload failed: %s\n", cause);
	FUZZ_ASSERT(t != NULL);
	json2 = session_serialize(t);
	FUZZ_ASSERT(strcmp(json, json2) == 0);
	FUZZ_ASSERT(session_expires(t, &fuzz_cfg) == expires);

	env = session_data_json(s);
	FUZZ_ASSERT(env[0] == '{');
	free(env);
	fuzz_check_form(s);

	d = session_dup(s);
	FUZZ_ASSERT(json_equal(d->data, s->data));
	session_free(d);

	free(json);
	free(json2);
	session_free(t);
	session_free(s);
	return 0;
}
