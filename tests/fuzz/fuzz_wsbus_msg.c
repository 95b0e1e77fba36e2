/*
 * ws_bus messages as sessionwrap-ws reads them off the bus: wsbus_open, then
 * the control command grammar, on arbitrary bytes; and Redis ws_bus URIs.
 *
 * The first byte picks what the rest is:
 *	0  a raw bus message (what anyone with access to the bus can publish);
 *	1  a command line sealed with the current key at FUZZ_NOW, then opened:
 *	   must open to exactly that line, and parse like the control socket;
 *	2  the same sealed with the retired key, opened at FUZZ_NOW + skew
 *	   (the second byte, signed): opens exactly within the window;
 *	3  the same sealed with a key the helper does not have: never opens;
 *	4  a ws_bus or store value for redis_uri_parse and wsbus_kind.
 * Modes 1 to 3 get past the MAC to the timestamp, nonce and line parsers,
 * which random bytes never do.
 */
#include "autoconf.h"

#include <sys/types.h>

#include <time.h>

#include "crypto.h"
#include "fuzz.h"
#include "redis_uri.h"
#include "wsbus.h"
#include "../../src/ws.h"

#define FUZZ_CHANNEL	"sessionwrap_ws"
#define FUZZ_STRANGER \
	"1111111111111111111111111111111111111111111111111111111111111111"

static struct keyring	*fuzz_keys;	/* current + old, as the helper has */
static struct keyring	*fuzz_old;
static struct keyring	*fuzz_other;

/* Die during set-up: a broken fixture is not a finding. */
static void
fuzz_setup_fail(char *cause)
{
	fprintf(stderr, "fuzz_wsbus_msg: keyring: %s\n", cause);
	exit(2);
}

/* Keys, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	*cause = NULL;

	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((fuzz_keys = keyring_parse(FUZZ_SECRET_CURRENT "\n"
	    FUZZ_SECRET_OLD "\n", &cause)) == NULL ||
	    (fuzz_old = keyring_parse(FUZZ_SECRET_OLD, &cause)) == NULL ||
	    (fuzz_other = keyring_parse(FUZZ_STRANGER, &cause)) == NULL)
		fuzz_setup_fail(cause);
	return 0;
}

/* Open a message as the helper does; parse what opened like it does. */
static int
fuzz_open(const char *msg, size_t len, time_t now, const char **line,
    size_t *linelen)
{
	struct ws_command	 cmd;
	unsigned char		 nonce[WSBUS_NONCE_LEN];
	const char		*cause = NULL;

	if (wsbus_open(fuzz_keys, FUZZ_CHANNEL, now, msg, len, line, linelen,
	    nonce, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL && *line == NULL);
		return -1;
	}
	FUZZ_ASSERT(*line >= msg && *line + *linelen == msg + len);
	if (ws_command_parse(*line, *linelen, 64, &cmd, &cause) == 0)
		FUZZ_ASSERT(cmd.ws_id != NULL || cmd.type == WS_CMD_COUNT ||
		    cmd.type == WS_CMD_STATS || cmd.type == WS_CMD_PING);
	ws_command_clear(&cmd);
	return 0;
}

/* Seal with keys at FUZZ_NOW, open at FUZZ_NOW + skew: check the promise. */
static void
fuzz_roundtrip(const struct keyring *keys, const uint8_t *data, size_t size,
    int skew, int should_open)
{
	const char	*line;
	size_t		 linelen;
	char		*msg;
	int		 rc;

	if ((msg = wsbus_seal(keys, FUZZ_CHANNEL, FUZZ_NOW,
	    (const char *)data, size)) == NULL) {
		FUZZ_ASSERT(size == 0 || size > WSBUS_MAX_MSG - 90);
		return;
	}
	/* A NUL in the line ends the C string: compare what was sealed. */
	rc = fuzz_open(msg, strlen(msg), FUZZ_NOW + skew, &line, &linelen);
	if (!should_open || skew > WSBUS_WINDOW || skew < -WSBUS_WINDOW)
		FUZZ_ASSERT(rc == -1);
	else if (memchr(data, '\0', size) == NULL) {
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(linelen == size && memcmp(line, data, size) == 0);
	}
	free(msg);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redis_uri	 a;
	const char		*line;
	size_t			 linelen;
	char			*s, *cause = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_open((const char *)data + 1, size - 1, FUZZ_NOW, &line,
		    &linelen);
		break;
	case 1:
		fuzz_roundtrip(fuzz_keys, data + 1, size - 1, 0, 1);
		break;
	case 2:
		if (size >= 2)
			fuzz_roundtrip(fuzz_old, data + 2, size - 2,
			    (int8_t)data[1], 1);
		break;
	case 3:
		fuzz_roundtrip(fuzz_other, data + 1, size - 1, 0, 0);
		break;
	case 4:
		s = fuzz_cstr(data + 1, size - 1);
		(void)wsbus_kind(s);
		if (redis_uri_parse(s, &a, &cause) == 0) {
			FUZZ_ASSERT((a.host == NULL) != (a.path == NULL));
			FUZZ_ASSERT(a.path != NULL || (a.port > 0 &&
			    a.port < 65536));
			redis_uri_free(&a);
		} else {
			FUZZ_ASSERT(cause != NULL);
			free(cause);
		}
		free(s);
		break;
	}
	return 0;
}
