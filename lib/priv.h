/* Dropping root before running anything on behalf of a client. */
#ifndef SW_PRIV_H
#define SW_PRIV_H

#include "config.h"

/*
 * When running as root: switch to cfg->user (and cfg->group), or go on as
 * root only with allow_root = on. -1 and *cause otherwise. Call after
 * everything that needs root (sockets, secret_file) is open.
 */
int	 priv_drop(const struct config *, char **);
/* As root with cfg->user: chown a socket to that user and group; -1 and *cause. */
int	 priv_chown(const char *, const struct config *, char **);

#endif
