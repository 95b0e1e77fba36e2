/* Fernet tokens through OpenSSL: keys, sealing and opening. */
#include "autoconf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "fernet.h"
#include "keyring.h"
#include "log.h"
#include "xmalloc.h"

#define FERNET_VERSION		0x80
#define FERNET_HALF		(FERNET_KEY_LEN / 2)
#define FERNET_MAC_LEN		32
#define FERNET_HEAD_LEN		(1 + 8 + FERNET_IV_LEN)
#define FERNET_BLOCK		16
/* Largest token opened: far over any cookie, bounds the work per token. */
#define FERNET_TOKEN_MAX	(1024 * 1024)
/* A key as Fernet.generate_key() writes it: 32 bytes, base64url, padded. */
#define FERNET_KEY_TEXT		44

/* Immutable after parsing; shared read-only by every thread. */
struct fernet_keys {
	unsigned char	(*keys)[FERNET_KEY_LEN];	/* first one seals */
	size_t		 n;
};

/* Padded base64url of data; caller frees. */
static char *
fernet_b64_encode(const void *data, size_t len)
{
	char	*plain, *out;
	size_t	 n;

	plain = b64url_encode(data, len);
	n = strlen(plain);
	out = xmalloc(n + 3);
	memcpy(out, plain, n);
	while (n % 4 != 0)
		out[n++] = '=';
	out[n] = '\0';
	free(plain);
	return out;
}

/*
 * Padded base64url: a length that is a multiple of 4, at most two '=' and
 * only at the end, the canonical form otherwise (b64url_decode). 0 or -1.
 */
static int
fernet_b64_decode(const char *text, size_t len, unsigned char **out,
    size_t *outlen)
{
	size_t	 pad = 0;

	*out = NULL;
	if (len == 0 || len % 4 != 0)
		return -1;
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	if (memchr(text, '=', len - pad) != NULL)
		return -1;
	return b64url_decode(text, len - pad, out, outlen);
}

/* Trim blanks and Python's b'...' around one key line; its length. */
static size_t
fernet_key_trim(const char **s, const char *e)
{
	const char	*p = *s;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (e - p >= 3 && p[0] == 'b' && p[1] == '\'' && e[-1] == '\'') {
		p += 2;
		e--;
	}
	*s = p;
	return e - p;
}

/* Parse fernet_key_file text: one key per line, first one seals. */
struct fernet_keys *
fernet_keys_parse(const char *text, char **cause)
{
	struct fernet_keys	*fk;
	const char		*line, *end, *next;
	unsigned char		*raw;
	size_t			 len, rawlen;
	u_int			 lineno = 0;

	fk = xcalloc(1, sizeof *fk);
	for (line = text; *line != '\0'; line = next) {
		lineno++;
		if ((end = strchr(line, '\n')) != NULL)
			next = end + 1;
		else
			next = end = line + strlen(line);
		raw = NULL;
		len = fernet_key_trim(&line, end);
		if (len == 0 || *line == '#')
			continue;
		if (len != FERNET_KEY_TEXT ||
		    fernet_b64_decode(line, len, &raw, &rawlen) != 0 ||
		    rawlen != FERNET_KEY_LEN) {
			if (raw != NULL)
				OPENSSL_cleanse(raw, rawlen);
			free(raw);
			xasprintf(cause, "line %u: not a Fernet key (44 "
			    "characters of base64url, as Fernet.generate_key() "
			    "makes them)", lineno);
			fernet_keys_free(fk);
			return NULL;
		}
		fk->keys = xreallocarray(fk->keys, fk->n + 1, sizeof *fk->keys);
		memcpy(fk->keys[fk->n++], raw, FERNET_KEY_LEN);
		OPENSSL_cleanse(raw, rawlen);
		free(raw);
	}
	if (fk->n == 0) {
		xasprintf(cause, "no keys");
		fernet_keys_free(fk);
		return NULL;
	}
	return fk;
}

/* fernet_keys_parse for keyring_load_file. */
static void *
fernet_keys_parse_text(const char *text, char **cause)
{
	return fernet_keys_parse(text, cause);
}

/* Read and parse a fernet_key_file. */
struct fernet_keys *
fernet_keys_load(const char *path, char **cause)
{
	return keyring_load_file(path, fernet_keys_parse_text, cause);
}

/* Wipe and free the keys. */
void
fernet_keys_free(struct fernet_keys *fk)
{
	if (fk == NULL)
		return;
	if (fk->keys != NULL)
		OPENSSL_cleanse(fk->keys, fk->n * sizeof *fk->keys);
	free(fk->keys);
	free(fk);
}

/* How many keys open tokens. */
size_t
fernet_keys_count(const struct fernet_keys *fk)
{
	return fk->n;
}

/* HMAC-SHA256 under the signing half of a key; fatal if OpenSSL fails. */
static void
fernet_mac(const unsigned char *key, const unsigned char *data, size_t len,
    unsigned char out[FERNET_MAC_LEN])
{
	unsigned int	 outlen = FERNET_MAC_LEN;

	if (HMAC(EVP_sha256(), key, FERNET_HALF, data, len, out,
	    &outlen) == NULL || outlen != FERNET_MAC_LEN)
		fatalx("%s: HMAC failed", __func__);
}

