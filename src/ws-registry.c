/* The registry: ws_id -> open connections, and ws_ids closed moments ago. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "ws.h"
#include "xmalloc.h"

/* One session's open connections. */
struct ws_entry {
	char			*ws_id;
	uint32_t		 hash;
	u_int			 n;
	LIST_HEAD(, ws_conn)	 conns;
	struct ws_entry		*next;		/* hash chain */
};

/* A ws_id that was CLOSEd: connections racing the close are refused too. */
struct ws_closed {
	char			*ws_id;
	uint32_t		 hash;
	time_t			 expires;
	int			 tier;		/* WS_TIER_* */
	struct ws_closed	*next;		/* hash chain */
	TAILQ_ENTRY(ws_closed)	 fifo;		/* oldest first */
};
TAILQ_HEAD(ws_closed_fifo, ws_closed);

/*
 * Two lists, each bounded by WS_CLOSED_MAX: ids that had sockets, and ids
 * nobody had a socket of (a load may be racing the CLOSE). A flood of
 * CLOSEs for unknown ids only ever evicts the second.
 */
#define WS_TIER_SOCKETS	0
#define WS_TIER_UNKNOWN	1

/* Connections of one client address. */
struct ws_addr {
	char			*addr;
	uint32_t		 hash;
	u_int			 n;
	struct ws_addr		*next;		/* hash chain */
};

static struct ws_entry		**ws_registry_table;
static size_t			  ws_registry_size;
static u_int			  ws_registry_n;

static struct ws_closed		**ws_registry_ctable;
static size_t			  ws_registry_csize;
static u_int			  ws_registry_cn;
static u_int			  ws_registry_tier_n[2];
static struct ws_closed_fifo	  ws_registry_fifo[2] = {
	TAILQ_HEAD_INITIALIZER(ws_registry_fifo[0]),
	TAILQ_HEAD_INITIALIZER(ws_registry_fifo[1])
};

static struct ws_addr		**ws_registry_atable;
static size_t			  ws_registry_asize;
static u_int			  ws_registry_an;
static uint32_t			  ws_registry_seed;

/*
 * FNV-1a, seeded at start-up: ws_ids are server-made random strings, but
 * client addresses are chosen by clients.
 */
