/*
 * The memcached store's per-user index, chunks of at most MC_INDEX_MAX store
 * keys ("until hash hash ...", under u:HASH, u:HASH:1, ... for each key of
 * the keyring), as memcached hands them back: mc_index_add (a login adds
 * its store key to the first chunk with room, or a new chunk) and
 * mc_admin_revoke_user (revoke --user deletes what every chunk lists, under every
 * key), over an in-memory stand-in for the libmemcached calls they make (get
 * with CAS, add, cas, set, delete; keys checked for length as libmemcached
 * does). The fuzzed bytes are the chunks already stored.
 *
 * Input:
 *	byte 0	which of the first 8 listed entries are live sessions in the
 *		store (the rest are gone)
 *	byte 1	& 7: chunks stored under the current key (0: the first
 *		login); >> 3 & 3: chunks under the retired key
 *	then one fill byte per chunk: that many valid store keys (255:
 *		MC_INDEX_MAX) appended to the chunk, so full chunks fit in
 *		an input
 *	then the chunks' values, separated by newlines (a missing one is an
 *		empty chunk with a valid until)
 *
 * Checked, with what mc_index_parse lists (the format is its business):
 * after a login the new key is listed in exactly the chunk the design says
 * (the first that is absent, not an index, or has room), which then holds
 * at most MC_INDEX_MAX tokens; every other chunk lists what it listed
 * (none is lost, full or not), its until never earlier and, for the full
 * chunks passed over, no earlier than the new session's end; chunks after
 * it and under the retired key are untouched. Then revoke succeeds (the
 * stand-in never fails), deletes every chunk and every listed session under
 * both keys, the new one included, counts each once, reports their ws_ids,
 * touches no key outside the prefix and leaves the store empty.
 *
 * Depends on (static, reached by including the .c files):
 * void mc_index_add(struct store *, struct mc_conn *, const char *user,
 * const char *key, time_t expires, time_t now);
 * enum store_result mc_admin_revoke_user(struct store *, void *conn,
 * const char *user, long *n, char ***ws_ids, char **cause);
 * int mc_index_parse(const char *, size_t, long long *, char ***, size_t *,
 * size_t *), mc_index_free, mc_key, mc_index_key(st, keyidx, user, chunk),
 * mc_conn_new, store_memcached_open, MC_INDEX_MAX, MC_HASH_LEN; and on the
 * libmemcached calls redirected below.
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
#define memcached_cas		fuzz_cas
#define memcached_delete	fuzz_delete
#include "../../lib/store_memcached.c"
#include "../../lib/store_memcached_index.c"
#include "../../lib/store_memcached_admin.c"
#undef memcached_mget
#undef memcached_fetch_result
#undef memcached_result_length
#undef memcached_result_value
#undef memcached_result_cas
#undef memcached_result_free
#undef memcached_add
#undef memcached_set
#undef memcached_cas
#undef memcached_delete

#include "config.h"
#include "crypto.h"
#include "fuzz.h"

#define FUZZ_USER	"alice"
#define FUZZ_ITEMS	64	/* items the stand-in holds at most */
#define FUZZ_LIVE	8	/* listed entries that can be live sessions */
#define FUZZ_CHUNKS0	7	/* chunks stored under the current key, at most */
#define FUZZ_CHUNKS1	3	/* and under the retired one */
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
	(void)mc;
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
	(void)mc;
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
	(void)mc;
	(void)flags;
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
	(void)mc;
	(void)flags;
	FUZZ_ASSERT(exptime >= 0);
	if (!fuzz_key_ok(klen))
		return MEMCACHED_BAD_KEY_PROVIDED;
	fuzz_key_seen(key, klen);
	fuzz_put(key, klen, value, len);
	return MEMCACHED_SUCCESS;
}

