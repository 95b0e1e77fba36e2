/*
 * aiohttp-session's session JSON, {"created": T, "session": {...}} as
 * json.dumps writes it, shared by cookie_format = aiohttp (a Fernet
 * cookie) and store_format = aiohttp (memcached items). sessionwrap's own
 * fields travel in one reserved key of the session mapping; the user in
 * user_key when it is set.
 */
#ifndef SW_SESSION_AIOHTTP_H
#define SW_SESSION_AIOHTTP_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "session.h"

/*
 * The reserved key: {"id", "ws_id", "login" (creation or last login: the
 * absolute expiry counts from it), "access", "user" (the user sessionwrap
 * last saw), "max_age"}. Python code may ignore it.
 */
#define SESSION_AIOHTTP_RESERVED	"sessionwrap"

/*
 * The JSON for a session (user in user_key, own fields reserved); with
 * `until` non-zero also "until": T beside "created", a server store's end
 * of grace for a replaced id (Python ignores it). Caller frees.
 */
char		*session_aiohttp_encode(const struct session *,
		    const struct config *, time_t);
/*
 * A session from aiohttp's JSON at `now`; `id` (may be NULL) is the id to
 * keep when the reserved key has none (a server store's item name). A
 * session without the reserved key, or whose user the Python side changed,
 * gets a fresh identity and is marked changed. "until" in *until (0:
 * none; may be NULL). NULL and *cause on bad input.
 */
struct session	*session_aiohttp_decode(const char *, size_t,
		    const struct config *, const char *, time_t, time_t *,
		    char **);

/*
 * The id a server store's cookie names in aiohttp's layouts: the value
 * itself when it can be one (base64url, which uuid4().hex is too, at most
 * 64 characters). 0 and *id (caller frees), or -1.
 */
int		 session_aiohttp_cookie_id(const char *, char **);

#endif
