/*
 * Fernet tokens and aiohttp's session JSON: fernet_decrypt on arbitrary
 * text, and the whole cookie_format = aiohttp load path (Fernet open,
 * session_aiohttp_decode, expiry) on it.
 *
 * The first byte picks what the rest is:
 *	0  the cookie value as a browser sends it;
 *	1  a plaintext session, sealed with the current key, then loaded;
 *	2  the same sealed with the retired key only: loads exactly when 1 does;
 *	3  the same sealed with a key not in the file: never loads.
 * Modes 1 to 3 reach session_aiohttp_decode with fuzzed bytes, which
 * random text can never do through the HMAC.
 */
#include "autoconf.h"

#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fernet.h"
#include "fuzz.h"
#include "fuzz_cookie_store.h"
#include "session.h"
#include "store.h"

#define FUZZ_FERNET_CURRENT	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define FUZZ_FERNET_OLD		"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM="
#define FUZZ_FERNET_OTHER	"c2Vzc2lvbndyYXAgZnV6eiBrZXkgbm90IGluIGZpbGU="

static struct fernet_keys	*fuzz_cur, *fuzz_old, *fuzz_other;
static struct keyring		*fuzz_keys;
static struct config		 fuzz_cfg;
static struct store		*fuzz_store;
static void			*fuzz_conn;

/* Die during set-up: a broken fixture is not a finding. */
static void
fuzz_setup_fail(const char *what, char *cause)
{
	fprintf(stderr, "fuzz_fernet: %s: %s\n", what,
	    cause != NULL ? cause : "?");
	exit(2);
}

/* Keys that must parse. */
static struct fernet_keys *
fuzz_fernet_keys(const char *text)
{
	struct fernet_keys	*fk;
	char			*cause = NULL;

	if ((fk = fernet_keys_parse(text, &cause)) == NULL)
		fuzz_setup_fail("fernet keys", cause);
	return fk;
}

/* Keys, a key file, a cookie_format = aiohttp configuration and its store. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char	 path[] = "/tmp/fuzz_fernet.XXXXXX", *cause = NULL;
	int	 fd;

	fuzz_quiet();
	fuzz_cur = fuzz_fernet_keys(FUZZ_FERNET_CURRENT);
	fuzz_old = fuzz_fernet_keys(FUZZ_FERNET_OLD);
	fuzz_other = fuzz_fernet_keys(FUZZ_FERNET_OTHER);
	if ((fuzz_keys = keyring_parse(FUZZ_SECRET_CURRENT, &cause)) == NULL)
		fuzz_setup_fail("keyring", cause);
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, FUZZ_FERNET_CURRENT "\n" FUZZ_FERNET_OLD "\n", 90) != 90)
		fuzz_setup_fail("key file", NULL);
	close(fd);
	config_init(&fuzz_cfg);
	if (config_set(&fuzz_cfg, "store", "cookie", &cause) != 0 ||
	    config_set(&fuzz_cfg, "cookie_name", "AIOHTTP_SESSION", &cause) ||
	    config_set(&fuzz_cfg, "cookie_format", "aiohttp", &cause) != 0 ||
	    config_set(&fuzz_cfg, "fernet_key_file", path, &cause) != 0 ||
	    config_set(&fuzz_cfg, "user_key", "AIOHTTP_SECURITY", &cause) != 0)
		fuzz_setup_fail("config", cause);
	fuzz_store = store_open(&fuzz_cfg, fuzz_keys, &cause);
	unlink(path);
	if (fuzz_store == NULL)
		fuzz_setup_fail("store_open", cause);
	if ((fuzz_conn = fuzz_store->ops->conn_new(fuzz_store, &cause)) == NULL)
		fuzz_setup_fail("conn_new", cause);
	return 0;
}

/* aiohttp's layout: the user and the reserved key never reach the data. */
static void
fuzz_more(const struct session *s, const struct session *t)
{
	FUZZ_ASSERT(json_object_get(s->data, "sessionwrap") == NULL);
	FUZZ_ASSERT(json_object_get(s->data, "AIOHTTP_SECURITY") == NULL);
	if (t == NULL)
		return;
	FUZZ_ASSERT(strcmp(t->ws_id, s->ws_id) == 0);
	FUZZ_ASSERT((t->user == NULL) == (s->user == NULL));
	FUZZ_ASSERT(s->user == NULL || strcmp(t->user, s->user) == 0);
	FUZZ_ASSERT(!t->changed);
}

/* Load a cookie value through the store; 1 when it gave a session. */
static int
fuzz_load(const char *cookie)
{
	return fuzz_cookie_load(fuzz_store, fuzz_conn, &fuzz_cfg, cookie,
	    fuzz_more);
}

/* Open arbitrary text, then load it as a cookie. */
static void
fuzz_open_text(const uint8_t *data, size_t size)
{
	unsigned char	*pt;
	size_t		 ptlen;
	char		*text;
	int		 rc;

	text = fuzz_cstr(data, size);
	rc = fernet_decrypt(fuzz_cur, text, strlen(text), 60, FUZZ_NOW, &pt,
	    &ptlen, NULL);
	FUZZ_ASSERT(rc == -1 || rc == 0);
	if (rc == 0)
		FUZZ_ASSERT(pt != NULL && pt[ptlen] == '\0');
	else
		FUZZ_ASSERT(pt == NULL && ptlen == 0);
	free(pt);
	(void)fuzz_load(text);
	free(text);
}

/* Seal a plaintext with `keys` (stamped just before now), then load it. */
static int
fuzz_seal_and_load(const struct fernet_keys *keys, const uint8_t *data,
    size_t size)
{
	unsigned char	*pt;
	size_t		 ptlen;
	char		*token;
	int		 loaded, rc;

	token = fernet_encrypt(keys, data, size, FUZZ_NOW - 5);
	rc = fernet_decrypt(keys, token, strlen(token), 60, FUZZ_NOW, &pt,
	    &ptlen, NULL);
	/* Sealing then opening gives the plaintext back, byte for byte. */
	FUZZ_ASSERT(rc == 0 && ptlen == size && memcmp(pt, data, size) == 0);
	free(pt);
	FUZZ_ASSERT(fernet_decrypt(keys, token, strlen(token), 60,
	    FUZZ_NOW - 70, &pt, &ptlen, NULL) == -1);	/* future-dated */
	FUZZ_ASSERT(fernet_decrypt(keys, token, strlen(token), 1,
	    FUZZ_NOW, &pt, &ptlen, NULL) == -1);	/* expired */
	loaded = fuzz_load(token);
	free(token);
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
		(void)fuzz_seal_and_load(fuzz_cur, data + 1, size - 1);
		break;
	case 2:
		/* Rotation: the retired key opens what the current one would. */
		FUZZ_ASSERT(fuzz_seal_and_load(fuzz_old, data + 1, size - 1) ==
		    fuzz_seal_and_load(fuzz_cur, data + 1, size - 1));
		break;
	case 3:
		FUZZ_ASSERT(fuzz_seal_and_load(fuzz_other, data + 1,
		    size - 1) == 0);
		break;
	}
	return 0;
}
