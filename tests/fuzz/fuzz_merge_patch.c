/*
 * RFC 7396 JSON merge patch. The input is a target and a patch document,
 * split at the first NUL byte, else at the first newline. Checks the RFC's
 * idempotence, patch(patch(t, p), p) == patch(t, p), that a non-object patch
 * replaces the target, that members patched to null are gone, and that the
 * borrowed patch is left as it was.
 */
#include "autoconf.h"

#include "fuzz.h"
#include "session.h"

FUZZ_INIT_QUIET

/* Every member the (object) patch set to null is absent from the result. */
static void
fuzz_check_nulls(const json_t *result, const json_t *patch)
{
	const char	*key;
	json_t		*v;

	if (!json_is_object(patch))
		return;
	FUZZ_ASSERT(json_is_object(result));
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v))
			FUZZ_ASSERT(json_object_get(result, key) == NULL);
		else {
			FUZZ_ASSERT(json_object_get(result, key) != NULL);
			fuzz_check_nulls(json_object_get(result, key), v);
		}
	}
}

/* One target/patch pair per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data, *sep;
	json_t		*t, *p, *pcopy, *r1, *r2;
	json_error_t	 error;
	size_t		 tlen;

	if ((sep = memchr(buf, '\0', size)) == NULL &&
	    (sep = memchr(buf, '\n', size)) == NULL)
		return 0;
	tlen = sep - buf;
	t = json_loadb(buf, tlen, JSON_DECODE_ANY, &error);
	p = json_loadb(sep + 1, size - tlen - 1, JSON_DECODE_ANY, &error);
	if (t == NULL || p == NULL)
		goto out;
	pcopy = json_deep_copy(p);
	FUZZ_ASSERT(pcopy != NULL);

	r1 = session_op_merge_patch(json_deep_copy(t), p);
	FUZZ_ASSERT(r1 != NULL);
	r2 = session_op_merge_patch(json_deep_copy(r1), p);
	FUZZ_ASSERT(r2 != NULL);
	FUZZ_ASSERT(json_equal(r1, r2));
	if (!json_is_object(p))
		FUZZ_ASSERT(json_equal(r1, p));
	fuzz_check_nulls(r1, p);
	FUZZ_ASSERT(json_equal(p, pcopy));

	/* A NULL target (no data yet) is an empty one. */
	json_decref(r2);
	r2 = session_op_merge_patch(NULL, p);
	FUZZ_ASSERT(r2 != NULL);
	if (json_is_object(p))
		fuzz_check_nulls(r2, p);

	json_decref(r1);
	json_decref(r2);
	json_decref(pcopy);
out:
	json_decref(t);
	json_decref(p);
	return 0;
}
