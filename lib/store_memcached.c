/* memcached session store (libmemcached): ketama hashing, CAS versions, native TTL. */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <pthread.h>
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
#include "xmalloc.h"

#define MC_DEFAULT_PREFIX	"sw:"
#define MC_CACHE_PREFIX		"swc:"	/* default prefix of the cache tier */
#define MC_DEFAULT_TIMEOUT	300	/* ms: connect, poll, send, receive */
#define MC_RETRY_TIMEOUT	1	/* s before a failed server is tried again */
#define MC_FAILURE_LIMIT	1	/* failures before it leaves the ketama ring */
#define MC_DEAD_TIMEOUT		2	/* s out of the ring before a retry (0: forever!) */
#define MC_RELATIVE_MAX		2592000	/* 30 days: beyond, exptime is absolute */
#define MC_INDEX_MAX		256	/* store keys per chunk of a user index */
#define MC_INDEX_CHUNKS		1024	/* chunks per user: 262144 sessions */
#define MC_HASH_LEN		64	/* hex chars of a store key (store_key) */
#define MC_CAS_RETRIES		16	/* read-modify-write attempts */
#define MC_LOCK_SUFFIX		":lock"
#define MC_LOCK_MARGIN		5	/* s a lock outlives handler_timeout */

/*
 * After a store memcached does not tell libmemcached the new CAS value, so a
 * saved session carries this "stored, version unknown": a second CAS save
 * in the same request conflicts and reloads rather than overwrite blindly.
 */
#define MC_VERSION_UNKNOWN	UINT64_MAX

/* Process-wide state: the configured prototype every thread clones. */
struct mc_store {
	memcached_st	*proto;
	pthread_mutex_t	 lock;		/* memcached_clone reads proto */
	char		*prefix;
	int		 nservers;
};

/* Per-thread state: a private memcached_st and what this request holds. */
struct mc_conn {
	struct mc_store	*ms;
	memcached_st	*mc;
	char		*lock_key;	/* full key of the lock we hold */
	char		*lock_token;	/* our value in it */
	char		*doomed_key;	/* last loaded session was replaced... */
	time_t		 doomed_until;	/* ...and stays readable until then */
};

/* Does this backend take the store value? */
static int
mc_match(const char *uri)
{
	return strncmp(uri, "memcached:", 10) == 0;
}

/* A key prefix is printable, without spaces, and short. */
static int
mc_prefix_ok(const char *p)
{
	size_t	 n;

	for (n = 0; p[n] != '\0'; n++) {
		if (p[n] <= ' ' || p[n] > '~')
			return 0;
	}
	return n <= 128;
}

/* Add one "host:port", "[v6]:port" or "/path" server to the prototype. */
static int
mc_add_server(memcached_st *mc, const char *spec, char **cause)
{
	memcached_return_t rc;
	const char	*colon, *errstr;
	char		*host;
	long long	 port = 11211;
	char		*end;

	if (*spec == '/') {
		rc = memcached_server_add_unix_socket(mc, spec);
		goto done;
	}
	if (*spec == '[') {
		if ((colon = strchr(spec, ']')) == NULL) {
			xasprintf(cause, "bad memcached server \"%s\"", spec);
			return -1;
		}
		host = xstrndup(spec + 1, colon - spec - 1);
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else if ((colon = strrchr(spec, ':')) != NULL)
		host = xstrndup(spec, colon - spec);
	else
		host = xstrdup(spec);
	if (colon != NULL) {
		errno = 0;
		port = strtoll(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 ||
		    port < 1 || port > 65535) {
			xasprintf(cause, "bad port in memcached server \"%s\"",
			    spec);
			free(host);
			return -1;
		}
	}
	if (*host == '\0') {
		xasprintf(cause, "missing host in memcached server \"%s\"", spec);
		free(host);
		return -1;
	}
	rc = memcached_server_add(mc, host, (in_port_t)port);
	free(host);
done:
	if (rc != MEMCACHED_SUCCESS) {
		errstr = memcached_strerror(mc, rc);
		xasprintf(cause, "memcached server \"%s\": %s", spec, errstr);
		return -1;
	}
	return 0;
}

/*
 * Parse "?prefix=...&timeout=ms" into the store, and "ttl=s" when ttl is not
 * NULL (a cache); -1 and *cause.
 */
static int
mc_parse_options(struct mc_store *ms, char *q, long *timeout, long *ttl,
    char **cause)
{
	char		*opt, *val, *end;

	while ((opt = strsep(&q, "&")) != NULL) {
		if (*opt == '\0')
			continue;
		if ((val = strchr(opt, '=')) == NULL) {
			xasprintf(cause, "memcached option without value: %s",
			    opt);
			return -1;
		}
		*val++ = '\0';
		if (strcmp(opt, "prefix") == 0) {
			free(ms->prefix);
			ms->prefix = url_decode(val, strlen(val));
		} else if (strcmp(opt, "timeout") == 0) {
			errno = 0;
			*timeout = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || errno != 0 ||
			    *timeout < 10 || *timeout > 60000) {
				xasprintf(cause, "bad memcached timeout "
				    "(10-60000 ms): %s", val);
				return -1;
			}
		} else if (ttl != NULL && strcmp(opt, "ttl") == 0) {
			errno = 0;
			*ttl = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || errno != 0 ||
			    *ttl < 1 || *ttl > STORE_CACHE_TTL_MAX) {
				xasprintf(cause, "bad cache ttl (1-%d s): %s",
				    STORE_CACHE_TTL_MAX, val);
				return -1;
			}
		} else {
			xasprintf(cause, "unknown memcached option: %s", opt);
			return -1;
		}
	}
	return 0;
}

