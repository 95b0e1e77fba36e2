/*
 * Bus messages: "swb1 MAC TS NONCE LINE", where LINE is a control socket
 * command (CLOSE or SEND), TS the publisher's clock in seconds, NONCE 16
 * random bytes and MAC the HMAC-SHA256 of "CHANNEL\nTS NONCE LINE" under a
 * key derived from each secret_file key, so that only holders of the secret
 * can close or push to sockets, and a message outlives its window by nothing.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "num.h"
#include "wsbus.h"
#include "xmalloc.h"

#define WSBUS_MAGIC		"swb1 "
#define WSBUS_MAC_B64		43	/* base64url of 32 bytes */
#define WSBUS_NONCE_B64		22	/* base64url of 16 bytes */
#define WSBUS_TS_MAX		19	/* digits of a time */

static const char wsbus_label[] = "sessionwrap ws_bus v1";

/* The MAC of a message body for a channel under the n-th key; -1 past the last. */
static int
wsbus_mac(const struct keyring *keys, size_t n, const char *channel,
    const char *body, size_t len, unsigned char out[CRYPTO_MAC_LEN])
{
	const struct keyring_key	*k;
	unsigned char			 key[CRYPTO_MAC_LEN];
	struct buf			 b;

	if ((k = keyring_key(keys, n)) == NULL)
		return -1;
	/* A sub-key of its own: a bus MAC is never a valid signed id. */
	crypto_hmac(k->sub[CRYPTO_SIGN], wsbus_label, sizeof wsbus_label - 1,
	    key);
	buf_init(&b);
	buf_add(&b, channel, strlen(channel));
	buf_add(&b, "\n", 1);
	buf_add(&b, body, len);
	crypto_hmac(key, b.data, b.len, out);
	crypto_wipe(key, sizeof key);
	buf_free(&b);
	return 0;
}

/* Seal a command line for a channel; see wsbus.h. */
char *
wsbus_seal(const struct keyring *keys, const char *channel, time_t now,
    const char *line, size_t len)
{
	unsigned char	 nonce[WSBUS_NONCE_LEN], mac[CRYPTO_MAC_LEN];
	char		*n64, *m64, *body, *msg;
	int		 blen;

	if (len == 0)
		return NULL;
	crypto_random(nonce, sizeof nonce);
	n64 = b64url_encode(nonce, sizeof nonce);
	blen = xasprintf(&body, "%lld %s %.*s", (long long)now, n64, (int)len,
	    line);
	free(n64);
	wsbus_mac(keys, 0, channel, body, blen, mac);
	m64 = b64url_encode(mac, sizeof mac);
	xasprintf(&msg, WSBUS_MAGIC "%s %s", m64, body);
	free(m64);
	free(body);
	if (strlen(msg) > WSBUS_MAX_MSG) {
		free(msg);
		return NULL;
	}
	return msg;
}

/* A decimal time of up to 18 digits at p; -1 when it is not one. */
static long long
wsbus_ts(const char *p, size_t len)
{
	char		 buf[WSBUS_TS_MAX + 1];
	long long	 v;

	if (len == 0 || len >= WSBUS_TS_MAX)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (num_parse(buf, 10, 0, LLONG_MAX, &v, NULL) == -1)
		return -1;
	return v;
}

/* Does the MAC (raw) match the body under some key? */
static int
wsbus_mac_ok(const struct keyring *keys, const char *channel,
    const char *body, size_t len, const unsigned char *mac)
{
	unsigned char	 want[CRYPTO_MAC_LEN];
	size_t		 i;
	int		 ok = 0;

	for (i = 0; wsbus_mac(keys, i, channel, body, len, want) == 0; i++)
		ok |= crypto_memeq(want, mac, sizeof want);
	return ok;
}

/* Open a message read from a channel; see wsbus.h. */
int
wsbus_open(const struct keyring *keys, const char *channel, time_t now,
    const char *msg, size_t len, const char **line, size_t *linelen,
    unsigned char nonce[WSBUS_NONCE_LEN], const char **cause)
{
	const char	*p, *end = msg + len, *body, *sp;
	unsigned char	*raw;
	size_t		 rawlen;
	long long	 ts;
	int		 ok;

	*line = NULL;
	*linelen = 0;
	if (len > WSBUS_MAX_MSG) {
		*cause = "oversized message";
		return -1;
	}
	if (len < sizeof WSBUS_MAGIC - 1 + WSBUS_MAC_B64 + 1 ||
	    memcmp(msg, WSBUS_MAGIC, sizeof WSBUS_MAGIC - 1) != 0 ||
	    msg[sizeof WSBUS_MAGIC - 1 + WSBUS_MAC_B64] != ' ') {
		*cause = "malformed message";
		return -1;
	}
	p = msg + sizeof WSBUS_MAGIC - 1;
	if (b64url_decode(p, WSBUS_MAC_B64, &raw, &rawlen) != 0 ||
	    rawlen != CRYPTO_MAC_LEN) {
		free(raw);
		*cause = "malformed message";
		return -1;
	}
	body = p + WSBUS_MAC_B64 + 1;
	ok = wsbus_mac_ok(keys, channel, body, end - body, raw);
	free(raw);
	if (!ok) {
		*cause = "bad MAC";
		return -1;
	}
	/* Authentic from here: its form is the publisher's. */
	if ((sp = memchr(body, ' ', end - body)) == NULL ||
	    (ts = wsbus_ts(body, sp - body)) == -1 ||
	    end - (sp + 1) < WSBUS_NONCE_B64 + 2 ||
	    sp[1 + WSBUS_NONCE_B64] != ' ') {
		*cause = "malformed message";
		return -1;
	}
	if (ts < (long long)now - WSBUS_WINDOW ||
	    ts > (long long)now + WSBUS_WINDOW) {
		*cause = "message outside the time window";
		return -1;
	}
	if (b64url_decode(sp + 1, WSBUS_NONCE_B64, &raw, &rawlen) != 0 ||
	    rawlen != WSBUS_NONCE_LEN) {
		free(raw);
		*cause = "malformed message";
		return -1;
	}
	memcpy(nonce, raw, WSBUS_NONCE_LEN);
	free(raw);
	*line = sp + 1 + WSBUS_NONCE_B64 + 1;
	*linelen = end - *line;
	return 0;
}
