/* Site configuration: key = value files, --key=value arguments, one table of keys. */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"
#include "log.h"
#include "num.h"
#include "xmalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define NKEYS	config_nkeys

/* Find a key by name; '-' and '_' are the same. */
static const struct config_key *
config_find(const char *name)
{
	size_t	 i, j;

	for (i = 0; i < NKEYS; i++) {
		const char *k = config_keys[i].name;

		for (j = 0; k[j] != '\0' && name[j] != '\0'; j++) {
			char a = k[j], b = name[j];

			if (b == '-')
				b = '_';
			if (a != b)
				break;
		}
		if (k[j] == '\0' && name[j] == '\0')
			return &config_keys[i];
	}
	return NULL;
}

/* Parse a decimal number within [min, max] (strtonum-style). */
static int
config_number(const char *s, long min, long max, long *out, char **cause)
{
	const char	*why = NULL;
	long long	 v = 0;

	/* Any sign parses, so that "-5" is out of range, not "not a number". */
	if (num_parse(s, 10, LONG_MIN, LONG_MAX, &v, &why) == -1 &&
	    strcmp(why, "invalid") == 0) {
		xasprintf(cause, "not a number: \"%s\"", s);
		return -1;
	}
	if (why != NULL || v < min || v > max) {
		xasprintf(cause, "%s out of range %ld..%ld", s, min, max);
		return -1;
	}
	*out = (long)v;
	return 0;
}

/* Parse on/off style booleans. */
static int
config_bool(const char *s, int *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t	 i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Store a value into the field a key describes. */
static int
config_assign(struct config *cfg, const struct config_key *k, const char *value,
    char **cause)
{
	char	*field = (char *)cfg + k->offset;
	long	 n;
	int	 b;

	switch (k->type) {
	case CONFIG_STRING:
		free(*(char **)field);
		*(char **)field = *value == '\0' ? NULL : xstrdup(value);
		return 0;
	case CONFIG_NUMBER:
		if (config_number(value, k->min, k->max, &n, cause) == -1)
			return -1;
		*(long *)field = n;
		return 0;
	case CONFIG_INT:
		if (config_number(value, k->min, k->max, &n, cause) == -1)
			return -1;
		*(int *)field = (int)n;
		return 0;
	case CONFIG_BOOL:
		if (config_bool(value, &b) == -1)
			break;
		*(int *)field = b;
		return 0;
	case CONFIG_MODE: {
		long long	 mode;

		if (num_parse(value, 8, k->min, k->max, &mode, NULL) == -1)
			break;
		*(long *)field = (long)mode;
		return 0;
	}
	case CONFIG_SECURE:
		if (strcasecmp(value, "auto") == 0)
			b = -1;
		else if (config_bool(value, &b) == -1)
			break;
		*(int *)field = b;
		return 0;
	case CONFIG_SAMESITE:
		if (strcasecmp(value, "lax") == 0)
			*(enum samesite *)field = SAMESITE_LAX;
		else if (strcasecmp(value, "strict") == 0)
			*(enum samesite *)field = SAMESITE_STRICT;
		else if (strcasecmp(value, "none") == 0)
			*(enum samesite *)field = SAMESITE_NONE;
		else
			break;
		return 0;
	case CONFIG_LOCK:
		if (strcasecmp(value, "merge") == 0)
			*(enum lock_mode *)field = LOCK_MERGE;
		else if (strcasecmp(value, "exclusive") == 0)
			*(enum lock_mode *)field = LOCK_EXCLUSIVE;
		else if (strcasecmp(value, "none") == 0)
			*(enum lock_mode *)field = LOCK_NONE;
		else
			break;
		return 0;
	case CONFIG_LOGLEVEL:
		if ((b = log_level_parse(value)) == -1)
			break;
		*(int *)field = b;
		return 0;
	case CONFIG_FORMAT:
		if (strcasecmp(value, "sessionwrap") == 0)
			*(enum session_format *)field = FORMAT_SESSIONWRAP;
		else if (strcasecmp(value, "aiohttp") == 0)
			*(enum session_format *)field = FORMAT_AIOHTTP;
		else
			break;
		return 0;
	}
	xasprintf(cause, "bad value \"%s\"", value);
	return -1;
}

/* Fill every key with its default. */
void
config_init(struct config *cfg)
{
	size_t	 i;
	char	*cause;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < NKEYS; i++) {
		if (config_keys[i].def == NULL)
			continue;
		if (config_assign(cfg, &config_keys[i], config_keys[i].def,
		    &cause) == -1)
			fatalx("%s: default of %s: %s", __func__,
			    config_keys[i].name, cause);
	}
}

