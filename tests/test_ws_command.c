/* Unit tests of sessionwrap-ws's control command parser: a table of lines. */
#include "autoconf.h"

#include "../src/ws-command.c"
#include "test.h"

#define ID	"Ab0_-xyzAb0_-xyzAb0_-xyz"

struct command_case {
	const char		*line;
	int			 ok;
	enum ws_command_type	 type;
	const char		*ws_id;
	int			 code;
	const char		*text;
};

static const struct command_case command_cases[] = {
	{ "PING", 1, WS_CMD_PING, NULL, 0, NULL },
	{ "ping", 1, WS_CMD_PING, NULL, 0, NULL },
	{ "PING x", 0, 0, NULL, 0, NULL },
	{ "PING ", 0, 0, NULL, 0, NULL },
	{ "STATS", 1, WS_CMD_STATS, NULL, 0, NULL },
	{ "COUNT", 1, WS_CMD_COUNT, NULL, 0, NULL },
	{ "COUNT " ID, 1, WS_CMD_COUNT, ID, 0, NULL },
	{ "COUNT " ID " x", 0, 0, NULL, 0, NULL },
	{ "COUNT a+b", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID, 1, WS_CMD_CLOSE, ID, 0, NULL },
	{ "CLOSE " ID " 4001", 1, WS_CMD_CLOSE, ID, 4001, NULL },
	{ "CLOSE " ID " 1000", 1, WS_CMD_CLOSE, ID, 1000, NULL },
	{ "CLOSE " ID " 4001 session closed", 1, WS_CMD_CLOSE, ID, 4001,
	  "session closed" },
	{ "CLOSE " ID " 4001 ", 1, WS_CMD_CLOSE, ID, 4001, NULL },
	{ "CLOSE " ID " 3000 d\xc3\xa9j\xc3\xa0", 1, WS_CMD_CLOSE, ID, 3000,
	  "d\xc3\xa9j\xc3\xa0" },
	{ "CLOSE " ID " 1006", 0, 0, NULL, 0, NULL },	/* reserved */
	{ "CLOSE " ID " 1001", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " 5000", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " 999", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " 40010", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " -401", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " x", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " 4001 \xff", 0, 0, NULL, 0, NULL },
	{ "CLOSE " ID " 4001 "
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "456789012345678901234567890123456789012345678901234567890123", 0,
	  0, NULL, 0, NULL },				/* 124 bytes */
	{ "CLOSE", 0, 0, NULL, 0, NULL },
	{ "CLOSE ", 0, 0, NULL, 0, NULL },
	{ "CLOSE a/b", 0, 0, NULL, 0, NULL },
	{ "CLOSE a=", 0, 0, NULL, 0, NULL },
	{ "SEND " ID " hello world", 1, WS_CMD_SEND, ID, 0, "hello world" },
	{ "SEND " ID " ", 1, WS_CMD_SEND, ID, 0, "" },
	{ "SEND " ID "  two", 1, WS_CMD_SEND, ID, 0, " two" },
	{ "SEND " ID " {\"a\":1}", 1, WS_CMD_SEND, ID, 0, "{\"a\":1}" },
	{ "SEND " ID, 0, 0, NULL, 0, NULL },
	{ "SEND " ID " \xc0\xaf", 0, 0, NULL, 0, NULL },	/* overlong */
	{ "SEND " ID " \xed\xa0\x80", 0, 0, NULL, 0, NULL },	/* surrogate */
	{ "SEND " ID " 0123456789abcdefX", 0, 0, NULL, 0, NULL }, /* > max */
	{ "SEND", 0, 0, NULL, 0, NULL },
	{ "", 0, 0, NULL, 0, NULL },
	{ " PING", 0, 0, NULL, 0, NULL },
	{ "FROB x", 0, 0, NULL, 0, NULL },
	{ "PINGX", 0, 0, NULL, 0, NULL },
	{ "PING\r", 0, 0, NULL, 0, NULL },
};

/* Run every case of the table (max text 16 bytes). */
static void
test_table(void)
{
	struct ws_command	 cmd;
	const char		*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof command_cases / sizeof command_cases[0]; i++) {
		const struct command_case *c = &command_cases[i];

		rc = ws_command_parse(c->line, strlen(c->line), 16, &cmd,
		    &cause);
		if ((rc == 0) != c->ok)
			fprintf(stderr, "case \"%s\": rc %d (%s)\n", c->line,
			    rc, cause ? cause : "-");
		CHECK((rc == 0) == c->ok);
		CHECK((rc == 0) == (cause == NULL));
		if (rc == 0 && c->ok) {
			CHECK(cmd.type == c->type);
			CHECK_STR(cmd.ws_id, c->ws_id);
			CHECK(cmd.code == c->code);
			CHECK_STR(cmd.text, c->text);
			if (c->text != NULL)
				CHECK(cmd.textlen == strlen(c->text));
		}
		ws_command_clear(&cmd);
	}
}

/* A NUL inside the line is refused. */
static void
test_nul(void)
{
	struct ws_command	 cmd;
	const char		*cause;

	CHECK(ws_command_parse("SEND a b\0c", 10, 100, &cmd, &cause) == -1);
	ws_command_clear(&cmd);
}

/* Run every group of checks. */
int
main(void)
{
	test_table();
	test_nul();
	return test_done("ws_command");
}
