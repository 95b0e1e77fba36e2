/* sessionwrap: a FastCGI responder (or CGI program) that gives CGI scripts sessions. */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "gate.h"
#include "listen.h"
#include "log.h"
#include "priv.h"
#include "startup.h"
#include "request.h"
#include "spawn.h"
#include "store.h"
#include "wsctl.h"
#include "xmalloc.h"

#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
/*
 * Web servers open one FastCGI connection per request: a burst of hundreds
 * must queue, not be refused (lighttpd then answers 500 and benches the
 * backend). The kernel caps it at net.core.somaxconn.
 */
#define LISTEN_BACKLOG	4096
/* At most this long (ms) reading what a web server still sends as we close. */
#define FCGI_DRAIN_MS	2000
/* ms a read's SO_RCVTIMEO may outlast the deadline before it is set anew. */
#define FCGI_RCVTIMEO_SLACK	100
/*
 * ms between pushing a cut response's last records and closing: lighttpd
 * that sees the close before it has begun sending the response sends what
 * it holds with a Content-Length, as if it were complete.
 */
#define FCGI_ABORT_PAUSE	100

static int		 listen_fd;
static volatile int	 stopping;

/* Print usage. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sessionwrap [-c FILE] [--listen unix:PATH|HOST:PORT] "
	    "[--threads N] [--KEY=VALUE]...\n"
	    "\n"
	    "A FastCGI responder that runs CGI scripts with sessions. Without\n"
	    "--listen it takes the listening socket on fd 0 (spawned by the web\n"
	    "server). With GATEWAY_INTERFACE set (a CGI server started it) the\n"
	    "command line is ignored, and it runs as a plain CGI program when\n"
	    "fd 0 is no socket.\n"
	    "\n"
	    "  -c FILE                  configuration file "
	    "(default $SESSIONWRAP_CONF, then " SYSCONFDIR "/sessionwrap.conf)\n"
	    "  -h, --help               this text\n"
	    "  -V, --version            version\n"
	    "\nConfiguration keys (file: key = value; command line: --key=value):\n"
	    "%s", config_usage_keys());
}

/* A FastCGI request as the context of its rio. */
struct fcgi_conn {
	FCGX_Request	 req;
	long long	 rcvtimeo;	/* SO_RCVTIMEO set on req.ipcFd, ms; 0 none */
	long long	 rcvdeadline;	/* the deadline it was set for */
	long long	 rcvset;	/* when (monotonic ms) */
	int		 aborted;	/* end without END_REQUEST */
};

/* Bound each blocking read on the connection to ms (0: none); -1 on error. */
static int
fcgi_rcvtimeo(struct fcgi_conn *fc, long long ms)
{
	struct timeval	 tv;

	if (ms == fc->rcvtimeo)
		return 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fc->req.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv) == -1) {
		log_warn("%s: SO_RCVTIMEO", __func__);
		return -1;
	}
	fc->rcvtimeo = ms;
	return 0;
}

/* Take what the current record holds, len at most, without reading. */
static int
fcgi_read_held(FCGX_Stream *in, char *buf, int len)
{
	int	 avail = in->stop - in->rdNext;

	if (avail > len)
		avail = len;
	return avail > 0 ? FCGX_GetStr(buf, avail, in) : 0;
}

/*
 * Read the request body: what the current record holds comes at once; else
 * libfcgi reads the socket, which a slow client must not hold past the
 * deadline. libfcgi keeps bytes of its own (the next record header, the end
 * record) where poll cannot see them, and loses a partial header to an
 * EAGAIN on a non-blocking socket; so the socket stays blocking and each
 * read is bounded by SO_RCVTIMEO, renewed when the deadline moves and every
 * FCGI_RCVTIMEO_SLACK ms. A timed-out read ends the stream for good, and the
 * request with it. More records are taken while the socket has data.
 */
