/* The keyring: the keys of secret_file, each as its derived sub-keys. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto.h"
#include "keyring.h"
#include "log.h"
#include "xmalloc.h"

/* Largest secret_file read; a real one is a few lines. */
#define SECRET_FILE_MAX	(64 * 1024)

/* Immutable after load; shared read-only by every thread. */
struct keyring {
	struct keyring_key	*keys;		/* first is current */
	size_t			 n;
};

static const unsigned char keyring_salt[] = "sessionwrap";
static const char *const keyring_info[CRYPTO_NPURPOSES] = {
	"sessionwrap seal v1",
	"sessionwrap sign v1",
	"sessionwrap storekey v1",
	"sessionwrap public v1"
};
static const char keyring_tag_label[] = "sessionwrap key tag v1";

/* HKDF-SHA256 of one secret into a 32-byte sub-key; fatal if OpenSSL fails. */
static void
keyring_hkdf(const char *secret, size_t len, const char *info,
    unsigned char out[CRYPTO_KEY_LEN])
{
	EVP_PKEY_CTX	*pctx;
	size_t		 outlen = CRYPTO_KEY_LEN;

	if ((pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL)) == NULL)
		fatalx("%s: EVP_PKEY_CTX_new_id failed", __func__);
	if (EVP_PKEY_derive_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(pctx, keyring_salt,
	    (int)(sizeof keyring_salt - 1)) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(pctx, (const unsigned char *)secret,
	    (int)len) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(pctx, (const unsigned char *)info,
	    (int)strlen(info)) <= 0 ||
	    EVP_PKEY_derive(pctx, out, &outlen) <= 0 ||
	    outlen != CRYPTO_KEY_LEN)
		fatalx("%s: HKDF failed", __func__);
	EVP_PKEY_CTX_free(pctx);
}

/* Derive every sub-key and the key tag of one secret. */
static void
keyring_key_derive(struct keyring_key *k, const char *secret, size_t len)
{
	unsigned char	 mac[CRYPTO_MAC_LEN];
	int		 i;

	for (i = 0; i < CRYPTO_NPURPOSES; i++)
		keyring_hkdf(secret, len, keyring_info[i], k->sub[i]);
	crypto_hmac(k->sub[CRYPTO_SEAL], keyring_tag_label,
	    sizeof keyring_tag_label - 1, mac);
	memcpy(k->tag, mac, sizeof k->tag);
	OPENSSL_cleanse(mac, sizeof mac);
}

/* True for the blanks trimmed around a secret. */
static int
keyring_isblank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse secret_file text: one secret per line, first is current. */
struct keyring *
keyring_parse(const char *text, char **cause)
{
	struct keyring	*kr;
	const char	*line, *end, *next, *s, *e;
	u_int		 lineno = 0;

	kr = xcalloc(1, sizeof *kr);
	for (line = text; *line != '\0'; line = next) {
		lineno++;
		if ((end = strchr(line, '\n')) != NULL)
			next = end + 1;
		else
			next = end = line + strlen(line);

		for (s = line; s < end && keyring_isblank(*s); s++)
			/* nothing */;
		for (e = end; e > s && keyring_isblank(e[-1]); e--)
			/* nothing */;
		if (s == e || *s == '#')
			continue;
		if ((size_t)(e - s) < CRYPTO_MIN_SECRET) {
			xasprintf(cause, "line %u: secret too short (%zu "
			    "characters, need at least %d; generate one with: "
			    "sessionwrap-ctl keygen)", lineno, (size_t)(e - s),
			    CRYPTO_MIN_SECRET);
			keyring_free(kr);
			return NULL;
		}
		kr->keys = xreallocarray(kr->keys, kr->n + 1, sizeof *kr->keys);
		keyring_key_derive(&kr->keys[kr->n], s, e - s);
		kr->n++;
	}
	if (kr->n == 0) {
		xasprintf(cause, "no keys");
		keyring_free(kr);
		return NULL;
	}
	return kr;
}

/* Wipe and free what keyring_read_file returned. */
static void	 keyring_text_free(char *);

/*
 * Read a key file (secret_file, fernet_key_file) as NUL-terminated text;
 * warns when others may read it. Free with keyring_text_free.
 */
static char *
keyring_read_file(const char *path, char **cause)
{
	struct stat	 sb;
	char		*text = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		goto fail;
	}
	/* 0640 root:www-data is a sound setup; others reading is not. */
	if (sb.st_mode & (S_IRWXO | S_IWGRP))
		log_warnx("%s: secret file is readable or writable beyond its "
		    "owner and group (mode %03o); chmod 640 it", path,
		    (u_int)(sb.st_mode & 0777));

	text = xmalloc(SECRET_FILE_MAX + 1);
	for (;;) {
		n = read(fd, text + len, SECRET_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
		if (len > SECRET_FILE_MAX) {
			xasprintf(cause, "%s: larger than %d bytes", path,
			    SECRET_FILE_MAX);
			goto fail;
		}
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		xasprintf(cause, "%s: contains a NUL byte", path);
		goto fail;
	}
	close(fd);
	return text;

fail:
	keyring_text_free(text);
	close(fd);
	return NULL;
}

/* Wipe and free what keyring_read_file returned. */
static void
keyring_text_free(char *text)
{
	if (text == NULL)
		return;
	OPENSSL_cleanse(text, SECRET_FILE_MAX + 1);
	free(text);
}

/* Read a key file and parse its text with `parse`. */
void *
keyring_load_file(const char *path, void *(*parse)(const char *, char **),
    char **cause)
{
	void	*keys;
	char	*text, *cause1 = NULL;

	if ((text = keyring_read_file(path, cause)) == NULL)
		return NULL;
	if ((keys = parse(text, &cause1)) == NULL) {
		xasprintf(cause, "%s: %s", path, cause1);
		free(cause1);
	}
	keyring_text_free(text);
	return keys;
}

/* keyring_parse for keyring_load_file. */
static void *
keyring_parse_text(const char *text, char **cause)
{
	return keyring_parse(text, cause);
}

/* Read and parse secret_file. */
struct keyring *
keyring_load(const char *path, char **cause)
{
	return keyring_load_file(path, keyring_parse_text, cause);
}

/* Wipe and free a keyring. */
void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	if (kr->keys != NULL) {
		OPENSSL_cleanse(kr->keys, kr->n * sizeof *kr->keys);
		free(kr->keys);
	}
	free(kr);
	crypto_thread_free();
}

/* Number of keys, current one included. */
size_t
keyring_count(const struct keyring *kr)
{
	return kr == NULL ? 0 : kr->n;
}

/* The current key; a keyring without keys is a broken invariant. */
const struct keyring_key *
keyring_current(const struct keyring *kr)
{
	if (kr == NULL || kr->n == 0)
		fatalx("crypto: no keys loaded");
	return &kr->keys[0];
}

/* The n-th key (0 = current), or NULL past the last. */
const struct keyring_key *
keyring_key(const struct keyring *kr, size_t idx)
{
	if (kr == NULL || idx >= kr->n)
		return NULL;
	return &kr->keys[idx];
}
