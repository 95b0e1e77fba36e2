/*
 * sessionwrap-login: the login form in front of apps that know nothing of
 * sessions. login-form.c parses the POST and checks `next`, login-page.c
 * renders the form, login-auth.c checks an htpasswd file (libaprutil),
 * login-throttle.c counts failures (lib/counter.c).
 */
#ifndef SW_LOGIN_H
#define SW_LOGIN_H

#include <stddef.h>
#include <time.h>

struct counter;

#define LOGIN_MAX_BODY		8192	/* bytes of a POSTed form */
#define LOGIN_MAX_USER		255	/* bytes of a user name */
#define LOGIN_MAX_PASSWORD	1024	/* bytes of a password */
#define LOGIN_MAX_NEXT		2048	/* bytes of the `next` path */

/* What a POSTed form says; every field NULL when absent. */
struct login_form {
	char	*user;
	char	*password;
	char	*next;
	int	 logout;		/* a `logout` field was sent */
};

/*
 * Parse an application/x-www-form-urlencoded body strictly: every pair
 * NAME=VALUE, valid escapes, no NUL (%00), valid UTF-8, no control bytes
 * in `user`, bounded sizes, no field twice. -1 and *cause (static text)
 * for a malformed form; the caller frees the form with login_form_free.
 */
int	 login_form_parse(const char *, size_t, struct login_form *,
	    const char **);
void	 login_form_free(struct login_form *);
/* True when `next` is a path on this site, safe for Location. */
int	 login_next_ok(const char *);
/* `next` when login_next_ok, else "/". */
const char *login_next(const char *);

/* The page: the template (NULL: the built-in one) with its fields escaped. */
struct login_page {
	const char	*action;	/* where the form posts (SCRIPT_NAME) */
	const char	*next;
	const char	*user;		/* pre-filled user name */
	const char	*message;	/* why the form is shown again */
	const char	*logged_in;	/* the session's user, or NULL */
};
/* HTML-escape text for an element or a quoted attribute. Caller frees. */
char	*login_page_escape(const char *);
/* The page from a template: {{action}} {{next}} {{user}} {{message}} {{status}}. */
char	*login_page_render(const char *, const struct login_page *);

/* Check user and password against an htpasswd file. */
enum login_auth {
	LOGIN_AUTH_OK = 0,
	LOGIN_AUTH_FAIL,		/* wrong password or unknown user */
	LOGIN_AUTH_ERROR		/* the file cannot be read */
};
enum login_auth login_auth_check(const char *, const char *, const char *,
	    char **);

/* Failed logins within a window, per user and per client address. */
#define LOGIN_WINDOW		900	/* seconds */
#define LOGIN_MAX_PER_USER	5
#define LOGIN_MAX_PER_ADDR	20
enum login_throttle {
	LOGIN_THROTTLE_OK = 0,		/* go on; the attempt is counted */
	LOGIN_THROTTLE_REFUSE,		/* too many failures: 429 */
	LOGIN_THROTTLE_ERROR		/* the counter cannot be reached */
};
/*
 * Before checking a password: count this attempt as a failure in advance
 * (so parallel attempts cannot pass a limit together), and refuse when the
 * user or the address is then over its limit. Arguments: the counters,
 * the user, the client address, now.
 */
enum login_throttle login_throttle_begin(struct counter *, const char *,
	    const char *, time_t, char **);
/* After a successful login: forget the user's failures and this attempt. */
int	 login_throttle_success(struct counter *, const char *, const char *,
	    time_t, char **);

#endif
