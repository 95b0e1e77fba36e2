/*
 * sessionwrap-ws's control socket: every input line through
 * ws_command_parse, as the control connection splits them.
 */
#include "autoconf.h"

#include <sys/types.h>

#include "fuzz.h"
#include "../../src/ws.h"
#include "utf8.h"
#include "wsctl.h"

/* Small enough that fuzzed SEND texts reach the limit. */
#define FUZZ_MAX_TEXT	64

FUZZ_INIT_QUIET

/* Parse one line and check what a successful parse promises. */
static void
fuzz_line(const char *line, size_t len)
{
	struct ws_command	 cmd;
	const char		*cause = NULL;

	if (ws_command_parse(line, len, FUZZ_MAX_TEXT, &cmd, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		ws_command_clear(&cmd);
		return;
	}
	FUZZ_ASSERT(cause == NULL);
	switch (cmd.type) {
	case WS_CMD_CLOSE:
		FUZZ_ASSERT(cmd.ws_id != NULL);
		FUZZ_ASSERT(cmd.code == 0 || wsctl_valid_code(cmd.code));
		if (cmd.text != NULL)
			FUZZ_ASSERT(cmd.textlen <= WSCTL_MAX_REASON);
		break;
	case WS_CMD_SEND:
		FUZZ_ASSERT(cmd.ws_id != NULL && cmd.text != NULL);
		FUZZ_ASSERT(cmd.textlen <= FUZZ_MAX_TEXT);
		break;
	case WS_CMD_COUNT:
	case WS_CMD_STATS:
	case WS_CMD_PING:
		FUZZ_ASSERT(cmd.text == NULL);
		break;
	default:
		FUZZ_ASSERT(!"unknown command type");
	}
	if (cmd.ws_id != NULL)
		FUZZ_ASSERT(wsctl_valid_id(cmd.ws_id));
	if (cmd.text != NULL) {
		FUZZ_ASSERT(strlen(cmd.text) == cmd.textlen);
		FUZZ_ASSERT(utf8_valid(cmd.text, cmd.textlen));
	}
	ws_command_clear(&cmd);
}

/* Lines of one control connection per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *end = p + size, *nl;

	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		fuzz_line(p, nl - p);
		p = nl + 1;
	}
	/* The whole input as one line too (NUL, CR, LF must be refused). */
	fuzz_line((const char *)data, size);
	return 0;
}
