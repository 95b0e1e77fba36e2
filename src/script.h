/* Which script a request runs: the fixed handler, or a name confined to script_root. */
#ifndef SW_SCRIPT_H
#define SW_SCRIPT_H

struct sw;

/* Look up a variable the web server sent (NULL: not sent). */
typedef const char *(*script_getenv_fn)(void *, const char *);

/*
 * Find the script: the fixed handler, or SCRIPT_FILENAME (PATH_TRANSLATED
 * under Apache's Action, SCRIPT_NAME below the root as a last resort)
 * confined to script_root, an executable regular file. 0 with *script
 * (the caller frees it), or the HTTP status to answer with.
 */
int	 script_pick(const struct sw *, script_getenv_fn, void *, char **);

#endif
