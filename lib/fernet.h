/*
 * Fernet tokens (the format of Python's cryptography.fernet, which
 * aiohttp-session's EncryptedCookieStorage seals its cookie with), through
 * OpenSSL: AES-128-CBC with PKCS7 padding, HMAC-SHA256, base64url with
 * padding.
 */
#ifndef SW_FERNET_H
#define SW_FERNET_H

#include <stddef.h>
#include <time.h>

#define FERNET_KEY_LEN		32	/* signing half, then encryption half */
#define FERNET_IV_LEN		16
#define FERNET_MAX_CLOCK_SKEW	60	/* seconds a token may be future-dated */

struct fernet_keys;

/*
 * Parse a fernet_key_file: one key per line as Fernet.generate_key() makes
 * it (44 characters of base64url, optionally as Python prints bytes:
 * b'...'), '#' comments and blank lines; the first seals, all open.
 */
struct fernet_keys	*fernet_keys_parse(const char *, char **);
/* Read and parse a fernet_key_file; NULL and *cause ("file: reason"). */
struct fernet_keys	*fernet_keys_load(const char *, char **);
/* Wipe and free. */
void			 fernet_keys_free(struct fernet_keys *);
size_t			 fernet_keys_count(const struct fernet_keys *);

/* A token of plaintext stamped `now`, under the first key; caller frees. */
char	*fernet_encrypt(const struct fernet_keys *, const void *, size_t,
	    time_t);
/* Same with a given IV (test vectors). */
char	*fernet_encrypt_iv(const struct fernet_keys *, const void *, size_t,
	    time_t, const unsigned char [FERNET_IV_LEN]);
/*
 * Open a token with any key. Invalid: a bad encoding, version, MAC or
 * padding, a stamp more than FERNET_MAX_CLOCK_SKEW seconds after `now`, or
 * (ttl > 0) older than ttl seconds. Returns the index of the key that
 * opened it (0 = the first), *out (NUL-terminated, caller frees), *outlen
 * and the token's stamp in *stamp (may be NULL); -1 when invalid.
 */
int	 fernet_decrypt(const struct fernet_keys *, const char *, size_t,
	    long, time_t, unsigned char **, size_t *, time_t *);

#endif
