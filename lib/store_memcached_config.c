/*
 * Opening the memcached store: servers and ?options of a memcached://
 * value, and the libmemcached behaviours the store relies on.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmemcached/memcached.h>

#include "buf.h"
#include "log.h"
#include "num.h"
#include "store.h"
#include "store_memcached.h"
#include "store_memcached_int.h"
#include "url.h"
#include "xmalloc.h"

/* A key prefix is printable, without spaces, and short. */
int
mc_config_prefix_ok(const char *p)
{
	size_t	 n;

	for (n = 0; p[n] != '\0'; n++) {
		if (p[n] <= ' ' || p[n] > '~')
			return 0;
	}
	return n <= 128;
}

/* Add one "host:port", "[v6]:port" or "/path" server to the prototype. */
static int
mc_config_add_server(memcached_st *mc, const char *spec, char **cause)
{
	memcached_return_t rc;
	const char	*colon, *errstr;
	char		*host;
	long long	 port = 11211;

	if (*spec == '/') {
		rc = memcached_server_add_unix_socket(mc, spec);
		goto done;
	}
	if (*spec == '[') {
		if ((colon = strchr(spec, ']')) == NULL) {
			xasprintf(cause, "bad memcached server \"%s\"", spec);
			return -1;
		}
		host = xstrndup(spec + 1, colon - spec - 1);
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else if ((colon = strrchr(spec, ':')) != NULL)
		host = xstrndup(spec, colon - spec);
	else
		host = xstrdup(spec);
	if (colon != NULL) {
		if (num_parse(colon + 1, 10, 1, 65535, &port, NULL) == -1) {
			xasprintf(cause, "bad port in memcached server \"%s\"",
			    spec);
			free(host);
			return -1;
		}
	}
	if (*host == '\0') {
		xasprintf(cause, "missing host in memcached server \"%s\"", spec);
		free(host);
		return -1;
	}
	rc = memcached_server_add(mc, host, (in_port_t)port);
	free(host);
done:
	if (rc != MEMCACHED_SUCCESS) {
		errstr = memcached_strerror(mc, rc);
		xasprintf(cause, "memcached server \"%s\": %s", spec, errstr);
		return -1;
	}
	return 0;
}

/*
 * Parse "?prefix=...&timeout=ms" into the store, and "ttl=s" when ttl is not
 * NULL (a cache); -1 and *cause.
 */
static int
mc_config_options(struct mc_store *ms, char *q, long *timeout, long *ttl,
    char **cause)
{
	char		*opt, *val;
	long long	 n;

	while ((opt = strsep(&q, "&")) != NULL) {
		if (*opt == '\0')
			continue;
		if ((val = strchr(opt, '=')) == NULL) {
			xasprintf(cause, "memcached option without value: %s",
			    opt);
			return -1;
		}
		*val++ = '\0';
		if (strcmp(opt, "prefix") == 0) {
			free(ms->prefix);
			ms->prefix = url_decode(val, strlen(val));
		} else if (strcmp(opt, "timeout") == 0) {
			if (num_parse(val, 10, 10, 60000, &n, NULL) == -1) {
				xasprintf(cause, "bad memcached timeout "
				    "(10-60000 ms): %s", val);
				return -1;
			}
			*timeout = (long)n;
		} else if (ttl != NULL && strcmp(opt, "ttl") == 0) {
			if (num_parse(val, 10, 1, STORE_CACHE_TTL_MAX, &n,
			    NULL) == -1) {
				xasprintf(cause, "bad cache ttl (1-%d s): %s",
				    STORE_CACHE_TTL_MAX, val);
				return -1;
			}
			*ttl = (long)n;
		} else {
			xasprintf(cause, "unknown memcached option: %s", opt);
			return -1;
		}
	}
	return 0;
}

/*
 * Set the behaviours the store relies on; -1 and *cause. With eject, a
 * failing server leaves the ketama ring and its keys go to the others.
 */
static int
mc_config_behaviours(memcached_st *mc, long timeout, int eject, char **cause)
{
	static const struct {
		memcached_behavior_t	 flag;
		const char		*name;
	} flags[] = {
		{ MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, "binary protocol" },
		{ MEMCACHED_BEHAVIOR_SUPPORT_CAS, "CAS" },
		{ MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, "ketama" },
		{ MEMCACHED_BEHAVIOR_TCP_NODELAY, "TCP_NODELAY" },
		{ MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, "ejection" },
	};
	memcached_return_t rc;
	size_t		 i;

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (flags[i].flag == MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS &&
		    !eject)
			continue;
		rc = memcached_behavior_set(mc, flags[i].flag, 1);
		if (rc != MEMCACHED_SUCCESS)
			goto fail;
	}
	i = 0;
	rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
	    timeout);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
		    timeout);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
		    timeout * 1000);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
		    timeout * 1000);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc,
		    MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, MC_RETRY_TIMEOUT);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc,
		    MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, MC_FAILURE_LIMIT);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(mc,
		    MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, MC_DEAD_TIMEOUT);
	if (rc == MEMCACHED_SUCCESS)
		return 0;
