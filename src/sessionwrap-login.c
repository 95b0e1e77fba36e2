/*
 * sessionwrap-login: a CGI program run through sessionwrap that puts a login
 * form in front of apps that know nothing of sessions. GET shows the form;
 * POST user, password, next checks login_htpasswd and answers
 * X-Session-Login with a 303 to `next` (a local path only), or 401 and the
 * form again; failures are throttled per user and per client address (429).
 * POST logout=1 ends the session. Its configuration is sessionwrap's file:
 * $SW_LOGIN_CONF (which sessionwrap passes when pass_env names it), else
 * the default file.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>

#include "config.h"
#include "counter.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "num.h"
#include "xmalloc.h"

/* What one request needs. */
struct login_req {
	struct config	 cfg;
	const char	*action;	/* this program's URL */
	const char	*addr;		/* REMOTE_ADDR */
	const char	*session_user;	/* SESSION_USER */
	int		 head;		/* HEAD: headers only */
};

/* An environment variable, "" when unset. */
static const char *
login_env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL ? v : "";
}

/* Print the status line and the headers every answer carries. */
static void
login_status(int status)
{
	printf("Status: %d %s\r\n", status, http_reason(status));
	printf("Cache-Control: no-store\r\n");
	printf("X-Frame-Options: DENY\r\n");
	printf("Content-Security-Policy: frame-ancestors 'none'\r\n");
}

/* A short plain-text answer (400, 405, 500, 503). */
static int
login_plain(struct login_req *lr, int status, const char *text)
{
	login_status(status);
	if (status == 405)
		printf("Allow: GET, HEAD, POST\r\n");
	printf("Content-Type: text/plain; charset=utf-8\r\n\r\n");
	if (!lr->head)
		printf("%s\n", text);
	return 0;
}

