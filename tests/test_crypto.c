/* Unit tests for lib/crypto.c: keyrings, sealing, MACs and base64url. */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/crypto.h"
#include "../tests/test.h"

#define SECRET_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SECRET_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NAME		"sessionwrap"

/* Parse a keyring that must be valid. */
static struct keyring *
test_keys(const char *text)
{
	struct keyring	*kr;
	char		*cause = NULL;

	kr = keyring_parse(text, &cause);
	if (kr == NULL) {
		fprintf(stderr, "keyring_parse: %s\n", cause);
		free(cause);
		exit(1);
	}
	return kr;
}

/* Cases for keyring_parse: text, keys expected (0: error), error text. */
static void
test_keyring_parse(void)
{
	static const struct {
		const char	*text;
		size_t		 count;
		const char	*cause;
	} cases[] = {
		{ SECRET_A, 1, NULL },
		{ SECRET_A "\n", 1, NULL },
		{ SECRET_A "\r\n" SECRET_B "\r\n", 2, NULL },
		{ "# comment\n\n   \t\n  " SECRET_A "  \n# " SECRET_B "\n", 1,
		    NULL },
		{ "#x\n" SECRET_A "\n\n" SECRET_B "\n  # last\n", 2, NULL },
		{ "0123456789012345678901234567890", 0,
		    "line 1: secret too short (31 characters, need at least 32;"
		    " generate one with: sessionwrap-ctl keygen)" },
		{ "01234567890123456789012345678901", 1, NULL },
		{ "# c\n" SECRET_A "\n\nshort\n", 0,
		    "line 4: secret too short (5 characters, need at least 32;"
		    " generate one with: sessionwrap-ctl keygen)" },
		{ "", 0, "no keys" },
		{ "\n\n  \n", 0, "no keys" },
		{ "# only a comment\n#" SECRET_A "\n", 0, "no keys" },
	};
	struct keyring	*kr;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		kr = keyring_parse(cases[i].text, &cause);
		CHECK(keyring_count(kr) == cases[i].count);
		CHECK_STR(cause, cases[i].cause);
		CHECK((kr == NULL) == (cases[i].count == 0));
		keyring_free(kr);
		free(cause);
	}
	CHECK(keyring_count(NULL) == 0);
	keyring_free(NULL);
}

/* keyring_load from files: good, empty, missing. */
static void
test_keyring_load(void)
{
	char		 path[] = "/tmp/sw-test-crypto-XXXXXX";
	struct keyring	*kr;
	char		*cause = NULL, *want;
	int		 fd;
	FILE		*f;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(1);
	}
	f = fdopen(fd, "w");
	fprintf(f, "# keys\n%s\n%s\n", SECRET_B, SECRET_A);
	fclose(f);
	chmod(path, 0600);
	kr = keyring_load(path, &cause);
	CHECK(kr != NULL);
	CHECK(keyring_count(kr) == 2);
	CHECK(cause == NULL);
	keyring_free(kr);

	f = fopen(path, "w");
	fclose(f);
	kr = keyring_load(path, &cause);
	CHECK(kr == NULL);
	if (asprintf(&want, "%s: no keys", path) == -1)
		exit(1);
	CHECK_STR(cause, want);
	free(want);
	free(cause);
	cause = NULL;

	f = fopen(path, "w");
	fprintf(f, "%s\nabc\n", SECRET_A);
	fclose(f);
	kr = keyring_load(path, &cause);
	CHECK(kr == NULL);
	CHECK(cause != NULL && strstr(cause, ": line 2: secret too short") !=
	    NULL);
	free(cause);
	cause = NULL;

	unlink(path);
	kr = keyring_load(path, &cause);
	CHECK(kr == NULL);
	CHECK(cause != NULL && strstr(cause, "No such file") != NULL);
	free(cause);
	cause = NULL;

	kr = keyring_load("/tmp", &cause);
	CHECK(kr == NULL);
	CHECK(cause != NULL);
	free(cause);
}

