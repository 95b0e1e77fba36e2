/* AES-256-GCM cookie sealing, keyed hashes, ids and base64url (OpenSSL). */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#define CRYPTO_HAVE_EVP_MAC	1
#endif
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "keyring.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Sealed cookie layout, base64url without padding:
 *
 *	version (1) | key tag (4) | nonce (12) | ciphertext | GCM tag (16)
 *
 * The AAD is version | key tag | cookie name, so a value sealed for one
 * cookie name does not open under another.
 */
#define SEAL_VERSION	0x01
#define SEAL_KEYTAG_LEN	KEYRING_TAG_LEN
#define SEAL_NONCE_LEN	12
#define SEAL_TAG_LEN	16
#define SEAL_HDR_LEN	(1 + SEAL_KEYTAG_LEN)
#define SEAL_MIN_LEN	(SEAL_HDR_LEN + SEAL_NONCE_LEN + SEAL_TAG_LEN)

/* Shortest MAC crypto_mac_verify accepts (signed ids use 16 bytes). */
#define MAC_MIN_LEN	16

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Each thread keeps its cipher and MAC contexts from one request to the
 * next: with OpenSSL 3 a fresh context costs an algorithm fetch through the
 * provider store, and a new key its AES and GHASH schedules, both more than
 * the sealing of a cookie itself. A context is re-keyed only when asked
 * for another key (rotation), recognised by the key bytes it was given.
 */
#define CRYPTO_MAC_SLOTS	CRYPTO_NPURPOSES

struct crypto_tls {
	EVP_CIPHER_CTX	*ctx[2];		/* encrypt, decrypt */
	unsigned char	 key[2][CRYPTO_KEY_LEN];
	int		 keyed[2];
#ifdef CRYPTO_HAVE_EVP_MAC
	struct {				/* one per key lately used */
		EVP_MAC_CTX	*ctx;
		unsigned char	 key[CRYPTO_KEY_LEN];
		int		 keyed;
	}		 mac[CRYPTO_MAC_SLOTS];
	unsigned	 mac_next;		/* slot to take for a new key */
#endif
};

static pthread_key_t	 crypto_tls_key;
static pthread_once_t	 crypto_tls_once = PTHREAD_ONCE_INIT;

/* Thread exit (and crypto_thread_free): wipe and free one thread's cache. */
static void
crypto_tls_free(void *arg)
{
	struct crypto_tls	*t = arg;

	if (t == NULL)
		return;
#ifdef CRYPTO_HAVE_EVP_MAC
	size_t			 i;

	for (i = 0; i < CRYPTO_MAC_SLOTS; i++)
		EVP_MAC_CTX_free(t->mac[i].ctx);
#endif
	EVP_CIPHER_CTX_free(t->ctx[0]);
	EVP_CIPHER_CTX_free(t->ctx[1]);
	OPENSSL_cleanse(t, sizeof *t);
	free(t);
}

static void
crypto_tls_init(void)
{
	if ((errno = pthread_key_create(&crypto_tls_key, crypto_tls_free)) != 0)
		fatal("%s: pthread_key_create", __func__);
}

/* This thread's cache, made on first use. */
static struct crypto_tls *
crypto_tls(void)
{
	struct crypto_tls	*t;

	pthread_once(&crypto_tls_once, crypto_tls_init);
	if ((t = pthread_getspecific(crypto_tls_key)) == NULL) {
		t = xcalloc(1, sizeof *t);
		if ((errno = pthread_setspecific(crypto_tls_key, t)) != 0)
			fatal("%s: pthread_setspecific", __func__);
	}
	return t;
}

/* Free the calling thread's cache now (keyring_free does). */
void
crypto_thread_free(void)
{
	struct crypto_tls	*t;

	pthread_once(&crypto_tls_once, crypto_tls_init);
	if ((t = pthread_getspecific(crypto_tls_key)) != NULL) {
		pthread_setspecific(crypto_tls_key, NULL);
		crypto_tls_free(t);
	}
}

