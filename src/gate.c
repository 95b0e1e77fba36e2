/* The gate: login_required paths, web server access checks, REMOTE_USER. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cgi.h"
#include "config.h"
#include "gate.h"
#include "url.h"
#include "xmalloc.h"

/* Percent-decode len bytes into buf (len + 1 bytes); its length, or -1. */
static ssize_t
gate_decode(const char *in, size_t len, int decode, char *buf)
{
	size_t	 i, n = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] == '\0')
			return -1;
		if (!decode || in[i] != '%') {
			buf[n++] = in[i];
			continue;
		}
		if (len - i < 3 || (hi = url_hex(in[i + 1])) == -1 ||
		    (lo = url_hex(in[i + 2])) == -1 || (hi == 0 && lo == 0))
			return -1;
		buf[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Normalise a URL path; see gate.h. */
int
gate_path_normalise(const char *in, size_t len, int decode, char **out)
{
	char	*buf, *res;
	ssize_t	 n;
	size_t	 i = 0, s, rl = 0;
	int	 slash_end = 0;

	if (len == 0 || in[0] != '/')
		return -1;
	buf = xmalloc(len + 1);
	if ((n = gate_decode(in, len, decode, buf)) == -1) {
		free(buf);
		return -1;
	}
	res = xmalloc((size_t)n + 2);
	while ((size_t)n > i) {
		while ((size_t)n > i && buf[i] == '/')
			i++;
		if ((size_t)n == i) {
			slash_end = 1;
			break;
		}
		for (s = i; (size_t)n > i && buf[i] != '/'; i++)
			;
		slash_end = 1;
		if (i - s == 1 && buf[s] == '.')
			continue;
		if (i - s == 2 && buf[s] == '.' && buf[s + 1] == '.') {
			/* Above the root: no server maps it; refuse. */
			if (rl == 0) {
				free(buf);
				free(res);
				return -1;
			}
			while (res[rl - 1] != '/')
				rl--;
			rl--;
			continue;
		}
		res[rl++] = '/';
		memcpy(res + rl, buf + s, i - s);
		rl += i - s;
		slash_end = 0;
	}
	if (rl == 0 || slash_end)
		res[rl++] = '/';
	res[rl] = '\0';
	free(buf);
	*out = res;
	return 0;
}

/*
 * True when a prefix of the list covers path, ignoring case (a server on a
 * case-insensitive file system maps /CGI/ to /cgi/: protect more, never
 * less). "/app/" also covers "/app" itself.
 */
int
gate_prefix_match(const char *list, const char *path)
{
	const char	*p = list;
	size_t		 tl, pl = strlen(path);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t");
		if ((tl = strcspn(p, " \t")) == 0)
			break;
		if (strncasecmp(path, p, tl) == 0 ||
		    (p[tl - 1] == '/' && pl == tl - 1 &&
		    strncasecmp(path, p, pl) == 0))
			return 1;
		p += tl;
	}
	return 0;
}

/* True when path (normalised) is login_url's own path, exactly. */
static int
gate_is_login(const struct config *cfg, const char *path)
{
	const char	*u = cfg->login_url;
	char		*norm;
	int		 same;

	if (u == NULL || u[0] != '/' || u[1] == '/')
		return 0;
	if (gate_path_normalise(u, strcspn(u, "?#"), 1, &norm) == -1)
		return 0;
	same = strcmp(norm, path) == 0;
	free(norm);
	return same;
}

/* True when one path of the request is protected (or unreadable). */
static int
gate_path_protected(const struct config *cfg, const char *path, size_t len,
    int decode)
{
	char	*norm;
	int	 prot;

	if (gate_path_normalise(path, len, decode, &norm) == -1)
		return 1;
	prot = gate_prefix_match(cfg->login_required, norm) &&
	    !gate_is_login(cfg, norm);
	free(norm);
	return prot;
}

/*
 * The path of a REQUEST_URI (origin form, or absolute form as a proxy
 * request sends it): *path and *len. -1 when there is none to read.
 */
static int
gate_uri_path(const char *uri, const char **path, size_t *len)
{
	const char	*p = uri;

	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "://") + 3;
		if ((p = strchr(p, '/')) == NULL)
			return -1;
	}
	if (*p != '/')
		return -1;
	*path = p;
	*len = strcspn(p, "?#");
	return 0;
}

/*
 * SCRIPT_NAME + PATH_INFO as the web server decoded them (under Apache's
 * Action, as plain CGI, the target is PATH_INFO); NULL when not sent.
 */
