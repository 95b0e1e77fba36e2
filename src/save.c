/* The save decision: whether a request stores its session, and which cookie it sends. */
#include "autoconf.h"

#include "save.h"

/* Whether to store the session, from its SAVE_* facts; see save.h. */
enum save_action
save_decide(unsigned int f)
{
	int	 must;

	must = (f & (SAVE_CHANGED | SAVE_TOUCH | SAVE_ID_CHANGED)) != 0;
	/* Lazy: nothing worth a cookie yet. */
	if ((f & SAVE_EMPTY) && !(f & SAVE_STORED_BEFORE) && !(f & SAVE_LOADED))
		must = 0;
	if ((f & SAVE_DESTROYED) && (f & SAVE_EMPTY))
		must = 0;
	if (must)
		return SAVE_STORE;
	if ((f & SAVE_DESTROYED) ||
	    ((f & SAVE_COOKIE_BAD) && (f & SAVE_COOKIE_SENT)))
		return SAVE_DELETE_COOKIE;
	return SAVE_NOTHING;
}

/* The cookie after the store took or refused the session; see save.h. */
enum save_cookie
save_cookie_after(unsigned int f, int stored)
{
	if (!stored)
		return (f & SAVE_DESTROYED) ? SAVE_COOKIE_DELETE :
		    SAVE_COOKIE_NONE;
	if (f & (SAVE_CLIENT_SIDE | SAVE_IS_NEW | SAVE_ID_CHANGED |
	    SAVE_MAX_AGE | SAVE_COOKIE_BAD | SAVE_DESTROYED))
		return SAVE_COOKIE_SET;
	return SAVE_COOKIE_NONE;
}
