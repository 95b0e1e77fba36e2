/* Spawning a CGI script in its own process group with pipes to all three fds. */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spawn.h"
#include "xmalloc.h"

/* Close-on-exec pipe: no other thread's child inherits it. */
static int
spawn_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC);
#else
	if (pipe(fds) == -1)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
#endif
}

/* Make our end non-blocking (a pipe has no other status flag to keep). */
static void
spawn_nonblock(int fd)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* Close a descriptor if open and mark it closed. */
static void
spawn_closefd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * Signals whose handlers the child must not run: everything the process
 * catches, found once at the first spawn, plus the ones we always give the
 * script with their default action.
 */
static sigset_t		 spawn_reset;
static pthread_once_t	 spawn_reset_once = PTHREAD_ONCE_INIT;

/* The descriptor limit for the child's close loop, found once with the rest. */
static int		 spawn_limit;
static int		 spawn_fd_limit(void);

static void
spawn_reset_init(void)
{
	struct sigaction	 sa;
	int			 sig;

	sigemptyset(&spawn_reset);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &sa) == -1)
			continue;
		if ((sa.sa_flags & SA_SIGINFO) || (sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN))
			sigaddset(&spawn_reset, sig);
	}
	sigaddset(&spawn_reset, SIGPIPE);
	sigaddset(&spawn_reset, SIGCHLD);
	sigaddset(&spawn_reset, SIGTERM);
	sigaddset(&spawn_reset, SIGHUP);
	sigaddset(&spawn_reset, SIGINT);
	spawn_limit = spawn_fd_limit();
}

/* /dev/null for children without input, opened once; -1 if it cannot be. */
static int		 spawn_devnull = -1;
static pthread_once_t	 spawn_devnull_once = PTHREAD_ONCE_INIT;

static void
spawn_devnull_open(void)
{
	spawn_devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* In the child: make fd newfd, keeping it across exec even when equal. */
static int
spawn_dup2(int fd, int newfd)
{
	if (fd == newfd)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, newfd);
}

/*
 * One past the highest descriptor the process can hold, for the child's
 * close loop where close_range is missing; found before vfork, as the
 * child may only make system calls.
 */
static int
spawn_fd_limit(void)
{
	struct rlimit	 rl;
	long		 n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		return rl.rlim_cur > INT_MAX ? INT_MAX : (int)rl.rlim_cur;
	if ((n = sysconf(_SC_OPEN_MAX)) <= 0 || n > INT_MAX)
		n = 65536;
	return (int)n;
}

/*
 * In the child, after the dup2s: close every descriptor above 2, so the
 * program inherits exactly 0, 1 and 2. FastCGI connections (libfcgi's are
 * not close-on-exec, and another thread may be accepting right now), store
 * connections and other requests' pipes all stay with us.
 */
static int
spawn_close_from3(int limit)
{
	int	 fd;

#ifdef HAVE_CLOSE_RANGE
	if (close_range(3, ~0U, 0) == 0)
		return 0;
	/* ENOSYS: a kernel older than 5.9; the loop does it. */
#endif
	for (fd = 3; fd < limit; fd++)
		close(fd);
	return 0;
}

/* The child has exec'd: close its ends of the pipes, keep ours, non-blocking. */
static void
spawn_keep(struct child *c, pid_t pid, int in[2], int out[2], int err[2])
{
	spawn_closefd(&in[0]);
	close(out[1]);
	close(err[1]);
	c->pid = pid;
	c->in = in[1];
	c->out = out[0];
	c->err = err[0];
	if (c->in != -1)
		spawn_nonblock(c->in);
	spawn_nonblock(c->out);
	spawn_nonblock(c->err);
}

/* The child did not start: close both ends of every pipe made. */
static void
spawn_closepipes(int in[2], int out[2], int err[2])
{
	spawn_closefd(&in[0]);
	spawn_closefd(&in[1]);
	spawn_closefd(&out[0]);
	spawn_closefd(&out[1]);
	spawn_closefd(&err[0]);
	spawn_closefd(&err[1]);
}

/*
 * Start the script; see spawn.h. vfork rather than fork or posix_spawn:
 * the child borrows our memory until it execs, so there is no address
 * space to copy and no stack to map, and the thread resumes once the exec
 * is done. Between vfork and exec the child only makes system calls, with
 * every signal blocked until the handlers it could run are reset.
 */