static uint32_t
ws_registry_hash(const char *s)
{
	uint32_t	 h = 2166136261u ^ ws_registry_seed;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

/* Empty tables. */
void
ws_registry_init(void)
{
	ws_registry_size = 1024;
	ws_registry_table = xcalloc(ws_registry_size, sizeof *ws_registry_table);
	ws_registry_csize = 1024;
	ws_registry_ctable = xcalloc(ws_registry_csize,
	    sizeof *ws_registry_ctable);
	ws_registry_asize = 1024;
	ws_registry_atable = xcalloc(ws_registry_asize,
	    sizeof *ws_registry_atable);
	crypto_random(&ws_registry_seed, sizeof ws_registry_seed);
}

/* Free both tables; connections must be gone already. */
void
ws_registry_free(void)
{
	struct ws_closed	*wc;
	struct ws_entry		*e, *next;
	struct ws_addr		*a;
	size_t			 i;

	for (i = 0; i < ws_registry_size; i++) {
		for (e = ws_registry_table[i]; e != NULL; e = next) {
			next = e->next;
			free(e->ws_id);
			free(e);
		}
	}
	free(ws_registry_table);
	ws_registry_table = NULL;
	for (i = 0; i < 2; i++) {
		while ((wc = TAILQ_FIRST(&ws_registry_fifo[i])) != NULL) {
			TAILQ_REMOVE(&ws_registry_fifo[i], wc, fifo);
			free(wc->ws_id);
			free(wc);
		}
		ws_registry_tier_n[i] = 0;
	}
	free(ws_registry_ctable);
	ws_registry_ctable = NULL;
	ws_registry_n = ws_registry_cn = 0;
	for (i = 0; i < ws_registry_asize; i++) {
		while ((a = ws_registry_atable[i]) != NULL) {
			ws_registry_atable[i] = a->next;
			free(a->addr);
			free(a);
		}
	}
	free(ws_registry_atable);
	ws_registry_atable = NULL;
	ws_registry_an = 0;
}

/* The entry for a ws_id, or NULL. */
static struct ws_entry *
ws_registry_find(const char *ws_id)
{
	struct ws_entry	*e;
	uint32_t	 h = ws_registry_hash(ws_id);

	for (e = ws_registry_table[h % ws_registry_size]; e != NULL;
	    e = e->next) {
		if (e->hash == h && strcmp(e->ws_id, ws_id) == 0)
			return e;
	}
	return NULL;
}

/* Double the entry table when it gets crowded. */
static void
ws_registry_grow(void)
{
	struct ws_entry	**table, *e, *next;
	size_t		  size = ws_registry_size * 2, i;

	table = xcalloc(size, sizeof *table);
	for (i = 0; i < ws_registry_size; i++) {
		for (e = ws_registry_table[i]; e != NULL; e = next) {
			next = e->next;
			e->next = table[e->hash % size];
			table[e->hash % size] = e;
		}
	}
	free(ws_registry_table);
	ws_registry_table = table;
	ws_registry_size = size;
}

/* Register an upgraded connection under its session's ws_id. */
void
ws_registry_add(struct ws_conn *c, const char *ws_id)
{
	struct ws_entry	*e;
	size_t		 slot;

	if (c->entry != NULL)
		fatalx("%s: connection already registered", __func__);
	if ((e = ws_registry_find(ws_id)) == NULL) {
		if (ws_registry_n >= ws_registry_size)
			ws_registry_grow();
		e = xcalloc(1, sizeof *e);
		e->ws_id = xstrdup(ws_id);
		e->hash = ws_registry_hash(ws_id);
		LIST_INIT(&e->conns);
		slot = e->hash % ws_registry_size;
		e->next = ws_registry_table[slot];
		ws_registry_table[slot] = e;
		ws_registry_n++;
	}
	LIST_INSERT_HEAD(&e->conns, c, reg_entry);
	e->n++;
	c->entry = e;
	ws_server->nopen++;
}

/* Take a connection out of the registry (closing or gone); no-op if not in. */
void
ws_registry_remove(struct ws_conn *c)
{
	struct ws_entry	*e = c->entry, **pp;

	if (e == NULL)
		return;
	LIST_REMOVE(c, reg_entry);
	c->entry = NULL;
	e->n--;
	ws_server->nopen--;
	if (e->n != 0)
		return;
	for (pp = &ws_registry_table[e->hash % ws_registry_size]; *pp != e;
	    pp = &(*pp)->next)
		;
	*pp = e->next;
	free(e->ws_id);
	free(e);
	ws_registry_n--;
}

/* The ws_id an entry is for. */
const char *
ws_registry_entry_id(const struct ws_entry *e)
{
	return e->ws_id;
}

/* Open connections of a ws_id. */
u_int
ws_registry_count(const char *ws_id)
{
	struct ws_entry	*e;

	return (e = ws_registry_find(ws_id)) == NULL ? 0 : e->n;
}

/* Sessions with at least one open connection. */
u_int
ws_registry_sessions(void)
{
	return ws_registry_n;
}

/*
 * Close every connection of a ws_id and remember the ws_id so that a
 * connection racing this command is refused as well. Returns how many.
 */
u_int
ws_registry_close(const char *ws_id, int code, const char *reason)
{
	struct ws_entry	*e;
	struct ws_conn	*c;
	u_int		 n = 0;

	e = ws_registry_find(ws_id);
	ws_registry_remember(ws_id, time(NULL), WS_CLOSED_TTL, e != NULL);
	if (e == NULL)
		return 0;
	/* ws_conn_close unregisters, and frees e with the last one. */
	while (n < ws_server->nconns && (c = LIST_FIRST(&e->conns)) != NULL) {
		n++;
		if (e->n == 1) {
			ws_conn_close(c, code, reason);
			break;
		}
		ws_conn_close(c, code, reason);
	}
	return n;
}

/* Send a text message to every open connection of a ws_id; how many took it. */
u_int
ws_registry_send(const char *ws_id, const char *text, size_t len)
{
	struct ws_entry	*e;
	struct ws_conn	*c;
	u_int		 n = 0;

	if ((e = ws_registry_find(ws_id)) == NULL)
		return 0;
	LIST_FOREACH(c, &e->conns, reg_entry) {
		if (ws_conn_send_text(c, text, len) == 0)
			n++;
	}
	return n;
}

/* Take a remembered ws_id out of its list and the table, and free it. */
static void
ws_registry_forget(struct ws_closed *wc)
{
	struct ws_closed	**pp;

	TAILQ_REMOVE(&ws_registry_fifo[wc->tier], wc, fifo);
	ws_registry_tier_n[wc->tier]--;
	for (pp = &ws_registry_ctable[wc->hash % ws_registry_csize];
	    *pp != wc; pp = &(*pp)->next)
		;
	*pp = wc->next;
	free(wc->ws_id);
	free(wc);
	ws_registry_cn--;
}

/*
 * Forget closed ws_ids whose time is up (oldest first); with make_room >= 0,
 * also the oldest of that tier while it is full.
 */
static void
ws_registry_expire(time_t now, int make_room)
{
	struct ws_closed	*wc;
	int			 t;

	for (t = 0; t < 2; t++) {
		while ((wc = TAILQ_FIRST(&ws_registry_fifo[t])) != NULL) {
			if (wc->expires > now && !(make_room == t &&
			    ws_registry_tier_n[t] >= WS_CLOSED_MAX))
				break;
			ws_registry_forget(wc);
		}
	}
}

/* The remembered entry of a ws_id, or NULL. */
static struct ws_closed *
ws_registry_cfind(const char *ws_id, uint32_t h)
{
	struct ws_closed	*wc;

	for (wc = ws_registry_ctable[h % ws_registry_csize]; wc != NULL;
	    wc = wc->next) {
		if (wc->hash == h && strcmp(wc->ws_id, ws_id) == 0)
			return wc;
	}
	return NULL;
}

/* Was this ws_id CLOSEd recently? */
int
ws_registry_closed(const char *ws_id, time_t now)
{
	struct ws_closed	*wc;

	ws_registry_expire(now, -1);
	wc = ws_registry_cfind(ws_id, ws_registry_hash(ws_id));
	return wc != NULL && wc->expires > now;
}

/* Remember a CLOSEd ws_id for ttl seconds (bounded per tier; see above). */
void
ws_registry_remember(const char *ws_id, time_t now, long ttl, int had_sockets)
{
	struct ws_closed	*wc, **table, *next;
	uint32_t		 h = ws_registry_hash(ws_id);
	size_t			 size, i;
	int			 tier;

	tier = had_sockets ? WS_TIER_SOCKETS : WS_TIER_UNKNOWN;
	if ((wc = ws_registry_cfind(ws_id, h)) != NULL) {
		/* Again: it keeps the better tier, and the later expiry. */
		if (wc->tier == WS_TIER_SOCKETS)
			tier = WS_TIER_SOCKETS;
		ws_registry_forget(wc);
	}
	ws_registry_expire(now, tier);
	if (ws_registry_cn >= ws_registry_csize) {
		size = ws_registry_csize * 2;
		table = xcalloc(size, sizeof *table);
		for (i = 0; i < ws_registry_csize; i++) {
			for (wc = ws_registry_ctable[i]; wc != NULL; wc = next) {
				next = wc->next;
				wc->next = table[wc->hash % size];
				table[wc->hash % size] = wc;
			}
		}
		free(ws_registry_ctable);
		ws_registry_ctable = table;
		ws_registry_csize = size;
	}
	wc = xcalloc(1, sizeof *wc);
	wc->ws_id = xstrdup(ws_id);
	wc->hash = h;
	wc->expires = now + ttl;
	wc->tier = tier;
	wc->next = ws_registry_ctable[h % ws_registry_csize];
	ws_registry_ctable[h % ws_registry_csize] = wc;
	TAILQ_INSERT_TAIL(&ws_registry_fifo[tier], wc, fifo);
	ws_registry_tier_n[tier]++;
	ws_registry_cn++;
}

/* How many closed ws_ids are remembered. */
u_int
ws_registry_remembered(void)
{
	ws_registry_expire(time(NULL), -1);
	return ws_registry_cn;
}

/* The counter of a client address, or NULL. */
static struct ws_addr *
ws_registry_afind(const char *addr, uint32_t h)
{
	struct ws_addr	*a;

	for (a = ws_registry_atable[h % ws_registry_asize]; a != NULL;
	    a = a->next) {
		if (a->hash == h && strcmp(a->addr, addr) == 0)
			return a;
	}
	return NULL;
}

/* One more connection from a client address; its count now. */
u_int
ws_registry_addr_add(const char *addr)
{
	struct ws_addr	*a, **table, *next;
	uint32_t	 h = ws_registry_hash(addr);
	size_t		 size, i;

	if ((a = ws_registry_afind(addr, h)) != NULL)
		return ++a->n;
	if (ws_registry_an >= ws_registry_asize) {
		size = ws_registry_asize * 2;
		table = xcalloc(size, sizeof *table);
		for (i = 0; i < ws_registry_asize; i++) {
			for (a = ws_registry_atable[i]; a != NULL; a = next) {
				next = a->next;
				a->next = table[a->hash % size];
				table[a->hash % size] = a;
			}
		}
		free(ws_registry_atable);
		ws_registry_atable = table;
		ws_registry_asize = size;
	}
	a = xcalloc(1, sizeof *a);
	a->addr = xstrdup(addr);
	a->hash = h;
	a->n = 1;
	a->next = ws_registry_atable[h % ws_registry_asize];
	ws_registry_atable[h % ws_registry_asize] = a;
	ws_registry_an++;
	return 1;
}

/* A connection from a client address is gone. */
void
ws_registry_addr_del(const char *addr)
{
	struct ws_addr	*a, **pp;
	uint32_t	 h = ws_registry_hash(addr);

	if ((a = ws_registry_afind(addr, h)) == NULL)
		fatalx("%s: address not counted", __func__);
	if (--a->n != 0)
		return;
	for (pp = &ws_registry_atable[h % ws_registry_asize]; *pp != a;
	    pp = &(*pp)->next)
		;
	*pp = a->next;
	free(a->addr);
	free(a);
	ws_registry_an--;
}