/* RFC 4648 vectors plus the url-safe alphabet and strictness. */
static void
test_b64url(void)
{
	static const struct {
		const char	*raw;
		size_t		 len;
		const char	*text;
	} good[] = {
		{ "", 0, "" },
		{ "f", 1, "Zg" },
		{ "fo", 2, "Zm8" },
		{ "foo", 3, "Zm9v" },
		{ "foob", 4, "Zm9vYg" },
		{ "fooba", 5, "Zm9vYmE" },
		{ "foobar", 6, "Zm9vYmFy" },
		{ "\xfb\xff", 2, "-_8" },
		{ "\xff\xff\xff", 3, "____" },
		{ "\0\0\0", 3, "AAAA" },
		{ "\0", 1, "AA" },
	};
	static const char *const bad[] = {
		"Zg==", "Zm8=", "Z", "Zm9vY", "Zm9v+A", "Zm9v/A", "Zm 9v",
		"Zh", "Zm9", "Zm9vYh", "Zm9v\n", "=", "Zm9v=", "\xc3\xa9\xc3\xa9",
	};
	unsigned char	*out;
	size_t		 i, outlen;
	char		*text;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		text = b64url_encode(good[i].raw, good[i].len);
		CHECK_STR(text, good[i].text);
		free(text);
		CHECK(b64url_decode(good[i].text, strlen(good[i].text), &out,
		    &outlen) == 0);
		CHECK(outlen == good[i].len);
		CHECK(out != NULL && memcmp(out, good[i].raw, outlen) == 0);
		CHECK(out != NULL && out[outlen] == '\0');
		free(out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		out = (unsigned char *)"x";
		CHECK(b64url_decode(bad[i], strlen(bad[i]), &out, &outlen) ==
		    -1);
		CHECK(out == NULL);
	}
	/* A NUL inside the given length is not base64url. */
	CHECK(b64url_decode("Zm\0v", 4, &out, &outlen) == -1);
	/* Only len characters are read. */
	CHECK(b64url_decode("Zm9vYmFy", 4, &out, &outlen) == 0);
	CHECK(outlen == 3 && memcmp(out, "foo", 3) == 0);
	free(out);
}

/* The alphabet check: all 64 characters, nothing else, only len bytes. */
static void
test_b64url_valid(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 valid;
	} cases[] = {
		{ "", 0, 1 },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		    64, 1 },
		{ "Zm9v", 4, 1 },
		{ "Zm9v+", 5, 0 },
		{ "Zm9v/", 5, 0 },
		{ "Zm9v=", 5, 0 },
		{ "Zm 9v", 5, 0 },
		{ "Zm\0v", 4, 0 },
		{ "\xc3\xa9", 2, 0 },
		{ "Zm9v.x", 4, 1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK((b64url_valid(cases[i].in, cases[i].len) != 0) ==
		    cases[i].valid);
}

