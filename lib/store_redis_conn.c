/*
 * The Redis store's connections (hiredis): one per worker thread, made on
 * first use with AUTH, SELECT and SCRIPT LOAD in one round trip, dropped on
 * any I/O failure or timeout and made anew by the next command; and the Lua
 * scripts every write goes through.
 */
#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis.h>

#include "log.h"
#include "store.h"
#include "store_redis_int.h"
#include "xmalloc.h"

/*
 * Each write is one script, so it is one round trip and atomic: a
 * compare-and-swap by WATCH/MULTI/EXEC would take three (WATCH and a read,
 * then MULTI ... EXEC) and retry whenever the watched key was touched.
 */
static const char *const rd_conn_scripts[RD_NSCRIPTS] = {
	/*
	 * KEYS: session, [user index]. ARGV: mode (add, set, cas, over),
	 * version, now, expire-at (0: never), until, index member, fields.
	 * The fields overwrite those stored: a key's user never changes (a
	 * login or logout makes a new id). A new session checks a few of its
	 * user's index entries and drops those whose sessions ended, so the
	 * set tracks the live ones. The field e holds the expire-at last set:
	 * while a save does not move it (requests within one second), the
	 * key's TTL and the index (whose TTL covers it) stay as they are.
	 * Returns the new version, -1 when add or cas lost, -2 when an
	 * overwrite found the session gone (never resurrect it).
	 */
	[RD_SCRIPT_SAVE] =
	"local k, mode = KEYS[1], ARGV[1]\n"
	"local cur = redis.call('HMGET', k, 'v', 'u', 'e')\n"
	"local ver, now = tonumber(cur[1]), tonumber(ARGV[3])\n"
	"local exp, untl = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
	"if mode == 'add' then\n"
	"  if ver then return -1 end\n"
	"elseif mode == 'cas' then\n"
	"  if ver ~= tonumber(ARGV[2]) then return -1 end\n"
	"elseif mode == 'over' then\n"
	"  if not ver then return -2 end\n"
	"  local cu = tonumber(cur[2]) or 0\n"
	"  if cu ~= 0 then\n"
	"    if cu <= now then return -2 end\n"
	"    if untl == 0 or cu < untl then untl = cu end\n"
	"  end\n"
	"end\n"
	"if untl ~= 0 and (exp == 0 or untl < exp) then exp = untl end\n"
	"ver = (ver or 0) + 1\n"
	"redis.call('HSET', k, 'v', ver, 'u', untl, 'e', exp, unpack(ARGV, 7))\n"
	"local moved = tonumber(cur[3]) ~= exp\n"
	"if moved and exp ~= 0 then redis.call('EXPIREAT', k, exp) end\n"
	"if ARGV[6] ~= '' and (moved or ver == 1) then\n"
	"  local ix = KEYS[2]\n"
	"  redis.call('HSET', k, 'i', ix)\n"
	"  local t = redis.call('TTL', ix)\n"
	"  redis.call('SADD', ix, ARGV[6])\n"
	"  if ver == 1 then\n"
	"    local p = string.sub(k, 1, #k - 64)\n"
	"    for _, m in ipairs(redis.call('SRANDMEMBER', ix, 4)) do\n"
	"      if redis.call('EXISTS', p .. m) == 0 then\n"
	"        redis.call('SREM', ix, m) end\n"
	"    end\n"
	"  end\n"
	"  if exp == 0 then redis.call('PERSIST', ix)\n"
	"  elseif t == -2 or (t >= 0 and now + t < exp) then\n"
	"    redis.call('EXPIREAT', ix, exp) end\n"
	"end\n"
	"return ver\n",
	/*
	 * KEYS: session. ARGV: end of grace (0: delete now), index member,
	 * now. The index key is the session's own "i" field (one server:
	 * every key a script touches is on it). Clears e: the next save sets
	 * the TTL again. Returns 1, or 0 when none.
	 */
	[RD_SCRIPT_DESTROY] =
	"local k = KEYS[1]\n"
	"local cur = redis.call('HMGET', k, 'v', 'u', 'i')\n"
	"if not cur[1] then return 0 end\n"
	"local g = tonumber(ARGV[1])\n"
	"if g == 0 then\n"
	"  redis.call('DEL', k)\n"
	"  if cur[3] then redis.call('SREM', cur[3], ARGV[2]) end\n"
	"  return 1\n"
	"end\n"
	"local cu = tonumber(cur[2]) or 0\n"
	"if cu ~= 0 and cu < g then g = cu end\n"
	"redis.call('HSET', k, 'u', g, 'v', tonumber(cur[1]) + 1, 'e', '')\n"
	"local t = redis.call('TTL', k)\n"
	"if t == -1 or tonumber(ARGV[3]) + t > g then\n"
	"  redis.call('EXPIREAT', k, g) end\n"
	"return 1\n",
	/* KEYS: lock. ARGV: our token. Deletes it only when it is ours. */
	[RD_SCRIPT_UNLOCK] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('DEL', KEYS[1]) end\n"
	"return -1\n",
	/*
	 * KEYS: old session, new session, [new user index]. ARGV: old and new
	 * index member. Renames (TTL kept) and moves the index entry;
	 * returns 1, or 0 when the old one is gone or the new one exists.
	 */
	[RD_SCRIPT_REKEY] =
	"if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end\n"
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
	"local ix = redis.call('HGET', KEYS[1], 'i')\n"
	"redis.call('RENAME', KEYS[1], KEYS[2])\n"
	"if ix then redis.call('SREM', ix, ARGV[1]) end\n"
	"if KEYS[3] then\n"
	"  redis.call('HSET', KEYS[2], 'i', KEYS[3])\n"
	"  redis.call('SADD', KEYS[3], ARGV[2])\n"
	"  local t, ti = redis.call('TTL', KEYS[2]), redis.call('TTL', KEYS[3])\n"
	"  if t == -1 then redis.call('PERSIST', KEYS[3])\n"
	"  elseif ti ~= -1 and ti < t then redis.call('EXPIRE', KEYS[3], t) end\n"
	"end\n"
	"return 1\n",
	/*
	 * KEYS: session, [user index: else its own "i" field]. ARGV: index
	 * member. Drops the member, deletes the session; returns its ws_id
	 * ('' without), nil if gone.
	 */
	[RD_SCRIPT_REVOKE] =
	"local w = redis.call('HMGET', KEYS[1], 'v', 'w', 'i')\n"
	"local ix = KEYS[2] or w[3]\n"
	"if ix then redis.call('SREM', ix, ARGV[1]) end\n"
	"if not w[1] then return false end\n"
	"redis.call('DEL', KEYS[1])\n"
	"return w[2] or ''\n",
	/*
	 * KEYS: counter. ARGV: delta, lifetime (s). Adds delta (never below
	 * 0; a decrement never makes one); one made gets the lifetime, which
	 * later changes keep. Returns the new count.
	 */
	[RD_SCRIPT_COUNT] =
	"local k, d = KEYS[1], tonumber(ARGV[1])\n"
	"if d < 0 then\n"
	"  local v = tonumber(redis.call('GET', k))\n"
	"  if not v then return 0 end\n"
	"  if v + d < 0 then d = -v end\n"
	"end\n"
	"local v = redis.call('INCRBY', k, d)\n"
	"if redis.call('TTL', k) == -1 then\n"
	"  redis.call('EXPIRE', k, ARGV[2]) end\n"
	"return v\n",
};

