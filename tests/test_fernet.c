/*
 * Unit tests for lib/fernet.c (tokens checked against Python's
 * cryptography.fernet) and lib/session_aiohttp.c (aiohttp-session's JSON).
 * Includes fernet.c to build tokens with a valid MAC but a bad inside.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fernet.c"
#include "../lib/config.h"
#include "../lib/cookie.h"
#include "../lib/session.h"
#include "../lib/session_aiohttp.h"
#include "../tests/test.h"

/* base64url of bytes 0..31 and of 100..131. */
#define KEY1	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY2	"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM="
#define T	1700000000L

/* Fernet(KEY1)._encrypt_from_parts(pt, T, bytes(range(16))) in Python. */
#define TOK_HELLO "gAAAAABlU_EAAAECAwQFBgcICQoLDA0OD4_9EBVfNSDZ7XtRxaHNdkXtnpiOvB" \
	"p_5rgCTWkWJ4a71RudAww7-qtFixrYFculFQ=="
#define TOK_EMPTY "gAAAAABlU_EAAAECAwQFBgcICQoLDA0OD7eteCFsVWnW2hqrh_bbxWG2kgARxH" \
	"n5BD1_8db41B-9AjTeFsfNLWkqNE3aSOKVfQ=="
#define TOK_BLOCK "gAAAAABlU_EAAAECAwQFBgcICQoLDA0OD8zTj7aYw76sT2BMihR6GOexJN0dCt" \
	"8_pFiKdeB6QS9WSil_St2l-tGwzFGGRHes2xrVyF4iCTB-W-h2hFcie1g="
#define TOK_JSON "gAAAAABlU_EAAAECAwQFBgcICQoLDA0ODymC8farCXFMp5vXroIiG0nWJy-rP_" \
	"YfEhLGdsHgHLL9ovxxjc_JBPStjR8WYBj_5Fp_mnuxCvndeztWpf7NsO4JbJxktcn55-nhh" \
	"w-cC3cpiA2iSFi09M1nLd13mU6UfovmYqDerTnIJY6lxw_idb8="
#define PT_JSON	"{\"created\": 1700000000, \"session\": " \
	"{\"AIOHTTP_SECURITY\": \"alice\", \"n\": 1}}"
/* Fernet(KEY2), "hello", same stamp and IV. */
#define TOK_K2	"gAAAAABlU_EAAAECAwQFBgcICQoLDA0ODz09QxHXosbtyBk7pokFMQx4XzfR8YY" \
	"eJXoBB1X8mzBBDrFFKSsEeQq5Z84h2DrDLA=="

static const unsigned char test_iv[FERNET_IV_LEN] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
};

/* Keys that must parse. */
static struct fernet_keys *
test_keys(const char *text)
{
	struct fernet_keys	*fk;
	char			*cause = NULL;

	if ((fk = fernet_keys_parse(text, &cause)) == NULL) {
		fprintf(stderr, "fernet_keys_parse: %s\n", cause);
		exit(1);
	}
	return fk;
}

/* Key file lines: count of keys (0: refused) and the message. */
static void
test_keys_parse(void)
{
	static const struct {
		const char	*text;
		size_t		 count;
		const char	*cause;
	} cases[] = {
		{ KEY1, 1, NULL },
		{ KEY1 "\n" KEY2 "\n", 2, NULL },
		{ "# rotated\n\n  " KEY2 "\t\r\n" KEY1, 2, NULL },
		{ "b'" KEY1 "'\n", 1, NULL },	/* print(Fernet.generate_key()) */
		{ "", 0, "no keys" },
		{ "# none\n\n", 0, "no keys" },
		{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 0,
		    "line 1: not a Fernet key (44 characters of base64url, as "
		    "Fernet.generate_key() makes them)" },
		{ KEY1 "\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+=\n", 0,
		    "line 2: not a Fernet key (44 characters of base64url, as "
		    "Fernet.generate_key() makes them)" },
		{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh==", 0,
		    "line 1: not a Fernet key (44 characters of base64url, as "
		    "Fernet.generate_key() makes them)" },
		{ "b'" KEY1, 0, "line 1: not a Fernet key (44 characters of "
		    "base64url, as Fernet.generate_key() makes them)" },
	};
	struct fernet_keys	*fk;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		fk = fernet_keys_parse(cases[i].text, &cause);
		CHECK((fk != NULL) == (cases[i].count != 0));
		if (fk != NULL)
			CHECK(fernet_keys_count(fk) == cases[i].count);
		CHECK_STR(cause, cases[i].cause);
		fernet_keys_free(fk);
		free(cause);
	}
}

