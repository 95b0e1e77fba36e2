/* The child pump: a CGI script in its own process group, fed and read through pipes. */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pump.h"
#include "request.h"
#include "spawn.h"
#include "xmalloc.h"

#define PUMP_CHILD_EXIT_GRACE	100	/* ms to wait for exit after the output ends */

/* One running script. */
struct pump_child {
	struct child		 c;
	const struct rio	*io;		/* its stderr goes to io->error */
	const char		*name;		/* for log lines */
	int			 detach;	/* plain CGI: leave it to init */
};

/* Spawn the script with pipes to its three fds; see pump.h. */
static void *
pump_child_start(const struct pump_start *ps, char **cause)
{
	struct pump_child	*pc;
	int			 saved;

	pc = xcalloc(1, sizeof *pc);
	if (spawn_child(ps->path, ps->argv, ps->envp, ps->dir, ps->no_input ?
	    SPAWN_NO_INPUT : 0, &pc->c, cause) == -1) {
		saved = errno;
		free(pc);
		errno = saved;
		return NULL;
	}
	pc->io = ps->io;
	pc->name = ps->name;
	pc->detach = ps->detach;
	return pc;
}

/* Poll stdout, stderr and, while open, stdin; see pump.h. */
static int
pump_child_wait(void *arg, int ms)
{
	struct pump_child	*pc = arg;
	struct pollfd		 pfd[3];
	int			 nfd = 0, n, ready = 0, i;

	pfd[nfd].fd = pc->c.out;
	pfd[nfd++].events = POLLIN;
	if (pc->c.err != -1) {
		pfd[nfd].fd = pc->c.err;
		pfd[nfd++].events = POLLIN;
	}
	if (pc->c.in != -1) {
		pfd[nfd].fd = pc->c.in;
		pfd[nfd++].events = POLLOUT;
	}
	if ((n = poll(pfd, nfd, ms)) <= 0)
		return n;
	for (i = 0; i < nfd; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == pc->c.out)
			ready |= PUMP_OUTPUT;
		else if (pfd[i].fd == pc->c.err)
			ready |= PUMP_DIAG;
		else
			ready |= PUMP_INPUT;
	}
	return ready;
}

/* Write body bytes to the script's stdin; see pump.h. */
static ssize_t
pump_child_feed(void *arg, const char *buf, size_t len)
{
	struct pump_child	*pc = arg;
	ssize_t			 n;

	n = write(pc->c.in, buf, len);
	if (n > 0)
		return n;
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		/* It stopped reading. */
		close(pc->c.in);
		pc->c.in = -1;
		return -1;
	}
	return 0;
}

/* Close the script's stdin: the body has ended. */
static void
pump_child_feed_end(void *arg)
{
	struct pump_child	*pc = arg;

	if (pc->c.in != -1) {
		close(pc->c.in);
		pc->c.in = -1;
	}
}

/* Read the script's stdout; at its end (or an error) it is closed. */
static ssize_t
pump_child_read(void *arg, char *buf, size_t len)
{
	struct pump_child	*pc = arg;
	ssize_t			 n;
	int			 saved;

	n = read(pc->c.out, buf, len);
	if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN)) {
		saved = errno;
		close(pc->c.out);
		pc->c.out = -1;
		errno = saved;
	}
	return n;
}

/* Forward what the script wrote to stderr to the web server's log. */
static void
pump_child_diag(void *arg)
{
	struct pump_child	*pc = arg;
	char			 buf[4096];
	ssize_t			 n;

	for (;;) {
		n = read(pc->c.err, buf, sizeof buf);
		if (n > 0) {
			pc->io->error(pc->io->ctx, buf, n);
			continue;
		}
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(pc->c.err);
			pc->c.err = -1;
		}
		return;
	}
}

/* Kill the script's whole process group and reap it. */
static void
pump_child_abort(void *arg)
{
	struct pump_child	*pc = arg;

	spawn_kill(&pc->c);
}

/*
 * The response is complete. What the script still writes to stderr as it
 * ends is forwarded, and how it ended is collected, for a short grace: a
 * script killed by a signal (SIGPIPE aside: the client left) cuts a
 * response whose headers are out. One still running after the grace has
 * closed its stdout but runs on: the reaper collects it, killing it at the
 * deadline (detached, as CGI, it is left to init).
 */
static int
pump_child_end(void *arg, long long deadline)
{
	struct pump_child	*pc = arg;
	struct child		*c = &pc->c;
	struct pollfd		 pfd;
	long long		 now, grace;
	int			 sig = 0;

	now = clock_ms();
	for (grace = now + PUMP_CHILD_EXIT_GRACE; c->err != -1 && now < grace;
	    now = clock_ms()) {
		pfd.fd = c->err;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(grace - now)) > 0)
			pump_child_diag(pc);
	}
	/* Its exit follows the close of its pipes within moments. */
	if (c->err == -1 && now < grace)
		spawn_wait_exit(c, (int)(grace - now));
	else if (c->err != -1)
		log_debug("script %s: closed its output but still runs",
		    pc->name);
	if (!spawn_collect(c, pc->name, &sig)) {
		if (pc->detach)
			c->pid = -1;
		else
			spawn_linger(c, deadline, pc->name);
	}
	return sig != 0 && sig != SIGPIPE;
}

/* Forward the rest of stderr, close our pipe ends, free. */
static void
pump_child_close(void *arg)
{
	struct pump_child	*pc = arg;

	if (pc->c.err != -1)
		pump_child_diag(pc);
	spawn_close(&pc->c);
	free(pc);
}

const struct pump_ops pump_child_ops = {
	.name = "child",
	.start = pump_child_start,
	.wait = pump_child_wait,
	.feed = pump_child_feed,
	.feed_end = pump_child_feed_end,
	.read = pump_child_read,
	.diag = pump_child_diag,
	.abort = pump_child_abort,
	.end = pump_child_end,
	.close = pump_child_close,
};
