/* Spawning a CGI script in its own process group with pipes to all three fds. */
#ifndef SW_SPAWN_H
#define SW_SPAWN_H

#include <sys/types.h>

struct child {
	pid_t	 pid;		/* also the process group id */
	int	 in;		/* its stdin (we write), -1 once closed */
	int	 out;		/* its stdout (we read), -1 once closed */
	int	 err;		/* its stderr (we read), -1 once closed */
};

/*
 * The longest environment string execve(2) takes on Linux, "NAME=value" and
 * its NUL (MAX_ARG_STRLEN: 32 pages of 4 KiB; larger pages only raise it).
 * What a script gets in its environment must stay within it, or it never
 * starts.
 */
#define SPAWN_MAX_ENV_STRING	131072

/* spawn_child flags. */
#define SPAWN_NO_INPUT	0x1	/* stdin is /dev/null, not a pipe (c->in -1) */

/*
 * Start path with argv/envp in directory dir (NULL: unchanged), in a new
 * process group, with non-blocking pipes on our side. The child inherits
 * exactly descriptors 0, 1 and 2. -1 and *cause (errno kept) when it
 * cannot be started.
 */
int	 spawn_child(const char *, char *const *, char *const *, const char *,
	     int, struct child *, char **);
/* Kill the whole process group and reap the child. */
void	 spawn_kill(struct child *);
/*
 * Reap the child if it has exited (an exit by a signal is logged under
 * name): 1 with *sig the signal that ended it (0: it exited, or was reaped
 * before), or 0 while it runs. Never waits.
 */
int	 spawn_collect(struct child *, const char *, int *);
/* Wait at most ms for the child to exit, leaving it to be reaped: 1 if it has. */
int	 spawn_wait_exit(struct child *, int);
/*
 * Let a background thread reap it, killing its group at deadline; an exit
 * by a signal is logged under name.
 */
void	 spawn_linger(struct child *, long long, const char *);
/* Kill and reap every lingering child (shutdown). */
void	 spawn_linger_killall(void);
/* Close our remaining pipe ends. */
void	 spawn_close(struct child *);

#endif
