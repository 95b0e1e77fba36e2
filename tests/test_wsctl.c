/* Unit tests of the control socket client: validators, replies, time. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "wsctl.h"
#include "test.h"

/* A one-shot fake helper: reads a line, answers `reply` (NULL: never). */
static pid_t
fake_helper(const char *path, const char *reply)
{
	struct sockaddr_un	 sun;
	char			 line[256];
	pid_t			 pid;
	ssize_t			 n;
	int			 s, c;

	unlink(path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(s, 4) == -1) {
		perror("fake helper");
		exit(99);
	}
	if ((pid = fork()) == -1)
		exit(99);
	if (pid != 0) {
		close(s);
		return pid;
	}
	alarm(10);
	if ((c = accept(s, NULL, NULL)) == -1)
		_exit(1);
	n = read(c, line, sizeof line - 1);
	if (n > 0 && reply != NULL) {
		line[n] = '\0';
		/* Echo the command back in the reply to check what was sent. */
		if (strcmp(reply, "echo") == 0) {
			if (write(c, "OK ", 3) != 3 || write(c, line, n) != n)
				_exit(1);
		} else if (write(c, reply, strlen(reply)) == -1)
			_exit(1);
	}
	if (reply == NULL)
		sleep(5);
	_exit(0);
}

/* Reap a fake helper. */
static void
fake_done(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/*
 * A helper that accepts but never reads: a command larger than the socket
 * buffers fails within its timeout instead of spinning on a full buffer.
 * Run in a child, so that a spin is a failed check, not a hung test.
 */
static void
test_send_stalled(const char *sock)
{
	struct timespec	 t0, t1;
	char		*line, *cause = NULL;
	size_t		 len = 8 << 20;
	pid_t		 pid, child;
	long		 ms;
	int		 status, i;

	pid = fake_helper(sock, NULL);
	if ((child = fork()) == -1)
		exit(99);
	if (child == 0) {
		alarm(5);
		line = malloc(len + 1);
		if (line == NULL)
			_exit(99);
		memset(line, 'x', len);
		line[len] = '\0';
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (wsctl_command(sock, line, NULL, 300, &cause) != -1)
			_exit(2);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		_exit(ms >= 250 && ms < 2000 && cause != NULL &&
		    strstr(cause, "send") != NULL ? 0 : 3);
	}
	/* At most 6 s: the child's alarm ends a spinning call. */
	for (i = 0; i < 600; i++) {
		if (waitpid(child, &status, WNOHANG) == child)
			break;
		usleep(10000);
	}
	if (i == 600) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "stalled send: child %s %d\n",
		    WIFEXITED(status) ? "exited" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fake_done(pid);
}

/* Replies, errors and the time bound, against fake helpers. */
static void
test_command(void)
{
	static const struct {
		const char	*reply;
		long		 n;
	} counts[] = {
		{ "OK 7\n", 7 },
		{ "OK 0\r\n", 0 },
		{ "OK 4294967295\n", 4294967295L },
		{ "OK 4294967296\n", 0 },
		{ "OK 99999999999999999999\n", 0 },
		{ "OK -1\n", 0 },
		{ "OK +3\n", 0 },
		{ "OK  3\n", 0 },
		{ "OK pong\n", 0 },
		{ "OK\n", 0 },
	};
	char		 path[] = "/tmp/test_wsctl.XXXXXX", sock[64];
	char		*reply, *cause;
	struct timespec	 t0, t1;
	long		 n, ms;
	size_t		 i;
	pid_t		 pid;

	if (mkdtemp(path) == NULL)
		exit(99);
	snprintf(sock, sizeof sock, "%s/ctl", path);

	pid = fake_helper(sock, "OK 2\n");
	CHECK(wsctl_command(sock, "CLOSE abc", &reply, 2000, &cause) == 0);
	CHECK_STR(reply, "2");
	free(reply);
	fake_done(pid);

	pid = fake_helper(sock, "echo");
	CHECK(wsctl_close(sock, "abc", 4001, "bye now", &n, 2000, &cause) == 0);
	fake_done(pid);

	/* The count is what "OK %u" can say: 0 for anything else. */
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		pid = fake_helper(sock, counts[i].reply);
		n = -42;
		CHECK(wsctl_close(sock, "abc", 0, NULL, &n, 2000, &cause) == 0);
		if (n != counts[i].n)
			fprintf(stderr, "reply %s: n %ld\n", counts[i].reply, n);
		CHECK(n == counts[i].n);
		fake_done(pid);
	}

	pid = fake_helper(sock, "echo");
	CHECK(wsctl_command(sock, "CLOSE abc 4001 bye now", &reply, 2000,
	    &cause) == 0);
	CHECK_STR(reply, "CLOSE abc 4001 bye now");
	free(reply);
	fake_done(pid);

	pid = fake_helper(sock, "ERR unknown command\n");
	CHECK(wsctl_command(sock, "FROB", &reply, 2000, &cause) == -1);
	CHECK(reply == NULL);
	CHECK_STR(cause, "sessionwrap-ws: unknown command");
	free(cause);
	fake_done(pid);

	pid = fake_helper(sock, "OK\r\n");
	CHECK(wsctl_command(sock, "PING", &reply, 2000, &cause) == 0);
	CHECK_STR(reply, "");
	free(reply);
	fake_done(pid);

	pid = fake_helper(sock, "HELLO\n");
	CHECK(wsctl_command(sock, "PING", NULL, 2000, &cause) == -1);
	free(cause);
	fake_done(pid);

	pid = fake_helper(sock, "");
	CHECK(wsctl_command(sock, "PING", NULL, 2000, &cause) == -1);
	free(cause);
	fake_done(pid);

	/* A helper that never answers costs at most the timeout. */
	pid = fake_helper(sock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(wsctl_command(sock, "PING", NULL, 200, &cause) == -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 150 && ms < 1000);
	free(cause);
	fake_done(pid);

	test_send_stalled(sock);

	/* Nobody listening: fails at once. */
	unlink(sock);
	CHECK(wsctl_command(sock, "PING", NULL, 500, &cause) == -1);
	free(cause);
	CHECK(wsctl_command(NULL, "PING", NULL, 500, &cause) == -1);
	free(cause);
	CHECK(wsctl_command(sock, "PING\nCLOSE x", NULL, 500, &cause) == -1);
	free(cause);
	CHECK(wsctl_close(sock, "a/b", 0, NULL, NULL, 500, &cause) == -1);
	free(cause);
	CHECK(wsctl_close(sock, "ab", 1006, NULL, NULL, 500, &cause) == -1);
	free(cause);
	CHECK(wsctl_close(sock, "ab", 4001, "a\nb", NULL, 500, &cause) == -1);
	free(cause);
	rmdir(path);
}

/* The validators. */
static void
test_valid(void)
{
	char	 longid[WSCTL_MAX_ID + 2];

	CHECK(wsctl_valid_id("abcXYZ019-_"));
	CHECK(!wsctl_valid_id(""));
	CHECK(!wsctl_valid_id("a b"));
	CHECK(!wsctl_valid_id("a+b"));
	CHECK(!wsctl_valid_id("a="));
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	CHECK(!wsctl_valid_id(longid));
	longid[WSCTL_MAX_ID] = '\0';
	CHECK(wsctl_valid_id(longid));

	CHECK(wsctl_valid_code(1000));
	CHECK(wsctl_valid_code(4001));
	CHECK(wsctl_valid_code(3000));
	CHECK(wsctl_valid_code(4999));
	CHECK(!wsctl_valid_code(1001));
	CHECK(!wsctl_valid_code(1005));
	CHECK(!wsctl_valid_code(2999));
	CHECK(!wsctl_valid_code(5000));
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_valid();
	test_command();
	return test_done("wsctl");
}