static char *
gate_script_path(gate_getenv_fn getenv_fn, void *ctx, int cgi)
{
	const char	*sn, *pi;
	char		*joined;

	sn = getenv_fn(ctx, "SCRIPT_NAME");
	pi = getenv_fn(ctx, "PATH_INFO");
	if (cgi && getenv_fn(ctx, "REDIRECT_STATUS") != NULL &&
	    getenv_fn(ctx, "PATH_TRANSLATED") != NULL) {
		sn = pi;
		pi = NULL;
	}
	if (sn == NULL && pi == NULL)
		return NULL;
	xasprintf(&joined, "%s%s", sn ? sn : "", pi ? pi : "");
	return joined;
}

/*
 * Protected when either the client's REQUEST_URI (decoded and normalised
 * here) or the web server's SCRIPT_NAME + PATH_INFO is: a trick that fools
 * one reading is caught by the other. Neither sent: protected.
 */
int
gate_protected(const struct config *cfg, gate_getenv_fn getenv_fn, void *ctx,
    int cgi)
{
	const char	*uri, *path;
	char		*joined;
	size_t		 len;
	int		 seen = 0, prot;

	if (cfg->login_required == NULL)
		return 0;
	if ((uri = getenv_fn(ctx, "REQUEST_URI")) != NULL && *uri != '\0') {
		if (gate_uri_path(uri, &path, &len) == -1 ||
		    gate_path_protected(cfg, path, len, 1))
			return 1;
		seen = 1;
	}
	if ((joined = gate_script_path(getenv_fn, ctx, cgi)) != NULL) {
		prot = gate_path_protected(cfg, joined, strlen(joined), 0);
		free(joined);
		if (prot)
			return 1;
		seen = 1;
	}
	return !seen;
}

/*
 * Percent-encode what a path must not carry raw in a redirect target: '%',
 * '?', '#', '\' (a browser reads "/\host" as "//host"), spaces, controls
 * and non-ASCII bytes.
 */
static void
gate_encode_path(struct buf *b, const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && strchr("%?#\\\"<>^`{|}", *p) ==
		    NULL)
			buf_add(b, p, 1);
		else
			buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

/*
 * next=: the normalised path (so it always begins with one '/' and a
 * character that is neither '/' nor '\'), then the query as sent, the
 * whole url-encoded for a query value.
 */
char *
gate_next(gate_getenv_fn getenv_fn, void *ctx)
{
	const char	*uri, *path = NULL, *q = NULL;
	char		*norm = NULL, *joined = NULL, *enc;
	size_t		 len = 0;
	struct buf	 b;

	if ((uri = getenv_fn(ctx, "REQUEST_URI")) != NULL &&
	    gate_uri_path(uri, &path, &len) == 0) {
		if ((q = strchr(path, '?')) != NULL)
			q++;
	} else if ((joined = gate_script_path(getenv_fn, ctx, 0)) != NULL) {
		path = joined;
		len = strlen(joined);
		q = getenv_fn(ctx, "QUERY_STRING");
	}
	buf_init(&b);
	if (path == NULL || gate_path_normalise(path, len, 1, &norm) == -1)
		buf_adds(&b, "/");
	else
		gate_encode_path(&b, norm);
	if (q != NULL && *q != '\0') {
		buf_adds(&b, "?");
		buf_adds(&b, q);
	}
	buf_add(&b, "", 1);
	enc = url_encode(b.data);
	buf_free(&b);
	free(norm);
	free(joined);
	return enc;
}

/* True for GET and HEAD, which a login redirect may answer. */
static int
gate_navigation(gate_getenv_fn getenv_fn, void *ctx)
{
	const char	*m = getenv_fn(ctx, "REQUEST_METHOD");

	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0);
}

/*
 * The refusal of an anonymous request: 302 to login_url?next= for GET and
 * HEAD when redirect and login_url is set, else 401. extra is one more
 * header line (or "").
 */
static char *
gate_refuse(const struct config *cfg, gate_getenv_fn getenv_fn, void *ctx,
    int redirect, const char *extra)
{
	struct buf	 b;
	char		*next;
	int		 to_login;

	to_login = redirect && cfg->login_url != NULL &&
	    gate_navigation(getenv_fn, ctx);
	buf_init(&b);
	buf_printf(&b, "Status: %s\r\n", to_login ? "302 Found" :
	    "401 Unauthorized");
	if (cfg->login_url != NULL) {
		next = gate_next(getenv_fn, ctx);
		buf_printf(&b, "%s: %s%cnext=%s\r\n", to_login ? "Location" :
		    "X-Login-Location", cfg->login_url,
		    strchr(cfg->login_url, '?') ? '&' : '?', next);
		free(next);
	}
	buf_printf(&b, "%sContent-Type: text/plain; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n\r\n%s\n", extra,
	    to_login ? "302 Found: log in first" : "401 Unauthorized");
	buf_add(&b, "", 1);
	return b.data;
}

/* The gate's answer in place of the script, or NULL; see gate.h. */
char *
gate_answer(const struct config *cfg, gate_getenv_fn getenv_fn, void *ctx,
    enum gate_role role, const char *user, const char *setcookie)
{
	char	*s;

