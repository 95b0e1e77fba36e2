/* Control socket command lines: a pure parser. */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "wsctl.h"
#include "ws.h"
#include "xmalloc.h"

/* Free what ws_command_parse filled in. */
void
ws_command_clear(struct ws_command *cmd)
{
	free(cmd->ws_id);
	free(cmd->text);
	memset(cmd, 0, sizeof *cmd);
}

/* The next space-separated word from *p (before end); NULL when none. */
static const char *
ws_command_word(const char **p, const char *end, size_t *len)
{
	const char	*start = *p, *sp;

	if (start >= end)
		return NULL;
	if ((sp = memchr(start, ' ', end - start)) == NULL)
		sp = end;
	*len = sp - start;
	*p = sp < end ? sp + 1 : end;
	return start;
}

/* A ws_id argument; 0 or -1 with *cause. */
static int
ws_command_id(const char *w, size_t len, struct ws_command *cmd,
    const char **cause)
{
	if (w == NULL || len == 0) {
		*cause = "missing ws_id";
		return -1;
	}
	cmd->ws_id = xstrndup(w, len);
	if (len > WSCTL_MAX_ID || !wsctl_valid_id(cmd->ws_id)) {
		*cause = "invalid ws_id";
		return -1;
	}
	return 0;
}

/* Parse CLOSE's optional "code [reason]" from p. */
static int
ws_command_close_args(const char *p, const char *end, struct ws_command *cmd,
    const char **cause)
{
	const char	*w;
	size_t		 len, i;
	long		 code = 0;

	if ((w = ws_command_word(&p, end, &len)) == NULL)
		return 0;
	if (len == 0 || len > 4) {
		*cause = "invalid close code";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9') {
			*cause = "invalid close code";
			return -1;
		}
		code = code * 10 + (w[i] - '0');
	}
	if (!wsctl_valid_code(code)) {
		*cause = "close code must be 1000 or 3000-4999";
		return -1;
	}
	cmd->code = (int)code;
	if (w + len < end && p < end) {
		len = end - p;
		if (len > WSCTL_MAX_REASON) {
			*cause = "close reason longer than 123 bytes";
			return -1;
		}
		if (!utf8_valid(p, len)) {
			*cause = "close reason is not UTF-8";
			return -1;
		}
		cmd->text = xstrndup(p, len);
		cmd->textlen = len;
	}
	return 0;
}

/* Parse one control line (no newline); 0, or -1 and *cause. */
int
ws_command_parse(const char *line, size_t len, size_t max_text,
    struct ws_command *cmd, const char **cause)
{
	const char	*p = line, *end = line + len, *w;
	size_t		 wlen;

	memset(cmd, 0, sizeof *cmd);
	*cause = NULL;
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len) != NULL ||
	    memchr(line, '\n', len) != NULL) {
		*cause = "control character in command";
		return -1;
	}
	if ((w = ws_command_word(&p, end, &wlen)) == NULL || wlen == 0) {
		*cause = "empty command";
		return -1;
	}
#define IS(s) (wlen == sizeof s - 1 && strncasecmp(w, s, wlen) == 0)
	if (IS("PING") || IS("STATS")) {
		cmd->type = IS("PING") ? WS_CMD_PING : WS_CMD_STATS;
		if (w + wlen != end) {
			*cause = "unexpected argument";
			return -1;
		}
		return 0;
	}
	if (IS("COUNT")) {
		cmd->type = WS_CMD_COUNT;
		if (w + wlen == end)
			return 0;
		w = ws_command_word(&p, end, &wlen);
		if (ws_command_id(w, wlen, cmd, cause) != 0)
			return -1;
		if (w + wlen != end) {
			*cause = "unexpected argument";
			return -1;
		}
		return 0;
	}
	if (IS("CLOSE")) {
		cmd->type = WS_CMD_CLOSE;
		w = ws_command_word(&p, end, &wlen);
		if (ws_command_id(w, wlen, cmd, cause) != 0)
			return -1;
		return ws_command_close_args(p, end, cmd, cause);
	}
	if (IS("SEND")) {
		cmd->type = WS_CMD_SEND;
		w = ws_command_word(&p, end, &wlen);
		if (ws_command_id(w, wlen, cmd, cause) != 0)
			return -1;
		if (w + wlen == end) {
			*cause = "missing text";
			return -1;
		}
		wlen = end - p;
		if (wlen > max_text) {
			*cause = "text longer than ws_max_message";
			return -1;
		}
		if (!utf8_valid(p, wlen)) {
			*cause = "text is not UTF-8";
			return -1;
		}
		cmd->text = xstrndup(p, wlen);
		cmd->textlen = wlen;
		return 0;
	}
#undef IS
	*cause = "unknown command";
	return -1;
}
