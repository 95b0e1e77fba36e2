/*
 * Client side of sessionwrap-ws's control socket, and the checks both sides
 * apply to what goes over it.
 */
#ifndef SW_WSCTL_H
#define SW_WSCTL_H

#include <stddef.h>

#define WSCTL_TIMEOUT_MS	500	/* default bound on one command */
#define WSCTL_MAX_ID		128	/* longest ws_id accepted */
#define WSCTL_MAX_REASON	123	/* close reason bytes (RFC 6455 5.5) */
#define WSCTL_MAX_REPLY		65536	/* longest reply line read */
#define WSCTL_RETRY_EVERY	1	/* seconds between retries of a CLOSE */
#define WSCTL_RETRY_FOR		300	/* seconds a failed CLOSE is retried */
#define WSCTL_RETRY_MAX		4096	/* failed CLOSEs queued at most */

/*
 * Connect to the Unix control socket at `path`, send `line` (no newline; one
 * is added) and read one reply line, all within `timeout_ms` (<= 0: the
 * default). Returns 0 when the reply is "OK ..." with *reply the text after
 * "OK " (caller frees; may be empty); -1 and *cause (caller frees) when the
 * helper is down, too slow, or answered "ERR ...". `reply` may be NULL.
 */
int	 wsctl_command(const char *, const char *, char **, long, char **);
/*
 * CLOSE every socket of a session: code 0 means the helper's default, reason
 * NULL none. *n (may be NULL) gets how many sockets were closed.
 */
int	 wsctl_close(const char *, const char *, int, const char *, long *,
	     long, char **);

/*
 * wsctl_close with the default code, and on failure a retry in the
 * background: 0 delivered, 1 queued for retries (*cause says why it failed
 * now), -1 failed and not queued (queue full, bad id, shutting down).
 */
int	 wsctl_close_retry(const char *, const char *, long *, char **);
/* Stop the retry thread (joined); what is pending gets one last try. */
void	 wsctl_retry_stop(void);

/* A ws_id: 1 to WSCTL_MAX_ID characters of base64url. */
int	 wsctl_valid_id(const char *);
/* A close code an application may send: 1000 or 3000-4999. */
int	 wsctl_valid_code(long);

#endif
