/* Listening sockets for the programs: Unix (with the stale check) and TCP. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"
#include "num.h"
#include "priv.h"
#include "xmalloc.h"

/*
 * What is at path before binding: nothing, or a socket nobody accepts on
 * (removed), is fine; a live socket or any other file is refused.
 */
static int
listen_stale(const struct sockaddr_un *sun, char **cause)
{
	const char	*path = sun->sun_path;
	struct stat	 sb;
	int		 fd, live;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		*cause = xstrdup(strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		*cause = xstrdup("exists and is not a socket");
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	live = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
	close(fd);
	if (live) {
		*cause = xstrdup("already in use by another process");
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		xasprintf(cause, "unlink: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A listening Unix socket at path with mode (and cfg's owner); -1 and *cause. */
static int
listen_unix(const char *path, mode_t mode, const struct config *cfg,
    int backlog, int type, char **cause)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof sun.sun_path) {
		*cause = xstrdup("path empty or too long");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (listen_stale(&sun, cause) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, type, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	/* Nobody may connect before the mode is set. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc == -1) {
		xasprintf(cause, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, mode) == -1)
		xasprintf(cause, "chmod: %s", strerror(errno));
	else if (cfg != NULL && priv_chown(path, cfg, cause) == -1)
		/* *cause set */;
	else if (listen(fd, backlog) == -1)
		xasprintf(cause, "listen: %s", strerror(errno));
	else
		return fd;
	close(fd);
	unlink(path);
	return -1;
}

/*
 * Split HOST:PORT, [V6]:PORT or :PORT (host NULL: every address); the port
 * is a number from 1 to 65535. -1 and *cause when malformed.
 */
static int
listen_split(const char *spec, char **host, char **port, char **cause)
{
	const char	*colon;
	size_t		 hostlen;
	long long	 n;

	if ((colon = strrchr(spec, ':')) == NULL) {
		*cause = xstrdup("expected unix:PATH or HOST:PORT");
		return -1;
	}
	colon++;
	if (num_parse(colon, 10, 1, 65535, &n, NULL) == -1) {
		*cause = xstrdup("bad port");
		return -1;
	}
	hostlen = colon - 1 - spec;
	if (hostlen >= 2 && spec[0] == '[' && spec[hostlen - 1] == ']') {
		spec++;
		hostlen -= 2;
	}
	*host = hostlen == 0 ? NULL : xstrndup(spec, hostlen);
	*port = xstrdup(colon);
	return 0;
}

/* A listening TCP socket on HOST:PORT; -1 and *cause. */
static int
listen_tcp(const char *spec, int backlog, int type, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	char		*host, *port;
	int		 fd = -1, on = 1, rc, err = 0;

	if (listen_split(spec, &host, &port, cause) == -1)
		return -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		*cause = xstrdup(gai_strerror(rc));
		free(host);
		free(port);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | type,
		    ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		xasprintf(cause, "bind: %s", strerror(err));
	freeaddrinfo(res);
	free(host);
	free(port);
	return fd;
}

/* Listen on unix:PATH or HOST:PORT; the socket, or -1 and *cause. */
int
listen_open(const char *spec, mode_t mode, const struct config *cfg,
    int backlog, int flags, char **cause)
{
	int	 type = SOCK_STREAM | SOCK_CLOEXEC;

	if (flags & LISTEN_NONBLOCK)
		type |= SOCK_NONBLOCK;
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, mode, cfg, backlog, type, cause);
	return listen_tcp(spec, backlog, type & ~SOCK_STREAM, cause);
}