/*
 * Set the behaviours the store relies on; -1 and *cause. With eject, a
 * failing server leaves the ketama ring and its keys go to the others.
 */
static int
mc_behaviours(memcached_st *mc, long timeout, int eject, char **cause)
{
	static const struct {
		memcached_behavior_t	 flag;
		const char		*name;
	} flags[] = {
		{ MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, "binary protocol" },
		{ MEMCACHED_BEHAVIOR_SUPPORT_CAS, "CAS" },
		{ MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, "ketama" },
		{ MEMCACHED_BEHAVIOR_TCP_NODELAY, "TCP_NODELAY" },
		{ MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, "ejection" },
	};
	memcached_return_t rc;
	size_t		 i;

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (flags[i].flag == MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS &&
		    !eject)
			continue;
		rc = memcached_behavior_set(mc, flags[i].flag, 1);
		if (rc != MEMCACHED_SUCCESS)
			goto fail;
	}
	i = 0;
	rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
	    timeout);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
		    timeout);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
		    timeout * 1000);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
		    timeout * 1000);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc,
		    MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, MC_RETRY_TIMEOUT);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc,
		    MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, MC_FAILURE_LIMIT);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc,
		    MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, MC_DEAD_TIMEOUT);
	if (rc == MEMCACHED_SUCCESS)
		return 0;
fail:
	xasprintf(cause, "memcached behaviour %s: %s",
	    i < sizeof flags / sizeof flags[0] ? flags[i].name : "timeouts",
	    memcached_strerror(mc, rc));
	return -1;
}

/* Release the process-wide state. */
static void
mc_close(void *arg)
{
	struct mc_store	*ms = arg;

	if (ms == NULL)
		return;
	if (ms->proto != NULL)
		memcached_free(ms->proto);
	pthread_mutex_destroy(&ms->lock);
	free(ms->prefix);
	free(ms);
}

/*
 * Parse memcached://h1:port,h2:port[?prefix=P&timeout=MS] and configure the
 * prototype. No connection is made: servers are contacted on first use.
 * With cache_ttl, a cache in front of PostgreSQL (see store_memcached.h).
 */
void *
store_memcached_open(struct store *st, const char *uri, long *cache_ttl,
    char **cause)
{
	struct mc_store	*ms;
	char		*copy, *list, *q, *spec;
	long		 timeout = MC_DEFAULT_TIMEOUT;

	if (st->keys == NULL || keyring_count(st->keys) == 0) {
		*cause = xstrdup("the memcached store needs secret_file "
		    "(keys for signed ids and store keys)");
		return NULL;
	}
	ms = xcalloc(1, sizeof *ms);
	pthread_mutex_init(&ms->lock, NULL);
	if ((ms->proto = memcached_create(NULL)) == NULL)
		fatalx("%s: memcached_create failed", __func__);
	if (st->cfg->key_prefix != NULL)
		ms->prefix = xstrdup(st->cfg->key_prefix);

	if (cache_ttl != NULL)
		*cache_ttl = STORE_CACHE_TTL;
	copy = xstrdup(uri + strlen("memcached:"));
	list = copy;
	if (strncmp(list, "//", 2) == 0)
		list += 2;
	if ((q = strchr(list, '?')) != NULL)
		*q++ = '\0';
	if (q != NULL &&
	    mc_parse_options(ms, q, &timeout, cache_ttl, cause) != 0)
		goto fail;
	while ((spec = strsep(&list, ",")) != NULL) {
		if (*spec == '\0')
			continue;
		if (mc_add_server(ms->proto, spec, cause) != 0)
			goto fail;
		ms->nservers++;
	}
	if (ms->nservers == 0) {
		*cause = xstrdup("memcached store without servers "
		    "(memcached://host:port[,host:port...])");
		goto fail;
	}
	if (ms->prefix == NULL)
		ms->prefix = xstrdup(cache_ttl != NULL ? MC_CACHE_PREFIX :
		    MC_DEFAULT_PREFIX);
	if (!mc_prefix_ok(ms->prefix)) {
		*cause = xstrdup("memcached key prefix must be printable, "
		    "without spaces, at most 128 characters");
		goto fail;
	}
	if (mc_behaviours(ms->proto, timeout, cache_ttl == NULL &&
	    ms->nservers > 1, cause) != 0)
		goto fail;
	/*
	 * A lone store server has no other to take its keys: try it on every
	 * request (a refused connection fails fast), so service resumes the
	 * moment it is back instead of after a retry timer.
	 */
	if (cache_ttl == NULL && ms->nservers == 1 &&
	    memcached_behavior_set(ms->proto,
	    MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0) != MEMCACHED_SUCCESS) {
		*cause = xstrdup("memcached behaviour retry timeout");
		goto fail;
	}
	free(copy);
	return ms;

fail:
	free(copy);
	mc_close(ms);
	return NULL;
}

/* Open the store cfg->store names. */
static void *
mc_open(struct store *st, char **cause)
{
	return store_memcached_open(st, st->cfg->store, NULL, cause);
}

