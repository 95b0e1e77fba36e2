/*
 * Sealed session cookies: crypto_open on arbitrary text, and the whole cookie
 * store load path (open, decrypt, session_deserialize, expiry) on it.
 *
 * The first byte picks what the rest is:
 *	0  the cookie value as a browser sends it (also tried as a signed id);
 *	1  a plaintext session, sealed with the current key, then loaded;
 *	2  the same sealed with the retired key only (rotation);
 *	3  the same sealed for another cookie name: must never load.
 * Modes 1 to 3 reach session_deserialize with fuzzed bytes, which random
 * text can never do through AES-GCM.
 */
#include "autoconf.h"

#include <time.h>

#include "config.h"
#include "crypto.h"
#include "fuzz.h"
#include "fuzz_cookie_store.h"
#include "session.h"
#include "store.h"

static struct keyring	*fuzz_keys;	/* current + old: what the server loads */
static struct keyring	*fuzz_old;	/* the old key alone: cookies made before */
static struct config	 fuzz_cfg;
static struct store	*fuzz_store;
static void		*fuzz_conn;

/* Die during set-up: a broken fixture is not a finding. */
static void
fuzz_setup_fail(const char *what, char *cause)
{
	fprintf(stderr, "fuzz_cookie_open: %s: %s\n", what,
	    cause != NULL ? cause : "?");
	exit(2);
}

/* Keys, a store = cookie configuration and its store, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char	*cause = NULL;

	fuzz_quiet();
	if ((fuzz_keys = keyring_parse(FUZZ_SECRET_CURRENT "\n"
	    FUZZ_SECRET_OLD "\n", &cause)) == NULL)
		fuzz_setup_fail("keyring", cause);
	if ((fuzz_old = keyring_parse(FUZZ_SECRET_OLD, &cause)) == NULL)
		fuzz_setup_fail("keyring", cause);
	config_init(&fuzz_cfg);
	if (config_set(&fuzz_cfg, "store", "cookie", &cause) != 0 ||
	    config_set(&fuzz_cfg, "cookie_name", "sessionwrap", &cause) != 0)
		fuzz_setup_fail("config", cause);
	if ((fuzz_store = store_open(&fuzz_cfg, fuzz_keys, &cause)) == NULL)
		fuzz_setup_fail("store_open", cause);
	if ((fuzz_conn = fuzz_store->ops->conn_new(fuzz_store, &cause)) == NULL)
		fuzz_setup_fail("conn_new", cause);
	return 0;
}

/* Load a cookie value through the store; 1 when it gave a session. */
static int
fuzz_load(const char *cookie)
{
	return fuzz_cookie_load(fuzz_store, fuzz_conn, &fuzz_cfg, cookie, NULL);
}

/* Decrypt arbitrary text, then load it as a cookie. */
static void
fuzz_open_text(const uint8_t *data, size_t size)
{
	unsigned char	*pt;
	size_t		 ptlen;
	char		*text, *id;

	text = fuzz_cstr(data, size);
	if (crypto_open(fuzz_keys, "sessionwrap", text, &pt, &ptlen) == 0) {
		FUZZ_ASSERT(pt != NULL && pt[ptlen] == '\0');
		free(pt);
	} else
		FUZZ_ASSERT(pt == NULL && ptlen == 0);
	(void)fuzz_load(text);

	/* Server stores' cookie: a signed id "id.mac" is the other decode path. */
	if (store_verify_id(fuzz_keys, text, &id) == 0) {
		FUZZ_ASSERT(id != NULL && strlen(id) == 24);
		FUZZ_ASSERT(strncmp(text, id, 24) == 0 && text[24] == '.');
		free(id);
	} else
		FUZZ_ASSERT(id == NULL);
	free(text);
}

/* Seal a plaintext session with `keys` for cookie `aad`, then load it. */
static int
fuzz_seal_and_load(const struct keyring *keys, const char *aad,
    const uint8_t *data, size_t size)
{
	unsigned char	*pt;
	size_t		 ptlen;
	char		*sealed;
	int		 loaded;

	sealed = crypto_seal(keys, aad, data, size);
	if (strcmp(aad, "sessionwrap") == 0) {
		/* Sealing then opening gives the plaintext back, byte for byte. */
		FUZZ_ASSERT(crypto_open(fuzz_keys, aad, sealed, &pt,
		    &ptlen) == 0);
		FUZZ_ASSERT(ptlen == size && memcmp(pt, data, size) == 0);
		free(pt);
	} else
		FUZZ_ASSERT(crypto_open(fuzz_keys, "sessionwrap", sealed, &pt,
		    &ptlen) != 0);
	loaded = fuzz_load(sealed);
	free(sealed);
	return loaded;
}

/* One input: a mode byte and its payload. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_open_text(data + 1, size - 1);
		break;
	case 1:
		(void)fuzz_seal_and_load(fuzz_keys, "sessionwrap", data + 1,
		    size - 1);
		break;
	case 2:
		(void)fuzz_seal_and_load(fuzz_old, "sessionwrap", data + 1,
		    size - 1);
		break;
	case 3:
		/* AES-GCM is bound to the cookie name: another name's value never loads. */
		FUZZ_ASSERT(fuzz_seal_and_load(fuzz_keys, "sessionwrap_other",
		    data + 1, size - 1) == 0);
		break;
	}
	return 0;
}
