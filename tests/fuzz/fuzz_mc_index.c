/*
 * The memcached store's per-user index ("until key key ..."), as memcached
 * hands it back: mc_index_add (a login adds its store key, keeping the
 * newest) and mc_revoke_user (revoke --user deletes what it lists), over an
 * in-memory stand-in for the libmemcached calls they make (get with CAS,
 * add, cas, set, replace, delete; keys checked for length as libmemcached
 * does). The fuzzed bytes are the index already stored.
 *
 * Input: a flags byte, then the stored index.
 *	flags & 1	no index is stored yet (the first login)
 *	flags >> 1	which of the old index's first 7 entries are live
 *			sessions in the store (the rest are gone)
 *
 * Checked: after a login the index lists the new key last, at most
 * MC_INDEX_MAX entries, the older ones a suffix of what was there (all of
 * them while there is room, for a well-formed index), with an until no
 * earlier than the new session's end; then revoke deletes every session
 * the index lists, the new one included, counts those it deleted, reports
 * their ws_ids, touches no key outside the prefix, and drops the index.
 * The only failure allowed is a listed key memcached refuses (too long).
 *
 * Depends on (static, reached by including the .c):
 * void mc_index_add(struct store *, struct mc_conn *, const char *user,
 * const char *key, time_t expires, time_t now);
 * enum store_result mc_revoke_user(struct store *, void *conn,
 * const char *user, long *n, char ***ws_ids, char **cause);
 * mc_key, mc_index_key, mc_conn_new, mc_conn_free, store_memcached_open,
 * mc_close, MC_INDEX_MAX; and on the libmemcached calls redirected below.
 * The index format is checked by fuzz_index_entries: re-point it when the
 * format changes.
 */
#include "autoconf.h"

#include <libmemcached/memcached.h>

static memcached_return_t fuzz_mget(memcached_st *, const char * const *,
		    const size_t *, size_t);
static memcached_result_st *fuzz_fetch_result(memcached_st *,
		    memcached_result_st *, memcached_return_t *);
static size_t	 fuzz_result_length(const memcached_result_st *);
static const char *fuzz_result_value(const memcached_result_st *);
static uint64_t	 fuzz_result_cas(const memcached_result_st *);
static void	 fuzz_result_free(memcached_result_st *);
static memcached_return_t fuzz_add(memcached_st *, const char *, size_t,
		    const char *, size_t, time_t, uint32_t);
static memcached_return_t fuzz_set(memcached_st *, const char *, size_t,
		    const char *, size_t, time_t, uint32_t);
static memcached_return_t fuzz_replace(memcached_st *, const char *, size_t,
		    const char *, size_t, time_t, uint32_t);
static memcached_return_t fuzz_cas(memcached_st *, const char *, size_t,
		    const char *, size_t, time_t, uint32_t, uint64_t);
static memcached_return_t fuzz_delete(memcached_st *, const char *, size_t,
		    time_t);

#define memcached_mget		fuzz_mget
#define memcached_fetch_result	fuzz_fetch_result
#define memcached_result_length	fuzz_result_length
#define memcached_result_value	fuzz_result_value
#define memcached_result_cas	fuzz_result_cas
#define memcached_result_free	fuzz_result_free
#define memcached_add		fuzz_add
#define memcached_set		fuzz_set
#define memcached_replace	fuzz_replace
#define memcached_cas		fuzz_cas
#define memcached_delete	fuzz_delete
#include "../../lib/store_memcached.c"
#undef memcached_mget
#undef memcached_fetch_result
#undef memcached_result_length
#undef memcached_result_value
#undef memcached_result_cas
#undef memcached_result_free
#undef memcached_add
#undef memcached_set
#undef memcached_replace
#undef memcached_cas
#undef memcached_delete

#include "config.h"
#include "crypto.h"
#include "fuzz.h"

