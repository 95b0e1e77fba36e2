/*
 * The keyring: the secrets of secret_file, each derived (HKDF-SHA256) into a
 * sub-key per purpose and a key tag; the first is current, the others are
 * tried for rotation.
 */
#ifndef SW_KEYRING_H
#define SW_KEYRING_H

#include <stddef.h>

#include "crypto.h"

#define KEYRING_TAG_LEN		4	/* key tag bytes in sealed values */

/* One master key from secret_file, as its derived sub-keys. */
struct keyring_key {
	unsigned char	 sub[CRYPTO_NPURPOSES][CRYPTO_KEY_LEN];
	unsigned char	 tag[KEYRING_TAG_LEN];	/* names the key in sealed values */
};

struct keyring;

/* Read secret_file: one secret per line, '#' comments, first is current. */
struct keyring	*keyring_load(const char *, char **);
/*
 * Read a key file (at most 64 KiB, a regular file; warns when others may
 * read it) and parse its text, wiped after, with the given parser (as
 * keyring_parse, or fernet_keys_parse); NULL and *cause ("file: reason").
 */
void		*keyring_load_file(const char *, void *(*)(const char *,
		    char **), char **);
/* Same from a string (tests, ctl). */
struct keyring	*keyring_parse(const char *, char **);
void		 keyring_free(struct keyring *);
size_t		 keyring_count(const struct keyring *);
/* The current key; fatal when there is none (a broken invariant). */
const struct keyring_key *keyring_current(const struct keyring *);
/* The n-th key (0 = current), or NULL past the last. */
const struct keyring_key *keyring_key(const struct keyring *, size_t);

#endif
