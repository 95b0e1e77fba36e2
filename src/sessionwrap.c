/* sessionwrap: a FastCGI responder (or CGI program) that gives CGI scripts sessions. */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "priv.h"
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

/* FastCGI stream adapters. */
static ssize_t
fcgi_read(void *ctx, char *buf, size_t len)
{
	FCGX_Request	*req = ctx;
	int		 n;

	n = FCGX_GetStr(buf, len > INT_MAX ? INT_MAX : (int)len, req->in);
	return n < 0 ? -1 : n;
}

static int
fcgi_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Request	*req = ctx;

	if (FCGX_PutStr(buf, (int)len, req->out) != (int)len)
		return -1;
	return 0;
}

static void
fcgi_error(void *ctx, const char *buf, size_t len)
{
	FCGX_Request	*req = ctx;

	FCGX_PutStr(buf, (int)len, req->err);
}

static void
fcgi_flush(void *ctx)
{
	FCGX_Request	*req = ctx;

	FCGX_FFlush(req->out);
}

/* Plain CGI adapters on fds 0, 1 and 2. */
static ssize_t
cgi_read(void *ctx, char *buf, size_t len)
{
	ssize_t	 n;

	do
		n = read(STDIN_FILENO, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

static int
cgi_write(void *ctx, const char *buf, size_t len)
{
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
	if (write(STDERR_FILENO, buf, len) == -1) {
		/* Nowhere to report it. */
	}
}

static void
cgi_flush(void *ctx)
{
}

/* One worker thread: accept and handle FastCGI requests forever. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	FCGX_Request	 req;
	struct rio	 io = { &req, fcgi_read, fcgi_write, fcgi_error,
			    fcgi_flush };
	int		 rc;

	if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
		fatalx("FCGX_InitRequest failed");
	for (;;) {
		/*
		 * FCGX_Accept_r is thread-safe where accept(2) needs no
		 * serializing, as on Linux and the BSDs: every idle thread
		 * waits in accept and the kernel wakes one per connection,
		 * which then reads its parameters while the others accept.
		 */
		rc = stopping ? -1 : FCGX_Accept_r(&req);
		if (rc < 0) {
			if (!stopping)
				log_warnx("FCGX_Accept_r failed (%d)", rc);
			break;
		}
		/*
		 * libfcgi closes a connection lingering: shutdown, then up to
		 * 2 s for the web server to close its end, lest data still
		 * coming in turn the close into a reset that eats the response.
		 * Once the input has reached its end record nothing more can
		 * come, and a plain close frees the thread at once.
		 */
		if (request_handle(w, req.envp, &io) &&
		    (FCGX_HasSeenEOF(req.in) || FCGX_GetChar(req.in) == EOF))
			req.detached = 1;
		FCGX_Finish_r(&req);
	}
	return NULL;
}

