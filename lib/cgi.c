/* CGI/1.1 pieces: the script's response header parser and environment building. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Find the end of the header block in what the script wrote so far: the first
 * empty line, ended by LF or CRLF after a line ended the same way or the other
 * (a script mixing both is tolerated). Returns the offset of the first body
 * byte, 0 when more input is needed, -1 on a NUL byte inside the block.
 */
ssize_t
cgi_header_end(const char *buf, size_t len)
{
	const char	*p, *nul;
	size_t		 i, end = 0;

	if (len >= 1 && buf[0] == '\n')
		end = 1;
	else if (len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		end = 2;
	for (i = 0; end == 0 && i < len; i = p - buf + 1) {
		if ((p = memchr(buf + i, '\n', len - i)) == NULL)
			break;
		if (p + 1 < buf + len && p[1] == '\n')
			end = p - buf + 2;
		else if (p + 2 < buf + len && p[1] == '\r' && p[2] == '\n')
			end = p - buf + 3;
	}
	nul = memchr(buf, '\0', end != 0 ? end : len);
	if (nul != NULL)
		return -1;
	return (ssize_t)end;
}

/* A token character (RFC 9110 tchar) as allowed in a header name. */
static int
cgi_tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A Status value: three digits 100 to 599, optionally SP and a reason. */
static int
cgi_status_valid(const char *v)
{
	int	 i;

	for (i = 0; i < 3; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
	}
	if (v[0] < '1' || v[0] > '5')
		return 0;
	return v[3] == '\0' || v[3] == ' ' || v[3] == '\t';
}

/* Parse one header line (no line ending) and add it; NULL or why not. */
static const char *
cgi_parse_line(const char *line, size_t len, struct cgi_headers *h)
{
	const char	*colon, *v, *end;
	char		*name, *value;
	size_t		 i;

	if (line[0] == ' ' || line[0] == '\t')
		return "obsolete line folding";
	for (i = 0; i < len; i++) {
		if (line[i] == '\r')
			return "bare CR in header line";
		if (line[i] == '\0')
			return "NUL byte in header line";
	}
	if ((colon = memchr(line, ':', len)) == NULL)
		return "header line without colon";
	if (colon == line)
		return "empty header name";
	for (v = line; v < colon; v++) {
		if (!cgi_tchar((unsigned char)*v))
			return "invalid character in header name";
	}
	v = colon + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (i = 0; v + i < end; i++) {
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return "control character in header value";
		if (v[i] == 0x7f)
			return "control character in header value";
	}
	name = xstrndup(line, colon - line);
	value = xstrndup(v, end - v);
	if (strcasecmp(name, "Status") == 0) {
		if (cgi_headers_get(h, "Status") != NULL) {
			free(name);
			free(value);
			return "more than one Status header";
		}
		if (!cgi_status_valid(value)) {
			free(name);
			free(value);
			return "bad Status value";
		}
	}
	cgi_headers_add(h, name, value);
	free(name);
	free(value);
	return NULL;
}

/*
 * Parse a complete header block (as bounded by cgi_header_end); stops at the
 * empty line. On -1 the headers this call added are removed again.
 */
int
cgi_parse_headers(const char *buf, size_t len, struct cgi_headers *h,
    char **cause)
{
	const char	*line, *nl, *errstr = NULL, *end = buf + len;
	size_t		 first = h->n, linelen;

	for (line = buf; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			nl = end;
		linelen = nl - line;
		if (linelen > 0 && line[linelen - 1] == '\r')
			linelen--;
		if (linelen == 0)
			break;
		if ((errstr = cgi_parse_line(line, linelen, h)) != NULL)
			goto fail;
	}
	errstr = "no Content-Type, Location or Status";
	if (cgi_headers_get(h, "Content-Type") == NULL &&
	    cgi_headers_get(h, "Location") == NULL &&
	    cgi_headers_get(h, "Status") == NULL)
		goto fail;
	return 0;

fail:
	while (h->n > first) {
		h->n--;
		free(h->v[h->n].name);
		free(h->v[h->n].value);
	}
	*cause = xstrdup(errstr);
	return -1;
}

/* An empty header list. */
void
cgi_headers_init(struct cgi_headers *h)
{
	h->v = NULL;
	h->n = 0;
	h->size = 0;
}

/* Append a header (copied); repeated names are kept in order. */
void
cgi_headers_add(struct cgi_headers *h, const char *name, const char *value)
{
	if (h->n == h->size) {
		h->size = h->size ? h->size * 2 : 16;
		h->v = xreallocarray(h->v, h->size, sizeof *h->v);
	}
	h->v[h->n].name = xstrdup(name);
	h->v[h->n].value = xstrdup(value);
	h->n++;
}

/* Free every header and the list's storage. */
void
cgi_headers_free(struct cgi_headers *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	cgi_headers_init(h);
}

/* The value of the first header of that name (case-insensitive), or NULL. */
const char *
cgi_headers_get(const struct cgi_headers *h, const char *name)
{
	size_t	 i;

	for (i = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	}
	return NULL;
}

/* An empty environment. */
void
cgi_env_init(struct cgi_env *env)
{
	env->v = NULL;
	env->n = 0;
	env->size = 0;
}

/* Free every entry and the array. */
void
cgi_env_free(struct cgi_env *env)
{
	size_t	 i;

	for (i = 0; i < env->n; i++)
		free(env->v[i]);
	free(env->v);
	cgi_env_init(env);
}

/* Index of NAME's entry, or -1. */
static ssize_t
cgi_env_find(const struct cgi_env *env, const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < env->n; i++) {
		if (env->v[i][0] == name[0] &&
		    strncmp(env->v[i], name, len) == 0 && env->v[i][len] == '=')
			return (ssize_t)i;
	}
	return -1;
}