/* A private memcached_st for one worker thread. */
static void *
mc_conn_new(struct store *st, char **cause)
{
	struct mc_store	*ms = st->priv;
	struct mc_conn	*mcc;
	memcached_st	*mc;

	pthread_mutex_lock(&ms->lock);
	mc = memcached_clone(NULL, ms->proto);
	pthread_mutex_unlock(&ms->lock);
	if (mc == NULL) {
		*cause = xstrdup("memcached_clone failed");
		return NULL;
	}
	mcc = xcalloc(1, sizeof *mcc);
	mcc->ms = ms;
	mcc->mc = mc;
	return mcc;
}

/* Free a worker's memcached_st. */
static void
mc_conn_free(void *arg)
{
	struct mc_conn	*mcc = arg;

	if (mcc == NULL)
		return;
	memcached_free(mcc->mc);
	free(mcc->lock_key);
	free(mcc->lock_token);
	free(mcc->doomed_key);
	free(mcc);
}

/* Map a libmemcached failure to a store result and cause. */
static enum store_result
mc_error(struct mc_conn *mcc, memcached_return_t rc, const char *what,
    char **cause)
{
	const char	*msg;

	if (rc == MEMCACHED_E2BIG) {
		*cause = xstrdup("session too large for memcached");
		return STORE_TOOBIG;
	}
	msg = memcached_last_error_message(mcc->mc);
	if (msg == NULL || *msg == '\0')
		msg = memcached_strerror(mcc->mc, rc);
	xasprintf(cause, "memcached %s: %s", what, msg);
	return STORE_ERROR;
}

/* The full memcached key of a session id; caller frees. */
static char *
mc_key(struct store *st, const char *id)
{
	struct mc_store	*ms = st->priv;
	char		*hash, *key;

	hash = store_key(st->keys, id);
	xasprintf(&key, "%s%s", ms->prefix, hash);
	free(hash);
	return key;
}

/*
 * The full key of chunk `chunk` of a user's index under the keyidx-th key
 * (a keyed hash: names stay out of keys). Chunk 0 has the key the index
 * always had; chunks 1... follow it when it is full.
 */
static char *
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

/* True when s starts with a store key (MC_HASH_LEN lowercase hex chars). */
static int
mc_hash_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len != MC_HASH_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	}
	return 1;
}

/*
 * Parse one chunk of a user index, "until hash hash ...": *until and the
 * store keys in *hashes (NULL-terminated, caller frees each and the array),
 * their count in *n. Tokens that are not store keys are skipped and counted
 * in *bad. -1 when it does not start with a time (not an index).
 */
