/*
 * Listening sockets from a listen spec: unix:PATH, HOST:PORT, [V6]:PORT or
 * :PORT. A stale Unix socket (nobody accepts on it) is replaced; a live one
 * or any other file at the path is refused.
 */
#ifndef SW_LISTEN_H
#define SW_LISTEN_H

#include <sys/types.h>

struct config;

#define LISTEN_NONBLOCK	0x1	/* a non-blocking socket (event loops) */

/*
 * Listen on spec with the given backlog. A Unix socket gets mode and, when
 * cfg is not NULL, the ownership of cfg's user (priv_chown). Returns the
 * socket, or -1 and *cause (caller frees; the spec is not in it).
 */
int	 listen_open(const char *, mode_t, const struct config *, int, int,
	    char **);

/*
 * Split HOST:PORT, [V6]:PORT or :PORT (*host NULL: every address) into
 * strings the caller frees; the port a number from 1 to 65535. -1 and
 * *cause when malformed.
 */
int	 listen_split(const char *, char **, char **, char **);

#endif