/*
 * Set (replacing) the len bytes of name to value; a name that is empty or
 * has '=' is ignored.
 */
void
cgi_env_setn(struct cgi_env *env, const char *name, size_t len,
    const char *value)
{
	size_t	 vlen = strlen(value);
	ssize_t	 i;
	char	*entry;

	if (len == 0 || memchr(name, '=', len) != NULL) {
		log_warnx("%s: ignoring a bad variable name", __func__);
		return;
	}
	entry = xmalloc(len + vlen + 2);
	memcpy(entry, name, len);
	entry[len] = '=';
	memcpy(entry + len + 1, value, vlen + 1);
	if ((i = cgi_env_find(env, name, len)) != -1) {
		free(env->v[i]);
		env->v[i] = entry;
		return;
	}
	if (env->n + 1 >= env->size) {
		env->size = env->size ? env->size * 2 : 64;
		env->v = xreallocarray(env->v, env->size, sizeof *env->v);
	}
	env->v[env->n++] = entry;
	env->v[env->n] = NULL;
}

/* Set (replacing) NAME to value. */
void
cgi_env_set(struct cgi_env *env, const char *name, const char *value)
{
	cgi_env_setn(env, name, strlen(name), value);
}

/* Remove NAME if it is set. */
void
cgi_env_unset(struct cgi_env *env, const char *name)
{
	ssize_t	 i;

	if ((i = cgi_env_find(env, name, strlen(name))) == -1)
		return;
	free(env->v[i]);
	memmove(&env->v[i], &env->v[i + 1], (env->n - i) * sizeof *env->v);
	env->n--;
}

/* The value of NAME, or NULL. */
const char *
cgi_env_get(const struct cgi_env *env, const char *name)
{
	size_t	 len = strlen(name);
	ssize_t	 i;

	if ((i = cgi_env_find(env, name, len)) == -1)
		return NULL;
	return env->v[i] + len + 1;
}

/* Add "NAME=value" entries from an environ-style array; skip bad ones. */
void
cgi_env_add_all(struct cgi_env *env, char **vars)
{
	char	*eq;

	for (; vars != NULL && *vars != NULL; vars++) {
		if ((eq = strchr(*vars, '=')) == NULL || eq == *vars)
			continue;
		cgi_env_setn(env, *vars, eq - *vars, eq + 1);
	}
}

/* The NULL-terminated array for execve; still owned by env. */
char **
cgi_env_array(struct cgi_env *env)
{
	if (env->v == NULL) {
		env->size = 64;
		env->v = xreallocarray(NULL, env->size, sizeof *env->v);
		env->v[0] = NULL;
	}
	return env->v;
}

/* A name and its length: the tables below count each once. */
struct cgi_env_name {
	const char	*name;
	size_t		 len;
};

#define CGI_NAME(s)	{ s, sizeof (s) - 1 }

/*
 * What a program may get from the web server's parameters (RFC 3875's
 * meta-variables plus what servers commonly add), never what hooks a loader
 * or an interpreter, nor our own variables: cgi_env_allowed's tables.
 */
