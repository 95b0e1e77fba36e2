/* One request: pick the script, load the session, run it, apply and save. */
#ifndef SW_REQUEST_H
#define SW_REQUEST_H

#include <sys/types.h>

#include "config.h"
#include "crypto.h"
#include "store.h"

/* How a request talks to the web server: FastCGI streams or CGI fds. */
struct rio {
	void	*ctx;
	/*
	 * Read request body bytes, waiting until the deadline (monotonic ms)
	 * at most: what has come, at least one byte; 0 at the end; -1 on an
	 * error, with errno ETIMEDOUT when the deadline passed first.
	 */
	ssize_t	 (*read)(void *, char *, size_t, long long);
	/* Write response bytes; -1 when the client is gone. */
	int	 (*write)(void *, const char *, size_t);
	/* Write to the web server's error log (script stderr). */
	void	 (*error)(void *, const char *, size_t);
	/* Push buffered response bytes now. */
	void	 (*flush)(void *);
	/*
	 * Called once, last, when a response whose headers were sent is cut
	 * short (the script died of a signal or was killed): push what was
	 * written, then end it so the web server sees it incomplete.
	 */
	void	 (*abort)(void *);
};

/* Process-wide state shared read-only by every worker. */
struct sw {
	struct config	*cfg;
	struct keyring	*keys;
	struct store	*store;
	char		*root;		/* realpath of script_root */
	char		*path_env;	/* PATH for scripts */
	int		 cgi;		/* running as plain CGI */
};

/* A worker thread's own resources. */
struct worker {
	struct sw	*sw;
	void		*conn;		/* store connection, NULL until made */
	long long	 conn_retry;	/* monotonic ms of the next attempt */
	int		 id;
};

/*
 * Handle one request. Returns 1 when the request body was read to its end
 * (or there was none), so the connection can be closed without lingering.
 */
int	 request_handle(struct worker *, char **, const struct rio *);

#endif
