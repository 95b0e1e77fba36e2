/*
 * The site configuration file: config_load (which takes only a path) on a
 * memfd holding the input, then config_check. A file that passes
 * config_check must never make cookie_build fatal (it is fatal on CR, LF or
 * ';' in the cookie name, path or domain).
 */
#include "autoconf.h"

#include <sys/mman.h>

#include <unistd.h>

#include "config.h"
#include "cookie.h"
#include "fuzz.h"

static int	 fuzz_fd = -1;
static char	 fuzz_path[64];

/* One memfd reused by every input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((fuzz_fd = memfd_create("fuzz_config", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		exit(2);
	}
	snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
	return 0;
}

/* Replace the memfd's contents with the input. */
static void
fuzz_fill(const uint8_t *data, size_t size)
{
	size_t	 off = 0;
	ssize_t	 n;

	if (ftruncate(fuzz_fd, 0) == -1) {
		perror("ftruncate");
		exit(2);
	}
	while (off < size) {
		if ((n = pwrite(fuzz_fd, data + off, size - off, off)) <= 0) {
			perror("pwrite");
			exit(2);
		}
		off += n;
	}
}

/* One configuration file per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config		 cfg;
	struct cookie_attrs	 a;
	char			*cause = NULL, *set;

	fuzz_fill(data, size);
	config_init(&cfg);
	if (config_load(&cfg, fuzz_path, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		/* "file:line: reason" */
		FUZZ_ASSERT(strncmp(cause, fuzz_path, strlen(fuzz_path)) == 0);
		free(cause);
		config_free(&cfg);
		return 0;
	}
	FUZZ_ASSERT(cfg.path != NULL && strcmp(cfg.path, fuzz_path) == 0);
	if (config_check(&cfg, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		config_free(&cfg);
		return 0;
	}

	/* The session cookie as the request path would build it. */
	memset(&a, 0, sizeof a);
	a.name = cfg.cookie_name;
	a.path = cfg.cookie_path != NULL ? cfg.cookie_path : "/";
	a.domain = cfg.cookie_domain;
	a.secure = cfg.cookie_secure == 1;
	a.httponly = 1;
	a.samesite = cfg.cookie_samesite;
	a.max_age = cfg.idle_timeout;
	a.now = FUZZ_NOW;
	set = cookie_build(&a, "v");
	free(set);
	config_free(&cfg);
	return 0;
}