/* Copy a socket path; -1 when it does not fit. */
static int
strlcpy_path(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (len == 0 || len >= size)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

/*
 * Open --listen: unix:PATH, HOST:PORT or :PORT. A unix socket gets
 * listen_mode, and belongs to `user` when we start as root and drop to it,
 * so only the web server's account can send requests with forged parameters.
 */
static int
open_listener(const struct config *cfg)
{
	const char		*spec = cfg->listen;
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	char			*host, *port, *cause;
	int			 fd = -1, on = 1, rc;
	mode_t			 old;

	/* Our own sockets: libfcgi's FCGX_OpenSocket exit()s on errors. */
	if (strncmp(spec, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlcpy_path(sun.sun_path, spec + 5, sizeof sun.sun_path) == -1)
			fatalx("listen %s: path too long", spec);
		if (unlink(sun.sun_path) == -1 && errno != ENOENT)
			fatal("listen %s: unlink", spec);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			fatal("listen %s: socket", spec);
		old = umask(0177);
		rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
		umask(old);
		if (rc == -1)
			fatal("listen %s: bind", spec);
		if (chmod(sun.sun_path, (mode_t)cfg->listen_mode) == -1)
			fatal("listen %s: chmod", spec);
		if (priv_chown(sun.sun_path, cfg, &cause) == -1)
			fatalx("listen %s: %s", spec, cause);
	} else {
		host = xstrdup(spec);
		if ((port = strrchr(host, ':')) == NULL)
			fatalx("listen %s: expected unix:PATH or HOST:PORT", spec);
		*port++ = '\0';
		if (strspn(port, "0123456789") != strlen(port) || *port == '\0' ||
		    strlen(port) > 5 || atoi(port) < 1 || atoi(port) > 65535)
			fatalx("listen %s: bad port", spec);
		/* [::1]:9000 */
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			host[strlen(host) - 1] = '\0';
			memmove(host, host + 1, strlen(host));
		}
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((rc = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0)
			fatalx("listen %s: %s", spec, gai_strerror(rc));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
			if (fd == -1)
				continue;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		free(host);
		if (fd == -1)
			fatal("listen %s: bind", spec);
	}
	if (listen(fd, LISTEN_BACKLOG) == -1)
		fatal("listen %s", spec);
	return fd;
}

/* Everything process-wide: config checks, keys, store, script_root. */
static void
setup(struct sw *sw)
{
	struct config	*cfg = sw->cfg;
	char		*cause, resolved[PATH_MAX];
	const char	*path;

	if (config_check(cfg, &cause) == -1)
		fatalx("%s", cause);
	if (cfg->script_root == NULL && cfg->handler == NULL)
		fatalx("neither script_root nor handler is set: refusing to "
		    "run whatever the web server names");
	if (cfg->script_root != NULL) {
		if (realpath(cfg->script_root, resolved) == NULL)
			fatal("script_root %s", cfg->script_root);
		sw->root = xstrdup(resolved);
	} else
		sw->root = xstrdup("/nonexistent");
	if (cfg->handler != NULL && access(cfg->handler, X_OK) == -1)
		fatal("handler %s", cfg->handler);
	if (cfg->secret_file != NULL) {
		if ((sw->keys = keyring_load(cfg->secret_file, &cause)) == NULL)
			fatalx("%s", cause);
	} else
		fatalx("secret_file is not set (generate one with: "
		    "sessionwrap-ctl keygen > FILE)");
	if ((sw->store = store_open(cfg, sw->keys, &cause)) == NULL)
		fatalx("store: %s", cause);
	if (priv_drop(cfg, &cause) == -1)
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

/* Entry point. */
int
main(int argc, char **argv)
{
	struct config	 cfg;
	struct sw	 sw;
	struct worker	*workers;
	pthread_t	*threads;
	sigset_t	 sigs;
	int		 i, n, sig, gateway;

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
	else if (cfg.listen != NULL)
		listen_fd = open_listener(&cfg);
	else if (!FCGX_IsCGI())
		listen_fd = 0;
	else
		fatalx("no listen set, descriptor 0 is not a socket and "
		    "GATEWAY_INTERFACE is not set: give --listen, or start "
		    "sessionwrap from a web server");
	setup(&sw);

	if (sw.cgi) {
		struct worker	 w = { &sw, NULL, 0, 0 };
		struct rio	 io = { NULL, cgi_read, cgi_write, cgi_error,
				    cgi_flush };
		extern char	**environ;

		request_handle(&w, environ, &io);
		if (w.conn != NULL)
			sw.store->ops->conn_free(w.conn);
		teardown(&sw);
		return 0;
	}

	n = cfg.threads;
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
	log_info("ready: %d threads, store %s", n, sw.store->ops->name);
	for (i = 0; i < n; i++) {
		workers[i].sw = &sw;
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
	if (cfg.listen != NULL && strncmp(cfg.listen, "unix:", 5) == 0)
		unlink(cfg.listen + 5);
	alarm_exit(cfg.handler_timeout + 5);
	for (i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		if (workers[i].conn != NULL)
			sw.store->ops->conn_free(workers[i].conn);
	}
	spawn_linger_killall();
	log_info("stopped");
	free(workers);
	free(threads);
	teardown(&sw);
	return 0;
}