#define FUZZ_USER	"alice"
#define FUZZ_ITEMS	64	/* items the stand-in holds at most */
#define FUZZ_LIVE	7	/* old entries that can be live sessions */
#define FUZZ_KEY_MAX	250	/* libmemcached refuses longer keys */

/* One item of the stand-in memcached. */
struct fuzz_item {
	char		*key;
	char		*value;
	size_t		 len;
	uint64_t	 cas;
};

/* What a fetch hands out (cast to and from memcached_result_st). */
struct fuzz_result {
	char		*value;
	size_t		 len;
	uint64_t	 cas;
};

static struct {
	struct fuzz_item items[FUZZ_ITEMS];
	size_t		 nitems;
	uint64_t	 next_cas;
	char		*pending;	/* key of the mget not fetched yet */
	int		 outside;	/* a key without our prefix was used */
} fm;

static struct config	 fuzz_cfg;
static struct keyring	*fuzz_keys;
static struct store	 fuzz_store;
static void		*fuzz_conn;

/* libmemcached's own key check: 1 to 250 bytes. */
static int
fuzz_key_ok(size_t len)
{
	return len > 0 && len <= FUZZ_KEY_MAX;
}

/* Note a key that is not under the store's prefix. */
static void
fuzz_key_seen(const char *key, size_t len)
{
	struct mc_store	*ms = fuzz_store.priv;
	size_t		 plen = strlen(ms->prefix);

	if (len < plen || memcmp(key, ms->prefix, plen) != 0)
		fm.outside = 1;
}

/* The item under a key, or NULL. */
static struct fuzz_item *
fuzz_find(const char *key, size_t len)
{
	size_t	 i;

	for (i = 0; i < fm.nitems; i++) {
		if (strlen(fm.items[i].key) == len &&
		    memcmp(fm.items[i].key, key, len) == 0)
			return &fm.items[i];
	}
	return NULL;
}

/* Store a value under a key, new or replacing, with a fresh CAS. */
static void
fuzz_put(const char *key, size_t klen, const char *value, size_t len)
{
	struct fuzz_item *it;

	if ((it = fuzz_find(key, klen)) == NULL) {
		FUZZ_ASSERT(fm.nitems < FUZZ_ITEMS);
		it = &fm.items[fm.nitems++];
		it->key = xstrndup(key, klen);
	} else
		free(it->value);
	it->value = xmalloc(len + 1);
	memcpy(it->value, value, len);
	it->value[len] = '\0';
	it->len = len;
	it->cas = ++fm.next_cas;
}

/* Remove an item. */
static void
fuzz_remove(struct fuzz_item *it)
{
	free(it->key);
	free(it->value);
	*it = fm.items[--fm.nitems];
}

/* memcached_mget of one key: remembered for the fetch. */
static memcached_return_t
fuzz_mget(memcached_st *mc, const char * const *keys, const size_t *lens,
    size_t n)
{
	FUZZ_ASSERT(n == 1 && fm.pending == NULL);
	if (!fuzz_key_ok(lens[0]))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(keys[0], lens[0]);
	fm.pending = xstrndup(keys[0], lens[0]);
	return MEMCACHED_SUCCESS;
}

/* memcached_fetch_result: the item once, then the end. */
static memcached_result_st *
fuzz_fetch_result(memcached_st *mc, memcached_result_st *res,
    memcached_return_t *rc)
{
	struct fuzz_item	*it;
	struct fuzz_result	*r;

	FUZZ_ASSERT(res == NULL);
	if (fm.pending == NULL ||
	    (it = fuzz_find(fm.pending, strlen(fm.pending))) == NULL) {
		free(fm.pending);
		fm.pending = NULL;
		*rc = MEMCACHED_END;
		return NULL;
	}
	free(fm.pending);
	fm.pending = NULL;
	r = xmalloc(sizeof *r);
	r->value = xmalloc(it->len + 1);
	memcpy(r->value, it->value, it->len + 1);
	r->len = it->len;
	r->cas = it->cas;
	*rc = MEMCACHED_SUCCESS;
	return (memcached_result_st *)r;
}

