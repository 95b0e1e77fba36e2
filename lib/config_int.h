/* What config.c and config_keys.c share: the table of keys. */
#ifndef SW_CONFIG_INT_H
#define SW_CONFIG_INT_H

#include <stddef.h>

enum config_type {
	CONFIG_STRING,
	CONFIG_NUMBER,		/* long within [min, max] */
	CONFIG_BOOL,		/* int: on/off, yes/no, true/false, 1/0 */
	CONFIG_SECURE,		/* int: auto (-1), on, off */
	CONFIG_SAMESITE,
	CONFIG_LOCK,
	CONFIG_LOGLEVEL,
	CONFIG_INT,		/* int within [min, max] */
	CONFIG_MODE,		/* long: octal file mode */
	CONFIG_FORMAT		/* enum session_format: sessionwrap, aiohttp */
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	size_t			 offset;
	long			 min;
	long			 max;
	const char		*def;	/* default as text; NULL for none */
	const char		*help;
};

/* config_keys.c: every key a site file or the command line may set. */
extern const struct config_key	config_keys[];
extern const size_t		config_nkeys;

#endif
