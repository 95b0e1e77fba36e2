/* The registry: ws_id -> open connections, and ws_ids closed moments ago. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	struct ws_closed	*next;		/* hash chain */
	TAILQ_ENTRY(ws_closed)	 fifo;		/* oldest first */
};

static struct ws_entry		**ws_registry_table;
static size_t			  ws_registry_size;
static u_int			  ws_registry_n;

static struct ws_closed		**ws_registry_ctable;
static size_t			  ws_registry_csize;
static u_int			  ws_registry_cn;
static TAILQ_HEAD(, ws_closed)	  ws_registry_fifo =
    TAILQ_HEAD_INITIALIZER(ws_registry_fifo);

/* FNV-1a: ws_ids are server-made random strings, so no flooding concern. */
static uint32_t
ws_registry_hash(const char *s)
{
	uint32_t	 h = 2166136261u;

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
}

/* Free both tables; connections must be gone already. */
void
ws_registry_free(void)
{
	struct ws_closed	*wc;
	struct ws_entry		*e, *next;
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
	while ((wc = TAILQ_FIRST(&ws_registry_fifo)) != NULL) {
		TAILQ_REMOVE(&ws_registry_fifo, wc, fifo);
		free(wc->ws_id);
		free(wc);
	}
	free(ws_registry_ctable);
	ws_registry_ctable = NULL;
	ws_registry_n = ws_registry_cn = 0;
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

	ws_registry_remember(ws_id, time(NULL), WS_CLOSED_TTL);
	if ((e = ws_registry_find(ws_id)) == NULL)
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

/* Forget closed ws_ids whose time is up (oldest first). */
static void
ws_registry_expire(time_t now, int make_room)
{
	struct ws_closed	*wc, **pp;

	while ((wc = TAILQ_FIRST(&ws_registry_fifo)) != NULL) {
		if (wc->expires > now &&
		    !(make_room && ws_registry_cn >= WS_CLOSED_MAX))
			break;
		TAILQ_REMOVE(&ws_registry_fifo, wc, fifo);
		for (pp = &ws_registry_ctable[wc->hash % ws_registry_csize];
		    *pp != wc; pp = &(*pp)->next)
			;
		*pp = wc->next;
		free(wc->ws_id);
		free(wc);
		ws_registry_cn--;
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

	ws_registry_expire(now, 0);
	wc = ws_registry_cfind(ws_id, ws_registry_hash(ws_id));
	return wc != NULL && wc->expires > now;
}

/* Remember a CLOSEd ws_id for ttl seconds (bounded: the oldest go first). */
void
ws_registry_remember(const char *ws_id, time_t now, long ttl)
{
	struct ws_closed	*wc, **table, *next;
	uint32_t		 h = ws_registry_hash(ws_id);
	size_t			 size, i;

	ws_registry_expire(now, 1);
	if ((wc = ws_registry_cfind(ws_id, h)) != NULL) {
		TAILQ_REMOVE(&ws_registry_fifo, wc, fifo);
		TAILQ_INSERT_TAIL(&ws_registry_fifo, wc, fifo);
		wc->expires = now + ttl;
		return;
	}
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
	wc->next = ws_registry_ctable[h % ws_registry_csize];
	ws_registry_ctable[h % ws_registry_csize] = wc;
	TAILQ_INSERT_TAIL(&ws_registry_fifo, wc, fifo);
	ws_registry_cn++;
}

/* How many closed ws_ids are remembered. */
u_int
ws_registry_remembered(void)
{
	ws_registry_expire(time(NULL), 0);
	return ws_registry_cn;
}