/* memcached_result_length. */
static size_t
fuzz_result_length(const memcached_result_st *res)
{
	return ((const struct fuzz_result *)res)->len;
}

/* memcached_result_value. */
static const char *
fuzz_result_value(const memcached_result_st *res)
{
	return ((const struct fuzz_result *)res)->value;
}

/* memcached_result_cas. */
static uint64_t
fuzz_result_cas(const memcached_result_st *res)
{
	return ((const struct fuzz_result *)res)->cas;
}

/* memcached_result_free. */
static void
fuzz_result_free(memcached_result_st *res)
{
	struct fuzz_result	*r = (struct fuzz_result *)res;

	free(r->value);
	free(r);
}

/* memcached_add: only when absent. */
static memcached_return_t
fuzz_add(memcached_st *mc, const char *key, size_t klen, const char *value,
    size_t len, time_t exptime, uint32_t flags)
{
	FUZZ_ASSERT(exptime >= 0);
	if (!fuzz_key_ok(klen))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(key, klen);
	if (fuzz_find(key, klen) != NULL)
		return MEMCACHED_NOTSTORED;
	fuzz_put(key, klen, value, len);
	return MEMCACHED_SUCCESS;
}

/* memcached_set: always. */
static memcached_return_t
fuzz_set(memcached_st *mc, const char *key, size_t klen, const char *value,
    size_t len, time_t exptime, uint32_t flags)
{
	FUZZ_ASSERT(exptime >= 0);
	if (!fuzz_key_ok(klen))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(key, klen);
	fuzz_put(key, klen, value, len);
	return MEMCACHED_SUCCESS;
}

/* memcached_replace: only when present. */
static memcached_return_t
fuzz_replace(memcached_st *mc, const char *key, size_t klen, const char *value,
    size_t len, time_t exptime, uint32_t flags)
{
	FUZZ_ASSERT(exptime >= 0);
	if (!fuzz_key_ok(klen))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(key, klen);
	if (fuzz_find(key, klen) == NULL)
		return MEMCACHED_NOTSTORED;
	fuzz_put(key, klen, value, len);
	return MEMCACHED_SUCCESS;
}

/* memcached_cas: only over the version read. */
static memcached_return_t
fuzz_cas(memcached_st *mc, const char *key, size_t klen, const char *value,
    size_t len, time_t exptime, uint32_t flags, uint64_t cas)
{
	struct fuzz_item *it;

	FUZZ_ASSERT(exptime >= 0);
	if (!fuzz_key_ok(klen))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(key, klen);
	if ((it = fuzz_find(key, klen)) == NULL)
		return MEMCACHED_NOTFOUND;
	if (it->cas != cas)
		return MEMCACHED_DATA_EXISTS;
	fuzz_put(key, klen, value, len);
	return MEMCACHED_SUCCESS;
}

/* memcached_delete. */
static memcached_return_t
fuzz_delete(memcached_st *mc, const char *key, size_t klen, time_t exptime)
{
	struct fuzz_item *it;

	if (!fuzz_key_ok(klen))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(key, klen);
	if ((it = fuzz_find(key, klen)) == NULL)
		return MEMCACHED_NOTFOUND;
	fuzz_remove(it);
	return MEMCACHED_SUCCESS;
}

/* Die during set-up: a broken fixture is not a finding. */
static void
fuzz_setup_fail(const char *what, char *cause)
{
	fprintf(stderr, "fuzz_mc_index: %s: %s\n", what,
	    cause != NULL ? cause : "?");
	exit(2);
}

