/* Session store selection and helpers shared by the backends. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "store.h"
#include "store_admin.h"
#include "xmalloc.h"

/* Signed cookie ids: "id.mac", mac = base64url of 16 bytes of HMAC. */
#define STORE_ID_LEN	((SESSION_ID_BYTES * 4 + 2) / 3)
#define STORE_MAC_BYTES	16
#define STORE_MAC_LEN	((STORE_MAC_BYTES * 4 + 2) / 3)
/* Hex characters of a store key (store_key: SHA-256). */
#define STORE_KEY_HEX	64

/* Backends built in, tried in order; each only where configure found it. */
static const struct store_ops *const store_table[] = {
	&store_cookie_ops,
#ifdef HAVE_POSTGRESQL
	&store_pg_ops,
#endif
#ifdef HAVE_MEMCACHED
	&store_memcached_ops,
#endif
#ifdef HAVE_REDIS
	&store_redis_ops,
#endif
};
#define STORE_NTABLE	(sizeof store_table / sizeof store_table[0])

static pthread_once_t	 store_names_once = PTHREAD_ONCE_INIT;
static char		 store_names_buf[256];

/* Fill store_names_buf once. */
static void
store_names_init(void)
{
	size_t	 i;

	for (i = 0; i < STORE_NTABLE; i++) {
		if (i != 0)
			strncat(store_names_buf, " ", sizeof store_names_buf -
			    strlen(store_names_buf) - 1);
		strncat(store_names_buf, store_table[i]->name,
		    sizeof store_names_buf - strlen(store_names_buf) - 1);
	}
}

/* Names of the backends built in, space separated. */
const char *
store_names(void)
{
	pthread_once(&store_names_once, store_names_init);
	return store_names_buf;
}

static int	 store_layout_check(const struct config *,
		    const struct store_ops *, char **);

/* Pick the backend for cfg->store (with cfg->cache, the tier) and open it. */
struct store *
store_open(const struct config *cfg, const struct keyring *keys, char **cause)
{
	const struct store_ops	*ops = NULL;
	const char		*uri = cfg->store != NULL ? cfg->store : "cookie";
	struct store		*st;
	size_t			 i, schemelen;

	if (cfg->cache != NULL) {
#if defined(HAVE_POSTGRESQL) && defined(HAVE_MEMCACHED)
		ops = &store_cache_ops;	/* it checks store and cache itself */
#else
		xasprintf(cause, "cache = memcached://...: not built in (needs "
		    "both PostgreSQL and memcached; built in: %s)",
		    store_names());
		return NULL;
#endif
	}
	for (i = 0; ops == NULL && i < STORE_NTABLE; i++) {
		if (store_table[i]->match(uri)) {
			ops = store_table[i];
			break;
		}
	}
	if (ops == NULL) {
		/* Only the scheme: the rest may hold a password. */
		schemelen = strcspn(uri, ":");
		xasprintf(cause, "store = %.*s%s: not a known or built-in store "
		    "(built in: %s)", (int)schemelen, uri,
		    uri[schemelen] != '\0' ? ":..." : "", store_names());
		return NULL;
	}

	if (store_layout_check(cfg, ops, cause) != 0)
		return NULL;

	st = xcalloc(1, sizeof *st);
	st->ops = ops;
	st->cfg = cfg;
	st->keys = keys;
	if ((st->priv = ops->open(st, cause)) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

/*
 * Sharing sessions with Python apps: aiohttp's layouts exist for the
 * cookie store (cookie_format), memcached and Redis (store_format), and
 * user_key means something only with one of them. 0, or -1 and *cause.
 */
static int
store_layout_check(const struct config *cfg, const struct store_ops *ops,
    char **cause)
{
	if (cfg->cookie_format == FORMAT_AIOHTTP && !ops->client_side) {
		xasprintf(cause, "cookie_format = aiohttp is for store = cookie "
		    "(a memcached store takes store_format = aiohttp)");
		return -1;
	}
	if (cfg->store_format == FORMAT_AIOHTTP &&
	    strcmp(ops->name, "memcached") != 0 &&
	    strcmp(ops->name, "redis") != 0) {
		xasprintf(cause, "store_format = aiohttp: aiohttp-session's "
		    "layouts are built for store = memcached://... and "
		    "redis://... only, not for the %s store", ops->name);
		return -1;
	}
	if (cfg->user_key != NULL && cfg->cookie_format != FORMAT_AIOHTTP &&
	    cfg->store_format != FORMAT_AIOHTTP) {
		xasprintf(cause, "user_key needs cookie_format = aiohttp or "
		    "store_format = aiohttp");
		return -1;
	}
	return 0;
}

/* Close the backend and free the store. */
void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->ops->close != NULL)
		st->ops->close(st->priv);
	free(st);
}

