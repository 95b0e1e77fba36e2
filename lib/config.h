/* Site configuration shared by sessionwrap, sessionwrap-ws and sessionwrap-ctl. */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdio.h>

enum lock_mode {
	LOCK_MERGE = 0,		/* re-apply the patch on the latest copy (CAS) */
	LOCK_EXCLUSIVE,		/* per-session lock from load to save */
	LOCK_NONE		/* last write wins */
};

enum samesite {
	SAMESITE_LAX = 0,
	SAMESITE_STRICT,
	SAMESITE_NONE
};

/* Sharing sessions with Python apps: whose layout a cookie or item has. */
enum session_format {
	FORMAT_SESSIONWRAP = 0,	/* sessionwrap's own (default) */
	FORMAT_AIOHTTP		/* aiohttp-session's (session_aiohttp.c) */
};

struct config {
	char	*listen;		/* unix:PATH or HOST:PORT; NULL: fd 0 or CGI */
	long	 listen_mode;		/* permissions of a unix:PATH socket */
	char	*store;			/* "cookie", "postgresql://...", "memcached://..." */
	char	*cache;			/* memcached in front of PostgreSQL */
	char	*secret_file;
	char	*cookie_name;
	char	*cookie_path;
	char	*cookie_domain;
	int	 cookie_secure;		/* -1 auto (HTTPS=on), 0 off, 1 on */
	enum samesite cookie_samesite;
	long	 idle_timeout;
	long	 absolute_timeout;
	long	 touch_interval;
	enum lock_mode lock;
	long	 lock_timeout;
	long	 regenerate_grace;	/* seconds the old id stays readable */
	char	*script_root;
	char	*handler;
	char	*pass_env;		/* more variables for scripts (cgi_env_allowed) */
	long	 handler_timeout;
	long	 max_header_size;	/* script response headers */
	long	 max_session_size;	/* serialized session data */
	int	 threads;
	int	 allow_root;		/* run scripts while root */
	char	*user;			/* drop root to this user after start-up */
	char	*group;			/* and this group (default: the user's) */
	int	 mod_session_compat;
	char	*session_header;
	char	*ws_control;
	char	*ws_origins;
	char	*ws_handler;
	int	 ws_require_login;
	int	 ws_close_code;
	long	 ws_max_message;
	long	 ws_max_connections;
	long	 ws_max_per_session;
	long	 ws_max_per_ip;
	long	 ws_recheck_interval;
	long	 ws_handshake_timeout;
	long	 ws_ping_interval;
	long	 ws_idle_timeout;
	/* The gate in front of apps that know nothing of sessions. */
	char	*login_required;	/* protected URL path prefixes */
	char	*login_url;		/* where anonymous visitors are sent */
	int	 remote_user;		/* REMOTE_USER for logged-in requests */
	int	 csrf;			/* refuse cross-origin unsafe methods */
	char	*csrf_trusted_origins;	/* origins allowed anyway */
	/* sessionwrap-login (sessionwrap itself does not read them) */
	char	*login_htpasswd;	/* Apache htpasswd file */
	char	*login_template;	/* HTML page instead of the built-in one */
	char	*login_throttle_file;	/* failed-login counters of this host */
	/* Per-user session control. */
	long	 max_sessions_per_user;	/* 0: no limit */
	/* Sharing sessions with Python apps (session_aiohttp.c). */
	enum session_format cookie_format; /* store = cookie: sealed how */
	char	*fernet_key_file;	/* cookie_format = aiohttp: Fernet keys */
	char	*user_key;		/* session data key that names the user */
	enum session_format store_format; /* memcached items: laid out how */
	/* FastCGI upstream. */
	char	*upstream;		/* unix:PATH or HOST:PORT; NULL: scripts */
	int	 upstream_connections;	/* kept open per process */
	/* ws_bus: CLOSE and SEND across hosts (lib/wsbus.c) */
	char	*ws_bus;
	char	*ws_bus_channel;
	int	 log_level;
	int	 syslog;

	char	*path;			/* file it was read from, if any */
};

void	 config_init(struct config *);
void	 config_free(struct config *);
/* Set one key from a string; -1 and *cause on an unknown key or bad value. */
int	 config_set(struct config *, const char *, const char *, char **);
/* Read a key = value file; -1 and *cause ("file:line: reason"). */
int	 config_load(struct config *, const char *, char **);
/*
 * Parse argv: -c FILE, --KEY=VALUE, --KEY VALUE, -h/--help, -V/--version.
 * Reads the file (from -c, $SESSIONWRAP_CONF or the default when it exists)
 * first, then applies command-line keys so they win. Returns the index of the
 * first non-option argument, or -1 with *cause. *help / *version are set when
 * asked for.
 */
int	 config_from_args(struct config *, int, char **, int *, int *, char **);
/*
 * The first pass of config_from_args, reading no file: *file gets the -c
 * FILE (or NULL), *help / *version are set when asked for. Returns the index
 * of the first non-option argument, or -1 and *cause for -c without a file.
 */
int	 config_args(int, char **, const char **, int *, int *, char **);
/*
 * The start of every program: logging to stderr, defaults, the file and the
 * command line, --help (usage to stdout) and --version, then log level and
 * syslog from the configuration. Exits on help, version (0) and errors (2).
 * Returns the index of the first non-option argument.
 */
int	 config_main(struct config *, int, char **, const char *,
	     void (*)(FILE *));
/*
 * The same start without the command line, for a program run as CGI, whose
 * argv the client controls: configuration only from $SESSIONWRAP_CONF or
 * the default file. `name` is the log prefix.
 */
void	 config_main_noargs(struct config *, const char *);
/* Check values that depend on each other; -1 and *cause. */
int	 config_check(const struct config *, char **);
const char *config_usage_keys(void);

#endif
