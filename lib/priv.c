/* Dropping root before running anything on behalf of a client. */
#include "autoconf.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"
#include "xmalloc.h"

/* Switch to the configured user, or refuse to go on as root. */
int
priv_drop(const struct config *cfg, char **cause)
{
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 gid;

	if (geteuid() != 0) {
		if (cfg->user != NULL)
			log_debug("%s: not root: user = %s ignored", __func__,
			    cfg->user);
		return 0;
	}
	if (cfg->user == NULL) {
		if (cfg->allow_root) {
			log_warnx("running scripts as root (allow_root = on)");
			return 0;
		}
		xasprintf(cause, "refusing to run scripts as root: set user = "
		    "an unprivileged account (for example www-data), start "
		    "as that user, or set allow_root = on");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		xasprintf(cause, "user %s: %s", cfg->user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0 && !cfg->allow_root) {
		xasprintf(cause, "user %s is root; set allow_root = on to "
		    "mean it", cfg->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (cfg->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(cfg->group)) == NULL) {
			xasprintf(cause, "group %s: %s", cfg->group,
			    errno ? strerror(errno) : "no such group");
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		xasprintf(cause, "switching to %s: %s", cfg->user,
		    strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("%s: could regain root after dropping it", __func__);
	log_debug("%s: running as %s", __func__, cfg->user);
	return 0;
}