fail:
	xasprintf(cause, "memcached behaviour %s: %s",
	    i < sizeof flags / sizeof flags[0] ? flags[i].name : "timeouts",
	    memcached_strerror(mc, rc));
	return -1;
}

/* Release the process-wide state. */
void
mc_config_free(void *arg)
{
	struct mc_store	*ms = arg;

	if (ms == NULL)
		return;
	if (ms->proto != NULL)
		memcached_free(ms->proto);
	pthread_mutex_destroy(&ms->lock);
	free(ms->prefix);
	free(ms);
}

/*
 * Parse memcached://h1:port,h2:port[?prefix=P&timeout=MS] and configure the
 * prototype. No connection is made: servers are contacted on first use.
 * With cache_ttl, a cache in front of PostgreSQL (see store_memcached.h).
 */
void *
store_memcached_open(struct store *st, const char *uri, long *cache_ttl,
    char **cause)
{
	struct mc_store	*ms;
	char		*copy, *list, *q, *spec;
	long		 timeout = MC_DEFAULT_TIMEOUT;

	if (st->keys == NULL || keyring_count(st->keys) == 0) {
		*cause = xstrdup("the memcached store needs secret_file "
		    "(keys for signed ids and store keys)");
		return NULL;
	}
	ms = xcalloc(1, sizeof *ms);
	pthread_mutex_init(&ms->lock, NULL);
	if ((ms->proto = memcached_create(NULL)) == NULL)
		fatalx("%s: memcached_create failed", __func__);

	if (cache_ttl != NULL)
		*cache_ttl = STORE_CACHE_TTL;
	copy = xstrdup(uri + strlen("memcached:"));
	list = copy;
	if (strncmp(list, "//", 2) == 0)
		list += 2;
	if ((q = strchr(list, '?')) != NULL)
		*q++ = '\0';
	if (q != NULL &&
	    mc_config_options(ms, q, &timeout, cache_ttl, cause) != 0)
		goto fail;
	while ((spec = strsep(&list, ",")) != NULL) {
		if (*spec == '\0')
			continue;
		if (mc_config_add_server(ms->proto, spec, cause) != 0)
			goto fail;
		ms->nservers++;
	}
	if (ms->nservers == 0) {
		*cause = xstrdup("memcached store without servers "
		    "(memcached://host:port[,host:port...])");
		goto fail;
	}
	if (ms->prefix == NULL)
		ms->prefix = xstrdup(MC_DEFAULT_PREFIX);
	if (!mc_config_prefix_ok(ms->prefix)) {
		*cause = xstrdup("memcached key prefix must be printable, "
		    "without spaces, at most 128 characters");
		goto fail;
	}
	if (mc_config_behaviours(ms->proto, timeout, cache_ttl == NULL &&
	    ms->nservers > 1, cause) != 0)
		goto fail;
	/*
	 * A lone store server has no other to take its keys: try it on every
	 * request (a refused connection fails fast), so service resumes the
	 * moment it is back instead of after a retry timer.
	 */
	if (cache_ttl == NULL && ms->nservers == 1 &&
	    memcached_behavior_set(ms->proto,
	    MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0) != MEMCACHED_SUCCESS) {
		*cause = xstrdup("memcached behaviour retry timeout");
		goto fail;
	}
	free(copy);
	return ms;

fail:
	free(copy);
	mc_config_free(ms);
	return NULL;
}

/*
 * A client for the servers of a memcached:// value, with the store's
 * behaviours and without its keys: other users of the same servers
 * (sessionwrap-login's counters). NULL and *cause.
 */
memcached_st *
mc_config_client(const char *uri, char **cause)
{
	memcached_st	*mc;
	char		*copy, *list, *spec;
	int		 n = 0;

	if ((mc = memcached_create(NULL)) == NULL)
		fatalx("%s: memcached_create failed", __func__);
	copy = xstrdup(uri + strlen("memcached:"));
	list = copy + (strncmp(copy, "//", 2) == 0 ? 2 : 0);
	list[strcspn(list, "?")] = '\0';
	while ((spec = strsep(&list, ",")) != NULL) {
		if (*spec != '\0' && mc_config_add_server(mc, spec, cause) != 0)
			goto fail;
		n += *spec != '\0';
	}
	if (n == 0) {
		*cause = xstrdup("memcached store without servers");
		goto fail;
	}
	if (mc_config_behaviours(mc, MC_DEFAULT_TIMEOUT, 0, cause) != 0)
		goto fail;
	free(copy);
	return mc;
fail:
	free(copy);
	memcached_free(mc);
	return NULL;
}
