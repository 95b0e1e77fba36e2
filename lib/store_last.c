/*
 * The session a connection loaded last (store_last.h): the server-side
 * stores keep it per worker connection between a load and its save.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "store.h"
#include "store_last.h"
#include "xmalloc.h"

/* Remember a load of id at key (taken over), with its current cookie. */
void
store_last_set(struct store_last *l, const char *id, char *key,
    const char *cookie)
{
	store_last_clear(l);
	l->id = xstrdup(id);
	l->key = key;
	l->cookie = cookie != NULL ? xstrdup(cookie) : NULL;
}

/* The store key of id when it is the one loaded last, else NULL. */
const char *
store_last_key(const struct store_last *l, const char *id)
{
	if (l->id == NULL || strcmp(l->id, id) != 0)
		return NULL;
	return l->key;
}

/* The cookie for id: the one it came with, or signed anew. */
char *
store_last_cookie(const struct store_last *l, const struct keyring *keys,
    const char *id)
{
	if (l->cookie != NULL && store_last_key(l, id) != NULL)
		return xstrdup(l->cookie);
	return store_sign_id(keys, id);
}

/* Forget the session loaded last. */
void
store_last_clear(struct store_last *l)
{
	free(l->id);
	free(l->key);
	if (l->cookie != NULL) {
		crypto_wipe(l->cookie, strlen(l->cookie));
		free(l->cookie);
	}
	l->id = l->key = l->cookie = NULL;
}
