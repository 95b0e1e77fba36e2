/*
 * Counters with a lifetime: the backend table, and the file backend, one
 * small file shared by every process of the host under an fcntl write
 * lock: fixed records (key, count, start of its life), stale ones dropped,
 * the oldest evicted when the file is full.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counter.h"
#include "log.h"
#include "xmalloc.h"

#define COUNTER_FILE_RECORDS	4096	/* counters a file remembers */

struct counter {
	const struct counter_ops	*ops;
	void				*priv;
};

/* One counter of the file. */
struct counter_rec {
	char		key[COUNTER_KEY_LEN];
	uint32_t	count;
	uint32_t	ttl;
	int64_t		start;
};

/* The locked file and its live records in memory. */
struct counter_file {
	int			 fd;
	size_t			 n;
	struct counter_rec	 r[COUNTER_FILE_RECORDS];
};

/* The file backend takes what no server backend takes. */
static int
counter_file_match(const char *store)
{
	(void)store;
	return 1;
}

/* The file backend's state: the path (login_throttle_file). */
static void *
counter_file_open(const struct config *cfg, char **cause)
{
	if (cfg->login_throttle_file == NULL) {
		*cause = xstrdup("login_throttle_file is not set");
		return NULL;
	}
	return xstrdup(cfg->login_throttle_file);
}

/* Open, lock and read the file, dropping stale records; -1 and *cause. */
static int
counter_file_lock(struct counter_file *cf, const char *path, time_t now,
    char **cause)
{
	struct flock	 fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	ssize_t		 got;
	size_t		 i, keep = 0;

	if ((cf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fcntl(cf->fd, F_SETLKW, &fl) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "%s: lock: %s", path, strerror(errno));
			close(cf->fd);
			return -1;
		}
	}
	if ((got = pread(cf->fd, cf->r, sizeof cf->r, 0)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(cf->fd);
		return -1;
	}
	cf->n = (size_t)got / sizeof cf->r[0];
	for (i = 0; i < cf->n; i++)
		if (cf->r[i].start + cf->r[i].ttl > now && cf->r[i].start <= now)
			cf->r[keep++] = cf->r[i];
	cf->n = keep;
	return 0;
}

/* Write the records back and unlock (close drops the lock); -1, *cause. */
static int
counter_file_unlock(struct counter_file *cf, const char *path, char **cause)
{
	size_t	 len = cf->n * sizeof cf->r[0];
	int	 rv = 0;

	if (pwrite(cf->fd, cf->r, len, 0) != (ssize_t)len ||
	    ftruncate(cf->fd, len) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	close(cf->fd);
	return rv;
}

/* The record of key, or NULL; *oldest the index of the oldest record. */
static struct counter_rec *
counter_file_find(struct counter_file *cf, const char *key, size_t *oldest)
{
	size_t	 i;

	*oldest = 0;
	for (i = 0; i < cf->n; i++) {
		if (memcmp(cf->r[i].key, key, COUNTER_KEY_LEN) == 0)
			return &cf->r[i];
		if (cf->r[i].start < cf->r[*oldest].start)
			*oldest = i;
	}
	return NULL;
}

/* Add to a counter of the file (made, evicting the oldest, when absent). */
static int
counter_file_add(void *arg, const char *key, long delta, long ttl, time_t now,
    long *value, char **cause)
{
	struct counter_file	*cf = xmalloc(sizeof *cf);
	struct counter_rec	*r;
	size_t			 oldest;
	long			 v;
	int			 rv;

	if (counter_file_lock(cf, arg, now, cause) == -1) {
		free(cf);
		return -1;
	}
	if ((r = counter_file_find(cf, key, &oldest)) == NULL) {
		r = cf->n < COUNTER_FILE_RECORDS ? &cf->r[cf->n++] :
		    &cf->r[oldest];
		memset(r, 0, sizeof *r);
		memcpy(r->key, key, COUNTER_KEY_LEN);
		r->start = now;
		r->ttl = (uint32_t)ttl;
	}
	v = (long)r->count + delta;
	r->count = v < 0 ? 0 : (uint32_t)v;
	*value = r->count;
	rv = counter_file_unlock(cf, arg, cause);
	free(cf);
	return rv;
}

/* Forget a counter of the file. */
static int
counter_file_remove(void *arg, const char *key, time_t now, char **cause)
{
	struct counter_file	*cf = xmalloc(sizeof *cf);
	struct counter_rec	*r;
	size_t			 oldest;
	int			 rv;

	if (counter_file_lock(cf, arg, now, cause) == -1) {
		free(cf);
		return -1;
	}
	if ((r = counter_file_find(cf, key, &oldest)) != NULL)
		*r = cf->r[--cf->n];
	rv = counter_file_unlock(cf, arg, cause);
	free(cf);
	return rv;
}

/* The file backend (the cookie store: the counters of this host). */
static const struct counter_ops counter_file_ops = {
	.name = "file",
	.match = counter_file_match,
	.open = counter_file_open,
	.add = counter_file_add,
	.remove = counter_file_remove,
	.close = free,
};

/* Server backends first; the file takes the rest. */
static const struct counter_ops *const counter_backends[] = {
#ifdef HAVE_MEMCACHED
	&counter_memcached_ops,
#endif
#ifdef HAVE_POSTGRESQL
	&counter_pg_ops,
#endif
#ifdef HAVE_REDIS
	&counter_redis_ops,
#endif
	&counter_file_ops,
};

/* Open the backend that serves cfg->store; NULL and *cause. */
struct counter *
counter_open(const struct config *cfg, char **cause)
{
	const char	*store = cfg->store ? cfg->store : "cookie";
	struct counter	*c;
	size_t		 i;

	for (i = 0; !counter_backends[i]->match(store); i++)
		;
	c = xcalloc(1, sizeof *c);
	c->ops = counter_backends[i];
	if ((c->priv = c->ops->open(cfg, cause)) == NULL) {
		free(c);
		return NULL;
	}
	if (c->ops == &counter_file_ops && strcmp(store, "cookie") != 0)
		log_warnx("store %s keeps no counters: failed logins are "
		    "counted in %s, on this host only", store,
		    cfg->login_throttle_file);
	return c;
}

/* The backend's name, for logs. */
const char *
counter_name(const struct counter *c)
{
	return c->ops->name;
}

/* Add delta to a counter (see struct counter_ops). */
int
counter_add(struct counter *c, const char *key, long delta, long ttl,
    time_t now, long *value, char **cause)
{
	return c->ops->add(c->priv, key, delta, ttl, now, value, cause);
}

/* Forget a counter. */
int
counter_remove(struct counter *c, const char *key, time_t now, char **cause)
{
	return c->ops->remove(c->priv, key, now, cause);
}

/* Close the backend. */
void
counter_close(struct counter *c)
{
	if (c == NULL)
		return;
	c->ops->close(c->priv);
	free(c);
}