static int
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
		if (!mc_hash_ok(tok, p - tok)) {
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
static void
mc_index_free(char **hashes)
{
	size_t	 i;

	for (i = 0; hashes != NULL && hashes[i] != NULL; i++)
		free(hashes[i]);
	free(hashes);
}

/*
 * memcached's exptime: relative seconds up to 30 days, an absolute Unix time
 * beyond (a larger relative value would be read as a time in 1970).
 */
static time_t
mc_exptime(time_t expires, time_t now)
{
	time_t	 ttl;

	ttl = expires - now;
	if (ttl < 1)
		ttl = 1;
	if (ttl <= MC_RELATIVE_MAX)
		return ttl;
	/* The protocol's exptime has 32 bits: no limit (SESSION_NEVER). */
	if (expires > INT32_MAX)
		return 0;
	return expires;
}

/*
 * True when rc says a server failed, worth one more try: a connection made
 * stale by a server restart is made anew, and with several servers
 * libmemcached has just dropped the failed one from the ring, so the retry
 * lands on a live server. A server that is really down fails again, fast.
 */
static memcached_return_t mc_get1(struct mc_conn *, const char *, char **,
		    size_t *, uint64_t *);

static int
mc_retry(struct mc_conn *mcc, memcached_return_t rc, int *tries)
{
	if (++*tries > 2)
		return 0;
	switch (rc) {
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE:
	case MEMCACHED_SERVER_MARKED_DEAD:
	case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
	case MEMCACHED_TIMEOUT:
	case MEMCACHED_ERRNO:
	case MEMCACHED_READ_FAILURE:
	case MEMCACHED_WRITE_FAILURE:
	case MEMCACHED_UNKNOWN_READ_FAILURE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Get one item with its CAS value. MEMCACHED_SUCCESS fills *value (caller
 * frees), *len and *cas; MEMCACHED_NOTFOUND when absent; else the failure.
 * A failed server is retried past once (see mc_retry).
 */
static memcached_return_t
mc_get(struct mc_conn *mcc, const char *key, char **value, size_t *len,
    uint64_t *cas)
{
	memcached_return_t rc;
	int		 tries = 0;

	do
		rc = mc_get1(mcc, key, value, len, cas);
	while (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND &&
	    mc_retry(mcc, rc, &tries));
	return rc;
}

/* One get attempt; see mc_get. */
static memcached_return_t
mc_get1(struct mc_conn *mcc, const char *key, char **value, size_t *len,
    uint64_t *cas)
{
	memcached_result_st *res;
	memcached_return_t rc, frc;
	size_t		 klen = strlen(key);

	*value = NULL;
	rc = memcached_mget(mcc->mc, &key, &klen, 1);
	if (rc != MEMCACHED_SUCCESS)
		return rc;
	rc = MEMCACHED_NOTFOUND;
	while ((res = memcached_fetch_result(mcc->mc, NULL, &frc)) != NULL) {
		if (*value == NULL) {
			/* All its bytes: *len is what the parsers read. */
			*len = memcached_result_length(res);
			*value = xmalloc(*len + 1);
			if (*len != 0)
				memcpy(*value, memcached_result_value(res),
				    *len);
			(*value)[*len] = '\0';
			*cas = memcached_result_cas(res);
			rc = MEMCACHED_SUCCESS;
		}
		memcached_result_free(res);
	}
	if (frc != MEMCACHED_END && frc != MEMCACHED_SUCCESS &&
	    frc != MEMCACHED_NOTFOUND) {
		free(*value);
		*value = NULL;
		return frc;
	}
	return rc;
}

/* The full memcached key of a store key, for the cache tier; caller frees. */
char *
store_memcached_key(struct store *st, const char *hash)
{
	struct mc_store	*ms = st->priv;
	char		*key;

	xasprintf(&key, "%s%s", ms->prefix, hash);
	return key;
}

/* Get one item for the cache tier, with its CAS value. */
enum store_result
store_memcached_get(struct store *st, void *conn, const char *key,
    char **value, size_t *len, uint64_t *cas, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;

	rc = mc_get(mcc, key, value, len, cas);
	if (rc == MEMCACHED_SUCCESS)
		return STORE_OK;
	if (rc == MEMCACHED_NOTFOUND)
		return STORE_NOTFOUND;
	return mc_error(mcc, rc, "get", cause);
}

/* Store one item for the cache tier: add, CAS or set, for ttl seconds. */
enum store_result
store_memcached_put(struct store *st, void *conn, const char *key,
    const char *value, size_t len, long ttl, enum store_mc_put how,
    uint64_t cas, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	size_t		 klen = strlen(key);

	if (ttl < 1)
		ttl = 1;
	if (ttl > MC_RELATIVE_MAX)
		ttl = MC_RELATIVE_MAX;
	switch (how) {
	case STORE_MC_ADD:
		rc = memcached_add(mcc->mc, key, klen, value, len, ttl, 0);
		break;
	case STORE_MC_CAS:
		rc = memcached_cas(mcc->mc, key, klen, value, len, ttl, 0, cas);
		break;
	default:
		rc = memcached_set(mcc->mc, key, klen, value, len, ttl, 0);
		break;
	}
	switch (rc) {
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
		return STORE_OK;
	case MEMCACHED_DATA_EXISTS:
	case MEMCACHED_NOTSTORED:
	case MEMCACHED_NOTFOUND:
		if (how != STORE_MC_SET)
			return STORE_CONFLICT;
		break;
	default:
		break;
	}
	return mc_error(mcc, rc, "store", cause);
}

/*
 * The stored form: the session without its secret id, plus grace end and,
 * in the cache tier, the PostgreSQL version (0: none).
 */
static char *
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

/* The stored form of the memcached store itself. */
static char *
mc_value(const struct session *s, time_t until)
{
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
static struct session *
mc_parse_ver(const char *value, size_t len, char *id, time_t now,
    time_t *until, uint64_t *ver, char **cause)
{
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
	*until = (time_t)u;
	if (ver != NULL)
		*ver = (uint64_t)pgv;
	json_decref(o);
	return s;
}

/* Parse the memcached store's stored form. */
static struct session *
mc_parse(const char *value, size_t len, char *id, time_t now, time_t *until,
    char **cause)
{
	return mc_parse_ver(value, len, id, now, until, NULL, cause);
}

/* Parse the cache tier's stored form, with its PostgreSQL version. */
struct session *
store_memcached_parse(const char *value, size_t len, char *id, time_t now,
    time_t *until, uint64_t *version, char **cause)
{
	return mc_parse_ver(value, len, id, now, until, version, cause);
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

static void	mc_index_add(struct store *, struct mc_conn *, const char *,
		    const char *, time_t, time_t);

/*
 * After a key rotation, move a session stored under an older key to the
 * current one (add, then delete the old item). MEMCACHED_NOTFOUND when
 * there is none.
 */
static memcached_return_t
mc_rekey(struct store *st, struct mc_conn *mcc, const char *id,
    const char *key, time_t now)
{
	struct mc_store	*ms = st->priv;
	memcached_return_t rc;
	struct session	*s;
	char		*hash, *old, *value, *cause = NULL;
	size_t		 n, len;
	uint64_t	 cas;
	time_t		 until, expires;

	for (n = 1; n < keyring_count(st->keys); n++) {
		hash = store_key_n(st->keys, n, id);
		xasprintf(&old, "%s%s", ms->prefix, hash);
		free(hash);
		rc = mc_get(mcc, old, &value, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND) {
			free(old);
			continue;
		}
		if (rc != MEMCACHED_SUCCESS) {
			free(old);
			return rc;
		}
		s = mc_parse(value, len, xstrdup(id), now, &until, &cause);
		free(cause);
		if (s == NULL || session_expired(s, st->cfg, now)) {
			session_free(s);
			free(value);
			free(old);
			continue;
		}
		expires = session_expires(s, st->cfg);
		if (until != 0 && until < expires)
			expires = until;
		rc = memcached_add(mcc->mc, key, strlen(key), value, len,
		    mc_exptime(expires, now), 0);
		free(value);
		if (rc == MEMCACHED_SUCCESS && s->user != NULL)
			mc_index_add(st, mcc, s->user, key, expires, now);
		session_free(s);
		if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTSTORED &&
		    rc != MEMCACHED_DATA_EXISTS) {
			free(old);
			return rc;
		}
		memcached_delete(mcc->mc, old, strlen(old), 0);
		free(old);
		return MEMCACHED_SUCCESS;
	}
	return MEMCACHED_NOTFOUND;
}

/* Load the session a cookie value names; version is the item's CAS value. */
static enum store_result
mc_load(struct store *st, void *conn, const char *cookie, time_t now,
    struct session **out, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	struct session	*s;
	char		*id, *key, *value;
	size_t		 len;
	uint64_t	 cas = 0;
	time_t		 until;
	int		 keyidx;

	*out = NULL;
	if (cookie == NULL ||
	    (keyidx = store_verify_id_key(st->keys, cookie, &id)) == -1)
		return STORE_NOTFOUND;
	key = mc_key(st, id);
	rc = mc_get(mcc, key, &value, &len, &cas);
	if (rc == MEMCACHED_NOTFOUND && keyring_count(st->keys) > 1 &&
	    (rc = mc_rekey(st, mcc, id, key, now)) == MEMCACHED_SUCCESS)
		rc = mc_get(mcc, key, &value, &len, &cas);
	if (rc != MEMCACHED_SUCCESS) {
		free(id);
		free(key);
		if (rc == MEMCACHED_NOTFOUND)
			return STORE_NOTFOUND;
		return mc_error(mcc, rc, "get", cause);
	}
	s = mc_parse(value, len, id, now, &until, cause);
	free(value);
	if (s == NULL) {
		free(key);
		return STORE_ERROR;
	}
	if (session_expired(s, st->cfg, now) || (until != 0 && until <= now)) {
		session_free(s);
		free(key);
		return STORE_NOTFOUND;
	}
	s->version = cas;
	store_rekeyed(s, keyidx);
	free(mcc->doomed_key);
	mcc->doomed_key = NULL;
	if (until != 0) {
		mcc->doomed_key = key;
		mcc->doomed_until = until;
	} else
		free(key);
	*out = s;
	return STORE_OK;
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
static void
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

/*
 * Without CAS (lock = none or exclusive) the last write wins, but never
 * over a doom or a delete that came after our load: a save would revive a
 * session logged out or replaced meanwhile for a whole idle timeout. So the
 * write is a CAS all the same, on the version loaded; when that lost, on
 * what is stored now, keeping its end of grace (the doom's "until"). What
 * is gone stays gone (MEMCACHED_NOTFOUND). *value may be rewritten.
 */
static memcached_return_t
mc_overwrite(struct store *st, struct mc_conn *mcc, struct session *s,
    const char *key, char **value, time_t expires, time_t until, time_t now)
{
	memcached_return_t rc;
	struct session	*cur;
	char		*old, *nvalue, *why = NULL;
	size_t		 klen = strlen(key), len;
	uint64_t	 cas;
	time_t		 cur_until;
	int		 try;

	if (s->version != MC_VERSION_UNKNOWN) {
		rc = memcached_cas(mcc->mc, key, klen, *value, strlen(*value),
		    mc_exptime(expires, now), 0, s->version);
		if (rc != MEMCACHED_DATA_EXISTS)
			return rc;
	}
	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, key, &old, &len, &cas);
		if (rc != MEMCACHED_SUCCESS)
			return rc;
		cur = mc_parse(old, len, xstrdup(s->id), now, &cur_until, &why);
		free(old);
		free(why);
		why = NULL;
		if (cur != NULL && cur_until != 0) {
			session_free(cur);
			if (cur_until <= now)
				return MEMCACHED_NOTFOUND;
			/* Doomed since we loaded it: keep its end. */
			if (until == 0 || cur_until < until) {
				until = cur_until;
				if (expires > until)
					expires = until;
				if ((nvalue = mc_value(s, until)) == NULL)
					return MEMCACHED_FAILURE;
				free(*value);
				*value = nvalue;
			}
		} else
			session_free(cur);
		rc = memcached_cas(mcc->mc, key, klen, *value, strlen(*value),
		    mc_exptime(expires, now), 0, cas);
		if (rc != MEMCACHED_DATA_EXISTS)
			return rc;
	}
	return MEMCACHED_DATA_EXISTS;
}

/*
 * Save a session: add when new, CAS or replace when stored. memcached does
 * not report the new CAS value, so s->version becomes MC_VERSION_UNKNOWN.
 */
static enum store_result
mc_save(struct store *st, void *conn, struct session *s, int cas, time_t now,
    char **cookie, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	enum store_result rv = STORE_OK;
	char		*key, *value;
	time_t		 expires, until = 0, oaccess;
	size_t		 klen, vlen;
	int		 tries = 0;

	*cookie = NULL;
	oaccess = s->access;
	s->access = now;
	key = mc_key(st, s->id);
	klen = strlen(key);
	expires = session_expires(s, st->cfg);
	if (mcc->doomed_key != NULL && strcmp(mcc->doomed_key, key) == 0) {
		/* Replaced by a login: never extend its grace period. */
		until = mcc->doomed_until;
		if (expires > until)
			expires = until;
	}
	if ((value = mc_value(s, until)) == NULL) {
		free(key);
		s->access = oaccess;
		*cause = xstrdup("session data cannot be serialized");
		return STORE_ERROR;
	}
	vlen = strlen(value);
	if (st->cfg->max_session_size > 0 &&
	    (long)vlen > st->cfg->max_session_size) {
		rv = STORE_TOOBIG;
		*cause = xstrdup("session data larger than max_session_size");
		goto out;
	}

	do {
		if (s->version == 0) {
			rc = memcached_add(mcc->mc, key, klen, value, vlen,
			    mc_exptime(expires, now), 0);
			if ((rc == MEMCACHED_NOTSTORED ||
			    rc == MEMCACHED_DATA_EXISTS) && !cas)
				rc = memcached_set(mcc->mc, key, klen, value,
				    vlen, mc_exptime(expires, now), 0);
		} else if (cas) {
			rc = memcached_cas(mcc->mc, key, klen, value, vlen,
			    mc_exptime(expires, now), 0, s->version);
		} else
			rc = mc_overwrite(st, mcc, s, key, &value, expires,
			    until, now);
	} while (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_STORED &&
	    mc_retry(mcc, rc, &tries));
	switch (rc) {
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
		break;
	case MEMCACHED_DATA_EXISTS:
	case MEMCACHED_NOTSTORED:
	case MEMCACHED_NOTFOUND:
		if (cas || rc == MEMCACHED_DATA_EXISTS) {
			/* Without CAS: mc_overwrite lost every round. */
			rv = STORE_CONFLICT;
			goto out;
		}
		/* Gone (logout, expiry): never resurrect it. */
		*cause = xstrdup("session no longer stored");
		rv = STORE_NOTFOUND;
		goto out;
	default:
		rv = mc_error(mcc, rc, "store", cause);
		goto out;
	}
	if (s->version == 0 && s->user != NULL)
		mc_index_add(st, mcc, s->user, key, expires, now);
	s->version = MC_VERSION_UNKNOWN;
	*cookie = store_sign_id(st->keys, s->id);

out:
	if (rv != STORE_OK)
		s->access = oaccess;
	free(value);
	free(key);
	return rv;
}

/* Delete a session by id, or leave it readable for `grace` seconds. */
static enum store_result
mc_destroy(struct store *st, void *conn, const char *id, long grace,
    time_t now, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	json_t		*o;
	json_error_t	 jerr;
	char		*key, *value, *nvalue;
	size_t		 len;
	uint64_t	 cas;
	int		 try;

	key = mc_key(st, id);
	if (grace <= 0) {
		rc = memcached_delete(mcc->mc, key, strlen(key), 0);
		free(key);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_DELETED ||
		    rc == MEMCACHED_NOTFOUND)
			return STORE_OK;
		return mc_error(mcc, rc, "delete", cause);
	}

	/* Mark it with the end of its grace so saves cannot extend it. */
	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, key, &value, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND)
			break;
		if (rc != MEMCACHED_SUCCESS)
			goto fail;
		o = json_loadb(value, len, 0, &jerr);
		free(value);
		if (o == NULL || !json_is_object(o)) {
			/* Unreadable: nothing to keep. */
			json_decref(o);
			rc = memcached_delete(mcc->mc, key, strlen(key), 0);
			break;
		}
		json_object_set_new(o, "until", json_integer(now + grace));
		nvalue = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		rc = memcached_cas(mcc->mc, key, strlen(key), nvalue,
		    strlen(nvalue), mc_exptime(now + grace, now), 0, cas);
		free(nvalue);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND)
			break;
		if (rc != MEMCACHED_DATA_EXISTS)
			goto fail;
	}
	free(key);
	if (try == MC_CAS_RETRIES) {
		*cause = xstrdup("session changed too often to destroy");
		return STORE_CONFLICT;
	}
	return STORE_OK;