/*
 * The process-wide state of a redis:// value: parsed, connected on first
 * use (the store, and sessionwrap-login's counters); NULL and *cause.
 */
struct rd_store *
rd_conn_store(const char *uri, char **cause)
{
	struct rd_store	*rs;
	struct sigaction sa;

	/*
	 * hiredis writes with write(2): a server gone away must be an error,
	 * not SIGPIPE (sessionwrap and sessionwrap-ws ignore it already).
	 */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	rs = xcalloc(1, sizeof *rs);
	if (redis_uri_parse(uri, &rs->uri, cause) != 0) {
		free(rs);
		return NULL;
	}
	if (rs->uri.prefix == NULL)
		rs->uri.prefix = xstrdup(RD_DEFAULT_PREFIX);
	if (rs->uri.timeout == 0)
		rs->uri.timeout = RD_DEFAULT_TIMEOUT;
	pthread_mutex_init(&rs->stale_mtx, NULL);
	if (rs->uri.path != NULL)
		rs->where = xstrdup(rs->uri.path);
	else if (strchr(rs->uri.host, ':') != NULL)
		xasprintf(&rs->where, "[%s]:%d", rs->uri.host, rs->uri.port);
	else
		xasprintf(&rs->where, "%s:%d", rs->uri.host, rs->uri.port);
	return rs;
}

/* Open the store cfg->store names: parse it; connect on first use. */
void *
rd_conn_open(struct store *st, char **cause)
{
	if (st->keys == NULL || keyring_count(st->keys) == 0) {
		*cause = xstrdup("the redis store needs secret_file "
		    "(keys for signed ids and store keys)");
		return NULL;
	}
	return rd_conn_store(st->cfg->store, cause);
}

