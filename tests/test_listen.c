/* Unit tests for lib/listen.c: the stale-socket check and listen specs. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "../tests/test.h"

static char	 test_dir[] = "/tmp/test_listen.XXXXXX";

/* A path in the test directory (static buffer). */
static const char *
test_path(const char *name)
{
	static char	 buf[256];

	snprintf(buf, sizeof buf, "%s/%s", test_dir, name);
	return buf;
}

/* Listen on unix:PATH; the socket or -1 with *cause. */
static int
test_unix(const char *path, char **cause)
{
	char	 spec[300];

	snprintf(spec, sizeof spec, "unix:%s", path);
	*cause = NULL;
	return listen_open(spec, 0660, NULL, 8, 0, cause);
}

/* Nothing there; a stale socket is replaced; the mode is the one asked. */
static void
test_listen_stale(void)
{
	struct stat	 sb;
	char		*cause;
	int		 fd, fd2;

	fd = test_unix(test_path("s"), &cause);
	CHECK(fd != -1);
	CHECK(stat(test_path("s"), &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0660);
	/* Closed: the socket file stays, nobody accepts on it. */
	close(fd);
	CHECK(lstat(test_path("s"), &sb) == 0 && S_ISSOCK(sb.st_mode));
	fd2 = test_unix(test_path("s"), &cause);
	CHECK(fd2 != -1);
	CHECK(cause == NULL);
	close(fd2);
	unlink(test_path("s"));
}

/* A live socket (connect succeeds) is refused and left in place. */
static void
test_listen_live(void)
{
	struct stat	 sb;
	char		*cause;
	int		 fd, fd2;

	fd = test_unix(test_path("live"), &cause);
	CHECK(fd != -1);
	fd2 = test_unix(test_path("live"), &cause);
	CHECK(fd2 == -1);
	CHECK(cause != NULL && strstr(cause, "already in use") != NULL);
	free(cause);
	CHECK(lstat(test_path("live"), &sb) == 0 && S_ISSOCK(sb.st_mode));
	close(fd);
	unlink(test_path("live"));
}

/* A regular file, a directory or a symlink is refused and never removed. */
static void
test_listen_notsock(void)
{
	static const char *const names[] = { "file", "dir", "link" };
	struct stat	 sb;
	char		*cause;
	size_t		 i;
	int		 fd;

	fd = open(test_path("file"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd != -1);
	CHECK(write(fd, "keep", 4) == 4);
	close(fd);
	CHECK(mkdir(test_path("dir"), 0700) == 0);
	CHECK(symlink("file", test_path("link")) == 0);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		fd = test_unix(test_path(names[i]), &cause);
		CHECK(fd == -1);
		CHECK(cause != NULL &&
		    strstr(cause, "exists and is not a socket") != NULL);
		free(cause);
		CHECK(lstat(test_path(names[i]), &sb) == 0 &&
		    !S_ISSOCK(sb.st_mode));
	}
	CHECK(stat(test_path("file"), &sb) == 0 && sb.st_size == 4);
	unlink(test_path("link"));
	rmdir(test_path("dir"));
	unlink(test_path("file"));
}

/* A TCP port of the loopback that nobody listens on at this moment. */
static int
test_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd, port = 0;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* Malformed specs are refused with a cause; good TCP specs listen. */
static void
test_listen_specs(void)
{
	static const struct {
		const char	*spec;
		const char	*cause;		/* NULL: listens */
	} cases[] = {
		{ "", "expected unix:PATH or HOST:PORT" },
		{ "localhost", "expected unix:PATH or HOST:PORT" },
		{ "127.0.0.1:", "bad port" },
		{ "127.0.0.1:0", "bad port" },
		{ "127.0.0.1:65536", "bad port" },
		{ "127.0.0.1:123456", "bad port" },
		{ "127.0.0.1:http", "bad port" },
		{ "127.0.0.1:-1", "bad port" },
		{ "127.0.0.1:8 0", "bad port" },
		{ "unix:", "path empty or too long" },
		{ "unix:/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "path empty or too long" },
		/* Good specs: a port free at this moment is appended. */
		{ "127.0.0.1:", NULL },
		{ "[::1]:", NULL },
		{ ":", NULL },
	};
	char	 spec[256];
	char	*cause;
	size_t	 i;
	int	 fd;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		if (cases[i].cause == NULL)
			snprintf(spec, sizeof spec, "%s%d", cases[i].spec,
			    test_free_port());
		else
			snprintf(spec, sizeof spec, "%s", cases[i].spec);
		fd = listen_open(spec, 0660, NULL, 8, LISTEN_NONBLOCK, &cause);
		if (cases[i].cause == NULL) {
			/* [::1] needs IPv6 on the host. */
			if (fd == -1 && cases[i].spec[0] == '[')
				fprintf(stderr, "skip %s: %s\n",
				    cases[i].spec, cause);
			else if (fd == -1)
				fprintf(stderr, "%s: %s\n", cases[i].spec,
				    cause);
			CHECK(fd != -1 || cases[i].spec[0] == '[');
			CHECK(fd == -1 ||
			    (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
			if (fd != -1)
				close(fd);
		} else {
			CHECK(fd == -1);
			CHECK_STR(cause, cases[i].cause);
		}
		free(cause);
	}
}

int
main(void)
{
	if (mkdtemp(test_dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_listen_stale();
	test_listen_live();
	test_listen_notsock();
	test_listen_specs();
	rmdir(test_dir);
	return test_done("listen");
}