fail:
	free(key);
	return mc_error(mcc, rc, "destroy", cause);
}

/* Sleep for a number of milliseconds. */
static void
mc_sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Monotonic clock in milliseconds, for lock deadlines. */
static long long
mc_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Take the session's lock: `add` of "<key>:lock" holding a random token,
 * polled with jittered back-off until `timeout` seconds have passed. The
 * lock's TTL covers a handler that runs its full handler_timeout, so it
 * only expires on its own when its holder died.
 */
static enum store_result
mc_lock(struct store *st, void *conn, const char *cookie, long timeout,
    char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*id, *key, *token;
	long long	 deadline;
	long		 delay = 2, ttl;
	unsigned int	 jitter;

	if (mcc->lock_key != NULL) {
		*cause = xstrdup("a session lock is already held");
		return STORE_ERROR;
	}
	if (cookie == NULL || store_verify_id(st->keys, cookie, &id) != 0)
		return STORE_NOTFOUND;
	key = mc_key(st, id);
	free(id);
	id = key;
	xasprintf(&key, "%s" MC_LOCK_SUFFIX, id);
	free(id);
	token = crypto_random_id(12);

	ttl = st->cfg->handler_timeout + MC_LOCK_MARGIN;
	if (ttl < timeout)
		ttl = timeout;
	deadline = mc_now_ms() + (timeout > 0 ? timeout : 1) * 1000LL;
	for (;;) {
		rc = memcached_add(mcc->mc, key, strlen(key), token,
		    strlen(token), ttl, 0);
		if (rc == MEMCACHED_SUCCESS) {
			mcc->lock_key = key;
			mcc->lock_token = token;
			return STORE_OK;
		}
		if (rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS) {
			free(key);
			free(token);
			return mc_error(mcc, rc, "lock", cause);
		}
		if (mc_now_ms() >= deadline)
			break;
		crypto_random(&jitter, sizeof jitter);
		mc_sleep_ms(delay / 2 + (long)(jitter % (unsigned)delay) + 1);
		if (delay < 50)
			delay *= 2;
	}
	free(key);
	free(token);
	*cause = xstrdup("session lock not acquired within lock_timeout");
	return STORE_TIMEOUT;
}