/*
 * The thread's AES-256-GCM context for encrypting (enc = 1) or decrypting
 * with key, ready for a nonce; fatal if OpenSSL fails.
 */
static EVP_CIPHER_CTX *
crypto_gcm(int enc, const unsigned char *key, const unsigned char *nonce)
{
	struct crypto_tls	*t = crypto_tls();
	EVP_CIPHER_CTX		*ctx;
	int			 i = enc ? 0 : 1;

	if ((ctx = t->ctx[i]) == NULL) {
		if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
			fatalx("%s: EVP_CIPHER_CTX_new failed", __func__);
		if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL,
		    NULL, enc) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
		    SEAL_NONCE_LEN, NULL) != 1)
			fatalx("%s: cipher setup failed", __func__);
		t->ctx[i] = ctx;
	}
	if (!t->keyed[i] || memcmp(t->key[i], key, CRYPTO_KEY_LEN) != 0) {
		if (EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
			fatalx("%s: cipher setup failed", __func__);
		memcpy(t->key[i], key, CRYPTO_KEY_LEN);
		t->keyed[i] = 1;
	} else if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc) != 1)
		fatalx("%s: cipher setup failed", __func__);
	return ctx;
}

/* HMAC-SHA256 with a 32-byte key; fatal if OpenSSL fails. */
void
crypto_hmac(const unsigned char *key, const void *data, size_t len,
    unsigned char out[CRYPTO_MAC_LEN])
{
	static const unsigned char empty[1];
#ifdef CRYPTO_HAVE_EVP_MAC
	struct crypto_tls	*t = crypto_tls();
	EVP_MAC_CTX		*ctx;
	size_t			 outlen = 0, i;
	int			 rc;

	if (len == 0)
		data = empty;
	/* A context already keyed with it only needs a restart. */
	for (i = 0; i < CRYPTO_MAC_SLOTS; i++) {
		if (t->mac[i].keyed &&
		    memcmp(t->mac[i].key, key, CRYPTO_KEY_LEN) == 0)
			break;
	}
	if (i < CRYPTO_MAC_SLOTS)
		rc = EVP_MAC_init(t->mac[i].ctx, NULL, 0, NULL);
	else {
		i = t->mac_next++ % CRYPTO_MAC_SLOTS;
		if (t->mac[i].ctx == NULL) {
			EVP_MAC		*mac;
			OSSL_PARAM	 params[2];

			if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
			    (t->mac[i].ctx = EVP_MAC_CTX_new(mac)) == NULL)
				fatalx("%s: HMAC unavailable", __func__);
			EVP_MAC_free(mac);	/* the context keeps its own */
			params[0] = OSSL_PARAM_construct_utf8_string(
			    OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
			params[1] = OSSL_PARAM_construct_end();
			if (EVP_MAC_CTX_set_params(t->mac[i].ctx, params) != 1)
				fatalx("%s: HMAC setup failed", __func__);
		}
		t->mac[i].keyed = 0;
		rc = EVP_MAC_init(t->mac[i].ctx, key, CRYPTO_KEY_LEN, NULL);
		if (rc == 1) {
			memcpy(t->mac[i].key, key, CRYPTO_KEY_LEN);
			t->mac[i].keyed = 1;
		}
	}
	ctx = t->mac[i].ctx;
	if (rc != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, CRYPTO_MAC_LEN) != 1 ||
	    outlen != CRYPTO_MAC_LEN)
		fatalx("%s: HMAC failed", __func__);
#else
	unsigned int		 outlen = CRYPTO_MAC_LEN;

	if (len == 0)
		data = empty;
	if (HMAC(EVP_sha256(), key, CRYPTO_KEY_LEN, data, len, out,
	    &outlen) == NULL || outlen != CRYPTO_MAC_LEN)
		fatalx("%s: HMAC failed", __func__);
#endif
}

/* Fill a buffer from the CSPRNG. */
void
crypto_random(void *p, size_t len)
{
	if (len == 0)
		return;
	if (len > INT_MAX || RAND_bytes(p, (int)len) != 1)
		fatalx("%s: CSPRNG failed", __func__);
}

