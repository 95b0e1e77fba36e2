/* The save decision: whether a request stores its session, and which cookie it sends. */
#ifndef SW_SAVE_H
#define SW_SAVE_H

/* What the decision depends on, as bits (save_decide, save_cookie_after). */
#define SAVE_CHANGED		0x001	/* the script changed the data */
#define SAVE_TOUCH		0x002	/* the stored expiry is due for a refresh */
#define SAVE_ID_CHANGED		0x004	/* login or regenerate: a new id */
#define SAVE_DESTROYED		0x008	/* logout: the client's session ends */
#define SAVE_IS_NEW		0x010	/* created by this request */
#define SAVE_EMPTY		0x020	/* no data and no user */
#define SAVE_STORED_BEFORE	0x040	/* it has a stored version (version != 0) */
#define SAVE_LOADED		0x080	/* it came from the store */
#define SAVE_COOKIE_SENT	0x100	/* the client sent our cookie */
#define SAVE_COOKIE_BAD		0x200	/* that cookie was not accepted */
#define SAVE_CLIENT_SIDE	0x400	/* the store is the cookie itself */
#define SAVE_MAX_AGE		0x800	/* a persistent cookie (max_age > 0) */

/* Before the store is asked. */
enum save_action {
	SAVE_NOTHING,		/* nothing to store, no Set-Cookie */
	SAVE_DELETE_COOKIE,	/* nothing to store; delete the client's cookie */
	SAVE_STORE		/* store it; then save_cookie_after says the cookie */
};

/* The Set-Cookie a stored (or refused) session needs. */
enum save_cookie {
	SAVE_COOKIE_NONE,	/* none: the client's cookie stands */
	SAVE_COOKIE_DELETE,	/* delete the client's cookie */
	SAVE_COOKIE_SET		/* send the value the store returned */
};

/* Whether to store the session, from its SAVE_* facts. */
enum save_action	 save_decide(unsigned int);
/*
 * The cookie once the store took the session (stored 1) or refused it as
 * too big (stored 0: the previous session stands unless it was ended).
 */
enum save_cookie	 save_cookie_after(unsigned int, int);

#endif