/* Free what rd_conn_open returned. */
void
rd_conn_close(void *arg)
{
	struct rd_store	*rs = arg;
	struct rd_stale	*s;

	if (rs == NULL)
		return;
	while ((s = rs->stale) != NULL) {
		rs->stale = s->next;
		free(s->key);
		free(s->token);
		free(s);
	}
	pthread_mutex_destroy(&rs->stale_mtx);
	redis_uri_free(&rs->uri);
	free(rs->where);
	free(rs);
}

/* A worker's connection state; the connection itself comes on first use. */
void *
rd_conn_new(struct store *st, char **cause)
{
	struct rd_conn	*rc;

	(void)cause;
	rc = xcalloc(1, sizeof *rc);
	rc->rs = st->priv;
	return rc;
}

/* Drop the connection (after a failure: its replies are out of step). */
static void
rd_conn_drop(struct rd_conn *rc)
{
	if (rc->c != NULL)
		redisFree(rc->c);
	rc->c = NULL;
}

/* Free a worker's connection and what it holds. */
void
rd_conn_free(void *arg)
{
	struct rd_conn	*rc = arg;

	if (rc == NULL)
		return;
	rd_conn_drop(rc);
	free(rc->lock_key);
	free(rc->lock_token);
	free(rc->doomed_key);
	store_last_clear(&rc->last);
	free(rc->fmt);
	free(rc);
}

/* The server's words, printable and short, for a cause. */
static void
rd_conn_text(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i;

	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
	out[i] = '\0';
}

/* A cause for an unexpected reply: "redis WHAT: ..." (caller frees). */
char *
rd_conn_unexpected(const char *what, const redisReply *r)
{
	char	 text[160], *cause;

	if (r == NULL)
		xasprintf(&cause, "redis %s: no reply", what);
	else if (r->type == REDIS_REPLY_ERROR) {
		rd_conn_text(r->str, r->len, text, sizeof text);
		xasprintf(&cause, "redis %s: %s", what, text);
	} else
		xasprintf(&cause, "redis %s: unexpected reply (type %d)", what,
		    r->type);
	return cause;
}

/*
 * After connecting: AUTH (never logged), SELECT and the scripts, sent at
 * once and read back in order; -1 and *cause on the first that failed.
 */
static int
rd_conn_setup(struct rd_conn *rc, char **cause)
{
	const struct redis_uri *u = &rc->rs->uri;
	const char	*argv[3];
	char		 db[16];
	redisReply	*r;
	int		 n = 0, i, bad = 0, ok;

	if (u->pass != NULL) {
		argv[0] = "AUTH";
		argv[1] = u->user != NULL ? u->user : u->pass;
		argv[2] = u->pass;
		redisAppendCommandArgv(rc->c, u->user != NULL ? 3 : 2, argv,
		    NULL);
		n++;
	}
	if (u->db != 0) {
		snprintf(db, sizeof db, "%d", u->db);
		argv[0] = "SELECT";
		argv[1] = db;
		redisAppendCommandArgv(rc->c, 2, argv, NULL);
		n++;
	}
	for (i = 0; i < RD_NSCRIPTS; i++) {
		argv[0] = "SCRIPT";
		argv[1] = "LOAD";
		argv[2] = rd_conn_scripts[i];
		redisAppendCommandArgv(rc->c, 3, argv, NULL);
	}
	for (i = 0; i < n + RD_NSCRIPTS; i++) {
		if (redisGetReply(rc->c, (void **)&r) != REDIS_OK) {
			xasprintf(cause, "redis %s: %s", rc->rs->where,
			    rc->c->errstr);
			return -1;
		}
		ok = r->type != REDIS_REPLY_ERROR && (i < n ||
		    (r->type == REDIS_REPLY_STRING && r->len == 40));
		if (!ok && !bad) {
			*cause = rd_conn_unexpected(i < n ? (u->pass != NULL &&
			    i == 0 ? "AUTH" : "SELECT") : "SCRIPT LOAD", r);
			bad = 1;
		} else if (ok && i >= n)
			memcpy(rc->sha[i - n], r->str, 41);
		freeReplyObject(r);
	}
	return bad ? -1 : 0;
}

