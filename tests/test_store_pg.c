/* Unit tests of the PostgreSQL store's static parts: a row back into a session. */
#include "autoconf.h"

#include "../lib/store_pg.c"

#include "../tests/test.h"

/* A one-row result of PG_COLUMNS; NULL columns where a value is NULL. */
static PGresult *
row(const char *const *values)
{
	static const char *const names[] = {
		"data", "username", "ws_id", "created", "access", "max_age",
		"version", "expires"
	};
	PGresAttDesc	 attrs[8];
	PGresult	*res;
	int		 i;

	memset(attrs, 0, sizeof attrs);
	for (i = 0; i < 8; i++) {
		attrs[i].name = (char *)names[i];
		attrs[i].format = 0;
		attrs[i].typlen = -1;
		attrs[i].atttypmod = -1;
	}
	res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	if (res == NULL || !PQsetResultAttrs(res, 8, attrs))
		return NULL;
	for (i = 0; i < 8; i++) {
		if (!PQsetvalue(res, 0, i, (char *)values[i],
		    values[i] == NULL ? -1 : (int)strlen(values[i]))) {
			PQclear(res);
			return NULL;
		}
	}
	return res;
}

/*
 * Rows as the store writes them today (and wrote them before the shared
 * session rules applied to it) still load; what breaks those rules (the
 * cookie's: ws id, user, times, data) does not.
 */
static void
test_session_from_row(void)
{
	static const struct {
		const char	*cols[8];	/* as PG_COLUMNS */
		int		 ok;
		long		 max_age;	/* expected, when ok */
	} cases[] = {
		{ { "{\"cart\": [1, 2]}", "alice", "q2bDpYw4-XRa_Hk1",
		    "1700000000", "1700000500", "0", "3", "1700002300" }, 1, 0 },
		{ { "{}", NULL, "AAAAAAAAAAAAAAAA", "1700000000", "1700000000",
		    "1209600", "1", "1701209600" }, 1, 1209600 },
		/* A row older than ws_id: a fresh one. */
		{ { "{\"a\": \"b\"}", "bob", NULL, "1", "2", "60", "9",
		    "1700000010" }, 1, 60 },
		{ { "[]", NULL, "AAAAAAAAAAAAAAAA", "1", "1", "0", "1", "9" }, 0,
		    0 },
		{ { "not json", NULL, NULL, "1", "1", "0", "1", "9" }, 0, 0 },
		/* The rules of every store. */
		{ { "{}", "", "AAAAAAAAAAAAAAAA", "1", "1", "0", "1", "9" }, 0,
		    0 },
		{ { "{}", "a\nb", "AAAAAAAAAAAAAAAA", "1", "1", "0", "1", "9" },
		    0, 0 },
		{ { "{}", NULL, "not a ws id", "1", "1", "0", "1", "9" }, 0, 0 },
		{ { "{}", NULL, "AAAAAAAAAAAAAAAA", "-5", "1", "0", "1", "9" },
		    0, 0 },
		{ { "{}", NULL, "AAAAAAAAAAAAAAAA", "1", "-1", "0", "1", "9" },
		    0, 0 },
		{ { "{}", NULL, "AAAAAAAAAAAAAAAA", "1", "1", "-1", "1", "9" },
		    0, 0 },
		{ { "{}", NULL, "AAAAAAAAAAAAAAAA", "1", "1", "315360001", "1",
		    "9" }, 0, 0 },
	};
	struct session	*s;
	PGresult	*res;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		res = row(cases[i].cols);
		CHECK(res != NULL);
		if (res == NULL)
			continue;
		s = pg_session_from_row(res, xstrdup("the-id"), 1700000000,
		    &cause);
		if ((s != NULL) != cases[i].ok)
			fprintf(stderr, "case %zu: %s\n", i,
			    cause != NULL ? cause : "accepted");
		CHECK((s != NULL) == cases[i].ok);
		CHECK(s != NULL || cause != NULL);
		if (s != NULL) {
			CHECK_STR(s->id, "the-id");
			CHECK((s->user == NULL) == (cases[i].cols[1] == NULL));
			if (cases[i].cols[1] != NULL)
				CHECK_STR(s->user, cases[i].cols[1]);
			CHECK(s->ws_id != NULL);
			if (cases[i].cols[2] != NULL)
				CHECK_STR(s->ws_id, cases[i].cols[2]);
			CHECK((long long)s->created ==
			    strtoll(cases[i].cols[3], NULL, 10));
			CHECK((long long)s->access ==
			    strtoll(cases[i].cols[4], NULL, 10));
			CHECK(s->max_age == cases[i].max_age);
			CHECK(s->version == strtoull(cases[i].cols[6], NULL,
			    10));
			CHECK(json_is_object(s->data));
		}
		session_free(s);
		free(cause);
		PQclear(res);
	}
}

int
main(void)
{
	log_init("test_store_pg", 0);
	log_set_level(LOG_LVL_WARN);
	test_session_from_row();
	return test_done("store_pg");
}
