/* sessionwrap-ctl: keys, configuration checks and session administration. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "crypto.h"
#include "ctl-ws.h"
#include "gate.h"
#include "log.h"
#include "num.h"
#include "session.h"
#include "startup.h"
#include "store.h"
#include "store_admin.h"
#include "wsctl.h"
#include "xmalloc.h"

struct ctl_cmd {
	const char	*name;
	const char	*args;
	const char	*help;
	int		 needs_config;	/* 0: runs without reading any file */
	int		 (*fn)(struct config *, int, char **);
};

static int	ctl_keygen(struct config *, int, char **);
static int	ctl_check_config(struct config *, int, char **);
static int	ctl_get(struct config *, int, char **);
static int	ctl_init_db(struct config *, int, char **);
static int	ctl_gc(struct config *, int, char **);
static int	ctl_show(struct config *, int, char **);
static int	ctl_revoke(struct config *, int, char **);
static int	ctl_stats(struct config *, int, char **);
static int	ctl_close_ws(struct config *, int, char **);
static int	ctl_sessions(struct config *, int, char **);

/* Every command, in the order --help lists them. */
static const struct ctl_cmd ctl_cmds[] = {
	{ "keygen", "", "print a new secret line for secret_file", 0,
	  ctl_keygen },
	{ "check-config", "", "check the configuration, keys and store", 1,
	  ctl_check_config },
	{ "get", "KEY", "print top-level KEY of $SESSION (for shell scripts)",
	  0, ctl_get },
	{ "init-db", "", "create the PostgreSQL table (contrib/schema.sql)", 1,
	  ctl_init_db },
	{ "gc", "", "delete expired sessions", 1, ctl_gc },
	{ "show", "ID", "print a session (cookie value, id or SESSION_ID)", 1,
	  ctl_show },
	{ "sessions", "--user NAME [--json]",
	  "list a user's sessions (id, login, last seen, client)", 1,
	  ctl_sessions },
	{ "revoke", "ID | --user NAME",
	  "delete one session (as sessions lists it) or a user's", 1,
	  ctl_revoke },
	{ "stats", "", "print store statistics", 1, ctl_stats },
	{ "close-ws", "WS_ID [CODE [REASON]]",
	  "close a session's websockets (SESSION_WS_ID)", 1, ctl_close_ws },
	{ "send", "WS_ID TEXT", "push a text message to a session's websockets",
	  1, ctl_ws_send_cmd },
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
		fprintf(f, "  %-13s %-22s %s\n", ctl_cmds[i].name,
		    ctl_cmds[i].args, ctl_cmds[i].help);
}

