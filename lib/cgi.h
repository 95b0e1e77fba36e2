/* CGI/1.1 pieces: the script's response header parser and environment building. */
#ifndef SW_CGI_H
#define SW_CGI_H

#include <stddef.h>
#include <sys/types.h>

struct cgi_header {
	char	*name;
	char	*value;
};

struct cgi_headers {
	struct cgi_header	*v;
	size_t			 n;
	size_t			 size;
};

/*
 * Find the end of the header block in what the script wrote so far. Returns
 * the offset of the first body byte, 0 when more input is needed, -1 when the
 * block is malformed (NUL byte).
 */
ssize_t	 cgi_header_end(const char *, size_t);
/*
 * Parse a complete header block (as bounded by cgi_header_end). -1 and *cause
 * for lines without a colon, bad names, obsolete folding, bare CR, or no
 * Content-Type/Location/Status at all.
 */
int	 cgi_parse_headers(const char *, size_t, struct cgi_headers *, char **);
void	 cgi_headers_init(struct cgi_headers *);
void	 cgi_headers_add(struct cgi_headers *, const char *, const char *);
void	 cgi_headers_free(struct cgi_headers *);
const char *cgi_headers_get(const struct cgi_headers *, const char *);

/* An environment being built for a child: "NAME=value" strings, NULL-terminated. */
struct cgi_env {
	char	**v;
	size_t	  n;
	size_t	  size;
};

void	 cgi_env_init(struct cgi_env *);
void	 cgi_env_free(struct cgi_env *);
/* Set (replacing) NAME to value. */
void	 cgi_env_set(struct cgi_env *, const char *, const char *);
/* Same with the name's length given (it need not be NUL-terminated). */
void	 cgi_env_setn(struct cgi_env *, const char *, size_t, const char *);
void	 cgi_env_unset(struct cgi_env *, const char *);
const char *cgi_env_get(const struct cgi_env *, const char *);
/* Add "NAME=value" entries from an environ-style array. */
void	 cgi_env_add_all(struct cgi_env *, char **);
/* The NULL-terminated array for execve. */
char	**cgi_env_array(struct cgi_env *);

/*
 * The one environment filter of sessionwrap and sessionwrap-ws. Whether the
 * variable (name of len bytes) from the web server may reach a script: the
 * CGI/1.1 meta-variables and common server extensions, HTTP_* (except
 * HTTP_PROXY, HTTP_COOKIE, handled apart, and HTTP_SESSION) and what
 * pass_env (space separated names and NAME* prefixes, NULL for none) names;
 * never a name cgi_env_never refuses.
 */
int	 cgi_env_allowed(const char *, size_t, const char *);
/*
 * True for a name never passed, whatever pass_env says: LD_*, BASH_ENV, ENV,
 * PERL5OPT, PYTHON*, NODE_OPTIONS, SESSION* and other loader, shell and
 * interpreter hooks.
 */
int	 cgi_env_never(const char *, size_t);
/* True when pass_env names the variable, exactly or by a NAME* prefix. */
int	 cgi_env_named(const char *, size_t, const char *);
/*
 * Check a pass_env value: -1 and *cause for an entry that is not a name,
 * names a variable never passed, or is a prefix that covers one ("L*").
 */
int	 cgi_pass_env_check(const char *, char **);

#endif