/* Release our lock, unless it expired and someone else holds it now. */
static void
mc_unlock(struct store *st, void *conn)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*value;
	size_t		 len;
	uint64_t	 cas;

	if (mcc->lock_key == NULL)
		return;
	rc = mc_get(mcc, mcc->lock_key, &value, &len, &cas);
	if (rc == MEMCACHED_SUCCESS && strcmp(value, mcc->lock_token) == 0)
		rc = memcached_delete(mcc->mc, mcc->lock_key,
		    strlen(mcc->lock_key), 0);
	else if (rc == MEMCACHED_SUCCESS)
		log_warnx("%s: session lock expired while held", __func__);
	if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND &&
	    rc != MEMCACHED_DELETED)
		log_warnx("%s: %s", __func__, memcached_strerror(mcc->mc, rc));
	free(value);
	free(mcc->lock_key);
	free(mcc->lock_token);
	mcc->lock_key = mcc->lock_token = NULL;
}

/* memcached expires items itself: nothing to collect. */
static enum store_result
mc_gc(struct store *st, void *conn, time_t now, long *n, char **cause)
{
	*n = 0;
	return STORE_OK;
}

/*
 * Before revoke deletes a session: add its ws_id to the list, so that its
 * websockets can be closed. A session that is gone or unreadable adds none.
 */