/* A random id of nbytes CSPRNG bytes, base64url. */
char *
crypto_random_id(size_t nbytes)
{
	unsigned char	*p;
	char		*id;

	p = xmalloc(nbytes + 1);
	crypto_random(p, nbytes);
	id = b64url_encode(p, nbytes);
	OPENSSL_cleanse(p, nbytes + 1);
	free(p);
	return id;
}

/* Lowercase hex of len bytes into out (2 * len + 1 bytes). */
static void
crypto_hex(const unsigned char *p, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* A new secret_file line: 32 CSPRNG bytes as 64 hex characters. */
char *
crypto_keygen(void)
{
	unsigned char	 key[CRYPTO_KEY_LEN];
	char		*out;

	crypto_random(key, sizeof key);
	out = xmalloc(2 * sizeof key + 1);
	crypto_hex(key, sizeof key, out);
	OPENSSL_cleanse(key, sizeof key);
	return out;
}

/* Seal plaintext with the current key for the cookie named aad. */
char *
crypto_seal(const struct keyring *kr, const char *aad, const void *pt,
    size_t len)
{
	const struct keyring_key	*k = keyring_current(kr);
	EVP_CIPHER_CTX		*ctx;
	unsigned char		*raw, *ct;
	size_t			 rawlen;
	int			 n, ctlen = 0;
	char			*out;

	if (len > INT_MAX - SEAL_MIN_LEN)
		fatalx("%s: plaintext too large", __func__);
	rawlen = SEAL_MIN_LEN + len;
	raw = xmalloc(rawlen);
	raw[0] = SEAL_VERSION;
	memcpy(raw + 1, k->tag, SEAL_KEYTAG_LEN);
	crypto_random(raw + SEAL_HDR_LEN, SEAL_NONCE_LEN);
	ct = raw + SEAL_HDR_LEN + SEAL_NONCE_LEN;

	ctx = crypto_gcm(1, k->sub[CRYPTO_SEAL], raw + SEAL_HDR_LEN);
	if (EVP_EncryptUpdate(ctx, NULL, &n, raw, SEAL_HDR_LEN) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1)
		fatalx("%s: encryption setup failed", __func__);
	if (len != 0) {
		if (EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len) != 1)
			fatalx("%s: encryption failed", __func__);
		ctlen = n;
	}
	if (EVP_EncryptFinal_ex(ctx, ct + ctlen, &n) != 1)
		fatalx("%s: encryption failed", __func__);
	ctlen += n;
	if ((size_t)ctlen != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    ct + ctlen) != 1)
		fatalx("%s: encryption failed", __func__);

	out = b64url_encode(raw, rawlen);
	free(raw);
	return out;
}

/* Decrypt with one key; 0 on success with out filled (len bytes). */
static int
crypto_open_key(const struct keyring_key *k, const char *aad,
    const unsigned char *raw, size_t rawlen, unsigned char *out)
{
	EVP_CIPHER_CTX		*ctx;
	const unsigned char	*nonce, *ct, *tag;
	size_t			 ctlen;
	int			 n, ok;

	nonce = raw + SEAL_HDR_LEN;
	ct = nonce + SEAL_NONCE_LEN;
	ctlen = rawlen - SEAL_MIN_LEN;
	tag = ct + ctlen;

	ctx = crypto_gcm(0, k->sub[CRYPTO_SEAL], nonce);
	ok = EVP_DecryptUpdate(ctx, NULL, &n, raw, SEAL_HDR_LEN) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad,
	    (int)strlen(aad)) == 1;
	if (ok && ctlen != 0)
		ok = EVP_DecryptUpdate(ctx, out, &n, ct, (int)ctlen) == 1;
	if (ok)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
		    (void *)tag) == 1;
	/* The tag is checked here; out is garbage unless this succeeds. */
	if (ok)
		ok = EVP_DecryptFinal_ex(ctx, out + ctlen, &n) == 1;
	return ok ? 0 : -1;
}

