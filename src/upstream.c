/*
 * The pool of connections to the FastCGI application. A php-fpm worker
 * serves one kept connection until it closes, so a pool holding more
 * connections than the app has workers would leave a request sent on a
 * surplus one queued behind idle connections for ever. Two rules prevent
 * that: an idle kept connection is always taken before a new one is
 * opened, and while any request waits on a new connection the app has not
 * answered yet, connections given back are closed, not kept, so that the
 * worker they tied up takes the waiting one.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "listen.h"
#include "upstream.h"
#include "xmalloc.h"

/* The process's connections to the app. */
struct upstream_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a connection came free */
	int		*idle;		/* kept connections, last in first */
	int		 nidle;
	int		 open;		/* idle and held */
	int		 unproven;	/* held, fresh, not answered yet */
};

static struct upstream_pool	 pool;
static pthread_once_t		 pool_once = PTHREAD_ONCE_INIT;

/* The lock and the condition, on the monotonic clock of the deadlines. */
static void
upstream_init(void)
{
	pthread_condattr_t	 ca;

	pthread_mutex_init(&pool.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool.cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* Wait for a connect in progress until deadline; 0 or -1 and errno. */
static int
upstream_connect_wait(int fd, long long deadline)
{
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(int);
	long long	 left;
	int		 err = 0, rc;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	do {
		if ((left = deadline - clock_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
	} while (rc == 0 || (rc == -1 && errno == EINTR));
	if (rc == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Connect one socket to addr; the fd, or -1 and errno. */
static int
upstream_connect_to(int family, const struct sockaddr *sa, socklen_t salen,
    long long deadline)
{
	int	 fd, on = 1, saved;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (connect(fd, sa, salen) == 0 || (errno == EINPROGRESS &&
	    upstream_connect_wait(fd, deadline) == 0))
		return fd;
	saved = errno;
	close(fd);
	/* A Unix socket whose backlog is full: the app is refusing. */
	errno = saved == EAGAIN ? ECONNREFUSED : saved;
	return -1;
}

/* A new connection to unix:PATH or HOST:PORT; -1 with errno and *cause. */
static int
upstream_connect(const char *addr, long long deadline, char **cause)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	char			*host, *port;
	int			 fd = -1, rc, err = ECONNREFUSED;

	if (strncmp(addr, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(addr + 5) >= sizeof sun.sun_path) {
			*cause = xstrdup("socket path too long");
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(sun.sun_path, addr + 5);
		if ((fd = upstream_connect_to(AF_UNIX,
		    (struct sockaddr *)&sun, sizeof sun, deadline)) == -1)
			*cause = xstrdup(strerror(errno));
		return fd;
	}
	if (listen_split(addr, &host, &port, cause) == -1) {
		errno = EINVAL;
		return -1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		*cause = xstrdup(gai_strerror(rc));
		free(host);
		free(port);
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = upstream_connect_to(ai->ai_family, ai->ai_addr,
		    ai->ai_addrlen, deadline);
		if (fd == -1)
			err = errno;
	}
	freeaddrinfo(res);
	free(host);
	free(port);
	if (fd == -1) {
		*cause = xstrdup(strerror(err));
		errno = err;
	}
	return fd;
}

/*
 * True when an idle kept connection still stands: nothing to read on it
 * (the app's close, or bytes it had no business sending).
 */
static int
upstream_alive(int fd)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 0;
}

/* Wait on the pool until deadline; -1 with errno ETIMEDOUT when it passed. */
static int
upstream_wait(long long deadline)
{
	struct timespec	 ts;

	if (clock_ms() >= deadline) {
		errno = ETIMEDOUT;
		return -1;
	}
	ts.tv_sec = deadline / 1000;
	ts.tv_nsec = (deadline % 1000) * 1000000L;
	pthread_cond_timedwait(&pool.cv, &pool.mu, &ts);
	return 0;
}

/* A connection for one request; see upstream.h. */
int
upstream_get(const char *addr, int max, long long deadline, int fresh,
    struct upstream_conn *c, char **cause)
{
	int	 fd;

	pthread_once(&pool_once, upstream_init);
	memset(c, 0, sizeof *c);
	pthread_mutex_lock(&pool.mu);
	if (pool.idle == NULL)
		pool.idle = xcalloc(max, sizeof *pool.idle);
	for (;;) {
		if (pool.nidle > 0 && !fresh) {
			fd = pool.idle[--pool.nidle];
			if (upstream_alive(fd)) {
				pthread_mutex_unlock(&pool.mu);
				c->fd = fd;
				c->reused = 1;
				return 0;
			}
			close(fd);
			pool.open--;
			continue;
		}
		if (pool.open < max)
			break;
		if (fresh && pool.nidle > 0) {
			/* Make room: the oldest idle one goes. */
			close(pool.idle[0]);
			memmove(pool.idle, pool.idle + 1, --pool.nidle *
			    sizeof *pool.idle);
			pool.open--;
			break;
		}
		if (upstream_wait(deadline) == -1) {
			pthread_mutex_unlock(&pool.mu);
			*cause = xstrdup("no free connection");
			errno = ETIMEDOUT;
			return -1;
		}
	}
	pool.open++;
	pool.unproven++;
	pthread_mutex_unlock(&pool.mu);
	c->unproven = 1;
	if ((c->fd = upstream_connect(addr, deadline, cause)) != -1)
		return 0;
	upstream_put(c, 0);
	return -1;
}

/* The app answered on a fresh connection; see upstream.h. */
void
upstream_proven(struct upstream_conn *c)
{
	if (!c->unproven)
		return;
	pthread_mutex_lock(&pool.mu);
	pool.unproven--;
	pthread_mutex_unlock(&pool.mu);
	c->unproven = 0;
}

/* Give the connection back; see upstream.h. */
void
upstream_put(struct upstream_conn *c, int keep)
{
	int	 saved = errno;

	pthread_mutex_lock(&pool.mu);
	if (c->unproven) {
		pool.unproven--;
		c->unproven = 0;
	}
	if (keep && c->fd != -1 && pool.unproven == 0)
		pool.idle[pool.nidle++] = c->fd;
	else {
		if (c->fd != -1)
			close(c->fd);
		pool.open--;
	}
	c->fd = -1;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	errno = saved;
}
