/*
 * What the cookie store's files share: the layout a session takes in the
 * cookie (cookie_format), sessionwrap's in store_cookie.c, aiohttp-session's
 * in store_cookie_aiohttp.c.
 */
#ifndef SW_STORE_COOKIE_INT_H
#define SW_STORE_COOKIE_INT_H

#include <stddef.h>
#include <time.h>

#include "session.h"
#include "store.h"

/* How a session becomes a cookie value and back. */
struct store_cookie_format {
	/* cookie_format's value; for messages. */
	const char	*name;
	/*
	 * Called once at start-up: load and check the keys the format needs.
	 * Its state (the format's until close), or NULL and *cause.
	 */
	void		*(*open)(struct store *, char **);
	/* Called once at exit with what open returned; frees it. */
	void		 (*close)(void *);
	/*
	 * Called per request with the cookie value: the session it holds
	 * (caller frees; expiry not yet checked) or NULL for anything forged,
	 * undecodable or invalid, never saying why to the client.
	 */
	struct session	*(*unseal)(struct store *, void *, const char *, time_t);
	/*
	 * Called per save: the sealed cookie value (caller frees); the
	 * plaintext's length in *len for messages.
	 */
	char		*(*seal)(struct store *, void *, const struct session *,
			    time_t, size_t *);
};

/* cookie_format = aiohttp: aiohttp-session's EncryptedCookieStorage. */
extern const struct store_cookie_format store_cookie_aiohttp;

#endif
