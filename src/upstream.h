/*
 * Connections to the FastCGI application (upstream = unix:PATH|HOST:PORT),
 * kept open between requests in one pool per process, at most
 * upstream_connections of them.
 */
#ifndef SW_UPSTREAM_H
#define SW_UPSTREAM_H

/* One connection a request holds. */
struct upstream_conn {
	int	 fd;		/* non-blocking */
	int	 reused;	/* kept from an earlier request */
	int	 unproven;	/* fresh, and the app has not answered on it yet */
};

/*
 * A connection for one request: an idle kept one that is still open, else
 * a new one (fresh: always a new one) while fewer than max are open, else
 * wait for one until deadline (monotonic ms). 0, or -1 and *cause with
 * errno ETIMEDOUT (none came free, or the connect took too long) or the
 * connect's error (the app is down).
 */
int	 upstream_get(const char *, int, long long, int, struct upstream_conn *,
	    char **);
/* The app answered on the connection: it is served by a worker of its own. */
void	 upstream_proven(struct upstream_conn *);
/* Give the connection back: kept for the next request (keep), or closed. */
void	 upstream_put(struct upstream_conn *, int);

#endif
