/*
 * Failed logins counted per user and per client address in one small file
 * shared by every process of the host, under an fcntl write lock: fixed
 * records (a hash of the user or address, a count, when the window
 * started), stale ones dropped, the oldest evicted when the file is full.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "login.h"
#include "xmalloc.h"

#define LOGIN_THROTTLE_RECORDS	4096	/* users and addresses remembered */
#define LOGIN_THROTTLE_KEY	32	/* hex chars of a key's hash */

/* One counter: a user or an address. */
struct login_throttle_rec {
	char		key[LOGIN_THROTTLE_KEY];
	uint32_t	count;
	uint32_t	unused;
	int64_t		start;		/* first failure of the window */
};

/* The locked file and its records in memory. */
struct login_throttle_file {
	int				 fd;
	size_t				 n;
	struct login_throttle_rec	 r[LOGIN_THROTTLE_RECORDS];
};

/* Open, lock and read the file, dropping stale records; -1 and *cause. */
static int
login_throttle_open(struct login_throttle_file *tf, const char *path,
    time_t now, char **cause)
{
	struct flock	 fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	ssize_t		 got;
	size_t		 i, keep = 0;

	if ((tf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fcntl(tf->fd, F_SETLKW, &fl) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "%s: lock: %s", path, strerror(errno));
			close(tf->fd);
			return -1;
		}
	}
	if ((got = pread(tf->fd, tf->r, sizeof tf->r, 0)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(tf->fd);
		return -1;
	}
	tf->n = (size_t)got / sizeof tf->r[0];
	for (i = 0; i < tf->n; i++)
		if (tf->r[i].start + LOGIN_WINDOW > now && tf->r[i].start <= now)
			tf->r[keep++] = tf->r[i];
	tf->n = keep;
	return 0;
}

/* Write the records back and unlock (close drops the lock); -1, *cause. */
static int
login_throttle_close(struct login_throttle_file *tf, const char *path,
    char **cause)
{
	size_t	 len = tf->n * sizeof tf->r[0];
	int	 rv = 0;

	if (pwrite(tf->fd, tf->r, len, 0) != (ssize_t)len ||
	    ftruncate(tf->fd, len) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	close(tf->fd);
	return rv;
}

/* The record of a key, made (evicting the oldest when full) when `make`. */
static struct login_throttle_rec *
login_throttle_find(struct login_throttle_file *tf, const char *label,
    const char *what, time_t now, int make)
{
	struct login_throttle_rec	*r = NULL;
	char				*key;
	size_t				 i, oldest = 0;

	key = crypto_hash_hex(label, what, LOGIN_THROTTLE_KEY);
	for (i = 0; i < tf->n && r == NULL; i++) {
		if (memcmp(tf->r[i].key, key, LOGIN_THROTTLE_KEY) == 0)
			r = &tf->r[i];
		else if (tf->r[i].start < tf->r[oldest].start)
			oldest = i;
	}
	if (r == NULL && make) {
		r = tf->n < LOGIN_THROTTLE_RECORDS ? &tf->r[tf->n++] :
		    &tf->r[oldest];
		memset(r, 0, sizeof *r);
		memcpy(r->key, key, LOGIN_THROTTLE_KEY);
		r->start = now;
	}
	free(key);
	return r;
}

/* Refuse when over a limit, else count the attempt as a failure. */
enum login_throttle
login_throttle_begin(const char *path, const char *user, const char *addr,
    time_t now, char **cause)
{
	struct login_throttle_file	*tf;
	struct login_throttle_rec	*u, *a;
	enum login_throttle		 rv = LOGIN_THROTTLE_OK;

	tf = xmalloc(sizeof *tf);
	if (login_throttle_open(tf, path, now, cause) == -1) {
		free(tf);
		return LOGIN_THROTTLE_ERROR;
	}
	u = login_throttle_find(tf, "sessionwrap-login user", user, now, 0);
	a = login_throttle_find(tf, "sessionwrap-login addr", addr, now, 0);
	if ((u != NULL && u->count >= LOGIN_MAX_PER_USER) ||
	    (a != NULL && a->count >= LOGIN_MAX_PER_ADDR))
		rv = LOGIN_THROTTLE_REFUSE;
	else {
		login_throttle_find(tf, "sessionwrap-login user", user, now,
		    1)->count++;
		login_throttle_find(tf, "sessionwrap-login addr", addr, now,
		    1)->count++;
	}
	if (login_throttle_close(tf, path, cause) == -1)
		rv = LOGIN_THROTTLE_ERROR;
	free(tf);
	return rv;
}

/* After a login: the user starts afresh, the address gets its try back. */
int
login_throttle_success(const char *path, const char *user, const char *addr,
    time_t now, char **cause)
{
	struct login_throttle_file	*tf;
	struct login_throttle_rec	*u, *a;
	int				 rv;

	tf = xmalloc(sizeof *tf);
	if (login_throttle_open(tf, path, now, cause) == -1) {
		free(tf);
		return -1;
	}
	if ((u = login_throttle_find(tf, "sessionwrap-login user", user, now,
	    0)) != NULL)
		*u = tf->r[--tf->n];
	if ((a = login_throttle_find(tf, "sessionwrap-login addr", addr, now,
	    0)) != NULL && a->count > 0)
		a->count--;
	rv = login_throttle_close(tf, path, cause);
	free(tf);
	return rv;
}