/* memcached_cas: only over the version read. */
static memcached_return_t
fuzz_cas(memcached_st *mc, const char *key, size_t klen, const char *value,
    size_t len, time_t exptime, uint32_t flags, uint64_t cas)
{
	(void)mc;
	(void)flags;
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
	(void)mc;
	(void)exptime;
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
	(void)argc;
	(void)argv;
	char	*cause = NULL;

	fuzz_quiet();
	if ((fuzz_keys = keyring_parse(FUZZ_SECRET_CURRENT "\n"
	    FUZZ_SECRET_OLD "\n", &cause)) ==
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

/* One stored chunk of the index, and what mc_index_parse lists in it. */
struct fuzz_chunk {
	char		*ikey;
	char		*value;		/* as stored before the login */
	size_t		 len;
	int		 parsed;	/* 0, or -1: not an index */
	long long	 until;
	char		**hashes;
	size_t		 n;
	size_t		 bad;
};

/* Parse a chunk as the store does. */
static void
fuzz_chunk_parse(struct fuzz_chunk *ch)
{
	ch->parsed = mc_index_parse(ch->value, ch->len, &ch->until,
	    &ch->hashes, &ch->n, &ch->bad);
	FUZZ_ASSERT(ch->parsed == 0 || (ch->hashes == NULL && ch->n == 0));
	FUZZ_ASSERT(ch->parsed != 0 || ch->hashes[ch->n] == NULL);
}

/* A chunk's value: its part of the input, then `fill` valid store keys. */
static void
fuzz_chunk_make(struct fuzz_chunk *ch, size_t keyidx, int c,
    const uint8_t *part, size_t len, int fill)
{
	char	 h[MC_HASH_LEN + 2];
	size_t	 off;
	int	 j, nfill = fill == 255 ? MC_INDEX_MAX : fill;

	ch->ikey = mc_index_key(&fuzz_store, keyidx, FUZZ_USER, c);
	ch->len = len + (size_t)nfill * (MC_HASH_LEN + 1);
	ch->value = xmalloc(ch->len + 1);
	if (len != 0)
		memcpy(ch->value, part, len);
	off = len;
	for (j = 0; j < nfill; j++) {
		snprintf(h, sizeof h, " %056x%08x",
		    (unsigned)(keyidx << 8 | (size_t)c), (unsigned)j);
		memcpy(ch->value + off, h, MC_HASH_LEN + 1);
		off += MC_HASH_LEN + 1;
	}
	ch->value[ch->len] = '\0';
}

/* Same store keys, in the same order? */
static int
fuzz_same_hashes(char **a, size_t na, char **b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	}
	return 1;
}

/* The item is there and holds exactly these bytes. */
static int
fuzz_holds(const char *key, const char *value, size_t len)
{
	struct fuzz_item	*it = fuzz_find(key, strlen(key));

	return it != NULL && it->len == len && memcmp(it->value, value,
	    len) == 0;
}

/* After the login, chunk c of the current key: see the comment on top. */
static void
fuzz_check_chunk(const struct fuzz_chunk *ch, int c, int target, int stored,
    const char *hash, time_t expires)
{
	struct fuzz_item	*it = fuzz_find(ch->ikey, strlen(ch->ikey));
	struct fuzz_chunk	 now;

	if (c > target) {
		/* Past the chunk that took it: as it was, or still absent. */
		if (stored)
			FUZZ_ASSERT(fuzz_holds(ch->ikey, ch->value, ch->len));
		else
			FUZZ_ASSERT(it == NULL);
		return;
	}
	FUZZ_ASSERT(it != NULL);
	memset(&now, 0, sizeof now);
	now.value = it->value;
	now.len = it->len;
	fuzz_chunk_parse(&now);
	FUZZ_ASSERT(now.parsed == 0);
	if (stored && ch->parsed == 0)
		FUZZ_ASSERT(now.until >= ch->until);
	if (c < target) {
		/* Full, passed over: the same entries, an end no earlier. */
		FUZZ_ASSERT(stored && ch->parsed == 0);
		FUZZ_ASSERT(ch->n + ch->bad >= MC_INDEX_MAX);
		FUZZ_ASSERT(now.until >= expires);
		FUZZ_ASSERT(now.bad == ch->bad);
		FUZZ_ASSERT(fuzz_same_hashes(now.hashes, now.n, ch->hashes,
		    ch->n));
	} else if (stored && ch->parsed == 0) {
		/* It had room: everything listed stays, the new key last. */
		FUZZ_ASSERT(now.until >= expires);
		FUZZ_ASSERT(now.bad == ch->bad && now.n == ch->n + 1);
		FUZZ_ASSERT(now.n + now.bad <= MC_INDEX_MAX);
		FUZZ_ASSERT(fuzz_same_hashes(now.hashes, ch->n, ch->hashes,
		    ch->n));
		FUZZ_ASSERT(strcmp(now.hashes[now.n - 1], hash) == 0);
	} else {
		/* A new chunk, or one that was not an index: just the key. */
		FUZZ_ASSERT(now.until >= expires);
		FUZZ_ASSERT(now.n == 1 && now.bad == 0);
		FUZZ_ASSERT(strcmp(now.hashes[0], hash) == 0);
	}
	mc_index_free(now.hashes);
}

/* Stored chunks, a login, then revoke --user. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_store		*ms = fuzz_store.priv;
	struct fuzz_chunk	 ch[FUZZ_CHUNKS0 + 1 + FUZZ_CHUNKS1];
	const uint8_t		*p, *end, *nl;
	char			*key, *cause = NULL, **ws_ids = NULL, ws_id[16];
	char			 live[FUZZ_LIVE];
	const char		*hash;
	size_t			 i, j, nch, nlisted, plen, nws;
	time_t			 expires = FUZZ_NOW + 3600;
	long			 n = -1, want;
	int			 n0, n1, c, target, mask;
	enum store_result	 res;

	if (size < 2)
		return 0;
	mask = data[0];
	n0 = data[1] & 7;
	n1 = (data[1] >> 3) & 3;
	nch = (size_t)(n0 + n1);
	p = data + 2;
	end = data + size;
	memset(&fm, 0, sizeof fm);
	memset(ch, 0, sizeof ch);
	plen = strlen(ms->prefix);

	/*
	 * The chunks: 0..n0-1 under the current key, n0 its absent next one,
	 * n0+1.. chunks 0..n1-1 under the retired key.
	 */
	nl = nch < (size_t)(end - p) ? p + nch : end;
	for (i = 0; i < nch; i++) {
		const uint8_t	*part = (const uint8_t *)"1700003600";
		size_t		 partlen = 10, at;
		int		 fill = i < (size_t)(end - p) ? p[i] : 0;

		if (nl < end) {
			part = nl;
			if ((nl = memchr(part, '\n', end - part)) == NULL)
				nl = end;
			partlen = nl - part;
			if (nl < end)
				nl++;
		}
		at = i < (size_t)n0 ? i : i + 1;
		fuzz_chunk_make(&ch[at], i < (size_t)n0 ? 0 : 1,
		    i < (size_t)n0 ? (int)i : (int)(i - n0), part, partlen,
		    fill);
		fuzz_put(ch[at].ikey, strlen(ch[at].ikey), ch[at].value,
		    ch[at].len);
		fuzz_chunk_parse(&ch[at]);
	}
	ch[n0].ikey = mc_index_key(&fuzz_store, 0, FUZZ_USER, n0);

	/* The new session, then the live ones of the first entries listed. */
	key = mc_key(&fuzz_store, "fuzz-new-session");
	hash = key + plen;
	FUZZ_ASSERT(fuzz_put_session(hash, "wnew"));
	want = 1;
	memset(live, 0, sizeof live);
	nlisted = 0;
	for (i = 0; i < nch + 1 && nlisted < FUZZ_LIVE; i++) {
		for (j = 0; j < ch[i].n && nlisted < FUZZ_LIVE; j++, nlisted++) {
			if (!(mask & (1 << nlisted)))
				continue;
			snprintf(ws_id, sizeof ws_id, "w%zu", nlisted);
			if ((live[nlisted] = fuzz_put_session(ch[i].hashes[j],
			    ws_id)))
				want++;
		}
	}

	/* A login: its session is stored, then added to the index. */
	mc_index_add(&fuzz_store, fuzz_conn, FUZZ_USER, key, expires, FUZZ_NOW);
	FUZZ_ASSERT(fm.pending == NULL && !fm.outside);
	for (target = 0; target < n0; target++) {
		if (ch[target].parsed != 0 ||
		    ch[target].n + ch[target].bad < MC_INDEX_MAX)
			break;
	}
	for (c = 0; c <= n0; c++)
		fuzz_check_chunk(&ch[c], c, target, c < n0, hash, expires);
	for (i = n0 + 1; i < nch + 1; i++)
		FUZZ_ASSERT(fuzz_holds(ch[i].ikey, ch[i].value, ch[i].len));

	/* revoke --user: every chunk, every listed session, both keys. */
	res = mc_admin_revoke_user(&fuzz_store, fuzz_conn, FUZZ_USER, &n, &ws_ids,
	    &cause);
	FUZZ_ASSERT(fm.pending == NULL && !fm.outside);
	FUZZ_ASSERT(res == STORE_OK && cause == NULL && ws_ids != NULL);
	FUZZ_ASSERT(fm.nitems == 0);
	for (nws = 0; ws_ids[nws] != NULL; nws++)
		;
	FUZZ_ASSERT(n == want && nws == (size_t)want);
	FUZZ_ASSERT(fuzz_reported(ws_ids, "wnew"));
	for (i = 0; i < FUZZ_LIVE; i++) {
		if (!live[i])
			continue;
		snprintf(ws_id, sizeof ws_id, "w%zu", i);
		FUZZ_ASSERT(fuzz_reported(ws_ids, ws_id));
	}

	for (i = 0; ws_ids[i] != NULL; i++)
		free(ws_ids[i]);
	free(ws_ids);
	while (fm.nitems > 0)
		fuzz_remove(&fm.items[0]);
	for (i = 0; i < nch + 1; i++) {
		free(ch[i].ikey);
		free(ch[i].value);
		mc_index_free(ch[i].hashes);
	}
	free(key);
	return 0;
}
