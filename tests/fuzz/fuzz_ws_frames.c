/*
 * sessionwrap-ws's frame scanner (ws_conn_scan), which follows frame
 * boundaries beside wslay so that an idle connection's wslay context can be
 * dropped (ws_conn_wslay_idle) and made anew on the next frame.
 *
 * Client bytes arrive in chunks on a real connection object (a bufferevent
 * on a socketpair, no event loop) through the real read path:
 * ws_conn_read_cb -> ws_conn_frames -> wslay -> ws_conn_wslay_recv ->
 * ws_conn_scan, ws_conn_wslay_frame, ws_conn_wslay_msg, ws_conn_check,
 * ws_conn_wslay_idle. Beside it, a reference wslay context that is never
 * dropped gets the same chunks.
 *
 * Checked, after every chunk:
 *	- the scanner's state (header bytes held, payload left) is the one an
 *	  independent walk of the whole stream gives at that offset, however
 *	  the stream was cut;
 *	- dropping and remaking the context changes nothing: while the
 *	  connection is open, the handler gets exactly the text messages the
 *	  reference context decodes, and a protocol error or close ends both.
 * Also: the scanner alone, fed the whole stream in other chunks.
 *
 * Input: a seed byte for the chunking, a mode byte, then the stream. Mode
 * & 1: the rest is a list of frames to build (masked, as clients must):
 * per frame a first byte (FIN, RSV, opcode), a length byte (7 bits; 126
 * and 127 take 2 or 8 more bytes), a 4-byte mask key and the payload (cut
 * short when the input ends). Mode & 2: a small ws_max_message (64).
 *
 * Depends on (static, reached by including src/ws-conn.c): ws_conn_scan,
 * ws_conn_read_cb, ws_conn_free, ws_conn_timer_cb, the struct ws_conn
 * members state, bev, wslay, skip, hlen, hdr, handler, timer, all_entry;
 * the neighbours ws-conn.c and src/ws-upgrade.c (linked in) call are
 * stubbed below (ws_registry_*, ws_handler_*, ws_server_cookie,
 * ws_loader_submit/cancel, the ws_server global). The connection starts
 * open, as ws_upgrade_open leaves it, so the
 * read path never loads a session; should anything submit a load, it stays
 * pending (the connection loading) until ws_conn_free cancels it, and the
 * iteration frees it as the loader thread would.
 */
#include "autoconf.h"

#include "../../src/ws-conn.c"

#include "buf.h"

#include "fuzz.h"

#define FUZZ_MAX_STREAM	(64 * 1024)	/* built frames stop there */

struct ws_server	*ws_server;

static struct config	 fuzz_cfg;
static struct ws_server	 fuzz_server;
static struct buf	 fuzz_got;	/* text messages the handler got */
static int		 fuzz_handler;	/* its address is the fake handler */

/* Stubs of sessionwrap-ws's other modules: the read path calls these. */
void
ws_registry_add(struct ws_conn *c, const char *ws_id)
{
	(void)c;
	(void)ws_id;
}

void
ws_registry_remove(struct ws_conn *c)
{
	(void)c;
}

u_int
ws_registry_count(const char *ws_id)
{
	(void)ws_id;
	return 0;
}

int
ws_registry_closed(const char *ws_id, time_t now)
{
	(void)ws_id;
	(void)now;
	return 0;
}

struct ws_handler *
ws_handler_start(struct ws_conn *c, const struct ws_request *req,
    const struct session *s, const char *addr, char **cause)
{
	(void)c;
	(void)req;
	(void)s;
	(void)addr;
	*cause = xstrdup("no handler in the fuzzer");
	return NULL;
}

/* A message for the handler: recorded as type, length, bytes. */
void
ws_handler_input(struct ws_handler *h, const void *p, size_t len)
{
	uint32_t	 n = (uint32_t)len;

	FUZZ_ASSERT(h == (struct ws_handler *)&fuzz_handler);
	buf_addc(&fuzz_got, 'T');
	buf_add(&fuzz_got, &n, sizeof n);
	buf_add(&fuzz_got, p, len);
}