/* A memcached store (no server is contacted) and a connection, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	*cause = NULL;

	fuzz_quiet();
	if ((fuzz_keys = keyring_parse(FUZZ_SECRET_CURRENT "\n", &cause)) ==
	    NULL)
		fuzz_setup_fail("keyring", cause);
	config_init(&fuzz_cfg);
	if (config_set(&fuzz_cfg, "store", "memcached://127.0.0.1:1",
	    &cause) != 0)
		fuzz_setup_fail("config", cause);
	fuzz_store.ops = &store_memcached_ops;
	fuzz_store.cfg = &fuzz_cfg;
	fuzz_store.keys = fuzz_keys;
	if ((fuzz_store.priv = store_memcached_open(&fuzz_store,
	    fuzz_cfg.store, NULL, &cause)) == NULL)
		fuzz_setup_fail("open", cause);
	if ((fuzz_conn = mc_conn_new(&fuzz_store, &cause)) == NULL)
		fuzz_setup_fail("conn_new", cause);
	return 0;
}

/*
 * The entries of an index value as revoke reads them: the C string (a NUL
 * ends it), split at spaces, the first field (until) dropped, empty ones
 * skipped. Returns how many, into a NULL-terminated array (caller frees).
 */
static size_t
fuzz_index_entries(const char *value, size_t len, char ***out)
{
	char	*copy, *p, *tok;
	char	**v = NULL;
	size_t	 n = 0;

	copy = xstrndup(value, len);
	p = copy;
	strsep(&p, " ");
	while ((tok = strsep(&p, " ")) != NULL) {
		if (*tok == '\0')
			continue;
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xstrdup(tok);
	}
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	v[n] = NULL;
	free(copy);
	*out = v;
	return n;
}

/* Free what fuzz_index_entries made. */
static void
fuzz_entries_free(char **v)
{
	size_t	 i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A well-formed index: digits, then space-separated non-empty entries. */
static int
fuzz_well_formed(const char *v)
{
	const char	*p = v;

	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == ' ' && p[1] != ' ' && p[1] != '\0')
		for (p++; *p != ' ' && *p != '\0'; p++)
			;
	return *p == '\0';
}

/* A live session under prefix + entry, with a ws_id; 0 if not stored. */
static int
fuzz_put_session(const char *hash, const char *ws_id)
{
	struct mc_store	*ms = fuzz_store.priv;
	char		*key, *value;
	int		 ok;

	xasprintf(&key, "%s%s", ms->prefix, hash);
	xasprintf(&value, "{\"v\":1,\"data\":{},\"user\":\"" FUZZ_USER "\","
	    "\"ws_id\":\"%s\",\"created\":1,\"access\":1,\"max_age\":0}",
	    ws_id);
	ok = fuzz_key_ok(strlen(key)) && fuzz_find(key, strlen(key)) == NULL;
	if (ok)
		fuzz_put(key, strlen(key), value, strlen(value));
	free(key);
	free(value);
	return ok;
}

/* Is this ws_id among those revoke reported? */
static int
fuzz_reported(char **ws_ids, const char *ws_id)
{
	size_t	 i;

	for (i = 0; ws_ids[i] != NULL; i++) {
		if (strcmp(ws_ids[i], ws_id) == 0)
			return 1;
	}
	return 0;
}

