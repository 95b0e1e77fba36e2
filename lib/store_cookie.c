/*
 * Client-side store: the whole session sealed in the cookie, in the layout
 * cookie_format names: sessionwrap's (AES-256-GCM, below) or aiohttp's
 * (Fernet, store_cookie_aiohttp.c).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cookie.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_cookie_int.h"
#include "xmalloc.h"

/*
 * What browsers must accept per cookie (RFC 6265 section 6.1: name, value
 * and attributes together).
 */
#define STORE_COOKIE_MAX	4096

/* Backend state: the format cookie_format names and what it opened. */
struct store_cookie_state {
	const struct store_cookie_format	*fmt;
	void					*priv;
};

/* The sessionwrap format needs the keyring alone. */
static int	 store_cookie_sw_state;

/* sessionwrap's format: refuse to start without a key, never invent one. */
static void *
store_cookie_sw_open(struct store *st, char **cause)
{
	if (st->keys == NULL || keyring_count(st->keys) == 0) {
		xasprintf(cause, "store = cookie needs secret_file (generate "
		    "one with: sessionwrap-ctl keygen > FILE)");
		return NULL;
	}
	return &store_cookie_sw_state;
}

/* Nothing to release. */
static void
store_cookie_sw_close(void *priv)
{
	(void)priv;
}

/* sessionwrap's format: AES-256-GCM bound to the cookie name. */
static struct session *
store_cookie_sw_unseal(struct store *st, void *priv, const char *cookie,
    time_t now)
{
	(void)priv;
	(void)now;
	struct session	*s;
	unsigned char	*pt;
	size_t		 len;
	char		*cause1 = NULL;

	if (crypto_open(st->keys, st->cfg->cookie_name, cookie, &pt, &len) != 0) {
		log_debug("%s: session cookie does not open", __func__);
		return NULL;
	}
	s = session_deserialize((const char *)pt, len, &cause1);
	crypto_wipe(pt, len);
	free(pt);
	/* The rules every store's sessions follow (deserialize applies them). */
	if (s != NULL && session_check(s, &cause1) != 0) {
		session_free(s);
		s = NULL;
	}
	if (s == NULL) {
		/* Not the cause: a JSON error may quote session data. */
		log_debug("%s: sealed session does not parse", __func__);
		free(cause1);
	}
	return s;
}

/* sessionwrap's format: seal session_serialize's JSON. */
static char *
store_cookie_sw_seal(struct store *st, void *priv, const struct session *s,
    time_t now, size_t *jsonlen)
{
	(void)priv;
	(void)now;
	char	*json, *sealed;

	json = session_serialize(s);
	*jsonlen = strlen(json);
	sealed = crypto_seal(st->keys, st->cfg->cookie_name, json, *jsonlen);
	crypto_wipe(json, *jsonlen);
	free(json);
	return sealed;
}

/* sessionwrap's own cookie layout. */
static const struct store_cookie_format store_cookie_sessionwrap = {
	/* cookie_format = sessionwrap (the default). */
	.name = "sessionwrap",
	/* At start-up: checks secret_file gave keys. */
	.open = store_cookie_sw_open,
	/* At exit: nothing to release. */
	.close = store_cookie_sw_close,
	/* Per request: AES-256-GCM open, then session_deserialize. */
	.unseal = store_cookie_sw_unseal,
	/* Per save: session_serialize, then AES-256-GCM. */
	.seal = store_cookie_sw_seal,
};

/* Take "cookie" and "cookie:..." store values. */
static int
store_cookie_match(const char *uri)
{
	return strcmp(uri, "cookie") == 0 || strncmp(uri, "cookie:", 7) == 0;
}

/* Open the format cookie_format names. */
static void *
store_cookie_open(struct store *st, char **cause)
{
	struct store_cookie_state	*cs;
	void				*priv;
	const struct store_cookie_format *fmt = &store_cookie_sessionwrap;

	if (st->cfg->cookie_format == FORMAT_AIOHTTP)
		fmt = &store_cookie_aiohttp;
	if ((priv = fmt->open(st, cause)) == NULL)
		return NULL;
	cs = xcalloc(1, sizeof *cs);
	cs->fmt = fmt;
	cs->priv = priv;
	return cs;
}

/* Release the format's state. */
static void
store_cookie_close(void *priv)
{
	struct store_cookie_state	*cs = priv;

	cs->fmt->close(cs->priv);
	free(cs);
}

