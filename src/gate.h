/*
 * The gate in front of apps that know nothing of sessions: login_required
 * paths, the web server's access checks (FastCGI Authorizer, nginx
 * auth_request), REMOTE_USER (gate.c) and cross-origin refusal (csrf.c).
 */
#ifndef SW_GATE_H
#define SW_GATE_H

#include <stddef.h>

struct cgi_env;
struct config;

/* Look up a variable the web server sent (NULL: not sent). */
typedef const char *(*gate_getenv_fn)(void *, const char *);

/* What the web server asks of this request. */
enum gate_role {
	GATE_RESPONDER,		/* run the script (behind login_required) */
	GATE_AUTHORIZER,	/* FastCGI Authorizer (lighttpd, mod_authnz_fcgi) */
	GATE_AUTH_REQUEST	/* nginx auth_request (SESSIONWRAP_ROLE) */
};

/*
 * Normalise a URL path: decode %XX escapes (when decode), collapse
 * slashes, resolve "." and "..". 0 with *out (the caller frees it), or -1
 * for what cannot be a path (no leading '/', a bad escape or %00, ".."
 * above the root): the caller then takes it for protected.
 */
int		 gate_path_normalise(const char *, size_t, int, char **);
/* True when a space-separated prefix list covers the path (ignoring case). */
int		 gate_prefix_match(const char *, const char *);
/* The role of this request, by FCGI_ROLE and SESSIONWRAP_ROLE. */
enum gate_role	 gate_role(gate_getenv_fn, void *);
/*
 * True when this request needs a logged-in session: any of its paths
 * (REQUEST_URI; SCRIPT_NAME + PATH_INFO) under login_required and not
 * login_url itself, or a path that cannot be read.
 */
int		 gate_protected(const struct config *, gate_getenv_fn, void *,
		     int);
/* The value of next= for this request: its path and query, encoded. */
char		*gate_next(gate_getenv_fn, void *);
/*
 * The answer the gate gives in place of the script (the whole CGI response,
 * the caller frees it), or NULL to go on: login needed, or the web server's
 * access check. user is the session's (NULL: anonymous); setcookie, when
 * not NULL, the refreshed session's cookie for a passed access check.
 */
char		*gate_answer(const struct config *, gate_getenv_fn, void *,
		     enum gate_role, const char *, const char *);
/*
 * REMOTE_USER and AUTH_TYPE=Session for a logged-in request (remote_user
 * on), unless the web server authenticated it; and never a client's
 * Remote-User header where an app may take it for one.
 */
void		 gate_remote_user(struct cgi_env *, const struct config *,
		     gate_getenv_fn, void *, const char *);
/* Check login_required, login_url and csrf_trusted_origins; -1 and *cause. */
int		 gate_config_check(const struct config *, char **);

/* csrf.c: Go 1.25 http.CrossOriginProtection's check. */

/* 0 when the request may go on, 403 when it comes from another origin. */
int		 csrf_check(const struct config *, gate_getenv_fn, void *);
/* The host[:port] of an Origin value (*len bytes at *host); -1 if none. */
int		 csrf_origin_host(const char *, const char **, size_t *);

#endif