static void
mc_revoke_ws_id(struct mc_conn *mcc, const char *key, char ***ws_ids,
    size_t *nws)
{
	json_t		*o;
	json_error_t	 jerr;
	const char	*ws_id = NULL;
	char		*value;
	size_t		 len;
	uint64_t	 cas;

	if (mc_get(mcc, key, &value, &len, &cas) != MEMCACHED_SUCCESS)
		return;
	o = json_loadb(value, len, 0, &jerr);
	if (o != NULL && json_unpack_ex(o, &jerr, 0, "{s?:s}", "ws_id",
	    &ws_id) == 0 && ws_id != NULL) {
		*ws_ids = xreallocarray(*ws_ids, *nws + 2, sizeof **ws_ids);
		(*ws_ids)[(*nws)++] = xstrdup(ws_id);
		(*ws_ids)[*nws] = NULL;
	}
	json_decref(o);
	free(value);
}

/*
 * Delete the sessions one chunk of a user index names, then the chunk,
 * unless a login added to it meanwhile (then again). Counts in *n; the
 * ws_ids of the deleted sessions join *ws_ids. STORE_NOTFOUND: no chunk.
 */
static enum store_result
mc_revoke_chunk(struct store *st, struct mc_conn *mcc, const char *ikey,
    long *n, char ***ws_ids, size_t *nws, char **cause)
{
	struct mc_store	*ms = st->priv;
	memcached_return_t rc;
	char		*value, *key, **hashes;
	size_t		 len, i, nh, bad;
	uint64_t	 cas;
	long long	 until;
	int		 try;

	for (try = 0; try < MC_CAS_RETRIES; try++) {
		rc = mc_get(mcc, ikey, &value, &len, &cas);
		if (rc == MEMCACHED_NOTFOUND)
			return STORE_NOTFOUND;
		if (rc != MEMCACHED_SUCCESS)
			return mc_error(mcc, rc, "revoke", cause);
		if (mc_index_parse(value, len, &until, &hashes, &nh, &bad) != 0)
			log_warnx("%s: a user index chunk is not an index: "
			    "dropped", __func__);
		else if (bad != 0)
			log_warnx("%s: %zu entries of a user index chunk are "
			    "not store keys: skipped", __func__, bad);
		free(value);
		for (i = 0; i < nh; i++) {
			xasprintf(&key, "%s%s", ms->prefix, hashes[i]);
			mc_revoke_ws_id(mcc, key, ws_ids, nws);
			rc = memcached_delete(mcc->mc, key, strlen(key), 0);
			free(key);
			if (rc == MEMCACHED_SUCCESS)
				(*n)++;
			else if (rc != MEMCACHED_NOTFOUND) {
				mc_index_free(hashes);
				return mc_error(mcc, rc, "revoke", cause);
			}
		}
		mc_index_free(hashes);
		/* Drop the chunk unless a login added to it meanwhile. */
		rc = memcached_cas(mcc->mc, ikey, strlen(ikey), "0", 1, 1, 0,
		    cas);
		if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND) {
			memcached_delete(mcc->mc, ikey, strlen(ikey), 0);
			return STORE_OK;
		}
		if (rc != MEMCACHED_DATA_EXISTS)
			return mc_error(mcc, rc, "revoke", cause);
	}
	*cause = xstrdup("user index changed too often to revoke");
	return STORE_CONFLICT;
}

