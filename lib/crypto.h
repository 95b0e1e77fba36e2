/*
 * Cryptography: AES-256-GCM sealing bound to the cookie name, keyed hashes,
 * CSPRNG ids and constant-time compares (OpenSSL libcrypto). The keys of
 * secret_file are the keyring's (keyring.h, included here for callers).
 */
#ifndef SW_CRYPTO_H
#define SW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN		32
#define CRYPTO_MAC_LEN		32
#define CRYPTO_MIN_SECRET	32	/* characters per secret_file line */

/* Sub-key purposes, each derived with HKDF-SHA256 from every master key. */
enum crypto_purpose {
	CRYPTO_SEAL = 0,	/* AES-256-GCM cookie sealing */
	CRYPTO_SIGN,		/* HMAC of signed cookie ids */
	CRYPTO_STOREKEY,	/* keyed hash: session id -> store key */
	CRYPTO_PUBLIC,		/* unused since SESSION_ID outlives keys (kept:
				   the derivation of the others is unchanged) */
	CRYPTO_NPURPOSES
};

struct keyring;

#include "keyring.h"

/* HMAC-SHA256 with a raw 32-byte key (the keyring derives key tags with it). */
void		 crypto_hmac(const unsigned char *, const void *, size_t,
		    unsigned char out[CRYPTO_MAC_LEN]);
/* Free the calling thread's cipher and MAC contexts (keyring_free does). */
void		 crypto_thread_free(void);

/* A new secret line for secret_file (64 hex chars), caller frees. */
char		*crypto_keygen(void);

/* Fill with CSPRNG bytes; fatal if the CSPRNG fails. */
void		 crypto_random(void *, size_t);
/* A random id: nbytes of CSPRNG as base64url without padding; caller frees. */
char		*crypto_random_id(size_t);

/*
 * Seal plaintext for the cookie named `aad` with the current key; returns
 * base64url text (caller frees). Format: version | key tag | nonce | ct | tag.
 */
char		*crypto_seal(const struct keyring *, const char *,
		    const void *, size_t);
/* Open what crypto_seal made with any key; -1 on any failure (no detail leaked). */
int		 crypto_open(const struct keyring *, const char *, const char *,
		    unsigned char **, size_t *);

/* HMAC-SHA256 with the current key's sub-key for a purpose. */
void		 crypto_mac(const struct keyring *, enum crypto_purpose,
		    const void *, size_t, unsigned char out[CRYPTO_MAC_LEN]);
/* Verify a MAC against every key (rotation); 0 when one matches. */
int		 crypto_mac_verify(const struct keyring *, enum crypto_purpose,
		    const void *, size_t, const unsigned char *, size_t);
/* Same, returning the index of the key that matched (0 = current), or -1. */
int		 crypto_mac_verify_key(const struct keyring *,
		    enum crypto_purpose, const void *, size_t,
		    const unsigned char *, size_t);
/* Unkeyed SHA-256 of a label and a high-entropy secret, as hex (<= 64). */
char		*crypto_hash_hex(const char *, const char *, size_t);
/* Keyed hash of a session id as lowercase hex of `hexlen` chars (<= 64). */
char		*crypto_mac_hex(const struct keyring *, enum crypto_purpose,
		    const char *, size_t);
/* Same under the n-th key (0 = current): rotation-aware store lookups. */
char		*crypto_mac_hex_key(const struct keyring *, size_t,
		    enum crypto_purpose, const char *, size_t);

/* Constant-time compare: non-zero when equal. */
int		 crypto_memeq(const void *, const void *, size_t);
void		 crypto_wipe(void *, size_t);

/* base64url without padding. */
char		*b64url_encode(const void *, size_t);
int		 b64url_decode(const char *, size_t, unsigned char **, size_t *);
/* True when all len bytes are of the base64url alphabet (no padding). */
int		 b64url_valid(const char *, size_t);

#endif
