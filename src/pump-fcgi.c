/*
 * The FastCGI pump: the request forwarded to an application over a kept
 * connection of the pool (upstream.c), its body streamed as STDIN records
 * while STDOUT and STDERR records are read back. One request at a time per
 * connection (request id 1); a connection goes back to the pool only after
 * a clean END_REQUEST with nothing of the request left in flight, so no
 * byte of one request is ever read as another's.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fcgi_record.h"
#include "log.h"
#include "pump.h"
#include "request.h"
#include "upstream.h"
#include "xmalloc.h"

#define PUMP_FCGI_ID		1
#define PUMP_FCGI_CHUNK		65536	/* bytes read from the app at once */
#define PUMP_FCGI_QUEUE		65536	/* output held before reading stops */
#define PUMP_FCGI_OUTQ		65536	/* records unsent before feed waits */

/* One request at the application. */
struct pump_fcgi {
	struct upstream_conn	 c;
	const struct pump_start	*ps;
	struct buf		 head;		/* BEGIN_REQUEST and PARAMS */
	struct buf		 out;		/* records not sent yet */
	struct fcgi_decoder	 dec;
	struct buf		 stdout_q;	/* response bytes not read yet */
	struct buf		 stderr_q;	/* diagnostics not forwarded yet */
	int			 answered;	/* a byte came back */
	int			 fed;		/* body bytes were taken */
	int			 input_ended;	/* the empty STDIN is queued */
	int			 ended;		/* END_REQUEST came */
	int			 failed;	/* the exchange broke: errno */
	int			 send_err;	/* the app takes no more: errno */
	int			 retried;
};

/* The exchange broke (errno err): no more is sent or read. */
static void
pump_fcgi_fail(struct pump_fcgi *pf, int err, const char *why)
{
	if (pf->failed || pf->ended)
		return;
	log_warnx("upstream %s: %s: %s", pf->ps->upstream, pf->ps->name, why);
	pf->failed = err;
	buf_reset(&pf->out);
}

/*
 * A kept connection that was dead before the app saw anything of the
 * request: once, start again on a fresh one. 1 when it did.
 */
static int
pump_fcgi_retry(struct pump_fcgi *pf)
{
	char	*cause;

	if (!pf->c.reused || pf->retried || pf->answered || pf->fed)
		return 0;
	pf->retried = 1;
	log_debug("upstream %s: %s: kept connection closed; retrying",
	    pf->ps->upstream, pf->ps->name);
	upstream_put(&pf->c, 0);
	if (upstream_get(pf->ps->upstream, pf->ps->upstream_connections,
	    pf->ps->deadline, 1, &pf->c, &cause) == -1) {
		pf->c.fd = -1;
		pump_fcgi_fail(pf, ECONNRESET, cause);
		free(cause);
		return 1;
	}
	buf_reset(&pf->out);
	pf->send_err = 0;
	buf_add(&pf->out, pf->head.data, pf->head.len);
	if (pf->input_ended)
		fcgi_record_add(&pf->out, FCGI_STDIN, PUMP_FCGI_ID, NULL, 0);
	fcgi_decoder_init(&pf->dec, PUMP_FCGI_ID);
	return 1;
}

/* The connection ended or broke (errno err) mid-exchange. */
static void
pump_fcgi_lost(struct pump_fcgi *pf, int err)
{
	if (pf->ended || pf->failed || pump_fcgi_retry(pf))
		return;
	pump_fcgi_fail(pf, err, err == 0 ? "closed the connection before "
	    "END_REQUEST" : strerror(err));
	if (pf->failed == 0)
		pf->failed = ECONNRESET;
}

/*
 * Send what records are queued, as far as the socket takes them. When the
 * app takes no more (it may have answered and closed before reading all
 * the body), sending stops and its answer is still read to the end.
 */
