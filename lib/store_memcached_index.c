/*
 * The memcached store's per-user index, for revoke --user: chunks of at most
 * MC_INDEX_MAX store keys, "until hash hash ...", under u:HASH, u:HASH:1, ...
 */
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
 * The full key of chunk `chunk` of a user's index under the keyidx-th key
 * (a keyed hash: names stay out of keys). Chunk 0 has the key the index
 * always had; chunks 1... follow it when it is full.
 */
char *
mc_index_key(struct store *st, size_t keyidx, const char *user, int chunk)
{
	struct mc_store	*ms = st->priv;
	char		*tmp, *hash, *key;

	xasprintf(&tmp, "user\n%s", user);
	hash = store_key_n(st->keys, keyidx, tmp);
	free(tmp);
	if (chunk == 0)
		xasprintf(&key, "%su:%s", ms->prefix, hash);
	else
		xasprintf(&key, "%su:%s:%d", ms->prefix, hash, chunk);
	free(hash);
	return key;
}

/*
 * Parse one chunk of a user index, "until hash hash ...": *until and the
 * store keys in *hashes (NULL-terminated, caller frees each and the array),
 * their count in *n. Tokens that are not store keys are skipped and counted
 * in *bad. -1 when it does not start with a time (not an index).
 */
int
mc_index_parse(const char *value, size_t len, long long *until,
    char ***hashes, size_t *n, size_t *bad)
{
	const char	*p = value, *end = value + len, *tok;
	long long	 t = 0;
	int		 digits = 0;

	*until = 0;
	*hashes = NULL;
	*n = *bad = 0;
	while (p < end && *p >= '0' && *p <= '9' && digits < 18) {
		t = t * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || (p < end && *p != ' '))
		return -1;
	*until = t;
	*hashes = xcalloc(1, sizeof **hashes);
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		for (tok = p; p < end && *p != ' '; p++)
			/* nothing */;
		if (!store_key_ok(tok, p - tok)) {
			(*bad)++;
			continue;
		}
		*hashes = xreallocarray(*hashes, *n + 2, sizeof **hashes);
		(*hashes)[(*n)++] = xstrndup(tok, p - tok);
		(*hashes)[*n] = NULL;
	}
	return 0;
}

/* Free what mc_index_parse returned. */
void
mc_index_free(char **hashes)
{
	size_t	 i;

	for (i = 0; hashes != NULL && hashes[i] != NULL; i++)
		free(hashes[i]);
	free(hashes);
}

/*
 * Add a store key to chunk `chunk` of a user index when it has room: 1 when
 * added, 0 when full (its end pushed to `expires` first: a chunk never ends
 * before a later one, so revoke finds them all from chunk 0), -1 when
 * memcached failed.
 */
static int
mc_index_add_chunk(struct store *st, struct mc_conn *mcc, const char *user,
    int chunk, const char *hash, time_t expires, time_t now)
{
	memcached_return_t rc;
	struct buf	 b;
	char		*ikey, *old, *value, **hashes;
	size_t		 len, n, bad, skip;
	uint64_t	 cas;
	long long	 until;
	int		 try, full, ret = -1;

	ikey = mc_index_key(st, 0, user, chunk);
	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, ikey, &old, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND) {
			xasprintf(&value, "%lld %s", (long long)expires, hash);
			rc = memcached_add(mcc->mc, ikey, strlen(ikey), value,
			    strlen(value), mc_exptime(expires, now), 0);
			free(value);
			if (rc == MEMCACHED_SUCCESS) {
				ret = 1;
				break;
			}
			if (rc == MEMCACHED_NOTSTORED ||
			    rc == MEMCACHED_DATA_EXISTS)
				continue;	/* another login made it */
			break;
		}
		if (rc != MEMCACHED_SUCCESS)
			break;
		if (mc_index_parse(old, len, &until, &hashes, &n, &bad) != 0) {
			/* Not an index: start it again. */
			until = 0;
			n = 0;
			hashes = NULL;
			free(old);
			old = xstrdup("0");
			len = 1;
		}
		mc_index_free(hashes);
		full = n + bad >= MC_INDEX_MAX;
		if (full && until >= expires) {
			free(old);
			ret = 0;
			break;
		}
		if (until < expires)
			until = expires;
		/* The entries as they are (a NUL too), behind the new end. */
		skip = strspn(old, "0123456789");
		buf_init(&b);
		buf_printf(&b, "%lld", until);
		buf_add(&b, old + skip, len - skip);
		if (!full)
			buf_printf(&b, " %s", hash);
		free(old);
		rc = memcached_cas(mcc->mc, ikey, strlen(ikey), b.data, b.len,
		    mc_exptime(until, now), 0, cas);
		buf_free(&b);
		if (rc == MEMCACHED_SUCCESS) {
			ret = full ? 0 : 1;
			break;
		}
		if (rc != MEMCACHED_DATA_EXISTS && rc != MEMCACHED_NOTSTORED &&
		    rc != MEMCACHED_NOTFOUND)
			break;
	}
	if (ret == -1)
		log_warnx("%s: user index not updated: %s", __func__,
		    try == MC_CAS_RETRIES ? "changed too often" :
		    memcached_strerror(mcc->mc, rc));
	free(ikey);
	return ret;
}

/*
 * Remember a logged-in session under its user, for revoke_user: in the
 * first chunk of the index with room. When a revoke raced us and removed
 * chunk 0 meanwhile, add it there again, so the entry is found from 0.
 */
void
mc_index_add(struct store *st, struct mc_conn *mcc, const char *user,
    const char *key, time_t expires, time_t now)
{
	struct mc_store	*ms = st->priv;
	const char	*hash = key + strlen(ms->prefix);
	char		*ikey, *value;
	size_t		 len;
	uint64_t	 cas;
	int		 chunk, rc = 0, again;

	for (again = 0; again < 2; again++) {
		for (chunk = 0; chunk < MC_INDEX_CHUNKS; chunk++) {
			if ((rc = mc_index_add_chunk(st, mcc, user, chunk,
			    hash, expires, now)) != 0)
				break;
		}
		if (rc == -1)
			return;
		if (chunk == MC_INDEX_CHUNKS) {
			log_warnx("%s: user index full (%d sessions): revoke "
			    "--user will not find this session; it ends on "
			    "its own", __func__, MC_INDEX_CHUNKS *
			    MC_INDEX_MAX);
			return;
		}
		if (chunk == 0)
			return;
		ikey = mc_index_key(st, 0, user, 0);
		if (mc_get(mcc, ikey, &value, &len, &cas) ==
		    MEMCACHED_NOTFOUND) {
			free(ikey);
			continue;
		}
		free(value);
		free(ikey);
		return;
	}
}
