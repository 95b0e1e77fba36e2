/*
 * Failed logins counted per user and per client address (lib/counter.c:
 * the store's servers, or a file of this host). Every attempt counts as a
 * failure until it succeeds, so parallel attempts cannot pass a limit
 * together; counters live LOGIN_WINDOW seconds from their first failure.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "counter.h"
#include "crypto.h"
#include "login.h"

/* The counter key of a user name or an address: a hash, any bytes in. */
static char *
login_throttle_key(const char *label, const char *what)
{
	return crypto_hash_hex(label, what, COUNTER_KEY_LEN);
}

/* Count the attempt; refuse when the user or the address is over a limit. */
enum login_throttle
login_throttle_begin(struct counter *c, const char *user, const char *addr,
    time_t now, char **cause)
{
	char	*ku = login_throttle_key("sessionwrap-login user", user);
	char	*ka = login_throttle_key("sessionwrap-login addr", addr);
	long	 nu = 0, na = 0;
	int	 rv;

	rv = counter_add(c, ku, 1, LOGIN_WINDOW, now, &nu, cause) == -1 ||
	    counter_add(c, ka, 1, LOGIN_WINDOW, now, &na, cause) == -1;
	free(ku);
	free(ka);
	if (rv)
		return LOGIN_THROTTLE_ERROR;
	if (nu > LOGIN_MAX_PER_USER || na > LOGIN_MAX_PER_ADDR)
		return LOGIN_THROTTLE_REFUSE;
	return LOGIN_THROTTLE_OK;
}

/* After a login: the user starts afresh, the address gets its try back. */
int
login_throttle_success(struct counter *c, const char *user, const char *addr,
    time_t now, char **cause)
{
	char	*ku = login_throttle_key("sessionwrap-login user", user);
	char	*ka = login_throttle_key("sessionwrap-login addr", addr);
	long	 na;
	int	 rv;

	rv = counter_remove(c, ku, now, cause) == -1 ||
	    counter_add(c, ka, -1, LOGIN_WINDOW, now, &na, cause) == -1;
	free(ku);
	free(ka);
	return rv ? -1 : 0;
}