/* Free every string. */
void
config_free(struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (config_keys[i].type == CONFIG_STRING)
			free(*(char **)((char *)cfg + config_keys[i].offset));
	}
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

/*
 * What to write instead of a key that moved into a store value (a backend's
 * own setting), or NULL. "-" is read as "_", as for keys.
 */
static const char *
config_moved(const char *name)
{
	static const struct {
		const char	*name;
		const char	*instead;
	} moved[] = {
		{ "key_prefix", "it is an option of the memcached store now: "
		    "store = memcached://HOST:PORT?prefix=VALUE (or cache = "
		    "memcached://...?prefix=VALUE)" },
	};
	size_t	 i, j;

	for (i = 0; i < sizeof moved / sizeof moved[0]; i++) {
		for (j = 0; moved[i].name[j] != '\0'; j++) {
			if (moved[i].name[j] != (name[j] == '-' ? '_' : name[j]))
				break;
		}
		if (moved[i].name[j] == '\0' && name[j] == '\0')
			return moved[i].instead;
	}
	return NULL;
}

/* Set one key from text. */
int
config_set(struct config *cfg, const char *key, const char *value, char **cause)
{
	const struct config_key	*k;
	const char		*instead;
	char			*why;

	if ((k = config_find(key)) == NULL) {
		if ((instead = config_moved(key)) != NULL)
			xasprintf(cause, "key \"%s\" is no longer accepted: %s",
			    key, instead);
		else
			xasprintf(cause, "unknown key \"%s\"", key);
		return -1;
	}
	if (config_assign(cfg, k, value, &why) == -1) {
		xasprintf(cause, "%s: %s", k->name, why);
		free(why);
		return -1;
	}
	return 0;
}

/* Trim spaces at both ends in place. */
static char *
config_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Read a key = value file. */
int
config_load(struct config *cfg, const char *path, char **cause)
{
	FILE	*f;
	char	*line = NULL, *p, *eq, *key, *value, *why;
	size_t	 size = 0;
	ssize_t	 n;
	int	 lineno = 0, rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &size, f)) != -1) {
		lineno++;
		if (memchr(line, '\0', n) != NULL) {
			xasprintf(cause, "%s:%d: NUL byte", path, lineno);
			goto out;
		}
		p = config_trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			xasprintf(cause, "%s:%d: expected key = value", path,
			    lineno);
			goto out;
		}
		*eq = '\0';
		key = config_trim(p);
		value = config_trim(eq + 1);
		/* Allow "quoted values" for paths with spaces. */
		n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			value[n - 1] = '\0';
			value++;
		}
		if (config_set(cfg, key, value, &why) == -1) {
			xasprintf(cause, "%s:%d: %s", path, lineno, why);
			free(why);
			goto out;
		}
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	free(cfg->path);
	cfg->path = xstrdup(path);
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

/* Aliases accepted on the command line for keys. */
static const char *
config_alias(const char *name)
{
	if (strcmp(name, "control") == 0)
		return "ws_control";
	return name;
}

/* Read FILE, else $SESSIONWRAP_CONF, else the default file when it exists. */
static int
config_load_file(struct config *cfg, const char *file, char **cause)
{
	const char	*env;

	if (file == NULL && (env = getenv("SESSIONWRAP_CONF")) != NULL &&
	    *env != '\0')
		file = env;
	if (file != NULL)
		return config_load(cfg, file, cause);
	if (access(SYSCONFDIR "/sessionwrap.conf", F_OK) == 0)
		return config_load(cfg, SYSCONFDIR "/sessionwrap.conf", cause);
	return 0;
}

/* getopt_long values of the options that are not keys. */
enum {
	CONFIG_OPT_CONFIG = 'c',
	CONFIG_OPT_HELP = 'h',
	CONFIG_OPT_VERSION = 'V',
	CONFIG_OPT_KEY = 256		/* any key: --key=value, --key value */
};

/* Short options; '+' stops at the first argument, ':' reports a missing one. */
#define CONFIG_SHORTOPTS	"+:c:hV"