/* Connect with the timeouts; -1 and *cause. */
static int
rd_conn_connect(struct rd_conn *rc, char **cause)
{
	const struct redis_uri *u = &rc->rs->uri;
	struct timeval	 tv;

	tv.tv_sec = u->timeout / 1000;
	tv.tv_usec = (u->timeout % 1000) * 1000;
	if (u->path != NULL)
		rc->c = redisConnectUnixWithTimeout(u->path, tv);
	else
		rc->c = redisConnectWithTimeout(u->host, u->port, tv);
	if (rc->c == NULL) {
		xasprintf(cause, "redis %s: cannot allocate a connection",
		    rc->rs->where);
		return -1;
	}
	if (rc->c->err != 0) {
		xasprintf(cause, "redis %s: %s", rc->rs->where, rc->c->errstr);
		rd_conn_drop(rc);
		return -1;
	}
	if (redisSetTimeout(rc->c, tv) != REDIS_OK ||
	    (u->path == NULL && redisEnableKeepAlive(rc->c) != REDIS_OK)) {
		xasprintf(cause, "redis %s: %s", rc->rs->where, rc->c->errstr);
		rd_conn_drop(rc);
		return -1;
	}
	if (rd_conn_setup(rc, cause) != 0) {
		rd_conn_drop(rc);
		return -1;
	}
	return 0;
}

/*
 * True when a command failed on a connection the server closed (it
 * restarted): worth one more try on a new one. Not after a timeout, which
 * a stalled server would only repeat.
 */
static int
rd_conn_stale(const redisContext *c, int saved_errno)
{
	if (c->err == REDIS_ERR_EOF)
		return 1;
	return c->err == REDIS_ERR_IO && saved_errno != EAGAIN &&
	    saved_errno != EWOULDBLOCK && saved_errno != EINTR;
}

