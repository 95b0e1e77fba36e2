/* The start-up sequence: values, keys and store, before any socket. */
#include "autoconf.h"

#include <stdlib.h>

#include "config.h"
#include "crypto.h"
#include "startup.h"
#include "store.h"
#include "xmalloc.h"

/* Load secret_file and open the store; -1 and *cause, nothing kept. */
int
startup_keys_store(const struct config *cfg, struct keyring **keysp,
    struct store **storep, char **cause)
{
	struct keyring	*keys;
	struct store	*st;
	char		*cause1;

	if (cfg->secret_file == NULL) {
		*cause = xstrdup("secret_file is not set (generate one with: "
		    "sessionwrap-ctl keygen > FILE)");
		return -1;
	}
	if ((keys = keyring_load(cfg->secret_file, cause)) == NULL)
		return -1;
	if ((st = store_open(cfg, keys, &cause1)) == NULL) {
		xasprintf(cause, "store: %s", cause1);
		free(cause1);
		keyring_free(keys);
		return -1;
	}
	*keysp = keys;
	*storep = st;
	return 0;
}

/* Every value checked, then keys and store; -1 and *cause, nothing kept. */
int
startup_open(const struct config *cfg, startup_check_fn *check,
    struct keyring **keysp, struct store **storep, char **cause)
{
	if (config_check(cfg, cause) == -1)
		return -1;
	if (check != NULL && check(cfg, cause) == -1)
		return -1;
	return startup_keys_store(cfg, keysp, storep, cause);
}