/*
 * The long options: --config, --help, --version, the aliases and every key,
 * as spelt in the table and with '-' for '_'. Built once.
 */
static const struct option *
config_longopts(void)
{
	static struct option	*opts;
	static char		(*dashed)[32];
	size_t			 i, n = 0;
	char			*p;

	if (opts != NULL)
		return opts;
	/* Kept for the life of the process, as getopt_long wants them. */
	opts = xcalloc(4 + 2 * NKEYS + 1, sizeof *opts);
	dashed = xcalloc(NKEYS, sizeof *dashed);
	opts[n++] = (struct option){ "config", required_argument, NULL,
	    CONFIG_OPT_CONFIG };
	opts[n++] = (struct option){ "help", no_argument, NULL,
	    CONFIG_OPT_HELP };
	opts[n++] = (struct option){ "version", no_argument, NULL,
	    CONFIG_OPT_VERSION };
	opts[n++] = (struct option){ "control", required_argument, NULL,
	    CONFIG_OPT_KEY };
	for (i = 0; i < NKEYS; i++) {
		opts[n++] = (struct option){ config_keys[i].name,
		    required_argument, NULL, CONFIG_OPT_KEY };
		if (strchr(config_keys[i].name, '_') == NULL)
			continue;
		snprintf(dashed[i], sizeof dashed[i], "%s",
		    config_keys[i].name);
		for (p = dashed[i]; (p = strchr(p, '_')) != NULL; p++)
			*p = '-';
		opts[n++] = (struct option){ dashed[i], required_argument, NULL,
		    CONFIG_OPT_KEY };
	}
	return opts;
}

/*
 * True when the option getopt_long took from argv[at] is the very one
 * written there: getopt_long would take "--idle" for --idle_timeout and
 * "-hV" for -h, which the command line has never accepted.
 */
static int
config_opt_exact(char **argv, int at, int c, int longindex)
{
	const char	*arg = argv[at];
	size_t		 len;

	if (c == CONFIG_OPT_CONFIG || c == CONFIG_OPT_HELP ||
	    c == CONFIG_OPT_VERSION || c == CONFIG_OPT_KEY) {
		if (arg[0] == '-' && arg[1] != '-')
			return c != CONFIG_OPT_KEY && arg[1] == c &&
			    arg[2] == '\0';
		if (longindex < 0)
			return 0;
		len = strcspn(arg + 2, "=");
		return strncmp(arg + 2, config_longopts()[longindex].name,
		    len) == 0 && config_longopts()[longindex].name[len] == '\0';
	}
	return 0;
}

/* Start getopt_long over at argv[1], quiet: the callers say what is wrong. */
static void
config_opt_rewind(void)
{
	optind = 0;
	opterr = 0;
}

/* The next option (getopt_long); *at gets the index it was read from. */
static int
config_opt_next(int argc, char **argv, int *at, int *longindex)
{
	*at = optind == 0 ? 1 : optind;
	*longindex = -1;
	return getopt_long(argc, argv, CONFIG_SHORTOPTS, config_longopts(),
	    longindex);
}

/*
 * True when getopt_long stopped at a lone "-" at argv[at]: an argument to
 * getopt_long, an (unknown) option to the command line as it always was.
 */
static int
config_opt_dash(int argc, char **argv, int at)
{
	return optind == at && at < argc && strcmp(argv[at], "-") == 0;
}

/*
 * The first pass over argv: -c FILE, --help and --version, and the index of
 * the first argument that is not an option (see config.h).
 */
int
config_args(int argc, char **argv, const char **file, int *help,
    int *version, char **cause)
{
	int	 c, at, longindex;

	*help = *version = 0;
	*file = NULL;
	config_opt_rewind();
	for (;;) {
		c = config_opt_next(argc, argv, &at, &longindex);
		if (c == -1 && config_opt_dash(argc, argv, at)) {
			optind = at + 1;
			continue;
		}
		if (c == -1)
			break;
		if (c == ':' && optopt == CONFIG_OPT_CONFIG &&
		    (strcmp(argv[at], "-c") == 0 ||
		    strcmp(argv[at], "--config") == 0)) {
			xasprintf(cause, "%s needs a file", argv[at]);
			return -1;
		}
		if (c != ':' && config_opt_exact(argv, at, c, longindex)) {
			if (c == CONFIG_OPT_HELP) {
				*help = 1;
				return optind;
			}
			if (c == CONFIG_OPT_VERSION) {
				*version = 1;
				return optind;
			}
			if (c == CONFIG_OPT_CONFIG)
				*file = optarg;
			continue;
		}
		/* Anything else is a key: --key value takes the next one. */
		if (argv[at][0] == '-' && argv[at][1] == '-' &&
		    strchr(argv[at], '=') == NULL && optind == at + 1 &&
		    optind < argc)
			optind++;
	}
	return optind;
}