/* Sealing and opening: round trips and every kind of bad input. */
static void
test_seal(void)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 100, 3000 };
	struct keyring	*kr, *other;
	unsigned char	*pt, *raw, buf[3000];
	size_t		 i, j, len, rawlen;
	char		*sealed, *sealed2, *t, *copy;
	int		 ok;

	kr = test_keys(SECRET_A "\n");
	other = test_keys(SECRET_B "\n");
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 7);

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		sealed = crypto_seal(kr, NAME, buf, lens[i]);
		/* 1 + 4 + 12 + 16 header/tag bytes in base64url. */
		CHECK(strlen(sealed) == ((33 + lens[i]) * 4 + 2) / 3);
		CHECK(crypto_open(kr, NAME, sealed, &pt, &len) == 0);
		CHECK(len == lens[i]);
		CHECK(pt != NULL && memcmp(pt, buf, len) == 0 &&
		    pt[len] == '\0');
		free(pt);
		/* Same plaintext, fresh nonce: never the same value. */
		sealed2 = crypto_seal(kr, NAME, buf, lens[i]);
		CHECK(strcmp(sealed, sealed2) != 0);
		free(sealed2);
		free(sealed);
	}

	sealed = crypto_seal(kr, NAME, "{\"a\":1}", 7);

	/* Bound to the cookie name. */
	CHECK(crypto_open(kr, "sessionwrapx", sealed, &pt, &len) == -1);
	CHECK(pt == NULL && len == 0);
	CHECK(crypto_open(kr, "sessionwra", sealed, &pt, &len) == -1);
	CHECK(crypto_open(kr, "", sealed, &pt, &len) == -1);
	/* Another key. */
	CHECK(crypto_open(other, NAME, sealed, &pt, &len) == -1);
	/* Empty, garbage, bad base64url, NULL. */
	CHECK(crypto_open(kr, NAME, "", &pt, &len) == -1);
	CHECK(crypto_open(kr, NAME, "garbage", &pt, &len) == -1);
	CHECK(crypto_open(kr, NAME, "!!!!", &pt, &len) == -1);
	CHECK(crypto_open(kr, NAME, "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    &pt, &len) == -1);
	CHECK(crypto_open(kr, NAME, NULL, &pt, &len) == -1);
	CHECK(crypto_open(NULL, NAME, sealed, &pt, &len) == -1);

	/* Truncated at every length. */
	for (i = 0; i < strlen(sealed); i++) {
		t = strndup(sealed, i);
		ok = crypto_open(kr, NAME, t, &pt, &len);
		CHECK(ok == -1);
		if (ok == 0)
			free(pt);
		free(t);
	}
	/* Extra characters. */
	if (asprintf(&t, "%sAA", sealed) == -1)
		exit(1);
	CHECK(crypto_open(kr, NAME, t, &pt, &len) == -1);
	free(t);

	/* Every byte of the raw value flipped, then re-encoded. */
	CHECK(b64url_decode(sealed, strlen(sealed), &raw, &rawlen) == 0);
	CHECK(rawlen == 33 + 7);
	CHECK(raw[0] == 0x01);
	for (i = 0; i < rawlen; i++) {
		for (j = 0; j < 8; j += 7) {
			raw[i] ^= 1 << j;
			t = b64url_encode(raw, rawlen);
			ok = crypto_open(kr, NAME, t, &pt, &len);
			CHECK(ok == -1);
			if (ok == 0)
				free(pt);
			free(t);
			raw[i] ^= 1 << j;
		}
	}
	free(raw);
	/* Every character of the text replaced. */
	copy = strdup(sealed);
	for (i = 0; i < strlen(copy); i++) {
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		ok = crypto_open(kr, NAME, copy, &pt, &len);
		CHECK(ok == -1);
		if (ok == 0)
			free(pt);
		copy[i] = sealed[i];
	}
	free(copy);

	free(sealed);
	keyring_free(other);
	keyring_free(kr);
}

/* Rotation: a new first key seals, old keys still open and verify. */
static void
test_rotation(void)
{
	struct keyring	*old, *rotated, *dropped;
	unsigned char	*pt, *raw_old, *raw_new, mac[CRYPTO_MAC_LEN];
	size_t		 len, rawlen;
	char		*by_old, *by_new;

	old = test_keys(SECRET_A "\n");
	rotated = test_keys(SECRET_B "\n" SECRET_A "\n");
	dropped = test_keys(SECRET_B "\n");

	by_old = crypto_seal(old, NAME, "old", 3);
	by_new = crypto_seal(rotated, NAME, "new", 3);

	CHECK(crypto_open(rotated, NAME, by_old, &pt, &len) == 0);
	CHECK(len == 3 && memcmp(pt, "old", 3) == 0);
	free(pt);
	CHECK(crypto_open(rotated, NAME, by_new, &pt, &len) == 0);
	CHECK(len == 3 && memcmp(pt, "new", 3) == 0);
	free(pt);
	CHECK(crypto_open(old, NAME, by_new, &pt, &len) == -1);
	CHECK(crypto_open(dropped, NAME, by_new, &pt, &len) == 0);
	free(pt);
	CHECK(crypto_open(dropped, NAME, by_old, &pt, &len) == -1);

	/* The key tags differ, so the new key sealed by_new. */
	CHECK(b64url_decode(by_old, strlen(by_old), &raw_old, &rawlen) == 0);
	CHECK(b64url_decode(by_new, strlen(by_new), &raw_new, &rawlen) == 0);
	CHECK(memcmp(raw_old + 1, raw_new + 1, 4) != 0);
	free(raw_old);
	free(raw_new);
	free(by_old);
	free(by_new);

	/* MACs: made with the old key, verified after rotation. */
	crypto_mac(old, CRYPTO_SIGN, "id", 2, mac);
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 32) == 0);
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 16) == 0);
	CHECK(crypto_mac_verify(old, CRYPTO_SIGN, "id", 2, mac, 32) == 0);
	CHECK(crypto_mac_verify(dropped, CRYPTO_SIGN, "id", 2, mac, 32) == -1);
	CHECK(crypto_mac_verify(rotated, CRYPTO_PUBLIC, "id", 2, mac, 32) ==
	    -1);
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "ie", 2, mac, 32) == -1);
	/* Too short a truncation is refused outright. */
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 15) == -1);
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 0) == -1);
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 33) == -1);
	mac[31] ^= 1;
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 32) == -1);
	CHECK(crypto_mac_verify(rotated, CRYPTO_SIGN, "id", 2, mac, 16) == 0);
	/* Made with the new key: the old keyring does not know it. */
	crypto_mac(rotated, CRYPTO_SIGN, "id", 2, mac);
	CHECK(crypto_mac_verify(old, CRYPTO_SIGN, "id", 2, mac, 32) == -1);
	CHECK(crypto_mac_verify(dropped, CRYPTO_SIGN, "id", 2, mac, 32) == 0);

	/* Which key matched: 0 for the current one, else re-key. */
	CHECK(crypto_mac_verify_key(rotated, CRYPTO_SIGN, "id", 2, mac, 32) ==
	    0);
	crypto_mac(old, CRYPTO_SIGN, "id", 2, mac);
	CHECK(crypto_mac_verify_key(rotated, CRYPTO_SIGN, "id", 2, mac, 32) ==
	    1);
	CHECK(crypto_mac_verify_key(old, CRYPTO_SIGN, "id", 2, mac, 16) == 0);
	CHECK(crypto_mac_verify_key(dropped, CRYPTO_SIGN, "id", 2, mac, 32) ==
	    -1);
	CHECK(crypto_mac_verify_key(rotated, CRYPTO_SIGN, "id", 2, mac, 15) ==
	    -1);

	keyring_free(dropped);
	keyring_free(rotated);
	keyring_free(old);
}

