/*
 * store_format = aiohttp for the memcached store: aiohttp-session's
 * MemcachedStorage layout. The cookie holds the id itself (not signed),
 * the item key is <cookie_name>_<id>, the value aiohttp's session JSON
 * (session_aiohttp.c).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "session_aiohttp.h"
#include "store.h"
#include "store_memcached_int.h"
#include "xmalloc.h"

/* True when the store keeps aiohttp's layout. */
int
mc_aiohttp_on(const struct store *st)
{
	return st->cfg->store_format == FORMAT_AIOHTTP;
}

/* The item key aiohttp uses: cookie name, "_", the id. */
char *
mc_aiohttp_key(struct store *st, const char *id)
{
	char	*key;

	xasprintf(&key, "%s_%s", st->cfg->cookie_name, id);
	return key;
}

/* The value: aiohttp's JSON, "until" beside "created" when doomed. */
char *
mc_aiohttp_value(struct store *st, const struct session *s, time_t until)
{
	return session_aiohttp_encode(s, st->cfg, until);
}

/* Parse a value; takes ownership of id. */
struct session *
mc_aiohttp_parse(struct store *st, const char *value, size_t len, char *id,
    time_t now, time_t *until, char **cause)
{
	struct session	*s;
	char		*why = NULL;

	s = session_aiohttp_decode(value, len, st->cfg, id, now, until, &why);
	free(id);
	if (s == NULL) {
		/* Not the reason: a JSON error may quote session data. */
		free(why);
		*cause = xstrdup("stored session is not aiohttp's JSON");
	}
	return s;
}
