/*
 * The client side of sessionwrap-ws's control socket: wsctl_command and
 * wsctl_close reading whatever comes back, over scripted socket calls (the
 * socket, connect, send, recv, poll and close of lib/wsctl.c are redirected
 * here), in chunks, with EINTR and EAGAIN, up to an EOF or a timeout.
 *
 * Input: a flags byte, a seed byte for the chunking, then the reply bytes.
 *	flags & 1	wsctl_close (CLOSE, count reply) instead of wsctl_command
 *	flags & 2	after the reply the peer goes silent (timeout), not EOF
 *	flags >> 2	that many 4 KB of 'x' after the reply's first 3 bytes
 *			(reaches WSCTL_MAX_REPLY, past the input size limit)
 *
 * Checked: one socket, closed once; the command goes out whole with one
 * newline; "OK" is reported exactly when the first reply line (less one
 * CR) is "OK" or "OK ...", with the rest as *reply (never a newline in it);
 * an ERR line's text reaches *cause; a reply line longer than the limit is
 * never returned whole beyond one read; a count is what the helper can
 * send (0 .. UINT_MAX, as "OK %u").
 *
 * Depends on: the socket calls wsctl.c makes (socket, connect, send, recv,
 * poll, close, as macros before including the .c), WSCTL_MAX_REPLY, the
 * 4096-byte read buffer of wsctl_command, and the public wsctl_command and
 * wsctl_close.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int	 fuzz_socket(int, int, int);
static int	 fuzz_connect(int, const struct sockaddr *, socklen_t);
static ssize_t	 fuzz_send(int, const void *, size_t, int);
static ssize_t	 fuzz_recv(int, void *, size_t, int);
static int	 fuzz_poll(struct pollfd *, nfds_t, int);
static int	 fuzz_close(int);

#define socket	fuzz_socket
#define connect	fuzz_connect
#define send	fuzz_send
#define recv	fuzz_recv
#define poll	fuzz_poll
#define close	fuzz_close
#include "../../lib/wsctl.c"
#undef socket
#undef connect
#undef send
#undef recv
#undef poll
#undef close

#include "fuzz.h"

#define FUZZ_FD		1000	/* the fake socket's number */
#define FUZZ_READ	4096	/* wsctl_command's read buffer */
#define FUZZ_ID		"d3NpZC0xMjM0NTY3"
#define FUZZ_TIMEOUT	60000	/* ms: timeouts are scripted, not slow runs */

static char	 fuzz_pad[4096];

/* The scripted peer of one call. */
static struct {
	const char	*reply;		/* everything the peer sends */
	size_t		 len;
	size_t		 off;		/* sent so far */
	int		 hang;		/* then silent, not EOF */
	uint32_t	 rng;
	int		 sockets;
	int		 closes;
	int		 want_poll;	/* recv said EAGAIN: poll answers next */
	struct buf	 sent;		/* what the client sent */
} fz;

/* A small deterministic generator for chunk sizes and interruptions. */
static uint32_t
fuzz_next(void)
{
	fz.rng = fz.rng * 1103515245u + 12345u;
	return fz.rng >> 8;
}

/* socket(2): one fake descriptor per call. */
static int
fuzz_socket(int domain, int type, int proto)
{
	(void)type;
	(void)proto;
	FUZZ_ASSERT(domain == AF_UNIX);
	fz.sockets++;
	return FUZZ_FD;
}

/* connect(2): the helper accepts at once. */
static int
fuzz_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)sa;
	(void)len;
	FUZZ_ASSERT(fd == FUZZ_FD);
	return 0;
}

/* send(2): takes the command in pieces, sometimes interrupted. */
static ssize_t
fuzz_send(int fd, const void *p, size_t len, int flags)
{
	(void)flags;
	size_t	 n;

	FUZZ_ASSERT(fd == FUZZ_FD && len > 0);
	if (fuzz_next() % 8 == 0) {
		errno = EINTR;
		return -1;
	}
	n = 1 + fuzz_next() % 16;
	if (n > len)
		n = len;
	buf_add(&fz.sent, p, n);
	return n;
}

/* recv(2): the reply in chunks, EINTR and EAGAIN, then EOF or silence. */
static ssize_t
fuzz_recv(int fd, void *p, size_t len, int flags)
{
	(void)flags;
	uint32_t	 r;
	size_t		 n;

	FUZZ_ASSERT(fd == FUZZ_FD && len == FUZZ_READ);
	if (fz.off == fz.len) {
		if (!fz.hang)
			return 0;
		fz.want_poll = 1;
		errno = EAGAIN;
		return -1;
	}
	r = fuzz_next();
	if (r % 16 == 0) {
		errno = EINTR;
		return -1;
	}
	if (r % 16 == 1) {
		fz.want_poll = 1;
		errno = EAGAIN;
		return -1;
	}
	n = r % 4 == 0 ? len : 1 + (r >> 4) % 64;
	if (n > len)
		n = len;
	if (n > fz.len - fz.off)
		n = fz.len - fz.off;
	memcpy(p, fz.reply + fz.off, n);
	fz.off += n;
	return n;
}

