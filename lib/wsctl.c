/* Client of sessionwrap-ws's control socket: one line, one reply line. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "num.h"
#include "utf8.h"
#include "wsctl.h"
#include "xmalloc.h"

/* Wait for fd to be ready for `events` before the deadline; -1 and errno. */
static int
wsctl_wait(int fd, short events, long long deadline)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		left = deadline - clock_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
}

/* A non-blocking socket connected to path; -1 and errno. */
static int
wsctl_connect(const char *path, long long deadline)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd, err;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	/* A full backlog: wait for the helper to accept, within the deadline. */
	if (wsctl_wait(fd, POLLOUT, deadline) == -1)
		goto fail;
	len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Send all of out to fd before deadline; -1 and *cause. */
static int
wsctl_send_all(int fd, const char *path, const struct buf *out,
    long long deadline, char **cause)
{
	size_t		 off;
	ssize_t		 n;

	for (off = 0; off < out->len; off += n) {
		n = send(fd, out->data + off, out->len - off, MSG_NOSIGNAL);
		if (n >= 0)
			continue;
		/* Full buffer: wait, but a timeout is a failure, not a retry. */
		if ((errno == EAGAIN || errno == EINTR) &&
		    wsctl_wait(fd, POLLOUT, deadline) == 0) {
			n = 0;
			continue;
		}
		xasprintf(cause, "%s: send: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Read into in up to the first '\n' and return it; NULL and *cause. */
static char *
wsctl_recv_line(int fd, const char *path, struct buf *in,
    long long deadline, char **cause)
{
	ssize_t		 n;
	char		*nl, tmp[4096];

	for (;;) {
		if (in->len != 0 &&
		    (nl = memchr(in->data, '\n', in->len)) != NULL)
			break;
		if (in->len > WSCTL_MAX_REPLY) {
			xasprintf(cause, "%s: reply too long", path);
			return NULL;
		}
		n = recv(fd, tmp, sizeof tmp, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (wsctl_wait(fd, POLLIN, deadline) == 0)
				continue;
		}
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (n == 0) {
			xasprintf(cause, "%s: closed without a reply", path);
			return NULL;
		}
		buf_add(in, tmp, n);
	}
	return nl;
}

/* Send a command line and read the reply line; see wsctl.h. */
int
wsctl_command(const char *path, const char *line, char **reply,
    long timeout_ms, char **cause)
{
	struct buf	 out, in;
	long long	 deadline;
	char		*nl;
	int		 fd = -1, rc = -1;

	if (reply != NULL)
		*reply = NULL;
	buf_init(&out);
	buf_init(&in);
	if (path == NULL || *path == '\0') {
		*cause = xstrdup("no ws_control socket configured");
		goto out;
	}
	if (strpbrk(line, "\r\n") != NULL) {
		*cause = xstrdup("control command contains a line break");
		goto out;
	}
	if (timeout_ms <= 0)
		timeout_ms = WSCTL_TIMEOUT_MS;
	deadline = clock_ms() + timeout_ms;

	if ((fd = wsctl_connect(path, deadline)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf_adds(&out, line);
	buf_addc(&out, '\n');
	if (wsctl_send_all(fd, path, &out, deadline, cause) == -1)
		goto out;
	if ((nl = wsctl_recv_line(fd, path, &in, deadline, cause)) == NULL)
		goto out;
	*nl = '\0';
	if (nl > in.data && nl[-1] == '\r')
		nl[-1] = '\0';

	if (strncmp(in.data, "OK", 2) == 0 &&
	    (in.data[2] == '\0' || in.data[2] == ' ')) {
		if (reply != NULL)
			*reply = xstrdup(in.data[2] == ' ' ? in.data + 3 : "");
		rc = 0;
	} else if (strncmp(in.data, "ERR", 3) == 0 &&
	    (in.data[3] == '\0' || in.data[3] == ' '))
		xasprintf(cause, "sessionwrap-ws: %s",
		    in.data[3] == ' ' ? in.data + 4 : "error");
	else
		xasprintf(cause, "%s: malformed reply", path);
out:
	if (fd != -1)
		close(fd);
	buf_free(&out);
	buf_free(&in);
	return rc;
}

/* Close every socket of a session through the control socket. */
int
wsctl_close(const char *path, const char *ws_id, int code, const char *reason,
    long *n, long timeout_ms, char **cause)
{
	char		*line, *reply;
	long long	 v;
	int		 rc;

	if (n != NULL)
		*n = 0;
	if (ws_id == NULL || !wsctl_valid_id(ws_id)) {
		*cause = xstrdup("invalid ws_id");
		return -1;
	}
	if (code != 0 && !wsctl_valid_code(code)) {
		xasprintf(cause, "invalid close code %d", code);
		return -1;
	}
	if (reason != NULL && (code == 0 || strlen(reason) > WSCTL_MAX_REASON ||
	    !utf8_valid(reason, strlen(reason)) ||
	    strpbrk(reason, "\r\n") != NULL)) {
		*cause = xstrdup("invalid close reason");
		return -1;
	}
	if (code == 0)
		xasprintf(&line, "CLOSE %s", ws_id);
	else if (reason == NULL || *reason == '\0')
		xasprintf(&line, "CLOSE %s %d", ws_id, code);
	else
		xasprintf(&line, "CLOSE %s %d %s", ws_id, code, reason);
	rc = wsctl_command(path, line, &reply, timeout_ms, cause);
	free(line);
	if (rc == 0) {
		/* The helper answers "OK %u": no sign, nothing past UINT_MAX. */
		if (n != NULL && num_parse(reply, 10, 0, UINT_MAX, &v,
		    NULL) == 0)
			*n = (long)v;
		free(reply);
	}
	return rc;
}

/* True for 1 to WSCTL_MAX_ID characters of the base64url alphabet. */
int
wsctl_valid_id(const char *s)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= WSCTL_MAX_ID && b64url_valid(s, len);
}

/* Codes an endpoint may put in a close frame it sends on its own accord. */
int
wsctl_valid_code(long code)
{
	return code == 1000 || (code >= 3000 && code <= 4999);
}

/*
 * CLOSEs that could not be delivered (helper stalled, control socket away)
 * are retried by one thread, started on the first failure, every
 * WSCTL_RETRY_EVERY seconds for WSCTL_RETRY_FOR seconds.
 */
struct wsctl_pending {
	char			*path;
	char			*ws_id;
	time_t			 until;
	struct wsctl_pending	*next;
};

static pthread_mutex_t		 wsctl_retry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 wsctl_retry_cond = PTHREAD_COND_INITIALIZER;
static struct wsctl_pending	*wsctl_retry_list;
static u_int			 wsctl_retry_n;
static int			 wsctl_retry_running;
static int			 wsctl_retry_stopping;
static pthread_t		 wsctl_retry_thread;

/* Free one pending CLOSE. */
static void
wsctl_pending_free(struct wsctl_pending *p)
{
	free(p->path);
	free(p->ws_id);
	free(p);
}

/* One round: try every pending CLOSE once (unlocked), keep the failures. */
static void
wsctl_retry_round(void)
{
	struct wsctl_pending	*list, *p, *next, *keep = NULL;
	char			*cause;
	time_t			 now = time(NULL);

	pthread_mutex_lock(&wsctl_retry_lock);
	list = wsctl_retry_list;
	wsctl_retry_list = NULL;
	pthread_mutex_unlock(&wsctl_retry_lock);
	for (p = list; p != NULL; p = next) {
		next = p->next;
		if (wsctl_close(p->path, p->ws_id, 0, NULL, NULL, 0,
		    &cause) == 0) {
			log_info("%s: CLOSE delivered on a retry", __func__);
			goto drop;
		}
		if (now < p->until) {
			free(cause);
			p->next = keep;
			keep = p;
			continue;
		}
		log_warnx("%s: CLOSE not delivered for %d s, given up: %s",
		    __func__, WSCTL_RETRY_FOR, cause);
		free(cause);
drop:
		wsctl_pending_free(p);
		pthread_mutex_lock(&wsctl_retry_lock);
		wsctl_retry_n--;
		pthread_mutex_unlock(&wsctl_retry_lock);
	}
	pthread_mutex_lock(&wsctl_retry_lock);
	for (p = keep; p != NULL; p = next) {
		next = p->next;
		p->next = wsctl_retry_list;
		wsctl_retry_list = p;
	}
	pthread_mutex_unlock(&wsctl_retry_lock);
}

/* The retry thread: a round every WSCTL_RETRY_EVERY seconds until stopped. */
static void *
wsctl_retry_main(void *arg)
{
	(void)arg;
	struct timespec	 ts;

	pthread_mutex_lock(&wsctl_retry_lock);
	while (!wsctl_retry_stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += WSCTL_RETRY_EVERY;
		pthread_cond_timedwait(&wsctl_retry_cond, &wsctl_retry_lock,
		    &ts);
		if (wsctl_retry_stopping)
			break;
		pthread_mutex_unlock(&wsctl_retry_lock);
		wsctl_retry_round();
		pthread_mutex_lock(&wsctl_retry_lock);
	}
	pthread_mutex_unlock(&wsctl_retry_lock);
	return NULL;
}

/* CLOSE now; on failure, queue it for the retry thread. */
int
wsctl_close_retry(const char *path, const char *ws_id, long *n, char **cause)
{
	struct wsctl_pending	*p;
	int			 err;

	if (wsctl_close(path, ws_id, 0, NULL, n, 0, cause) == 0)
		return 0;
	if (!wsctl_valid_id(ws_id))
		return -1;
	pthread_mutex_lock(&wsctl_retry_lock);
	if (wsctl_retry_stopping || wsctl_retry_n >= WSCTL_RETRY_MAX) {
		pthread_mutex_unlock(&wsctl_retry_lock);
		return -1;
	}
	if (!wsctl_retry_running) {
		if ((err = pthread_create(&wsctl_retry_thread, NULL,
		    wsctl_retry_main, NULL)) != 0) {
			pthread_mutex_unlock(&wsctl_retry_lock);
			return -1;
		}
		wsctl_retry_running = 1;
	}
	p = xcalloc(1, sizeof *p);
	p->path = xstrdup(path);
	p->ws_id = xstrdup(ws_id);
	p->until = time(NULL) + WSCTL_RETRY_FOR;
	p->next = wsctl_retry_list;
	wsctl_retry_list = p;
	wsctl_retry_n++;
	pthread_mutex_unlock(&wsctl_retry_lock);
	return 1;
}

/* At exit: stop the retry thread; what is pending gets one last try. */
void
wsctl_retry_stop(void)
{
	struct wsctl_pending	*p;
	char			*cause;
	long long		 deadline = clock_ms() + WSCTL_TIMEOUT_MS * 4;

	pthread_mutex_lock(&wsctl_retry_lock);
	wsctl_retry_stopping = 1;
	pthread_cond_broadcast(&wsctl_retry_cond);
	pthread_mutex_unlock(&wsctl_retry_lock);
	if (wsctl_retry_running) {
		pthread_join(wsctl_retry_thread, NULL);
		wsctl_retry_running = 0;
	}
	while ((p = wsctl_retry_list) != NULL) {
		wsctl_retry_list = p->next;
		/* A stalled helper must not hold up the exit for long. */
		if (clock_ms() >= deadline)
			log_warnx("%s: CLOSE not delivered at exit", __func__);
		else if (wsctl_close(p->path, p->ws_id, 0, NULL, NULL, 0,
		    &cause) == -1) {
			log_warnx("%s: CLOSE not delivered at exit: %s",
			    __func__, cause);
			free(cause);
		}
		wsctl_pending_free(p);
	}
	wsctl_retry_n = 0;
}