/*
 * Open a sealed value for the cookie named aad. Only keys whose tag matches
 * are tried. The plaintext is NUL-terminated for convenience.
 */
int
crypto_open(const struct keyring *kr, const char *aad, const char *text,
    unsigned char **out, size_t *outlen)
{
	const struct keyring_key	*k;
	unsigned char			*raw = NULL, *pt;
	size_t				 rawlen, ptlen, i;

	*out = NULL;
	*outlen = 0;
	if (kr == NULL || aad == NULL || text == NULL)
		return -1;
	if (b64url_decode(text, strlen(text), &raw, &rawlen) != 0)
		return -1;
	if (rawlen < SEAL_MIN_LEN || rawlen > INT_MAX || raw[0] != SEAL_VERSION) {
		free(raw);
		return -1;
	}
	ptlen = rawlen - SEAL_MIN_LEN;
	pt = xmalloc(ptlen + 1);
	for (i = 0; (k = keyring_key(kr, i)) != NULL; i++) {
		if (memcmp(raw + 1, k->tag, SEAL_KEYTAG_LEN) != 0)
			continue;
		if (crypto_open_key(k, aad, raw, rawlen, pt) == 0) {
			pt[ptlen] = '\0';
			free(raw);
			*out = pt;
			*outlen = ptlen;
			return 0;
		}
	}
	OPENSSL_cleanse(pt, ptlen + 1);
	free(pt);
	free(raw);
	return -1;
}

/* Check a purpose is one of the enum's. */
static void
crypto_check_purpose(enum crypto_purpose purpose)
{
	if ((int)purpose < 0 || purpose >= CRYPTO_NPURPOSES)
		fatalx("crypto: bad purpose %d", (int)purpose);
}

/* HMAC-SHA256 with the current key's sub-key for a purpose. */
void
crypto_mac(const struct keyring *kr, enum crypto_purpose purpose,
    const void *data, size_t len, unsigned char out[CRYPTO_MAC_LEN])
{
	crypto_check_purpose(purpose);
	crypto_hmac(keyring_current(kr)->sub[purpose], data, len, out);
}

/*
 * Verify a MAC, possibly truncated to maclen (16 to 32 bytes), against every
 * key in constant time; 0 when one matches.
 */
int
crypto_mac_verify(const struct keyring *kr, enum crypto_purpose purpose,
    const void *data, size_t len, const unsigned char *mac, size_t maclen)
{
	return crypto_mac_verify_key(kr, purpose, data, len, mac, maclen) ==
	    -1 ? -1 : 0;
}

/*
 * Same, telling which key matched (0 = current: no re-keying due); -1 when
 * none. Every key is tried, so the time does not say which one.
 */
int
crypto_mac_verify_key(const struct keyring *kr, enum crypto_purpose purpose,
    const void *data, size_t len, const unsigned char *mac, size_t maclen)
{
	unsigned char	 want[CRYPTO_MAC_LEN];
	size_t		 i;
	int		 found = -1, eq;

	crypto_check_purpose(purpose);
	if (kr == NULL || mac == NULL || maclen < MAC_MIN_LEN ||
	    maclen > CRYPTO_MAC_LEN)
		return -1;
	for (i = keyring_count(kr); i-- > 0; ) {
		crypto_hmac(keyring_key(kr, i)->sub[purpose], data, len, want);
		eq = CRYPTO_memcmp(want, mac, maclen) == 0;
		/* The lowest index wins; no branch on the outcome. */
		found = eq ? (int)i : found;
	}
	OPENSSL_cleanse(want, sizeof want);
	return found;
}

/*
 * Unkeyed SHA-256 of label, a NUL and s, as hexlen (<= 64) hex chars: for
 * names that must outlive every key (SESSION_ID). Only for secret s of at
 * least 128 bits of entropy, which the hash does not give away.
 */
