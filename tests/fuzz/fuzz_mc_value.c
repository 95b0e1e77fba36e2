/*
 * The memcached store's stored form, as a server (or anyone who can write
 * to it) hands it back: mc_value_parse_ver for both the store and the
 * cache tier.
 * A value it accepts must store and load again to the same session (the
 * stored form is a fixpoint after one round), its PostgreSQL version must
 * be what store_memcached_version reads, and the exptimes it leads to must
 * be ones memcached reads as meant.
 *
 * Depends on (reached by including the .c files): mc_value_parse_ver,
 * mc_value_ver, mc_exptime, MC_RELATIVE_MAX; public: store_memcached_version.
 */
#include "autoconf.h"

#include "../../lib/store_memcached.c"
#include "../../lib/store_memcached_value.c"

#include "config.h"
#include "fuzz.h"

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

/* memcached reads exptime as relative up to 30 days, absolute beyond. */
static void
fuzz_check_exptime(time_t expires)
{
	time_t	 e = mc_exptime(expires, FUZZ_NOW);

	FUZZ_ASSERT(e >= 0);
	if (e == 0)
		FUZZ_ASSERT(expires > INT32_MAX);
	else if (e <= MC_RELATIVE_MAX)
		FUZZ_ASSERT(expires <= FUZZ_NOW + MC_RELATIVE_MAX);
	else
		FUZZ_ASSERT(e == expires && e <= INT32_MAX);
}

/* The stored form has its known members only: never the secret id. */
static void
fuzz_check_form(const char *value)
{
	static const char *const known[] = {
		"v", "data", "user", "ws_id", "created", "access", "max_age",
		"until", "ver"
	};
	json_t		*o, *v;
	const char	*key;
	size_t		 i;

	o = json_loads(value, 0, NULL);
	FUZZ_ASSERT(json_is_object(o));
	json_object_foreach(o, key, v) {
		for (i = 0; i < sizeof known / sizeof known[0]; i++) {
			if (strcmp(key, known[i]) == 0)
				break;
		}
		FUZZ_ASSERT(i < sizeof known / sizeof known[0]);
	}
	json_decref(o);
}

/* One stored value per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session	*s, *t, *plain;
	char		*cause = NULL, *cause2 = NULL, *v1, *v2;
	time_t		 until = 0, until2 = 0, until3 = 0;
	uint64_t	 ver = 0, ver2 = 0, only = 0;
	int		 has_ver;

	has_ver = store_memcached_version((const char *)data, size, &only) == 0;
	s = mc_value_parse_ver((const char *)data, size, xstrdup("fuzz-id"),
	    FUZZ_NOW, &until, &ver, &cause);
	/* The store's own parse accepts exactly the same values. */
	plain = mc_value_parse_ver((const char *)data, size, xstrdup("fuzz-id"),
	    FUZZ_NOW, &until3, NULL, &cause2);
	if (s == NULL) {
		FUZZ_ASSERT(cause != NULL && plain == NULL && cause2 != NULL);
		free(cause);
		free(cause2);
		return 0;
	}
	FUZZ_ASSERT(cause == NULL && cause2 == NULL);
	FUZZ_ASSERT(plain != NULL && until3 == until);
	session_free(plain);
	FUZZ_ASSERT(strcmp(s->id, "fuzz-id") == 0);
	/* An absent ws_id gets a fresh one (not checked further: see README). */
	FUZZ_ASSERT(s->ws_id != NULL);
	FUZZ_ASSERT(json_is_object(s->data));
	FUZZ_ASSERT(!s->is_new && !s->changed);
	/* The cache tier's version: the same whichever way it is read. */
	FUZZ_ASSERT(has_ver == (ver != 0));
	if (has_ver)
		FUZZ_ASSERT(only == ver);
	FUZZ_ASSERT(ver <= INT64_MAX);

	fuzz_check_exptime(session_expires(s, &fuzz_cfg));
	if (until != 0)
		fuzz_check_exptime(until);
	(void)session_expired(s, &fuzz_cfg, FUZZ_NOW);

	/* Store it again: it loads the same, and the form is then fixed. */
	v1 = mc_value_ver(s, until, ver);
	FUZZ_ASSERT(v1 != NULL);
	fuzz_check_form(v1);
	t = mc_value_parse_ver(v1, strlen(v1), xstrdup("fuzz-id"), FUZZ_NOW, &until2,
	    &ver2, &cause);
	if (t == NULL)
		fprintf(stderr, "reload of %s failed: %s\n", v1, cause);
	FUZZ_ASSERT(t != NULL);
	FUZZ_ASSERT(until2 == until && ver2 == ver);
	fuzz_session_same(s, t);
	v2 = mc_value_ver(t, until2, ver2);
	FUZZ_ASSERT(v2 != NULL && strcmp(v1, v2) == 0);

	free(v1);
	free(v2);
	session_free(t);
	session_free(s);
	return 0;
}