/* Write "<lead><n>\r\n" at p (n >= 0); returns the byte after it. */
static char *
rd_conn_len(char *p, char lead, size_t n)
{
	char	 digits[24];
	size_t	 i = 0;

	*p++ = lead;
	do
		digits[i++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	while (i > 0)
		*p++ = digits[--i];
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/*
 * A command in the protocol's form (an array of bulk strings) in the
 * connection's buffer, which is kept for the next: hiredis's own
 * formatting builds it from a dozen printf-like calls per argument.
 * Returns its length.
 */
static size_t
rd_conn_format(struct rd_conn *rc, int argc, const char **argv,
    const size_t *argvlen)
{
	size_t	 need = 24, len;
	char	*p;
	int	 i;

	for (i = 0; i < argc; i++)
		need += 24 + 2 + (argvlen != NULL ? argvlen[i] :
		    strlen(argv[i]));
	if (need > rc->fmtsize) {
		free(rc->fmt);
		rc->fmt = xmalloc(need);
		rc->fmtsize = need;
	}
	p = rd_conn_len(rc->fmt, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		len = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		p = rd_conn_len(p, '$', len);
		memcpy(p, argv[i], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	return (size_t)(p - rc->fmt);
}

/* Send one command and read its reply; NULL when the connection failed. */
static redisReply *
rd_conn_call(struct rd_conn *rc, int argc, const char **argv,
    const size_t *argvlen)
{
	void	*r = NULL;
	size_t	 len;

	len = rd_conn_format(rc, argc, argv, argvlen);
	if (redisAppendFormattedCommand(rc->c, rc->fmt, len) != REDIS_OK ||
	    redisGetReply(rc->c, &r) != REDIS_OK)
		return NULL;
	return r;
}

/* Run one command; error replies are returned as replies. */
static enum store_result
rd_conn_exec(struct rd_conn *rc, int argc, const char **argv,
    const size_t *argvlen, redisReply **reply, char **cause)
{
	redisReply	*r;
	int		 fresh, tries, saved_errno, stale;

	*reply = NULL;
	for (tries = 0;; tries++) {
		fresh = rc->c == NULL;
		if (fresh && rd_conn_connect(rc, cause) != 0)
			return STORE_ERROR;
		errno = 0;
		r = rd_conn_call(rc, argc, argv, argvlen);
		if (r != NULL) {
			*reply = r;
			return STORE_OK;
		}
		saved_errno = errno;
		stale = rd_conn_stale(rc->c, saved_errno);
		if (fresh || tries > 0 || !stale) {
			xasprintf(cause, "redis %s: %s", rc->rs->where,
			    rc->c->errstr[0] != '\0' ? rc->c->errstr :
			    "connection failed");
			rd_conn_drop(rc);
			return STORE_ERROR;
		}
		rd_conn_drop(rc);
	}
}

/* Run one command: an error reply is STORE_ERROR (see the header). */
enum store_result
rd_conn_cmd(struct rd_conn *rc, int argc, const char **argv,
    const size_t *argvlen, redisReply **reply, char **cause)
{
	enum store_result rv;

	rv = rd_conn_exec(rc, argc, argv, argvlen, reply, cause);
	if (rv == STORE_OK && (*reply)->type == REDIS_REPLY_ERROR) {
		*cause = rd_conn_unexpected(argv[0], *reply);
		freeReplyObject(*reply);
		*reply = NULL;
		return STORE_ERROR;
	}
	return rv;
}

/* EVALSHA's argv in out[]: name, sha (or script), key count, then argv. */
static void
rd_conn_evargs(struct rd_conn *rc, enum rd_script which, int eval, int nkeys,
    int argc, const char **argv, const size_t *argvlen, const char **out,
    size_t *outlen, char nk[16])
{
	int	 i;

	snprintf(nk, 16, "%d", nkeys);
	out[0] = eval ? "EVAL" : "EVALSHA";
	out[1] = eval ? rd_conn_scripts[which] : rc->sha[which];
	out[2] = nk;
	for (i = 0; i < 3; i++)
		outlen[i] = strlen(out[i]);
	for (i = 0; i < argc; i++) {
		out[3 + i] = argv[i];
		outlen[3 + i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	}
}

/* True for the error reply of a script the server does not know. */
static int
rd_conn_noscript(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ERROR && r->len >= 8 &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/* Run a script: EVALSHA, and EVAL when the server lost it (SCRIPT FLUSH). */
enum store_result
rd_conn_script(struct rd_conn *rc, enum rd_script which, int nkeys, int argc,
    const char **argv, const size_t *argvlen, redisReply **reply,
    char **cause)
{
	const char	**av;
	size_t		*avlen;
	char		 nk[16];
	enum store_result rv;
	int		 eval;

	/* Connected first: EVALSHA names the hash SCRIPT LOAD answered. */
	if (rc->c == NULL && rd_conn_connect(rc, cause) != 0)
		return STORE_ERROR;
	av = xreallocarray(NULL, argc + 3, sizeof *av);
	avlen = xreallocarray(NULL, argc + 3, sizeof *avlen);
	for (eval = 0; eval < 2; eval++) {
		rd_conn_evargs(rc, which, eval, nkeys, argc, argv, argvlen,
		    av, avlen, nk);
		rv = rd_conn_exec(rc, argc + 3, av, avlen, reply, cause);
		if (rv != STORE_OK || !rd_conn_noscript(*reply))
			break;
		freeReplyObject(*reply);
		*reply = NULL;
	}
	free(av);
	free(avlen);
	if (rv == STORE_OK && (*reply)->type == REDIS_REPLY_ERROR) {
		*cause = rd_conn_unexpected("script", *reply);
		freeReplyObject(*reply);
		*reply = NULL;
		rv = STORE_ERROR;
	}
	return rv;
}

/*
 * n calls of one script, sent at once; call j's argv is argv[j * argc ...].
 * A NOSCRIPT answer is run again alone. On a failure every reply read so
 * far stays in replies[] for the caller to free.
 */
enum store_result
rd_conn_pipeline(struct rd_conn *rc, enum rd_script which, int nkeys,
    int argc, const char **argv, const size_t *argvlen, size_t n,
    redisReply **replies, char **cause)
{
	const char	**av;
	size_t		*avlen, j;
	char		 nk[16];
	enum store_result rv = STORE_OK;

	memset(replies, 0, n * sizeof *replies);
	if (rc->c == NULL && rd_conn_connect(rc, cause) != 0)
		return STORE_ERROR;
	av = xreallocarray(NULL, argc + 3, sizeof *av);
	avlen = xreallocarray(NULL, argc + 3, sizeof *avlen);
	for (j = 0; j < n; j++) {
		rd_conn_evargs(rc, which, 0, nkeys, argc, argv + j * argc,
		    argvlen != NULL ? argvlen + j * argc : NULL, av, avlen, nk);
		redisAppendCommandArgv(rc->c, argc + 3, av, avlen);
	}
	for (j = 0; j < n; j++) {
		if (redisGetReply(rc->c, (void **)&replies[j]) != REDIS_OK) {
			xasprintf(cause, "redis %s: %s", rc->rs->where,
			    rc->c->errstr);
			rd_conn_drop(rc);
			rv = STORE_ERROR;
			break;
		}
	}
	for (j = 0; rv == STORE_OK && j < n; j++) {
		if (!rd_conn_noscript(replies[j]))
			continue;
		freeReplyObject(replies[j]);
		rv = rd_conn_script(rc, which, nkeys, argc, argv + j * argc,
		    argvlen != NULL ? argvlen + j * argc : NULL, &replies[j],
		    cause);
	}
	free(av);
	free(avlen);
	return rv;
}
