/* The memcached store's stored form of a session (JSON), and its parser. */
#include "autoconf.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>
#include <jansson.h>

#include "buf.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "store_memcached.h"
#include "store_memcached_int.h"
#include "xmalloc.h"

/*
 * The stored form: the session without its secret id, plus grace end and,
 * in the cache tier, the PostgreSQL version (0: none).
 */
char *
mc_value_ver(const struct session *s, time_t until, uint64_t version)
{
	json_t		*o;
	char		*text;

	o = json_pack("{s:i, s:O, s:s*, s:s*, s:I, s:I, s:I}",
	    "v", 1,
	    "data", s->data,
	    "user", s->user,
	    "ws_id", s->ws_id,
	    "created", (json_int_t)s->created,
	    "access", (json_int_t)s->access,
	    "max_age", (json_int_t)s->max_age);
	if (o == NULL)
		return NULL;
	if (until != 0)
		json_object_set_new(o, "until", json_integer(until));
	if (version != 0)
		json_object_set_new(o, "ver",
		    json_integer((json_int_t)version));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* The stored form of the memcached store itself, in store_format's layout. */
char *
mc_value(struct store *st, const struct session *s, time_t until)
{
	if (mc_aiohttp_on(st))
		return mc_aiohttp_value(st, s, until);
	return mc_value_ver(s, until, 0);
}

/* The cache tier's stored form: with the PostgreSQL version. */
char *
store_memcached_value(const struct session *s, time_t until, uint64_t version)
{
	return mc_value_ver(s, until, version);
}

/*
 * Parse the stored form back into a session; takes ownership of id. The
 * version, when ver is not NULL, is 0 when absent.
 */
struct session *
mc_value_parse_ver(const char *value, size_t len, char *id, time_t now,
    time_t *until, uint64_t *ver, char **cause)
{
	(void)now;
	struct session	*s;
	json_t		*o, *data = NULL;
	json_error_t	 jerr;
	const char	*user = NULL, *ws_id = NULL;
	json_int_t	 v = 0, created = 0, access = 0, max_age = 0, u = 0;
	json_int_t	 pgv = 0;

	o = json_loadb(value, len, 0, &jerr);
	if (o == NULL || json_unpack_ex(o, &jerr, 0,
	    "{s:I, s:o, s?:s, s?:s, s:I, s:I, s:I, s?:I, s?:I}",
	    "v", &v, "data", &data, "user", &user, "ws_id", &ws_id,
	    "created", &created, "access", &access, "max_age", &max_age,
	    "until", &u, "ver", &pgv) != 0 || v != 1 ||
	    !json_is_object(data) || pgv < 0 ||
	    /* Times in range: the expiry arithmetic must not overflow. */
	    created < 0 || created > SESSION_NEVER || access < 0 ||
	    access > SESSION_NEVER || max_age < 0 || max_age > SESSION_NEVER ||
	    u < 0 || u > SESSION_NEVER) {
		json_decref(o);
		free(id);
		*cause = xstrdup("stored session is not in the expected form");
		return NULL;
	}
	s = session_from_store(id, ws_id != NULL ? xstrdup(ws_id) : NULL,
	    json_incref(data));
	s->user = user != NULL ? xstrdup(user) : NULL;
	s->created = (time_t)created;
	s->access = (time_t)access;
	s->max_age = (long)max_age;
	s->is_new = 0;
	s->changed = 0;
	json_decref(o);
	/* What it holds, by the rules every store's sessions follow. */
	if ((s = store_checked(s, cause)) == NULL)
		return NULL;
	*until = (time_t)u;
	if (ver != NULL)
		*ver = (uint64_t)pgv;
	return s;
}

/* Parse the memcached store's stored form. */
struct session *
mc_value_parse(struct store *st, const char *value, size_t len, char *id,
    time_t now, time_t *until, char **cause)
{
	if (mc_aiohttp_on(st))
		return mc_aiohttp_parse(st, value, len, id, now, until, cause);
	return mc_value_parse_ver(value, len, id, now, until, NULL, cause);
}

/* Parse the cache tier's stored form, with its PostgreSQL version. */
struct session *
store_memcached_parse(const char *value, size_t len, char *id, time_t now,
    time_t *until, uint64_t *version, char **cause)
{
	return mc_value_parse_ver(value, len, id, now, until, version, cause);
}

/* Only the PostgreSQL version of a stored form; -1 when it has none. */
int
store_memcached_version(const char *value, size_t len, uint64_t *version)
{
	json_t		*o;
	json_error_t	 jerr;
	json_int_t	 v = 0;
	int		 rc;

	o = json_loadb(value, len, 0, &jerr);
	rc = o != NULL &&
	    json_unpack_ex(o, &jerr, 0, "{s:I}", "ver", &v) == 0 && v > 0 ?
	    0 : -1;
	json_decref(o);
	*version = rc == 0 ? (uint64_t)v : 0;
	return rc;
}