static const struct cgi_env_name cgi_env_cgi11[] = {
	/* RFC 3875, section 4.1. */
	CGI_NAME("AUTH_TYPE"), CGI_NAME("CONTENT_LENGTH"),
	CGI_NAME("CONTENT_TYPE"), CGI_NAME("GATEWAY_INTERFACE"),
	CGI_NAME("PATH_INFO"), CGI_NAME("PATH_TRANSLATED"),
	CGI_NAME("QUERY_STRING"), CGI_NAME("REMOTE_ADDR"),
	CGI_NAME("REMOTE_HOST"), CGI_NAME("REMOTE_IDENT"),
	CGI_NAME("REMOTE_USER"), CGI_NAME("REQUEST_METHOD"),
	CGI_NAME("SCRIPT_NAME"), CGI_NAME("SERVER_NAME"),
	CGI_NAME("SERVER_PORT"), CGI_NAME("SERVER_PROTOCOL"),
	CGI_NAME("SERVER_SOFTWARE"),
	/* Apache, nginx and lighttpd extensions. */
	CGI_NAME("CONTEXT_DOCUMENT_ROOT"), CGI_NAME("CONTEXT_PREFIX"),
	CGI_NAME("DOCUMENT_ROOT"), CGI_NAME("DOCUMENT_URI"), CGI_NAME("HTTPS"),
	CGI_NAME("REDIRECT_STATUS"), CGI_NAME("REDIRECT_URI"),
	CGI_NAME("REDIRECT_URL"), CGI_NAME("REMOTE_PORT"),
	CGI_NAME("REQUEST_SCHEME"), CGI_NAME("REQUEST_URI"),
	CGI_NAME("SCRIPT_FILENAME"), CGI_NAME("SCRIPT_URI"),
	CGI_NAME("SCRIPT_URL"), CGI_NAME("SERVER_ADDR"),
	CGI_NAME("SERVER_ADMIN"), CGI_NAME("SERVER_SIGNATURE"),
	CGI_NAME("UNIQUE_ID"),
};

/* Never passed, even when pass_env names them. */
static const struct cgi_env_name cgi_env_never_names[] = {
	/* Shells. */
	CGI_NAME("BASH_ENV"), CGI_NAME("BASHOPTS"), CGI_NAME("CDPATH"),
	CGI_NAME("ENV"), CGI_NAME("GLOBIGNORE"), CGI_NAME("IFS"),
	CGI_NAME("PS4"), CGI_NAME("SHELLOPTS"),
	/* Interpreters and runtimes. */
	CGI_NAME("JAVA_TOOL_OPTIONS"), CGI_NAME("JDK_JAVA_OPTIONS"),
	CGI_NAME("_JAVA_OPTIONS"), CGI_NAME("LUA_CPATH"), CGI_NAME("LUA_INIT"),
	CGI_NAME("LUA_PATH"), CGI_NAME("NODE_OPTIONS"), CGI_NAME("NODE_PATH"),
	CGI_NAME("PERL5DB"), CGI_NAME("PERL5LIB"), CGI_NAME("PERL5OPT"),
	CGI_NAME("PERLLIB"), CGI_NAME("PHP_INI_SCAN_DIR"), CGI_NAME("PHPRC"),
	CGI_NAME("RUBYLIB"), CGI_NAME("RUBYOPT"), CGI_NAME("TCLLIBPATH"),
	/* The C library; OpenSSL's trust store. */
	CGI_NAME("GCONV_PATH"), CGI_NAME("GLIBC_TUNABLES"),
	CGI_NAME("HOSTALIASES"), CGI_NAME("LOCPATH"), CGI_NAME("NLSPATH"),
	CGI_NAME("RESOLV_HOST_CONF"), CGI_NAME("SSL_CERT_DIR"),
	CGI_NAME("SSL_CERT_FILE"),
	/* Client headers handled apart: httpoxy, CVE-2018-1283, the cookie. */
	CGI_NAME("HTTP_COOKIE"), CGI_NAME("HTTP_PROXY"),
	CGI_NAME("HTTP_SESSION"),
};

/* Prefixes never passed: loaders, Python, bash functions, ours. */
static const struct cgi_env_name cgi_env_never_prefixes[] = {
	CGI_NAME("BASH_FUNC_"), CGI_NAME("DYLD_"), CGI_NAME("LD_"),
	CGI_NAME("LUA_INIT_"), CGI_NAME("PYTHON"), CGI_NAME("SESSION"),
};

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* True when the len bytes of name are those of the table entry t. */
static int
cgi_env_is(const char *name, size_t len, const struct cgi_env_name *t)
{
	return t->len == len && name[0] == t->name[0] &&
	    memcmp(name, t->name, len) == 0;
}

