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

/* Resolve cfg->user and cfg->group (default: the user's) to ids; -1 and *cause. */
static int
priv_lookup(const struct config *cfg, uid_t *uid, gid_t *gid, char **cause)
{
	struct passwd	*pw;
	struct group	*gr;

	errno = 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		xasprintf(cause, "user %s: %s", cfg->user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (cfg->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(cfg->group)) == NULL) {
			xasprintf(cause, "group %s: %s", cfg->group,
			    errno ? strerror(errno) : "no such group");
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * Started as root with user = ...: give a socket made before dropping root to
 * that user and group, so the web server's account can connect. Otherwise
 * nothing to do.
 */
int
priv_chown(const char *path, const struct config *cfg, char **cause)
{
	uid_t	 uid;
	gid_t	 gid;

	if (geteuid() != 0 || cfg->user == NULL)
		return 0;
	if (priv_lookup(cfg, &uid, &gid, cause) == -1)
		return -1;
	if (chown(path, uid, gid) == -1) {
		xasprintf(cause, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Switch to the configured user, or refuse to go on as root. */
int
priv_drop(const struct config *cfg, char **cause)
{
	uid_t		 uid;
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
	if (priv_lookup(cfg, &uid, &gid, cause) == -1)
		return -1;
	if (uid == 0 && !cfg->allow_root) {
		xasprintf(cause, "user %s is root; set allow_root = on to "
		    "mean it", cfg->user);
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		xasprintf(cause, "switching to %s: %s", cfg->user,
		    strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("%s: could regain root after dropping it", __func__);
	log_debug("%s: running as %s", __func__, cfg->user);
	return 0;
}
