/*
 * The login record (lib/session_client.c) on arbitrary bytes. Mode byte 0:
 * a client's REMOTE_ADDR or User-Agent, cleaned under a bound from the
 * next byte: always printable UTF-8 within it, idempotent, a prefix-wise
 * image of the input. Otherwise: a stored data object; a record it accepts
 * has printable strings, and no view a script gets holds it.
 */
#include "autoconf.h"

#include <jansson.h>

#include "fuzz.h"
#include "session.h"

FUZZ_INIT_QUIET

/* Clean a client string: the properties of session_client_clean. */
static void
fuzz_clean(const uint8_t *data, size_t size)
{
	char	*in, *out, *again;
	size_t	 max, i;

	if (size < 1)
		return;
	max = data[0];
	in = fuzz_cstr(data + 1, size - 1);
	out = session_client_clean(in, max);
	FUZZ_ASSERT(strlen(out) <= max);
	FUZZ_ASSERT(session_client_valid(out, strlen(out), max));
	for (i = 0; out[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	again = session_client_clean(out, max);
	FUZZ_ASSERT(strcmp(again, out) == 0);
	free(again);
	free(out);
	free(in);
}

/* A stored data object with a record. */
static void
fuzz_record(const uint8_t *data, size_t size)
{
	struct session	*s;
	json_error_t	 jerr;
	json_t		*d, *view;
	const char	*addr, *ua;
	char		*json;

	d = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (d == NULL || !json_is_object(d)) {
		json_decref(d);
		return;
	}
	if (session_client_check(d) != 0) {
		json_decref(d);
		return;
	}
	s = session_new(FUZZ_NOW);
	json_decref(s->data);
	s->data = d;
	session_client_get(s, &addr, &ua);
	FUZZ_ASSERT(addr == NULL || session_client_valid(addr, strlen(addr),
	    SESSION_CLIENT_ADDR_MAX));
	FUZZ_ASSERT(ua == NULL || session_client_valid(ua, strlen(ua),
	    SESSION_CLIENT_UA_MAX));
	view = session_client_view(s->data);
	FUZZ_ASSERT(json_object_get(view, SESSION_CLIENT_KEY) == NULL);
	json_decref(view);
	json = session_data_json(s);
	FUZZ_ASSERT(json[0] == '{');
	free(json);
	session_free(s);
}

/* One input: mode byte, then what it says. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 0)
		fuzz_clean(data + 1, size - 1);
	else
		fuzz_record(data + 1, size - 1);
	return 0;
}
