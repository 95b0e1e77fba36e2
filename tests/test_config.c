/* Unit tests for lib/config.c: defaults, values, files and the command line. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

/* key, value, expect success */
static const struct {
	const char	*key;
	const char	*value;
	int		 ok;
} set_cases[] = {
	{ "store", "cookie", 1 },
	{ "idle_timeout", "60", 1 },
	{ "idle_timeout", "-1", 0 },
	{ "idle_timeout", "12x", 0 },
	{ "idle_timeout", "", 0 },
	{ "idle_timeout", " 5", 0 },
	{ "idle_timeout", "99999999999999999999", 0 },
	{ "idle-timeout", "60", 1 },
	{ "cookie_secure", "auto", 1 },
	{ "cookie_secure", "on", 1 },
	{ "cookie_secure", "maybe", 0 },
	{ "cookie_samesite", "strict", 1 },
	{ "cookie_samesite", "Lax", 1 },
	{ "cookie_samesite", "sometimes", 0 },
	{ "lock", "exclusive", 1 },
	{ "lock", "optimistic", 0 },
	{ "threads", "8", 1 },
	{ "threads", "100000", 0 },
	{ "mod_session_compat", "yes", 1 },
	{ "mod_session_compat", "2", 0 },
	{ "log_level", "debug", 1 },
	{ "log_level", "chatty", 0 },
	{ "no_such_key", "1", 0 },
	{ "ws_close_code", "4001", 1 },
	{ "ws_close_code", "999", 0 },
};

/* Write a temporary config file; returns its path (static buffer). */
static const char *
write_file(const char *text)
{
	static char	 path[64];
	int		 fd;

	strcpy(path, "/tmp/sw-test-config-XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

int
main(void)
{
	struct config	 cfg;
	char		*cause = NULL;
	const char	*path;
	size_t		 i;
	int		 help, version, first;

	unsetenv("SESSIONWRAP_CONF");
	config_init(&cfg);
	CHECK_STR(cfg.store, "cookie");
	CHECK_STR(cfg.cookie_name, "sessionwrap");
	CHECK_STR(cfg.cookie_path, "/");
	CHECK(cfg.cookie_domain == NULL);
	CHECK(cfg.cookie_secure == -1);
	CHECK(cfg.cookie_samesite == SAMESITE_LAX);
	CHECK(cfg.idle_timeout == 1800);
	CHECK(cfg.absolute_timeout == 86400);
	CHECK(cfg.touch_interval == 60);
	CHECK(cfg.lock == LOCK_MERGE);
	CHECK(cfg.lock_timeout == 10);
	CHECK(cfg.handler_timeout == 60);
	CHECK(cfg.mod_session_compat == 0);
	CHECK_STR(cfg.session_header, "X-Replace-Session");
	CHECK(cfg.ws_close_code == 4001);
	CHECK(config_check(&cfg, &cause) == 0);

	for (i = 0; i < sizeof set_cases / sizeof set_cases[0]; i++) {
		int	 rc;

		rc = config_set(&cfg, set_cases[i].key, set_cases[i].value,
		    &cause);
		if ((rc == 0) != set_cases[i].ok)
			fprintf(stderr, "case %zu: %s = %s\n", i,
			    set_cases[i].key, set_cases[i].value);
		CHECK((rc == 0) == set_cases[i].ok);
		if (rc == -1) {
			CHECK(cause != NULL);
			free(cause);
			cause = NULL;
		}
	}
	CHECK(cfg.idle_timeout == 60);
	CHECK(cfg.cookie_samesite == SAMESITE_LAX);
	CHECK(cfg.lock == LOCK_EXCLUSIVE);
	config_free(&cfg);

	/* A file: comments, spaces, quotes; then the command line wins. */
	path = write_file("# site\n\n  store = cookie  \n"
	    "cookie_name = app_session\n"
	    "script_root = \"/srv/cgi bin\"\n"
	    "idle_timeout=300\n");
	CHECK(path != NULL);
	config_init(&cfg);
	{
		char	*argv[] = { "prog", "-c", (char *)path,
			    "--idle-timeout=42", "--lock", "none", "cmd",
			    "arg", NULL };

		first = config_from_args(&cfg, 8, argv, &help, &version,
		    &cause);
		CHECK(first == 6);
		CHECK(help == 0 && version == 0);
		CHECK_STR(cfg.cookie_name, "app_session");
		CHECK_STR(cfg.script_root, "/srv/cgi bin");
		CHECK(cfg.idle_timeout == 42);
		CHECK(cfg.lock == LOCK_NONE);
	}
	config_free(&cfg);
	unlink(path);

	/* Errors name the file and line. */
	path = write_file("store = cookie\nbogus = 1\n");
	config_init(&cfg);
	CHECK(config_load(&cfg, path, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, ":2:") != NULL &&
	    strstr(cause, "bogus") != NULL);
	free(cause);
	cause = NULL;
	config_free(&cfg);
	unlink(path);

	path = write_file("no equals sign here\n");
	config_init(&cfg);
	CHECK(config_load(&cfg, path, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, ":1:") != NULL);
	free(cause);
	cause = NULL;
	config_free(&cfg);
	unlink(path);

	config_init(&cfg);
	CHECK(config_load(&cfg, "/nonexistent/sw.conf", &cause) == -1);
	free(cause);
	cause = NULL;
	{
		char	*argv[] = { "prog", "--threads", NULL };

		CHECK(config_from_args(&cfg, 2, argv, &help, &version,
		    &cause) == -1);
		free(cause);
		cause = NULL;
	}
	{
		char	*argv[] = { "prog", "--help", NULL };

		config_from_args(&cfg, 2, argv, &help, &version, &cause);
		CHECK(help == 1);
	}
	/* Cross-key checks. */
	config_set(&cfg, "cookie_name", "bad;name", &cause);
	CHECK(config_check(&cfg, &cause) == -1);
	free(cause);
	cause = NULL;
	config_set(&cfg, "cookie_name", "ok", &cause);
	config_set(&cfg, "script_root", "relative/dir", &cause);
	CHECK(config_check(&cfg, &cause) == -1);
	free(cause);
	cause = NULL;
	config_set(&cfg, "script_root", "/srv", &cause);
	config_set(&cfg, "session_header", "X-Session-Foo", &cause);
	CHECK(config_check(&cfg, &cause) == -1);
	free(cause);
	cause = NULL;
	config_set(&cfg, "session_header", "X-Replace-Session", &cause);
	config_set(&cfg, "cache", "memcached://127.0.0.1:1", &cause);
	CHECK(config_check(&cfg, &cause) == -1);
	free(cause);
	cause = NULL;
	config_set(&cfg, "cache", "", &cause);
	/* pass_env: named variables pass; hooks are refused with the reason. */
	CHECK(config_set(&cfg, "pass_env", "GIT_PROJECT_ROOT GIT_*", &cause) == 0);
	CHECK(config_check(&cfg, &cause) == 0);
	CHECK_STR(cfg.pass_env, "GIT_PROJECT_ROOT GIT_*");
	CHECK(config_set(&cfg, "pass_env", "GIT_DIR LD_PRELOAD", &cause) == 0);
	CHECK(config_check(&cfg, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "LD_PRELOAD") != NULL &&
	    strstr(cause, "never passed") != NULL);
	free(cause);
	cause = NULL;
	config_set(&cfg, "pass_env", "", &cause);
	CHECK(cfg.pass_env == NULL);
	CHECK(config_check(&cfg, &cause) == 0);
	config_free(&cfg);
	return test_done("test_config");
}