/* True when the len bytes of name start with the table entry t. */
static int
cgi_env_starts(const char *name, size_t len, const struct cgi_env_name *t)
{
	return len >= t->len && name[0] == t->name[0] &&
	    memcmp(name, t->name, t->len) == 0;
}

/* True for a variable name a program can be given: [A-Za-z0-9_]+. */
static int
cgi_env_valid(const char *name, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '_')
			return 0;
	}
	return 1;
}

/* See cgi.h. */
int
cgi_env_never(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < NITEMS(cgi_env_never_names); i++) {
		if (cgi_env_is(name, len, &cgi_env_never_names[i]))
			return 1;
	}
	for (i = 0; i < NITEMS(cgi_env_never_prefixes); i++) {
		if (cgi_env_starts(name, len, &cgi_env_never_prefixes[i]))
			return 1;
	}
	return 0;
}

/*
 * Call fn for each entry of a space-separated pass_env list (exact names
 * and NAME* prefixes) until it returns non-zero; that value, or 0.
 */
static int
cgi_pass_env_each(const char *list, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	const char	*p = list, *e;
	int		 rc;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		e = p + strcspn(p, " \t");
		if ((rc = fn(p, e - p, arg)) != 0)
			return rc;
		p = e;
	}
	return 0;
}

/* cgi_pass_env_each callback: 1 when the entry names the variable. */
static int
cgi_pass_env_match(const char *entry, size_t elen, void *arg)
{
	const struct cgi_env_name	*v = arg;

	if (elen > 0 && entry[elen - 1] == '*')
		return v->len >= elen - 1 && memcmp(v->name, entry, elen - 1) == 0;
	return v->len == elen && memcmp(v->name, entry, elen) == 0;
}

/* See cgi.h. */
int
cgi_env_named(const char *name, size_t len, const char *pass_env)
{
	struct cgi_env_name	 v = { name, len };

	return cgi_pass_env_each(pass_env, cgi_pass_env_match, &v);
}

/* See cgi.h. */
int
cgi_env_allowed(const char *name, size_t len, const char *pass_env)
{
	size_t	 i;

	if (!cgi_env_valid(name, len) || cgi_env_never(name, len))
		return 0;
	if (len > 5 && memcmp(name, "HTTP_", 5) == 0)
		return 1;
	for (i = 0; i < NITEMS(cgi_env_cgi11); i++) {
		if (cgi_env_is(name, len, &cgi_env_cgi11[i]))
			return 1;
	}
	return cgi_env_named(name, len, pass_env);
}

/*
 * cgi_pass_env_each callback for cgi_pass_env_check: -1 and *cause for an
 * entry that is no name, or could name a variable that is never passed.
 */
static int
cgi_pass_env_entry_check(const char *entry, size_t elen, void *arg)
{
	char		**cause = arg;
	const char	 *never;
	size_t		  i, plen;
	int		  prefix;

	prefix = elen > 0 && entry[elen - 1] == '*';
	plen = prefix ? elen - 1 : elen;
	if (!cgi_env_valid(entry, plen)) {
		xasprintf(cause, "pass_env: \"%.*s\" is not a variable name "
		    "(letters, digits and _, optionally ending in *)", (int)elen,
		    entry);
		return -1;
	}
	if (cgi_env_never(entry, plen)) {
		xasprintf(cause, "pass_env: %.*s is never passed to scripts "
		    "(a loader or interpreter hook, or sessionwrap's own)",
		    (int)elen, entry);
		return -1;
	}
	if (!prefix)
		return 0;
	/* A prefix must not cover a name or prefix that is never passed. */
	for (i = 0; i < NITEMS(cgi_env_never_names) +
	    NITEMS(cgi_env_never_prefixes); i++) {
		never = i < NITEMS(cgi_env_never_names) ?
		    cgi_env_never_names[i].name :
		    cgi_env_never_prefixes[i -
		    NITEMS(cgi_env_never_names)].name;
		if (strncmp(never, entry, plen) == 0) {
			xasprintf(cause, "pass_env: %.*s would also name %s%s, "
			    "which is never passed to scripts: name the "
			    "variables you need", (int)elen, entry, never,
			    i < NITEMS(cgi_env_never_names) ? "" : "*");
			return -1;
		}
	}
	return 0;
}

/* See cgi.h. */
int
cgi_pass_env_check(const char *pass_env, char **cause)
{
	return cgi_pass_env_each(pass_env, cgi_pass_env_entry_check, cause);
}
