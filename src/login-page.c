/* The login page: a plain, accessible form, or the operator's template. */
#include "autoconf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "login.h"
#include "xmalloc.h"

/* The built-in page: labels tied to their fields, no script needed. */
static const char login_page_builtin[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Log in</title>\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "<h1>Log in</h1>\n"
    "{{status}}"
    "<p role=\"alert\" id=\"message\">{{message}}</p>\n"
    "<form method=\"post\" action=\"{{action}}\">\n"
    "<input type=\"hidden\" name=\"next\" value=\"{{next}}\">\n"
    "<p><label for=\"user\">User name</label><br>\n"
    "<input id=\"user\" name=\"user\" type=\"text\" value=\"{{user}}\" "
    "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" "
    "required autofocus></p>\n"
    "<p><label for=\"password\">Password</label><br>\n"
    "<input id=\"password\" name=\"password\" type=\"password\" "
    "autocomplete=\"current-password\" required></p>\n"
    "<p><button type=\"submit\">Log in</button></p>\n"
    "</form>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n";

/* HTML-escape text for an element or a quoted attribute. Caller frees. */
char *
login_page_escape(const char *s)
{
	struct buf	 b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': buf_adds(&b, "&amp;"); break;
		case '<': buf_adds(&b, "&lt;"); break;
		case '>': buf_adds(&b, "&gt;"); break;
		case '"': buf_adds(&b, "&quot;"); break;
		case '\'': buf_adds(&b, "&#39;"); break;
		default: buf_add(&b, s, 1); break;
		}
	}
	return buf_steal(&b);
}

/* The "logged in as" line with a logout button, already escaped. */
static char *
login_page_status(const struct login_page *pg)
{
	char	*u, *a, *out;

	if (pg->logged_in == NULL || *pg->logged_in == '\0')
		return xstrdup("");
	u = login_page_escape(pg->logged_in);
	a = login_page_escape(pg->action);
	xasprintf(&out, "<form method=\"post\" action=\"%s\">"
	    "<p>Logged in as <strong id=\"logged-in\">%s</strong>. "
	    "<input type=\"hidden\" name=\"logout\" value=\"1\">"
	    "<button type=\"submit\">Log out</button></p></form>\n", a, u);
	free(u);
	free(a);
	return out;
}

/* The escaped value of a {{name}} field; NULL for an unknown name. */
static char *
login_page_field(const char *name, size_t len, const struct login_page *pg)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} f[] = {
		{ "action", offsetof(struct login_page, action) },
		{ "next", offsetof(struct login_page, next) },
		{ "user", offsetof(struct login_page, user) },
		{ "message", offsetof(struct login_page, message) },
	};
	const char	*v;
	size_t		 i;

	if (len == 6 && memcmp(name, "status", 6) == 0)
		return login_page_status(pg);
	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (strlen(f[i].name) != len || memcmp(f[i].name, name, len))
			continue;
		v = *(const char *const *)((const char *)pg + f[i].off);
		return login_page_escape(v ? v : "");
	}
	return NULL;
}

/*
 * The page from a template (NULL: the built-in one): {{action}}, {{next}},
 * {{user}}, {{message}} and {{status}} replaced by their escaped values;
 * anything else is copied as it is.
 */
char *
login_page_render(const char *tmpl, const struct login_page *pg)
{
	struct buf	 b;
	const char	*p, *open, *close;
	char		*v;

	buf_init(&b);
	for (p = tmpl ? tmpl : login_page_builtin; *p != '\0'; p = close + 2) {
		if ((open = strstr(p, "{{")) == NULL ||
		    (close = strstr(open + 2, "}}")) == NULL) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, open - p);
		if ((v = login_page_field(open + 2, close - open - 2, pg)) ==
		    NULL)
			buf_add(&b, open, close + 2 - open);
		else
			buf_adds(&b, v);
		free(v);
	}
	return buf_steal(&b);
}