/* Unkeyed labelled hashes: lengths, labels, known value. */
static void
test_hash_hex(void)
{
	char	*a, *b, *c;

	a = crypto_hash_hex("label", "secret", 32);
	b = crypto_hash_hex("label", "secret", 64);
	c = crypto_hash_hex("other", "secret", 64);
	CHECK(strlen(a) == 32 && strlen(b) == 64);
	CHECK(strncmp(a, b, 32) == 0);
	CHECK(strcmp(b, c) != 0);
	/* SHA-256 of "label\0secret" (the NUL parts label from data). */
	CHECK_STR(b, "2e44c5da00e42b0fc782b8270c2feefd249923927384fbb26717ddfb0ece9d90");
	free(a);
	free(b);
	free(c);
	a = crypto_hash_hex("lab", "elsecret", 64);
	c = crypto_hash_hex("label", "secret", 64);
	CHECK(strcmp(a, c) != 0);
	free(a);
	free(c);
}

/* Keyed hex hashes: lengths, purposes, keys, determinism. */
static void
test_mac_hex(void)
{
	struct keyring	*a, *a2, *rotated;
	char		*h1, *h2, *h3;
	size_t		 i;

	a = test_keys(SECRET_A);
	a2 = test_keys("# same key again\n  " SECRET_A "\t\n");
	rotated = test_keys(SECRET_B "\n" SECRET_A);

	h1 = crypto_mac_hex(a, CRYPTO_STOREKEY, "some-id", 64);
	CHECK(strlen(h1) == 64);
	for (i = 0; i < 64; i++)
		CHECK(strchr("0123456789abcdef", h1[i]) != NULL);
	h2 = crypto_mac_hex(a2, CRYPTO_STOREKEY, "some-id", 64);
	CHECK_STR(h1, h2);
	free(h2);
	h2 = crypto_mac_hex(a, CRYPTO_STOREKEY, "some-id", 32);
	CHECK(strlen(h2) == 32 && strncmp(h1, h2, 32) == 0);
	free(h2);
	h2 = crypto_mac_hex(a, CRYPTO_PUBLIC, "some-id", 64);
	CHECK(strcmp(h1, h2) != 0);
	free(h2);
	h2 = crypto_mac_hex(a, CRYPTO_STOREKEY, "some-ie", 64);
	CHECK(strcmp(h1, h2) != 0);
	free(h2);
	h2 = crypto_mac_hex(rotated, CRYPTO_STOREKEY, "some-id", 64);
	h3 = crypto_mac_hex_key(rotated, 1, CRYPTO_STOREKEY, "some-id", 64);
	CHECK(strcmp(h1, h2) != 0);
	CHECK_STR(h1, h3);
	free(h3);
	h3 = crypto_mac_hex_key(rotated, 0, CRYPTO_STOREKEY, "some-id", 64);
	CHECK_STR(h2, h3);
	free(h3);
	free(h2);
	free(h1);

	keyring_free(rotated);
	keyring_free(a2);
	keyring_free(a);
}

