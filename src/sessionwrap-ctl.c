/* sessionwrap-ctl: keys, configuration checks and session administration. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

struct ctl_cmd {
	const char	*name;
	const char	*args;
	const char	*help;
	int		 needs_config;
	int		 (*fn)(struct config *, int, char **);
};

static int	ctl_keygen(struct config *, int, char **);
static int	ctl_check_config(struct config *, int, char **);
static int	ctl_get(struct config *, int, char **);

/* Every command, in the order --help lists them. */
static const struct ctl_cmd ctl_cmds[] = {
	{ "keygen", "", "print a new secret line for secret_file", 0,
	  ctl_keygen },
	{ "check-config", "", "check the configuration, keys and store", 1,
	  ctl_check_config },
	{ "get", "KEY", "print top-level KEY of $SESSION (for shell scripts)",
	  0, ctl_get },
};

#define NCMDS	(sizeof ctl_cmds / sizeof ctl_cmds[0])

/* Print usage. */
static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: sessionwrap-ctl [-c FILE] [--KEY=VALUE]... "
	    "COMMAND [ARGS]...\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-14s %-10s %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].args, ctl_cmds[i].help);
}

/* keygen: a new secret line. */
static int
ctl_keygen(struct config *cfg, int argc, char **argv)
{
	char	*k = crypto_keygen();

	printf("%s\n", k);
	crypto_wipe(k, strlen(k));
	free(k);
	return 0;
}

/* check-config: everything sessionwrap checks at start-up, then the store. */
static int
ctl_check_config(struct config *cfg, int argc, char **argv)
{
	struct keyring	*keys = NULL;
	struct store	*store;
	void		*conn;
	char		*cause;

	if (config_check(cfg, &cause) == -1) {
		fprintf(stderr, "sessionwrap-ctl: %s\n", cause);
		free(cause);
		return 1;
	}
	if (cfg->secret_file == NULL) {
		fprintf(stderr, "sessionwrap-ctl: secret_file is not set\n");
		return 1;
	}
	if ((keys = keyring_load(cfg->secret_file, &cause)) == NULL) {
		fprintf(stderr, "sessionwrap-ctl: %s\n", cause);
		free(cause);
		return 1;
	}
	if ((store = store_open(cfg, keys, &cause)) == NULL) {
		fprintf(stderr, "sessionwrap-ctl: store: %s\n", cause);
		free(cause);
		keyring_free(keys);
		return 1;
	}
	if ((conn = store->ops->conn_new(store, &cause)) == NULL) {
		fprintf(stderr, "sessionwrap-ctl: store %s: %s\n",
		    store->ops->name, cause);
		free(cause);
		store_close(store);
		keyring_free(keys);
		return 1;
	}
	store->ops->conn_free(conn);
	printf("configuration OK: store %s, %zu key%s\n", store->ops->name,
	    keyring_count(keys), keyring_count(keys) == 1 ? "" : "s");
	store_close(store);
	keyring_free(keys);
	return 0;
}

/* get KEY: print a value of $SESSION; exit 1 when absent. */
static int
ctl_get(struct config *cfg, int argc, char **argv)
{
	json_t		*root, *v;
	json_error_t	 err;
	const char	*s;
	char		*text;

	if (argc != 1) {
		fprintf(stderr, "usage: sessionwrap-ctl get KEY\n");
		return 2;
	}
	if ((s = getenv("SESSION")) == NULL)
		return 1;
	if ((root = json_loads(s, 0, &err)) == NULL || !json_is_object(root)) {
		fprintf(stderr, "sessionwrap-ctl: $SESSION is not a JSON "
		    "object\n");
		json_decref(root);
		return 2;
	}
	if ((v = json_object_get(root, argv[0])) == NULL) {
		json_decref(root);
		return 1;
	}
	if (json_is_string(v))
		printf("%s\n", json_string_value(v));
	else {
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s\n", text ? text : "");
		free(text);
	}
	json_decref(root);
	return 0;
}

/* Entry point. */
int
main(int argc, char **argv)
{
	struct config	 cfg;
	char		*cause;
	int		 help, version, first, rc;
	size_t		 i;

	log_init(argv[0], 0);
	config_init(&cfg);
	if ((first = config_from_args(&cfg, argc, argv, &help, &version,
	    &cause)) == -1) {
		fprintf(stderr, "sessionwrap-ctl: %s\n", cause);
		free(cause);
		return 2;
	}
	if (help) {
		usage(stdout);
		return 0;
	}
	if (version) {
		printf("sessionwrap-ctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	log_set_level(cfg.log_level);
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(argv[first], ctl_cmds[i].name) == 0)
			break;
	}
	if (i == NCMDS) {
		fprintf(stderr, "sessionwrap-ctl: unknown command %s\n",
		    argv[first]);
		usage(stderr);
		return 2;
	}
	rc = ctl_cmds[i].fn(&cfg, argc - first - 1, argv + first + 1);
	config_free(&cfg);
	return rc;
}