/* keygen: a new secret line. */
static int
ctl_keygen(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
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
	(void)argc;
	(void)argv;
	struct keyring	*keys = NULL;
	struct store	*store;
	void		*conn;
	char		*cause;

	/* The gate's keys too; script_root is sessionwrap's own check. */
	if (startup_open(cfg, gate_config_check, &keys, &store, &cause) == -1) {
		fprintf(stderr, "sessionwrap-ctl: %s\n", cause);
		free(cause);
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

/* Exit status of get for a value it will not print (a control character). */
#define CTL_GET_UNSAFE	3

/* True when s holds a C0 control character or DEL (CR, LF, tab, ESC...). */
static int
ctl_get_unsafe(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/*
 * get KEY: print a value of $SESSION. Exit 1 when absent, 2 on a usage
 * error or no (valid) $SESSION, CTL_GET_UNSAFE for a string holding a
 * control character: scripts echo values into headers, where a line break
 * would add headers of the client's choosing.
 */
static int
ctl_get(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	json_t		*root, *v;
	json_error_t	 err;
	const char	*s;
	char		*text;

	if (argc != 1) {
		fprintf(stderr, "usage: sessionwrap-ctl get KEY\n");
		return 2;
	}
	if ((s = getenv("SESSION")) == NULL) {
		fprintf(stderr, "sessionwrap-ctl: $SESSION is not set (get "
		    "runs in scripts started by sessionwrap)\n");
		return 2;
	}
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
	if (json_is_string(v)) {
		if (ctl_get_unsafe(json_string_value(v))) {
			fprintf(stderr, "sessionwrap-ctl: get %s: the value "
			    "holds a control character (CR, LF...), not "
			    "printed; read $SESSION as JSON instead\n",
			    argv[0]);
			json_decref(root);
			return CTL_GET_UNSAFE;
		}
		printf("%s\n", json_string_value(v));
	} else {
		/* JSON escapes every control character inside strings. */
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s\n", text ? text : "");
		free(text);
	}
	json_decref(root);
	return 0;
}

/* A server-side store and one connection to it, for the commands below. */
struct ctl_store {
	struct keyring	*keys;
	struct store	*store;
	void		*conn;
};

/* Open the configured store; -1 after printing why. */
static int
ctl_store_open(struct config *cfg, struct ctl_store *cs)
{
	char	*cause;

	memset(cs, 0, sizeof *cs);
	if (startup_keys_store(cfg, &cs->keys, &cs->store, &cause) == -1)
		goto fail;
	if (cs->store->ops->client_side) {
		fprintf(stderr, "sessionwrap-ctl: store %s keeps sessions in "
		    "the browser: nothing to administer here\n",
		    cs->store->ops->name);
		goto close;
	}
	if ((cs->conn = cs->store->ops->conn_new(cs->store, &cause)) == NULL)
		goto fail;
	return 0;

fail:
	fprintf(stderr, "sessionwrap-ctl: %s\n", cause);
	free(cause);
close:
	store_close(cs->store);
	keyring_free(cs->keys);
	cs->store = NULL;
	cs->keys = NULL;
	return -1;
}

/* Close what ctl_store_open opened. */
static void
ctl_store_close(struct ctl_store *cs)
{
	if (cs->conn != NULL)
		cs->store->ops->conn_free(cs->conn);
	store_close(cs->store);
	keyring_free(cs->keys);
}

/* The store's admin operations; none (every member NULL) when it has none. */
static const struct store_admin_ops *
ctl_admin(const struct ctl_store *cs)
{
	static const struct store_admin_ops none;

	return store_admin(cs->store) != NULL ? store_admin(cs->store) : &none;
}

/* Report a store failure; the exit status. */
static int
ctl_store_fail(const char *what, enum store_result res, char *cause)
{
	fprintf(stderr, "sessionwrap-ctl: %s: %s\n", what,
	    cause != NULL ? cause : store_result_str(res));
	free(cause);
	return 1;
}

/* init-db: create the table now (sessionwrap also does on first use). */
static int
ctl_init_db(struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct ctl_store cs;
	enum store_result res;
	char		*cause = NULL;
	int		 rc = 0;

	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	if (ctl_admin(&cs)->init == NULL)
		printf("store %s needs no initialisation\n",
		    cs.store->ops->name);
	else if ((res = ctl_admin(&cs)->init(cs.store, cs.conn, &cause)) !=
	    STORE_OK)
		rc = ctl_store_fail("init-db", res, cause);
	else
		printf("store %s ready\n", cs.store->ops->name);
	ctl_store_close(&cs);
	return rc;
}

/* gc: delete expired sessions. */
static int
ctl_gc(struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct ctl_store cs;
	enum store_result res;
	char		*cause = NULL;
	long		 n = 0;
	int		 rc = 0;

	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	if (ctl_admin(&cs)->gc == NULL)
		printf("store %s expires sessions itself\n",
		    cs.store->ops->name);
	else if ((res = ctl_admin(&cs)->gc(cs.store, cs.conn, time(NULL), &n,
	    &cause)) != STORE_OK)
		rc = ctl_store_fail("gc", res, cause);
	else
		printf("%ld expired session%s deleted\n", n, n == 1 ? "" : "s");
	ctl_store_close(&cs);
	return rc;
}

/* show ID: one session as JSON; exit 1 when there is none. */
static int
ctl_show(struct config *cfg, int argc, char **argv)
{
	struct ctl_store cs;
	struct session	*s = NULL;
	enum store_result res;
	json_t		*o;
	const char	*addr, *ua;
	char		*cause = NULL, *text;
	int		 rc = 0;

	if (argc != 1) {
		fprintf(stderr, "usage: sessionwrap-ctl show ID\n");
		return 2;
	}
	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	if (ctl_admin(&cs)->show == NULL)
		rc = ctl_store_fail("show", STORE_ERROR,
		    xstrdup("not supported by this store"));
	else if ((res = ctl_admin(&cs)->show(cs.store, cs.conn, argv[0], &s,
	    &cause)) == STORE_NOTFOUND) {
		fprintf(stderr, "sessionwrap-ctl: no such live session\n");
		free(cause);
		rc = 1;
	} else if (res != STORE_OK)
		rc = ctl_store_fail("show", res, cause);
	else {
		session_client_get(s, &addr, &ua);
		o = json_pack("{s:s?, s:s?, s:I, s:I, s:I, s:I, s:o, s:s?, "
		    "s:s?}",
		    "user", s->user, "ws_id", s->ws_id,
		    "created", (json_int_t)s->created,
		    "access", (json_int_t)s->access,
		    "expires", (json_int_t)session_expires(s, cfg),
		    "max_age", (json_int_t)s->max_age,
		    "data", session_client_view(s->data),
		    "address", addr, "user_agent", ua);
		text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
		json_decref(o);
		session_free(s);
	}
	ctl_store_close(&cs);
	return rc;
}

/* Print a string for one field of a line: escapes what could break it. */
static void
ctl_put(const char *s)
{
	int	 ok = session_client_valid(s, strlen(s), strlen(s));

	if (*s == '\0') {
		fputs("-", stdout);
		return;
	}
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\' ||
		    (!ok && (unsigned char)*s >= 0x80))
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
}

/* A Unix time as ISO 8601 UTC. */
static void
ctl_put_time(time_t t)
{
	struct tm	 tm;
	char		 buf[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		printf("%lld", (long long)t);
	else
		fputs(buf, stdout);
}

/* The sessions of a user as a JSON array. */
static void
ctl_sessions_json(const struct config *cfg, struct store_user_session *v,
    size_t n)
{
	json_t		*a, *o;
	const char	*addr, *ua;
	char		*text;
	size_t		 i;

	a = session_json_check(json_array());
	for (i = 0; i < n; i++) {
		session_client_get(v[i].s, &addr, &ua);
		o = json_pack("{s:s, s:I, s:I, s:I, s:s?, s:s?}",
		    "id", v[i].id,
		    "created", (json_int_t)v[i].s->created,
		    "last_seen", (json_int_t)v[i].s->access,
		    "expires", (json_int_t)session_expires(v[i].s, cfg),
		    "address", addr, "user_agent", ua);
		json_array_append_new(a, session_json_check(o));
	}
	text = json_dumps(a, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", text != NULL ? text : "[]");
	free(text);
	json_decref(a);
}

/*
 * sessions --user NAME [--json]: one line per live session, oldest login
 * first: id, login and last-seen time, address and user agent at login.
 */
static int
ctl_sessions(struct config *cfg, int argc, char **argv)
{
	struct ctl_store cs;
	struct store_user_session *v = NULL;
	enum store_result res;
	const char	*addr, *ua;
	char		*cause = NULL;
	size_t		 n = 0, i;
	int		 rc = 0, json;

	json = argc == 3 && strcmp(argv[2], "--json") == 0;
	if ((argc != 2 && !json) || strcmp(argv[0], "--user") != 0 ||
	    *argv[1] == '\0') {
		fprintf(stderr, "usage: sessionwrap-ctl sessions --user NAME "
		    "[--json]\n");
		return 2;
	}
	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	if (ctl_admin(&cs)->sessions == NULL)
		rc = ctl_store_fail("sessions", STORE_ERROR,
		    xstrdup("not supported by this store"));
	else if ((res = ctl_admin(&cs)->sessions(cs.store, cs.conn, argv[1],
	    time(NULL), &v, &n, &cause)) != STORE_OK)
		rc = ctl_store_fail("sessions", res, cause);
	else if (json)
		ctl_sessions_json(cfg, v, n);
	else {
		for (i = 0; i < n; i++) {
			session_client_get(v[i].s, &addr, &ua);
			printf("%s\t", v[i].id);
			ctl_put_time(v[i].s->created);
			putchar('\t');
			ctl_put_time(v[i].s->access);
			putchar('\t');
			ctl_put(addr != NULL ? addr : "");
			putchar('\t');
			ctl_put(ua != NULL ? ua : "");
			putchar('\n');
		}
	}
	store_user_free(v, n);
	ctl_store_close(&cs);
	return rc;
}

/* revoke ID: delete one session and close its websockets. */
static int
ctl_revoke_one(struct config *cfg, const char *what)
{
	struct ctl_store cs;
	enum store_result res;
	char		*cause = NULL, *ws_id = NULL;
	long		 closed = 0;
	int		 rc = 0;

	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	if (ctl_admin(&cs)->revoke == NULL)
		rc = ctl_store_fail("revoke", STORE_ERROR,
		    xstrdup("not supported by this store"));
	else if ((res = ctl_admin(&cs)->revoke(cs.store, cs.conn, what,
	    &ws_id, &cause)) == STORE_NOTFOUND) {
		fprintf(stderr, "sessionwrap-ctl: no such live session\n");
		free(cause);
		rc = 1;
	} else if (res != STORE_OK)
		rc = ctl_store_fail("revoke", res, cause);
	else
		printf("1 session deleted\n");
	/* Deleted: its websockets go too, as on logout. */
	if (rc == 0 && (cfg->ws_control != NULL || cfg->ws_bus != NULL) &&
	    ws_id != NULL) {
		if (ctl_ws_close(cfg, ws_id, 0, NULL, &closed, &cause) == -1) {
			fprintf(stderr, "sessionwrap-ctl: revoke: session "
			    "deleted, but its websockets stay open: %s\n",
			    cause);
			free(cause);
			rc = 1;
		} else if (closed < 0)
			printf("CLOSE published on ws_bus\n");
		else
			printf("%ld websocket%s closed\n", closed,
			    closed == 1 ? "" : "s");
		ctl_ws_done();
	} else if (rc == 0 && cfg->ws_control != NULL)
		printf("0 websockets closed\n");
	free(ws_id);
	ctl_store_close(&cs);
	return rc;
}

/* revoke --user NAME: delete every session of a user. */
static int
ctl_revoke(struct config *cfg, int argc, char **argv)
{
	struct ctl_store cs;
	enum store_result res;
	char		*cause = NULL, **ws_ids = NULL;
	long		 n = 0, closed, sockets = 0;
	int		 rc = 0, wsfail = 0;
	size_t		 i;

	if (argc == 1 && *argv[0] != '\0' && *argv[0] != '-')
		return ctl_revoke_one(cfg, argv[0]);
	if (argc != 2 || strcmp(argv[0], "--user") != 0 || *argv[1] == '\0') {
		fprintf(stderr, "usage: sessionwrap-ctl revoke ID | --user "
		    "NAME\n");
		return 2;
	}
	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	if (ctl_admin(&cs)->revoke_user == NULL)
		rc = ctl_store_fail("revoke", STORE_ERROR,
		    xstrdup("not supported by this store"));
	else {
		res = ctl_admin(&cs)->revoke_user(cs.store, cs.conn, argv[1],
		    &n, &ws_ids, &cause);
		/* Deleted even when a later step failed: say how many. */
		if (res == STORE_OK || n > 0)
			printf("%ld session%s deleted\n", n, n == 1 ? "" : "s");
		if (res != STORE_OK)
			rc = ctl_store_fail("revoke", res, cause);
	}
	/* Their websockets go too, as on logout. */
	for (i = 0; (rc == 0 || n > 0) && (cfg->ws_control != NULL ||
	    cfg->ws_bus != NULL) && ws_ids != NULL && ws_ids[i] != NULL;
	    i++) {
		if (ctl_ws_close(cfg, ws_ids[i], 0, NULL, &closed,
		    &cause) == -1) {
			fprintf(stderr, "sessionwrap-ctl: revoke: sessions "
			    "deleted, but their websockets stay open: %s\n",
			    cause);
			free(cause);
			rc = 1;
			wsfail = 1;
			break;
		}
		sockets += closed;
	}
	/* On ws_bus every host counts its own: -1 each. */
	if (!wsfail && (rc == 0 || n > 0) && sockets < 0)
		printf("CLOSE published on ws_bus\n");
	else if (!wsfail && (rc == 0 || n > 0) && cfg->ws_control != NULL)
		printf("%ld websocket%s closed\n", sockets,
		    sockets == 1 ? "" : "s");
	ctl_ws_done();
	for (i = 0; ws_ids != NULL && ws_ids[i] != NULL; i++)
		free(ws_ids[i]);
	free(ws_ids);
	ctl_store_close(&cs);
	return rc;
}

/* stats: what the store says about itself. */
static int
ctl_stats(struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct ctl_store cs;
	enum store_result res = STORE_OK;
	char		*cause = NULL, *out = NULL;
	int		 rc = 0;

	if (ctl_store_open(cfg, &cs) == -1)
		return 1;
	printf("store %s\n", cs.store->ops->name);
	if (ctl_admin(&cs)->stats != NULL)
		res = ctl_admin(&cs)->stats(cs.store, cs.conn, time(NULL), &out,
		    &cause);
	if (out != NULL)
		fputs(out, stdout);
	if (res != STORE_OK)
		rc = ctl_store_fail("stats", res, cause);
	free(out);
	ctl_store_close(&cs);
	return rc;
}

/* close-ws WS_ID [CODE [REASON]]: what a logout does, by hand. */
static int
ctl_close_ws(struct config *cfg, int argc, char **argv)
{
	char		*cause;
	long long	 code = 0;
	long		 n;

	if (argc < 1 || argc > 3) {
		fprintf(stderr, "usage: sessionwrap-ctl close-ws WS_ID "
		    "[CODE [REASON]]\n");
		return 2;
	}
	if (cfg->ws_control == NULL && cfg->ws_bus == NULL) {
		fprintf(stderr, "sessionwrap-ctl: neither ws_bus nor "
		    "ws_control is set\n");
		return 1;
	}
	if (!wsctl_valid_id(argv[0])) {
		fprintf(stderr, "sessionwrap-ctl: invalid ws_id\n");
		return 2;
	}
	if (argc >= 2) {
		if (num_parse(argv[1], 10, 0, 4999, &code, NULL) == -1 ||
		    !wsctl_valid_code((long)code)) {
			fprintf(stderr, "sessionwrap-ctl: bad close code %s "
			    "(1000 or 3000-4999)\n", argv[1]);
			return 2;
		}
	}
	if (ctl_ws_close(cfg, argv[0], (int)code, argc == 3 ? argv[2] : NULL,
	    &n, &cause) == -1) {
		fprintf(stderr, "sessionwrap-ctl: close-ws: %s\n", cause);
		free(cause);
		ctl_ws_done();
		return 1;
	}
	ctl_ws_done();
	if (n < 0)
		printf("CLOSE published on ws_bus\n");
	else
		printf("closed %ld websocket%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/*
 * The command of a command line, after the options config_from_args reads
 * (config_args); NULL for --help, --version, a bad -c or none.
 */
static const struct ctl_cmd *
ctl_find(int argc, char **argv, int *first)
{
	const char	*file;
	char		*cause;
	size_t		 i;
	int		 n, help, version;

	if ((n = config_args(argc, argv, &file, &help, &version,
	    &cause)) == -1) {
		free(cause);
		return NULL;
	}
	if (help || version || n >= argc)
		return NULL;
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(argv[n], ctl_cmds[i].name) == 0) {
			*first = n;
			return &ctl_cmds[i];
		}
	}
	return NULL;
}

/* Entry point. */
int
main(int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	struct config	 cfg;
	int		 first, rc;
	size_t		 i;

	/*
	 * keygen and get need no configuration: get runs inside scripts,
	 * which may not read the site's file (and must not fail for it).
	 */
	if ((cmd = ctl_find(argc, argv, &first)) != NULL &&
	    !cmd->needs_config) {
		log_init(argv[0], 0);
		config_init(&cfg);
		rc = cmd->fn(&cfg, argc - first - 1, argv + first + 1);
		config_free(&cfg);
		return rc;
	}
	first = config_main(&cfg, argc, argv, "sessionwrap-ctl", usage);
	if (first >= argc) {
		usage(stderr);
		config_free(&cfg);
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
		config_free(&cfg);
		return 2;
	}
	rc = ctl_cmds[i].fn(&cfg, argc - first - 1, argv + first + 1);
	config_free(&cfg);
	return rc;
}
