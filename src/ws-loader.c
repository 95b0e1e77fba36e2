/*
 * Session loads off the event loop: a few threads, each with its own store
 * connection, take jobs from a bounded queue; finished jobs go back to the
 * loop through a list and a pipe, so a slow store stalls no socket.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "crypto.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "ws.h"
#include "xmalloc.h"

TAILQ_HEAD(ws_jobs, ws_job);

static pthread_mutex_t	 ws_loader_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 ws_loader_cond = PTHREAD_COND_INITIALIZER;
static struct ws_jobs	 ws_loader_queue = TAILQ_HEAD_INITIALIZER(ws_loader_queue);
static struct ws_jobs	 ws_loader_done = TAILQ_HEAD_INITIALIZER(ws_loader_done);
static u_int		 ws_loader_queued;	/* in the queue or being loaded */
static int		 ws_loader_stopping;
static pthread_t	 ws_loader_threads[WS_LOADER_THREADS];
static u_int		 ws_loader_nthreads;
static int		 ws_loader_pipe[2] = { -1, -1 };
static struct event	*ws_loader_event;

/* Free a job and what it still owns. */
static void
ws_loader_job_free(struct ws_job *j)
{
	if (j->cookie != NULL) {
		crypto_wipe(j->cookie, strlen(j->cookie));
		free(j->cookie);
	}
	if (j->s != NULL)
		session_free(j->s);
	free(j->cause);
	free(j);
}

/* Load one job's session with this thread's connection (made on demand). */
static void
ws_loader_load(struct store *st, void **conn, struct ws_job *j)
{
	enum store_result	 r;
	char			*why = NULL;

	if (*conn == NULL && (*conn = st->ops->conn_new(st, &why)) == NULL) {
		xasprintf(&j->cause, "store: %s", why != NULL ? why :
		    "unreachable");
		free(why);
		j->status = 503;
		return;
	}
	r = st->ops->load(st, *conn, j->cookie, j->now, &j->s, &why);
	switch (r) {
	case STORE_OK:
		j->status = 0;
		break;
	case STORE_NOTFOUND:
		j->status = 401;
		j->cause = xstrdup("no valid session for the cookie");
		break;
	default:
		j->status = 503;
		xasprintf(&j->cause, "store: %s", why != NULL ? why :
		    store_result_str(r));
		/* Reconnect for the next job. */
		st->ops->conn_free(*conn);
		*conn = NULL;
		break;
	}
	free(why);
}

/* A loader thread: jobs until told to stop. */
static void *
ws_loader_main(void *arg)
{
	struct store	*st = arg;
	struct ws_job	*j;
	void		*conn = NULL;
	char		 c = 1;
	int		 wake;

	pthread_mutex_lock(&ws_loader_lock);
	for (;;) {
		while (!ws_loader_stopping &&
		    (j = TAILQ_FIRST(&ws_loader_queue)) == NULL)
			pthread_cond_wait(&ws_loader_cond, &ws_loader_lock);
		if (ws_loader_stopping)
			break;
		TAILQ_REMOVE(&ws_loader_queue, j, entry);
		pthread_mutex_unlock(&ws_loader_lock);

		ws_loader_load(st, &conn, j);

		pthread_mutex_lock(&ws_loader_lock);
		wake = TAILQ_EMPTY(&ws_loader_done);
		TAILQ_INSERT_TAIL(&ws_loader_done, j, entry);
		if (wake && write(ws_loader_pipe[1], &c, 1) == -1 &&
		    errno != EAGAIN)
			log_warn("%s: write", __func__);
	}
	pthread_mutex_unlock(&ws_loader_lock);
	if (conn != NULL)
		st->ops->conn_free(conn);
	return NULL;
}

/* On the loop: hand finished jobs to whoever is still waiting for them. */
static void
ws_loader_ready(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	struct ws_jobs	 done = TAILQ_HEAD_INITIALIZER(done);
	struct ws_job	*j;
	char		 buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&ws_loader_lock);
	TAILQ_CONCAT(&done, &ws_loader_done, entry);
	pthread_mutex_unlock(&ws_loader_lock);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		pthread_mutex_lock(&ws_loader_lock);
		ws_loader_queued--;
		pthread_mutex_unlock(&ws_loader_lock);
		if (j->done != NULL)
			j->done(j);
		ws_loader_job_free(j);
	}
}