/* Set one key from --key=value or --key value at argv[*at]; -1 and *cause. */
static int
config_arg_key(struct config *cfg, int argc, char **argv, int *next,
    int at, char **cause)
{
	const char	*value;
	char		*copy, *eq, *why;
	int		 rc = 0;

	copy = xstrdup(argv[at] + 2);
	if ((eq = strchr(copy, '=')) != NULL) {
		*eq = '\0';
		value = eq + 1;
	} else if (at + 1 < argc) {
		value = argv[at + 1];
		*next = at + 2;
	} else {
		xasprintf(cause, "--%s needs a value", copy);
		free(copy);
		return -1;
	}
	if (config_set(cfg, config_alias(copy), value, &why) == -1) {
		xasprintf(cause, "command line: %s", why);
		free(why);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* Parse argv; the file is read first so the command line wins. */
int
config_from_args(struct config *cfg, int argc, char **argv, int *help,
    int *version, char **cause)
{
	const char	*file;
	int		 first, c, at, longindex;

	if ((first = config_args(argc, argv, &file, help, version,
	    cause)) == -1 || *help || *version)
		return first;
	if (config_load_file(cfg, file, cause) == -1)
		return -1;

	/* Second pass: --key=value and --key value. */
	config_opt_rewind();
	for (;;) {
		c = config_opt_next(argc, argv, &at, &longindex);
		if (c == -1 && config_opt_dash(argc, argv, at)) {
			xasprintf(cause, "unknown option -");
			return -1;
		}
		if (c == -1)
			break;
		if (c == CONFIG_OPT_CONFIG &&
		    config_opt_exact(argv, at, c, longindex))
			continue;
		if (argv[at][0] != '-' || argv[at][1] != '-') {
			xasprintf(cause, "unknown option %s", argv[at]);
			return -1;
		}
		optind = at + 1;
		if (config_arg_key(cfg, argc, argv, &optind, at, cause) == -1)
			return -1;
	}
	return first;
}

/* The common start of every program; see config.h. */
int
config_main(struct config *cfg, int argc, char **argv, const char *name,
    void (*usage)(FILE *))
{
	char	*cause;
	int	 help, version, first;

	log_init(argv[0], 0);
	config_init(cfg);
	first = config_from_args(cfg, argc, argv, &help, &version, &cause);
	if (first == -1) {
		log_errx("%s", cause);
		free(cause);
		exit(2);
	}
	if (help) {
		usage(stdout);
		exit(0);
	}
	if (version) {
		printf("%s %s\n", name, PACKAGE_VERSION);
		exit(0);
	}
	if (cfg->syslog)
		log_init(argv[0], 1);
	log_set_level(cfg->log_level);
	return first;
}

/* The start of a program run as CGI, without argv; see config.h. */
void
config_main_noargs(struct config *cfg, const char *name)
{
	char	*cause;

	log_init(name, 0);
	config_init(cfg);
	if (config_load_file(cfg, NULL, &cause) == -1) {
		log_errx("%s", cause);
		free(cause);
		exit(2);
	}
	if (cfg->syslog)
		log_init(name, 1);
	log_set_level(cfg->log_level);
}

/* The key list with one-line help, for --help. */
const char *
config_usage_keys(void)
{
	static char	*text;
	struct {
		char	*s;
		size_t	 len;
	} acc = { NULL, 0 };
	FILE		*f;
	size_t		 i;

	if (text != NULL)
		return text;
	if ((f = open_memstream(&acc.s, &acc.len)) == NULL)
		fatal("open_memstream");
	for (i = 0; i < NKEYS; i++)
		fprintf(f, "  --%-22s %s%s%s%s\n", config_keys[i].name,
		    config_keys[i].help, config_keys[i].def ? " [" : "",
		    config_keys[i].def ? config_keys[i].def : "",
		    config_keys[i].def ? "]" : "");
	fclose(f);
	text = acc.s;
	return text;
}
