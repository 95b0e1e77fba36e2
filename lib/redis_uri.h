/*
 * A Redis server's address as the store and ws_bus name it:
 * redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (HOST may be [IPv6]) or
 * redis+unix://[[USER]:PASSWORD@]/PATH, with ?prefix=P&timeout=MS (and
 * db=N for a socket). The scheme's case does not matter (RFC 3986).
 */
#ifndef SW_REDIS_URI_H
#define SW_REDIS_URI_H

#define REDIS_URI_PORT	6379

struct redis_uri {
	char		*host;		/* TCP host, or NULL for a socket */
	int		 port;		/* REDIS_URI_PORT unless given */
	char		*path;		/* redis+unix:// socket, or NULL */
	char		*user;		/* ACL user (AUTH user pass), or NULL */
	char		*pass;		/* password, or NULL; never logged */
	int		 db;		/* SELECT db (0: none needed) */
	char		*prefix;	/* ?prefix=, or NULL */
	long		 timeout;	/* ?timeout= in ms, or 0 */
};

/* Parse a value into *u (free with redis_uri_free); -1 and *cause. */
int	 redis_uri_parse(const char *, struct redis_uri *, char **);
/* Free what redis_uri_parse filled in, wiping the password. */
void	 redis_uri_free(struct redis_uri *);

#endif