static ssize_t
fcgi_read(void *ctx, char *buf, size_t len, long long deadline)
{
	struct fcgi_conn	*fc = ctx;
	FCGX_Stream		*in = fc->req.in;
	struct pollfd		 pfd;
	long long		 now, left;
	int			 n = 0, m, err;

	if (len > INT_MAX)
		len = INT_MAX;
	if ((n = fcgi_read_held(in, buf, (int)len)) > 0)
		return n;
	while (!FCGX_HasSeenEOF(in) && n < (int)len) {
		now = clock_ms();
		if ((left = deadline - now) <= 0) {
			if (n > 0)
				break;
			errno = ETIMEDOUT;
			return -1;
		}
		if (deadline != fc->rcvdeadline ||
		    now - fc->rcvset >= FCGI_RCVTIMEO_SLACK) {
			if (fcgi_rcvtimeo(fc, left) == -1)
				return n > 0 ? n : -1;
			fc->rcvdeadline = deadline;
			fc->rcvset = now;
		}
		/* One byte waits for the next record; then take what it has. */
		if (FCGX_GetStr(buf + n, 1, in) != 1)
			break;
		n++;
		if ((m = fcgi_read_held(in, buf + n, (int)len - n)) > 0)
			n += m;
		pfd.fd = fc->req.ipcFd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1)
			break;
	}
	if (n > 0)
		return n;
	if ((err = FCGX_GetError(in)) == 0)
		return 0;
	errno = err == EAGAIN || err == EWOULDBLOCK ? ETIMEDOUT :
	    err > 0 ? err : EPROTO;
	return -1;
}

/* Response bytes into stdout records. */
static int
fcgi_write(void *ctx, const char *buf, size_t len)
{
	struct fcgi_conn	*fc = ctx;

	if (FCGX_PutStr(buf, (int)len, fc->req.out) != (int)len)
		return -1;
	return 0;
}

/* Script stderr into stderr records (the web server's error log). */
static void
fcgi_error(void *ctx, const char *buf, size_t len)
{
	struct fcgi_conn	*fc = ctx;

	FCGX_PutStr(buf, (int)len, fc->req.err);
}

/* Send the stdout records written so far. */
static void
fcgi_flush(void *ctx)
{
	struct fcgi_conn	*fc = ctx;

	FCGX_FFlush(fc->req.out);
}

/* Send the records written so far; fcgi_finish closes without END_REQUEST. */
static void
fcgi_abort(void *ctx)
{
	struct fcgi_conn	*fc = ctx;

	FCGX_FFlush(fc->req.err);
	FCGX_FFlush(fc->req.out);
	fc->aborted = 1;
}

/*
 * Before a close over input still coming: shut our side, then read what
 * comes for FCGI_DRAIN_MS at most. Closing with unread data would reset a
 * TCP connection, losing the response's tail; libfcgi's own lingering close
 * waits as long as a client keeps dribbling. A Unix socket delivers what
 * was sent before the close in any case: it is closed at once.
 */
static void
fcgi_drain(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	struct pollfd		 pfd;
	char			 buf[4096];
	long long		 end, now;

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    ss.ss_family == AF_UNIX || shutdown(fd, SHUT_WR) == -1)
		return;
	pfd.fd = fd;
	pfd.events = POLLIN;
	end = clock_ms() + FCGI_DRAIN_MS;
	while ((now = clock_ms()) < end &&
	    poll(&pfd, 1, (int)(end - now)) > 0 &&
	    read(fd, buf, sizeof buf) > 0)
		;
}

/*
 * End the request, in place of FCGX_Finish_r. A clean end sends END_REQUEST
 * and keeps the connection when the web server asked to and the input has
 * reached its end (reads unbounded again: an idle kept connection waits for
 * its next request); an aborted one closes without END_REQUEST, so the web
 * server sees the response cut. A close is plain once the input has reached
 * its end record, else drained.
 */
static void
fcgi_finish(struct fcgi_conn *fc, int input_done)
{
	FCGX_Request	*req = &fc->req;
	int		 keep, fd;

	fc->rcvdeadline = 0;
	if (input_done && fcgi_rcvtimeo(fc, FCGI_DRAIN_MS) == 0)
		input_done = FCGX_HasSeenEOF(req->in) ||
		    FCGX_GetChar(req->in) == EOF;
	else
		input_done = 0;
	if (FCGX_GetError(req->in) != 0)
		input_done = 0;
	keep = 0;
	if (!fc->aborted) {
		keep = req->keepConnection && input_done;
		if (FCGX_FClose(req->err) != 0)
			keep = 0;
		if (FCGX_FClose(req->out) != 0 || FCGX_GetError(req->in) != 0)
			keep = 0;
	}
	if (keep && fcgi_rcvtimeo(fc, 0) == 0) {
		FCGX_Free(req, 0);
		return;
	}
	fd = req->ipcFd;
	FCGX_Free(req, 0);
	req->ipcFd = -1;
	fc->rcvtimeo = 0;
	if (fc->aborted)
		poll(NULL, 0, FCGI_ABORT_PAUSE);
	if (!input_done)
		fcgi_drain(fd);
	close(fd);
}