/* No connection: every thread shares the immutable keys. */
static void *
store_cookie_conn_new(struct store *st, char **cause)
{
	(void)cause;
	return st->priv;
}

/* Nothing to release. */
static void
store_cookie_conn_free(void *conn)
{
	(void)conn;
}

/* Open the cookie and parse the session; anything wrong is STORE_NOTFOUND. */
static enum store_result
store_cookie_load(struct store *st, void *conn, const char *cookie,
    time_t now, struct session **out, char **cause)
{
	(void)cause;
	struct store_cookie_state	*cs = conn;
	struct session			*s;

	*out = NULL;
	if (cookie == NULL ||
	    (s = cs->fmt->unseal(st, cs->priv, cookie, now)) == NULL)
		return STORE_NOTFOUND;
	if (session_expired(s, st->cfg, now)) {
		log_debug("%s: session in cookie has expired", __func__);
		session_free(s);
		return STORE_NOTFOUND;
	}
	/* Versions mean nothing client-side; non-zero says "was stored". */
	s->version = 1;
	*out = s;
	return STORE_OK;
}

/*
 * Seal the session into a new cookie value. `cas` is ignored: the client
 * holds the only copy, so concurrent requests are last write wins.
 */
static enum store_result
store_cookie_save(struct store *st, void *conn, struct session *s, int cas,
    time_t now, char **cookie, char **cause)
{
	(void)cas;
	struct store_cookie_state	*cs = conn;
	const struct config		*cfg = st->cfg;
	struct cookie_attrs		 attrs;
	char				*sealed, *header;
	size_t				 jsonlen, total;

	*cookie = NULL;
	sealed = cs->fmt->seal(st, cs->priv, s, now, &jsonlen);

	/* Measure the largest Set-Cookie this value can go out in. */
	memset(&attrs, 0, sizeof attrs);
	attrs.name = cfg->cookie_name;
	attrs.path = cfg->cookie_path;
	attrs.domain = cfg->cookie_domain;
	attrs.secure = 1;
	attrs.httponly = 1;
	attrs.samesite = cfg->cookie_samesite;
	attrs.max_age = session_idle_timeout(s, cfg);
	if (attrs.max_age <= 0)
		attrs.max_age = -1;
	attrs.now = now;
	header = cookie_build(&attrs, sealed);
	total = strlen(header);
	free(header);
	if (total > STORE_COOKIE_MAX || strlen(sealed) > COOKIE_MAX_VALUE) {
		xasprintf(cause, "session cookie would be %zu bytes with its "
		    "attributes (session %zu bytes), over the %d bytes browsers "
		    "must accept; store less or use a server-side store",
		    total, jsonlen, STORE_COOKIE_MAX);
		free(sealed);
		return STORE_TOOBIG;
	}

	s->version++;
	*cookie = sealed;
	return STORE_OK;
}

/* Nothing is kept server-side; the caller expires the cookie. */
static enum store_result
store_cookie_destroy(struct store *st, void *conn, const char *id, long grace,
    time_t now, char **cause)
{
	(void)st;
	(void)conn;
	(void)id;
	(void)grace;
	(void)now;
	(void)cause;
	return STORE_OK;
}

const struct store_ops store_cookie_ops = {
	/* Name in store_names() and in messages. */
	.name = "cookie",
	/* At start-up: "cookie" or "cookie:...". */
	.match = store_cookie_match,
	/* The session lives in the cookie; nothing server-side to lock or purge. */
	.client_side = 1,
	/* At start-up: opens cookie_format's keys (secret_file, fernet_key_file). */
	.open = store_cookie_open,
	/* At exit: releases the format's keys. */
	.close = store_cookie_close,
	/* Per worker thread: no connection, the shared format state. */
	.conn_new = store_cookie_conn_new,
	/* When a worker thread exits: nothing to release. */
	.conn_free = store_cookie_conn_free,
	/* Per request: opens the sealed value; forged or expired is NOTFOUND. */
	.load = store_cookie_load,
	/* Per changed session: seals it; over 4 KB is STORE_TOOBIG, never cut. */
	.save = store_cookie_save,
	/* On logout: nothing server-side, the cookie is expired by the caller. */
	.destroy = store_cookie_destroy,
	/* No locking: the client holds the only copy (last write wins). */
	.lock = NULL,
	/* Nothing locked, nothing to release. */
	.unlock = NULL,
	/*
	 * No admin operations: nothing stored server-side to purge, revoke
	 * (sessions end by timeout or a new secret_file key) or look up.
	 */
	.admin = NULL,
};