	switch (role) {
	case GATE_RESPONDER:
		if (user != NULL)
			return NULL;
		return gate_refuse(cfg, getenv_fn, ctx, 1, "");
	case GATE_AUTHORIZER:
		if (user != NULL) {
			xasprintf(&s, "Status: 200 OK\r\n"
			    "Variable-REMOTE_USER: %s\r\n"
			    "Variable-AUTH_TYPE: Session\r\n%s%s%s\r\n", user,
			    setcookie ? "Set-Cookie: " : "",
			    setcookie ? setcookie : "", setcookie ? "\r\n" : "");
			return s;
		}
		/* lighttpd and mod_authnz_fcgi send a refusal on as it is. */
		return gate_refuse(cfg, getenv_fn, ctx, 1, "");
	case GATE_AUTH_REQUEST:
		if (user != NULL) {
			xasprintf(&s, "Status: 200 OK\r\nX-Remote-User: %s\r\n"
			    "%s%s%sCache-Control: no-store\r\n\r\n", user,
			    setcookie ? "Set-Cookie: " : "",
			    setcookie ? setcookie : "", setcookie ? "\r\n" : "");
			return s;
		}
		/* nginx allows 401 and 403 only; it redirects by error_page. */
		return gate_refuse(cfg, getenv_fn, ctx, 0, "");
	}
	return NULL;
}

/*
 * FCGI_ROLE=AUTHORIZER (libfcgi sets it from the begin record) or the
 * SESSIONWRAP_ROLE=auth_request parameter an nginx auth_request location
 * sets: parameters only the web server sends, never a client header.
 */
enum gate_role
gate_role(gate_getenv_fn getenv_fn, void *ctx)
{
	const char	*v;

	if ((v = getenv_fn(ctx, "FCGI_ROLE")) != NULL &&
	    strcmp(v, "AUTHORIZER") == 0)
		return GATE_AUTHORIZER;
	if ((v = getenv_fn(ctx, "SESSIONWRAP_ROLE")) != NULL &&
	    strcmp(v, "auth_request") == 0)
		return GATE_AUTH_REQUEST;
	return GATE_RESPONDER;
}

/* True when the web server sent a non-empty value for name. */
static int
gate_sent(gate_getenv_fn getenv_fn, void *ctx, const char *name)
{
	const char	*v = getenv_fn(ctx, name);

	return v != NULL && *v != '\0';
}

/* REMOTE_USER for a logged-in request; see gate.h. */
void
gate_remote_user(struct cgi_env *env, const struct config *cfg,
    gate_getenv_fn getenv_fn, void *ctx, const char *user)
{
	if (!cfg->remote_user)
		return;
	/* Client headers some apps read as the proxy's word on the user. */
	cgi_env_unset(env, "HTTP_REMOTE_USER");
	cgi_env_unset(env, "HTTP_X_REMOTE_USER");
	if (user == NULL || gate_sent(getenv_fn, ctx, "REMOTE_USER") ||
	    gate_sent(getenv_fn, ctx, "AUTH_TYPE"))
		return;
	cgi_env_set(env, "REMOTE_USER", user);
	cgi_env_set(env, "AUTH_TYPE", "Session");
}

/* True when s holds a control character (it would split a header). */
static int
gate_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* Check the gate's keys; see gate.h. */
int
gate_config_check(const struct config *cfg, char **cause)
{
	const char	*p, *host;
	size_t		 tl, hl;

	for (p = cfg->login_required; p != NULL && *p != '\0'; p += tl) {
		p += strspn(p, " \t");
		if ((tl = strcspn(p, " \t")) > 0 && *p != '/') {
			xasprintf(cause, "login_required: \"%.*s\" is no URL "
			    "path (it must begin with /)", (int)tl, p);
			return -1;
		}
	}
	if ((p = cfg->login_url) != NULL && (gate_has_control(p) ||
	    strchr(p, ' ') != NULL || (*p != '/' &&
	    strncasecmp(p, "http://", 7) != 0 &&
	    strncasecmp(p, "https://", 8) != 0))) {
		xasprintf(cause, "login_url: \"%s\" is no URL path nor "
		    "http(s) URL", p);
		return -1;
	}
	for (p = cfg->csrf_trusted_origins; p != NULL && *p != '\0'; p += tl) {
		p += strspn(p, " \t");
		if ((tl = strcspn(p, " \t")) > 0 &&
		    (csrf_origin_host(p, &host, &hl) == -1 ||
		    host + hl != p + tl)) {
			xasprintf(cause, "csrf_trusted_origins: \"%.*s\" is no "
			    "origin (scheme://host[:port])", (int)tl, p);
			return -1;
		}
	}
	return 0;
}
