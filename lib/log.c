/* Logging for all sessionwrap programs: stderr (the web server's log) or syslog. */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*log_progname = "sessionwrap";
static int		 log_syslog;
static enum log_level	 log_level = LOG_LVL_INFO;

static const char *const log_names[] = { "error", "warning", "info", "debug" };
static const int log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* Set the program name and destination; call once at start-up. */
void
log_init(const char *progname, int use_syslog)
{
	const char	*p;

	if ((p = strrchr(progname, '/')) != NULL)
		progname = p + 1;
	log_progname = progname;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Messages above this level are dropped. */
void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* Level by name ("error", "warning", "info", "debug"); -1 when unknown. */
int
log_level_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
		if (strcasecmp(s, log_names[i]) == 0)
			return (int)i;
	}
	if (strcasecmp(s, "warn") == 0)
		return LOG_LVL_WARN;
	if (strcasecmp(s, "err") == 0)
		return LOG_LVL_ERR;
	return -1;
}

/*
 * Write one line. Built in one buffer and written with one write(2) so lines
 * of concurrent threads do not interleave in the web server's log.
 */
static void __attribute__((format(printf, 3, 0)))
log_vmsg(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char	 msg[2048], line[2300];
	size_t	 i;
	int	 n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* Never let a message forge extra log lines. */
	for (i = 0; msg[i] != '\0'; i++) {
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	}
	if (log_syslog) {
		if (errnum)
			syslog(log_prio[level], "%s: %s", msg, strerror(errnum));
		else
			syslog(log_prio[level], "%s", msg);
		return;
	}
	if (errnum)
		n = snprintf(line, sizeof line, "%s[%ld]: %s: %s: %s\n",
		    log_progname, (long)getpid(), log_names[level], msg,
		    strerror(errnum));
	else
		n = snprintf(line, sizeof line, "%s[%ld]: %s: %s\n",
		    log_progname, (long)getpid(), log_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (write(STDERR_FILENO, line, n) == -1) {
		/* Nowhere left to report it. */
	}
}

/* A warning with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* A warning without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

/* An error that the caller acts on (a start-up failure with its own status). */
void
log_errx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
}

/* Informational. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Debugging, off by default. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* Start-up failure or broken invariant, with errno. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Start-up failure or broken invariant. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