/*
 * AES-128-CBC with PKCS7 padding under the encryption half of a key, into
 * out (room for len + one block). Returns the bytes written, or -1 when
 * decrypting finds bad padding.
 */
static long
fernet_cbc(const unsigned char *key, const unsigned char *iv, int enc,
    const unsigned char *in, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n1 = 0, n2 = 0, ok;

	if (len > INT_MAX - FERNET_BLOCK)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		fatalx("%s: EVP_CIPHER_CTX_new failed", __func__);
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, key + FERNET_HALF,
	    iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n1, in, (int)len) != 1)
		fatalx("%s: AES-128-CBC failed", __func__);
	ok = EVP_CipherFinal_ex(ctx, out + n1, &n2);
	EVP_CIPHER_CTX_free(ctx);
	if (ok != 1) {
		if (enc)
			fatalx("%s: AES-128-CBC failed", __func__);
		return -1;
	}
	return (long)n1 + n2;
}

/* Seal with a given IV: version | stamp | IV | ciphertext | HMAC. */
char *
fernet_encrypt_iv(const struct fernet_keys *fk, const void *pt, size_t len,
    time_t now, const unsigned char iv[FERNET_IV_LEN])
{
	const unsigned char	*key = fk->keys[0];
	unsigned char		*raw;
	uint64_t		 stamp = now < 0 ? 0 : (uint64_t)now;
	size_t			 rawlen;
	long			 ctlen;
	char			*token;
	int			 i;

	if (len > INT_MAX - FERNET_HEAD_LEN - FERNET_MAC_LEN - FERNET_BLOCK)
		fatalx("%s: plaintext of %zu bytes", __func__, len);
	raw = xmalloc(FERNET_HEAD_LEN + len + FERNET_BLOCK + FERNET_MAC_LEN);
	raw[0] = FERNET_VERSION;
	for (i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(stamp >> (56 - 8 * i));
	memcpy(raw + 9, iv, FERNET_IV_LEN);
	ctlen = fernet_cbc(key, iv, 1, pt, len, raw + FERNET_HEAD_LEN);
	rawlen = FERNET_HEAD_LEN + (size_t)ctlen;
	fernet_mac(key, raw, rawlen, raw + rawlen);
	rawlen += FERNET_MAC_LEN;
	token = fernet_b64_encode(raw, rawlen);
	free(raw);
	return token;
}

/* Seal with a fresh random IV. */
char *
fernet_encrypt(const struct fernet_keys *fk, const void *pt, size_t len,
    time_t now)
{
	unsigned char	 iv[FERNET_IV_LEN];

	crypto_random(iv, sizeof iv);
	return fernet_encrypt_iv(fk, pt, len, now, iv);
}

/* The token's stamp if its age is acceptable at `now`; -1 otherwise. */
static int
fernet_stamp_ok(const unsigned char *raw, long ttl, time_t now, time_t *stamp)
{
	uint64_t	 ts = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		ts = (ts << 8) | raw[1 + i];
	if (now < 0 || ts > (uint64_t)now + FERNET_MAX_CLOCK_SKEW)
		return -1;
	if (ttl > 0 && ts < (uint64_t)now && (uint64_t)now - ts > (uint64_t)ttl)
		return -1;
	if (stamp != NULL)
		*stamp = (time_t)ts;
	return 0;
}

/* Open a token with whichever key signed it. */
int
fernet_decrypt(const struct fernet_keys *fk, const char *token, size_t len,
    long ttl, time_t now, unsigned char **out, size_t *outlen, time_t *stamp)
{
	unsigned char	*raw, *pt, mac[FERNET_MAC_LEN];
	size_t		 rawlen, body, i;
	long		 n;
	int		 found = -1;

	*out = NULL;
	*outlen = 0;
	if (len > FERNET_TOKEN_MAX ||
	    fernet_b64_decode(token, len, &raw, &rawlen) != 0)
		return -1;
	if (rawlen < FERNET_HEAD_LEN + FERNET_BLOCK + FERNET_MAC_LEN ||
	    (rawlen - FERNET_HEAD_LEN - FERNET_MAC_LEN) % FERNET_BLOCK != 0 ||
	    raw[0] != FERNET_VERSION ||
	    fernet_stamp_ok(raw, ttl, now, stamp) != 0) {
		free(raw);
		return -1;
	}
	body = rawlen - FERNET_MAC_LEN;
	for (i = 0; i < fk->n && found == -1; i++) {
		fernet_mac(fk->keys[i], raw, body, mac);
		if (CRYPTO_memcmp(mac, raw + body, FERNET_MAC_LEN) == 0)
			found = (int)i;
	}
	if (found == -1) {
		free(raw);
		return -1;
	}
	pt = xmalloc(body - FERNET_HEAD_LEN + FERNET_BLOCK + 1);
	n = fernet_cbc(fk->keys[found], raw + 9, 0, raw + FERNET_HEAD_LEN,
	    body - FERNET_HEAD_LEN, pt);
	free(raw);
	if (n < 0) {
		free(pt);
		return -1;
	}
	pt[n] = '\0';
	*out = pt;
	*outlen = (size_t)n;
	return found;
}
