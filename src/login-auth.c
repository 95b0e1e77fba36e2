/*
 * Passwords checked against an Apache htpasswd file by libaprutil's
 * apr_password_validate: bcrypt, apr1 (MD5), SHA and crypt, whatever
 * htpasswd wrote. An unknown user costs what a wrong password costs.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_md5.h>

#include "login.h"
#include "xmalloc.h"

#define LOGIN_AUTH_MAX_FILE	(4 * 1024 * 1024)

/*
 * A bcrypt hash of a random password no one knows (cost 5, htpasswd -B's
 * default): the decoy for an unknown user when the file has no user.
 */
static const char login_auth_decoy[] =
    "$2y$05$KB56cflyeMPrB3W1aLLsfOBOPhdVqUjFjWn3PJEhtZzKs.hVrN1MK";

/* The whole file, NUL-terminated; NULL and *cause. */
static char *
login_auth_read(const char *path, char **cause)
{
	FILE	*f;
	char	*data;
	size_t	 len = 0, n;

	if ((f = fopen(path, "re")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(LOGIN_AUTH_MAX_FILE + 1);
	while ((n = fread(data + len, 1, LOGIN_AUTH_MAX_FILE - len, f)) > 0)
		len += n;
	if (ferror(f) || len == LOGIN_AUTH_MAX_FILE) {
		xasprintf(cause, "%s: %s", path, ferror(f) ? strerror(errno) :
		    "larger than 4 MiB");
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[len] = '\0';
	return data;
}

/*
 * Walk every line (the walk takes as long for any user), cut each at its
 * ':' and end: *hash gets the user's hash or NULL, *decoy the first bcrypt
 * hash (else the first hash) to stand in for an unknown user.
 */
static void
login_auth_find(char *data, const char *user, char **hash, char **decoy)
{
	char	*line, *next, *colon, *end;

	*hash = *decoy = NULL;
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			*--end = '\0';
		if (*line == '#' || (colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		/* Apache reads user:hash[:anything]; the hash ends at a ':'. */
		if ((end = strchr(colon + 1, ':')) != NULL)
			*end = '\0';
		if (*hash == NULL && strcmp(line, user) == 0)
			*hash = colon + 1;
		if (*decoy == NULL || (strncmp(*decoy, "$2", 2) != 0 &&
		    strncmp(colon + 1, "$2", 2) == 0))
			*decoy = colon + 1;
	}
}

/*
 * Check a user's password. An unknown user's password is validated against
 * a decoy hash and the answer thrown away, so the time taken and the
 * answer are those of a wrong password.
 */
enum login_auth
login_auth_check(const char *path, const char *user, const char *password,
    char **cause)
{
	char		*data, *hash, *decoy;
	apr_status_t	 rv;

	if ((data = login_auth_read(path, cause)) == NULL)
		return LOGIN_AUTH_ERROR;
	login_auth_find(data, user, &hash, &decoy);
	if (hash == NULL || *hash == '\0') {
		(void)apr_password_validate(password,
		    decoy != NULL ? decoy : login_auth_decoy);
		free(data);
		return LOGIN_AUTH_FAIL;
	}
	rv = apr_password_validate(password, hash);
	free(data);
	return rv == APR_SUCCESS ? LOGIN_AUTH_OK : LOGIN_AUTH_FAIL;
}
