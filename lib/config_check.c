/* Site configuration: the checks of values that depend on each other. */
#include "autoconf.h"

#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "config.h"
#include "xmalloc.h"

/* Check values that depend on each other. */
int
config_check(const struct config *cfg, char **cause)
{
	const char	*p;

	if (cfg->cookie_name == NULL) {
		xasprintf(cause, "cookie_name must not be empty");
		return -1;
	}
	for (p = cfg->cookie_name; *p != '\0'; p++) {
		/* RFC 6265 token characters. */
		if (*p <= 32 || *p >= 127 || strchr("()<>@,;:\\\"/[]?={}", *p)) {
			xasprintf(cause, "cookie_name: invalid character");
			return -1;
		}
	}
	if (cfg->cookie_path != NULL && (cfg->cookie_path[0] != '/' ||
	    strpbrk(cfg->cookie_path, ";\r\n") != NULL)) {
		xasprintf(cause, "cookie_path must start with / and hold no ;");
		return -1;
	}
	if (cfg->cookie_domain != NULL &&
	    strpbrk(cfg->cookie_domain, "; \t\r\n") != NULL) {
		xasprintf(cause, "cookie_domain: invalid character");
		return -1;
	}
	if (cfg->script_root != NULL && cfg->script_root[0] != '/') {
		xasprintf(cause, "script_root must be an absolute path");
		return -1;
	}
	if (cfg->handler != NULL && cfg->handler[0] != '/') {
		xasprintf(cause, "handler must be an absolute path");
		return -1;
	}
	if (cfg->session_header == NULL ||
	    strncasecmp(cfg->session_header, "X-Session-", 10) == 0) {
		xasprintf(cause, "session_header must be set and not X-Session-*");
		return -1;
	}
	if (cgi_pass_env_check(cfg->pass_env, cause) == -1)
		return -1;
	if (cfg->cache != NULL && (cfg->store == NULL ||
	    strncmp(cfg->store, "postgres", 8) != 0)) {
		xasprintf(cause, "cache needs a PostgreSQL store");
		return -1;
	}
	return 0;
}