int
spawn_child(const char *path, char *const *argv, char *const *envp,
    const char *dir, int flags, struct child *c, char **cause)
{
	struct sigaction	 dfl;
	sigset_t		 all, old, none;
	volatile int		 child_errno = 0;
	int			 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int			 err[2] = { -1, -1 }, rc, sig;
	volatile int		 limit;
	pid_t			 pid;

	pthread_once(&spawn_reset_once, spawn_reset_init);
	c->pid = -1;
	c->in = c->out = c->err = -1;
	if (flags & SPAWN_NO_INPUT)
		pthread_once(&spawn_devnull_once, spawn_devnull_open);
	if (((flags & SPAWN_NO_INPUT) && spawn_devnull != -1 ?
	    0 : spawn_pipe(in)) == -1 || spawn_pipe(out) == -1 ||
	    spawn_pipe(err) == -1) {
		rc = errno;
		xasprintf(cause, "pipe: %s", strerror(rc));
		goto fail;
	}

	limit = spawn_limit;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigfillset(&all);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		for (sig = 1; sig < NSIG; sig++) {
			if (sigismember(&spawn_reset, sig) == 1)
				sigaction(sig, &dfl, NULL);
		}
		if (spawn_dup2(in[0] != -1 ? in[0] : spawn_devnull,
		    STDIN_FILENO) == -1 ||
		    spawn_dup2(out[1], STDOUT_FILENO) == -1 ||
		    spawn_dup2(err[1], STDERR_FILENO) == -1 ||
		    spawn_close_from3(limit) == -1 ||
		    setpgid(0, 0) == -1 ||
		    (dir != NULL && chdir(dir) == -1) ||
		    sigprocmask(SIG_SETMASK, &none, NULL) == -1)
			child_errno = errno;
		else {
			execve(path, argv, envp);
			child_errno = errno;
		}
		_exit(127);
	}
	rc = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		xasprintf(cause, "vfork: %s", strerror(rc));
		goto fail;
	}
	if (child_errno != 0) {
		/* It ran and failed before exec: collect it. */
		rc = child_errno;
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		xasprintf(cause, "%s", strerror(rc));
		goto fail;
	}

	spawn_keep(c, pid, in, out, err);
	return 0;

fail:
	spawn_closepipes(in, out, err);
	errno = rc;
	return -1;
}

/* Kill the whole process group and reap the leader. */
void
spawn_kill(struct child *c)
{
	if (c->pid <= 0)
		return;
	if (killpg(c->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: killpg", __func__);
	while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR)
		;
	c->pid = -1;
}

/* Log how a reaped child ended, when that was by a signal other than SIGPIPE. */
static void
spawn_log_status(const char *name, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGPIPE)
		log_warnx("script %s: killed by signal %d", name,
		    WTERMSIG(status));
}

/* Reap the child if it has exited, without waiting; see spawn.h. */
int
spawn_collect(struct child *c, const char *name, int *sig)
{
	int	 status;

	*sig = 0;
	if (c->pid <= 0)
		return 1;
	if (waitpid(c->pid, &status, WNOHANG) != c->pid)
		return 0;
	c->pid = -1;
	spawn_log_status(name, status);
	if (WIFSIGNALED(status))
		*sig = WTERMSIG(status);
	return 1;
}

/*
 * Wait at most ms for the child to exit, without reaping it; see spawn.h.
 * A pidfd wakes us the moment it exits; without one (kernels before 5.3)
 * it is asked every 2 ms.
 */