/* The admin operations of the store's backend; NULL when it has none. */
const struct store_admin_ops *
store_admin(const struct store *st)
{
	return st->ops->admin;
}

/* A short text for a result, for logs. */
const char *
store_result_str(enum store_result r)
{
	switch (r) {
	case STORE_OK:
		return "ok";
	case STORE_NOTFOUND:
		return "not found";
	case STORE_CONFLICT:
		return "conflict";
	case STORE_TOOBIG:
		return "too big";
	case STORE_TIMEOUT:
		return "timeout";
	case STORE_ERROR:
		return "error";
	}
	return "unknown";
}

/* Cookie value for a server-side session: "id.mac" with the current key. */
char *
store_sign_id(const struct keyring *keys, const char *id)
{
	unsigned char	 mac[CRYPTO_MAC_LEN];
	char		*m, *out;

	crypto_mac(keys, CRYPTO_SIGN, id, strlen(id), mac);
	m = b64url_encode(mac, STORE_MAC_BYTES);
	xasprintf(&out, "%s.%s", id, m);
	crypto_wipe(mac, sizeof mac);
	free(m);
	return out;
}

/* Verify "id.mac" against every key; 0 and *id (caller frees) when genuine. */
int
store_verify_id(const struct keyring *keys, const char *value, char **id)
{
	return store_verify_id_key(keys, value, id) == -1 ? -1 : 0;
}

/*
 * Verify "id.mac"; the index of the key that signed it (0: the current
 * one) and *id (caller frees) when genuine, else -1.
 */
int
store_verify_id_key(const struct keyring *keys, const char *value, char **id)
{
	unsigned char	*mac;
	size_t		 maclen;
	int		 rc;

	*id = NULL;
	if (value == NULL || strlen(value) != STORE_ID_LEN + 1 + STORE_MAC_LEN ||
	    value[STORE_ID_LEN] != '.' || !b64url_valid(value, STORE_ID_LEN))
		return -1;
	if (b64url_decode(value + STORE_ID_LEN + 1, STORE_MAC_LEN, &mac,
	    &maclen) != 0)
		return -1;
	rc = -1;
	if (maclen == STORE_MAC_BYTES)
		rc = crypto_mac_verify_key(keys, CRYPTO_SIGN, value,
		    STORE_ID_LEN, mac, maclen);
	free(mac);
	if (rc != -1)
		*id = xstrndup(value, STORE_ID_LEN);
	return rc;
}

/*
 * A session loaded with a cookie signed by an older key: have the request
 * save it (under the current key's store key, which the load moved it to)
 * and send the cookie signed with the current key, so that it survives
 * when the old key is dropped. id_changed is what makes the request send
 * a cookie; the id itself stays, and there is no old_id to destroy.
 */
void
store_rekeyed(struct session *s, int keyidx)
{
	if (keyidx > 0) {
		s->id_changed = 1;
		s->changed = 1;
	}
}

/* A session a server store read back, checked by the rules of every store. */
struct session *
store_checked(struct session *s, char **cause)
{
	char	*why;

	if (session_check(s, &why) == 0)
		return s;
	session_free(s);
	xasprintf(cause, "stored session is not in the expected form (%s)",
	    why);
	free(why);
	return NULL;
}

/* Keyed hash of a session id for use as the store key (64 hex chars). */
char *
store_key(const struct keyring *keys, const char *id)
{
	return crypto_mac_hex(keys, CRYPTO_STOREKEY, id, 64);
}

/* Store key under the n-th key, to find sessions saved before a rotation. */
char *
store_key_n(const struct keyring *keys, size_t n, const char *id)
{
	return crypto_mac_hex_key(keys, n, CRYPTO_STOREKEY, id, 64);
}

/*
 * Public SESSION_ID for the handler (32 hex chars, never the cookie value):
 * a hash of the secret id alone, so that it stays the same across key
 * rotations. The id holds 144 random bits: the hash does not lead back to
 * it, and without a key the store key and the cookie's MAC stay unknown.
 */
char *
store_public_id(const struct keyring *keys, const char *id)
{
	(void)keys;
	return crypto_hash_hex("sessionwrap public v2", id, 32);
}

/* True when s[0..len) is a store key (lowercase hex of store_key's length). */
int
store_key_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len != STORE_KEY_HEX)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* A server store's key prefix: printable, without spaces, at most 128. */
int
store_prefix_ok(const char *p)
{
	size_t	 n;

	for (n = 0; p[n] != '\0'; n++) {
		if (p[n] <= ' ' || p[n] > '~')
			return 0;
	}
	return n <= 128;
}