void
ws_handler_detach(struct ws_handler *h)
{
	FUZZ_ASSERT(h == (struct ws_handler *)&fuzz_handler);
}

void
ws_handler_throttle(struct ws_handler *h, int on)
{
	(void)h;
	(void)on;
}

size_t
ws_handler_pending(struct ws_handler *h)
{
	(void)h;
	return 0;
}

/* Upgrades are not fuzzed here: no Cookie header has a session cookie. */
int
ws_server_cookie(const char *header, char **value, const char **cause)
{
	(void)header;
	*value = NULL;
	*cause = "no session cookie";
	return 401;
}

const char *
ws_registry_entry_id(const struct ws_entry *e)
{
	(void)e;
	return "";
}

u_int
ws_registry_addr_add(const char *addr)
{
	(void)addr;
	return 1;
}

void
ws_registry_addr_del(const char *addr)
{
	(void)addr;
}

/* Loads submitted and not yet freed (the loader frees them, even cancelled). */
static TAILQ_HEAD(, ws_job) fuzz_jobs = TAILQ_HEAD_INITIALIZER(fuzz_jobs);

/* A load that never completes: the connection stays loading. */
struct ws_job *
ws_loader_submit(const char *cookie, time_t now, u_int limit,
    void (*done)(struct ws_job *), void *arg)
{
	(void)limit;
	struct ws_job	*j;

	j = xcalloc(1, sizeof *j);
	j->cookie = xstrdup(cookie);
	j->now = now;
	j->done = done;
	j->arg = arg;
	TAILQ_INSERT_TAIL(&fuzz_jobs, j, entry);
	return j;
}

/* As the real one: the result is dropped, the job freed later. */
void
ws_loader_cancel(struct ws_job *j)
{
	j->done = NULL;
	j->arg = NULL;
}

/* End of an iteration: every load was cancelled by its gone connection. */
static void
fuzz_jobs_free(void)
{
	struct ws_job	*j;

	while ((j = TAILQ_FIRST(&fuzz_jobs)) != NULL) {
		FUZZ_ASSERT(j->done == NULL);
		TAILQ_REMOVE(&fuzz_jobs, j, entry);
		free(j->cookie);
		free(j);
	}
}

/* The reference side: a wslay context that is never dropped. */
struct fuzz_ref {
	const uint8_t	*p;		/* the current chunk */
	size_t		 len;
	size_t		 off;
	struct buf	 got;		/* text messages it decoded */
};

/* Reference recv: the current chunk, then "would block". */
static ssize_t
fuzz_ref_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags, void *arg)
{
	(void)flags;
	struct fuzz_ref	*r = arg;
	size_t		 n = r->len - r->off;

	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, r->p + r->off, n);
	r->off += n;
	return n;
}

/* Reference send: never called (nothing is sent), refuse if it is. */
static ssize_t
fuzz_ref_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	(void)data;
	(void)len;
	(void)flags;
	(void)arg;
	wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	return -1;
}

/* Reference messages: what ws_conn_wslay_msg does while open. */
static void
fuzz_ref_msg(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *data)
{
	struct fuzz_ref	*r = data;
	uint32_t	 n = (uint32_t)arg->msg_length;

	if (arg->opcode == WSLAY_TEXT_FRAME) {
		buf_addc(&r->got, 'T');
		buf_add(&r->got, &n, sizeof n);
		buf_add(&r->got, arg->msg, arg->msg_length);
	} else if (arg->opcode == WSLAY_BINARY_FRAME)
		wslay_event_queue_close(ctx, WSLAY_CODE_UNSUPPORTED_DATA,
		    (const uint8_t *)"binary not supported", 20);
}

static const struct wslay_event_callbacks fuzz_ref_callbacks = {
	.recv_callback = fuzz_ref_recv,
	.send_callback = fuzz_ref_send,
	.on_msg_recv_callback = fuzz_ref_msg,
};

/* Where an independent walk of the stream is at an offset. */
struct fuzz_pos {
	size_t		 hlen;		/* header bytes read of this frame */
	uint64_t	 skip;		/* payload bytes left of this frame */
};