/* Sealing with a fixed IV gives Python's bytes; a random IV round-trips. */
static void
test_encrypt(void)
{
	static const struct {
		const char	*pt;
		const char	*token;
	} cases[] = {
		{ "hello", TOK_HELLO },
		{ "", TOK_EMPTY },
		{ "0123456789abcdef", TOK_BLOCK },	/* a whole padding block */
		{ PT_JSON, TOK_JSON },
	};
	struct fernet_keys	*fk = test_keys(KEY1 "\n" KEY2);
	unsigned char		*out;
	size_t			 i, len;
	char			*tok;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tok = fernet_encrypt_iv(fk, cases[i].pt, strlen(cases[i].pt),
		    T, test_iv);
		CHECK_STR(tok, cases[i].token);
		free(tok);
	}
	tok = fernet_encrypt(fk, "x", 1, T);
	CHECK(strncmp(tok, "gAAAAABlU_EA", 12) == 0);
	CHECK(fernet_decrypt(fk, tok, strlen(tok), 0, T, &out, &len,
	    NULL) == 0);
	CHECK(len == 1 && out[0] == 'x' && out[1] == '\0');
	free(out);
	free(tok);
	fernet_keys_free(fk);
}

/* A token with a correct MAC around ciphertext whose padding is wrong. */
static char *
test_bad_padding(void)
{
	unsigned char	 raw[FERNET_HEAD_LEN + FERNET_BLOCK + FERNET_MAC_LEN];
	unsigned char	 key[FERNET_KEY_LEN];
	size_t		 i;

	for (i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)i;
	memset(raw, 0x5a, sizeof raw);
	raw[0] = FERNET_VERSION;
	memset(raw + 1, 0, 8);
	raw[5] = 0x65; raw[6] = 0x53; raw[7] = 0xf1; raw[8] = 0x00;	/* T */
	fernet_mac(key, raw, FERNET_HEAD_LEN + FERNET_BLOCK,
	    raw + FERNET_HEAD_LEN + FERNET_BLOCK);
	return fernet_b64_encode(raw, sizeof raw);
}

/* A copy of s with character i replaced by c, or cut at i when c is 0. */
static char *
test_edit(const char *s, size_t i, char c)
{
	char	*t = xstrdup(s);

	if (c == 0)
		t[i] = '\0';
	else
		t[i] = c;
	return t;
}