/* One stored index per input: a login, then revoke --user. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_store		*ms = fuzz_store.priv;
	struct fuzz_item	*it;
	char			*ikey, *key, *old, *cause = NULL, *end;
	char			**before, **after, **ws_ids = NULL, ws_id[16];
	const char		*hash;
	size_t			 nbefore, nafter, i, plen;
	int			 stored[FUZZ_LIVE];
	time_t			 expires = FUZZ_NOW + 3600;
	long long		 until;
	long			 n = -1;
	int			 flags, absent, bad = 0;
	enum store_result	 res;

	if (size < 1)
		return 0;
	flags = data[0];
	absent = flags & 1;
	data++;
	size--;
	memset(&fm, 0, sizeof fm);
	plen = strlen(ms->prefix);

	ikey = mc_index_key(&fuzz_store, FUZZ_USER);
	old = fuzz_cstr(data, size);
	nbefore = fuzz_index_entries(absent ? "" : old, absent ? 0 : size,
	    &before);
	if (!absent)
		fuzz_put(ikey, strlen(ikey), (const char *)data, size);
	/* The new session, and the live old ones (first of duplicates). */
	key = mc_key(&fuzz_store, "fuzz-new-session");
	hash = key + plen;
	fuzz_put_session(hash, "wnew");
	for (i = 0; i < nbefore && i < FUZZ_LIVE; i++) {
		stored[i] = 0;
		if (flags & (2 << i)) {
			snprintf(ws_id, sizeof ws_id, "w%zu", i);
			stored[i] = fuzz_put_session(before[i], ws_id);
		}
	}

	/* A login: its session is stored, then added to the index. */
	mc_index_add(&fuzz_store, fuzz_conn, FUZZ_USER, key, expires, FUZZ_NOW);
	FUZZ_ASSERT(fm.pending == NULL);
	it = fuzz_find(ikey, strlen(ikey));
	FUZZ_ASSERT(it != NULL);
	until = strtoll(it->value, &end, 10);
	FUZZ_ASSERT(end != it->value && until >= expires);
	nafter = fuzz_index_entries(it->value, it->len, &after);
	FUZZ_ASSERT(nafter >= 1 && nafter <= MC_INDEX_MAX);
	FUZZ_ASSERT(strcmp(after[nafter - 1], hash) == 0);
	/* The older entries kept are the newest of those there were. */
	FUZZ_ASSERT(nafter - 1 <= nbefore);
	for (i = 0; i < nafter - 1; i++)
		FUZZ_ASSERT(strcmp(after[i], before[nbefore - (nafter - 1) +
		    i]) == 0);
	if (!absent && fuzz_well_formed(old) && nbefore < MC_INDEX_MAX)
		FUZZ_ASSERT(nafter - 1 == nbefore);
	for (i = 0; i < nafter; i++) {
		if (!fuzz_key_ok(plen + strlen(after[i])))
			bad = 1;
	}

	/* revoke --user: everything listed goes, the new session first. */
	res = mc_revoke_user(&fuzz_store, fuzz_conn, FUZZ_USER, &n, &ws_ids,
	    &cause);
	FUZZ_ASSERT(fm.pending == NULL && !fm.outside);
	FUZZ_ASSERT(ws_ids != NULL);
	if (res != STORE_OK) {
		/* Only a listed key memcached refuses stops it. */
		FUZZ_ASSERT(bad && cause != NULL);
	} else {
		FUZZ_ASSERT(cause == NULL);
		FUZZ_ASSERT(fuzz_find(ikey, strlen(ikey)) == NULL);
		FUZZ_ASSERT(fuzz_find(key, strlen(key)) == NULL);
		FUZZ_ASSERT(fuzz_reported(ws_ids, "wnew"));
		for (i = 0; i < nafter; i++) {
			char	*k;

			xasprintf(&k, "%s%s", ms->prefix, after[i]);
			FUZZ_ASSERT(fuzz_find(k, strlen(k)) == NULL);
			free(k);
		}
		/* Each live session still listed: deleted and reported. */
		for (i = 0; i < nbefore && i < FUZZ_LIVE; i++) {
			if (!stored[i] || nbefore - i > nafter - 1)
				continue;
			snprintf(ws_id, sizeof ws_id, "w%zu", i);
			FUZZ_ASSERT(fuzz_reported(ws_ids, ws_id));
		}
		/* Counted once each (every stored session has a ws_id). */
		for (i = 0; ws_ids[i] != NULL; i++)
			;
		FUZZ_ASSERT(n >= 1 && (size_t)n <= nafter && i == (size_t)n);
	}

	free(cause);
	for (i = 0; ws_ids != NULL && ws_ids[i] != NULL; i++)
		free(ws_ids[i]);
	free(ws_ids);
	while (fm.nitems > 0)
		fuzz_remove(&fm.items[0]);
	fuzz_entries_free(before);
	fuzz_entries_free(after);
	free(old);
	free(key);
	free(ikey);
	return 0;
}
