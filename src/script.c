/* Which script a request runs: the fixed handler, or a name confined to script_root. */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "request.h"
#include "script.h"
#include "xmalloc.h"

/*
 * realpath(3) for the usual name: script_root (itself resolved at start)
 * and plain components below it. One lstat per component below the root,
 * instead of a readlink of every component from /. 1 with resolved and
 * *st (the file's) filled; 0 when realpath must decide (a symlink, ".",
 * "..", a missing file, another prefix).
 */
static int
script_resolve_fast(const char *root, const char *name, char *resolved,
    struct stat *st)
{
	size_t	 rootlen = strlen(root), len = strlen(name);
	char	*p, *e;
	int	 rc;

	if (rootlen < 2 || len >= PATH_MAX || strncmp(name, root, rootlen) != 0 ||
	    name[rootlen] != '/')
		return 0;
	memcpy(resolved, name, len + 1);
	for (p = resolved + rootlen + 1;; p = e + 1) {
		if (*p == '\0' || *p == '/' || (p[0] == '.' && (p[1] == '\0' ||
		    p[1] == '/' || (p[1] == '.' && (p[2] == '\0' ||
		    p[2] == '/')))))
			return 0;
		if ((e = strchr(p, '/')) != NULL)
			*e = '\0';
		rc = lstat(resolved, st);
		if (e != NULL)
			*e = '/';
		if (rc == -1 || S_ISLNK(st->st_mode))
			return 0;
		if (e == NULL)
			return 1;
		if (!S_ISDIR(st->st_mode))
			return 0;
	}
}

/*
 * The general case: realpath(3), confined to root, and the file's *st (a
 * st_mode of 0 when stat fails: not a regular file). 0 or an HTTP status.
 */
static int
script_resolve(const char *root, const char *name, char *resolved,
    struct stat *st)
{
	size_t	 rootlen = strlen(root);
	int	 saved;

	if (realpath(name, resolved) == NULL) {
		saved = errno;
		log_warnx("script %s: %s", name, strerror(saved));
		return saved == ENOENT || saved == ENOTDIR ? 404 : 403;
	}
	if (strncmp(resolved, root, rootlen) != 0 ||
	    (resolved[rootlen] != '/' && root[rootlen - 1] != '/')) {
		log_warnx("script %s: outside script_root", resolved);
		return 403;
	}
	if (stat(resolved, st) == -1)
		st->st_mode = 0;
	return 0;
}

/* Find the script; see script.h. */
int
script_pick(const struct sw *sw, script_getenv_fn getenv_fn, void *ctx,
    char **script)
{
	const char	*name, *p;
	char		*joined = NULL, resolved[PATH_MAX];
	struct stat	 st;
	int		 status;

	if (sw->cfg->handler != NULL) {
		*script = xstrdup(sw->cfg->handler);
		return 0;
	}
	name = NULL;
	/* Apache's Action runs us as CGI with the target in PATH_TRANSLATED. */
	if (sw->cgi && getenv_fn(ctx, "REDIRECT_STATUS") != NULL)
		name = getenv_fn(ctx, "PATH_TRANSLATED");
	if (name == NULL)
		name = getenv_fn(ctx, "SCRIPT_FILENAME");
	/* mod_proxy_fcgi may send "proxy:fcgi://host/path". */
	if (name != NULL && strncmp(name, "proxy:", 6) == 0) {
		if ((p = strstr(name, "://")) != NULL &&
		    (p = strchr(p + 3, '/')) != NULL)
			name = p;
		else
			name = NULL;
	}
	if (name == NULL && (p = getenv_fn(ctx, "SCRIPT_NAME")) != NULL) {
		xasprintf(&joined, "%s%s", sw->root, p);
		name = joined;
	}
	if (name == NULL || *name == '\0') {
		log_warnx("request without SCRIPT_FILENAME");
		free(joined);
		return 404;
	}
	if (!script_resolve_fast(sw->root, name, resolved, &st) &&
	    (status = script_resolve(sw->root, name, resolved, &st)) != 0) {
		free(joined);
		return status;
	}
	free(joined);
	if (!S_ISREG(st.st_mode)) {
		log_warnx("script %s: not a regular file", resolved);
		return 403;
	}
	if (access(resolved, X_OK) == -1) {
		log_warnx("script %s: not executable", resolved);
		return 403;
	}
	*script = xstrdup(resolved);
	return 0;
}