/* An independent walk of the stream's frames, for rising offsets. */
struct fuzz_walker {
	const uint8_t	*s;
	size_t		 at;		/* where the frame being read starts */
};

/* Where the walk is at off: header bytes held, payload left. */
static struct fuzz_pos
fuzz_walk(struct fuzz_walker *w, size_t off)
{
	struct fuzz_pos	 pos = { 0, 0 };
	const uint8_t	*f;
	size_t		 hdr, ext, i, in;
	uint64_t	 payload;
	uint8_t		 len7;

	FUZZ_ASSERT(off >= w->at);
	while (w->at < off) {
		f = w->s + w->at;
		in = off - w->at;
		if (in < 2) {
			pos.hlen = in;
			return pos;
		}
		len7 = f[1] & 0x7f;
		ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
		hdr = 2 + ext + ((f[1] & 0x80) ? 4 : 0);
		if (in < hdr) {
			pos.hlen = in;
			return pos;
		}
		payload = len7 < 126 ? len7 : 0;
		for (i = 0; i < ext; i++)
			payload = (payload << 8) | f[2 + i];
		if (payload > in - hdr) {
			pos.skip = payload - (in - hdr);
			return pos;
		}
		/* The whole frame is in: the next one starts after it. */
		w->at += hdr + payload;
	}
	return pos;
}

/* Chunk sizes from the seed: all at once, bytes, or anything between. */
static size_t
fuzz_chunk(uint32_t *rng, size_t left)
{
	size_t	 n;

	*rng = *rng * 1103515245u + 12345u;
	switch ((*rng >> 16) % 5) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 1 + (*rng >> 20) % 16;
		break;
	case 2:
		n = 1 + (*rng >> 12) % 4096;
		break;
	case 3:
		n = 2 + (*rng >> 20) % 14;	/* header-sized */
		break;
	default:
		n = left;
		break;
	}
	return n < left ? n : left;
}

/* Build masked frames from their description (mode & 1). */
static void
fuzz_build(struct buf *out, const uint8_t *p, size_t n)
{
	const uint8_t	*end = p + n;
	uint8_t		 b1, key[4], x;
	uint64_t	 len, i;
	size_t		 ext, k;

	while (p + 2 <= end && out->len < FUZZ_MAX_STREAM) {
		buf_addc(out, (char)*p++);
		b1 = *p++ | 0x80;
		buf_addc(out, (char)b1);
		ext = (b1 & 0x7f) == 126 ? 2 : (b1 & 0x7f) == 127 ? 8 : 0;
		len = (b1 & 0x7f) < 126 ? (b1 & 0x7f) : 0;
		for (k = 0; k < ext; k++) {
			x = p < end ? *p++ : 0;
			len = (len << 8) | x;
			buf_addc(out, (char)x);
		}
		for (k = 0; k < 4; k++) {
			key[k] = p < end ? *p++ : 0;
			buf_addc(out, (char)key[k]);
		}
		for (i = 0; i < len && p < end && out->len < FUZZ_MAX_STREAM;
		    i++)
			buf_addc(out, (char)(*p++ ^ key[i % 4]));
	}
}

/* Set-up once: a server with a default configuration, no loop run. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	config_init(&fuzz_cfg);
	ws_server = &fuzz_server;
	fuzz_server.cfg = &fuzz_cfg;
	if ((fuzz_server.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	TAILQ_INIT(&fuzz_server.conns);
	return 0;
}

/* The scanner alone over the whole stream, in chunks. */
static void
fuzz_scan_only(const uint8_t *s, size_t len, uint32_t rng)
{
	struct ws_conn		 c;
	struct fuzz_walker	 w = { s, 0 };
	struct fuzz_pos		 pos;
	size_t			 off = 0, n;

	memset(&c, 0, sizeof c);
	while (off < len) {
		n = fuzz_chunk(&rng, len - off);
		ws_conn_scan(&c, s + off, n);
		off += n;
		pos = fuzz_walk(&w, off);
		FUZZ_ASSERT(c.hlen == pos.hlen && c.skip == pos.skip);
		FUZZ_ASSERT(c.hlen < sizeof c.hdr);
	}
}

