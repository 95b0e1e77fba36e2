/*
 * The Redis store's stored form of a session: the fields of a hash (see
 * store_redis_int.h), written from a session and parsed back into one that
 * store_checked (session_check) accepts, or refused.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>
#include <jansson.h>

#include "session.h"
#include "store.h"
#include "store_redis_int.h"
#include "xmalloc.h"

const char *const rd_value_names[RD_NFIELDS] = {
	"v", "u", "i", "w", "n", "c", "a", "m", "d"
};

/* A decimal integer in [0, max] of exactly len bytes; -1 when not one. */
int
rd_value_int(const char *s, size_t len, long long max, long long *out)
{
	long long	 n = 0;
	size_t		 i;

	if (s == NULL || len == 0 || len > 18 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

/* Fill v from an HMGET reply of rd_value_names; -1 when it is not one. */
int
rd_value_from_reply(const redisReply *r, struct rd_value *v)
{
	size_t	 i;

	memset(v, 0, sizeof *v);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != RD_NFIELDS)
		return -1;
	for (i = 0; i < RD_NFIELDS; i++) {
		if (r->element[i]->type == REDIS_REPLY_NIL)
			continue;
		if (r->element[i]->type != REDIS_REPLY_STRING)
			return -1;
		v->f[i] = r->element[i]->str;
		v->len[i] = r->element[i]->len;
	}
	return 0;
}

/* A field that holds text without NUL bytes, copied; NULL when absent. */
static char *
rd_value_str(const struct rd_value *v, int f, int *bad)
{
	if (v->f[f] == NULL)
		return NULL;
	if (memchr(v->f[f], '\0', v->len[f]) != NULL) {
		*bad = 1;
		return NULL;
	}
	return xstrndup(v->f[f], v->len[f]);
}

/*
 * Parse a stored session's fields into a session (takes ownership of id),
 * checked by the rules every store's sessions follow: NULL and *cause when
 * they are not one.
 */
struct session *
rd_value_parse(const struct rd_value *v, char *id, uint64_t *version,
    time_t *until, char **cause)
{
	struct session	*s;
	json_t		*data;
	json_error_t	 jerr;
	long long	 ver, u, c, a, m;
	char		*ws_id, *user;
	int		 bad = 0;

	if (rd_value_int(v->f[RD_F_VER], v->len[RD_F_VER], INT64_MAX / 2,
	    &ver) != 0 || ver == 0 ||
	    rd_value_int(v->f[RD_F_UNTIL], v->len[RD_F_UNTIL], SESSION_NEVER,
	    &u) != 0 ||
	    rd_value_int(v->f[RD_F_CREATED], v->len[RD_F_CREATED],
	    SESSION_NEVER, &c) != 0 ||
	    rd_value_int(v->f[RD_F_ACCESS], v->len[RD_F_ACCESS],
	    SESSION_NEVER, &a) != 0 ||
	    rd_value_int(v->f[RD_F_MAXAGE], v->len[RD_F_MAXAGE],
	    SESSION_NEVER, &m) != 0 || v->f[RD_F_WS] == NULL ||
	    v->f[RD_F_DATA] == NULL)
		goto fail;
	data = json_loadb(v->f[RD_F_DATA], v->len[RD_F_DATA],
	    JSON_REJECT_DUPLICATES, &jerr);
	if (data == NULL || !json_is_object(data)) {
		json_decref(data);
		goto fail;
	}
	ws_id = rd_value_str(v, RD_F_WS, &bad);
	user = rd_value_str(v, RD_F_USER, &bad);
	if (bad) {
		free(ws_id);
		free(user);
		json_decref(data);
		goto fail;
	}
	s = session_from_store(id, ws_id, data);
	s->user = user;
	s->created = (time_t)c;
	s->access = (time_t)a;
	s->max_age = (long)m;
	s->is_new = 0;
	s->changed = 0;
	/* What it holds, by the rules every store's sessions follow. */
	if ((s = store_checked(s, cause)) == NULL)
		return NULL;
	s->version = (uint64_t)ver;
	*version = (uint64_t)ver;
	*until = (time_t)u;
	return s;

fail:
	free(id);
	*cause = xstrdup("stored session is not in the expected form");
	return NULL;
}

/*
 * The HSET pairs of a session from argv[at]: w, n (when logged in), c, a,
 * m, d. *data is the data JSON (caller frees), the numbers go into num[];
 * returns the new count, or -1 when the data cannot be serialized.
 */
int
rd_value_fields(const struct session *s, const char **argv, size_t *argvlen,
    int at, char **data, char num[3][24])
{
	int	 i, start = at;

	if ((*data = json_dumps(s->data, JSON_COMPACT)) == NULL)
		return -1;
	snprintf(num[0], sizeof num[0], "%lld", (long long)s->created);
	snprintf(num[1], sizeof num[1], "%lld", (long long)s->access);
	snprintf(num[2], sizeof num[2], "%ld", s->max_age);
	argv[at++] = "w";
	argv[at++] = s->ws_id;
	if (s->user != NULL) {
		argv[at++] = "n";
		argv[at++] = s->user;
	}
	argv[at++] = "c";
	argv[at++] = num[0];
	argv[at++] = "a";
	argv[at++] = num[1];
	argv[at++] = "m";
	argv[at++] = num[2];
	argv[at++] = "d";
	argv[at++] = *data;
	for (i = start; i < at; i++)
		argvlen[i] = strlen(argv[i]);
	return at;
}
