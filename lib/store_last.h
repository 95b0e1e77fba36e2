/*
 * The session a connection loaded last, for its save in the same request:
 * its store key and the cookie it came with, so a save of the same id
 * computes neither again (two keyed hashes per request fewer).
 */
#ifndef SW_STORE_LAST_H
#define SW_STORE_LAST_H

/* What a load left for the save that follows it. */
struct store_last {
	char	*id;		/* the session id loaded; NULL: none */
	char	*key;		/* its full store key */
	char	*cookie;	/* its cookie, when the current key signed it */
};

/*
 * Remember a load of id at key (taken over); cookie (copied) only when
 * the current key signed it, else NULL.
 */
void		 store_last_set(struct store_last *, const char *, char *,
		    const char *);
/* The store key of id when it is the one loaded last, else NULL. */
const char	*store_last_key(const struct store_last *, const char *);
/*
 * The cookie for id (caller frees): the one it came with when it is the
 * id loaded last with a cookie of the current key, else signed anew.
 */
char		*store_last_cookie(const struct store_last *,
		    const struct keyring *, const char *);
/* Forget it (wiping the cookie). */
void		 store_last_clear(struct store_last *);

#endif