int
spawn_wait_exit(struct child *c, int ms)
{
	siginfo_t	 info;
	long long	 end;
	struct pollfd	 pfd;
	int		 rc;

	if (c->pid <= 0)
		return 1;
	/* Most scripts are gone by the time their output ends: one call. */
	memset(&info, 0, sizeof info);
	if (waitid(P_PID, c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == -1 ||
	    info.si_pid == c->pid)
		return 1;
#ifdef SYS_pidfd_open
	if ((pfd.fd = (int)syscall(SYS_pidfd_open, c->pid, 0)) != -1) {
		pfd.events = POLLIN;
		while ((rc = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
			;
		close(pfd.fd);
		return rc > 0;
	}
#endif
	for (end = clock_ms() + ms;; poll(NULL, 0, 2)) {
		memset(&info, 0, sizeof info);
		if (waitid(P_PID, c->pid, &info, WEXITED | WNOHANG |
		    WNOWAIT) == -1 || info.si_pid == c->pid)
			return 1;
		if (clock_ms() >= end)
			return 0;
	}
}

/* Children that closed stdout but still run, reaped in the background. */
struct spawn_linger {
	pid_t		 pid;
	long long	 deadline;
	char		*name;		/* for the log */
};

static pthread_mutex_t		 spawn_linger_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 spawn_linger_cond = PTHREAD_COND_INITIALIZER;
static pthread_once_t		 spawn_linger_once = PTHREAD_ONCE_INIT;
static struct spawn_linger	*spawn_lingers;
static size_t			 spawn_nlingers, spawn_alingers;

/*
 * The reaper thread: collects lingering children as they exit, and kills
 * the process group of any still running at its deadline.
 */
static void *
spawn_reaper(void *arg)
{
	(void)arg;
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	size_t		 i;
	pid_t		 r;
	int		 status;

	pthread_mutex_lock(&spawn_linger_lock);
	for (;;) {
		while (spawn_nlingers == 0)
			pthread_cond_wait(&spawn_linger_cond, &spawn_linger_lock);
		for (i = 0; i < spawn_nlingers; i++) {
			struct spawn_linger	*l = &spawn_lingers[i];

			r = waitpid(l->pid, &status, WNOHANG);
			if (r == 0 && clock_ms() >= l->deadline) {
				log_warnx("script %s: pid %ld still running "
				    "after closing its output; killed", l->name,
				    (long)l->pid);
				killpg(l->pid, SIGKILL);
				while ((r = waitpid(l->pid, &status, 0)) == -1 &&
				    errno == EINTR)
					;
			} else if (r == l->pid)
				spawn_log_status(l->name, status);
			if (r != 0) {
				free(l->name);
				spawn_lingers[i--] = spawn_lingers[--spawn_nlingers];
				continue;
			}
		}
		pthread_mutex_unlock(&spawn_linger_lock);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&spawn_linger_lock);
	}
	return NULL;
}

/* Start the reaper thread, once. */
static void
spawn_reaper_start(void)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	sigset_t	 all, old;

	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if ((errno = pthread_create(&t, &attr, spawn_reaper, NULL)) != 0)
		fatal("%s: pthread_create", __func__);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* At shutdown: kill every lingering child's group and reap it. */
void
spawn_linger_killall(void)
{
	size_t	 i;

	pthread_mutex_lock(&spawn_linger_lock);
	for (i = 0; i < spawn_nlingers; i++) {
		killpg(spawn_lingers[i].pid, SIGKILL);
		while (waitpid(spawn_lingers[i].pid, NULL, 0) == -1 &&
		    errno == EINTR)
			;
		free(spawn_lingers[i].name);
	}
	spawn_nlingers = spawn_alingers = 0;
	free(spawn_lingers);
	spawn_lingers = NULL;
	pthread_mutex_unlock(&spawn_linger_lock);
}

/*
 * Hand a child that is done with its response but not yet exited to the
 * reaper, which kills its group at deadline: the response need not wait.
 */
void
spawn_linger(struct child *c, long long deadline, const char *name)
{
	if (c->pid <= 0)
		return;
	pthread_once(&spawn_linger_once, spawn_reaper_start);
	pthread_mutex_lock(&spawn_linger_lock);
	if (spawn_nlingers == spawn_alingers) {
		spawn_alingers = spawn_alingers ? 2 * spawn_alingers : 16;
		spawn_lingers = xreallocarray(spawn_lingers, spawn_alingers,
		    sizeof *spawn_lingers);
	}
	spawn_lingers[spawn_nlingers].pid = c->pid;
	spawn_lingers[spawn_nlingers].deadline = deadline;
	spawn_lingers[spawn_nlingers].name = xstrdup(name);
	spawn_nlingers++;
	pthread_cond_signal(&spawn_linger_cond);
	pthread_mutex_unlock(&spawn_linger_lock);
	c->pid = -1;
}

/* Close our remaining pipe ends. */
void
spawn_close(struct child *c)
{
	spawn_closefd(&c->in);
	spawn_closefd(&c->out);
	spawn_closefd(&c->err);
}
