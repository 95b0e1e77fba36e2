/*
 * Unit tests for lib/store_user.c: the order of a user's sessions and
 * max_sessions_per_user against a fake store whose admin ops record calls.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "store.h"
#include "store_admin.h"
#include "xmalloc.h"
#include "../tests/test.h"

/* The fake store's sessions: id, ws_id, login time, last seen. */
struct fake {
	const char	*id;
	const char	*ws_id;
	time_t		 created;
	time_t		 access;
	int		 gone;		/* revoke answers STORE_NOTFOUND */
	int		 fails;		/* revoke answers STORE_ERROR */
};

static struct fake	 fakes[8];
static size_t		 nfakes;
static char		 revoked[256];	/* ids revoke was called with */

/* sessions: every fake, unsorted (the store sorts; so does the fake). */
static enum store_result
fake_sessions(struct store *st, void *conn, const char *user, time_t now,
    struct store_user_session **out, size_t *n, char **cause)
{
	size_t	 i;

	(void)st;
	(void)conn;
	(void)now;
	(void)cause;
	*out = xcalloc(nfakes + 1, sizeof **out);
	for (i = 0; i < nfakes; i++) {
		(*out)[i].id = xstrdup(fakes[i].id);
		(*out)[i].s = session_from_store(xstrdup(fakes[i].id),
		    xstrdup(fakes[i].ws_id), json_object());
		(*out)[i].s->user = xstrdup(user);
		(*out)[i].s->created = fakes[i].created;
		(*out)[i].s->access = fakes[i].access;
	}
	*n = nfakes;
	store_user_sort(*out, *n);
	return STORE_OK;
}

/* revoke: records the id; answers as the fake says. */
static enum store_result
fake_revoke(struct store *st, void *conn, const char *what, char **ws_id,
    char **cause)
{
	size_t	 i;

	(void)st;
	(void)conn;
	*ws_id = NULL;
	strcat(revoked, what);
	strcat(revoked, " ");
	for (i = 0; i < nfakes; i++) {
		if (strcmp(fakes[i].id, what) != 0)
			continue;
		if (fakes[i].fails) {
			*cause = xstrdup("store down");
			return STORE_ERROR;
		}
		if (fakes[i].gone)
			return STORE_NOTFOUND;
		*ws_id = xstrdup(fakes[i].ws_id);
		return STORE_OK;
	}
	return STORE_NOTFOUND;
}

static const struct store_admin_ops fake_admin = {
	/* sessions: the fakes. */
	.sessions = fake_sessions,
	/* revoke: records its calls. */
	.revoke = fake_revoke,
};

static const struct store_ops fake_ops = {
	/* name: for messages. */
	.name = "fake",
	/* admin: the two ops above. */
	.admin = &fake_admin,
};

static const struct store_ops bare_ops = {
	/* name: a store without admin ops. */
	.name = "bare",
};

/* Four sessions of alice; "d" is the one just logged in. */
static void
fakes_reset(void)
{
	static const struct fake init[] = {
		{ "c", "wc", 300, 300, 0, 0 },
		{ "a", "wa", 100, 150, 0, 0 },
		{ "d", "wd", 300, 300, 0, 0 },
		{ "b", "wb", 200, 250, 0, 0 },
	};

	memcpy(fakes, init, sizeof init);
	nfakes = 4;
	revoked[0] = '\0';
}

/* Free a ws_id list. */
static void
ws_free(char **ws, long n)
{
	long	 i;

	for (i = 0; i < n; i++)
		free(ws[i]);
	free(ws);
}

/* One limit run: the result, the revoke calls and the ws_ids returned. */
static void
limit_case(const struct store_ops *ops, long max, enum store_result want,
    const char *calls, const char *ws_want)
{
	struct store	 st = { .ops = ops };
	struct session	*keep;
	char		**ws = NULL, *cause = NULL, got[64] = "";
	long		 n = 0, i;

	keep = session_from_store(xstrdup("secret"), xstrdup("wd"),
	    json_object());
	keep->user = xstrdup("alice");
	CHECK(store_user_limit(&st, NULL, keep, max, 1000, &ws, &n, &cause) ==
	    want);
	CHECK_STR(revoked, calls);
	for (i = 0; i < n; i++) {
		strcat(got, ws[i]);
		strcat(got, " ");
	}
	CHECK_STR(got, ws_want);
	ws_free(ws, n);
	free(cause);
	session_free(keep);
}

/* Oldest login first, ties by last seen, then id. */
static void
test_sort(void)
{
	struct store_user_session *v = NULL;
	struct store	 st = { .ops = &fake_ops };
	char		*cause = NULL;
	size_t		 n = 0;

	fakes_reset();
	fakes[2].access = 299;
	CHECK(fake_sessions(&st, NULL, "alice", 0, &v, &n, &cause) ==
	    STORE_OK);
	CHECK(n == 4);
	if (n == 4) {
		CHECK_STR(v[0].id, "a");
		CHECK_STR(v[1].id, "b");
		CHECK_STR(v[2].id, "d");
		CHECK_STR(v[3].id, "c");
	}
	store_user_free(v, n);
}

/* max_sessions_per_user: the oldest go, never the one just logged in. */
static void
test_limit(void)
{
	fakes_reset();
	limit_case(&fake_ops, 2, STORE_OK, "a b ", "wa wb ");
	fakes_reset();
	limit_case(&fake_ops, 1, STORE_OK, "a b c ", "wa wb wc ");
	fakes_reset();
	limit_case(&fake_ops, 4, STORE_OK, "", "");
	fakes_reset();
	limit_case(&fake_ops, 10, STORE_OK, "", "");
	/* The one just logged in is the oldest: it stays all the same. */
	fakes_reset();
	fakes[2].created = 1;
	limit_case(&fake_ops, 1, STORE_OK, "a b c ", "wa wb wc ");
	/* One ended meanwhile: it counts as ended, the others go on. */
	fakes_reset();
	fakes[1].gone = 1;
	limit_case(&fake_ops, 2, STORE_OK, "a b ", "wb ");
	/* A failure stops the run; what was ended is told. */
	fakes_reset();
	fakes[3].fails = 1;
	limit_case(&fake_ops, 1, STORE_ERROR, "a b ", "wa ");
	/* No limit, or a store that cannot list: nothing done. */
	fakes_reset();
	limit_case(&fake_ops, 0, STORE_OK, "", "");
	limit_case(&bare_ops, 1, STORE_OK, "", "");
}

int
main(void)
{
	test_sort();
	test_limit();
	return test_done("test_store_user");
}
