/* One request's session: loaded by its cookie, changed by the script's operations, saved. */
#ifndef SW_RSESSION_H
#define SW_RSESSION_H

#include <stddef.h>
#include <time.h>

#include "save.h"

struct config;
struct session;
struct session_op;
struct store_ops;
struct sw;
struct worker;

/* The session steps of one request, whatever upstream answers it. */
struct rsession {
	struct worker		*w;
	struct sw		*sw;
	const struct config	*cfg;
	const struct store_ops	*ops;
	time_t			 now;
	const char		*name;		/* the request, for log lines */
	const char		*addr;		/* REMOTE_ADDR, for a login's record */
	const char		*ua;		/* HTTP_USER_AGENT, likewise */

	char			*cookie;	/* our cookie as sent, or NULL */
	int			 cookie_bad;	/* sent but not accepted */
	int			 locked;
	int			 loaded;	/* session came from the store */
	int			 touch;		/* refresh the stored expiry */
	int			 kept;		/* save refused: the stored copy stands */
	struct session		*s;
	struct session_op	*ops_v;		/* the script's operations, */
	size_t			 nops;		/* kept to re-apply (merge) */
};

/* Start loading the session, where the store can, while the script is found. */
void	 rsession_prefetch(struct rsession *);
/*
 * Load the session named by the cookie (locked when lock is exclusive), or
 * make a fresh one; 0 or the HTTP status to answer with.
 */
int	 rsession_load(struct rsession *);
/*
 * Save the session if it must be (save_decide), retrying lost
 * compare-and-swaps in merge mode, and end the ids a logout or login
 * replaced. 0 with *cookie the Set-Cookie to send and *value the store's
 * (the caller frees it, also on an error), or the HTTP status to answer
 * with.
 */
int	 rsession_save(struct rsession *, enum save_cookie *, char **);
/* Unlock the stored session and free the request's copy. */
void	 rsession_end(struct rsession *);

#endif