/* The template file's text, or NULL for the built-in page; -1 on error. */
static int
login_template(struct login_req *lr, char **out)
{
	FILE	*f;
	char	*data;
	size_t	 len;

	*out = NULL;
	if (lr->cfg.login_template == NULL)
		return 0;
	if ((f = fopen(lr->cfg.login_template, "re")) == NULL) {
		log_warn("%s", lr->cfg.login_template);
		return -1;
	}
	data = xmalloc(65537);
	len = fread(data, 1, 65536, f);
	if (ferror(f) || !feof(f)) {
		log_warnx("%s: unreadable or larger than 64 KiB",
		    lr->cfg.login_template);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	data[len] = '\0';
	*out = data;
	return 0;
}

/* The form with a status and a message. */
static int
login_form_page(struct login_req *lr, int status, const char *next,
    const char *user, const char *message)
{
	struct login_page	 pg = {
		.action = lr->action,
		.next = login_next(next),
		.user = user ? user : "",
		.message = message ? message : "",
		.logged_in = lr->session_user,
	};
	char			*tmpl, *page;

	if (login_template(lr, &tmpl) == -1)
		return login_plain(lr, 500, "The login page is misconfigured.");
	page = login_page_render(tmpl, &pg);
	login_status(status);
	if (status == 429)
		printf("Retry-After: %d\r\n", LOGIN_WINDOW);
	printf("Content-Type: text/html; charset=utf-8\r\n\r\n");
	if (!lr->head)
		fputs(page, stdout);
	free(page);
	free(tmpl);
	return 0;
}

/* GET and HEAD: the form, with `next` from the query string. */
static int
login_get(struct login_req *lr)
{
	struct login_form	 f;
	const char		*q = login_env("QUERY_STRING"), *why;

	if (login_form_parse(q, strlen(q), &f, &why) == -1)
		memset(&f, 0, sizeof f);
	login_form_page(lr, 200, f.next, NULL, NULL);
	login_form_free(&f);
	return 0;
}

/* The POSTed body, checked for type and size; NULL and *why. */
static char *
login_body(size_t *len, const char **why)
{
	const char	*ct = login_env("CONTENT_TYPE");
	const char	*cl = login_env("CONTENT_LENGTH");
	char		*body;
	long long	 v;
	size_t		 n, got = 0;
	ssize_t		 r;

	if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    (ct[33] != '\0' && ct[33] != ';')) {
		*why = "not application/x-www-form-urlencoded";
		return NULL;
	}
	if (num_parse(cl, 10, 0, LOGIN_MAX_BODY, &v, NULL) != 0) {
		*why = "no Content-Length, or over 8 KiB";
		return NULL;
	}
	n = (size_t)v;
	body = xmalloc(n + 1);
	while (got < n && ((r = read(0, body + got, n - got)) > 0 ||
	    (r == -1 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	if (got < n) {
		free(body);
		*why = "the body is shorter than its Content-Length";
		return NULL;
	}
	body[n] = '\0';
	*len = n;
	return body;
}

/* The throttle refused the attempt (429) or failed (503). */
static int
login_refused(struct login_req *lr, struct login_form *f, struct counter *c,
    enum login_throttle t, char *cause)
{
	counter_close(c);
	if (t == LOGIN_THROTTLE_ERROR) {
		log_warnx("login throttle: %s", cause);
		free(cause);
		return login_plain(lr, 503, "Logins are unavailable.");
	}
	log_warnx("login for %s from %s refused: too many failures", f->user,
	    lr->addr);
	return login_form_page(lr, 429, f->next, f->user,
	    "Too many failed logins. Try again later.");
}

/* The password was wrong (401 and the form) or unreadable (500). */
static int
login_failed(struct login_req *lr, struct login_form *f, enum login_auth a,
    char *cause)
{
	if (a == LOGIN_AUTH_ERROR) {
		log_warnx("login_htpasswd: %s", cause);
		free(cause);
		return login_plain(lr, 500, "The login is misconfigured.");
	}
	log_info("failed login for %s from %s", f->user, lr->addr);
	return login_form_page(lr, 401, f->next, f->user,
	    "Wrong user name or password.");
}

/* A well-formed login attempt: throttle, check, then the answer. */
static int
login_attempt(struct login_req *lr, struct login_form *f)
{
	struct counter		*c;
	enum login_throttle	 t;
	enum login_auth		 a;
	char			*cause = NULL;

	if (lr->cfg.login_htpasswd == NULL) {
		log_warnx("login_htpasswd is not set");
		return login_plain(lr, 500, "The login is misconfigured.");
	}
	if ((c = counter_open(&lr->cfg, &cause)) == NULL)
		t = LOGIN_THROTTLE_ERROR;
	else
		t = login_throttle_begin(c, f->user, lr->addr, time(NULL),
		    &cause);
	if (t != LOGIN_THROTTLE_OK)
		return login_refused(lr, f, c, t, cause);
	a = login_auth_check(lr->cfg.login_htpasswd, f->user, f->password,
	    &cause);
	if (a != LOGIN_AUTH_OK) {
		counter_close(c);
		return login_failed(lr, f, a, cause);
	}
	if (login_throttle_success(c, f->user, lr->addr, time(NULL),
	    &cause) == -1) {
		log_warnx("login throttle: %s", cause);
		free(cause);
	}
	counter_close(c);
	log_info("login of %s from %s", f->user, lr->addr);
	login_status(303);
	printf("X-Session-Login: %s\r\nLocation: %s\r\n\r\n", f->user,
	    login_next(f->next));
	return 0;
}
/* POST: log in, or out with logout=1. */
static int
login_post(struct login_req *lr)
{
	struct login_form	 f;
	const char		*why;
	char			*body;
	size_t			 len = 0;
	int			 rv;

	if ((body = login_body(&len, &why)) == NULL ||
	    login_form_parse(body, len, &f, &why) == -1) {
		log_warnx("bad login form from %s: %s", lr->addr, why);
		free(body);
		return login_plain(lr, 400, "Bad login form.");
	}
	explicit_bzero(body, len);
	free(body);
	if (f.logout) {
		login_status(303);
		printf("X-Session-Logout: 1\r\nLocation: %s\r\n\r\n",
		    login_next(f.next));
		rv = 0;
	} else if (f.user == NULL || f.password == NULL || *f.user == '\0' ||
	    *f.password == '\0')
		rv = login_form_page(lr, 401, f.next, f.user,
		    "Enter your user name and password.");
	else
		rv = login_attempt(lr, &f);
	login_form_free(&f);
	return rv;
}

/*
 * The configuration: $SW_LOGIN_CONF (what the web server names), else
 * sessionwrap's default file; never argv.
 */
static void
login_config(struct config *cfg)
{
	const char	*file = getenv("SW_LOGIN_CONF");

	if (file != NULL && *file != '\0' &&
	    setenv("SESSIONWRAP_CONF", file, 1) == -1)
		exit(2);
	config_main_noargs(cfg, "sessionwrap-login");
}

int
main(int argc, char **argv)
{
	struct login_req	 lr;
	const char		*method = login_env("REQUEST_METHOD");
	int			 rv;

	(void)argc;
	(void)argv;	/* a CGI program: the client may control argv */
	memset(&lr, 0, sizeof lr);
	login_config(&lr.cfg);
	if (apr_initialize() != APR_SUCCESS) {
		log_errx("apr_initialize failed");
		return 1;
	}
	lr.action = *login_env("SCRIPT_NAME") ? login_env("SCRIPT_NAME") : "";
	lr.addr = *login_env("REMOTE_ADDR") ? login_env("REMOTE_ADDR") : "-";
	lr.session_user = getenv("SESSION_USER");
	lr.head = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") == 0 || lr.head)
		rv = login_get(&lr);
	else if (strcmp(method, "POST") == 0)
		rv = login_post(&lr);
	else
		rv = login_plain(&lr, 405, "Method not allowed.");
	fflush(stdout);
	apr_terminate();
	config_free(&lr.cfg);
	return rv;
}