/* One client stream per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_conn		*c;
	struct fuzz_ref		 ref;
	struct fuzz_walker	 w;
	struct fuzz_pos		 pos;
	struct buf		 stream;
	struct evbuffer		*in;
	wslay_event_context_ptr	 rctx;
	const uint8_t		*s;
	uint32_t		 rng;
	size_t			 len, off = 0, n, consumed;
	int			 sv[2], comparing = 1, scanning = 1, rerr = 0;
	int			 was;

	if (size < 2)
		return 0;
	rng = data[0];
	fuzz_cfg.ws_max_message = (data[1] & 2) ? 64 : 65536;
	buf_init(&stream);
	if (data[1] & 1)
		fuzz_build(&stream, data + 2, size - 2);
	else
		buf_add(&stream, data + 2, size - 2);
	s = (const uint8_t *)stream.data;
	len = stream.len;
	fuzz_scan_only(s, len, rng ^ 0x5a5a5a5a);
	w.s = s;
	w.at = 0;

	/* The connection, upgraded, with a handler. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fatalx("socketpair failed");
	c = xcalloc(1, sizeof *c);
	c->state = WS_CONN_OPEN;
	c->bev = bufferevent_socket_new(ws_server->base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(ws_server->base, ws_conn_timer_cb, c);
	if (c->bev == NULL || c->timer == NULL)
		fatalx("bufferevent_socket_new failed");
	c->handler = (struct ws_handler *)&fuzz_handler;
	TAILQ_INSERT_TAIL(&ws_server->conns, c, all_entry);
	ws_server->nconns++;
	/* What the socket would read: libevent freezes the input's end. */
	in = bufferevent_get_input(c->bev);
	evbuffer_unfreeze(in, 0);

	memset(&ref, 0, sizeof ref);
	buf_init(&ref.got);
	buf_init(&fuzz_got);
	if (wslay_event_context_server_init(&rctx, &fuzz_ref_callbacks,
	    &ref) != 0)
		fatalx("wslay_event_context_server_init failed");
	wslay_event_config_set_max_recv_msg_length(rctx,
	    fuzz_cfg.ws_max_message);

	while (off < len) {
		n = fuzz_chunk(&rng, len - off);
		was = c->state;
		FUZZ_ASSERT(evbuffer_add(in, s + off, n) == 0);
		off += n;
		ws_conn_read_cb(c->bev, c);
		if (was != WS_CONN_OPEN && was != WS_CONN_CLOSING)
			scanning = 0;
		if (scanning) {
			consumed = off - evbuffer_get_length(in);
			pos = fuzz_walk(&w, consumed);
			FUZZ_ASSERT(c->hlen == pos.hlen && c->skip == pos.skip);
		}
		if (!comparing)
			continue;
		if (was != WS_CONN_OPEN) {
			comparing = 0;
			continue;
		}
		ref.p = s + off - n;
		ref.len = n;
		ref.off = 0;
		if (wslay_event_recv(rctx) != 0)
			rerr = 1;
		/* Same messages, whether or not the context was remade. */
		if (fuzz_got.len != ref.got.len || (fuzz_got.len != 0 &&
		    memcmp(fuzz_got.data, ref.got.data, fuzz_got.len) != 0)) {
			fprintf(stderr, "conn got %zu bytes of messages, "
			    "reference %zu, by offset %zu\n", fuzz_got.len,
			    ref.got.len, off);
			FUZZ_ASSERT(!"messages differ");
		}
		/* A protocol error or close in the reference ends the conn. */
		if (rerr || !wslay_event_get_read_enabled(rctx) ||
		    wslay_event_get_close_received(rctx))
			FUZZ_ASSERT(c->state != WS_CONN_OPEN);
		if (c->state != WS_CONN_OPEN)
			comparing = 0;
	}

	ws_conn_free(c);
	fuzz_jobs_free();
	/* libevent finalizes a freed bufferevent from the loop. */
	event_base_loop(ws_server->base, EVLOOP_NONBLOCK);
	close(sv[1]);
	wslay_event_context_free(rctx);
	buf_free(&ref.got);
	buf_free(&fuzz_got);
	buf_free(&stream);
	return 0;
}
