/*
 * A script's response: cgi_header_end and cgi_parse_headers as the request
 * loop calls them, then session_op_parse on every header and session_apply
 * of the operations in order to a fresh session, as req_headers does.
 * Whatever a script manages to put in a session must store and load back,
 * and headers passed on to the client must not split the response.
 */
#include "autoconf.h"

#include <sys/types.h>

#include <time.h>

#include "cgi.h"
#include "config.h"
#include "fuzz.h"
#include "session.h"

#define FUZZ_MAX_OPS	64

static struct config	 fuzz_cfg;

/* Default configuration (X-Replace-Session recognised), once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	config_init(&fuzz_cfg);
	return 0;
}

/* A header the client will see: a token name and a value without CR, LF, NUL. */
static void
fuzz_check_header(const struct cgi_header *h)
{
	const char	*p;

	FUZZ_ASSERT(*h->name != '\0');
	for (p = h->name; *p != '\0'; p++)
		FUZZ_ASSERT(*p > 0x20 && *p < 0x7f && *p != ':');
	FUZZ_ASSERT(strpbrk(h->value, "\r\n") == NULL);
}

/* The session after the script's operations must round-trip through a store. */
static void
fuzz_check_session(const struct session *s)
{
	struct session	*t;
	char		*json, *json2, *cause = NULL;

	FUZZ_ASSERT(json_is_object(s->data));
	FUZZ_ASSERT(s->id != NULL && s->ws_id != NULL);
	json = session_serialize(s);
	if ((t = session_deserialize(json, strlen(json), &cause)) == NULL)
		fprintf(stderr, "a script made a session that does not load "
		    "back: %s\n", cause);
	FUZZ_ASSERT(t != NULL);
	json2 = session_serialize(t);
	FUZZ_ASSERT(strcmp(json, json2) == 0);
	free(json);
	free(json2);
	session_free(t);
	json = session_data_json(s);
	free(json);
	json = session_form_encode(s);
	FUZZ_ASSERT(strpbrk(json, "\r\n") == NULL);
	free(json);
}

/* One script output (headers, maybe a body) per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_headers	 h;
	struct session_op	 ops[FUZZ_MAX_OPS];
	struct session		*s, *m;
	const char		*buf = (const char *)data;
	char			*cause = NULL;
	ssize_t			 end;
	size_t			 i, nops = 0;
	int			 rc;

	end = cgi_header_end(buf, size);
	FUZZ_ASSERT(end >= -1 && end <= (ssize_t)size);
	if (end <= 0)
		return 0;

	cgi_headers_init(&h);
	if (cgi_parse_headers(buf, end, &h, &cause) == -1) {
		FUZZ_ASSERT(cause != NULL && h.n == 0);
		free(cause);
		cgi_headers_free(&h);
		return 0;
	}
	for (i = 0; i < h.n; i++)
		fuzz_check_header(&h.v[i]);

	for (i = 0; i < h.n && nops < FUZZ_MAX_OPS; i++) {
		cause = NULL;
		rc = session_op_parse(h.v[i].name, h.v[i].value,
		    fuzz_cfg.session_header, &ops[nops], &cause);
		FUZZ_ASSERT(rc >= -1 && rc <= 1);
		if (rc == -1) {
			/* The whole response is refused (502) on one bad header. */
			FUZZ_ASSERT(cause != NULL);
			free(cause);
			goto out;
		}
		if (rc == 1)
			nops++;
	}

	s = session_new(FUZZ_NOW);
	for (i = 0; i < nops; i++)
		session_apply(s, &ops[i], FUZZ_NOW);
	fuzz_check_session(s);

	/* lock = merge: data operations re-applied on a newer stored copy. */
	m = session_new(FUZZ_NOW);
	for (i = 0; i < nops; i++) {
		if (session_op_is_data(&ops[i]))
			session_apply(m, &ops[i], FUZZ_NOW);
	}
	fuzz_check_session(m);
	session_free(m);
	session_free(s);

out:
	for (i = 0; i < nops; i++)
		session_op_clear(&ops[i]);
	cgi_headers_free(&h);
	return 0;
}
