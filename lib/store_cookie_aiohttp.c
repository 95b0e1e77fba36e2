/*
 * cookie_format = aiohttp: the session as aiohttp-session's
 * EncryptedCookieStorage keeps it, a Fernet token (fernet.c) of
 * {"created": T, "session": {...}} (session_aiohttp.c).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "fernet.h"
#include "log.h"
#include "session.h"
#include "session_aiohttp.h"
#include "store.h"
#include "store_cookie_int.h"
#include "xmalloc.h"

/* Load fernet_key_file; refuse to start without it. */
static void *
store_cookie_aiohttp_open(struct store *st, char **cause)
{
	struct fernet_keys	*fk;
	char			*cause1 = NULL;

	if (st->cfg->fernet_key_file == NULL) {
		xasprintf(cause, "cookie_format = aiohttp needs fernet_key_file "
		    "(the key of the Python app's EncryptedCookieStorage, as "
		    "Fernet.generate_key() makes it)");
		return NULL;
	}
	if ((fk = fernet_keys_load(st->cfg->fernet_key_file, &cause1)) == NULL) {
		xasprintf(cause, "fernet_key_file: %s", cause1);
		free(cause1);
	}
	return fk;
}

/* Wipe the keys. */
static void
store_cookie_aiohttp_close(void *priv)
{
	fernet_keys_free(priv);
}

/*
 * Open a Fernet token (any key; stamped at most 60 s ahead) and parse
 * aiohttp's JSON. The token's stamp is the last time either side saved.
 */
static struct session *
store_cookie_aiohttp_unseal(struct store *st, void *priv, const char *cookie,
    time_t now)
{
	struct session	*s;
	unsigned char	*pt;
	size_t		 len;
	time_t		 stamp;
	char		*cause = NULL;
	int		 keyidx;

	keyidx = fernet_decrypt(priv, cookie, strlen(cookie), 0, now, &pt, &len,
	    &stamp);
	if (keyidx == -1) {
		log_debug("%s: Fernet token does not open", __func__);
		return NULL;
	}
	s = session_aiohttp_decode((const char *)pt, len, st->cfg, NULL, now,
	    NULL, &cause);
	crypto_wipe(pt, len);
	free(pt);
	if (s == NULL) {
		/* Not the cause: a JSON error may quote session data. */
		log_debug("%s: aiohttp session does not parse", __func__);
		free(cause);
		return NULL;
	}
	/* Whoever saved last, the stamp says when: the idle clock runs from it. */
	s->access = stamp < now ? stamp : now;
	if (keyidx > 0)
		store_rekeyed(s, keyidx);
	return s;
}

/* Seal aiohttp's JSON of the session as a Fernet token stamped now. */
static char *
store_cookie_aiohttp_seal(struct store *st, void *priv,
    const struct session *s, time_t now, size_t *jsonlen)
{
	char	*json, *token;

	json = session_aiohttp_encode(s, st->cfg, 0);
	*jsonlen = strlen(json);
	token = fernet_encrypt(priv, json, *jsonlen, now);
	crypto_wipe(json, *jsonlen);
	free(json);
	return token;
}

const struct store_cookie_format store_cookie_aiohttp = {
	/* cookie_format = aiohttp. */
	.name = "aiohttp",
	/* At start-up: loads fernet_key_file. */
	.open = store_cookie_aiohttp_open,
	/* At exit: wipes the Fernet keys. */
	.close = store_cookie_aiohttp_close,
	/* Per request: Fernet open (rotation aware), then aiohttp's JSON. */
	.unseal = store_cookie_aiohttp_unseal,
	/* Per save: aiohttp's JSON, then Fernet under the first key. */
	.seal = store_cookie_aiohttp_seal,
};