/* poll(2): ready while the peer has more to say, else a timeout. */
static int
fuzz_poll(struct pollfd *pfd, nfds_t n, int timeout)
{
	FUZZ_ASSERT(n == 1 && pfd->fd == FUZZ_FD && timeout > 0);
	if (pfd->events == POLLOUT) {
		pfd->revents = POLLOUT;
		return 1;
	}
	FUZZ_ASSERT(fz.want_poll);
	fz.want_poll = 0;
	if (fz.off == fz.len)
		return 0;
	pfd->revents = POLLIN;
	return 1;
}

/* close(2): only ours, once. */
static int
fuzz_close(int fd)
{
	FUZZ_ASSERT(fd == FUZZ_FD);
	fz.closes++;
	return 0;
}

/* Initialise once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	memset(fuzz_pad, 'x', sizeof fuzz_pad);
	return 0;
}

/* Is this line (a C string: the code sees no further) an OK reply? */
static int
fuzz_ok_form(const char *l)
{
	return strncmp(l, "OK", 2) == 0 && (l[2] == '\0' || l[2] == ' ');
}

/* Check one call's outcome against the first line of the reply. */
static void
fuzz_check(int rc, const char *reply, const char *cause, const char *line,
    int want_reply)
{
	const char	*nl;
	char		*first, *err;
	size_t		 len;

	FUZZ_ASSERT(fz.sockets == 1 && fz.closes == 1);
	FUZZ_ASSERT(fz.sent.len == strlen(line) + 1);
	FUZZ_ASSERT(memcmp(fz.sent.data, line, fz.sent.len - 1) == 0);
	FUZZ_ASSERT(fz.sent.data[fz.sent.len - 1] == '\n');
	FUZZ_ASSERT(rc == 0 || rc == -1);
	FUZZ_ASSERT(rc == 0 ? cause == NULL : cause != NULL);
	if (!want_reply)
		FUZZ_ASSERT(reply == NULL);

	if ((nl = memchr(fz.reply, '\n', fz.len)) == NULL) {
		/* No line: EOF, timeout or too long, never a result. */
		FUZZ_ASSERT(rc == -1);
		return;
	}
	len = nl - fz.reply;
	if (len > WSCTL_MAX_REPLY + FUZZ_READ) {
		FUZZ_ASSERT(rc == -1);
		return;
	}
	/* The line as the code holds it: a NUL inside ends it early. */
	first = xmalloc(len + 1);
	memcpy(first, fz.reply, len);
	first[len] = '\0';
	if (len > 0 && fz.reply[len - 1] == '\r')
		first[len - 1] = '\0';
	if (len <= WSCTL_MAX_REPLY)
		FUZZ_ASSERT((rc == 0) == fuzz_ok_form(first));
	if (rc == 0) {
		FUZZ_ASSERT(fuzz_ok_form(first));
		if (want_reply) {
			FUZZ_ASSERT(reply != NULL);
			FUZZ_ASSERT(strcmp(reply, first[2] == ' ' ? first + 3 :
			    "") == 0);
			FUZZ_ASSERT(strchr(reply, '\n') == NULL);
		}
	} else if (len <= WSCTL_MAX_REPLY && strncmp(first, "ERR", 3) == 0 &&
	    (first[3] == '\0' || first[3] == ' ')) {
		/* The helper's reason reaches the caller. */
		xasprintf(&err, "sessionwrap-ws: %s", first[3] == ' ' ?
		    first + 4 : "error");
		FUZZ_ASSERT(strcmp(cause, err) == 0);
		free(err);
	}
	free(first);
}

/* One exchange per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 stream;
	char		*reply = NULL, *cause = NULL;
	const char	*line;
	size_t		 head, pad;
	long		 n = -42;
	int		 rc, flags;

	if (size < 2)
		return 0;
	memset(&fz, 0, sizeof fz);
	buf_init(&fz.sent);
	flags = data[0];
	fz.hang = (flags & 2) != 0;
	fz.rng = data[1];
	data += 2;
	size -= 2;

	/* The reply, with the padding after its first bytes. */
	buf_init(&stream);
	head = size < 3 ? size : 3;
	buf_add(&stream, data, head);
	for (pad = flags >> 2; pad > 0; pad--)
		buf_add(&stream, fuzz_pad, sizeof fuzz_pad);
	buf_add(&stream, data + head, size - head);
	fz.reply = stream.data;
	fz.len = stream.len;

	if (flags & 1) {
		line = "CLOSE " FUZZ_ID;
		rc = wsctl_close("/fuzz/ws.sock", FUZZ_ID, 0, NULL, &n,
		    FUZZ_TIMEOUT, &cause);
		fuzz_check(rc, NULL, cause, line, 0);
		if (rc == 0)
			FUZZ_ASSERT(n >= 0 && n <= (long)UINT_MAX);
		else
			FUZZ_ASSERT(n == 0);
	} else {
		line = "COUNT";
		rc = wsctl_command("/fuzz/ws.sock", line, &reply, FUZZ_TIMEOUT,
		    &cause);
		fuzz_check(rc, reply, cause, line, 1);
	}
	free(reply);
	free(cause);
	buf_free(&stream);
	buf_free(&fz.sent);
	return 0;
}