/* Start the threads on the current store; jobs still queued are kept. */
void
ws_loader_start(void)
{
	u_int	 i;

	if (ws_loader_pipe[0] == -1) {
		if (pipe2(ws_loader_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
			fatal("%s: pipe2", __func__);
		ws_loader_event = event_new(ws_server->base, ws_loader_pipe[0],
		    EV_READ | EV_PERSIST, ws_loader_ready, NULL);
		if (ws_loader_event == NULL || event_add(ws_loader_event,
		    NULL) != 0)
			fatalx("%s: event_new failed", __func__);
	}
	ws_loader_stopping = 0;
	for (i = 0; i < WS_LOADER_THREADS; i++) {
		if ((errno = pthread_create(&ws_loader_threads[i], NULL,
		    ws_loader_main, ws_server->store)) != 0)
			fatal("%s: pthread_create", __func__);
	}
	ws_loader_nthreads = i;
}

/*
 * Join the threads (each finishes the load it is in, then closes its store
 * connection); queued jobs wait for the next ws_loader_start.
 */
void
ws_loader_stop(void)
{
	u_int	 i;

	pthread_mutex_lock(&ws_loader_lock);
	ws_loader_stopping = 1;
	pthread_cond_broadcast(&ws_loader_cond);
	pthread_mutex_unlock(&ws_loader_lock);
	for (i = 0; i < ws_loader_nthreads; i++)
		pthread_join(ws_loader_threads[i], NULL);
	ws_loader_nthreads = 0;
}

/* Stop the threads and free every job, finished or not (exit). */
void
ws_loader_free(void)
{
	struct ws_job	*j;

	ws_loader_stop();
	while ((j = TAILQ_FIRST(&ws_loader_queue)) != NULL) {
		TAILQ_REMOVE(&ws_loader_queue, j, entry);
		ws_loader_job_free(j);
	}
	while ((j = TAILQ_FIRST(&ws_loader_done)) != NULL) {
		TAILQ_REMOVE(&ws_loader_done, j, entry);
		ws_loader_job_free(j);
	}
	ws_loader_queued = 0;
	if (ws_loader_event != NULL) {
		event_free(ws_loader_event);
		ws_loader_event = NULL;
	}
	if (ws_loader_pipe[0] != -1) {
		close(ws_loader_pipe[0]);
		close(ws_loader_pipe[1]);
		ws_loader_pipe[0] = ws_loader_pipe[1] = -1;
	}
}

/* Jobs queued or being loaded. */
u_int
ws_loader_pending(void)
{
	u_int	 n;

	pthread_mutex_lock(&ws_loader_lock);
	n = ws_loader_queued;
	pthread_mutex_unlock(&ws_loader_lock);
	return n;
}

/*
 * Queue the load of the session a cookie value names (copied); `done` runs
 * on the loop with the result unless the job was cancelled. NULL when
 * `limit` jobs are pending already.
 */
struct ws_job *
ws_loader_submit(const char *cookie, time_t now, u_int limit,
    void (*done)(struct ws_job *), void *arg)
{
	struct ws_job	*j;

	pthread_mutex_lock(&ws_loader_lock);
	if (ws_loader_queued >= limit) {
		pthread_mutex_unlock(&ws_loader_lock);
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	j->cookie = xstrdup(cookie);
	j->now = now;
	j->done = done;
	j->arg = arg;
	TAILQ_INSERT_TAIL(&ws_loader_queue, j, entry);
	ws_loader_queued++;
	pthread_cond_signal(&ws_loader_cond);
	pthread_mutex_unlock(&ws_loader_lock);
	return j;
}

/* Whoever waited is gone: the result is dropped (loop only). */
void
ws_loader_cancel(struct ws_job *j)
{
	j->done = NULL;
	j->arg = NULL;
}