static void
pump_fcgi_flush(struct pump_fcgi *pf)
{
	ssize_t	 n;

	while (pf->out.len > 0 && !pf->failed && !pf->send_err) {
		n = send(pf->c.fd, pf->out.data, pf->out.len, MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(&pf->out, n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		pf->send_err = n == -1 ? errno : EPIPE;
		buf_reset(&pf->out);
	}
}

/* One decoded event of the app's. */
static void
pump_fcgi_event(struct pump_fcgi *pf, const struct fcgi_event *ev)
{
	switch (ev->type) {
	case FCGI_EV_STDOUT:
		buf_add(&pf->stdout_q, ev->data, ev->len);
		break;
	case FCGI_EV_STDERR:
		buf_add(&pf->stderr_q, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		if (ev->protocol_status != FCGI_REQUEST_COMPLETE) {
			pump_fcgi_fail(pf, EPROTO, ev->protocol_status ==
			    FCGI_OVERLOADED ? "overloaded" : ev->protocol_status
			    == FCGI_CANT_MPX_CONN ? "cannot multiplex" :
			    ev->protocol_status == FCGI_UNKNOWN_ROLE ?
			    "unknown role" : "unknown protocol status");
			break;
		}
		if (ev->app_status != 0)
			log_debug("upstream %s: %s: exit status %lu",
			    pf->ps->upstream, pf->ps->name, ev->app_status);
		pf->ended = 1;
		break;
	case FCGI_EV_ERROR:
		pump_fcgi_fail(pf, EPROTO, ev->error);
		break;
	case FCGI_EV_NONE:
		break;
	}
}

/* Read what the app sent and decode it into the queues. */
static void
pump_fcgi_input(struct pump_fcgi *pf)
{
	struct fcgi_event	 ev;
	char			 buf[PUMP_FCGI_CHUNK];
	ssize_t			 n;
	size_t			 off, m;

	n = recv(pf->c.fd, buf, sizeof buf, 0);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		pump_fcgi_lost(pf, n == 0 ? 0 : errno);
		return;
	}
	pf->answered = 1;
	upstream_proven(&pf->c);
	for (off = 0; off < (size_t)n && !pf->failed; off += m) {
		m = fcgi_decode(&pf->dec, buf + off, n - off, &ev);
		pump_fcgi_event(pf, &ev);
		if (m == 0)
			break;
	}
	if (off < (size_t)n && !pf->failed) {
		/* Bytes after END_REQUEST: the connection is not kept. */
		log_debug("upstream %s: %s: %zu bytes after END_REQUEST",
		    pf->ps->upstream, pf->ps->name, (size_t)n - off);
		pf->answered = -1;
	}
}

/* Connect (or take a kept connection) and queue the request's head. */
static void *
pump_fcgi_start(const struct pump_start *ps, char **cause)
{
	struct pump_fcgi	*pf;
	char			*why;

	pf = xcalloc(1, sizeof *pf);
	pf->ps = ps;
	if (upstream_get(ps->upstream, ps->upstream_connections, ps->deadline,
	    0, &pf->c, &why) == -1) {
		xasprintf(cause, "upstream %s: %s", ps->upstream, why);
		free(why);
		free(pf);
		return NULL;
	}
	buf_init(&pf->head);
	buf_init(&pf->out);
	buf_init(&pf->stdout_q);
	buf_init(&pf->stderr_q);
	fcgi_begin_request(&pf->head, PUMP_FCGI_ID, FCGI_RESPONDER,
	    FCGI_KEEP_CONN);
	fcgi_params_add(&pf->head, PUMP_FCGI_ID, ps->envp);
	buf_add(&pf->out, pf->head.data, pf->head.len);
	fcgi_decoder_init(&pf->dec, PUMP_FCGI_ID);
	if (ps->no_input) {
		fcgi_record_add(&pf->out, FCGI_STDIN, PUMP_FCGI_ID, NULL, 0);
		pf->input_ended = 1;
	}
	pump_fcgi_flush(pf);
	return pf;
}

/* True while the response may still bring bytes. */
static int
pump_fcgi_open(const struct pump_fcgi *pf)
{
	return !pf->ended && !pf->failed;
}

/* What is ready without waiting; see pump.h. */
static int
pump_fcgi_ready(const struct pump_fcgi *pf)
{
	int	 ready = 0;

	if (pf->stdout_q.len > 0 || !pump_fcgi_open(pf))
		ready |= PUMP_OUTPUT;
	if (pf->stderr_q.len > 0)
		ready |= PUMP_DIAG;
	if (!pf->input_ended && (pf->out.len < PUMP_FCGI_OUTQ ||
	    !pump_fcgi_open(pf) || pf->send_err))
		ready |= PUMP_INPUT;
	return ready;
}

/* Send queued records, read the app, and say what is ready; see pump.h. */
static int
pump_fcgi_wait(void *arg, int ms)
{
	struct pump_fcgi	*pf = arg;
	struct pollfd		 pfd;
	int			 ready, n;

	if ((ready = pump_fcgi_ready(pf)) != 0)
		ms = 0;
	if (!pump_fcgi_open(pf))
		return ready;
	pfd.fd = pf->c.fd;
	pfd.events = pf->out.len > 0 ? POLLOUT : 0;
	if (pf->stdout_q.len < PUMP_FCGI_QUEUE)
		pfd.events |= POLLIN;
	if ((n = poll(&pfd, 1, ms)) <= 0)
		return n == 0 || ready != 0 ? ready : -1;
	if (pfd.revents & POLLOUT)
		pump_fcgi_flush(pf);
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
		pump_fcgi_input(pf);
	return pump_fcgi_ready(pf);
}

/* Queue body bytes as STDIN records; see pump.h. */
static ssize_t
pump_fcgi_feed(void *arg, const char *buf, size_t len)
{
	struct pump_fcgi	*pf = arg;

	if (!pump_fcgi_open(pf) || pf->send_err)
		return -1;
	if (pf->out.len >= PUMP_FCGI_OUTQ)
		return 0;
	if (len > FCGI_MAX_CONTENT)
		len = FCGI_MAX_CONTENT;
	fcgi_record_add(&pf->out, FCGI_STDIN, PUMP_FCGI_ID, buf, len);
	pf->fed = 1;
	pump_fcgi_flush(pf);
	return len;
}

/* The empty STDIN record ends the body. */
static void
pump_fcgi_feed_end(void *arg)
{
	struct pump_fcgi	*pf = arg;

	if (pf->input_ended)
		return;
	pf->input_ended = 1;
	if (!pump_fcgi_open(pf))
		return;
	fcgi_record_add(&pf->out, FCGI_STDIN, PUMP_FCGI_ID, NULL, 0);
	pump_fcgi_flush(pf);
}

/* Response bytes from the queue; see pump.h. */
static ssize_t
pump_fcgi_read(void *arg, char *buf, size_t len)
{
	struct pump_fcgi	*pf = arg;

	if (pf->stdout_q.len > 0) {
		if (len > pf->stdout_q.len)
			len = pf->stdout_q.len;
		memcpy(buf, pf->stdout_q.data, len);
		buf_consume(&pf->stdout_q, len);
		return len;
	}
	if (pf->ended)
		return 0;
	errno = pf->failed ? pf->failed : EAGAIN;
	return -1;
}

/* Forward the app's STDERR records to the web server's log. */
static void
pump_fcgi_diag(void *arg)
{
	struct pump_fcgi	*pf = arg;

	if (pf->stderr_q.len == 0)
		return;
	pf->ps->io->error(pf->ps->io->ctx, pf->stderr_q.data,
	    pf->stderr_q.len);
	buf_reset(&pf->stderr_q);
}

/*
 * Give up on the request: ABORT_REQUEST after the records queued (they are
 * whole), as far as the socket takes it at once, and the connection closed,
 * which tells an app that ignores the record.
 */
static void
pump_fcgi_abort(void *arg)
{
	struct pump_fcgi	*pf = arg;
	struct buf		 b;

	if (pf->c.fd == -1)
		return;
	if (pump_fcgi_open(pf) && !pf->send_err) {
		buf_init(&b);
		fcgi_abort_request(&b, PUMP_FCGI_ID);
		buf_add(&pf->out, b.data, b.len);
		buf_free(&b);
		pump_fcgi_flush(pf);
	}
	pf->failed = pf->failed ? pf->failed : ECANCELED;
	upstream_put(&pf->c, 0);
}

/*
 * The response has ended. The connection is kept when the request ended
 * cleanly: END_REQUEST, all our records sent (the body's end included),
 * nothing after it; else closed. 1 when the app broke off the response.
 */
static int
pump_fcgi_end(void *arg, long long deadline)
{
	struct pump_fcgi	*pf = arg;
	int			 keep;

	(void)deadline;
	if (pf->c.fd == -1)
		return pf->failed != 0;
	keep = pf->ended && pf->out.len == 0 && pf->input_ended &&
	    !pf->send_err && pf->answered == 1 && fcgi_decoder_idle(&pf->dec);
	upstream_put(&pf->c, keep);
	return !pf->ended;
}

/* Release the state (and the connection, if still held). */
static void
pump_fcgi_close(void *arg)
{
	struct pump_fcgi	*pf = arg;

	pump_fcgi_diag(pf);
	if (pf->c.fd != -1)
		upstream_put(&pf->c, 0);
	buf_free(&pf->head);
	buf_free(&pf->out);
	buf_free(&pf->stdout_q);
	buf_free(&pf->stderr_q);
	free(pf);
}

const struct pump_ops pump_fcgi_ops = {
	.name = "fcgi",
	.start = pump_fcgi_start,
	.wait = pump_fcgi_wait,
	.feed = pump_fcgi_feed,
	.feed_end = pump_fcgi_feed_end,
	.read = pump_fcgi_read,
	.diag = pump_fcgi_diag,
	.abort = pump_fcgi_abort,
	.end = pump_fcgi_end,
	.close = pump_fcgi_close,
};
