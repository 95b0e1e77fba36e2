/*
 * sessionwrap-login's POST parser and its `next` checker (src/login-form.c):
 * any body either is refused or gives fields within their limits, valid
 * UTF-8, a user name without control bytes or ':'; and whatever `next`
 * the checker takes is a local path that stays local when a server or a
 * browser decodes it once more (no leading "//" or "/\", no backslash, no
 * control byte, no space). The raw input is also checked as a `next`.
 */
#include "autoconf.h"

#include "../../src/login-form.c"

#include "fuzz.h"

/* Abort when an accepted `next` could leave the site. */
static void
fuzz_next(const char *next)
{
	const char	*n = login_next(next);
	char		*dec;
	size_t		 i, len;

	if (!login_next_ok(n))
		abort();
	if (n[0] != '/' || n[1] == '/' || strchr(n, '\\') != NULL)
		abort();
	len = strcspn(n, "?#");
	if ((dec = url_decode(n, len)) == NULL)
		return;		/* a path a server refuses: not a redirect */
	if (dec[0] != '/' || dec[1] == '/' || dec[1] == '\\' ||
	    strchr(dec, '\\') != NULL)
		abort();
	for (i = 0; dec[i] != '\0'; i++)
		if ((unsigned char)dec[i] < 0x20 || dec[i] == 0x7f)
			abort();
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct login_form	 f;
	const char		*why;
	char			*s;

	if (login_form_parse((const char *)data, size, &f, &why) == 0) {
		if (f.user != NULL && (strlen(f.user) > LOGIN_MAX_USER ||
		    strchr(f.user, ':') != NULL ||
		    login_form_has_control(f.user) ||
		    !utf8_valid(f.user, strlen(f.user))))
			abort();
		if (f.password != NULL &&
		    (strlen(f.password) > LOGIN_MAX_PASSWORD ||
		    !utf8_valid(f.password, strlen(f.password))))
			abort();
		if (f.next != NULL)
			fuzz_next(f.next);
		login_form_free(&f);
	}
	s = xstrndup((const char *)data, size);
	fuzz_next(s);
	free(s);
	return 0;
}