/* Plain CGI adapters on fds 0, 1 and 2. */
static ssize_t
cgi_read(void *ctx, char *buf, size_t len, long long deadline)
{
	(void)ctx;
	struct pollfd	 pfd;
	long long	 left;
	ssize_t		 n;
	int		 rc;

	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - clock_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return -1;
		if (rc == 0)
			continue;
		n = read(STDIN_FILENO, buf, len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n;
	}
}

static int
cgi_write(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	ssize_t	 n;

	while (len > 0) {
		n = write(STDOUT_FILENO, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static void
cgi_error(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	if (write(STDERR_FILENO, buf, len) == -1) {
		/* Nowhere to report it. */
	}
}

static void
cgi_flush(void *ctx)
{
	(void)ctx;
}

/*
 * Nothing to do: a CGI response ends when our stdout closes, and mod_cgi
 * and lighttpd's mod_cgi take that for a complete response whatever our
 * exit status.
 */
static void
cgi_abort(void *ctx)
{
	(void)ctx;
}

/* One worker thread: accept and handle FastCGI requests forever. */
static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct fcgi_conn	 fc;
	struct rio		 io = { &fc, fcgi_read, fcgi_write, fcgi_error,
				    fcgi_flush, fcgi_abort };
	int			 rc;

	memset(&fc, 0, sizeof fc);
	if (FCGX_InitRequest(&fc.req, listen_fd, 0) != 0)
		fatalx("FCGX_InitRequest failed");
	for (;;) {
		/*
		 * FCGX_Accept_r is thread-safe where accept(2) needs no
		 * serializing, as on Linux and the BSDs: every idle thread
		 * waits in accept and the kernel wakes one per connection,
		 * which then reads its parameters while the others accept.
		 */
		rc = stopping ? -1 : FCGX_Accept_r(&fc.req);
		if (rc < 0) {
			if (!stopping)
				log_warnx("FCGX_Accept_r failed (%d)", rc);
			break;
		}
		fc.aborted = 0;
		fcgi_finish(&fc, request_handle(w, fc.req.envp, &io));
	}
	return NULL;
}

/*
 * Open --listen: unix:PATH, HOST:PORT or :PORT. A unix socket gets
 * listen_mode, and belongs to `user` when we start as root and drop to it,
 * so only the web server's account can send requests with forged parameters.
 * Our own sockets: libfcgi's FCGX_OpenSocket exit()s on errors.
 */
static int
open_listener(const struct config *cfg)
{
	char	*cause;
	int	 fd;

	if ((fd = listen_open(cfg->listen, (mode_t)cfg->listen_mode, cfg,
	    LISTEN_BACKLOG, 0, &cause)) == -1)
		fatalx("listen %s: %s", cfg->listen, cause);
	return fd;
}

/* sessionwrap's own values: something to run, and usable (startup_open). */
static int
sw_check(const struct config *cfg, char **cause)
{
	char	 resolved[PATH_MAX];

	if (cfg->script_root == NULL && cfg->handler == NULL) {
		*cause = xstrdup("neither script_root nor handler is set: "
		    "refusing to run whatever the web server names");
		return -1;
	}
	if (cfg->script_root != NULL &&
	    realpath(cfg->script_root, resolved) == NULL) {
		xasprintf(cause, "script_root %s: %s", cfg->script_root,
		    strerror(errno));
		return -1;
	}
	if (cfg->handler != NULL && access(cfg->handler, X_OK) == -1) {
		xasprintf(cause, "handler %s: %s", cfg->handler,
		    strerror(errno));
		return -1;
	}
	return gate_config_check(cfg, cause);
}

/*
 * Everything process-wide that can fail on the configuration: every value,
 * keys, store, script_root. Before any socket is bound.
 */
static void
setup(struct sw *sw)
{
	struct config	*cfg = sw->cfg;
	char		*cause, resolved[PATH_MAX];

	if (startup_open(cfg, sw_check, &sw->keys, &sw->store, &cause) == -1)
		fatalx("%s", cause);
	if (cfg->script_root != NULL) {
		if (realpath(cfg->script_root, resolved) == NULL)
			fatal("script_root %s", cfg->script_root);
		sw->root = xstrdup(resolved);
	} else
		sw->root = xstrdup("/nonexistent");
}

/* After the listening socket: drop root, and the PATH scripts get. */
static void
setup_drop(struct sw *sw)
{
	char		*cause;
	const char	*path;

	if (priv_drop(sw->cfg, &cause) == -1)
		fatalx("%s", cause);
	path = getenv("PATH");
	sw->path_env = xstrdup(path != NULL && *path != '\0' ? path :
	    DEFAULT_PATH);
}

/* Release what setup() made, so leak checkers see a clean exit. */
static void
teardown(struct sw *sw)
{
	wsctl_retry_stop();
	store_close(sw->store);
	keyring_free(sw->keys);
	free(sw->root);
	free(sw->path_env);
	config_free(sw->cfg);
}

/* Leave after `seconds` even if a request is still running. */
static void
alarm_exit(long seconds)
{
	struct sigaction	 sa;
	sigset_t		 alrm;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	alarm(seconds > 0 && seconds < 86400 ? (unsigned)seconds : 60);
}

/* Plain CGI: handle the one request this process was started for. */
static void
serve_cgi(struct sw *sw)
{
	struct worker	 w = { sw, NULL, 0, 0 };
	struct rio	 io = { NULL, cgi_read, cgi_write, cgi_error,
			    cgi_flush, cgi_abort };
	extern char	**environ;

	request_handle(&w, environ, &io);
	if (w.conn != NULL)
		sw->store->ops->conn_free(w.conn);
}

/*
 * FastCGI: worker threads accept and handle requests until SIGTERM, SIGINT
 * or SIGUSR1; then the requests in flight finish.
 */
static void
serve_fastcgi(struct sw *sw)
{
	const struct config	*cfg = sw->cfg;
	struct worker		*workers;
	pthread_t		*threads;
	sigset_t		 sigs;
	int			 i, n, sig;

	n = cfg->threads;
	if (n <= 0) {
		long	 cores = sysconf(_SC_NPROCESSORS_ONLN);

		n = cores > 0 ? 2 * (int)cores : 4;
	}
	/*
	 * Signals go to the main thread only. libfcgi installs a SIGTERM
	 * handler that merely flags a shutdown, which threads blocked in
	 * accept never see: we stop accepting ourselves and let the requests
	 * in flight finish.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	workers = xcalloc(n, sizeof *workers);
	threads = xcalloc(n, sizeof *threads);
	log_info("ready: %d threads, store %s", n, sw->store->ops->name);
	for (i = 0; i < n; i++) {
		workers[i].sw = sw;
		workers[i].id = i;
		if ((errno = pthread_create(&threads[i], NULL, worker_main,
		    &workers[i])) != 0)
			fatal("pthread_create");
	}
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			log_info("SIGHUP: restart the process to reload");
		else if (sig == SIGTERM || sig == SIGINT || sig == SIGUSR1)
			break;
	}
	log_info("signal %d: finishing requests in flight", sig);
	stopping = 1;
	/* Wake threads blocked in accept(2). */
	shutdown(listen_fd, SHUT_RDWR);
	if (cfg->listen != NULL && strncmp(cfg->listen, "unix:", 5) == 0)
		unlink(cfg->listen + 5);
	alarm_exit(cfg->handler_timeout + 5);
	for (i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		if (workers[i].conn != NULL)
			sw->store->ops->conn_free(workers[i].conn);
	}
	spawn_linger_killall();
	log_info("stopped");
	free(workers);
	free(threads);
}

/* Entry point. */
int
main(int argc, char **argv)
{
	struct config	 cfg;
	struct sw	 sw;
	int		 gateway;

	/*
	 * A CGI server sets GATEWAY_INTERFACE (RFC 3875), and Apache's
	 * mod_cgi makes argv of a query string without '=': under CGI the
	 * command line is the client's, so it is never read.
	 */
	gateway = getenv("GATEWAY_INTERFACE") != NULL;
	if (gateway)
		config_main_noargs(&cfg, "sessionwrap");
	else
		config_main(&cfg, argc, argv, "sessionwrap", usage);
	signal(SIGPIPE, SIG_IGN);

	memset(&sw, 0, sizeof sw);
	sw.cfg = &cfg;
	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	/*
	 * FCGX_IsCGI() only says fd 0 is no listening socket, as for a
	 * daemon started from a terminal: plain CGI needs GATEWAY_INTERFACE.
	 */
	if (gateway && FCGX_IsCGI())
		sw.cgi = 1;
	else if (cfg.listen == NULL && FCGX_IsCGI())
		fatalx("no listen set, descriptor 0 is not a socket and "
		    "GATEWAY_INTERFACE is not set: give --listen, or start "
		    "sessionwrap from a web server");
	setup(&sw);
	if (!sw.cgi)
		listen_fd = cfg.listen != NULL ? open_listener(&cfg) : 0;
	setup_drop(&sw);

	if (sw.cgi)
		serve_cgi(&sw);
	else
		serve_fastcgi(&sw);
	teardown(&sw);
	return 0;
}
