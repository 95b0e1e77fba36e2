/* sessionwrap-ctl: a session's websockets, over ws_bus or ws_control. */
#ifndef SW_CTL_WS_H
#define SW_CTL_WS_H

struct config;

/*
 * CLOSE a ws_id's sockets: on ws_bus when it is set (*n = -1, since every
 * host counts its own), else, or when the bus is down, on ws_control (*n the
 * count). 0, or -1 and *cause (caller frees).
 */
int	 ctl_ws_close(const struct config *, const char *, int, const char *,
	    long *, char **);
/* send WS_ID TEXT: push one text message to a ws_id's sockets. */
int	 ctl_ws_send_cmd(struct config *, int, char **);
/* Release the keys ctl_ws_close loaded. */
void	 ctl_ws_done(void);

#endif