/*
 * Delete every session in a user's index, chunk by chunk from the last one
 * (an interrupted revoke leaves chunks 0... for the next one to find), under
 * every key of the keyring (sessions not used since a rotation are indexed
 * under the key they were saved with).
 */
static enum store_result
mc_revoke_user(struct store *st, void *conn, const char *user, long *n,
    char ***ws_ids, char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	enum store_result rv;
	char		*ikey, *value;
	size_t		 k, len, nws = 0;
	uint64_t	 cas;
	int		 last, c, rounds;

	*n = 0;
	*ws_ids = xcalloc(1, sizeof **ws_ids);
	for (k = 0; k < keyring_count(st->keys); k++) {
		for (rounds = 0; rounds < MC_CAS_RETRIES; rounds++) {
			for (last = 0; last < MC_INDEX_CHUNKS; last++) {
				ikey = mc_index_key(st, k, user, last);
				rc = mc_get(mcc, ikey, &value, &len, &cas);
				free(ikey);
				if (rc == MEMCACHED_NOTFOUND)
					break;
				if (rc != MEMCACHED_SUCCESS)
					return mc_error(mcc, rc, "revoke",
					    cause);
				free(value);
			}
			if (last == 0)
				break;
			for (c = last - 1; c >= 0; c--) {
				ikey = mc_index_key(st, k, user, c);
				rv = mc_revoke_chunk(st, mcc, ikey, n, ws_ids,
				    &nws, cause);
				free(ikey);
				if (rv != STORE_OK && rv != STORE_NOTFOUND)
					return rv;
			}
			/* A login filled a chunk past them meanwhile: again. */
			ikey = mc_index_key(st, k, user, last);
			rc = mc_get(mcc, ikey, &value, &len, &cas);
			free(ikey);
			if (rc == MEMCACHED_SUCCESS)
				free(value);
			else
				break;
		}
	}
	return STORE_OK;
}

/*
 * Find a live session by secret id or cookie value (sessionwrap-ctl show).
 * The public SESSION_ID is a one-way hash memcached cannot be searched by.
 */
static enum store_result
mc_show(struct store *st, void *conn, const char *what, struct session **out,
    char **cause)
{
	struct mc_conn	*mcc = conn;
	memcached_return_t rc;
	char		*id, *key, *value;
	size_t		 len;
	uint64_t	 cas;
	time_t		 until, now = time(NULL);

	*out = NULL;
	if (store_verify_id(st->keys, what, &id) != 0)
		id = xstrdup(what);
	key = mc_key(st, id);
	rc = mc_get(mcc, key, &value, &len, &cas);
	free(key);
	if (rc != MEMCACHED_SUCCESS) {
		free(id);
		if (rc == MEMCACHED_NOTFOUND)
			return STORE_NOTFOUND;
		return mc_error(mcc, rc, "get", cause);
	}
	*out = mc_parse(value, len, id, now, &until, cause);
	free(value);
	if (*out == NULL)
		return STORE_ERROR;
	(*out)->version = cas;
	return STORE_OK;
}

/* Per-server item counts and hit rates (sessionwrap-ctl stats). */
static enum store_result
mc_stats(struct store *st, void *conn, time_t now, char **out, char **cause)
{
	static const char *const names[] = {
		"curr_items", "bytes", "get_hits", "get_misses", "evictions",
		"uptime"
	};
	struct mc_conn	*mcc = conn;
	memcached_stat_st *stats;
	memcached_return_t rc, vrc;
	const memcached_instance_st *server;
	uint32_t	 i, n;
	size_t		 j;
	char		*text, *line, *v;

	*out = NULL;
	stats = memcached_stat(mcc->mc, NULL, &rc);
	if (stats == NULL)
		return mc_error(mcc, rc, "stats", cause);
	text = xstrdup("");
	n = memcached_server_count(mcc->mc);
	for (i = 0; i < n; i++) {
		server = memcached_server_instance_by_position(mcc->mc, i);
		for (j = 0; j < sizeof names / sizeof names[0]; j++) {
			v = memcached_stat_get_value(mcc->mc, &stats[i],
			    names[j], &vrc);
			xasprintf(&line, "%s%s:%u %s %s\n", text,
			    memcached_server_name(server),
			    (unsigned)memcached_server_port(server), names[j],
			    v != NULL ? v : "-");
			free(v);
			free(text);
			text = line;
		}
	}
	memcached_stat_free(NULL, stats);
	*out = text;
	if (rc != MEMCACHED_SUCCESS) {
		xasprintf(cause, "memcached stats: %s",
		    memcached_strerror(mcc->mc, rc));
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* What only sessionwrap-ctl calls (store_admin.h). */
static const struct store_admin_ops mc_admin_ops = {
	/* gc */
	.gc = mc_gc,
	/* revoke --user */
	.revoke_user = mc_revoke_user,
	/* show */
	.show = mc_show,
	/* stats */
	.stats = mc_stats,
};

const struct store_ops store_memcached_ops = {
	.name = "memcached",
	.match = mc_match,
	.client_side = 0,
	.open = mc_open,
	.close = mc_close,
	.conn_new = mc_conn_new,
	.conn_free = mc_conn_free,
	.load = mc_load,
	.save = mc_save,
	.destroy = mc_destroy,
	.lock = mc_lock,
	.unlock = mc_unlock,
	.admin = &mc_admin_ops,
};
