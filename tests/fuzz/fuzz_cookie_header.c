/*
 * Cookie request header (HTTP_COOKIE): cookie_find with stripping. The
 * stripped header goes to the script, so it must never still hold the
 * session cookie, and a value found must be safe to put back in Set-Cookie.
 */
#include "autoconf.h"

#include "cookie.h"
#include "fuzz.h"

/* Names looked up in every input: the default, and a short one that matches often. */
static const char *const fuzz_names[] = { "sessionwrap", "s" };

FUZZ_INIT_QUIET

/* Check one lookup of `name` in `header`. */
static void
fuzz_one(const char *header, const char *name)
{
	struct cookie_attrs	 a;
	enum cookie_find	 found;
	char			*value, *stripped, *again, *set;

	found = cookie_find(header, name, &value, &stripped);
	FUZZ_ASSERT(found == COOKIE_ABSENT || found == COOKIE_FOUND ||
	    found == COOKIE_DUPLICATE || found == COOKIE_OVERSIZED ||
	    found == COOKIE_INVALID);
	FUZZ_ASSERT((found == COOKIE_FOUND) == (value != NULL));

	if (value != NULL) {
		FUZZ_ASSERT(strlen(value) <= COOKIE_MAX_VALUE);
		FUZZ_ASSERT(cookie_value_ok(value, strlen(value)));
		/* What we accept we can send back (cookie_build is fatal on CR, LF, ';'). */
		memset(&a, 0, sizeof a);
		a.name = name;
		a.path = "/";
		a.httponly = 1;
		a.max_age = 3600;
		a.now = FUZZ_NOW;
		set = cookie_build(&a, value);
		FUZZ_ASSERT(strncmp(set, name, strlen(name)) == 0);
		free(set);
	}

	/* The script's HTTP_COOKIE never carries our cookie, not even twice. */
	if (stripped != NULL) {
		FUZZ_ASSERT(*stripped != '\0');
		FUZZ_ASSERT(cookie_find(stripped, name, &again, NULL) ==
		    COOKIE_ABSENT);
		FUZZ_ASSERT(again == NULL);
		FUZZ_ASSERT(strpbrk(stripped, "\r\n") == NULL ||
		    strpbrk(header, "\r\n") != NULL);
	}
	free(value);
	free(stripped);
}

/* One Cookie header value per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*header;
	size_t	 i;

	header = fuzz_cstr(data, size);
	for (i = 0; i < sizeof fuzz_names / sizeof fuzz_names[0]; i++)
		fuzz_one(header, fuzz_names[i]);
	/* Without the outputs (the request path asks for both; ctl may not). */
	(void)cookie_find(header, fuzz_names[0], NULL, NULL);
	free(header);
	return 0;
}
