/* Unit tests for src/save.c: when a request stores its session, and which cookie it sends. */
#include "autoconf.h"

#include "../src/save.h"
#include "../tests/test.h"

/* Shorthands for the tables. */
#define CH	SAVE_CHANGED
#define TO	SAVE_TOUCH
#define ID	SAVE_ID_CHANGED
#define DE	SAVE_DESTROYED
#define NE	SAVE_IS_NEW
#define EM	SAVE_EMPTY
#define SB	SAVE_STORED_BEFORE
#define LO	SAVE_LOADED
#define CS	SAVE_COOKIE_SENT
#define CB	SAVE_COOKIE_BAD
#define CL	SAVE_CLIENT_SIDE
#define MA	SAVE_MAX_AGE

/* Table of facts before the store is asked: store, delete the cookie, or nothing. */
static void
test_decide(void)
{
	static const struct {
		unsigned int		 facts;
		enum save_action	 action;
	} cases[] = {
		/* A fresh request that set nothing: no cookie at all. */
		{ NE | EM, SAVE_NOTHING },
		{ 0, SAVE_NOTHING },
		/* A fresh session that got data. */
		{ NE | CH, SAVE_STORE },
		/* Lazy: a change that leaves a new session empty stores nothing. */
		{ NE | EM | CH, SAVE_NOTHING },
		{ NE | EM | ID, SAVE_NOTHING },
		{ NE | EM | TO, SAVE_NOTHING },
		/* ... unless it was stored before or loaded. */
		{ EM | CH | SB, SAVE_STORE },
		{ EM | CH | LO | CS, SAVE_STORE },
		{ EM | TO | LO | CS, SAVE_STORE },
		/* A loaded session: changed, refreshed, new id, or untouched. */
		{ LO | CS | SB | CH, SAVE_STORE },
		{ LO | CS | SB | TO, SAVE_STORE },
		{ LO | CS | SB | ID, SAVE_STORE },
		{ LO | CS | SB, SAVE_NOTHING },
		{ LO | CS | SB | CL, SAVE_NOTHING },
		/* A bad cookie with nothing to store is deleted. */
		{ NE | EM | CS | CB, SAVE_DELETE_COOKIE },
		{ NE | EM | CS | CB | CL, SAVE_DELETE_COOKIE },
		/* A bad cookie flag without a cookie sent deletes nothing. */
		{ NE | EM | CB, SAVE_NOTHING },
		/* ... and with data to store, the new cookie replaces it. */
		{ NE | CH | CS | CB, SAVE_STORE },
		/* Logout into an empty session: nothing stored, cookie deleted. */
		{ DE | NE | EM | CH | LO | CS, SAVE_DELETE_COOKIE },
		{ DE | NE | EM | CH | SB, SAVE_DELETE_COOKIE },
		{ DE | NE | EM, SAVE_DELETE_COOKIE },
		{ DE | EM | CS | CB, SAVE_DELETE_COOKIE },
		/* Logout then new data in the same response: stored. */
		{ DE | NE | CH | LO | CS, SAVE_STORE },
		{ DE | NE | CH, SAVE_STORE },
		/* Logout with data but nothing changed (no flag): delete only. */
		{ DE | LO | CS, SAVE_DELETE_COOKIE },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (save_decide(cases[i].facts) != cases[i].action)
			fprintf(stderr, "decide case %zu (facts %#x)\n", i,
			    cases[i].facts);
		CHECK(save_decide(cases[i].facts) == cases[i].action);
	}
}

/* Table of facts once the store took or refused the session: the cookie. */
static void
test_cookie_after(void)
{
	static const struct {
		unsigned int		 facts;
		int			 stored;
		enum save_cookie	 cookie;
	} cases[] = {
		/* A loaded server-side session keeps its cookie. */
		{ LO | CS | SB | CH, 1, SAVE_COOKIE_NONE },
		{ LO | CS | SB | TO, 1, SAVE_COOKIE_NONE },
		/* The client-side store's cookie is the session: always sent. */
		{ LO | CS | SB | CH | CL, 1, SAVE_COOKIE_SET },
		{ LO | CS | SB | TO | CL, 1, SAVE_COOKIE_SET },
		/* New session, new id, persistent cookie, bad cookie, logout. */
		{ NE | CH, 1, SAVE_COOKIE_SET },
		{ LO | CS | SB | ID, 1, SAVE_COOKIE_SET },
		{ LO | CS | SB | CH | MA, 1, SAVE_COOKIE_SET },
		{ NE | CH | CS | CB, 1, SAVE_COOKIE_SET },
		{ CH | CB, 1, SAVE_COOKIE_SET },
		{ DE | NE | CH | LO | CS, 1, SAVE_COOKIE_SET },
		{ DE | CH, 1, SAVE_COOKIE_SET },
		/* Refused as too big: the previous session stands... */
		{ LO | CS | SB | CH, 0, SAVE_COOKIE_NONE },
		{ NE | CH, 0, SAVE_COOKIE_NONE },
		{ LO | CS | SB | ID, 0, SAVE_COOKIE_NONE },
		{ CH | CL | MA | CB, 0, SAVE_COOKIE_NONE },
		/* ... unless a logout ended it. */
		{ DE | NE | CH | LO | CS, 0, SAVE_COOKIE_DELETE },
		{ DE | CH | CL, 0, SAVE_COOKIE_DELETE },
	};
	size_t	 i;
	enum save_cookie	 got;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = save_cookie_after(cases[i].facts, cases[i].stored);
		if (got != cases[i].cookie)
			fprintf(stderr, "cookie case %zu (facts %#x, stored "
			    "%d): %d\n", i, cases[i].facts, cases[i].stored,
			    (int)got);
		CHECK(got == cases[i].cookie);
	}
}

int
main(void)
{
	test_decide();
	test_cookie_after();
	return test_done("test_save");
}