/*
 * Keyed hashes against values computed apart from OpenSSL (HKDF-SHA256 of
 * the secret line with salt "sessionwrap", then HMAC-SHA256, as in
 * Python's hmac module), and unchanged however the per-thread contexts are
 * reused: many keys in turn, more than the contexts kept.
 */
static void
test_mac_known(void)
{
	static const char *const secrets[] = {
		SECRET_A, SECRET_B,
		"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
	};
	struct keyring	*kr[5];
	char		*first[5][2], *h;
	size_t		 i, j, round;

	for (i = 0; i < 5; i++)
		kr[i] = test_keys(secrets[i]);
	h = crypto_mac_hex(kr[0], CRYPTO_STOREKEY, "some-id", 64);
	CHECK_STR(h, "d04e6919a69d0df1326824745f870cfbcc35067e7b3072f035fb499509ef532c");
	free(h);
	h = crypto_mac_hex(kr[0], CRYPTO_PUBLIC, "some-id", 64);
	CHECK_STR(h, "f3e443b25b5e7773570b0146c6f6d1a7199ebceab52c068bf6ef950d2b3f514c");
	free(h);

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 5; i++) {
			for (j = 0; j < 2; j++) {
				h = crypto_mac_hex(kr[i], j ? CRYPTO_PUBLIC :
				    CRYPTO_STOREKEY, "some-id", 64);
				if (round == 0)
					first[i][j] = h;
				else {
					CHECK_STR(h, first[i][j]);
					free(h);
				}
			}
		}
	}
	for (i = 0; i < 5; i++) {
		free(first[i][0]);
		free(first[i][1]);
		keyring_free(kr[i]);
	}
}

/* keygen, random ids, memeq, wipe. */
static void
test_misc(void)
{
	struct keyring	*kr;
	char		*k1, *k2, *id;
	unsigned char	 b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t		 i;

	k1 = crypto_keygen();
	k2 = crypto_keygen();
	CHECK(strlen(k1) == 64);
	for (i = 0; i < 64; i++)
		CHECK(strchr("0123456789abcdef", k1[i]) != NULL);
	CHECK(strcmp(k1, k2) != 0);
	kr = test_keys(k1);
	CHECK(keyring_count(kr) == 1);
	keyring_free(kr);
	free(k2);
	free(k1);

	id = crypto_random_id(18);
	CHECK(strlen(id) == 24);
	CHECK(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == 24);
	free(id);

	CHECK(crypto_memeq("abc", "abc", 3));
	CHECK(!crypto_memeq("abc", "abd", 3));
	CHECK(crypto_memeq("a", "b", 0));
	crypto_wipe(b, sizeof b);
	for (i = 0; i < sizeof b; i++)
		CHECK(b[i] == 0);
	crypto_wipe(NULL, 0);
}

int
main(void)
{
	test_keyring_parse();
	test_keyring_load();
	test_b64url();
	test_b64url_valid();
	test_seal();
	test_rotation();
	test_mac_hex();
	test_hash_hex();
	test_mac_known();
	test_misc();
	return test_done("crypto");
}
