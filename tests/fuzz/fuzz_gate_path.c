/*
 * The gate's readers of client bytes: the path normaliser, next=, the
 * protected check and the Origin parser, on one input taken as a
 * REQUEST_URI (and an Origin). Checked: a normalised path begins with '/',
 * has no empty, "." or ".." segment and normalises to itself; next=
 * decodes to a path that begins with one '/' and no backslash; a request
 * whose normalised path is under the protected prefix is protected; a
 * parsed Origin host is non-empty, inside the input, without '@'.
 *
 * The first byte's low bit says whether the normaliser decodes %XX.
 *
 * Depends on (reached by including src/gate.c and src/csrf.c):
 * gate_path_normalise, gate_next, gate_protected, csrf_origin_host.
 */
#include "autoconf.h"

#include "../../src/gate.c"
#include "../../src/csrf.c"

#include "fuzz.h"

/* The request of this iteration: REQUEST_URI and nothing else. */
static const char *
fuzz_getenv(void *ctx, const char *name)
{
	return strcmp(name, "REQUEST_URI") == 0 ? ctx : NULL;
}

/* Abort on a broken property: libFuzzer keeps the input. */
static void
fuzz_check(int ok, const char *what, const char *in)
{
	if (!ok) {
		fprintf(stderr, "fuzz_gate_path: %s: \"%s\"\n", what, in);
		abort();
	}
}

/* A normalised path's shape: /, no "//", no "." or ".." segment. */
static void
fuzz_check_norm(const char *norm, const char *in)
{
	char	*again;

	fuzz_check(norm[0] == '/', "no leading /", in);
	fuzz_check(strstr(norm, "//") == NULL, "// left", in);
	fuzz_check(strstr(norm, "/./") == NULL && strstr(norm, "/../") == NULL,
	    "dot segment left", in);
	fuzz_check(!(strlen(norm) >= 2 && strcmp(norm + strlen(norm) - 2,
	    "/.") == 0) && !(strlen(norm) >= 3 &&
	    strcmp(norm + strlen(norm) - 3, "/..") == 0), "dot at the end", in);
	fuzz_check(gate_path_normalise(norm, strlen(norm), 0, &again) == 0 &&
	    strcmp(again, norm) == 0, "not idempotent", in);
	free(again);
}

/* One input: see the top of the file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg;
	const char	*host;
	char		*in, *norm, *next, *dec;
	size_t		 hl;

	if (size < 1 || size > 4096)
		return 0;
	in = xstrndup((const char *)data + 1, size - 1);
	if (gate_path_normalise(in, strlen(in), data[0] & 1, &norm) == 0) {
		fuzz_check_norm(norm, in);
		free(norm);
	}
	next = gate_next(fuzz_getenv, in);
	dec = url_decode(next, strlen(next));
	fuzz_check(dec != NULL && dec[0] == '/' && dec[1] != '/' &&
	    dec[1] != '\\', "next= not a local path", in);
	free(dec);
	free(next);
	memset(&cfg, 0, sizeof cfg);
	cfg.login_required = "/p/";
	if (in[0] == '/' && gate_path_normalise(in, strcspn(in, "?#"), 1,
	    &norm) == 0) {
		if (strncasecmp(norm, "/p/", 3) == 0)
			fuzz_check(gate_protected(&cfg, fuzz_getenv, in, 0),
			    "a path under the prefix is not protected", in);
		free(norm);
	}
	if (csrf_origin_host(in, &host, &hl) == 0)
		fuzz_check(hl > 0 && host > in && host + hl <= in + strlen(in) &&
		    memchr(host, '@', hl) == NULL, "Origin host", in);
	free(in);
	return 0;
}
