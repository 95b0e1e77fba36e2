/*
 * The upstream that answers a request, behind one interface: a spawned CGI
 * script (pump-child.c) or a FastCGI application (pump-fcgi.c). A pump moves
 * bytes only: the request feeds it the body and reads back a CGI response
 * (headers, then body), whose headers, X-Session-* operations and save stay
 * with the request, the same whatever the pump.
 */
#ifndef SW_PUMP_H
#define SW_PUMP_H

#include <sys/types.h>

struct rio;

/* What pump_ops.wait found ready, as bits. */
#define PUMP_OUTPUT	0x1	/* response bytes, or their end, to read */
#define PUMP_DIAG	0x2	/* diagnostics to forward (a script's stderr) */
#define PUMP_INPUT	0x4	/* room for request body bytes */

/* What a pump is started with; the strings outlive the pump. */
struct pump_start {
	const char		*path;		/* the script to run */
	char *const		*argv;
	char *const		*envp;		/* CGI/1.1 and session variables */
	const char		*dir;		/* working directory, NULL: ours */
	const char		*name;		/* the request, for log lines */
	const struct rio	*io;		/* diagnostics go to io->error */
	int			 no_input;	/* no body will be fed */
	int			 detach;	/* plain CGI: see end */
	/* pump-fcgi.c: the FastCGI application. */
	const char		*upstream;	/* unix:PATH or HOST:PORT */
	int			 upstream_connections;	/* kept at most */
	long long		 deadline;	/* monotonic ms: a connection by then */
};

/*
 * One kind of upstream. The request calls start once, then wait, read,
 * diag, feed and feed_end as wait reports them, until read says the
 * response has ended (end) or the request gives up (abort); close last,
 * always, after a successful start.
 */
struct pump_ops {
	const char	*name;
	/*
	 * Start the upstream for one request. Its state, or NULL with *cause
	 * and errno (EACCES: it may not be run) when it cannot be started.
	 */
	void		*(*start)(const struct pump_start *, char **);
	/*
	 * Wait at most ms for the upstream: the PUMP_* bits ready (PUMP_INPUT
	 * only while the body is not ended), 0 when the time passed, -1 and
	 * errno (EINTR: just call again).
	 */
	int		 (*wait)(void *, int);
	/*
	 * Send request body bytes: how many went (0: none just now), or -1
	 * when the upstream takes no more body (the rest is dropped; no
	 * feed_end needed).
	 */
	ssize_t		 (*feed)(void *, const char *, size_t);
	/* The body has ended (or there is none): tell the upstream. */
	void		 (*feed_end)(void *);
	/*
	 * Read response bytes: how many, 0 once the response has ended (an
	 * error ends it too), -1 with errno EAGAIN or EINTR while none are in,
	 * or another errno for the error that ended it.
	 */
	ssize_t		 (*read)(void *, char *, size_t);
	/* Forward the upstream's diagnostics to the web server's log. */
	void		 (*diag)(void *);
	/* Stop the upstream at once (timeout, client gone, broken response). */
	void		 (*abort)(void *);
	/*
	 * The response has ended: let the upstream finish, forwarding its
	 * last diagnostics, for a short grace; what outlives it is ended by
	 * the deadline (monotonic ms) in the background, or, detached, left
	 * alone. 1 when it ended abnormally, so that a response whose
	 * headers are out must be cut; else 0.
	 */
	int		 (*end)(void *, long long);
	/* Forward what diagnostics are left and release the state. */
	void		 (*close)(void *);
};

/* pump-child.c: the CGI script in a process group of its own. */
extern const struct pump_ops	 pump_child_ops;
/* pump-fcgi.c: a FastCGI application over a pool of kept connections. */
extern const struct pump_ops	 pump_fcgi_ops;

#endif
