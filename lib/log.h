/* Logging for all sessionwrap programs: stderr (the web server's log) or syslog. */
#ifndef SW_LOG_H
#define SW_LOG_H

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

#define SW_PRINTF(a, b) __attribute__((format(printf, a, b)))

void	log_init(const char *progname, int use_syslog);
void	log_set_level(enum log_level);
int	log_level_parse(const char *);

/* Messages are prefixed by the caller with __func__ where it helps. */
void	log_warn(const char *, ...) SW_PRINTF(1, 2);	/* appends strerror(errno) */
void	log_warnx(const char *, ...) SW_PRINTF(1, 2);
void	log_errx(const char *, ...) SW_PRINTF(1, 2);	/* logs only: caller exits */
void	log_info(const char *, ...) SW_PRINTF(1, 2);
void	log_debug(const char *, ...) SW_PRINTF(1, 2);

/* Start-up failures and broken invariants only. */
void	fatal(const char *, ...) SW_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) SW_PRINTF(1, 2) __attribute__((noreturn));

#endif