/* Opening: which key opens (-1: invalid) at which time, with which ttl. */
static void
test_decrypt(void)
{
	struct {
		char		*token;
		const char	*keys;
		long		 ttl;
		long		 now;
		int		 expect;
		const char	*pt;
	} cases[] = {
		{ xstrdup(TOK_HELLO), KEY1, 0, T, 0, "hello" },
		{ xstrdup(TOK_EMPTY), KEY1, 0, T, 0, "" },
		{ xstrdup(TOK_BLOCK), KEY1, 0, T, 0, "0123456789abcdef" },
		{ xstrdup(TOK_JSON), KEY1, 0, T, 0, PT_JSON },
		/* Rotation: first key seals, every key opens. */
		{ xstrdup(TOK_K2), KEY1 "\n" KEY2, 0, T, 1, "hello" },
		{ xstrdup(TOK_HELLO), KEY2 "\n" KEY1, 0, T, 1, "hello" },
		/* Wrong key. */
		{ xstrdup(TOK_K2), KEY1, 0, T, -1, NULL },
		/* Age: ttl seconds old is fine, one more is expired. */
		{ xstrdup(TOK_HELLO), KEY1, 60, T + 60, 0, "hello" },
		{ xstrdup(TOK_HELLO), KEY1, 60, T + 61, -1, NULL },
		{ xstrdup(TOK_HELLO), KEY1, 0, T + 10 * 365 * 86400L, 0, "hello" },
		/* Future-dated: at most 60 s ahead of our clock. */
		{ xstrdup(TOK_HELLO), KEY1, 0, T - 60, 0, "hello" },
		{ xstrdup(TOK_HELLO), KEY1, 0, T - 61, -1, NULL },
		{ xstrdup(TOK_HELLO), KEY1, 3600, T - 61, -1, NULL },
		/* Tampered: version, stamp, IV, ciphertext, MAC. */
		{ test_edit(TOK_HELLO, 0, 'h'), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 9, 'F'), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 20, 'A'), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 40, 'x'), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 97, 'A'), KEY1, 0, T, -1, NULL },
		/* Truncated. */
		{ test_edit(TOK_HELLO, 96, 0), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 99, 0), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 76, 0), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 12, 0), KEY1, 0, T, -1, NULL },
		{ xstrdup(""), KEY1, 0, T, -1, NULL },
		/* Padding: missing, extra, in the middle; the other alphabet. */
		{ test_edit(TOK_HELLO, 98, 0), KEY1, 0, T, -1, NULL },
		{ xstrdup(TOK_HELLO "===="), KEY1, 0, T, -1, NULL },
		{ xstrdup(TOK_BLOCK "="), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 50, '='), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 10, '+'), KEY1, 0, T, -1, NULL },
		{ test_edit(TOK_HELLO, 10, '/'), KEY1, 0, T, -1, NULL },
		{ xstrdup("\"" TOK_HELLO "\""), KEY1, 0, T, -1, NULL },
		/* Right MAC, wrong PKCS7 padding inside. */
		{ test_bad_padding(), KEY1, 0, T, -1, NULL },
	};
	struct fernet_keys	*fk;
	unsigned char		*out;
	size_t			 i, len;
	time_t			 stamp;
	int			 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fk = test_keys(cases[i].keys);
		stamp = 0;
		rc = fernet_decrypt(fk, cases[i].token, strlen(cases[i].token),
		    cases[i].ttl, cases[i].now, &out, &len, &stamp);
		if (rc != cases[i].expect)
			fprintf(stderr, "case %zu: %d, expected %d\n", i, rc,
			    cases[i].expect);
		CHECK(rc == cases[i].expect);
		if (rc >= 0) {
			CHECK(stamp == T);
			CHECK(len == strlen(cases[i].pt) &&
			    memcmp(out, cases[i].pt, len) == 0);
		} else
			CHECK(out == NULL && len == 0);
		free(out);
		free(cases[i].token);
		fernet_keys_free(fk);
	}
}

/* A Python-quoted cookie value unquotes to the token, which opens. */
static void
test_quoted_cookie(void)
{
	static const char *const headers[] = {
		"AIOHTTP_SESSION=\"" TOK_HELLO "\"",
		"a=b; AIOHTTP_SESSION=\"" TOK_HELLO "\"; c=d",
		"AIOHTTP_SESSION=" TOK_HELLO,
	};
	struct fernet_keys	*fk = test_keys(KEY1);
	unsigned char		*out;
	size_t			 i, len;
	char			*value;

	for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		value = NULL;
		CHECK(cookie_find(headers[i], "AIOHTTP_SESSION", &value,
		    NULL) == COOKIE_FOUND);
		CHECK_STR(value, TOK_HELLO);
		CHECK(value != NULL && fernet_decrypt(fk, value, strlen(value),
		    0, T, &out, &len, NULL) == 0);
		free(out);
		free(value);
	}
	fernet_keys_free(fk);
}

int
main(void)
{
	test_keys_parse();
	test_encrypt();
	test_decrypt();
	test_quoted_cookie();
	return test_done("fernet");
}
