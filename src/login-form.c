/* The login form's POST body and its `next` path, parsed strictly. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "login.h"
#include "url.h"
#include "utf8.h"
#include "xmalloc.h"

/* True for a byte that never belongs in a user name or a path. */
static int
login_form_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* True when s has a control byte. */
static int
login_form_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (login_form_control((unsigned char)*s))
			return 1;
	return 0;
}

/* The field a name stands for, with its size limit; NULL for another name. */
static char **
login_form_field(struct login_form *f, const char *name, size_t len,
    size_t *max)
{
	if (len == 4 && memcmp(name, "user", 4) == 0) {
		*max = LOGIN_MAX_USER;
		return &f->user;
	}
	if (len == 8 && memcmp(name, "password", 8) == 0) {
		*max = LOGIN_MAX_PASSWORD;
		return &f->password;
	}
	if (len == 4 && memcmp(name, "next", 4) == 0) {
		*max = LOGIN_MAX_NEXT;
		return &f->next;
	}
	return NULL;
}

/* One NAME=VALUE pair into the form; -1 and *cause when it is malformed. */
static int
login_form_pair(struct login_form *f, const char *p, size_t len,
    const char **cause)
{
	const char	*eq;
	char		**field, *value;
	size_t		 max = 0;

	if ((eq = memchr(p, '=', len)) == NULL || eq == p) {
		*cause = "a form field without a name or '='";
		return -1;
	}
	if ((size_t)(eq - p) == 6 && memcmp(p, "logout", 6) == 0) {
		f->logout = 1;
		return 0;
	}
	if ((field = login_form_field(f, p, eq - p, &max)) == NULL)
		return 0;	/* another control of a custom template */
	if (*field != NULL) {
		*cause = "a form field given twice";
		return -1;
	}
	if ((value = url_decode(eq + 1, len - (eq + 1 - p))) == NULL) {
		*cause = "a bad escape or an encoded NUL in a form field";
		return -1;
	}
	*field = value;
	if (strlen(value) > max) {
		*cause = "a form field too long";
		return -1;
	}
	if (!utf8_valid(value, strlen(value))) {
		*cause = "a form field that is not UTF-8";
		return -1;
	}
	if (field == &f->user && (login_form_has_control(value) ||
	    strchr(value, ':') != NULL)) {
		*cause = "a user name with a control byte or ':'";
		return -1;
	}
	return 0;
}

/* Parse the urlencoded body; -1 and *cause for a malformed form. */
int
login_form_parse(const char *body, size_t len, struct login_form *f,
    const char **cause)
{
	const char	*p, *end = body + len, *amp;

	memset(f, 0, sizeof *f);
	if (len > LOGIN_MAX_BODY) {
		*cause = "the form is too large";
		return -1;
	}
	if (memchr(body, '\0', len) != NULL) {
		*cause = "a NUL byte in the form";
		return -1;
	}
	for (p = body; len > 0; p = amp + 1) {
		if ((amp = memchr(p, '&', end - p)) == NULL)
			amp = end;
		if (login_form_pair(f, p, amp - p, cause) == -1) {
			login_form_free(f);
			return -1;
		}
		if (amp == end)
			break;
	}
	return 0;
}

/* Free the fields, wiping the password. */
void
login_form_free(struct login_form *f)
{
	if (f->password != NULL)
		explicit_bzero(f->password, strlen(f->password));
	free(f->user);
	free(f->password);
	free(f->next);
	memset(f, 0, sizeof *f);
}

/*
 * True for an escape in a path that a server or a browser may turn into a
 * separator or another escape: %2f (/), %5c (\), %25 (%), and the controls.
 */
static int
login_next_bad_escape(const char *p)
{
	static const char *const bad[] = { "%2f", "%5c", "%25", "%7f" };
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (strncasecmp(p, bad[i], 3) == 0)
			return 1;
	return p[1] == '0' || p[1] == '1';
}

/*
 * True when `next` is a local path: one '/' then not '/' or '\', printable
 * ASCII only (no space, no backslash anywhere), and in the path part no
 * escape that decodes to a separator, a '%' or a control byte.
 */
int
login_next_ok(const char *next)
{
	const char	*p;
	int		 in_path = 1;

	if (next == NULL || next[0] != '/' || next[1] == '/' ||
	    strlen(next) > LOGIN_MAX_NEXT)
		return 0;
	for (p = next; *p != '\0'; p++) {
		unsigned char	 c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return 0;
		if (c == '?' || c == '#')
			in_path = 0;
		if (c == '%' && (p[1] == '\0' || p[2] == '\0'))
			return 0;
		if (c == '%' && in_path && login_next_bad_escape(p))
			return 0;
	}
	return 1;
}

/* Where to go after a login: `next` when it is local, else the site root. */
const char *
login_next(const char *next)
{
	return login_next_ok(next) ? next : "/";
}
