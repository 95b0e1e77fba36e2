/*
 * The start-up sequence of the three programs: every value checked, the keys
 * loaded and the store opened, all before a socket is bound, so that a bad
 * configuration leaves nothing behind.
 */
#ifndef SW_STARTUP_H
#define SW_STARTUP_H

struct config;
struct keyring;
struct store;

/* A program's own checks of its values; -1 and *cause. */
typedef int	 startup_check_fn(const struct config *, char **);

/*
 * config_check, then the program's check (NULL: none), then
 * startup_keys_store. On success *keysp and *storep are the caller's;
 * -1 and *cause otherwise, with nothing kept.
 */
int	 startup_open(const struct config *, startup_check_fn *,
	    struct keyring **, struct store **, char **);
/* secret_file set and loaded, the store opened; -1 and *cause. */
int	 startup_keys_store(const struct config *, struct keyring **,
	    struct store **, char **);

#endif