char *
crypto_hash_hex(const char *label, const char *s, size_t hexlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	EVP_MD_CTX	*ctx;
	char		*out;

	if (hexlen == 0 || hexlen > 64)
		fatalx("%s: bad length %zu", __func__, hexlen);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("%s: EVP_MD_CTX_new failed", __func__);
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, label, strlen(label) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, s, strlen(s)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		fatalx("%s: SHA-256 failed", __func__);
	EVP_MD_CTX_free(ctx);
	out = xmalloc(65);
	crypto_hex(md, 32, out);
	out[hexlen] = '\0';
	OPENSSL_cleanse(md, sizeof md);
	return out;
}

/* Keyed hash of a string under the n-th key, as hexlen (<= 64) hex chars. */
char *
crypto_mac_hex_key(const struct keyring *kr, size_t idx,
    enum crypto_purpose purpose, const char *s, size_t hexlen)
{
	const struct keyring_key	*k;
	unsigned char			 mac[CRYPTO_MAC_LEN];
	char				*out;

	crypto_check_purpose(purpose);
	if ((k = keyring_key(kr, idx)) == NULL)
		fatalx("%s: no key %zu", __func__, idx);
	if (hexlen == 0 || hexlen > 2 * CRYPTO_MAC_LEN)
		fatalx("%s: bad length %zu", __func__, hexlen);
	crypto_hmac(k->sub[purpose], s, strlen(s), mac);
	out = xmalloc(2 * CRYPTO_MAC_LEN + 1);
	crypto_hex(mac, sizeof mac, out);
	out[hexlen] = '\0';
	OPENSSL_cleanse(mac, sizeof mac);
	return out;
}

/* Keyed hash of a string under the current key as hexlen hex chars. */
char *
crypto_mac_hex(const struct keyring *kr, enum crypto_purpose purpose,
    const char *s, size_t hexlen)
{
	return crypto_mac_hex_key(kr, 0, purpose, s, hexlen);
}

/* Constant-time comparison; non-zero when equal. */
int
crypto_memeq(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return 1;
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* Wipe memory in a way the compiler keeps. */
void
crypto_wipe(void *p, size_t len)
{
	if (p != NULL && len != 0)
		OPENSSL_cleanse(p, len);
}

/* base64url without padding; caller frees. */
char *
b64url_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	size_t			 i;
	uint32_t		 v;

	if (len > (SIZE_MAX - 4) / 4 * 3)
		fatalx("%s: input too large", __func__);
	o = out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64url_chars[(v >> 18) & 0x3f];
		*o++ = b64url_chars[(v >> 12) & 0x3f];
		*o++ = b64url_chars[(v >> 6) & 0x3f];
		*o++ = b64url_chars[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = b64url_chars[(v >> 18) & 0x3f];
		*o++ = b64url_chars[(v >> 12) & 0x3f];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64url_chars[(v >> 18) & 0x3f];
		*o++ = b64url_chars[(v >> 12) & 0x3f];
		*o++ = b64url_chars[(v >> 6) & 0x3f];
	}
	*o = '\0';
	return out;
}

/* Value of one base64url character, -1 for anything else (padding too). */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* True when each of the len bytes of s is a base64url character. */
int
b64url_valid(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (b64url_value((unsigned char)s[i]) == -1)
			return 0;
	}
	return 1;
}

/*
 * Strict base64url decoding: no padding, no other characters, and only the
 * canonical encoding (unused trailing bits zero), so each value has exactly
 * one text form. The output is NUL-terminated; caller frees.
 */
int
b64url_decode(const char *text, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*buf, *o;
	size_t		 i, rest;
	uint32_t	 v = 0;
	int		 c, bits = 0;

	*out = NULL;
	*outlen = 0;
	if (len % 4 == 1)
		return -1;
	o = buf = xmalloc(len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if ((c = b64url_value((unsigned char)text[i])) == -1) {
			free(buf);
			return -1;
		}
		v = (v << 6) | (uint32_t)c;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (unsigned char)(v >> bits);
			v &= (1U << bits) - 1;
		}
	}
	/* Leftover bits (2 or 4) must be zero in the canonical form. */
	if (v != 0) {
		free(buf);
		return -1;
	}
	rest = o - buf;
	*o = '\0';
	*out = buf;
	*outlen = rest;
	return 0;
}
